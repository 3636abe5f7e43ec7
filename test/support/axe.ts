/**
 * Accessibility audits with axe-core, in the page as the app serves it.
 *
 * The app's CSP (`script-src 'self'`) refuses an inline <script>, so
 * `page.addScriptTag({ content })` cannot bring axe in. Its source is run with
 * `page.evaluate` instead: that goes through the DevTools protocol, which the
 * page's CSP does not govern, and only into pages that are audited, so the
 * app loads exactly as it does for users (no init script, no bypassCSP, no
 * extra route).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** What a failed audit prints: enough to find the element and the rule. */
export interface Violation {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

const IMPACTS = ['minor', 'moderate', 'serious', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number];

async function injectAxe(page: Page): Promise<void> {
  if (await page.evaluate(() => 'axe' in globalThis)) return;
  // A statement list, not an expression: `;undefined` keeps the huge completion value out of the reply.
  await page.evaluate(`${AXE_SOURCE}\n;undefined`);
}

/**
 * Runs every axe rule (WCAG 2.x A/AA, best practices, and the experimental
 * ones such as label-content-name-mismatch) on the page as it is now, and
 * returns the violations of at least `failFrom` impact (serious by default);
 * lesser ones are printed with `screen`, the state the page is in.
 */
export async function accessibilityViolations(page: Page, screen: string, failFrom: Impact = 'serious'): Promise<Violation[]> {
  await injectAxe(page);
  const found = await page.evaluate(async () => {
    // globalThis: this file is compiled without the DOM library (test/support builds with the server).
    const axe = (globalThis as unknown as { axe: AxeLike }).axe;
    // No context: the whole document.
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice', 'experimental'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const failing = (v: Violation) => IMPACTS.indexOf(v.impact as Impact) >= IMPACTS.indexOf(failFrom);
  const lesser = found.filter((v) => !failing(v));
  if (lesser.length > 0) console.log(`[axe] ${screen}: ${lesser.map((v) => `${v.impact} ${v.rule} (${v.targets.slice(0, 3).join(', ')})`).join('; ')}`);
  return found.filter(failing);
}

/** The part of axe's API used here (its own types describe the Node side, not the page's global). */
interface AxeLike {
  run(
    options: { runOnly: { type: 'tag'; values: string[] }; resultTypes: string[] },
  ): Promise<{ violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: string[] }> }> }>;
}

/**
 * A soft expectation that the page, as it is now, has no finding at all
 * (minor up): these screens are ours and had every finding fixed. Soft, so
 * one run reports every screen's findings, not only the first.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  expect.soft(await accessibilityViolations(page, screen, 'minor'), screen).toEqual([]);
}

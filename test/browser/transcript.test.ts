/**
 * The transcript view in Chromium:
 * (a) hostile markdown, prompts, tool output and session names render inert;
 * (b) markdown renders (headings, lists, code blocks with a working Copy button);
 * (c) virtualisation: 5,000 runs open quickly, keep the DOM small, scroll end
 *     to end, and stick to the bottom only when the reader is there.
 *
 * (a) and (b) go through the real server and the fake CLI. (c) and the
 * sanitiser checks use a harness page (transcript-harness.ts) bundled here
 * with Vite and served by a tiny HTTP server, once with the app's CSP and
 * once with no CSP at all, so that anything the sanitiser let through would
 * actually run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, PHONE, SCREENSHOT_DIR, WEB_DIR, openSessionsDrawer } from '../support/browser.js';
import { fake, startTestServer, type TestServer } from '../support/server.js';
import { serveHarnessPage, type HarnessPage } from './harness-page.js';

/** Every payload sets window.__xss if it ever runs. */
const XSS_MARKDOWN = [
  '# Payloads',
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '[click](javascript:window.__xss=3)',
  '<a href="javascript:window.__xss=4">x</a>',
  '<svg onload=window.__xss=5>',
  '<iframe src="javascript:window.__xss=6"></iframe>',
  '<b onclick="window.__xss=7">raw bold</b>',
  '[entity](&#106;avascript:window.__xss=8)',
  '[spaced](  JaVaScRiPt:window.__xss=9)',
  '![pic](javascript:window.__xss=10)',
  '![data pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3hzcz0xMSI+)',
  '[data link](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTI8L3NjcmlwdD4=)',
  '<style>body{display:none}</style>',
  '<form action="/x"><input name=a></form>',
  '- [x] done task',
  '[safe link](/docs)',
].join('\n\n');

/** The same payloads as HTML straight into the sanitiser (the second layer, on its own). */
const XSS_HTML = [
  '<img src=x onerror="window.__xss=21">',
  '<script>window.__xss=22</script>',
  '<a href="javascript:window.__xss=23">a</a>',
  '<a href=" java\tscript:window.__xss=24">b</a>',
  '<svg onload="window.__xss=25"><circle /></svg>',
  '<iframe src="javascript:window.__xss=26"></iframe>',
  '<b onclick="window.__xss=27" style="color:red">b</b>',
  '<math><mi xlink:href="javascript:window.__xss=28">m</mi></math>',
  '<object data="javascript:window.__xss=29"></object><embed src="javascript:window.__xss=30">',
  '<form><input autofocus onfocus="window.__xss=31"></form>',
  '<img src="data:image/png;base64,AAAA"><a href="mailto:a@example.com">mail</a><a href="https://example.com/">web</a>',
  '<div class="permission" data-x="1" aria-label="fake">spoof</div>',
  // Schemes with digits in them are schemes too (a custom protocol handler).
  '<a href="web+x1:launch">d1</a><a href="a1:b">d2</a><a href="x-2.y:z">d3</a>',
  '<a href="/relative/path:1">rel</a><a href="#frag">frag</a>',
].join('\n');

const SESSION_NAME = '<img src=x onerror="window.__xss=40"><script>window.__xss=41</script>';
const TOOL_OUTPUT = '<img src=x onerror="window.__xss=42">\n<script>window.__xss=43</script>\n<svg onload=window.__xss=44>';

const MARKDOWN = [
  '# Main title',
  'Intro with **bold**, *italic*, `inline code` and a [link](/docs).',
  '## Second level',
  '- apples\n- pears\n  - nested pear\n- plums',
  '1. first\n2. second\n3. third',
  '> A quoted line that should wrap nicely on a phone screen when it is long enough.',
  '```ts\nconst answer: number = 42;\nconsole.log(`answer is ${answer}`);\n```',
  '| Column one | Column two | A rather long third column | Fourth | Fifth column |\n|---|---|---|---|---|\n| 1 | 2 | 3 | 4 | 5 |\n| alpha | beta | gamma delta epsilon | zeta | eta theta |',
  'Line one\nline two (a single newline is a break).',
  '---',
  'Done.',
].join('\n\n');
const CODE = 'const answer: number = 42;\nconsole.log(`answer is ${answer}`);';

let server: TestServer;
let browser: Browser;
let harness: HarnessPage;
let harnessUrl: string;

beforeAll(async () => {
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error('dist/web is not built: run `npm run build:web` (npm test does)');
  const [served, started, launched] = await Promise.all([serveHarnessPage(), startTestServer({ webDir: WEB_DIR }), launchBrowser()]);
  server = started;
  browser = launched;
  harness = served;
  harnessUrl = served.url;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await harness?.close();
});

/** Collects uncaught page errors (a ResizeObserver loop would show up here too). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

async function openSession(page: Page, name: string): Promise<void> {
  await page.goto(server.url);
  await openSessionsDrawer(page);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'New session' }).click();
  // By id: the message box's role is the composer's business (a textbox, or a combobox with commands).
  await expect.poll(() => page.locator('#message').isEnabled()).toBe(true);
}

async function send(page: Page, prompt: string): Promise<void> {
  const box = page.locator('#message');
  await box.fill(prompt);
  await box.press('Enter');
}

/** Elements and attributes that must never come out of the transcript or session names. */
async function dangerous(page: Page, scope: string): Promise<Record<string, number | string[]>> {
  return page.evaluate((selector) => {
    const roots = Array.from(document.querySelectorAll(selector));
    const all = roots.flatMap((r) => [r, ...Array.from(r.querySelectorAll('*'))]);
    const count = (css: string) => roots.reduce((n, r) => n + r.querySelectorAll(css).length, 0);
    const handlers = all.filter((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on'))).map((el) => el.outerHTML.slice(0, 80));
    const badUrls = all
      .flatMap((el) => ['href', 'src', 'xlink:href', 'action', 'data'].map((a) => el.getAttribute(a)))
      .filter((v): v is string => v !== null && /^\s*(javascript|data|vbscript):/i.test(v.replace(/[\p{Cc} ]/gu, '')));
    return {
      script: count('script'),
      iframe: count('iframe'),
      svg: count('svg'),
      math: count('math'),
      object: count('object, embed'),
      form: count('form, input'),
      style: count('style, [style]:not(.tv-spacer)'),
      imgOnerror: count('img[onerror]'),
      handlers,
      badUrls,
    };
  }, scope);
}

function expectClean(found: Record<string, number | string[]>): void {
  expect(found).toEqual({ script: 0, iframe: 0, svg: 0, math: 0, object: 0, form: 0, style: 0, imgOnerror: 0, handlers: [], badUrls: [] });
}

/** The text of the page's polite live regions, as Chromium's accessibility tree has it. */
async function liveRegionText(page: Page): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  try {
    type AXNode = { nodeId: string; childIds?: string[]; role?: { value?: string }; name?: { value?: string }; properties?: Array<{ name: string; value: { value?: unknown } }> };
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AXNode[] };
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const text = (node: AXNode): string =>
      node.role?.value === 'StaticText' ? (node.name?.value ?? '') : (node.childIds ?? []).map((id) => (byId.has(id) ? text(byId.get(id)!) : '')).join(' ');
    return nodes
      .filter((n) => n.properties?.some((p) => p.name === 'live' && p.value.value === 'polite') && n.role?.value !== 'StaticText')
      .map(text)
      .join(' | ');
  } finally {
    await cdp.detach();
  }
}

async function clickAllLinks(page: Page, selector: string): Promise<number> {
  const links = page.locator(selector);
  const n = await links.count();
  for (let i = 0; i < n; i++) {
    const popup = page.context().waitForEvent('page', { timeout: 1500 }).catch(() => undefined);
    await links.nth(i).click({ timeout: 5000 });
    const opened = await popup;
    await opened?.close();
  }
  return n;
}

describe('(a) hostile content renders inert', () => {
  it('markdown answer, prompt, tool output and session name through the app', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await openSession(page, SESSION_NAME);
      await send(page, fake([{ tool: { name: 'Bash', input: { command: 'echo <script>' }, output: TOOL_OUTPUT } }, { text: XSS_MARKDOWN, chunks: 4, delayMs: 30 }]));
      await page.locator('.run-footer .badge[data-status="success"]').first().waitFor({ timeout: 20_000 });
      const answer = page.locator('.transcript .md').last();
      await answer.getByRole('heading', { name: 'Payloads' }).waitFor();

      // Raw HTML in the answer is text; the markdown links lost their javascript:/data: targets.
      await expect.poll(() => answer.textContent()).toContain('<img src=x onerror="window.__xss=1">');
      expect(await answer.textContent()).toContain('<script>window.__xss=2</script>');
      expect(await answer.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['/docs']);
      const safe = answer.locator('a[href="/docs"]');
      expect(await safe.getAttribute('target')).toBe('_blank');
      expect(await safe.getAttribute('rel')).toBe('noopener noreferrer nofollow');
      // Images whose address was refused are left as their alt text.
      expect(await answer.locator('img').count()).toBe(0);
      expect(await answer.textContent()).toContain('data pic');
      expect(await answer.locator('.md-task').textContent()).toBe('☑');

      // The tool's output, opened: plain text.
      await page.locator('.tool-head').first().click();
      await expect.poll(() => page.locator('pre.tool-output').first().textContent()).toBe(TOOL_OUTPUT);
      // The prompt (the fake's script, payloads included) and the session name: text.
      expect(await page.locator('.prompt-text').first().textContent()).toContain('<script>window.__xss=2</script>');
      expect(await page.locator('#session-title').textContent()).toBe(SESSION_NAME);

      const clicked = await clickAllLinks(page, '.transcript .md a');
      expect(clicked).toBeGreaterThan(3);
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expectClean(await dangerous(page, '.transcript, #session-list, #session-header'));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the sanitiser on its own, on a page with no CSP to hide behind', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await page.goto(`${harnessUrl}/unsafe`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
      // A sanity check that this page really runs inline handlers.
      await page.evaluate(() => {
        const probe = document.createElement('div');
        probe.id = 'probe';
        probe.innerHTML = '<img src="x:" onerror="window.__probe=1">';
        document.body.append(probe);
      });
      await page.waitForFunction(() => (window as { __probe?: number }).__probe === 1);
      await page.evaluate(() => document.getElementById('probe')?.remove());

      const sanitized = await page.evaluate(
        ({ html }) => {
          const box = document.createElement('div');
          box.className = 'sanitized';
          box.append(window.harness.sanitizeHtml(html));
          document.body.append(box);
          return box.innerHTML;
        },
        { html: XSS_HTML },
      );
      expect(sanitized).not.toMatch(/onerror|onclick|onload|onfocus|javascript:|<script|<svg|<math|<iframe|<object|<embed|<form|<input|style=|data-x|aria-label|class=/i);
      expect(sanitized).toContain('href="mailto:a@example.com"');
      expect(sanitized).toContain('href="https://example.com/"');
      expect(sanitized).toContain('rel="noopener noreferrer nofollow"');
      expect(sanitized).not.toMatch(/href="(web\+x1|a1|x-2\.y):/);
      expect(sanitized).toContain('href="/relative/path:1"');
      expect(sanitized).toContain('href="#frag"');
      expect(sanitized).not.toContain('data:image');

      // The full path, markdown in a run, on the same unprotected page.
      await page.evaluate(
        ({ md, tool }) => {
          window.harness.show([
            {
              runId: 'x1',
              prompt: md,
              status: 'success',
              started: true,
              items: [
                { kind: 'tool', tool: { toolUseId: 't', name: 'Bash', summary: tool, status: 'ok', output: tool, truncated: false } },
                { kind: 'text', text: md, streaming: false },
              ],
            },
          ]);
        },
        { md: XSS_MARKDOWN, tool: TOOL_OUTPUT },
      );
      await page.locator('.tool-head').click();
      await clickAllLinks(page, '.transcript .md a');
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expectClean(await dangerous(page, '.transcript, .sanitized'));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('(b) markdown', () => {
  it.each([
    ['phone', PHONE, 'light'],
    ['desktop', DESKTOP, 'light'],
    ['dark-phone', PHONE, 'dark'],
  ] as const)('renders headings, lists, tables and a code block with a working Copy button (%s)', async (label, viewport, colorScheme) => {
    const context = await browser.newContext({ viewport, colorScheme });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await openSession(page, `Markdown ${label}`);
      await send(page, 'Show me some markdown');
      await page.locator('.transcript .md', { hasText: 'Echo: Show me some markdown' }).waitFor({ timeout: 15_000 });
      await send(page, fake([{ thinking: 'Let me think about the formatting.' }, { tool: { name: 'Read', input: { file_path: 'README.md' }, output: '# README\nline 2' } }, { text: MARKDOWN, chunks: 6, delayMs: 40 }]));
      // (The first run may be out of the DOM by now: only runs near the viewport are rendered.)
      const run = page.locator('article.run').filter({ has: page.locator('.md h1', { hasText: 'Main title' }) });
      await run.locator('.run-footer .badge[data-status="success"]').waitFor({ timeout: 20_000 });
      const md = page.locator('.transcript .md').last();
      expect(await md.locator('h1').textContent()).toBe('Main title');
      expect(await md.locator('h2').textContent()).toBe('Second level');
      expect(await md.locator('ul > li').count()).toBe(4);
      expect(await md.locator('ol > li').count()).toBe(3);
      expect(await md.locator('strong').textContent()).toBe('bold');
      expect(await md.locator('blockquote').count()).toBe(1);
      expect(await md.locator('.md-table table tr').count()).toBe(3);
      expect(await md.locator('br').count()).toBeGreaterThan(0);
      expect(await md.locator('.md-code-lang').textContent()).toBe('ts');
      expect(await md.locator('pre code').textContent()).toBe(`${CODE}\n`);
      // The table scrolls inside its box on a phone instead of widening the page.
      const overflow = await page.evaluate(() => {
        const t = document.querySelector('#transcript')!;
        return t.scrollWidth - t.clientWidth;
      });
      expect(overflow).toBeLessThanOrEqual(0);

      const copy = md.getByRole('button', { name: 'Copy code' });
      const box = await copy.boundingBox();
      expect(box!.height).toBeGreaterThanOrEqual(44);
      await copy.click();
      await expect.poll(() => copy.textContent()).toBe('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(CODE);

      // Thinking is collapsed; the tool card shows its name and summary, output on demand.
      expect(await page.locator('details.thinking').last().getAttribute('open')).toBeNull();
      await expect.poll(() => page.locator('details.tool').last().getAttribute('data-status')).toBe('ok');
      expect(await page.locator('.tool-name').last().textContent()).toBe('Read');
      expect(await page.locator('.tool-summary').last().textContent()).toContain('README.md');
      await page.locator('.tool-head').last().click();
      expect(await page.locator('pre.tool-output').last().textContent()).toBe('# README\nline 2');
      await page.locator('.tool-head').last().click();

      await md.locator('.md-code').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.waitForTimeout(100);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `transcript-markdown-${label}.png`) });
      await page.locator('#transcript').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(100);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `transcript-markdown-end-${label}.png`) });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('(c) virtualisation with 5,000 runs', () => {
  let context: BrowserContext;
  let page: Page;

  const bottomGap = () => page.evaluate(() => {
    const t = window.harness.root;
    return t.scrollHeight - t.scrollTop - t.clientHeight;
  });

  async function settle(frames = 3): Promise<void> {
    for (let i = 0; i < frames; i++) await page.evaluate(() => window.harness.frame());
  }

  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const)('opens quickly, stays small, scrolls end to end and sticks to the bottom (%s)', async (label, viewport) => {
    context = await browser.newContext({ viewport });
    page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await page.goto(harnessUrl);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
      // Opened 5 times as a fresh session: the first includes warming up (JIT, first styles).
      const timing = await page.evaluate(() => window.harness.loadBig(5000, 5));
      const ms = (list: number[]) => list.map((n) => n.toFixed(0)).join(', ');
      const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!.toFixed(0);
      console.log(
        `[${label}] 5,000 runs (state built in ${timing.build.toFixed(0)} ms): render() ${ms(timing.render)} ms (median ${median(timing.render)}); painted after ${ms(timing.painted)} ms (median ${median(timing.painted)})`,
      );
      await settle();

      // Opens at the bottom, on the last run.
      const atBottom = await page.evaluate(() => window.harness.nodeCount());
      expect(await page.evaluate(() => window.harness.visibleRuns())).toContain('r4999');
      expect(await bottomGap()).toBeLessThan(2);
      expect(atBottom.elements).toBeLessThan(2000);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `transcript-5000-${label}.png`) });

      // The middle.
      await page.evaluate(() => {
        const t = window.harness.root;
        t.scrollTop = t.scrollHeight / 2;
      });
      await settle();
      const middle = await page.evaluate(() => window.harness.nodeCount());
      const midRuns = await page.evaluate(() => window.harness.visibleRuns());
      expect(midRuns.length).toBeGreaterThan(0);
      const midIndex = Number(midRuns[0]!.slice(1));
      expect(midIndex).toBeGreaterThan(1000);
      expect(midIndex).toBeLessThan(4000);
      expect(middle.elements).toBeLessThan(2000);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `transcript-5000-middle-${label}.png`) });

      // The top.
      await page.evaluate(() => (window.harness.root.scrollTop = 0));
      await settle();
      const top = await page.evaluate(() => window.harness.nodeCount());
      expect(await page.evaluate(() => window.harness.visibleRuns())).toContain('r0');
      expect(top.elements).toBeLessThan(2000);
      console.log(
        `[${label}] DOM under the transcript (elements / nodes / runs): top ${top.elements}/${top.nodes}/${top.runs}, middle ${middle.elements}/${middle.nodes}/${middle.runs}, bottom ${atBottom.elements}/${atBottom.nodes}/${atBottom.runs}`,
      );

      // Scrolling down and back up, a screen-ish per frame: never blank, frame times printed.
      const down = await page.evaluate(() => window.harness.scrollFrames(450, 150));
      expect(await page.evaluate(() => window.harness.visibleRuns().length)).toBeGreaterThan(0);
      await page.evaluate(() => (window.harness.root.scrollTop = window.harness.root.scrollHeight * 0.7));
      await settle();
      const up = await page.evaluate(() => window.harness.scrollFrames(-450, 150));
      expect(await page.evaluate(() => window.harness.visibleRuns().length)).toBeGreaterThan(0);
      console.log(
        `[${label}] frame interval scrolling down: avg ${down.avg.toFixed(1)} ms, p95 ${down.p95.toFixed(1)}, max ${down.max.toFixed(1)}, long tasks ${down.longTasks}; up: avg ${up.avg.toFixed(1)} ms, p95 ${up.p95.toFixed(1)}, max ${up.max.toFixed(1)}, long tasks ${up.longTasks}`,
      );

      // The mouse wheel, as a reader would.
      await page.mouse.move(viewport.width / 2 + (viewport === DESKTOP ? 145 : 0), viewport.height / 2);
      for (let i = 0; i < 20; i++) await page.mouse.wheel(0, 600);
      await settle();
      expect(await page.evaluate(() => window.harness.visibleRuns().length)).toBeGreaterThan(0);

      // scrollTop = scrollHeight, repeated, reaches the last run (estimates get corrected on the way).
      let tries = 0;
      for (; tries < 10; tries++) {
        await page.evaluate(() => (window.harness.root.scrollTop = window.harness.root.scrollHeight));
        await settle(2);
        if ((await bottomGap()) < 2 && (await page.evaluate(() => window.harness.visibleRuns())).includes('r4999')) break;
      }
      expect(tries).toBeLessThan(10);

      // At the bottom, a streamed answer keeps the view at the bottom.
      const answer = `${MARKDOWN}\n\n${'More streamed text that goes on for a while. '.repeat(30)}`;
      const streamed = await page.evaluate((text) => window.harness.stream('live1', text, 40), answer);
      console.log(`[${label}] streaming a ${answer.length}-character answer in 40 frames: render() + layout ${streamed.avg.toFixed(1)} ms a frame on average, max ${streamed.max.toFixed(1)}`);
      await settle();
      expect(await bottomGap()).toBeLessThan(2);
      expect(await page.evaluate(() => window.harness.visibleRuns())).toContain('live1');
      // The live region (in a closed shadow root, so only the accessibility tree shows it) read out the answer's end.
      await expect.poll(() => liveRegionText(page), { timeout: 5000 }).toContain('More streamed text that goes on for a while.');
      expect(await page.getByText('More streamed text that goes on for a while.').count()).toBe(1);

      // Scrolled up, new output does not move what the reader is looking at.
      await page.evaluate(() => (window.harness.root.scrollTop -= 1500));
      await settle();
      const before = await page.evaluate(() => {
        const t = window.harness.root;
        const id = window.harness.visibleRuns()[0]!;
        const el = t.querySelector(`article[data-run-id="${id}"]`)!;
        return { id, top: el.getBoundingClientRect().top, scrollTop: t.scrollTop };
      });
      await page.evaluate((text) => window.harness.stream('live2', text, 20), answer);
      await settle();
      const after = await page.evaluate((id) => {
        const el = window.harness.root.querySelector(`article[data-run-id="${id}"]`);
        return el ? el.getBoundingClientRect().top : null;
      }, before.id);
      expect(after).not.toBeNull();
      expect(Math.abs(after! - before.top)).toBeLessThan(1.5);
      expect(await bottomGap()).toBeGreaterThan(1000);

      // Back at the bottom: following again.
      await page.evaluate(() => (window.harness.root.scrollTop = window.harness.root.scrollHeight));
      await settle();
      await page.evaluate((text) => window.harness.stream('live3', text, 10), answer);
      await settle();
      expect(await bottomGap()).toBeLessThan(2);

      // A running run with one of everything; its permission buttons answer through the handler.
      await page.evaluate(() => window.harness.showcase());
      await settle();
      expect(await bottomGap()).toBeLessThan(2);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `transcript-5000-live-${label}.png`) });
      const allow = page.getByRole('button', { name: 'Allow', exact: true });
      expect((await allow.boundingBox())!.height).toBeGreaterThanOrEqual(44);
      await allow.click();
      expect(await page.evaluate(() => window.harness.permissions)).toEqual([['perm-1', 'allow']]);
      expect(await allow.isDisabled()).toBe(true);
      expect(await page.locator('details.tool[data-status="running"] .spinner').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

/**
 * The README's configuration table is where a user looks a setting up: every
 * one server/config.ts reads has a row there (a row may name a second one by
 * its differing end, as in `NGROK_OAUTH_ALLOW_EMAILS` / `_DOMAINS`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTING_ENV_NAMES } from '../../server/config.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The names in the first column of the configuration table, shorthands spelled out. */
function documentedSettings(readme: string): Set<string> {
  const table = readme.slice(readme.indexOf('## Configuration'));
  const names = new Set<string>();
  for (const line of table.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.split('|')[1] ?? '';
    let last = '';
    for (const match of cell.matchAll(/`([A-Z_]+)`/g)) {
      const name = match[1] as string;
      const full = name.startsWith('_') ? last.replace(/_[A-Z]+$/, name) : name;
      names.add(full);
      last = full;
    }
  }
  return names;
}

describe('the README configuration table', () => {
  it('lists every setting server/config.ts reads', () => {
    const documented = documentedSettings(README);
    expect(SETTING_ENV_NAMES.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('notices a missing one', () => {
    const without = README.replace(/^\| `LEASE_TTL_S`.*\n/m, '');
    expect(documentedSettings(without).has('LEASE_TTL_S')).toBe(false);
    expect(documentedSettings(README).has('NGROK_OAUTH_ALLOW_DOMAINS')).toBe(true);
  });
});

/**
 * The price table's refresh script, offline: a LiteLLM file and a stand-in
 * for the CLI's binary (its model catalog as the CLI bundles it).
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/server.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/refresh-prices.mjs', import.meta.url));
let dir: string;

beforeEach(async () => {
  dir = await tempDir('cr-prices-');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('scripts/refresh-prices.mjs', () => {
  it('keeps LiteLLM\'s Claude prices in its order, adds the models only the CLI knows, and dates the table', async () => {
    await writeFile(
      join(dir, 'litellm.json'),
      JSON.stringify({
        'gpt-4o': { input_cost_per_token: 1 },
        'claude-sonnet-4-20250514': { input_cost_per_token: 3e-6, output_cost_per_token: 15e-6, cache_read_input_token_cost: 3e-7, input_cost_per_token_above_200k_tokens: 6e-6 },
        'claude-opus-4-6': { input_cost_per_token: 5e-6, output_cost_per_token: 25e-6, provider_specific_entry: { fast: 6 } },
        'claude-embedding-thing': { max_tokens: 5 },
      }),
    );
    await writeFile(
      join(dir, 'claude'),
      'junk var X={schema_version:1,pricing_tiers:{tier_4_20:{input:4,output:20,cache_write_5m:5,cache_write_1h:8,cache_read:0.2,web_search:0.01}},' +
        'models:[{id:"claude-opus-5-5",family:"opus",display_name:"Opus 5.5",provider_ids:{first_party:"claude-opus-5-5-20261001",bedrock:"x"},pricing:"tier_4_20"},' +
        '{id:"claude-opus-4-6",family:"opus",display_name:"Opus 4.6",provider_ids:{first_party:"claude-opus-4-6"},pricing:"tier_4_20"}]} junk',
    );
    const out = join(dir, 'prices.ts');
    execFileSync(process.execPath, [SCRIPT, '--litellm', join(dir, 'litellm.json'), '--claude-code', join(dir, 'claude'), '--date', '2026-11-29', '--out', out]);
    const text = await readFile(out, 'utf8');
    const table = JSON.parse(text.slice(text.indexOf('= {') + 2, text.lastIndexOf(';'))) as { takenAt: string; models: Record<string, unknown> };
    expect(table.takenAt).toBe('2026-11-29');
    expect(Object.keys(table.models)).toEqual(['claude-sonnet-4-20250514', 'claude-opus-4-6', 'claude-opus-5-5-20261001', 'claude-opus-5-5']);
    expect(table.models['claude-sonnet-4-20250514']).toEqual({ input: 3e-6, output: 15e-6, cacheRead: 3e-7, above200k: { input: 6e-6 } });
    expect(table.models['claude-opus-4-6']).toEqual({ input: 5e-6, output: 25e-6, fast: 6 });
    expect(table.models['claude-opus-5-5']).toEqual({ input: 4e-6, output: 20e-6, cacheWrite: 5e-6, cacheRead: 2e-7 });
  });
});

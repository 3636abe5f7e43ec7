#!/usr/bin/env node
// Rewrites server/usage/prices.ts, the price table the usage page falls back
// on when a transcript line records no cost of its own.
//
//   node scripts/refresh-prices.mjs [--litellm URL|FILE] [--claude-code FILE] [--date YYYY-MM-DD] [--out FILE]
//
// Two sources, in this order of precedence:
// 1. LiteLLM's model_prices_and_context_window.json (what ccusage prices
//    with, so our figures agree with it): every "claude" entry, in LiteLLM's
//    order, since ccusage's fuzzy model matching walks the table in order.
//    Default: the file on GitHub (needs the network).
// 2. The model catalog baked into the installed `claude` CLI (dev
//    dependency): models LiteLLM does not know yet, priced as the CLI itself
//    prices them for its `total_cost_usd`. Default: the native binary of
//    @anthropic-ai/claude-code in node_modules. Upgrade that dependency first.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const LITELLM_URL = 'https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json';
const OUT = fileURLToPath(new URL('../server/usage/prices.ts', import.meta.url));
const TOKENS_PER_MTOK = 1e6;

const { values } = parseArgs({
  options: {
    litellm: { type: 'string', default: LITELLM_URL },
    'claude-code': { type: 'string' },
    date: { type: 'string', default: new Date().toISOString().slice(0, 10) },
    out: { type: 'string', default: OUT },
  },
});

/** LiteLLM's per-token fields, renamed; only those ccusage uses. */
export function fromLiteLlm(data) {
  const models = {};
  for (const [name, entry] of Object.entries(data)) {
    if (!name.toLowerCase().includes('claude') || typeof entry !== 'object' || entry === null) continue;
    if (typeof entry.input_cost_per_token !== 'number' && typeof entry.output_cost_per_token !== 'number') continue;
    const price = pick({
      input: entry.input_cost_per_token,
      output: entry.output_cost_per_token,
      cacheWrite: entry.cache_creation_input_token_cost,
      cacheRead: entry.cache_read_input_token_cost,
    });
    const above = pick({
      input: entry.input_cost_per_token_above_200k_tokens,
      output: entry.output_cost_per_token_above_200k_tokens,
      cacheWrite: entry.cache_creation_input_token_cost_above_200k_tokens,
      cacheRead: entry.cache_read_input_token_cost_above_200k_tokens,
    });
    if (Object.keys(above).length > 0) price.above200k = above;
    if (typeof entry.provider_specific_entry?.fast === 'number') price.fast = entry.provider_specific_entry.fast;
    models[name] = price;
  }
  return models;
}

/** The CLI's catalog: pricing tiers (USD per million tokens) and which model uses which. */
export function fromClaudeCode(text) {
  const tiers = new Map();
  const tierRe = /(\w+):\{input:([\d.e+-]+),output:([\d.e+-]+),cache_write_5m:([\d.e+-]+),cache_write_1h:[\d.e+-]+,cache_read:([\d.e+-]+)/g;
  for (const m of text.matchAll(tierRe)) {
    tiers.set(m[1], { input: perToken(m[2]), output: perToken(m[3]), cacheWrite: perToken(m[4]), cacheRead: perToken(m[5]) });
  }
  const models = {};
  const starts = [...text.matchAll(/\{id:"(claude-[a-z0-9-]+)",family:"[a-z]+"/g)];
  for (const [i, m] of starts.entries()) {
    const end = Math.min(starts[i + 1]?.index ?? Infinity, m.index + 5000);
    const segment = text.slice(m.index, end);
    const tier = tiers.get(/pricing:"(\w+)"/.exec(segment)?.[1]);
    if (!tier) continue;
    const firstParty = /provider_ids:\{first_party:"([^"]+)"/.exec(segment)?.[1];
    for (const id of new Set([m[1], firstParty].filter(Boolean))) models[id] ??= { ...tier };
  }
  return models;
}

/** USD per million tokens to USD per token, without float noise (0.2 / 1e6 is 2.0000000000000002e-7). */
const perToken = (perMillion) => Number((Number(perMillion) / TOKENS_PER_MTOK).toPrecision(12));

function pick(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => typeof v === 'number'));
}

function claudeBinary() {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@anthropic-ai/claude-code/package.json'));
  const platform = `${process.platform}-${process.arch}`;
  const candidates = [join(dir, 'bin', 'claude.exe'), join(dir, '..', `claude-code-${platform}`, 'claude'), join(dir, '..', `claude-code-${platform}-musl`, 'claude')];
  // bin/claude.exe is a small shell stub until the package's postinstall copies the binary over it.
  const found = candidates.find((file) => existsSync(file) && readFileSync(file).length > 1_000_000);
  if (!found) throw new Error(`No claude binary found; looked at ${candidates.join(', ')}`);
  return found;
}

async function main() {
  const source = values.litellm;
  const litellmText = /^https?:/.test(source) ? await (await fetch(source)).text() : readFileSync(source, 'utf8');
  const litellm = fromLiteLlm(JSON.parse(litellmText));
  const binary = values['claude-code'] ?? claudeBinary();
  const cliVersion = values['claude-code'] ? '' : readCliVersion();
  const cli = fromClaudeCode(readFileSync(binary).toString('latin1'));
  if (Object.keys(litellm).length === 0 && Object.keys(cli).length === 0) throw new Error('Neither source had any Claude prices.');
  // CLI-only models go last, longest name first: ccusage-style fuzzy matching takes the first hit.
  const extra = Object.keys(cli)
    .filter((name) => !(name in litellm))
    .sort((a, b) => b.length - a.length || a.localeCompare(b));
  const models = { ...litellm, ...Object.fromEntries(extra.map((name) => [name, cli[name]])) };
  const text = `/**
 * Prices per token in USD, for transcript lines that record no cost. Written
 * by scripts/refresh-prices.mjs; do not edit by hand: run
 * \`node scripts/refresh-prices.mjs\` (needs the network for LiteLLM) after
 * upgrading the @anthropic-ai/claude-code dev dependency.
 */
import type { PriceTable } from './pricing.js';

export const PRICE_TABLE: PriceTable = ${JSON.stringify(
    {
      takenAt: values.date,
      sources: [
        `LiteLLM model_prices_and_context_window.json (${/^https?:/.test(source) ? source : `local copy ${basename(source)}`}): ${Object.keys(litellm).length} models`,
        `the model catalog of @anthropic-ai/claude-code${cliVersion ? ` ${cliVersion}` : ''}: ${extra.length} models LiteLLM lacks`,
      ],
      models,
    },
    null,
    2,
  )};
`;
  writeFileSync(values.out, text);
  console.log(`Wrote ${values.out}: ${Object.keys(models).length} models (${Object.keys(litellm).length} from LiteLLM, ${extra.length} from the CLI).`);
}

function readCliVersion() {
  try {
    const require = createRequire(import.meta.url);
    return require('@anthropic-ai/claude-code/package.json').version;
  } catch {
    return '';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

/**
 * What a transcript line cost, offline: the `costUSD` the line records when
 * it records one, else its tokens priced from the table shipped with us
 * (prices.ts). Lookup and arithmetic follow ccusage 18 exactly (its "auto"
 * mode), so the figures agree with it wherever both tables know the model.
 */

/** USD per token. A missing rate prices that kind of token at 0, as ccusage does. */
export interface TokenRates {
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheRead?: number;
}

export interface ModelPrice extends TokenRates {
  /** Rates for the tokens of a kind beyond the first 200k of that kind in one request (LiteLLM's tiers). */
  above200k?: TokenRates;
  /** Multiplier for requests made with `speed: "fast"`. */
  fast?: number;
}

export interface PriceTable {
  /** The day the table was written (YYYY-MM-DD). */
  takenAt: string;
  sources: string[];
  /** Order matters: fuzzy matching takes the first entry that fits. */
  models: Record<string, ModelPrice>;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

const TIER_THRESHOLD_TOKENS = 200_000;

/** ccusage tries the name as it is, then with these in front (a transcript may say "sonnet-4-20250514"). */
const PROVIDER_PREFIXES = ['anthropic/', 'claude-3-5-', 'claude-3-', 'claude-', 'openrouter/openai/'];

export interface Pricer {
  /** The price of a model, or undefined when the table does not know it. */
  priceOf(model: string): ModelPrice | undefined;
  table: PriceTable;
}

export function createPricer(table: PriceTable): Pricer {
  const byName = new Map(Object.entries(table.models));
  const lowered = [...byName].map(([name, price]) => [name.toLowerCase(), price] as const);
  const cache = new Map<string, ModelPrice | undefined>();
  const lookup = (model: string): ModelPrice | undefined => {
    for (const candidate of [model, ...PROVIDER_PREFIXES.map((p) => `${p}${model}`)]) {
      const direct = byName.get(candidate);
      if (direct) return direct;
    }
    const lower = model.toLowerCase();
    return lowered.find(([key]) => key.includes(lower) || lower.includes(key))?.[1];
  };
  return {
    table,
    priceOf(model) {
      if (model === '') return undefined;
      if (!cache.has(model)) cache.set(model, lookup(model));
      return cache.get(model);
    },
  };
}

export function costOfTokens(tokens: TokenCounts, price: ModelPrice, fast: boolean): number {
  const above = price.above200k ?? {};
  const cost =
    tiered(tokens.inputTokens, price.input, above.input) +
    tiered(tokens.outputTokens, price.output, above.output) +
    tiered(tokens.cacheCreationTokens, price.cacheWrite, above.cacheWrite) +
    tiered(tokens.cacheReadTokens, price.cacheRead, above.cacheRead);
  return cost * (fast ? (price.fast ?? 1) : 1);
}

function tiered(count: number, base: number | undefined, above: number | undefined): number {
  if (count <= 0) return 0;
  if (count > TIER_THRESHOLD_TOKENS && above !== undefined) {
    return (count - TIER_THRESHOLD_TOKENS) * above + TIER_THRESHOLD_TOKENS * (base ?? 0);
  }
  return count * (base ?? 0);
}

/** Token and cost sums, and their wire form. */
import type { TokenTotals } from '../protocol/usage.js';
import type { TokenCounts } from './pricing.js';

export interface Totals extends TokenCounts {
  costUsd: number;
}

export const emptyTotals = (): Totals => ({ inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, costUsd: 0 });

export function add<T extends Totals>(into: T, more: Totals): T {
  into.inputTokens += more.inputTokens;
  into.outputTokens += more.outputTokens;
  into.cacheCreationTokens += more.cacheCreationTokens;
  into.cacheReadTokens += more.cacheReadTokens;
  into.costUsd += more.costUsd;
  return into;
}

export const totalTokens = (t: TokenCounts): number => t.inputTokens + t.outputTokens + t.cacheCreationTokens + t.cacheReadTokens;

/** Sums of floats carry noise (0.010724000000000001); a billionth of a dollar is far below what anyone reads. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e9) / 1e9;

export function toWire(t: Totals): TokenTotals {
  return {
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    cacheCreationTokens: t.cacheCreationTokens,
    cacheReadTokens: t.cacheReadTokens,
    totalTokens: totalTokens(t),
    costUsd: roundUsd(t.costUsd),
  };
}

/**
 * The user's limits for a 5-hour block, kept in this browser only, and
 * whether the active block is on course to pass them. Subscriptions cap
 * tokens (Anthropic does not publish the figure, so the user brings it); API
 * keys cost money: either limit, or both.
 */
import type { ActiveBlock } from '../../server/protocol/usage.js';

export interface UsageLimits {
  costUsd?: number | undefined;
  tokens?: number | undefined;
}

export interface LimitWarning {
  /** Already past it, or only on course to pass it by the block's end. */
  already: boolean;
  text: string;
}

const KEY = 'claude-remote.usage-limits';

export function loadLimits(storage: Pick<Storage, 'getItem'> = localStorage): UsageLimits {
  try {
    const raw = JSON.parse(storage.getItem(KEY) ?? '{}') as Record<string, unknown>;
    return { costUsd: positive(raw.costUsd), tokens: positive(raw.tokens) };
  } catch {
    return {};
  }
}

export function saveLimits(limits: UsageLimits, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(KEY, JSON.stringify({ costUsd: positive(limits.costUsd), tokens: positive(limits.tokens) }));
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** The first limit the block passes or is projected to pass, in words; undefined when it stays under both. */
export function limitWarning(block: ActiveBlock | null, limits: UsageLimits, money: (usd: number) => string, tokens: (n: number) => string): LimitWarning | undefined {
  if (!block) return undefined;
  if (limits.costUsd !== undefined) {
    if (block.costUsd >= limits.costUsd) return { already: true, text: `This block has cost ${money(block.costUsd)}, past your ${money(limits.costUsd)} limit.` };
    if (block.projection.costUsd > limits.costUsd) {
      return { already: false, text: `At this rate the block ends at ${money(block.projection.costUsd)}, past your ${money(limits.costUsd)} limit.` };
    }
  }
  if (limits.tokens !== undefined) {
    if (block.totalTokens >= limits.tokens) return { already: true, text: `This block has used ${tokens(block.totalTokens)} tokens, past your ${tokens(limits.tokens)} limit.` };
    if (block.projection.totalTokens > limits.tokens) {
      return { already: false, text: `At this rate the block ends at ${tokens(block.projection.totalTokens)} tokens, past your ${tokens(limits.tokens)} limit.` };
    }
  }
  return undefined;
}

/**
 * The 5-hour usage blocks, as ccusage 18 computes them: a block starts at its
 * first message's time floored to the UTC hour and lasts 5 hours; a message
 * 5 hours or more after the block's start, or after the message before it,
 * starts the next block.
 *
 * One deliberate difference: ccusage starts a new block only when either gap
 * is *more* than 5 hours, so a message at exactly the block's end lands in
 * the block that is ending, which is then never active (it ended at that
 * instant) even though the user has just used Claude. Blocks here are
 * half-open, [start, start + 5 h).
 */
import type { ActiveBlock } from '../protocol/usage.js';
import { SYNTHETIC_MODEL, type UsageEntry } from './entry.js';
import { add, emptyTotals, roundUsd, toWire, totalTokens, type Totals } from './totals.js';

export const BLOCK_MS = 5 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

export interface Block {
  start: number;
  end: number;
  /** Indices into the sorted entries: [from, to). */
  from: number;
  to: number;
  totals: Totals;
}

const floorToHour = (time: number): number => Math.floor(time / HOUR_MS) * HOUR_MS;

/**
 * Precondition: `entries` sorted by time, and `from` is 0 or the index of an
 * entry that starts a block (the blocks before it are unchanged).
 */
export function identifyBlocks(entries: readonly UsageEntry[], from = 0): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (let i = from; i < entries.length; i++) {
    const entry = entries[i] as UsageEntry;
    const previous = entries[i - 1];
    if (!current || entry.time - current.start >= BLOCK_MS || (previous !== undefined && entry.time - previous.time >= BLOCK_MS)) {
      const start = floorToHour(entry.time);
      current = { start, end: start + BLOCK_MS, from: i, to: i, totals: emptyTotals() };
      blocks.push(current);
    }
    current.to = i + 1;
    add(current.totals, entry);
  }
  return blocks;
}

/** The block in progress at `now`: its last message under 5 hours ago, and its end still ahead. */
export function activeBlockAt(blocks: readonly Block[], entries: readonly UsageEntry[], now: number): Block | undefined {
  const last = blocks[blocks.length - 1];
  const lastEntry = last ? entries[last.to - 1] : undefined;
  if (!last || !lastEntry) return undefined;
  return now - lastEntry.time < BLOCK_MS && now < last.end ? last : undefined;
}

/** Precondition: `block` is a block of `entries` (from identifyBlocks). */
export function describeActiveBlock(block: Block, entries: readonly UsageEntry[], now: number): ActiveBlock {
  const first = entries[block.from] as UsageEntry;
  const last = entries[block.to - 1] as UsageEntry;
  const tokens = totalTokens(block.totals);
  const spanMinutes = (last.time - first.time) / MINUTE_MS;
  // ccusage has no burn rate for a block whose messages all share one instant; we say zero, and project what is there.
  const tokensPerMinute = spanMinutes > 0 ? tokens / spanMinutes : 0;
  const costPerMinute = spanMinutes > 0 ? block.totals.costUsd / spanMinutes : 0;
  const leftMinutes = Math.max(0, (block.end - now) / MINUTE_MS);
  const models = new Set<string>();
  for (let i = block.from; i < block.to; i++) {
    const model = (entries[i] as UsageEntry).model;
    if (model !== SYNTHETIC_MODEL) models.add(model);
  }
  return {
    ...toWire(block.totals),
    startTime: new Date(block.start).toISOString(),
    endTime: new Date(block.end).toISOString(),
    remainingMinutes: Math.round(leftMinutes),
    burnRate: { tokensPerHour: tokensPerMinute * 60, costPerHour: roundUsd(costPerMinute * 60) },
    projection: {
      totalTokens: Math.round(tokens + tokensPerMinute * leftMinutes),
      costUsd: roundUsd(block.totals.costUsd + costPerMinute * leftMinutes),
    },
    firstActivity: new Date(first.time).toISOString(),
    lastActivity: new Date(last.time).toISOString(),
    models: [...models],
  };
}

const MAX_BURN_DOWN_POINTS = 200;

/** Running totals after each message of the block, thinned to at most 200 points (the last one always kept). */
export function burnDown(block: Block, entries: readonly UsageEntry[]): Array<{ time: string; totalTokens: number; costUsd: number }> {
  const count = block.to - block.from;
  const step = Math.max(1, Math.ceil(count / MAX_BURN_DOWN_POINTS));
  const points: Array<{ time: string; totalTokens: number; costUsd: number }> = [];
  const running = emptyTotals();
  for (let i = block.from; i < block.to; i++) {
    const entry = entries[i] as UsageEntry;
    add(running, entry);
    const isLast = i === block.to - 1;
    if ((i - block.from + 1) % step === 0 || isLast) {
      points.push({ time: new Date(entry.time).toISOString(), totalTokens: totalTokens(running), costUsd: roundUsd(running.costUsd) });
    }
  }
  return points;
}

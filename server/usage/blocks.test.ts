import { describe, expect, it } from 'vitest';
import { activeBlockAt, burnDown, describeActiveBlock, identifyBlocks } from './blocks.js';
import { localDay, type UsageEntry } from './entry.js';

function entry(at: string, input: number, output: number, costUsd: number, model = 'claude-sonnet-4-20250514'): UsageEntry {
  const time = Date.parse(at);
  return { time, day: localDay(time), model, inputTokens: input, outputTokens: output, cacheCreationTokens: 0, cacheReadTokens: 0, costUsd, costSource: 'priceTable', dedupKey: undefined, cwd: undefined };
}

const at = (hhmm: string, day = '2026-03-10') => `${day}T${hhmm}:00.000Z`;
const times = (entries: UsageEntry[]) => identifyBlocks(entries).map((b) => [new Date(b.start).toISOString(), b.to - b.from]);

describe('5-hour blocks', () => {
  it('start at the first message floored to the hour and last 5 hours', () => {
    expect(times([entry(at('10:20'), 1, 1, 0), entry(at('14:59'), 1, 1, 0)])).toEqual([[at('10:00'), 2]]);
  });

  it('start again after a gap of 5 hours or more, floored to that message\'s hour', () => {
    expect(times([entry(at('08:10'), 1, 1, 0), entry(at('14:30'), 1, 1, 0)])).toEqual([
      [at('08:00'), 1],
      [at('14:00'), 1],
    ]);
  });

  it("start again when a message comes 5 hours or more after the block's start, however short the gap", () => {
    expect(times([entry(at('10:59'), 1, 1, 0), entry(at('14:00'), 1, 1, 0), entry(at('15:01'), 1, 1, 0)])).toEqual([
      [at('10:00'), 2],
      [at('15:00'), 1],
    ]);
  });

  it('put a message at exactly the end of a block into the next one (ccusage keeps it in the old one; see blocks.ts)', () => {
    expect(times([entry(at('10:00'), 1, 1, 0), entry(at('15:00'), 1, 1, 0)])).toEqual([
      [at('10:00'), 1],
      [at('15:00'), 1],
    ]);
  });
});

describe('the active block', () => {
  const entries = [entry(at('04:00'), 9, 9, 9), entry(at('10:20'), 1000, 500, 0.1), entry(at('11:50'), 2000, 1000, 0.2), entry(at('12:20'), 0, 1500, 0.3, 'claude-opus-4-1-20250805')];
  const blocks = identifyBlocks(entries);

  it('tells tokens, cost, time left, burn rate and projection, hand-computed', () => {
    const now = Date.parse(at('13:00'));
    const active = activeBlockAt(blocks, entries, now);
    expect(active).toBeDefined();
    const view = describeActiveBlock(active!, entries, now);
    expect(view).toMatchObject({
      startTime: at('10:00'),
      endTime: at('15:00'),
      inputTokens: 3000,
      outputTokens: 3000,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      totalTokens: 6000,
      // 15:00 - 13:00
      remainingMinutes: 120,
      firstActivity: at('10:20'),
      lastActivity: at('12:20'),
      models: ['claude-sonnet-4-20250514', 'claude-opus-4-1-20250805'],
    });
    expect(view.costUsd).toBeCloseTo(0.6, 12);
    // 6000 tokens and $0.60 over the 120 minutes from 10:20 to 12:20
    expect(view.burnRate.tokensPerHour).toBeCloseTo(3000, 9);
    expect(view.burnRate.costPerHour).toBeCloseTo(0.3, 9);
    // ... continued for the 120 minutes left: 6000 + 50/min × 120, $0.60 + $0.005/min × 120
    expect(view.projection.totalTokens).toBe(12_000);
    expect(view.projection.costUsd).toBeCloseTo(1.2, 9);
  });

  it('rounds the time left to whole minutes', () => {
    const view = describeActiveBlock(blocks[1]!, entries, Date.parse('2026-03-10T14:57:31.000Z'));
    expect(view.remainingMinutes).toBe(2);
  });

  it('is none once the block has ended, or 5 hours after its last message', () => {
    expect(activeBlockAt(blocks, entries, Date.parse(at('14:59')))).toBeDefined();
    expect(activeBlockAt(blocks, entries, Date.parse(at('15:00')))).toBeUndefined();
    expect(activeBlockAt([], [], Date.parse(at('15:00')))).toBeUndefined();
  });

  it('burns at zero, and projects what is there, while all its messages share one instant', () => {
    const one = [entry(at('09:30'), 100, 50, 0.01)];
    const view = describeActiveBlock(identifyBlocks(one)[0]!, one, Date.parse(at('10:00')));
    expect(view.burnRate).toEqual({ tokensPerHour: 0, costPerHour: 0 });
    expect(view.projection).toEqual({ totalTokens: 150, costUsd: 0.01 });
    expect(view.remainingMinutes).toBe(4 * 60);
  });

  it('has a burn-down: running totals after each message', () => {
    expect(burnDown(blocks[1]!, entries)).toEqual([
      { time: at('10:20'), totalTokens: 1500, costUsd: 0.1 },
      { time: at('11:50'), totalTokens: 4500, costUsd: 0.3 },
      { time: at('12:20'), totalTokens: 6000, costUsd: 0.6 },
    ]);
  });

  it('thins a long burn-down to at most 200 points, keeping the last', () => {
    const many = Array.from({ length: 1001 }, (_, i) => entry(new Date(Date.parse(at('10:00')) + i * 1000).toISOString(), 1, 0, 0));
    const points = burnDown(identifyBlocks(many)[0]!, many);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points.at(-1)).toMatchObject({ totalTokens: 1001 });
  });
});

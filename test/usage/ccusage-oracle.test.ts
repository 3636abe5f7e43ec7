/**
 * ccusage 18.0.11 (its JS API, offline prices) is the oracle: on the same
 * folders, in a time zone half an hour off UTC, our daily totals, costs and
 * 5-hour blocks must equal its own. Where we differ on purpose, the test
 * says so and why.
 */
const ORIGINAL_TZ = process.env.TZ;
process.env.TZ = 'Asia/Kolkata'; // UTC+5:30: local days and UTC-hour block starts disagree

import { rm } from 'node:fs/promises';
import { loadDailyUsageData, loadSessionBlockData } from 'ccusage/data-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_MS, describeActiveBlock } from '../../server/usage/blocks.js';
import { createUsageService } from '../../server/usage/index.js';
import { PRICE_TABLE } from '../../server/usage/prices.js';
import { createPricer } from '../../server/usage/pricing.js';
import { deriveUsage, type DerivedUsage } from '../../server/usage/derive.js';
import { createTranscriptIndex } from '../../server/usage/scan.js';
import { tempDir } from '../support/server.js';
import { assistantLine, userLine, writeTranscript, type AssistantSpec } from '../support/transcripts.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const now = Date.now();
/** A block that started an hour before this one and is still going. */
const activeStart = Math.floor(now / HOUR) * HOUR - HOUR;
let configA: string;
let configB: string;
let derived: DerivedUsage;

const line = (at: number, spec: Omit<AssistantSpec, 'at'>) => assistantLine({ at, ...spec });

beforeAll(async () => {
  configA = await tempDir('cr-oracle-a-');
  configB = await tempDir('cr-oracle-b-');
  const days = (n: number) => now - n * 24 * HOUR;
  await writeTranscript(configA, '/src/api', 'older', [
    userLine(days(12), 'hello'),
    line(days(12), { model: 'claude-sonnet-4-20250514', input: 1200, output: 340, cacheWrite: 5000, cacheRead: 20_000 }),
    line(days(12) + 2 * HOUR, { model: 'claude-opus-4-1-20250805', input: 80, output: 2100, cacheRead: 150_000 }),
    // More than 200k tokens of one kind: the tiered rate.
    line(days(12) + 3 * HOUR, { model: 'claude-sonnet-4-20250514', input: 250_000, output: 1000 }),
    line(days(7), { model: 'claude-haiku-4-5-20251001', input: 900, output: 90, costUSD: 0.123456 }),
    line(days(7) + 10 * MINUTE, { model: '<synthetic>', input: 0, output: 0 }),
    line(days(7) + 20 * MINUTE, { model: 'claude-opus-4-6', input: 300, output: 30, speed: 'fast' }),
    '{"not": "valid", "message": {"usage": 1}}',
    line(days(3), { model: 'claude-sonnet-4-5-20250929', input: 10, output: 10, messageId: 'msg_x', requestId: 'req_x' }),
    // 45 days ago: ccusage reports it; our answer covers the last 30 days only.
    line(days(45), { model: 'claude-sonnet-4-20250514', input: 5, output: 5 }),
  ]);
  await writeTranscript(configA, '/src/api', 'resumed', [
    // The same message again in a later file, with other numbers: the earlier file's copy counts.
    line(days(3) + MINUTE, { model: 'claude-sonnet-4-5-20250929', input: 999, output: 999, messageId: 'msg_x', requestId: 'req_x' }),
    line(activeStart + 10 * MINUTE, { model: 'claude-sonnet-4-20250514', input: 4000, output: 800, cacheRead: 30_000 }),
    line(activeStart + 10 * MINUTE, { model: 'claude-sonnet-4-20250514', input: 4000, output: 800, cacheRead: 30_000, messageId: 'msg_a', requestId: 'req_a' }),
    line(activeStart + 10 * MINUTE, { model: 'claude-sonnet-4-20250514', input: 4000, output: 800, cacheRead: 30_000, messageId: 'msg_a', requestId: 'req_a' }),
  ]);
  await writeTranscript(configB, '/src/web.site', 'other-machine-config', [
    line(days(1), { model: 'claude-opus-4-1-20250805', input: 50, output: 500 }),
    // A gap of more than 5 hours inside one day.
    line(days(1) + 6 * HOUR + 7 * MINUTE, { model: 'claude-haiku-4-5', input: 70, output: 700 }),
    line(activeStart + 40 * MINUTE, { model: 'claude-opus-4-1-20250805', input: 100, output: 1000, cacheWrite: 2000 }),
    line(now - 5 * MINUTE, { model: 'claude-sonnet-4-20250514', input: 10, output: 20 }),
  ]);
  process.env.CLAUDE_CONFIG_DIR = `${configA},${configB}`;
  const index = createTranscriptIndex([configA, configB], createPricer(PRICE_TABLE));
  await index.refresh();
  derived = await deriveUsage(index.files());
});

afterAll(async () => {
  if (ORIGINAL_TZ === undefined) delete process.env.TZ;
  else process.env.TZ = ORIGINAL_TZ;
  delete process.env.CLAUDE_CONFIG_DIR;
  await rm(configA, { recursive: true, force: true });
  await rm(configB, { recursive: true, force: true });
});

describe('agreement with ccusage 18.0.11', () => {
  it('on every day: tokens by kind, cost, models', async () => {
    const theirs = await loadDailyUsageData({ mode: 'auto', offline: true, order: 'asc' });
    expect(theirs.length).toBeGreaterThanOrEqual(6);
    for (const day of theirs) {
      const ours = derived.days.get(day.date);
      expect(ours, day.date).toBeDefined();
      expect([ours?.inputTokens, ours?.outputTokens, ours?.cacheCreationTokens, ours?.cacheReadTokens], day.date).toEqual([
        day.inputTokens,
        day.outputTokens,
        day.cacheCreationTokens,
        day.cacheReadTokens,
      ]);
      expect(ours?.costUsd, day.date).toBeCloseTo(day.totalCost, 10);
      expect([...(ours?.models.keys() ?? [])].sort(), day.date).toEqual(day.modelBreakdowns.map((m) => m.modelName).sort());
      for (const m of day.modelBreakdowns) expect(ours?.models.get(m.modelName)?.costUsd, m.modelName).toBeCloseTo(m.cost, 10);
    }
    expect(derived.days.size).toBe(theirs.length);
  });

  it('on the 30 days of the answer, and it leaves older days out of it on purpose', async () => {
    const theirs = await loadDailyUsageData({ mode: 'auto', offline: true });
    const service = createUsageService({ roots: [configA, configB], scanIntervalMs: 60_000, now: () => now, watch: false });
    const answer = await service.summary();
    await service.close();
    const shown = new Map(answer.days.map((d) => [d.date, d]));
    for (const day of theirs) {
      const ours = shown.get(day.date);
      if (Date.parse(`${day.date}T12:00:00`) < now - 30 * 24 * HOUR) {
        expect(ours, `${day.date} is older than 30 days`).toBeUndefined();
        continue;
      }
      expect(ours?.costUsd).toBeCloseTo(day.totalCost, 9);
      expect(ours?.totalTokens).toBe(day.inputTokens + day.outputTokens + day.cacheCreationTokens + day.cacheReadTokens);
    }
  });

  it('on the 5-hour blocks: start, end, tokens, cost, which one is active', async () => {
    const theirs = (await loadSessionBlockData({ mode: 'auto', offline: true, order: 'asc' })).filter((b) => b.isGap !== true);
    expect(derived.blocks.map((b) => new Date(b.start).toISOString())).toEqual(theirs.map((b) => b.startTime.toISOString()));
    for (const [i, block] of derived.blocks.entries()) {
      const their = theirs[i]!;
      expect(new Date(block.end)).toEqual(their.endTime);
      expect([block.totals.inputTokens, block.totals.outputTokens, block.totals.cacheCreationTokens, block.totals.cacheReadTokens]).toEqual([
        their.tokenCounts.inputTokens,
        their.tokenCounts.outputTokens,
        their.tokenCounts.cacheCreationInputTokens,
        their.tokenCounts.cacheReadInputTokens,
      ]);
      expect(block.totals.costUsd).toBeCloseTo(their.costUSD, 10);
      expect(block.to - block.from).toBe(their.entries.length);
    }
    expect(theirs.at(-1)?.isActive).toBe(true);
    expect(theirs.slice(0, -1).every((b) => !b.isActive)).toBe(true);
  });

  it("on the active block's burn rate and projection (ccusage's formulas, applied to its own block)", async () => {
    const their = (await loadSessionBlockData({ mode: 'auto', offline: true })).find((b) => b.isActive)!;
    const ours = describeActiveBlock(derived.blocks.at(-1)!, derived.entries, now);
    const tokens = their.tokenCounts.inputTokens + their.tokenCounts.outputTokens + their.tokenCounts.cacheCreationInputTokens + their.tokenCounts.cacheReadInputTokens;
    const minutes = (their.entries.at(-1)!.timestamp.getTime() - their.entries[0]!.timestamp.getTime()) / MINUTE;
    const left = (their.endTime.getTime() - now) / MINUTE;
    expect(ours.burnRate.tokensPerHour).toBeCloseTo((tokens / minutes) * 60, 6);
    expect(ours.burnRate.costPerHour).toBeCloseTo((their.costUSD / minutes) * 60, 8);
    expect(ours.projection.totalTokens).toBe(Math.round(tokens + (tokens / minutes) * left));
    // ccusage rounds the projected cost to cents for its table; we keep the figure.
    expect(ours.projection.costUsd).toBeCloseTo(their.costUSD + (their.costUSD / minutes) * left, 8);
    expect(ours.remainingMinutes).toBe(Math.round(left));
  });
});

describe('where we differ from ccusage on purpose', () => {
  it('prices models its table lacks (the CLI\'s default, claude-opus-5-5) from the CLI\'s own catalog; ccusage says $0', async () => {
    const config = await tempDir('cr-oracle-new-');
    try {
      await writeTranscript(config, '/src/new', 's', [line(now - HOUR, { model: 'claude-opus-5-5', input: 2661, output: 4 })]);
      const theirs = await loadDailyUsageData({ claudePath: config, mode: 'auto', offline: true });
      expect(theirs[0]?.totalCost).toBe(0);
      const index = createTranscriptIndex([config], createPricer(PRICE_TABLE));
      await index.refresh();
      // What the CLI itself reported for this very request against the fake API: 2661 × $4/M + 4 × $20/M.
      expect([...(await deriveUsage(index.files())).days.values()][0]?.costUsd).toBeCloseTo(0.010724, 12);
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });

  it('starts a new block for a message exactly 5 hours after the block start: ccusage keeps it in the ending block, which is then never active', async () => {
    const config = await tempDir('cr-oracle-edge-');
    try {
      const start = activeStart - 4 * HOUR;
      await writeTranscript(config, '/src/edge', 's', [line(start, { input: 1, output: 1 }), line(start + BLOCK_MS, { input: 1, output: 1 })]);
      const theirs = (await loadSessionBlockData({ claudePath: config, mode: 'auto', offline: true })).filter((b) => b.isGap !== true);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]?.isActive).toBe(false);
      const index = createTranscriptIndex([config], createPricer(PRICE_TABLE));
      await index.refresh();
      const ours = (await deriveUsage(index.files())).blocks;
      expect(ours.map((b) => b.start)).toEqual([start, start + BLOCK_MS]);
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });
});

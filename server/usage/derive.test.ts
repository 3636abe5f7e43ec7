import { describe, expect, it } from 'vitest';
import { applyAdditions, deriveUsage, type DerivedUsage } from './derive.js';
import { localDay, type UsageEntry } from './entry.js';
import type { TranscriptFile } from './scan.js';

const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;

function entry(hours: number, output: number, key?: string): UsageEntry {
  const time = BASE + hours * HOUR;
  return { time, day: localDay(time), model: output % 2 ? 'claude-haiku-4-5' : 'claude-sonnet-4-20250514', inputTokens: 1, outputTokens: output, cacheCreationTokens: 0, cacheReadTokens: 0, costUsd: output / 1000, costSource: 'priceTable', dedupKey: key, cwd: undefined };
}

function file(path: string, entries: UsageEntry[]): TranscriptFile {
  return { path, project: path.split('/')[1] ?? 'p', entries, firstTime: Math.min(Infinity, ...entries.map((e) => e.time)), unreadable: false };
}

/** Appends to a file as the scanner does: the entries grow, the earliest time may only stay. */
function append(f: TranscriptFile, entries: UsageEntry[]) {
  f.entries.push(...entries);
  f.firstTime = Math.min(f.firstTime, ...entries.map((e) => e.time));
  return { file: f, entries };
}

/** What must not depend on how the sums were reached. */
function shape(d: DerivedUsage) {
  return {
    entries: d.entries.map((e) => [e.time, e.outputTokens]),
    blocks: d.blocks.map((b) => [b.start, b.from, b.to, b.totals.outputTokens]),
    days: [...d.days]
      .map(([day, s]) => [day, s.outputTokens, [...s.models].map(([m, x]) => `${m} ${x.outputTokens}`).sort(), [...s.projects].map(([p, x]) => `${p} ${x.outputTokens}`).sort()])
      .sort(),
    duplicates: d.duplicates,
    costCounts: d.costCounts,
  };
}

describe('folding appended lines into the sums', () => {
  it('gives what a full rebuild gives: appends, late lines, copies of messages, a new file, gaps that split blocks', async () => {
    const a = file('/a/1.jsonl', [entry(0, 10), entry(1, 11, 'm1'), entry(1, 11, 'm1'), entry(9, 12)]);
    const b = file('/b/1.jsonl', [entry(2, 20), entry(30, 21)]);
    const derived = await deriveUsage([a, b]);
    const c = file('/c/1.jsonl', []);
    const steps = [
      () => [append(a, [entry(9.5, 13), entry(31, 14, 'm2')])],
      // A line earlier than the last one (another session wrote it): lands inside an old block.
      () => [append(b, [entry(3, 22)])],
      () => [append(c, [entry(40, 30), entry(40.5, 31, 'm2'), entry(47, 32)]), append(b, [entry(46, 23), entry(46, 23, 'm1')])],
    ];
    for (const step of steps) {
      expect(applyAdditions(derived, step())).toBe(true);
      expect(shape(derived)).toEqual(shape(await deriveUsage([a, b, c])));
    }
    expect(derived.duplicates).toBe(3);
  });

  it('declines, changing nothing, when a new copy comes from a file read before the one whose copy counts', async () => {
    const late = file('/a/late.jsonl', [entry(10, 5, 'm1')]);
    const derived = await deriveUsage([late]);
    const before = shape(derived);
    const early = file('/a/early.jsonl', []);
    expect(applyAdditions(derived, [append(early, [entry(1, 7, 'm1')])])).toBe(false);
    expect(shape(derived)).toEqual(before);
    expect((await deriveUsage([late, early])).entries.map((e) => e.outputTokens)).toEqual([7]);
  });
});

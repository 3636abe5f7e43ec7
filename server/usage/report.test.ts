import { describe, expect, it } from 'vitest';
import { localDay, type CostSource, type UsageEntry } from './entry.js';
import { deriveUsage } from './derive.js';
import { periodDays, usageAnswer } from './report.js';
import type { TranscriptFile } from './scan.js';

interface Spec {
  at: string;
  out: number;
  cost?: number;
  key?: string;
  model?: string;
  cwd?: string;
  source?: CostSource;
}

function entry(s: Spec): UsageEntry {
  const time = Date.parse(s.at);
  return {
    time,
    day: localDay(time),
    model: s.model ?? 'claude-sonnet-4-20250514',
    inputTokens: 10,
    outputTokens: s.out,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    costUsd: s.cost ?? 0.01,
    costSource: s.source ?? 'priceTable',
    dedupKey: s.key,
    cwd: s.cwd,
  };
}

function file(path: string, project: string, specs: Spec[]): TranscriptFile {
  const entries = specs.map(entry);
  return { path, project, entries, firstTime: Math.min(...entries.map((e) => e.time)), unreadable: false };
}

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const today = localDay(NOW);

describe('summing the transcripts', () => {
  it("counts a message once however many lines and files carry it: the earliest file's copy", async () => {
    const derived = await deriveUsage([
      file('/b.jsonl', 'later', [{ at: '2026-03-10T11:00:00.000Z', out: 7, key: 'm1:r1' }]),
      file('/a.jsonl', 'earlier', [
        { at: '2026-03-10T10:00:00.000Z', out: 5, key: 'm1:r1' },
        { at: '2026-03-10T10:00:01.000Z', out: 5, key: 'm1:r1' },
        { at: '2026-03-10T10:30:00.000Z', out: 1 },
        { at: '2026-03-10T10:30:00.000Z', out: 1 },
      ]),
    ]);
    expect(derived.entries.map((e) => e.outputTokens)).toEqual([5, 1, 1]);
    expect(derived.duplicates).toBe(2);
    const answer = usageAnswer(derived, NOW);
    expect(answer.projects.map((p) => p.project)).toEqual(['earlier']);
  });

  it('gives today, 30 days oldest first with zeros, by model and by project (real path from cwd), costliest first', async () => {
    const derived = await deriveUsage([
      file('/p1/a.jsonl', '-work-shop', [
        { at: '2026-03-10T09:00:00.000Z', out: 100, cost: 1, cwd: '/work/shop' },
        { at: '2026-03-09T09:00:00.000Z', out: 50, cost: 0.5, model: 'claude-opus-4-1-20250805', source: 'transcript', cwd: '/work/shop' },
        { at: '2026-01-01T09:00:00.000Z', out: 999, cost: 99 },
      ]),
      file('/p2/b.jsonl', '-work-blog', [
        { at: '2026-03-10T10:00:00.000Z', out: 20, cost: 0.2 },
        { at: '2026-03-10T10:01:00.000Z', out: 0, cost: 0, model: '<synthetic>', source: 'none' },
        { at: '2026-03-10T10:02:00.000Z', out: 1, cost: 0.3, source: 'transcript' },
      ]),
    ]);
    const answer = usageAnswer(derived, NOW);
    expect(answer.today).toMatchObject({ date: today, outputTokens: 121, inputTokens: 40, totalTokens: 161 });
    expect(answer.today.costUsd).toBeCloseTo(1.5, 9);
    expect(answer.days).toHaveLength(30);
    expect(answer.days[29]?.date).toBe(today);
    expect(answer.days[28]).toMatchObject({ date: localDay(NOW - 86_400_000), outputTokens: 50, models: ['claude-opus-4-1-20250805'] });
    expect(answer.days[0]?.costUsd).toBe(0);
    // January is outside the 30 days: not in the tables either.
    expect(answer.models.map((m) => [m.model, m.outputTokens, m.costSource])).toEqual([
      ['claude-sonnet-4-20250514', 121, 'mixed'],
      ['claude-opus-4-1-20250805', 50, 'transcript'],
    ]);
    expect(answer.projects.map((p) => [p.project, p.path, p.outputTokens])).toEqual([
      ['-work-shop', '/work/shop', 150],
      ['-work-blog', null, 21],
    ]);
    expect(derived.unpricedModels.size).toBe(0);
  });

  it('has no active block and no burn-down when the last message is 5 hours old', async () => {
    const derived = await deriveUsage([file('/a.jsonl', 'p', [{ at: '2026-03-10T06:59:00.000Z', out: 1 }])]);
    expect(usageAnswer(derived, NOW)).toMatchObject({ activeBlock: null, burnDown: [] });
    expect(usageAnswer(derived, Date.parse('2026-03-10T07:30:00.000Z')).activeBlock).toMatchObject({ startTime: '2026-03-10T06:00:00.000Z' });
  });

  it('answers for no transcripts at all', async () => {
    const answer = usageAnswer(await deriveUsage([]), NOW);
    expect(answer).toMatchObject({ activeBlock: null, models: [], projects: [], burnDown: [] });
    expect(answer.today).toEqual({ date: today, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0, costUsd: 0 });
  });

  it('steps 30 local days back across a month end', () => {
    const days = periodDays(Date.parse('2026-03-01T12:00:00.000Z'));
    expect(days).toHaveLength(30);
    expect(new Set(days).size).toBe(30);
    expect(days[29]).toBe(localDay(Date.parse('2026-03-01T12:00:00.000Z')));
    expect(days[0]).toBe(localDay(Date.parse('2026-01-31T12:00:00.000Z')));
  });
});

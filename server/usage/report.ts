/**
 * The answer of GET /api/usage at a given time: today, the last 30 days, by
 * model and by project over them, the active block. Reads the sums
 * derive.ts keeps, so it costs microseconds.
 */
import type { UsageAnswer, UsageModel, UsageProject } from '../protocol/usage.js';
import { activeBlockAt, burnDown, describeActiveBlock } from './blocks.js';
import type { DerivedUsage, ModelSums, ProjectSums } from './derive.js';
import { localDay, type CostSource } from './entry.js';
import { add, emptyTotals, toWire } from './totals.js';

export const PERIOD_DAYS = 30;

/** The last `PERIOD_DAYS` local days, oldest first, ending with the day of `now`. */
export function periodDays(now: number): string[] {
  const d = new Date(now);
  return Array.from({ length: PERIOD_DAYS }, (_, i) => localDay(new Date(d.getFullYear(), d.getMonth(), d.getDate() - (PERIOD_DAYS - 1 - i), 12).getTime()));
}

export function usageAnswer(derived: DerivedUsage, now: number): Omit<UsageAnswer, 'source' | 'server'> {
  const period = periodDays(now);
  const today = period[period.length - 1] as string;
  const models = new Map<string, ModelSums>();
  const projects = new Map<string, ProjectSums>();
  const days = period.map((date) => {
    const day = derived.days.get(date);
    if (!day) return { date, ...toWire(emptyTotals()), models: [] };
    for (const [name, sums] of day.models) {
      const into = models.get(name) ?? { ...emptyTotals(), sources: new Set<CostSource>() };
      models.set(name, add(into, sums));
      for (const source of sums.sources) into.sources.add(source);
    }
    for (const [name, sums] of day.projects) {
      const into = projects.get(name) ?? { ...emptyTotals(), path: undefined, lastTime: -Infinity };
      projects.set(name, add(into, sums));
      if (sums.lastTime >= into.lastTime) [into.lastTime, into.path] = [sums.lastTime, sums.path ?? into.path];
    }
    return { date, ...toWire(day), models: [...day.models.keys()] };
  });
  const active = activeBlockAt(derived.blocks, derived.entries, now);
  return {
    today: { date: today, ...toWire(derived.days.get(today) ?? emptyTotals()) },
    activeBlock: active ? describeActiveBlock(active, derived.entries, now) : null,
    days,
    models: [...models].map(([model, sums]) => modelRow(model, sums)).sort(byCost),
    projects: [...projects].map(([project, sums]) => projectRow(project, sums)).sort(byCost),
    burnDown: active ? burnDown(active, derived.entries) : [],
  };
}

function modelRow(model: string, sums: ModelSums): UsageModel {
  const sources = [...sums.sources];
  return { model, ...toWire(sums), costSource: sources.length === 1 ? (sources[0] as CostSource) : 'mixed' };
}

function projectRow(project: string, sums: ProjectSums): UsageProject {
  return { project, path: sums.path ?? null, ...toWire(sums), lastActivity: new Date(sums.lastTime).toISOString() };
}

const byCost = (a: { costUsd: number; totalTokens: number }, b: { costUsd: number; totalTokens: number }) =>
  b.costUsd - a.costUsd || b.totalTokens - a.totalTokens;

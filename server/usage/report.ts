/**
 * From the files' entries to the answer of GET /api/usage.
 *
 * `deriveUsage` does the work that depends only on the transcripts (dedup,
 * sort, blocks, sums per day, per model and per project) and is redone only
 * when a refresh changed something; `usageAnswer` does what depends on the
 * time of the question (today, the last 30 days, the active block) and costs
 * microseconds.
 */
import type { CostSource, UsageEntry } from './entry.js';
import { localDay, SYNTHETIC_MODEL } from './entry.js';
import type { UsageAnswer, UsageModel, UsageProject } from '../protocol/usage.js';
import { activeBlockAt, burnDown, describeActiveBlock, identifyBlocks, type Block } from './blocks.js';
import type { TranscriptFile } from './scan.js';
import { add, emptyTotals, toWire, type Totals } from './totals.js';

interface ModelSums extends Totals {
  sources: Set<CostSource>;
}

interface ProjectSums extends Totals {
  path: string | undefined;
  lastTime: number;
}

interface DaySums extends Totals {
  models: Map<string, ModelSums>;
  projects: Map<string, ProjectSums>;
}

export interface DerivedUsage {
  /** Deduplicated, sorted by time. */
  entries: UsageEntry[];
  blocks: Block[];
  days: Map<string, DaySums>;
  duplicates: number;
  costCounts: { transcript: number; priceTable: number; none: number };
  unpricedModels: Set<string>;
}

export const PERIOD_DAYS = 30;

/**
 * As ccusage: files in the order of their earliest entry, lines in file
 * order; the first copy of a message (same message id and request id) counts.
 */
export function deriveUsage(files: Iterable<TranscriptFile>): DerivedUsage {
  const ordered = [...files].sort((a, b) => a.firstTime - b.firstTime || (a.path < b.path ? -1 : 1));
  const seen = new Set<string>();
  const entries: UsageEntry[] = [];
  const days = new Map<string, DaySums>();
  const derived: DerivedUsage = {
    entries,
    blocks: [],
    days,
    duplicates: 0,
    costCounts: { transcript: 0, priceTable: 0, none: 0 },
    unpricedModels: new Set(),
  };
  for (const file of ordered) {
    for (const entry of file.entries) {
      if (entry.dedupKey !== undefined) {
        if (seen.has(entry.dedupKey)) {
          derived.duplicates += 1;
          continue;
        }
        seen.add(entry.dedupKey);
      }
      entries.push(entry);
      count(derived, entry);
      addToDay(days, entry, file.project);
    }
  }
  // Stable: entries of the same instant keep file order, as in ccusage.
  entries.sort((a, b) => a.time - b.time);
  derived.blocks = identifyBlocks(entries);
  return derived;
}

function count(derived: DerivedUsage, entry: UsageEntry): void {
  derived.costCounts[entry.costSource] += 1;
  if (entry.costSource === 'none' && entry.model !== SYNTHETIC_MODEL) derived.unpricedModels.add(entry.model);
}

function addToDay(days: Map<string, DaySums>, entry: UsageEntry, project: string): void {
  let day = days.get(entry.day);
  if (!day) days.set(entry.day, (day = { ...emptyTotals(), models: new Map(), projects: new Map() }));
  add(day, entry);
  // ccusage leaves the CLI's own "<synthetic>" messages out of the model breakdown (they carry no tokens).
  if (entry.model !== SYNTHETIC_MODEL) {
    let model = day.models.get(entry.model);
    if (!model) day.models.set(entry.model, (model = { ...emptyTotals(), sources: new Set() }));
    add(model, entry).sources.add(entry.costSource);
  }
  let sums = day.projects.get(project);
  if (!sums) day.projects.set(project, (sums = { ...emptyTotals(), path: undefined, lastTime: -Infinity }));
  add(sums, entry);
  if (entry.time >= sums.lastTime) {
    sums.lastTime = entry.time;
    sums.path = entry.cwd ?? sums.path;
  }
}

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

/**
 * What depends only on the transcripts: each message once, every entry in
 * time order, the 5-hour blocks, and sums per day, per model and per
 * project. Built in full after the first scan (or after a file shrank or
 * vanished); lines appended since are folded in without starting over, so a
 * refresh while Claude is working costs milliseconds, not a pass over a year.
 */
import { identifyBlocks, type Block } from './blocks.js';
import { SYNTHETIC_MODEL, type CostSource, type UsageEntry } from './entry.js';
import type { Addition, TranscriptFile } from './scan.js';
import { add, emptyTotals, type Totals } from './totals.js';

export interface ModelSums extends Totals {
  sources: Set<CostSource>;
}

export interface ProjectSums extends Totals {
  path: string | undefined;
  lastTime: number;
}

export interface DaySums extends Totals {
  models: Map<string, ModelSums>;
  projects: Map<string, ProjectSums>;
}

export interface DerivedUsage {
  /** Each message once, sorted by time. */
  entries: UsageEntry[];
  blocks: Block[];
  days: Map<string, DaySums>;
  duplicates: number;
  costCounts: Record<CostSource, number>;
  unpricedModels: Set<string>;
  /** Which file's copy of each message counts. */
  winners: Map<string, TranscriptFile>;
}

/** ccusage reads files in the order of their earliest entry; the first copy of a message it meets counts. */
const fileOrder = (a: TranscriptFile, b: TranscriptFile) => a.firstTime - b.firstTime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function emptyUsage(): DerivedUsage {
  return {
    entries: [],
    blocks: [],
    days: new Map(),
    duplicates: 0,
    costCounts: { transcript: 0, priceTable: 0, none: 0 },
    unpricedModels: new Set(),
    winners: new Map(),
  };
}

/** Entries counted between two yields to the event loop while deriving in full. */
const ENTRIES_PER_SLICE = 5000;

/** Yields to the event loop now and then: a year of transcripts must not hold a request up. */
export async function deriveUsage(files: Iterable<TranscriptFile>): Promise<DerivedUsage> {
  const derived = emptyUsage();
  let sinceYield = 0;
  for (const file of [...files].sort(fileOrder)) {
    for (const entry of file.entries) if (admit(derived, file, entry)) derived.entries.push(entry);
    sinceYield += file.entries.length;
    if (sinceYield >= ENTRIES_PER_SLICE) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  // Stable: entries of the same instant keep file order, as in ccusage.
  derived.entries.sort((a, b) => a.time - b.time);
  derived.blocks = identifyBlocks(derived.entries);
  return derived;
}

/**
 * Folds appended lines into `derived`. Returns false, having changed
 * nothing, when a full `deriveUsage` is needed: when a new copy of a message
 * comes from a file ccusage reads before the one whose copy counts now.
 */
export function applyAdditions(derived: DerivedUsage, unordered: readonly Addition[]): boolean {
  const additions = [...unordered].sort((a, b) => fileOrder(a.file, b.file));
  for (const { file, entries } of additions) {
    for (const entry of entries) {
      const winner = entry.dedupKey === undefined ? undefined : derived.winners.get(entry.dedupKey);
      if (winner && winner !== file && fileOrder(file, winner) < 0) return false;
    }
  }
  let dirtyFrom = derived.entries.length;
  for (const { file, entries } of additions) {
    for (const entry of entries) {
      if (!admit(derived, file, entry)) continue;
      dirtyFrom = Math.min(dirtyFrom, insertSorted(derived.entries, entry));
    }
  }
  // Blocks before the one holding the first changed entry stay as they are.
  let keep = derived.blocks.length;
  while (keep > 0 && (derived.blocks[keep - 1] as Block).from >= dirtyFrom) keep -= 1;
  if (keep > 0) keep -= 1;
  const from = derived.blocks[keep]?.from ?? 0;
  derived.blocks = [...derived.blocks.slice(0, keep), ...identifyBlocks(derived.entries, from)];
  return true;
}

/** Counts a new entry unless it is a copy of a message already counted; true when counted. */
function admit(derived: DerivedUsage, file: TranscriptFile, entry: UsageEntry): boolean {
  if (entry.dedupKey !== undefined) {
    if (derived.winners.has(entry.dedupKey)) {
      derived.duplicates += 1;
      return false;
    }
    derived.winners.set(entry.dedupKey, file);
  }
  derived.costCounts[entry.costSource] += 1;
  if (entry.costSource === 'none' && entry.model !== SYNTHETIC_MODEL) derived.unpricedModels.add(entry.model);
  addToDay(derived.days, entry, file.project);
  return true;
}

/** Inserts after every entry of the same time or earlier; returns the index. Appending is the common case. */
function insertSorted(entries: UsageEntry[], entry: UsageEntry): number {
  const last = entries[entries.length - 1];
  if (!last || last.time <= entry.time) return entries.push(entry) - 1;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as UsageEntry).time <= entry.time) lo = mid + 1;
    else hi = mid;
  }
  entries.splice(lo, 0, entry);
  return lo;
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

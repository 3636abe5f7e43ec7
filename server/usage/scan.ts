/**
 * The CLI's transcripts (`<root>/projects/<folder>/**\/*.jsonl`), read
 * incrementally: each file's size, identity and read offset are remembered,
 * and a refresh reads only the bytes a file gained. A file that shrank, was
 * replaced (another inode) or was rewritten (the bytes before our offset
 * changed) is read again from the start.
 *
 * Reading is chunked and asynchronous, so a first scan of a year of
 * transcripts never holds the event loop for more than one chunk's parse.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseUsageLine, type UsageEntry } from './entry.js';
import type { Pricer } from './pricing.js';

export interface TranscriptFile {
  path: string;
  /** The CLI's folder name for the project: the first folder under projects/. */
  project: string;
  /** Usage lines in file order (copies of one message included: dedup is global). */
  entries: UsageEntry[];
  /** The earliest entry's time (Infinity when none): ccusage reads files in this order. */
  firstTime: number;
  unreadable: boolean;
}

interface FileState extends TranscriptFile {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes read and accounted for; a line still being written stays after it. */
  offset: number;
  /** The last bytes before `offset`, to notice a file rewritten in place. */
  guard: Buffer;
}

export interface ScanRoot {
  /** A CLI config folder (CLAUDE_CONFIG_DIR or ~/.claude). */
  path: string;
  exists: boolean;
}

/** Lines a refresh found at the end of a file. */
export interface Addition {
  file: TranscriptFile;
  entries: UsageEntry[];
}

/**
 * What a refresh found: nothing, only lines appended (in files whose
 * earliest entry stayed the earliest), or anything else (a file shrank,
 * vanished, was replaced or became unreadable), which calls for a rebuild.
 */
export type ScanChange = { kind: 'none' } | { kind: 'appended'; additions: Addition[] } | { kind: 'rebuild' };

type FileOutcome = 'same' | 'rebuild' | Addition;

export interface TranscriptIndex {
  refresh(): Promise<ScanChange>;
  files(): Iterable<TranscriptFile>;
  roots(): ScanRoot[];
}

const CHUNK_BYTES = 1 << 20;
/** Enough to hold a line's uuid and timestamp: line endings alone repeat (`"version":"2.1.330","gitBranch":"main"}`). */
const GUARD_BYTES = 1024;
/** A longer line is skipped rather than held in memory (the runner's stdout cap is the same). */
const MAX_LINE_BYTES = 64 << 20;
const MAX_DEPTH = 8;
const STAT_BATCH = 64;
const READ_CONCURRENCY = 4;
/** Only lines with this key can carry usage; the rest are never parsed. */
const USAGE_KEY = '"usage"';

export function createTranscriptIndex(rootPaths: readonly string[], pricer: Pricer): TranscriptIndex {
  const states = new Map<string, FileState>();
  let roots: ScanRoot[] = rootPaths.map((path) => ({ path, exists: false }));

  async function refresh(): Promise<ScanChange> {
    const found = new Map<string, string>();
    roots = await Promise.all(
      rootPaths.map(async (path) => {
        const projects = join(path, 'projects');
        const exists = await listJsonl(projects, projects, 0, found);
        return { path, exists };
      }),
    );
    let rebuild = false;
    for (const [path, state] of states) {
      if (found.has(path)) continue;
      rebuild ||= state.entries.length > 0;
      states.delete(path);
    }
    const work: Array<() => Promise<FileOutcome>> = [];
    const paths = [...found];
    for (let i = 0; i < paths.length; i += STAT_BATCH) {
      const batch = paths.slice(i, i + STAT_BATCH);
      const stats = await Promise.all(batch.map(([path]) => stat(path).catch(() => undefined)));
      for (const [j, [path, project]] of batch.entries()) {
        const s = stats[j];
        const state = states.get(path);
        // Gone since the listing, or not a regular file (opening a FIFO would wait for a writer forever).
        if (!s || !s.isFile()) {
          rebuild ||= (state?.entries.length ?? 0) > 0;
          states.delete(path);
          continue;
        }
        if (state && state.size === s.size && state.mtimeMs === s.mtimeMs && state.ino === s.ino && state.dev === s.dev && !state.unreadable) continue;
        const target = state ?? newState(path, project);
        states.set(path, target);
        work.push(() => update(target, { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs }));
      }
    }
    const additions: Addition[] = [];
    for (const outcome of await pool(work, READ_CONCURRENCY)) {
      if (outcome === 'rebuild') rebuild = true;
      else if (outcome !== 'same') additions.push(outcome);
    }
    if (rebuild) return { kind: 'rebuild' };
    return additions.length > 0 ? { kind: 'appended', additions } : { kind: 'none' };
  }

  async function update(state: FileState, seen: Pick<FileState, 'dev' | 'ino' | 'size' | 'mtimeMs'>): Promise<FileOutcome> {
    const hadEntries = state.entries.length > 0;
    try {
      const handle = await open(state.path, 'r');
      try {
        const replaced = state.dev !== seen.dev || state.ino !== seen.ino || seen.size < state.offset;
        const restart = replaced || !(await guardHolds(handle, state));
        if (restart) reset(state);
        Object.assign(state, seen, { unreadable: false });
        const kept = state.entries.length;
        const firstBefore = state.firstTime;
        await readFrom(handle, state, pricer);
        state.guard = await readGuard(handle, state.offset);
        // An earlier entry moves the file in ccusage's reading order, which decides among copies of a message.
        if ((restart && hadEntries) || (kept > 0 && state.firstTime < firstBefore)) return 'rebuild';
        return state.entries.length > kept ? { file: state, entries: state.entries.slice(kept) } : 'same';
      } finally {
        await handle.close();
      }
    } catch {
      // Unreadable (permissions, gone between stat and open): counted, retried next time.
      reset(state);
      Object.assign(state, seen, { unreadable: true });
      return hadEntries ? 'rebuild' : 'same';
    }
  }

  return { refresh, files: () => states.values(), roots: () => roots };
}

function newState(path: string, project: string): FileState {
  return { path, project, entries: [], firstTime: Infinity, unreadable: false, dev: -1, ino: -1, size: 0, mtimeMs: 0, offset: 0, guard: Buffer.alloc(0) };
}

function reset(state: FileState): void {
  state.entries = [];
  state.firstTime = Infinity;
  state.offset = 0;
  state.guard = Buffer.alloc(0);
}

/** Collects `*.jsonl` below `dir` into `found` (path → project folder); false when `dir` cannot be listed. */
async function listJsonl(dir: string, projectsDir: string, depth: number, found: Map<string, string>): Promise<boolean> {
  let items: Dirent[];
  try {
    items = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const item of items) {
    const path = join(dir, item.name);
    if (item.isDirectory() && depth < MAX_DEPTH) await listJsonl(path, projectsDir, depth + 1, found);
    // Symlinked files are followed (stat), symlinked folders are not: no loops.
    else if ((item.isFile() || item.isSymbolicLink()) && item.name.endsWith('.jsonl')) {
      found.set(path, relative(projectsDir, path).split(sep)[0] ?? 'unknown');
    }
  }
  return true;
}

async function guardHolds(handle: FileHandle, state: FileState): Promise<boolean> {
  if (state.guard.length === 0) return true;
  const now = Buffer.alloc(state.guard.length);
  const { bytesRead } = await handle.read(now, 0, now.length, state.offset - state.guard.length);
  return bytesRead === now.length && now.equals(state.guard);
}

async function readGuard(handle: FileHandle, offset: number): Promise<Buffer> {
  const guard = Buffer.alloc(Math.min(GUARD_BYTES, offset));
  const { bytesRead } = await handle.read(guard, 0, guard.length, offset - guard.length);
  return guard.subarray(0, bytesRead);
}

/** Reads [offset, size): whole lines are parsed; a last line without its newline is taken only if it is complete JSON. */
async function readFrom(handle: FileHandle, state: FileState, pricer: Pricer): Promise<void> {
  let position = state.offset;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  while (position < state.size) {
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, state.size - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const data = chunk.subarray(0, bytesRead);
    const newline = data.lastIndexOf(10);
    if (newline === -1) {
      if (skipping) continue;
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes > MAX_LINE_BYTES) [pending, pendingBytes, skipping] = [[], 0, true];
      continue;
    }
    const whole = Buffer.concat([...pending, data.subarray(0, newline + 1)]);
    // The first line of a skipped giant ends at the first newline: drop up to there.
    const text = skipping ? whole.subarray(whole.indexOf(10) + 1).toString('utf8') : whole.toString('utf8');
    skipping = false;
    collect(text, state, pricer);
    state.offset = position - (data.length - newline - 1);
    pending = [data.subarray(newline + 1)];
    pendingBytes = pending[0]?.length ?? 0;
  }
  const tail = Buffer.concat(pending);
  if (!skipping && tail.length > 0 && isCompleteJson(tail)) {
    collect(tail.toString('utf8'), state, pricer);
    state.offset = position;
  }
}

function isCompleteJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Parses the lines of `text` that mention usage. */
function collect(text: string, state: FileState, pricer: Pricer): void {
  let at = text.indexOf(USAGE_KEY);
  while (at !== -1) {
    const start = text.lastIndexOf('\n', at) + 1;
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    const entry = parseUsageLine(text.slice(start, end), pricer);
    if (entry) {
      state.entries.push(entry);
      if (entry.time < state.firstTime) state.firstTime = entry.time;
    }
    at = text.indexOf(USAGE_KEY, end);
  }
}

async function pool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

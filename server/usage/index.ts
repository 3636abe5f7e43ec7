/**
 * Machine-wide usage: the CLI's transcripts, kept indexed in the background
 * (a watch on each projects/ folder, and a rescan every `scanIntervalMs` in
 * case the watch misses something or cannot be set up), so a question is
 * answered from memory.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import type { UsageAnswer } from '../protocol/usage.js';
import { PRICE_TABLE } from './prices.js';
import { createPricer, type PriceTable } from './pricing.js';
import { applyAdditions, deriveUsage, emptyUsage, type DerivedUsage } from './derive.js';
import { usageAnswer } from './report.js';
import { createTranscriptIndex } from './scan.js';

export interface UsageServiceOptions {
  /** CLI config folders, each holding a projects/ folder (see `transcriptRoots`). */
  roots: readonly string[];
  scanIntervalMs: number;
  now?: () => number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, extra?: unknown) => void;
  /** Today's runs through this server, added to the answer as `server`. */
  serverTotals?: () => Promise<NonNullable<UsageAnswer['server']>>;
  priceTable?: PriceTable;
  /** Watch the folders for changes (default true); the periodic rescan runs either way. */
  watch?: boolean;
}

export interface UsageService {
  /** Starts the first scan and the background refreshes. */
  start(): void;
  close(): Promise<void>;
  /** Waits for the first scan, then answers from memory. */
  summary(): Promise<UsageAnswer>;
  /** One incremental pass now (several callers during a pass share the next one). */
  refresh(): Promise<void>;
}

/** After a change is seen, wait this long for the writer to finish its burst. */
const WATCH_DEBOUNCE_MS = 250;

/**
 * Where the CLI keeps its transcripts for this environment: every folder in
 * CLAUDE_CONFIG_DIR (comma-separated, as ccusage reads it), else ~/.claude.
 */
export function transcriptRoots(env: Record<string, string | undefined>, home: string): string[] {
  const configured = (env.CLAUDE_CONFIG_DIR ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const roots = configured.length > 0 ? configured.map((p) => resolve(p)) : [join(env.HOME || home, '.claude')];
  return [...new Set(roots)];
}

export function createUsageService(options: UsageServiceOptions): UsageService {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const table = options.priceTable ?? PRICE_TABLE;
  const index = createTranscriptIndex(options.roots, createPricer(table));
  let derived: DerivedUsage = emptyUsage();
  let scannedAt: number | undefined;
  let firstScan: Promise<void> | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let closed = false;
  const watchers = new Map<string, FSWatcher>();

  async function pass(): Promise<void> {
    try {
      const change = await index.refresh();
      if (change.kind === 'rebuild' || (change.kind === 'appended' && !applyAdditions(derived, change.additions))) {
        derived = await deriveUsage(index.files());
      }
      scannedAt = now();
      if (options.watch !== false) armWatchers();
    } catch (err) {
      log('warn', 'usage scan failed', err);
    }
  }

  function refresh(): Promise<void> {
    if (!running) {
      running = pass().finally(() => (running = undefined));
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return refresh();
    });
    return queued;
  }

  function armWatchers(): void {
    for (const root of index.roots()) {
      if (closed || !root.exists || watchers.has(root.path)) continue;
      try {
        const watcher = watch(join(root.path, 'projects'), { recursive: true, persistent: false }, watcherOnChange);
        // A watch that breaks (the folder removed, inotify limits) is dropped; the next rescan sets it up again.
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(root.path);
        });
        watchers.set(root.path, watcher);
      } catch (err) {
        log('debug', `cannot watch ${root.path}; rescanning every ${options.scanIntervalMs} ms`, err);
      }
    }
  }

  function watcherOnChange(): void {
    clearTimeout(debounce);
    debounce = setTimeout(() => void refresh(), WATCH_DEBOUNCE_MS);
    debounce.unref();
  }

  return {
    start() {
      firstScan ??= refresh();
      timer ??= setInterval(() => void refresh(), options.scanIntervalMs);
      timer.unref();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      clearTimeout(debounce);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
      await running;
    },
    refresh,
    async summary() {
      await (firstScan ??= refresh());
      const server = await options.serverTotals?.();
      const files = [...index.files()];
      return {
        ...usageAnswer(derived, now()),
        source: {
          roots: index.roots(),
          files: files.length,
          unreadableFiles: files.filter((f) => f.unreadable).length,
          entries: derived.entries.length,
          duplicates: derived.duplicates,
          costs: {
            fromTranscript: derived.costCounts.transcript,
            fromPriceTable: derived.costCounts.priceTable,
            unpriced: derived.costCounts.none,
            unpricedModels: [...derived.unpricedModels],
          },
          priceTable: { takenAt: table.takenAt, models: Object.keys(table.models).length, sources: table.sources },
          scannedAt: scannedAt === undefined ? null : new Date(scannedAt).toISOString(),
          timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        },
        ...(server ? { server } : {}),
      };
    },
  };
}

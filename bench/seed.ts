/**
 * A data directory as a long-used server leaves it, made fast: the store's
 * own API (createSqliteStore: createSession, enqueueRun, appendEvents in
 * batches of whole runs, each batch one transaction), not a hand-written
 * schema, so the file is what the server itself would have written.
 *
 * Every session holds finished runs of 100 events each: run.queued,
 * run.started, 95 text deltas, the message, usage and run.finished, about
 * the shape (and share of deltas) of a real streamed answer.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewEvent, TokenUsage } from '../server/protocol/events.js';
import type { RunRecord, SessionRecord } from '../server/core/store.js';
import { createSqliteStore } from '../server/store/sqlite.js';

export const EVENTS_PER_RUN = 100;
const DELTAS_PER_RUN = EVENTS_PER_RUN - 5;
const RUNS_PER_BATCH = 10;

const USAGE: TokenUsage = { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5000, cacheWriteTokens: 0 };

function runEvents(sessionId: string, runId: string, n: number): NewEvent[] {
  const words = ['Looking', ' at', ' the', ' failing', ' test,', ' the', ' reducer', ' drops', ' the', ' event.'];
  const deltas: NewEvent[] = Array.from({ length: DELTAS_PER_RUN }, (_, i) => ({ type: 'assistant.delta', sessionId, runId, text: words[i % words.length] as string }));
  const text = deltas.map((d) => (d.type === 'assistant.delta' ? d.text : '')).join('');
  return [
    { type: 'run.queued', sessionId, runId, prompt: `Prompt ${n}: fix the failing reducer test and run the suite again.`, position: 1 },
    { type: 'run.started', sessionId, runId, pid: 4242, claudeSessionId: sessionId },
    ...deltas,
    { type: 'assistant.message', sessionId, runId, text },
    { type: 'usage', sessionId, runId, ...USAGE },
    { type: 'run.finished', sessionId, runId, status: 'success', result: text, costUsd: 0.01, usage: USAGE, durationMs: 4200, numTurns: 1 },
  ];
}

function sessionRecord(id: string, dataDir: string, runs: number, at: string): SessionRecord {
  return {
    id,
    name: `Session ${id.slice(0, 8)}`,
    cwd: join(dataDir, 'sessions', id),
    ownFolder: true,
    options: {},
    claudeSessionId: randomUUID(),
    claudeStarted: true,
    origin: 'api',
    costUsd: 0.01 * runs,
    runs,
    usage: USAGE,
    createdAt: at,
    updatedAt: at,
  };
}

export interface Seeded {
  sessionIds: string[];
  events: number;
  ms: number;
}

/** Writes `sessions` sessions of `runsPerSession` finished runs into `dataDir`'s database. */
export async function seedDataDir(dataDir: string, sessions: number, runsPerSession: number): Promise<Seeded> {
  const t0 = Date.now();
  await mkdir(join(dataDir, 'sessions'), { recursive: true });
  const store = createSqliteStore({ file: join(dataDir, 'claude-remote.db') });
  const sessionIds: string[] = [];
  let events = 0;
  try {
    const at = new Date().toISOString();
    for (let s = 0; s < sessions; s++) {
      const id = randomUUID();
      sessionIds.push(id);
      await store.createSession(sessionRecord(id, dataDir, runsPerSession, at));
      for (let first = 0; first < runsPerSession; first += RUNS_PER_BATCH) {
        const batch: NewEvent[] = [];
        for (let r = first; r < Math.min(runsPerSession, first + RUNS_PER_BATCH); r++) {
          const run: RunRecord = {
            id: randomUUID(),
            sessionId: id,
            prompt: `Prompt ${r}`,
            state: 'success',
            enqueuedAt: at,
            startedAt: at,
            finishedAt: at,
            costUsd: 0.01,
            usage: USAGE,
            durationMs: 4200,
            numTurns: 1,
          };
          await store.enqueueRun(run);
          batch.push(...runEvents(id, run.id, r));
        }
        events += (await store.appendEvents(batch, at)).length;
      }
    }
  } finally {
    await store.close();
  }
  return { sessionIds, events, ms: Date.now() - t0 };
}

/** Bump when what seedDataDir writes changes: an older cached directory is then made again. */
const HISTORY_VERSION = 1;
/** A changed store (schema, encoding) makes the cached directory stale too. */
const STORE_HASH = createHash('sha256')
  .update(readFileSync(fileURLToPath(new URL('../server/store/sqlite.ts', import.meta.url))))
  .digest('hex')
  .slice(0, 12);
const CACHE_DIR = fileURLToPath(new URL(`../test-results/bench-cache/history-v${HISTORY_VERSION}-${STORE_HASH}/`, import.meta.url));

export interface History {
  dataDir: string;
  sessions: number;
  events: number;
  /** A session with more than `behind` events, for catch-up. */
  longId: string;
  longEvents: number;
  /** How long seeding took (when it was done, maybe by an earlier run). */
  seedMs: number;
  reused: boolean;
}

/**
 * `sessions` sessions of 10 runs (100 events each) plus one long session,
 * kept under test-results/ (ignored by git) and reused by later runs: making
 * a million events takes half a minute on a busy 2-core machine. The
 * manifest is written last, so a seed that was cut short is made again.
 */
export async function history(sessions: number, behind: number): Promise<History> {
  const manifest = join(CACHE_DIR, 'manifest.json');
  if (existsSync(manifest)) {
    const cached = JSON.parse(readFileSync(manifest, 'utf8')) as Omit<History, 'dataDir' | 'reused'>;
    if (cached.sessions === sessions + 1 && cached.longEvents > behind) return { ...cached, dataDir: CACHE_DIR, reused: true };
  }
  await rm(CACHE_DIR, { recursive: true, force: true });
  const seeded = await seedDataDir(CACHE_DIR, sessions, 10);
  const long = await seedDataDir(CACHE_DIR, 1, Math.ceil((behind * 1.2) / EVENTS_PER_RUN));
  const made = {
    sessions: sessions + 1,
    events: seeded.events + long.events,
    longId: long.sessionIds[0] as string,
    longEvents: long.events,
    seedMs: seeded.ms + long.ms,
  };
  await writeFile(manifest, JSON.stringify(made));
  return { ...made, dataDir: CACHE_DIR, reused: false };
}

/**
 * Scale: many sessions, much history.
 *
 * - Makespan: 50 sessions × 2 queued prompts of the scripted CLI with
 *   MAX_CONCURRENT_RUNS=4, against the ideal: (runs × one run alone) / 4.
 * - Idle memory with 100 sessions stored (each ran once), warm processes
 *   off, the compiled server as its own process: RSS once it has settled
 *   after the work, and again after a restart, with what makes it up.
 * - Cold start (spawn → /health answering) with 1,000 sessions and
 *   1,000,000 events (seed.ts), against an empty data directory.
 * - Catch-up: a client 10,000 events behind, over SSE and WS.
 *
 * Servers are started with spawnServerProcess; the compiled one (`npm run
 * build:server`, what `claude-remote` runs) unless said otherwise: tsx
 * transpiles at start-up and keeps its loader in memory.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { buildCliArgs } from '../server/core/cli/args.js';
import { fake, FAKE_CLAUDE, tempDir } from '../test/support/server.js';
import { buildServerOnce, startChildServer, type ChildServer } from './child-server.js';
import { ANY_EVENT, now, openClient, openWsClient, RUN_FINISHED, type Transport } from './clients.js';
import { memoryParts, reportOnSignal, sleep, v8Heap } from './proc.js';
import { history } from './seed.js';
import { goalFigure, median, mib, ms, ratio, sum, type Figure, type SectionResult } from './stats.js';

const S = 'scale' as const;
const WORK_MS = 300;
const IDLE_SETTLE_MS = 5000;
const BEHIND = 10_000;

/** One scripted run alone, spawn → result line: the unit of work of the makespan. */
async function oneRunAlone(prompt: string): Promise<number> {
  const args = buildCliArgs({ options: {}, claudeSessionId: randomUUID(), resume: false, permissionPrompts: true });
  const t0 = now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(FAKE_CLAUDE, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
      if (out.includes('"type":"result"')) resolve();
    });
    child.once('error', reject);
    child.stdin.end(`${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`);
  });
  return now() - t0;
}

interface Makespan {
  span: number;
  durations: number[];
  failed: number;
  /** What the first failed run said. */
  firstError?: string | undefined;
  peakFds: number;
  error?: string | undefined;
}

/** 50 sessions × 2 prompts on a server of its own (it may not survive: see the note on open files). */
async function makespan(prompt: string, warm: boolean, timeoutMs: number): Promise<Makespan> {
  const SESSIONS = 50;
  const total = SESSIONS * 2;
  const server = await startChildServer({ MAX_CONCURRENT_RUNS: '4', WARM_PREWARM: 'false', ...(warm ? {} : { WARM_MAX: '0' }) });
  let peakFds = 0;
  // Open files of the server: the warm pool's /proc reads pile up under load.
  const sampler = setInterval(() => {
    try {
      peakFds = Math.max(peakFds, readdirSync(`/proc/${server.pid}/fd`).length);
    } catch {
      // it exited
    }
  }, 100);
  const watcher = await openWsClient(server.url, undefined, 0);
  try {
    const ids: string[] = [];
    for (let i = 0; i < SESSIONS; i++) ids.push((await server.api<{ id: string }>('POST', '/api/sessions', {})).id);
    const t0 = now();
    for (let p = 0; p < total / SESSIONS; p++) for (const id of ids) await server.api('POST', `/api/sessions/${id}/messages`, { prompt });
    const died = server.process.exited.then((code) => Promise.reject(new Error(`the server exited (${code}) with runs queued`)));
    await Promise.race([watcher.waitFor(RUN_FINISHED, total, timeoutMs), died]);
    const ends = watcher.received().flatMap((r) => (r.event.type === 'run.finished' ? [r] : []));
    const last = ends[ends.length - 1];
    return {
      span: (last?.at ?? NaN) - t0,
      durations: ends.map((r) => (r.event.type === 'run.finished' ? r.event.durationMs : NaN)),
      failed: ends.filter((r) => r.event.type === 'run.finished' && r.event.status !== 'success').length,
      firstError: ends.flatMap((r) => (r.event.type === 'run.finished' && r.event.status !== 'success' ? [`${r.event.errorKind}: ${r.event.error ?? ''}`] : []))[0]?.slice(0, 200),
      peakFds,
    };
  } catch (err) {
    // pino JSON lines: level 50 is an error.
    const tail = server.process.output().split('\n').filter((l) => /EMFILE|"level":50|ERROR/.test(l)).slice(0, 2).join(' / ');
    return { span: NaN, durations: [], failed: NaN, peakFds, error: `${(err as Error).message}; server log: ${tail.slice(0, 300)}` };
  } finally {
    clearInterval(sampler);
    watcher.close();
    await server.close();
  }
}

async function makespans(): Promise<SectionResult> {
  const prompt = fake([{ sleep: WORK_MS }, { text: 'done', chunks: 3 }]);
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) alone.push(await oneRunAlone(prompt));
  const ideal = (100 * median(alone)) / 4;
  const name = (warm: boolean) => `Makespan, 50 sessions × 2 queued prompts (${WORK_MS} ms of work each), MAX_CONCURRENT_RUNS=4, ${warm ? 'warm processes on (defaults)' : 'WARM_MAX=0'}`;
  const figures: Figure[] = [];
  const notes: string[] = [];
  // One after the other: they would share the two cores.
  for (const warm of [false, true]) {
    // Bounded: with warm processes on, the server may take minutes (see its open files).
    const m = await makespan(prompt, warm, Math.max(30_000, ideal * 2));
    if (m.peakFds > 5000) {
      notes.push(
        `With ${warm ? 'warm processes on' : 'WARM_MAX=0'} the server's open files climbed to ${m.peakFds.toLocaleString('en')}: at every turn's end the warm pool measures its processes ` +
          '(WarmPool.#enforceMemory → readTreeStats), each measurement reading every /proc/<pid>/stat of the machine at once, and under a queue these reads pile up faster than they finish; ' +
          'spawns then fail with EMFILE.',
      );
    }
    if (m.error !== undefined) {
      figures.push({ section: S, name: name(warm), value: `did not finish (the server's open files peaked at ${m.peakFds.toLocaleString('en')})`, note: m.error });
      continue;
    }
    figures.push({
      section: S,
      name: name(warm),
      value: `${ms(m.span, 0)} = ${ratio(m.span / ideal)} the ideal ${ms(ideal, 0)}`,
      note:
        `ideal = 100 runs × one run alone (${ms(median(alone), 0)}, spawn → result) / 4; runs took ${ms(median(m.durations), 0)} each in the server (sum / 4 = ${ms(sum(m.durations) / 4, 0)}); ` +
        `${m.failed} failed${m.firstError ? ` (first: ${m.firstError})` : ''}; the server's open files peaked at ${m.peakFds.toLocaleString('en')}; 4 runs on 2 cores`,
    });
  }
  return { figures, notes };
}

/** Runs one echo prompt in each of `count` new sessions and waits until all are done. */
async function fillSessions(server: ChildServer, count: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await server.api<{ id: string }>('POST', '/api/sessions', {})).id);
  for (const id of ids) await server.api('POST', `/api/sessions/${id}/messages`, { prompt: 'hello' });
  for (;;) {
    const { sessions } = await server.api<{ sessions: Array<{ status: string; queueLength: number; totals: { runs: number } }> }>('GET', '/api/sessions');
    if (sessions.every((s) => s.status === 'idle' && s.queueLength === 0 && s.totals.runs === 1)) return;
    await sleep(200);
  }
}

interface Memory {
  rss: number;
  anon: number;
  file: number;
  heapUsed: number;
  heapTotal: number;
}

async function settledMemory(server: ChildServer, reports: string): Promise<Memory> {
  await sleep(IDLE_SETTLE_MS);
  const parts = memoryParts(server.pid);
  const heap = await v8Heap(server.pid, reports);
  return { ...parts, heapUsed: heap.used, heapTotal: heap.total };
}

const describeMemory = (m: Memory) => `${mib(m.rss)} (anonymous ${mib(m.anon)}, file-backed ${mib(m.file)}; V8 heap ${mib(m.heapUsed)} used of ${mib(m.heapTotal)})`;

/** The compiled server, as `claude-remote` runs it (tsx adds about 35 MiB of its own). */
async function idleMemory(): Promise<Figure> {
  const reports = await tempDir('cr-bench-reports-');
  // The report (on SIGUSR2) gives the V8 heap; it is written only when asked.
  const env = { WARM_MAX: '0', MAX_CONCURRENT_RUNS: '4', NODE_OPTIONS: reportOnSignal(reports) };
  const first = await startChildServer(env, { built: true });
  let afterWork: Memory;
  let afterRestart: Memory;
  try {
    await fillSessions(first, 100);
    afterWork = await settledMemory(first, reports);
    await first.stop();
    const second = await startChildServer(env, { built: true, dataDir: first.dataDir });
    afterRestart = await settledMemory(second, reports);
    await second.stop();
  } finally {
    await first.close();
    await rm(reports, { recursive: true, force: true });
  }
  return goalFigure(
    S,
    'Server RSS idle, 100 sessions stored (each ran once), WARM_MAX=0, compiled server',
    `after the work ${describeMemory(afterWork)}; after a restart ${describeMemory(afterRestart)}`,
    '< 80 MiB',
    Math.max(afterWork.rss, afterRestart.rss) < 80 * 2 ** 20,
    `${IDLE_SETTLE_MS / 1000} s idle first; VmRSS, RssAnon, RssFile from /proc; file-backed pages are mostly the node binary, shared with other node processes`,
  );
}

/** Spawn → /health 200, and spawn → "listening" logged. */
async function coldStart(env: Record<string, string>, dataDir: string | undefined, built: boolean): Promise<{ health: number; listening: number }> {
  const t0 = now();
  const server = await startChildServer(env, { built, ...(dataDir ? { dataDir } : {}) });
  const listening = now() - t0;
  for (;;) {
    const ok = await fetch(`${server.url}/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(5);
  }
  const health = now() - t0;
  await server.close();
  return { health, listening };
}

async function catchUp(server: ChildServer, sessionId: string, last: number, transport: Transport): Promise<number> {
  const t0 = now();
  const client = await openClient(transport, server.url, sessionId, last - BEHIND, { markers: [ANY_EVENT] });
  await client.waitFor(ANY_EVENT, BEHIND);
  const elapsed = now() - t0;
  client.close();
  return elapsed;
}

async function coldStartAndCatchUp(): Promise<SectionResult> {
  const data = await history(1000, BEHIND);
  const env = { WARM_MAX: '0' };
  const cold: Record<'empty' | 'full', Array<{ health: number; listening: number }>> = { empty: [], full: [] };
  for (let i = 0; i < 3; i++) {
    cold.empty.push(await coldStart(env, undefined, true));
    cold.full.push(await coldStart(env, data.dataDir, true));
  }
  const server = await startChildServer(env, { built: true, dataDir: data.dataDir });
  const catchUps: Record<Transport, number[]> = { sse: [], ws: [] };
  try {
    await catchUp(server, data.longId, data.longEvents, 'sse'); // warm-up: page cache, JIT
    for (let i = 0; i < 5; i++) for (const t of ['sse', 'ws'] as const) catchUps[t].push(await catchUp(server, data.longId, data.longEvents, t));
  } finally {
    await server.stop();
  }
  const h = (list: Array<{ health: number; listening: number }>) => `${ms(median(list.map((c) => c.health)), 0)} (listening at ${ms(median(list.map((c) => c.listening)), 0)})`;
  const figures: Figure[] = [
    {
      section: S,
      name: `Cold start of the compiled server, spawn → /health 200, ${data.sessions.toLocaleString('en')} sessions and ${data.events.toLocaleString('en')} events`,
      value: `${h(cold.full)}; with an empty data dir ${h(cold.empty)}`,
      note: `medians of 3; the data was written with the store's own API (seed.ts) in ${(data.seedMs / 1000).toFixed(0)} s${data.reused ? ', by an earlier run (kept in test-results/bench-cache)' : ''}`,
    },
    ...(['sse', 'ws'] as const).map((t) => {
      const m = median(catchUps[t]);
      return {
        section: S,
        name: `Catch-up of a client ${BEHIND.toLocaleString('en')} events behind, ${t.toUpperCase()}`,
        value: `${ms(m, 0)} (${Math.round((BEHIND / m) * 1000).toLocaleString('en')} events/s)`,
        note: 'connect → the 10,000th event received; median of 5, compiled server',
      };
    }),
  ];
  return { figures, notes: [] };
}

export async function benchScale(): Promise<SectionResult> {
  await buildServerOnce();
  const queue = await makespans();
  const memory = await idleMemory();
  const rest = await coldStartAndCatchUp();
  return { figures: [...queue.figures, memory, ...rest.figures], notes: [...queue.notes, ...rest.notes] };
}

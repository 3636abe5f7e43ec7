/**
 * `npm run soak`: a thousand prompts through the real server and the
 * scripted CLI, with everything that goes wrong in real life at once: CLI
 * crashes, hangs, API errors, slow streams and tool calls; WebSocket
 * clients cut mid-run that come back and re-send; SSE followers that drop
 * and resume with Last-Event-ID; and one `kill -9` of the server halfway,
 * then a restart on the same data folder. It prints what was accepted and
 * what finished, and exits 1 unless nothing was lost, nothing duplicated and
 * no process left behind. It measures; it asserts nothing else.
 *
 *   node --import tsx scripts/soak.ts [--seed=N] [--prompts=1000] [--sessions=20]
 *        [--concurrency=4] [--keep]      (docs/reliability.md)
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { drive, type HttpStats } from './soak/drivers.js';
import { startFollower, type Follower } from './soak/followers.js';
import { Ledger } from './soak/ledger.js';
import { heapUsedBytes, startMemorySeries } from './soak/memory.js';
import { fakeSpawns, leftovers } from './soak/procs.js';
import { createRandom, type Random } from './soak/random.js';
import { printReport } from './soak/report.js';
import { summariseServerLog } from './soak/server-log.js';
import { makeScenario } from './soak/scenarios.js';
import { OWNER_VAR, ServerLife } from './soak/server-life.js';
import { clientAddress, sleep, type Target } from './soak/target.js';
import { judge, readSession, type SessionRecordFromServer } from './soak/verify.js';
import { startWsClient, type WsClient } from './soak/ws-client.js';

const { values: flags } = parseArgs({
  options: {
    seed: { type: 'string' },
    prompts: { type: 'string', default: '1000' },
    sessions: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
  },
});
const SEED = flags.seed !== undefined ? Number(flags.seed) : Math.floor(Math.random() * 2 ** 31);
const PROMPTS = Number(flags.prompts);
const SESSIONS = Number(flags.sessions);
const WS_CLIENTS = 4;

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) if (check()) return true;
  console.log(`  (gave up waiting for ${what} after ${timeoutMs / 1000} s)`);
  return false;
}

function serverEnv(work: string): Record<string, string> {
  return {
    DATA_DIR: join(work, 'data'),
    ALLOWED_ROOTS: work,
    MAX_CONCURRENT_RUNS: String(flags.concurrency),
    // Hangs ignore interrupts and SIGTERM: the idle limit ends them, the stop ladder (3 x KILL_GRACE_MS) kills them.
    RUN_IDLE_TIMEOUT_S: '3',
    RUN_TIMEOUT_S: '30',
    KILL_GRACE_MS: '250',
    WARM_MAX: '8',
    // The "listening on" line spawnServerProcess waits for is an info line.
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    FAKE_CLAUDE_LOG: join(work, 'fake-claude.log'),
    FAKE_CLAUDE_LOG_ENV: OWNER_VAR,
    FAKE_CLAUDE_STATE_DIR: join(work, 'fake-state'),
  };
}

/** The prompts, each for a random session; 3 of 5 sessions speak WebSocket, the rest HTTP. */
function planPrompts(ledger: Ledger, sessionIds: readonly string[], random: Random, viaWs: (s: number) => boolean): void {
  for (let i = 0; i < PROMPTS; i++) {
    const s = random.int(0, sessionIds.length - 1);
    const scenario = makeScenario(random, `p${i}`);
    ledger.add({ index: i, sessionId: sessionIds[s] as string, clientRequestId: `soak-${SEED}-${i}`, kind: scenario.kind, prompt: scenario.prompt, via: viaWs(s) ? 'ws' : 'http' });
  }
}

/** Waits until every follower has each session's last seq, stops them all, and counts what one never got as missing. */
async function windDown(target: Target, ledger: Ledger, clients: ReadonlyArray<{ stop(): Promise<void> }>): Promise<void> {
  // A long soak can end with long queues: wait while runs still end, give up only after a minute with none.
  const allEnded = () => ledger.prompts.every((p) => p.runId === undefined || ledger.isFinished(p.runId));
  for (let seen = -1; seen !== ledger.finishedCount && !allEnded(); ) {
    seen = ledger.finishedCount;
    await waitFor('every accepted run to end', () => allEnded() || ledger.finishedCount !== seen, 60_000);
  }
  await sleep(500); // the session.updated that follows each run.finished
  const { sessions } = await api<{ sessions: Array<{ id: string; lastSeq: number }> }>(target.url, 'GET', '/api/sessions');
  const lastSeq = new Map(sessions.map((s) => [s.id, s.lastSeq]));
  const caughtUp = () => [...ledger.seqChecks.values()].every((m) => [...m].every(([sid, check]) => check.last >= (lastSeq.get(sid) ?? 0)));
  await waitFor('the followers to catch up', caughtUp, 30_000);
  target.stopping = true;
  await Promise.all(clients.map((c) => c.stop()));
  for (const bySession of ledger.seqChecks.values()) {
    for (const [sid, check] of bySession) check.missing += Math.max(0, (lastSeq.get(sid) ?? 0) - check.last);
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const random = createRandom(SEED);
  console.log(`soak: seed ${SEED}, ${PROMPTS} prompts over ${SESSIONS} sessions, MAX_CONCURRENT_RUNS ${flags.concurrency}`);
  const work = await realpath(await mkdtemp(join(tmpdir(), 'cr-soak-')));
  await mkdir(join(work, 'fake-state'), { recursive: true });
  const target: Target = { url: '', stopping: false };
  const life = await ServerLife.start(serverEnv(work), target, () => {
    // Its CLIs outlive it (as after a kill -9): leave the work folder for a look, end the soak.
    console.error(`kept for a look: ${work}`);
    process.exit(2);
  });
  // Stopped by hand: the server stops its CLIs as on any SIGTERM, then we go.
  const onSignal = (signal: NodeJS.Signals) => {
    console.log(`${signal}: stopping the server`);
    target.stopping = true;
    void life.shutdown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const sessionIds: string[] = [];
    for (let i = 0; i < SESSIONS; i++) sessionIds.push((await api<{ id: string }>(target.url, 'POST', '/api/sessions', { name: `soak ${i}` })).id);
    const ledger = new Ledger();
    const viaWs = (s: number) => s % 5 < 3;
    planPrompts(ledger, sessionIds, random.fork('scenarios'), viaWs);

    const wsSessions = sessionIds.filter((_, s) => viaWs(s));
    const wsClients: WsClient[] = Array.from({ length: WS_CLIENTS }, (_, n) =>
      startWsClient(target, ledger, {
        name: `ws${n}`,
        sessions: wsSessions.filter((_, i) => i % WS_CLIENTS === n),
        localAddress: clientAddress(n),
        random: random.fork(`ws${n}`),
        cutAfterMs: [1500, 6000],
        cutAfterSubmit: 0.05,
      }),
    );
    const followers: Follower[] = [
      { name: 'sse-all', sessions: sessionIds },
      { name: 'sse-even', sessions: sessionIds.filter((_, i) => i % 2 === 0) },
      { name: 'sse-odd', sessions: sessionIds.filter((_, i) => i % 2 === 1) },
    ].map((f, n) => startFollower(target, ledger, { ...f, localAddress: clientAddress(10 + n), random: random.fork(f.name), dropAfterMs: [1000, 8000] }));
    const channelOf = (sessionId: string): WsClient | 'http' => {
      const i = wsSessions.indexOf(sessionId);
      return i < 0 ? 'http' : (wsClients[i % WS_CLIENTS] as WsClient);
    };
    const httpStats: HttpStats = { sends: 0, cuts: 0, failures: 0 };
    const driverOptions = { window: 3, patienceMs: [1000, 4000] as const, runDeadlineMs: 120_000, httpCut: 0.04 };
    const memorySeries = startMemorySeries(ledger, target, life, PROMPTS);
    const drivers = sessionIds.map((sid) =>
      drive(ledger.prompts.filter((p) => p.sessionId === sid), channelOf(sid), target, ledger, random.fork(`driver-${sid}`), driverOptions, httpStats),
    );

    // The kill: halfway through, with runs going and prompts queued.
    const killAt = random.int(Math.floor(PROMPTS * 0.4), Math.floor(PROMPTS * 0.6));
    await waitFor('the kill point', () => ledger.acceptedCount >= killAt, 600_000);
    const fakeLog = join(work, 'fake-claude.log');
    const owner = (await fakeSpawns(fakeLog, OWNER_VAR)).find((s) => s.owner)?.owner ?? 'unknown';
    const atAccepted = ledger.acceptedCount;
    const kill = await life.killAndRestart(owner);
    console.log(`kill -9 at ${((kill.killTime.getTime() - t0) / 1000).toFixed(1)} s, after ${atAccepted} accepted; restarted`);

    await Promise.all(drivers);
    await windDown(target, ledger, [...wsClients, ...followers]);
    memorySeries.stop();
    memorySeries.points.push({ finished: ledger.finishedCount, rssBytes: life.currentRss(), heapUsedBytes: await heapUsedBytes(target.url), heapAfterGcMiB: life.heapAfterGc() });
    const records: SessionRecordFromServer[] = [];
    for (const sid of sessionIds) records.push(await readSession(target.url, sid));
    const verdict = judge(ledger, records);
    const runs = records.flatMap((r) => r.runs);
    const beforeKill = (iso: string | undefined) => iso !== undefined && Date.parse(iso) < kill.killTime.getTime();
    const queuedAtKill = runs.filter((r) => beforeKill(r.enqueuedAt) && !beforeKill(r.startedAt) && r.state !== 'cancelled');

    const at = (iso: string | undefined) => (iso === undefined ? '-' : `${((Date.parse(iso) - t0) / 1000).toFixed(3)} s`);
    const describeRun = (id: string) => {
      const run = runs.find((r) => r.id === id);
      const kind = ledger.prompts.find((p) => p.runId === id)?.kind;
      if (!run) return `${id} (${kind}): not in the store`;
      return `${id} (${kind}): ${run.state}${run.errorKind ? ` / ${run.errorKind}` : ''}, queued ${at(run.enqueuedAt)}, started ${at(run.startedAt)}, finished ${at(run.finishedAt)}; kill -9 at ${at(kill.killTime.toISOString())}`;
    };
    const lostDetail = [...verdict.lost, ...verdict.droppedUnstarted].map(describeRun);
    const shutdown = await life.shutdown();
    // Every CLI pid seen: started (the fake's own log) or named by a run.started.
    const seen = new Set([...(await fakeSpawns(fakeLog, OWNER_VAR)).map((s) => s.pid), ...ledger.runPids]);
    const left = await leftovers(OWNER_VAR, owner, seen);
    const logLines = life.logLines();
    const ok = printReport({
      seed: SEED,
      elapsedMs: Date.now() - t0,
      prompts: PROMPTS,
      sessions: SESSIONS,
      verdict,
      ledger,
      wsStats: summarise(wsClients.map((c) => c.stats)),
      followerStats: summarise(followers.map((f) => f.stats)),
      httpStats: `${httpStats.sends} sent, ${httpStats.cuts} cut by the client, ${httpStats.failures} failed (server gone or busy)`,
      kill: {
        atAccepted,
        runningAtKill: runs.filter((r) => beforeKill(r.startedAt) && r.errorKind === 'server_restart').length,
        markedAtKill: kill.markedAtKill,
        sweptAfterRestart: kill.markedAtKill - kill.leftAfterRestart,
        leftAfterRestart: kill.leftAfterRestart,
        queuedAtKill: queuedAtKill.length,
        queuedRanAfter: queuedAtKill.filter((r) => r.startedAt !== undefined).length,
        serverRestartEnded: runs.filter((r) => r.errorKind === 'server_restart').length,
      },
      shutdown,
      orphans: {
        marked: left.marked.length,
        fakePidsAlive: left.seenAlive.length,
        zombies: left.zombies,
        detail: [...left.marked.map((p) => `${p.pid} ${p.command}`), ...left.seenAlive.map((pid) => `${pid} (fake CLI)`)],
      },
      memory: life.memory(),
      memorySeries: memorySeries.points,
      lostDetail,
      serverLog: summariseServerLog(logLines),
    });
    // Leave the machine as we found it, whatever the verdict.
    for (const pid of [...left.marked.map((p) => p.pid), ...left.seenAlive]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone by now
      }
    }
    // A missed goal keeps the data folder (the store, the fake CLI's log) for a look.
    if (!flags.keep && ok) await rm(work, { recursive: true, force: true });
    else {
      await writeFile(join(work, 'server.log'), logLines.join('\n'));
      console.log(`kept: ${work} (the store in data/, the server's output in server.log, the fake CLI's starts in fake-claude.log)`);
    }
    return ok ? 0 : 1;
  } finally {
    target.stopping = true;
    life.killAll();
  }
}

/** Sums each counter over the clients of one kind: "connects 40, cuts 35, ...". */
function summarise(stats: ReadonlyArray<Record<string, number>>): string {
  const totals = new Map<string, number>();
  for (const s of stats) for (const [k, v] of Object.entries(s)) totals.set(k, (totals.get(k) ?? 0) + v);
  return `${stats.length} clients: ${[...totals].map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);

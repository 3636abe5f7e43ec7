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
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunJson } from '../server/protocol/runs.js';
import { spawnServerProcess, type ServerProcess } from '../test/support/server.js';
import { drive, type HttpStats } from './soak/drivers.js';
import { startFollower, type Follower } from './soak/followers.js';
import { Ledger } from './soak/ledger.js';
import { fakeSpawns, processesMarked, RssSampler, stillOurs } from './soak/procs.js';
import { createRandom } from './soak/random.js';
import { printReport } from './soak/report.js';
import { makeScenario } from './soak/scenarios.js';
import { clientAddress, sleep, type Target } from './soak/target.js';
import { judge, readSession, type SessionRecordFromServer } from './soak/verify.js';
import { startWsClient, type WsClient } from './soak/ws-client.js';

/** The server's mark on every CLI process (server/process/child-process.ts: OWNER_TAG_VAR). */
const OWNER_VAR = 'CLAUDE_REMOTE_OWNER';
const RSS_EVERY_MS = 250;

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

async function tempDir(prefix: string): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), prefix)));
}

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  console.log(`  (gave up waiting for ${what} after ${timeoutMs / 1000} s)`);
  return false;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const random = createRandom(SEED);
  console.log(`soak: seed ${SEED}, ${PROMPTS} prompts over ${SESSIONS} sessions, MAX_CONCURRENT_RUNS ${flags.concurrency}`);
  const work = await tempDir('cr-soak-');
  const dataDir = join(work, 'data');
  const fakeLog = join(work, 'fake-claude.log');
  await mkdir(join(work, 'fake-state'), { recursive: true });
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ALLOWED_ROOTS: work,
    MAX_CONCURRENT_RUNS: String(flags.concurrency),
    // Hangs ignore interrupts and SIGTERM: the idle limit ends them, the stop ladder (3 x KILL_GRACE_MS) kills them.
    RUN_IDLE_TIMEOUT_S: '3',
    RUN_TIMEOUT_S: '30',
    KILL_GRACE_MS: '250',
    WARM_MAX: '8',
    LOG_LEVEL: 'info',
    FAKE_CLAUDE_LOG: fakeLog,
    FAKE_CLAUDE_LOG_ENV: OWNER_VAR,
    FAKE_CLAUDE_STATE_DIR: join(work, 'fake-state'),
  };
  const servers: ServerProcess[] = [];
  const target: Target = { url: '', stopping: false };
  try {
    let server = await spawnServerProcess(env);
    servers.push(server);
    target.url = server.url;
    const rssFirst = new RssSampler();
    rssFirst.start(server.child.pid as number, RSS_EVERY_MS);

    const sessionIds: string[] = [];
    for (let i = 0; i < SESSIONS; i++) sessionIds.push((await api<{ id: string }>(target.url, 'POST', '/api/sessions', { name: `soak ${i}` })).id);

    const ledger = new Ledger();
    const scenarioRandom = random.fork('scenarios');
    // 3 of 5 sessions speak WebSocket, the rest HTTP.
    const viaWs = (s: number) => s % 5 < 3;
    for (let i = 0; i < PROMPTS; i++) {
      const s = scenarioRandom.int(0, SESSIONS - 1);
      const scenario = makeScenario(scenarioRandom, `p${i}`);
      ledger.add({ index: i, sessionId: sessionIds[s] as string, clientRequestId: `soak-${SEED}-${i}`, kind: scenario.kind, prompt: scenario.prompt, via: viaWs(s) ? 'ws' : 'http' });
    }

    const wsSessions = sessionIds.filter((_, s) => viaWs(s));
    const wsClients: WsClient[] = [0, 1, 2, 3].map((n) =>
      startWsClient(target, ledger, {
        name: `ws${n}`,
        sessions: wsSessions.filter((_, i) => i % 4 === n),
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
    const clientOf = (sessionId: string): WsClient | 'http' => {
      const i = wsSessions.indexOf(sessionId);
      return i < 0 ? 'http' : (wsClients[i % 4] as WsClient);
    };

    const httpStats: HttpStats = { sends: 0, cuts: 0, failures: 0 };
    const drivers = sessionIds.map((sessionId) =>
      drive(
        ledger.prompts.filter((p) => p.sessionId === sessionId),
        clientOf(sessionId),
        target,
        ledger,
        random.fork(`driver-${sessionId}`),
        { window: 3, patienceMs: [1000, 4000], runDeadlineMs: 120_000, httpCut: 0.04 },
        httpStats,
      ),
    );

    // ---- the kill: halfway through, with runs going and prompts queued ----
    const killAt = random.int(Math.floor(PROMPTS * 0.4), Math.floor(PROMPTS * 0.6));
    await waitFor('the kill point', () => ledger.acceptedCount >= killAt, 600_000);
    const owner = (await fakeSpawns(fakeLog, OWNER_VAR)).find((s) => s.owner)?.owner ?? 'unknown';
    const markedAtKill = (await processesMarked(OWNER_VAR, owner)).filter((p) => p.state === 'alive');
    const atAccepted = ledger.acceptedCount;
    const killTime = new Date();
    server.child.kill('SIGKILL');
    await server.exited;
    rssFirst.stop();
    console.log(`kill -9 at ${((Date.now() - t0) / 1000).toFixed(1)} s, after ${atAccepted} accepted; ${markedAtKill.length} CLI processes alive`);
    // A supervisor (systemd, claude-remote) takes about a second to start it again.
    await sleep(1000);
    server = await spawnServerProcess(env);
    servers.push(server);
    target.url = server.url;
    const rssSecond = new RssSampler();
    rssSecond.start(server.child.pid as number, RSS_EVERY_MS);
    await sleep(1000);
    let leftAfterRestart = 0;
    for (const p of markedAtKill) if ((await stillOurs(p.pid, OWNER_VAR, owner)) === 'alive' && p.command.includes('fake-claude')) leftAfterRestart++;

    // ---- the end: every prompt submitted, every accepted run seen to end, every follower caught up ----
    await Promise.all(drivers);
    await waitFor('every accepted run to end', () => ledger.prompts.every((p) => p.runId === undefined || ledger.isFinished(p.runId)), 60_000);
    await sleep(500); // the session.updated that follows each run.finished
    const lastSeq = new Map((await api<{ sessions: Array<{ id: string; lastSeq: number }> }>(target.url, 'GET', '/api/sessions')).sessions.map((s) => [s.id, s.lastSeq]));
    const caughtUp = () => [...ledger.seqChecks.values()].every((m) => [...m].every(([sid, check]) => check.last >= (lastSeq.get(sid) ?? 0)));
    await waitFor('the followers to catch up', caughtUp, 30_000);
    target.stopping = true;
    await Promise.all([...wsClients.map((c) => c.stop()), ...followers.map((f) => f.stop())]);
    // What a follower never got by the end is missing too, not only the gaps.
    for (const bySession of ledger.seqChecks.values()) {
      for (const [sid, check] of bySession) check.missing += Math.max(0, (lastSeq.get(sid) ?? 0) - check.last);
    }

    const records: SessionRecordFromServer[] = [];
    for (const sid of sessionIds) records.push(await readSession(target.url, sid));
    const verdict = judge(ledger, records);
    const runs: RunJson[] = records.flatMap((r) => r.runs);
    const before = (iso: string | undefined) => iso !== undefined && Date.parse(iso) < killTime.getTime();
    const queuedAtKill = runs.filter((r) => before(r.enqueuedAt) && !before(r.startedAt) && r.state !== 'cancelled');

    // ---- shutdown, then what is left ----
    const rssEnd = rssSecond.last;
    rssSecond.stop();
    const stopT0 = Date.now();
    server.child.kill('SIGTERM');
    const exitCode = await server.exited;
    const shutdownMs = Date.now() - stopT0;
    const marked = await processesMarked(OWNER_VAR, owner);
    const markedAlive = marked.filter((p) => p.state === 'alive');
    const markedPids = new Set(markedAlive.map((p) => p.pid));
    // Every CLI pid seen: started (the fake's own log) or named by a run.started.
    const seenPids = new Set([...(await fakeSpawns(fakeLog, OWNER_VAR)).map((s) => s.pid), ...ledger.runPids]);
    const fakeAlive: number[] = [];
    for (const pid of seenPids) if (!markedPids.has(pid) && (await stillOurs(pid, OWNER_VAR, owner)) === 'alive') fakeAlive.push(pid);
    const logText = servers.map((s) => s.output()).join('\n').split('\n');

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
        runningAtKill: runs.filter((r) => before(r.startedAt) && r.errorKind === 'server_restart').length,
        markedAtKill: markedAtKill.length,
        sweptAfterRestart: markedAtKill.length - leftAfterRestart,
        leftAfterRestart,
        queuedAtKill: queuedAtKill.length,
        queuedRanAfter: queuedAtKill.filter((r) => r.startedAt !== undefined).length,
        serverRestartEnded: runs.filter((r) => r.errorKind === 'server_restart').length,
      },
      shutdown: { exitCode, ms: shutdownMs },
      orphans: {
        marked: markedAlive.length,
        fakePidsAlive: fakeAlive.length,
        zombies: marked.filter((p) => p.state === 'zombie').length,
        detail: [...markedAlive.map((p) => `${p.pid} ${p.command}`), ...fakeAlive.map((pid) => `${pid} (fake CLI)`)],
      },
      memory: { start: rssFirst.first, atKill: rssFirst.last, restart: rssSecond.first, end: rssEnd, peak: Math.max(rssFirst.peak, rssSecond.peak) },
      serverLog: {
        warn: logText.filter((l) => / WARN /.test(l)).length,
        error: logText.filter((l) => / ERROR /.test(l)).length,
        bugs: logText.filter((l) => / ERROR /.test(l)),
      },
    });
    // Leave the machine as we found it, whatever the verdict.
    for (const pid of [...markedPids, ...fakeAlive]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone by now
      }
    }
    if (!flags.keep) await rm(work, { recursive: true, force: true });
    else console.log(`kept: ${work}`);
    return ok ? 0 : 1;
  } finally {
    target.stopping = true;
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
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

/**
 * Several instances on one Redis (issue 14), each the compiled server as its
 * own process with its own DATA_DIR, all sharing ALLOWED_ROOTS, and a real
 * redis-server (test/support/redis-server.ts) on a loopback port, and one
 * SESSIONS_DIR (docs/scaling.md): sessions are made without a folder, as a
 * user would, and may run on either instance.
 *
 * - Fan-out: the scripted CLI's stamped deltas (as in relay.ts) from a run on
 *   one instance to a WebSocket client of the other instance, against the
 *   same run on a single instance with SQLite. A client of the owner is
 *   measured too: in shared mode an instance's own events come back through
 *   Redis like everyone else's. Single and cluster rounds alternate; the
 *   ratio is the median of the per-round ratios.
 * - Failover: a session with a run in flight and three queued prompts; its
 *   owner is killed with SIGKILL; the time from the kill to the first queued
 *   run's run.started reaching a client of the survivor. Measured at several
 *   LEASE_TTL_S, since the lease has to expire first. The killed instance is
 *   started again on its DATA_DIR after each round (it kills its orphaned
 *   CLI, which carries its id), so every round has two instances.
 *
 * Which instance owns a session is the cluster's choice (the first to claim
 * the lease): the benchmark asks afterwards (the run's instanceId) rather
 * than assuming it is the one the prompt was sent to.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alive, fake, tempDir } from '../test/support/server.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { buildServerOnce, startChildServer, type ChildServer } from './child-server.js';
import { now, openWsClient, RUN_FINISHED, type EventClient } from './clients.js';
import { cpuMs } from './proc.js';
import { median, percentile, ratio, type Figure, type SectionResult } from './stats.js';

const S = 'cluster' as const;
const FANOUT_ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 3);
const DELTAS = 400;
const INTERVAL_MS = 3;
/** Failover rounds per lease TTL (seconds): most at the TTL the tests use. */
const FAILOVER_ROUNDS: ReadonlyArray<[ttlS: number, rounds: number]> = [
  [2, 2],
  [3, 3],
  [6, 2],
];
const QUEUED = 3;
const RUN_STARTED = '"type":"run.started"';

interface RunJson {
  id: string;
  state: string;
  instanceId?: string;
}

interface Instance {
  server: ChildServer;
  id: string;
  env: Record<string, string>;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const server = await startChildServer(env, { built: true, dataDir: env.DATA_DIR as string });
  const { instanceId } = await server.api<{ instanceId: string }>('GET', '/health');
  return { server, id: instanceId, env };
}

async function startCluster(redis: RedisServer, root: string, ttlS: number, dataDirs: string[]): Promise<Instance[]> {
  const envs = dataDirs.map((dataDir) => ({
    REDIS_URL: redis.url,
    LEASE_TTL_S: String(ttlS),
    DATA_DIR: dataDir,
    ALLOWED_ROOTS: root,
    SESSIONS_DIR: join(root, 'sessions'),
    MAX_CONCURRENT_RUNS: '4',
    WARM_PREWARM: 'false',
  }));
  const instances = await Promise.all(envs.map(startInstance));
  const health = await instances[0]?.server.api<{ store: string }>('GET', '/health');
  if (health?.store !== 'redis') throw new Error(`an instance with REDIS_URL says its store is ${health?.store}`);
  return instances;
}

async function runsOf(server: ChildServer, sessionId: string): Promise<RunJson[]> {
  return (await server.api<{ runs: RunJson[] }>('GET', `/api/sessions/${sessionId}/runs`)).runs;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const deltaLatencies = (client: EventClient): number[] =>
  client.received().flatMap((r) => (r.event.type === 'assistant.delta' ? [r.at - Number.parseFloat(r.event.text)] : []));

// ---- fan-out ----------------------------------------------------------------

interface FanoutRound {
  single: number[];
  owner: number[];
  other: number[];
  /** Server CPU per 1,000 events: the single server; the owner; the other instance. */
  cpu: { single: number; owner: number; other: number };
}

/** One stamped run on `servers[0]`'s session, a WS client on each server; latencies per client and CPU per server. */
async function stampedRun(servers: ChildServer[]): Promise<{ latencies: number[][]; cpuPer1000: number[]; sessionId: string }> {
  const entry = servers[0] as ChildServer;
  const { id, lastSeq } = await entry.api<{ id: string; lastSeq: number }>('POST', '/api/sessions', {});
  const clients = await Promise.all(servers.map((s) => openWsClient(s.url, id, lastSeq)));
  const cpu0 = servers.map((s) => cpuMs(s.pid));
  await entry.api('POST', `/api/sessions/${id}/messages`, { prompt: fake([{ stamped: DELTAS, intervalMs: INTERVAL_MS }]) });
  await Promise.all(clients.map((c) => c.waitFor(RUN_FINISHED, 1, 60_000)));
  const cpu = servers.map((s, i) => cpuMs(s.pid) - (cpu0[i] as number));
  const events = clients[0]?.received().length ?? 0;
  const latencies = clients.map(deltaLatencies);
  for (const c of clients) c.close();
  for (const [i, l] of latencies.entries()) if (l.length !== DELTAS) throw new Error(`client of instance ${i + 1} got ${l.length} of ${DELTAS} deltas`);
  return { latencies, cpuPer1000: cpu.map((c) => (c / events) * 1000), sessionId: id };
}

async function fanout(redis: RedisServer, root: string): Promise<{ figures: Figure[]; notes: string[] }> {
  const dirs = [await tempDir('cr-bench-a-'), await tempDir('cr-bench-b-')];
  const single = await startChildServer({ MAX_CONCURRENT_RUNS: '4', WARM_PREWARM: 'false' }, { built: true });
  const cluster = await startCluster(redis, root, 10, dirs);
  const rounds: FanoutRound[] = [];
  const failures: string[] = [];
  try {
    const [a, b] = cluster.map((i) => i.server) as [ChildServer, ChildServer];
    // Warm-up: JIT and file caches of every server and the fake CLI.
    await stampedRun([single]);
    await stampedRun([a, b]);
    for (let round = 0; round < FANOUT_ROUNDS; round++) {
      try {
        // Alternate which side goes first: a burst of load then hits both.
        const order = round % 2 === 0 ? (['single', 'cluster'] as const) : (['cluster', 'single'] as const);
        let s: Awaited<ReturnType<typeof stampedRun>> | undefined;
        let c: Awaited<ReturnType<typeof stampedRun>> | undefined;
        for (const side of order) {
          if (side === 'single') s = await stampedRun([single]);
          else c = await stampedRun(round % 2 === 0 ? [a, b] : [b, a]);
        }
        if (!s || !c) throw new Error('a side did not run');
        const entry = round % 2 === 0 ? a : b;
        const runs = await runsOf(entry, c.sessionId);
        const ownerId = runs[0]?.instanceId;
        const ownerIndex = cluster.findIndex((inst) => inst.id === ownerId);
        if (ownerIndex === -1) throw new Error(`the run's instanceId ${ownerId ?? '(none)'} is neither instance`);
        // c's clients are in the order the servers were given.
        const given = round % 2 === 0 ? [0, 1] : [1, 0];
        const ownerSlot = given.indexOf(ownerIndex);
        const otherSlot = 1 - ownerSlot;
        rounds.push({
          single: s.latencies[0] as number[],
          owner: c.latencies[ownerSlot] as number[],
          other: c.latencies[otherSlot] as number[],
          cpu: { single: s.cpuPer1000[0] as number, owner: c.cpuPer1000[ownerSlot] as number, other: c.cpuPer1000[otherSlot] as number },
        });
      } catch (err) {
        failures.push(`round ${round + 1}: ${(err as Error).message}`);
      }
      process.stdout.write(`  cluster fan-out: round ${round + 1}/${FANOUT_ROUNDS}\n`);
    }
  } finally {
    await Promise.all([single.close(), ...cluster.map((i) => i.server.stop())]);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
  const pooled = (pick: (r: FanoutRound) => number[]) => rounds.flatMap(pick);
  const cell = (samples: number[]) =>
    `p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms, max ${percentile(samples, 100).toFixed(1)} ms`;
  const perRound = (pick: (r: FanoutRound) => number[], p: number) => median(rounds.map((r) => percentile(pick(r), p) / percentile(r.single, p)));
  const n = `${rounds.length} rounds × ${DELTAS} deltas`;
  const figures: Figure[] =
    rounds.length === 0
      ? []
      : [
          { section: S, name: 'CLI line → WS client, one instance (SQLite)', value: cell(pooled((r) => r.single)), note: `${n}; server CPU ${median(rounds.map((r) => r.cpu.single)).toFixed(0)} ms / 1,000 events` },
          {
            section: S,
            name: 'CLI line → WS client of the owner, two instances on Redis',
            value: cell(pooled((r) => r.owner)),
            note: `${n}; owner's CPU ${median(rounds.map((r) => r.cpu.owner)).toFixed(0)} ms / 1,000 events (its own events come back through Redis)`,
          },
          {
            section: S,
            name: 'CLI line → WS client of the other instance (fan-out through Redis)',
            value: cell(pooled((r) => r.other)),
            note: `${n}; that instance's CPU ${median(rounds.map((r) => r.cpu.other)).toFixed(0)} ms / 1,000 events (it only relays)`,
          },
          {
            section: S,
            name: 'Fan-out through Redis / one instance: p50, p99',
            value: `${ratio(perRound((r) => r.other, 50))}, ${ratio(perRound((r) => r.other, 99))}`,
            note:
              `median of per-round ratios; Redis adds ${median(rounds.map((r) => percentile(r.other, 50) - percentile(r.single, 50))).toFixed(2)} ms at p50; ` +
              `the owner's own client: ${ratio(perRound((r) => r.owner, 50))}, ${ratio(perRound((r) => r.owner, 99))}`,
          },
        ];
  const notes = failures.length > 0 ? [`Fan-out rounds that failed and are left out: ${failures.join('; ')}.`] : [];
  return { figures, notes };
}

// ---- failover -----------------------------------------------------------------

interface FailoverSample {
  ttlS: number;
  /** Kill → the first queued run's run.started on a client of the survivor. */
  toStarted: number;
  /** Kill → the run in flight reported finished (interrupted by the restart). */
  toReported: number;
  /** From the run in flight's run.started (server clock) to the kill: the lease was taken just before it. */
  sinceStart: number;
  /** What went wrong beyond timing: order, repeats, statuses. */
  problems: string[];
}

async function failoverRound(instances: Instance[], ttlS: number): Promise<FailoverSample> {
  const entry = (instances[0] as Instance).server;
  const { id } = await entry.api<{ id: string }>('POST', '/api/sessions', {});
  // The run in flight sleeps (far longer than a failover); the queued ones answer at once.
  const inflight = (await entry.api<{ runId: string }>('POST', `/api/sessions/${id}/messages`, { prompt: fake([{ sleep: 60_000 }]) })).runId;
  const queued: string[] = [];
  for (let n = 1; n <= QUEUED; n++) queued.push((await entry.api<{ runId: string }>('POST', `/api/sessions/${id}/messages`, { prompt: `queued ${n}` })).runId);
  const ownerId = await waitFor(
    'the run in flight to be running',
    async () => (await runsOf(entry, id)).find((r) => r.id === inflight && r.state === 'running')?.instanceId,
    30_000,
  );
  const victimIndex = instances.findIndex((i) => i.id === ownerId);
  const victim = instances[victimIndex];
  const survivor = instances.find((i) => i.id !== ownerId);
  if (!victim || !survivor) throw new Error(`owner ${ownerId} is not one of the instances`);
  // The run is in flight once its run.started is stored (its state can say running a moment before).
  const client = await openWsClient(survivor.server.url, id, 0, { markers: [RUN_FINISHED, RUN_STARTED] });
  await client.waitFor(RUN_STARTED, 1, 30_000);
  const t0 = now();
  const killedAt = Date.now();
  victim.server.process.child.kill('SIGKILL');
  await victim.server.process.exited;
  const problems: string[] = [];
  try {
    await client.waitFor(RUN_FINISHED, 1 + QUEUED, ttlS * 1000 + 30_000);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const received = client.received();
  client.close();
  const cliPid = received.find((r) => r.event.type === 'run.started' && r.event.runId === inflight)?.event;
  const sinceStart = cliPid ? killedAt - Date.parse(cliPid.at) : NaN;
  const started = received.find((r) => r.event.type === 'run.started' && r.event.runId === queued[0]);
  const reported = received.find((r) => r.event.type === 'run.finished' && r.event.runId === inflight);
  const finished = received.flatMap((r) => (r.event.type === 'run.finished' ? [r.event] : []));
  const order = finished.map((e) => e.runId);
  if (order.join() !== [inflight, ...queued].join()) problems.push(`runs finished in the order ${order.map((r) => [inflight, ...queued].indexOf(r)).join(',')} (0 = the run in flight)`);
  const firstEnd = finished[0];
  if (firstEnd && !(firstEnd.status === 'error' && firstEnd.errorKind === 'server_restart')) problems.push(`the run in flight ended ${firstEnd.status}/${firstEnd.errorKind ?? ''}`);
  for (const runId of queued) {
    const starts = received.filter((r) => r.event.type === 'run.started' && r.event.runId === runId).length;
    if (starts !== 1) problems.push(`a queued run started ${starts} times`);
  }
  const runs = await runsOf(survivor.server, id);
  if (runs.some((r) => queued.includes(r.id) && r.instanceId !== survivor.id)) problems.push('a queued run ran on the dead instance');
  // Bring the dead instance back on its DATA_DIR (it kills its orphaned CLI); a survivor of that is killed here.
  instances[victimIndex] = await startInstance(victim.env);
  if (cliPid?.type === 'run.started') {
    const gone = await waitFor('the orphaned CLI to be killed', async () => (alive(cliPid.pid) ? undefined : true), 5000).catch(() => false);
    if (!gone) {
      problems.push('the dead instance did not kill its orphaned CLI within 5 s of coming back (killed by the benchmark)');
      process.kill(cliPid.pid, 'SIGKILL');
    }
  }
  await survivor.server.api('DELETE', `/api/sessions/${id}`).catch(() => undefined);
  return {
    ttlS,
    toStarted: started ? started.at - t0 : NaN,
    toReported: reported ? reported.at - t0 : NaN,
    sinceStart,
    problems,
  };
}

async function failover(redis: RedisServer, root: string): Promise<{ figures: Figure[]; notes: string[] }> {
  const samples: FailoverSample[] = [];
  const failures: string[] = [];
  const dirs = [await tempDir('cr-bench-fa-'), await tempDir('cr-bench-fb-')];
  try {
    for (const [ttlS, rounds] of FAILOVER_ROUNDS) {
      const instances = await startCluster(redis, root, ttlS, dirs);
      try {
        for (let round = 0; round < rounds; round++) {
          await failoverRound(instances, ttlS).then(
            (sample) => samples.push(sample),
            (err: unknown) => failures.push(`TTL ${ttlS} s, round ${round + 1}: ${(err as Error).message}`),
          );
          process.stdout.write(`  cluster failover: LEASE_TTL_S=${ttlS}, round ${round + 1}/${rounds}\n`);
        }
      } finally {
        await Promise.all(instances.map((i) => i.server.stop()));
      }
    }
  } finally {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
  const ok = samples.filter((s) => Number.isFinite(s.toStarted));
  const byTtl = FAILOVER_ROUNDS.map(([ttlS]) => ({ ttlS, runs: ok.filter((s) => s.ttlS === ttlS) })).filter((t) => t.runs.length > 0);
  const secs = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;
  const figures: Figure[] = byTtl.map(({ ttlS, runs }) => {
    const started = runs.map((r) => r.toStarted);
    return {
      section: S,
      name: `Failover, LEASE_TTL_S=${ttlS}: kill -9 of the owner → the next queued run started on the survivor`,
      value: `median ${secs(median(started))} (${secs(Math.min(...started))}–${secs(Math.max(...started))}); ${(median(started) / (ttlS * 1000)).toFixed(2)} × the TTL`,
      note: `${runs.length} round${runs.length > 1 ? 's' : ''}; killed ${median(runs.map((r) => r.sinceStart).filter(Number.isFinite)).toFixed(0)} ms after the run in flight started; it was reported interrupted after ${secs(median(runs.map((r) => r.toReported).filter(Number.isFinite)))}`,
    };
  });
  // Least squares over every round: failover ≈ a + b × TTL.
  const fit = (() => {
    if (byTtl.length < 2) return undefined;
    const xs = ok.map((s) => s.ttlS * 1000);
    const ys = ok.map((s) => s.toStarted);
    const mx = xs.reduce((p, x) => p + x, 0) / xs.length;
    const my = ys.reduce((p, y) => p + y, 0) / ys.length;
    const b = xs.reduce((p, x, i) => p + (x - mx) * ((ys[i] as number) - my), 0) / xs.reduce((p, x) => p + (x - mx) ** 2, 0);
    return { a: my - b * mx, b };
  })();
  const problems = samples.flatMap((s) => s.problems.map((p) => `TTL ${s.ttlS} s: ${p}`));
  const notes = [
    'Failover: a session with a run in flight and three queued prompts; its owner killed with SIGKILL; the time until the first queued run\'s run.started reaches a WebSocket client of the other instance. ' +
      'The lease outlives its owner by what was left of it (the owner renews every third of the TTL, so between ⅔ of it and all of it; here the kill comes just after the owner took the lease, so nearly all of it: close to the worst case), then the survivor\'s ownership sweep (every second) finds ownerless queued work, takes the lease, reports the run in flight and starts the queue' +
      (fit ? `. Fitted over all rounds: failover ≈ ${secs(fit.a)} + ${fit.b.toFixed(2)} × LEASE_TTL_S, i.e. it grows linearly with the TTL.` : '.'),
    ...(problems.length > 0 ? [`What the cluster got wrong during failover: ${problems.join('; ')}.`] : []),
    ...(failures.length > 0 ? [`Failover rounds that failed and are left out: ${failures.join('; ')}.`] : []),
  ];
  return { figures, notes };
}

export async function benchCluster(): Promise<SectionResult> {
  await buildServerOnce();
  const redis = await startRedisServer();
  const root = await tempDir('cr-bench-shared-root-');
  await mkdir(join(root, 'sessions'));
  try {
    const fan = await fanout(redis, root);
    const fail = await failover(redis, root);
    return {
      figures: [...fan.figures, ...fail.figures],
      notes: [
        `Two instances of the compiled server on one redis-server (loopback), each its own DATA_DIR, one ALLOWED_ROOTS and SESSIONS_DIR; the scripted CLI. Fan-out: ${DELTAS} stamped deltas per run, ${INTERVAL_MS} ms apart, single and cluster rounds alternating; a run's owner is whichever instance took the lease, found afterwards from the run's instanceId.`,
        ...fan.notes,
        ...fail.notes,
      ],
    };
  } finally {
    await redis.close();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Three instances on one Redis, each its own process (as `claude-remote`
 * runs), with the real CLI against the fake Anthropic API: live events of a
 * run reach clients of every instance in order and once; a prompt sent to any
 * instance runs once, on the session's owner; an interrupt sent to another
 * instance stops the owner's run; and when the owner is killed with -9 in
 * the middle of a queue, another instance takes the session after the lease
 * expires, reports the run in flight as interrupted by the restart and runs
 * every queued prompt exactly once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { collectEvents, connectWs, finishedRuns, spawnServerProcess, tempDir, waitUntil, type ServerProcess } from '../support/server.js';

const LEASE_TTL_S = 3;

interface RunJson {
  id: string;
  state: string;
  instanceId?: string;
  startedAt?: string;
  errorKind?: string;
  result?: string;
}

let redis: RedisServer;
let api: FakeAnthropic;
let claude: ClaudeEnv;
let root: string;
/** Folders of sessions made without one: shared, as a volume every instance mounts. */
let sessionsDir: string;
const instances: ServerProcess[] = [];

async function startInstance(): Promise<ServerProcess> {
  const server = await spawnServerProcess({
    ...claude.env,
    CLAUDE_PATH: realClaudePath(),
    REDIS_URL: redis.url,
    LEASE_TTL_S: String(LEASE_TTL_S),
    DATA_DIR: await tempDir('cr-inst-'),
    SESSIONS_DIR: sessionsDir,
    ALLOWED_ROOTS: root,
    MAX_CONCURRENT_RUNS: '2',
  });
  instances.push(server);
  return server;
}

async function call(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function runsOf(server: ServerProcess, sessionId: string): Promise<RunJson[]> {
  return (await call(server, 'GET', `/api/sessions/${sessionId}/runs`)).body.runs as RunJson[];
}

/** The instance whose id a run carries. */
async function instanceIds(): Promise<Map<string, ServerProcess>> {
  const byId = new Map<string, ServerProcess>();
  for (const server of instances) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) continue;
    const health = (await call(server, 'GET', '/health')).body as { instanceId: string };
    byId.set(health.instanceId, server);
  }
  return byId;
}

function expectGapless(events: ServerEvent[]): void {
  const seqs = events.map((e) => e.seq);
  expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
}

beforeAll(async () => {
  redis = await startRedisServer();
  api = await startFakeAnthropic();
  claude = await makeClaudeEnv(api);
  root = await tempDir('cr-shared-root-');
  sessionsDir = await tempDir('cr-shared-sessions-');
  await Promise.all([startInstance(), startInstance(), startInstance()]);
}, 120_000);

afterAll(async () => {
  for (const server of instances) if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await Promise.all(instances.map((s) => s.exited));
  await api?.close();
  await claude?.cleanup();
  await redis?.close();
});

describe('three instances on one Redis', () => {
  it('each has its own id and says it shares a Redis store', async () => {
    const ids = await instanceIds();
    expect(ids.size).toBe(3);
    for (const server of instances) {
      const health = (await call(server, 'GET', '/health')).body as { store: string };
      expect(health.store).toBe('redis');
    }
  });

  it('fans the events of a run out to clients of every instance, in order, without gaps or repeats', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const session = (await call(a, 'POST', '/api/sessions', {})).body as { id: string };
    const done = (events: ServerEvent[]) => finishedRuns(events).length === 1;
    const onB = collectEvents(b, session.id, done, { timeoutMs: 90_000 });
    const ws = await connectWs(c.url);
    ws.send({ type: 'subscribe', id: 'follow', sessionId: session.id, after: 0 });
    const submitted = await call(a, 'POST', `/api/sessions/${session.id}/messages`, { prompt: 'stream to everyone [[markdown]]' });
    expect(submitted.status).toBe(202);
    const fromB = await onB;
    await ws.waitFor((f): f is Extract<typeof f, { type: 'event' }> => f.type === 'event' && f.event.type === 'run.finished', 90_000);
    const fromC = ws.frames.flatMap((f) => (f.type === 'event' && f.event.sessionId === session.id ? [f.event] : []));
    await ws.close();
    // What A replays from the store afterwards.
    const stored = await collectEvents(a, session.id, done, { timeoutMs: 30_000 });

    expect(finishedRuns(fromB)[0]).toMatchObject({ runId: submitted.body.runId, status: 'success' });
    expect(fromB.some((e) => e.type === 'assistant.delta')).toBe(true);
    expectGapless(fromB);
    expect(fromB[0]?.seq).toBe(1);
    const upToFinish = (events: ServerEvent[]) => events.slice(0, events.findIndex((e) => e.type === 'run.finished') + 1);
    expect(upToFinish(fromC)).toEqual(upToFinish(fromB));
    expect(upToFinish(stored)).toEqual(upToFinish(fromB));
  }, 120_000);

  it('runs a prompt sent to any instance once, on the session\'s owner', async () => {
    const [a, , c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const session = (await call(a, 'POST', '/api/sessions', {})).body as { id: string };
    // A slow first run pins the session to its owner; the next prompt arrives elsewhere meanwhile.
    const slow = (await call(a, 'POST', `/api/sessions/${session.id}/messages`, { prompt: 'hold the lease [[slow]]' })).body as { runId: string };
    const owner = await waitUntil(async () => (await runsOf(a, session.id)).find((r) => r.id === slow.runId && r.state === 'running')?.instanceId);
    const ids = await instanceIds();
    const notOwner = [...ids.entries()].find(([id]) => id !== owner)?.[1] ?? c;
    const second = (await call(notOwner, 'POST', `/api/sessions/${session.id}/messages`, { prompt: 'then me' })).body as { runId: string };
    const events = await collectEvents(notOwner, session.id, (ev) => finishedRuns(ev).length === 2, { timeoutMs: 90_000 });
    const runs = await runsOf(notOwner, session.id);
    expect(runs.map((r) => [r.id, r.state, r.instanceId])).toEqual([
      [slow.runId, 'success', owner],
      [second.runId, 'success', owner],
    ]);
    expect(events.filter((e) => e.type === 'run.started' && e.runId === second.runId)).toHaveLength(1);
    expect(finishedRuns(events)[1]).toMatchObject({ runId: second.runId, result: 'Echo: then me' });
  }, 120_000);

  it('stops a run on its owner when the interrupt arrives at another instance', async () => {
    const [a] = instances as [ServerProcess];
    const session = (await call(a, 'POST', '/api/sessions', {})).body as { id: string };
    const slow = (await call(a, 'POST', `/api/sessions/${session.id}/messages`, { prompt: 'a long answer [[slow]]' })).body as { runId: string };
    const owner = await waitUntil(async () => (await runsOf(a, session.id)).find((r) => r.id === slow.runId && r.state === 'running')?.instanceId);
    const other = [...(await instanceIds()).entries()].find(([id]) => id !== owner)?.[1] as ServerProcess;
    // Wait for the answer to be streaming, so the interrupt has something to stop.
    await collectEvents(other, session.id, (ev) => ev.some((e) => e.type === 'assistant.delta'), { timeoutMs: 60_000 });
    const interrupted = await call(other, 'POST', `/api/sessions/${session.id}/interrupt`);
    expect(interrupted.status).toBe(202);
    expect(interrupted.body).toMatchObject({ runId: slow.runId });
    const events = await collectEvents(other, session.id, (ev) => finishedRuns(ev).length === 1, { timeoutMs: 60_000 });
    expect(finishedRuns(events)[0]).toMatchObject({ runId: slow.runId, status: 'interrupted' });
  }, 120_000);

  it('hands the sessions of an owner killed with -9 to another instance: the run in flight is reported, every queued prompt runs once, in order', async () => {
    const [a] = instances as [ServerProcess];
    const session = (await call(a, 'POST', '/api/sessions', {})).body as { id: string };
    const slow = (await call(a, 'POST', `/api/sessions/${session.id}/messages`, { prompt: 'in flight [[slow]]' })).body as { runId: string };
    const queued: string[] = [];
    for (const n of [1, 2, 3]) queued.push(((await call(a, 'POST', `/api/sessions/${session.id}/messages`, { prompt: `queued ${n}` })).body as { runId: string }).runId);
    const owner = await waitUntil(async () => (await runsOf(a, session.id)).find((r) => r.id === slow.runId && r.state === 'running')?.instanceId);
    const ids = await instanceIds();
    const victim = ids.get(owner) as ServerProcess;
    const survivor = [...ids.entries()].find(([id]) => id !== owner)?.[1] as ServerProcess;
    victim.child.kill('SIGKILL');
    await victim.exited;

    const events = await collectEvents(survivor, session.id, (ev) => finishedRuns(ev).length === 4, { timeoutMs: 120_000 });
    const finished = finishedRuns(events);
    expect(finished.map((e) => e.runId)).toEqual([slow.runId, ...queued]);
    expect(finished[0]).toMatchObject({ status: 'error', errorKind: 'server_restart' });
    expect(finished.slice(1).map((e) => [e.status, e.result])).toEqual([
      ['success', 'Echo: queued 1'],
      ['success', 'Echo: queued 2'],
      ['success', 'Echo: queued 3'],
    ]);
    for (const runId of queued) expect(events.filter((e) => e.type === 'run.started' && e.runId === runId)).toHaveLength(1);
    const runs = await runsOf(survivor, session.id);
    const newOwner = runs.find((r) => r.id === queued[0])?.instanceId;
    expect(newOwner).toBeDefined();
    expect(newOwner).not.toBe(owner);
    expect(runs.filter((r) => queued.includes(r.id)).every((r) => r.instanceId === newOwner)).toBe(true);
  }, 180_000);
});

/**
 * Redis goes away under a running server and comes back: the process keeps
 * running, answers what it can without the store (/health, the app itself),
 * refuses what needs the store with 503 `store_unavailable` and a message a
 * person can act on, and once Redis is back everything stored before is
 * there and a prompt runs again, on a session whose lease lapsed meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { collectEvents, finishedRuns, spawnServerProcess, tempDir, type ServerProcess } from '../support/server.js';

let redis: RedisServer;
let server: ServerProcess;

beforeAll(async () => {
  redis = await startRedisServer({ persist: true });
  const root = await tempDir('cr-outage-root-');
  server = await spawnServerProcess({ REDIS_URL: redis.url, LEASE_TTL_S: '2', DATA_DIR: await tempDir('cr-outage-'), ALLOWED_ROOTS: root });
}, 60_000);

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGTERM');
  await server?.exited;
  await redis?.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (the app's page): keep the text.
  }
  return { status: res.status, body: parsed };
}

async function runPrompt(sessionId: string, prompt: string) {
  const sent = await call('POST', `/api/sessions/${sessionId}/messages`, { prompt });
  expect(sent.status).toBe(202);
  const events = await collectEvents(server, sessionId, (ev) => finishedRuns(ev).some((e) => e.runId === sent.body.runId), { timeoutMs: 60_000 });
  return finishedRuns(events).find((e) => e.runId === sent.body.runId);
}

describe('a server whose Redis goes away', () => {
  it('keeps serving what it can, refuses writes with 503, and picks up where it was once Redis is back', { timeout: 120_000 }, async () => {
    const session = (await call('POST', '/api/sessions', { name: 'before the outage' })).body as { id: string };
    expect(await runPrompt(session.id, 'first')).toMatchObject({ status: 'success', result: 'Echo: first' });

    await redis.stop();

    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', store: 'redis' });
    const page = await call('GET', '/');
    expect(page.status).toBe(200);

    for (const [method, path, body] of [
      ['POST', '/api/sessions', { name: 'during the outage' }],
      ['POST', `/api/sessions/${session.id}/messages`, { prompt: 'lost?' }],
      ['GET', '/api/sessions', undefined],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(res.body.error.code).toBe('store_unavailable');
      expect(res.body.error.message).toMatch(/Redis/);
    }
    // Longer than the lease: this instance can no longer renew it.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(server.child.exitCode).toBeNull();

    await redis.start();
    await expect.poll(async () => (await call('GET', '/api/sessions')).status, { timeout: 30_000 }).toBe(200);
    const listed = (await call('GET', '/api/sessions')).body.sessions as Array<{ id: string; name: string }>;
    expect(listed.map((s) => s.name)).toEqual(['before the outage']);
    expect(await runPrompt(session.id, 'after')).toMatchObject({ status: 'success', result: 'Echo: after' });
    const runs = (await call('GET', `/api/sessions/${session.id}/runs`)).body.runs as Array<{ prompt: string; state: string }>;
    expect(runs.map((r) => [r.prompt, r.state])).toEqual([
      ['first', 'success'],
      ['after', 'success'],
    ]);
    expect(server.child.exitCode).toBeNull();
  });
});

/**
 * Web Push with two instances sharing one real redis-server (in-process,
 * so that they trust the local push service through its agent): the devices,
 * the VAPID key pair and who is looking are shared; each push goes out once,
 * from the instance that ran the run. Which instance takes a session is up
 * to the leases, so each test reads it from the run and checks the other.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/log.js';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { openedPush, startFakePushService, subscribePush, vapidClaims, type FakePushService } from '../support/fake-push.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { askBash, finishedOf, newSession, permissionRequested, runEvents, submit } from '../support/runs.js';
import { connectWs, startTestServer, tempDir, waitUntil, type TestServer } from '../support/server.js';

interface Instance {
  server: TestServer;
  id: string;
  /** Its log lines (debug and up), as JSON text. */
  lines: string[];
}

let pushService: FakePushService;
let redis: RedisServer;
let root: string;
const instances: Instance[] = [];

beforeAll(async () => {
  pushService = await startFakePushService();
});
afterAll(() => pushService?.close());
// A Redis of its own per test: nothing of one test's devices or sessions is in the next.
beforeEach(async () => {
  redis = await startRedisServer();
  root = await tempDir('cr-shared-root-');
});
afterEach(async () => {
  for (const { server } of instances.splice(0)) await server.close();
  await redis.close();
});

async function instance(): Promise<Instance> {
  const lines: string[] = [];
  const server = await startTestServer({
    // The sessions' folders are where both instances can run them.
    allowedRoots: [root],
    config: { REDIS_URL: redis.url },
    overrides: { push: { agent: pushService.agent }, log: createLogger('debug', { format: 'json', write: (line) => lines.push(line) }) },
  });
  const id = (await server.api('GET', '/health')).body.instanceId as string;
  const made = { server, id, lines };
  instances.push(made);
  return made;
}


/** The instance that ran the run, and the other one. */
async function ranBy(a: Instance, b: Instance, sessionId: string, runId: string): Promise<[Instance, Instance]> {
  const run = (await a.server.api('GET', `/api/sessions/${sessionId}/runs/${runId}`)).body as { instanceId?: string };
  expect([a.id, b.id]).toContain(run.instanceId);
  return run.instanceId === a.id ? [a, b] : [b, a];
}

describe('pushes from several instances', () => {
  it('signs with one key pair, and pushes a permission request and the drained queue once, from the instance that ran the run', async () => {
    const [a, b] = [await instance(), await instance()];
    expect(a.id).not.toBe(b.id);
    const publicKey = (await a.server.api('GET', '/api/push/vapid-public-key')).body.publicKey as string;
    expect((await b.server.api('GET', '/api/push/vapid-public-key')).body.publicKey).toBe(publicKey);

    const phone = pushService.subscription('instances-permission');
    await subscribePush(a.server, phone);
    expect(((await b.server.api('GET', '/api/push/subscriptions')).body.subscriptions as unknown[]).length).toBe(1);
    const session = await newSession(b.server, { name: 'Shared', cwd: root });
    const runId = await submit(a.server, session.id, askBash('ls'));
    const ask = await permissionRequested(b.server, session.id, runId);

    const push = await pushService.waitForPush(phone.path);
    expect(vapidClaims(push.headers, publicKey).aud).toBe(pushService.url);
    expect(openedPush(phone, push)).toMatchObject({ kind: 'permission', sessionId: session.id, runId, requestId: ask.requestId, toolName: 'Bash' });

    const [owner, other] = await ranBy(a, b, session.id, runId);
    // Answered through the instance that did not run it (as a notification's Allow may be).
    expect((await other.server.api('POST', `/api/sessions/${session.id}/permissions/${ask.requestId}`, { behavior: 'allow' })).status).toBe(200);
    expect(finishedOf(await runEvents(owner.server, session.id, runId)).status).toBe('success');
    expect(openedPush(phone, await pushService.waitForPush(phone.path, 2))).toMatchObject({ kind: 'drained', runId });

    // The other instance judges the same events in the same order, one after another: once it has
    // left the drained queue's push to the owner, it has left the permission request's too.
    await waitUntil(
      () => other.lines.some((l) => l.includes('push (drained) left to the instance that ran the run') && l.includes(runId)),
      30_000,
      'the other instance to leave the drained push to the owner',
    );
    expect(other.lines.some((l) => l.includes('push (permission) left to the instance that ran the run') && l.includes(runId))).toBe(true);
    expect(pushService.pushes.filter((p) => p.path === phone.path)).toHaveLength(2);
  });

  it('pushes nothing while a page is visible on the other instance, and pushes again once it says hidden', async () => {
    const [a, b] = [await instance(), await instance()];
    const phone = pushService.subscription('instances-presence');
    await subscribePush(b.server, phone);
    const session = await newSession(a.server, { cwd: root });
    const first = await submit(a.server, session.id, 'hello');
    await runEvents(a.server, session.id, first);
    expect(openedPush(phone, await pushService.waitForPush(phone.path))).toMatchObject({ kind: 'drained', runId: first });
    // The session stays with its owner while its process is warm: the page is on the other instance.
    const [owner, watcher] = await ranBy(a, b, session.id, first);

    const client = await connectWs(watcher.server.url);
    const isReply = (id: string) => (f: ServerFrame): f is Extract<ServerFrame, { type: 'reply' }> => f.type === 'reply' && f.id === id;
    try {
      client.send({ type: 'presence', id: 'p1', visible: true });
      expect(await client.waitFor(isReply('p1'))).toMatchObject({ ok: true });
      const watched = await submit(watcher.server, session.id, askBash('ls'));
      const ask = await permissionRequested(owner.server, session.id, watched);
      await watcher.server.api('POST', `/api/sessions/${session.id}/permissions/${ask.requestId}`, { behavior: 'allow' });
      await runEvents(owner.server, session.id, watched);
      expect((await ranBy(a, b, session.id, watched))[0]).toBe(owner);

      client.send({ type: 'presence', id: 'p2', visible: false });
      expect(await client.waitFor(isReply('p2'))).toMatchObject({ ok: true });
      const unwatched = await submit(watcher.server, session.id, 'while no one looks');
      await runEvents(owner.server, session.id, unwatched);
      // The second push of all is the unwatched run's: the watched run's request and end were skipped.
      expect(openedPush(phone, await pushService.waitForPush(phone.path, 2))).toMatchObject({ kind: 'drained', runId: unwatched });
    } finally {
      await client.close();
    }
  });
});

/**
 * Web Push up to the push service's door: a local HTTPS push service
 * stands in for FCM or Apple's (test/support/fake-push.ts); the server
 * pushes to it as it would to them, with the scripted CLI asking for
 * permission, failing or finishing. Each push is opened with the
 * subscription's private key, as the browser would open it.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { openedPush, startFakePushService, subscribePush, vapidClaims, type FakePushService } from '../support/fake-push.js';
import { askBash, finishedOf, newSession, permissionRequested, runEvents, submit } from '../support/runs.js';
import { connectWs, fake, startTestServer, tempDir, waitUntil, type TestServer } from '../support/server.js';

let pushService: FakePushService;
const servers: TestServer[] = [];

beforeAll(async () => {
  pushService = await startFakePushService();
});
afterAll(() => pushService?.close());
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer({ ...options, overrides: { push: { agent: pushService.agent } } });
  servers.push(s);
  return s;
}


describe('the VAPID key pair', () => {
  it('is made on the first start, kept in the data folder for this user only, and the same after a restart', async () => {
    const dataDir = await tempDir('cr-data-');
    const first = await server({ dataDir });
    const key = (await first.api('GET', '/api/push/vapid-public-key')).body.publicKey as string;
    const raw = Buffer.from(key, 'base64url');
    expect(raw).toHaveLength(65);
    expect(raw[0]).toBe(4); // an uncompressed P-256 point, as pushManager.subscribe wants it
    expect(statSync(join(dataDir, 'vapid.json')).mode & 0o777).toBe(0o600);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const second = await server({ dataDir });
    expect((await second.api('GET', '/api/push/vapid-public-key')).body.publicKey).toBe(key);
  });
});

describe('push subscriptions', () => {
  it('takes https endpoints only, keeps the same endpoint under one id, lists devices by host, and forgets them by id', async () => {
    const s = await server();
    const phone = pushService.subscription('keep-phone');
    expect((await s.api('POST', '/api/push/subscriptions', { ...phone.json, endpoint: 'http://127.0.0.1:9/push' })).status).toBe(400);
    expect((await s.api('POST', '/api/push/subscriptions', { ...phone.json, keys: { ...phone.json.keys, auth: 'short' } })).status).toBe(400);
    expect((await s.api('POST', '/api/push/subscriptions', { endpoint: phone.json.endpoint })).status).toBe(400);

    const id = await subscribePush(s, phone);
    const renewed = pushService.subscription('other-keys');
    expect(await subscribePush(s, { ...phone, json: { endpoint: phone.json.endpoint, keys: renewed.json.keys } })).toBe(id);
    const laptop = await subscribePush(s, pushService.subscription('keep-laptop'));

    const list = (await s.api('GET', '/api/push/subscriptions')).body.subscriptions as Array<Record<string, unknown>>;
    expect(list.map((x) => x.id)).toEqual([id, laptop]);
    expect(list[0]).toMatchObject({ id, endpointHost: new URL(pushService.url).host, userAgent: 'Test phone' });
    expect(JSON.stringify(list)).not.toContain('/push/keep-phone');

    expect((await s.api('DELETE', `/api/push/subscriptions/${id}`)).body).toEqual({ deleted: true });
    expect((await s.api('DELETE', `/api/push/subscriptions/${id}`)).status).toBe(404);
    expect(((await s.api('GET', '/api/push/subscriptions')).body.subscriptions as unknown[]).length).toBe(1);
  });

  it('asks for the same credentials as the rest of the API, and refuses another site\'s page', async () => {
    const s = await server({ config: { AUTH_TOKEN: 'push-test-token' } });
    const bearer = { authorization: 'Bearer push-test-token' };
    expect((await s.api('GET', '/api/push/vapid-public-key')).status).toBe(401);
    expect((await s.api('GET', '/api/push/subscriptions')).status).toBe(401);
    expect((await s.api('POST', '/api/push/subscriptions', pushService.subscription('anon').json)).status).toBe(401);
    expect((await s.api('GET', '/api/push/vapid-public-key', undefined, bearer)).status).toBe(200);
    const foreign = await s.api('POST', '/api/push/subscriptions', pushService.subscription('foreign').json, { ...bearer, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await s.api('POST', '/api/push/subscriptions', pushService.subscription('mine').json, bearer)).status).toBe(201);
  });
});

describe('pushes', () => {
  it('pushes a permission request encrypted to the device and signed with the server\'s key, naming the session and the tool but not the command', async () => {
    const s = await server();
    const phone = pushService.subscription('permission');
    await subscribePush(s, phone);
    const publicKey = (await s.api('GET', '/api/push/vapid-public-key')).body.publicKey as string;
    const session = await newSession(s, { name: 'Deploy script' });
    const runId = await submit(s, session.id, askBash('rm -rf build-secret-42'));
    const ask = await permissionRequested(s, session.id, runId);

    const push = await pushService.waitForPush(phone.path);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(push.headers.urgency).toBe('high');
    expect(push.headers.ttl).toBe('600'); // PERMISSION_TIMEOUT_S: unanswered, it is denied then anyway
    expect(push.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    const claims = vapidClaims(push.headers, publicKey);
    expect(claims.aud).toBe(pushService.url);
    expect(claims.sub).toBe('mailto:claude-remote@example.com');
    const payload = openedPush(phone, push);
    expect(payload).toMatchObject({
      kind: 'permission',
      sessionId: session.id,
      sessionName: 'Deploy script',
      runId,
      requestId: ask.requestId,
      toolName: 'Bash',
      waiting: 1,
    });
    expect(payload.title).toContain('Deploy script');
    expect(JSON.stringify(payload)).not.toContain('build-secret-42');

    // Answered (as the notification's Allow does): the run ends, the queue is empty: "done".
    const answer = await s.api('POST', `/api/sessions/${session.id}/permissions/${ask.requestId}`, { behavior: 'allow' });
    expect(answer.status).toBe(200);
    expect(finishedOf(await runEvents(s, session.id, runId)).status).toBe('success');
    const done = await pushService.waitForPush(phone.path, 2);
    expect(done.headers.urgency).toBe('normal');
    expect(done.headers.topic).toBe(push.headers.topic);
    expect(openedPush(phone, done)).toMatchObject({ kind: 'drained', sessionId: session.id, runId, waiting: 0, title: 'Deploy script is done' });
  });

  it('pushes a failed run, and a drained queue only once its last prompt ran', async () => {
    const s = await server();
    const phone = pushService.subscription('failed');
    await subscribePush(s, phone);
    const session = await newSession(s);
    const crashing = await submit(s, session.id, fake([{ crash: 3 }]));
    expect(finishedOf(await runEvents(s, session.id, crashing)).status).toBe('error');
    expect(openedPush(phone, await pushService.waitForPush(phone.path))).toMatchObject({ kind: 'failed', runId: crashing, body: expect.stringContaining('cli crashed') });

    // The first run waits for an answer until the second prompt is queued behind it.
    const first = await submit(s, session.id, askBash('true'));
    const ask = await permissionRequested(s, session.id, first);
    const second = await submit(s, session.id, 'two');
    await s.api('POST', `/api/sessions/${session.id}/permissions/${ask.requestId}`, { behavior: 'allow' });
    await runEvents(s, session.id, second);
    expect(openedPush(phone, await pushService.waitForPush(phone.path, 2))).toMatchObject({ kind: 'permission', runId: first });
    // Not after the first run (the second was queued): after the second.
    expect(openedPush(phone, await pushService.waitForPush(phone.path, 3))).toMatchObject({ kind: 'drained', runId: second });
  });

  it('forgets a subscription whose push service says it is gone (410), and still pushes to the others', async () => {
    const s = await server();
    const gone = pushService.subscription('gone');
    const kept = pushService.subscription('kept');
    pushService.respond(gone.path, 410);
    const goneId = await subscribePush(s, gone);
    const keptId = await subscribePush(s, kept);
    const session = await newSession(s);
    await runEvents(s, session.id, await submit(s, session.id, 'hello'));
    await pushService.waitForPush(gone.path);
    expect(openedPush(kept, await pushService.waitForPush(kept.path)).kind).toBe('drained');
    await waitUntil(async () => {
      const ids = ((await s.api('GET', '/api/push/subscriptions')).body.subscriptions as Array<{ id: string }>).map((x) => x.id);
      return !ids.includes(goneId) && ids.includes(keptId);
    }, 10_000, 'the gone subscription to be forgotten');
  });

  it('pushes nothing while a client says its page is visible, and pushes again once it says hidden', async () => {
    const s = await server();
    const phone = pushService.subscription('presence');
    await subscribePush(s, phone);
    const session = await newSession(s);
    const client = await connectWs(s.url);
    const isReply = (id: string) => (f: ServerFrame): f is Extract<ServerFrame, { type: 'reply' }> => f.type === 'reply' && f.id === id;
    try {
      client.send({ type: 'presence', id: 'p1', visible: true });
      expect(await client.waitFor(isReply('p1'))).toMatchObject({ ok: true });
      const watched = await submit(s, session.id, askBash('ls'));
      const ask = await permissionRequested(s, session.id, watched);
      await s.api('POST', `/api/sessions/${session.id}/permissions/${ask.requestId}`, { behavior: 'allow' });
      await runEvents(s, session.id, watched);

      client.send({ type: 'presence', id: 'p2', visible: false });
      expect(await client.waitFor(isReply('p2'))).toMatchObject({ ok: true });
      const unwatched = await submit(s, session.id, 'while no one looks');
      await runEvents(s, session.id, unwatched);
      // The first push of all is the unwatched run's: the watched run's request and end were skipped.
      expect(openedPush(phone, await pushService.waitForPush(phone.path))).toMatchObject({ kind: 'drained', runId: unwatched });
    } finally {
      await client.close();
    }
  });
});

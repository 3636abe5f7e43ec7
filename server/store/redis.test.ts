import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { NewEvent, ServerEvent } from '../protocol/events.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { createRedisStore, type RedisStore } from './redis.js';
import { describeStoreContract, makeRun, makeSession } from './store.contract.js';

let server: RedisServer;
let prefixes = 0;
let lastPrefix = '';
const nextPrefix = () => `redis-test${++prefixes}:`;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.close();
});

// Each store gets a key prefix of its own: a fresh, empty store on the same Redis.
describeStoreContract('RedisStore', {
  async open() {
    lastPrefix = nextPrefix();
    return createRedisStore({ url: server.url, keyPrefix: lastPrefix });
  },
  async reopen() {
    return createRedisStore({ url: server.url, keyPrefix: lastPrefix });
  },
});

const notice = (sessionId: string, text: string): NewEvent => ({ type: 'notice', sessionId, level: 'info', text });
const delta = (sessionId: string, runId: string, text: string): NewEvent => ({ type: 'assistant.delta', sessionId, runId, text });
const message = (sessionId: string, runId: string, text: string): NewEvent => ({ type: 'assistant.message', sessionId, runId, text });

describe('RedisStore specifics', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  const open = async (prefix: string) => {
    const store = await createRedisStore({ url: server.url, keyPrefix: prefix });
    opened.push(store);
    return store;
  };
  /** A second connection of the store's, connected (the store's own never queues). */
  const duplicate = async (store: RedisStore) => {
    const client = store.client.duplicate();
    opened.push({ close: async () => client.disconnect() });
    await client.connect();
    return client;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('numbers one session 1, 2, 3, ... without gaps or repeats when two instances append to it at once', async () => {
    const prefix = nextPrefix();
    const [a, b] = await Promise.all([open(prefix), open(prefix)]);
    const s = makeSession();
    await a.createSession(s);
    const batches: Promise<ServerEvent[]>[] = [];
    for (let i = 0; i < 100; i++) {
      const store = i % 2 === 0 ? a : b;
      batches.push(store.appendEvents([notice(s.id, `${i}.1`), notice(s.id, `${i}.2`), notice(s.id, `${i}.3`)], `T${i}`));
      batches.push(store.appendEvent(notice(s.id, `${i}.single`), `T${i}`).then((e) => [e]));
    }
    const stored = await Promise.all(batches);
    const seqs = stored.flat().map((e) => e.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    // A batch is one step: its seqs follow each other.
    for (const batch of stored) expect(batch.map((e) => e.seq - (batch[0] as ServerEvent).seq)).toEqual(batch.map((_, i) => i));
    const replay = await b.readEvents(s.id, 0);
    expect(replay).toEqual(stored.flat().sort((x, y) => x.seq - y.seq));
    expect(await a.lastSeq(s.id)).toBe(400);
  });

  it('gives a queued run to one instance only when several claim it at once', async () => {
    const prefix = nextPrefix();
    const [a, b] = await Promise.all([open(prefix), open(prefix)]);
    const s = makeSession();
    await a.createSession(s);
    const runs = Array.from({ length: 20 }, () => makeRun(s.id));
    for (const run of runs) await a.enqueueRun(run);
    const claims = runs.flatMap((run) =>
      [a, b].map((store, i) => store.updateRunIf(run.id, 'queued', { state: 'running', instanceId: `i${i}` })),
    );
    const won = (await Promise.all(claims)).filter((r) => r !== undefined);
    expect(won.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect((await b.runsInState('running')).map((r) => r.id)).toEqual(runs.map((r) => r.id));
    expect(await a.listRuns(s.id, 'queued')).toEqual([]);
  });

  it('keeps one subscription per endpoint when two instances save the same browser at once', async () => {
    const prefix = nextPrefix();
    const [a, b] = await Promise.all([open(prefix), open(prefix)]);
    const saves = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? a : b).savePushSubscription({ id: `id${i}`, endpoint: 'https://push.example/same', keys: { p256dh: `K${i}`, auth: 'A' }, createdAt: `T${i}` }),
    );
    const kept = await Promise.all(saves);
    expect(new Set(kept.map((s) => s.id)).size).toBe(1);
    const [only] = await b.listPushSubscriptions();
    expect(await a.listPushSubscriptions()).toEqual([only]);
    expect(await a.deletePushSubscription(only?.id ?? '')).toBe(true);
    expect(await b.listPushSubscriptions()).toEqual([]);
    // Nothing of it is left behind: the endpoint can be saved anew under a new id.
    expect((await b.savePushSubscription({ id: 'fresh', endpoint: 'https://push.example/same', keys: { p256dh: 'K', auth: 'A' }, createdAt: 'T' })).id).toBe('fresh');
  });

  it('publishes each stored event on its session channel, as stored, in seq order', async () => {
    const store = await open(nextPrefix());
    const [s, other] = [makeSession(), makeSession()];
    const subscriber = await duplicate(store);
    const received: Array<{ channel: string; event: unknown }> = [];
    const allArrived = new Promise<void>((resolve) =>
      subscriber.on('message', (channel: string, text: string) => {
        received.push({ channel, event: JSON.parse(text) });
        if (received.length === 5) resolve();
      }),
    );
    await subscriber.subscribe(store.eventsChannel(s.id), store.eventsChannel(other.id));
    expect(store.eventsChannel(s.id)).toBe(`${store.keyPrefix}events:${s.id}`);

    const stored = await store.appendEvents([notice(s.id, 'one'), delta(s.id, 'r', 'two'), notice(other.id, 'elsewhere')], 'T1');
    stored.push(...(await store.appendEvents([message(s.id, 'r', 'three'), notice(s.id, 'four')], 'T2')));
    await allArrived;
    expect(received.filter((m) => m.channel === store.eventsChannel(s.id)).map((m) => m.event)).toEqual(stored.filter((e) => e.sessionId === s.id));
    expect(received.filter((m) => m.channel === store.eventsChannel(other.id)).map((m) => m.event)).toEqual([stored[2]]);
  });

  it('reads no delta of a run that is over in a compact replay, and a live run\'s from its first seq on', async () => {
    const prefix = nextPrefix();
    const store = await open(prefix);
    const s = makeSession();
    await store.createSession(s);
    const [done, live] = [makeRun(s.id), makeRun(s.id)];
    await store.enqueueRun(done);
    await store.enqueueRun(live);
    await store.appendEvents([...Array.from({ length: 500 }, (_, i) => delta(s.id, done.id, `d${i}`)), message(s.id, done.id, 'done')], 'T');
    await store.updateRun(done.id, { state: 'success', finishedAt: 'T' });

    const deltasKey = `${prefix}deltas:${s.id}`;
    const compactRead = () => store.readEvents(s.id, 0, 1000, { compact: true });
    expect((await commandsOn(store, deltasKey, compactRead)).filter((c) => c[0] === 'xrange')).toEqual([]);

    await store.updateRun(live.id, { state: 'running' });
    const [first] = await store.appendEvents([delta(s.id, live.id, 'l1'), delta(s.id, live.id, 'l2')], 'T');
    expect((await compactRead()).map((e) => e.type)).toEqual(['assistant.message', 'assistant.delta', 'assistant.delta']);
    const reads = (await commandsOn(store, deltasKey, compactRead)).filter((c) => c[0] === 'xrange');
    expect(reads).toEqual([['xrange', deltasKey, `${first?.seq}-0`, `${(first?.seq ?? 0) + 1}-0`, 'COUNT', '1000']]);
  });

  it('lets a login key expire by itself: its lifetime plus a day after it was stored', async () => {
    const prefix = nextPrefix();
    const store = await open(prefix);
    await store.createAuthSession({ tokenHash: 'month', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-31T00:00:00.000Z' });
    await store.createAuthSession({ tokenHash: 'odd', createdAt: 'T', expiresAt: '9999' });
    const ttl = await store.client.pttl(`${prefix}auth:month`);
    const dayMs = 24 * 3600 * 1000;
    expect(ttl).toBeGreaterThan(30 * dayMs);
    expect(ttl).toBeLessThanOrEqual(31 * dayMs);
    // No lifetime to tell: kept until deleteExpiredAuthSessions or deleteAllAuthSessions.
    expect(await store.client.pttl(`${prefix}auth:odd`)).toBe(-1);
    await store.client.del(`${prefix}auth:month`); // as if Redis had expired it
    expect(await store.deleteAllAuthSessions()).toBe(1);
  });

  async function commandsOn(store: RedisStore, key: string, work: () => Promise<unknown>): Promise<string[][]> {
    const monitor: Redis = await store.client.monitor();
    opened.push({ close: async () => monitor.disconnect() });
    const seen: string[][] = [];
    const marker = `marker-${Math.random()}`;
    const markerSeen = new Promise<void>((resolve) =>
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args.includes(marker)) resolve();
        else if (args.includes(key)) seen.push([String(args[0]).toLowerCase(), ...args.slice(1)]);
      }),
    );
    await work();
    // MONITOR reports commands in the order Redis ran them: once the marker shows, so did the work's.
    await store.client.echo(marker);
    await markerSeen;
    monitor.disconnect();
    return seen;
  }
});

import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { AppError } from '../core/errors.js';
import type { LogFn } from '../core/ports.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { createRedisStore, type RedisStore } from './redis.js';

const servers: RedisServer[] = [];
const stores: RedisStore[] = [];
const serve = async (options?: Parameters<typeof startRedisServer>[0]) => {
  const server = await startRedisServer(options);
  servers.push(server);
  return server;
};
const open = async (options: Parameters<typeof createRedisStore>[0]) => {
  const store = await createRedisStore(options);
  stores.push(store);
  return store;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** What a failed call threw, for a closer look than `rejects` gives. */
async function failure(call: Promise<unknown>): Promise<AppError> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function untilWorks<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('RedisStore connection', () => {
  it('refuses to start when nothing listens, with store_unavailable naming the server', async () => {
    const server = await serve();
    await server.stop();
    const err = await failure(createRedisStore({ url: server.url, connectTimeoutMs: 2000 }));
    expect(err.code).toBe('store_unavailable');
    expect(err.status).toBe(503);
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('refuses a wrong password at start without repeating it', async () => {
    const server = await serve({ password: 'right-one' });
    const err = await failure(createRedisStore({ url: `redis://:wrong-one@127.0.0.1:${server.port}` }));
    expect(err.code).toBe('store_unavailable');
    expect(err.message).toMatch(/WRONGPASS|invalid password/i);
    expect(err.message).not.toContain('wrong-one');
  });

  it('signs in with the user and password of the URL, special characters escaped', async () => {
    const password = 'p@ss:w/rd%?#';
    const server = await serve({ password: 'default-secret', user: { name: 'alice', password } });
    const asAlice = await open({ url: `redis://alice:${encodeURIComponent(password)}@127.0.0.1:${server.port}` });
    await asAlice.setMeta('who', 'alice');
    const asDefault = await open({ url: `redis://:default-secret@127.0.0.1:${server.port}`, keyPrefix: asAlice.keyPrefix });
    expect(await asDefault.getMeta('who')).toBe('alice');
  });

  it('signs in with the URL the configuration makes of REDIS_HOST, REDIS_PORT and REDIS_PASSWORD', async () => {
    const password = 'p@ss:w/rd%?# ';
    const server = await serve({ password });
    const { redisUrl } = loadConfig({ env: { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(server.port), REDIS_PASSWORD: password } });
    const store = await open({ url: redisUrl ?? '' });
    await store.setMeta('k', 'v');
    expect(await store.getMeta('k')).toBe('v');
  });

  it('fails calls at once with store_unavailable while Redis is down, and serves again once it is back', { timeout: 20_000 }, async () => {
    const server = await serve();
    const lines: string[] = [];
    const log: LogFn = (level, message) => lines.push(`${level}: ${message}`);
    // A command timeout longer than the test's: only refusing to queue can make these calls fail in time.
    const store = await open({ url: server.url, commandTimeoutMs: 60_000, log });
    await store.setMeta('k', 'v');

    await server.stop('SIGKILL');
    for (const call of [store.getMeta('k'), store.appendEvent({ type: 'notice', sessionId: 's', level: 'info', text: 'x' }, 'T'), store.listSessions()]) {
      const err = await failure(call);
      expect(err.code).toBe('store_unavailable');
      expect(err.status).toBe(503);
    }

    await server.start();
    // This Redis kept nothing (no persistence): the store is simply usable again.
    expect(await untilWorks(() => store.getMeta('k'))).toBeUndefined();
    await store.setMeta('k', 'again');
    expect(await store.getMeta('k')).toBe('again');
    expect((await store.appendEvent({ type: 'notice', sessionId: 's', level: 'info', text: 'y' }, 'T')).seq).toBe(1);
    expect(lines.filter((l) => l.startsWith('warn: '))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('info: ') && l.includes('again'))).toHaveLength(1);
  });

  it('fails a call by its deadline when Redis holds the connection but answers nothing', { timeout: 20_000 }, async () => {
    const server = await serve();
    const store = await open({ url: server.url, commandTimeoutMs: 300 });
    await store.setMeta('k', 'v');
    server.pause();
    try {
      const err = await failure(store.getMeta('k'));
      expect(err.code).toBe('store_unavailable');
      expect(err.message).toMatch(/timed out/i);
    } finally {
      server.resume();
    }
    expect(await untilWorks(() => store.getMeta('k'))).toBe('v');
  });

  it('closes without waiting for a Redis that is gone', async () => {
    const server = await serve();
    const store = await createRedisStore({ url: server.url });
    await server.stop('SIGKILL');
    await store.close();
    await store.close();
  });
});

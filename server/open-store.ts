/**
 * Where this server keeps its state: SQLite in its data folder, or Redis
 * (REDIS_URL, or REDIS_HOST/_PORT/_PASSWORD), shared with other instances.
 * On Redis the instances also share who runs which session and what each
 * stored (server/cluster/redis-cluster.ts). Either way the server's id lives
 * in its data folder: instances sharing one Redis each have their own.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRedisCluster, type RedisCluster } from './cluster/redis-cluster.js';
import { ConfigError, type Config } from './config.js';
import { isAppError } from './core/errors.js';
import type { LogFn } from './core/ports.js';
import type { Store } from './core/store.js';
import { describeRedisUrl } from './store/redis-connection.js';
import { createRedisStore } from './store/redis.js';
import { createSqliteStore } from './store/sqlite.js';

export interface OpenedStore {
  store: Store;
  kind: 'sqlite' | 'redis';
  /** The SQLite file, when that is the store. */
  file?: string | undefined;
  instanceId: string;
  /** Several instances on one Redis: leases, commands, the shared feed. */
  cluster?: RedisCluster | undefined;
  /** Closes the cluster, then the store. */
  close(): Promise<void>;
}

/** Opens the store; Redis that cannot be reached is a ConfigError naming it (the server does not start). */
export async function openStore(config: Readonly<Pick<Config, 'dataDir' | 'redisUrl' | 'leaseTtlMs'>>, log: LogFn): Promise<OpenedStore> {
  if (config.redisUrl === undefined) {
    const file = join(config.dataDir, 'claude-remote.db');
    const store = createSqliteStore({ file });
    // Older versions kept the id in the store.
    const instanceId = instanceIdIn(config.dataDir, await store.getMeta('instance.id'));
    return { store, kind: 'sqlite', file, instanceId, close: () => store.close() };
  }
  let store: Awaited<ReturnType<typeof createRedisStore>>;
  try {
    store = await createRedisStore({ url: config.redisUrl, log });
  } catch (err) {
    if (isAppError(err) && err.code === 'store_unavailable') {
      throw new ConfigError(`${err.message}\nStart Redis, or correct REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD).`);
    }
    throw err;
  }
  const instanceId = instanceIdIn(config.dataDir, undefined);
  try {
    const cluster = await createRedisCluster({ client: store.client, keyPrefix: store.keyPrefix, instanceId, leaseTtlMs: config.leaseTtlMs, log });
    log('info', `sharing sessions through Redis at ${describeRedisUrl(config.redisUrl)} as instance ${instanceId}`);
    return {
      store,
      kind: 'redis',
      instanceId,
      cluster,
      close: async () => {
        await cluster.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw new ConfigError(`cannot listen on Redis at ${describeRedisUrl(config.redisUrl)}: ${(err as Error).message}`);
  }
}

/**
 * This server's id, kept in its data folder so that it survives restarts:
 * every CLI process carries it, the next start kills what a killed server
 * left, and leases of sessions name it.
 */
function instanceIdIn(dataDir: string, fallback: string | undefined): string {
  const file = join(dataDir, 'instance-id');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (/^[\w-]{8,64}$/.test(kept)) return kept;
  } catch {
    // First start with this folder.
  }
  const id = fallback ?? randomUUID();
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}

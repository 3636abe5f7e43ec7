/**
 * The Redis connection of a RedisStore: opened with a deadline, and failing
 * fast, never queueing, while Redis is away.
 *
 * - Start: connect and PING within `connectTimeoutMs`, or throw
 *   `store_unavailable` naming the server (never its password), so the
 *   composition root can exit with the reason.
 * - Running: `enableOfflineQueue: false` makes a command sent while the
 *   connection is down fail at once; `commandTimeout` bounds one that gets no
 *   answer (a hung server, a dead network path). Either becomes an
 *   `AppError('store_unavailable')`, which the doors answer with 503.
 * - A command in flight when the connection drops is not sent again after the
 *   reconnect (`autoResendUnfulfilledCommands: false`, `maxRetriesPerRequest:
 *   0`): appending events is not idempotent, and a script Redis ran but whose
 *   answer was lost would number the same events twice.
 * - Reconnecting is ioredis' job; we only cap its backoff (RECONNECT_MAX_MS)
 *   so the store is back soon after Redis is.
 */
import { Redis, ReplyError } from 'ioredis';
import { AppError } from '../core/errors.js';
import type { LogFn } from '../core/ports.js';
import type { LuaScript } from './redis-lua.js';

export const CONNECT_TIMEOUT_MS = 5_000;
export const COMMAND_TIMEOUT_MS = 5_000;
const RECONNECT_MAX_MS = 1_000;
const QUIT_DEADLINE_MS = 1_000;
/** Exclusive XRANGE bounds (`(id`) came with Redis 6.2. */
const MIN_REDIS_VERSION = [6, 2] as const;

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` (TLS), with `user:password@` when the server needs them. */
  url: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  log?: LogFn;
}

/** The URL without its credentials, for messages and logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'the Redis URL (unparsable)';
  }
}

export async function connectRedis(options: RedisConnectionOptions): Promise<Redis> {
  const where = describeRedisUrl(options.url);
  if (!/^rediss?:\/\//i.test(options.url)) {
    throw new AppError('store_unavailable', `Redis URL must start with redis:// or rediss:// (got ${where})`);
  }
  const deadlineMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: deadlineMs,
    commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_MS),
  });
  let lastError: Error | undefined;
  watchConnection(client, where, options.log, (err) => (lastError = err));
  try {
    await withDeadline(client.connect(), deadlineMs, 'no connection');
    await withDeadline(client.ping(), deadlineMs, 'no answer to PING');
    await checkVersion(client);
  } catch (err) {
    client.disconnect();
    if (err instanceof AppError) throw err;
    const reason = lastError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new AppError('store_unavailable', `cannot connect to Redis at ${where}: ${reason}`, { cause: lastError ?? err });
  }
  return client;
}

/**
 * Logs when the connection is lost and when it is back, once each: ioredis
 * reports every failed reconnect attempt, and an unheard `error` event would
 * be printed by ioredis itself.
 */
function watchConnection(client: Redis, where: string, log: LogFn | undefined, onError: (err: Error) => void): void {
  let down = false;
  client.on('error', (err: Error) => {
    onError(err);
    if (down || client.status === 'wait') return;
    down = true;
    log?.('warn', `lost the connection to Redis at ${where}; store calls fail until it is back`, { err });
  });
  client.on('close', () => {
    if (!down && client.status !== 'end') log?.('warn', `the connection to Redis at ${where} closed; reconnecting`);
    down = true;
  });
  client.on('ready', () => {
    if (down) log?.('info', `connected to Redis at ${where} again`);
    down = false;
  });
}

async function checkVersion(client: Redis): Promise<void> {
  const info = await client.info('server');
  const version = /^redis_version:(\d+)\.(\d+)/m.exec(info);
  if (!version) return;
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major > MIN_REDIS_VERSION[0] || (major === MIN_REDIS_VERSION[0] && minor >= MIN_REDIS_VERSION[1])) return;
  throw new AppError('store_unavailable', `Redis ${MIN_REDIS_VERSION.join('.')} or later is needed; the server runs ${major}.${minor}`);
}

/** Closes the connection: QUIT when Redis answers, and in any case within QUIT_DEADLINE_MS. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await withDeadline(client.quit(), QUIT_DEADLINE_MS, 'QUIT unanswered');
  } catch {
    // Redis is away or slow: dropping the socket is all that is left to do.
  } finally {
    client.disconnect();
  }
}

/**
 * Runs a script by its SHA1, loading it on NOSCRIPT (a restarted or flushed
 * Redis forgets its script cache). EVALSHA then EVAL is safe: NOSCRIPT means
 * nothing ran.
 */
export async function runScript(client: Redis, script: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, 0, ...args);
  } catch (err) {
    if (!isReplyError(err) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(script.lua, 0, ...args);
  }
}

/** Replies that mean "Redis cannot serve right now", not "this call is wrong". */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|NOREPLICAS|TRYAGAIN)\b/;

/**
 * A failure of a store call as the store reports it: losing Redis (no
 * connection, no answer in time, a server that cannot serve) becomes
 * `store_unavailable`; an error reply is a bug or broken data and stays what
 * it is, with the call's name added.
 */
export function storeError(err: unknown, call: string): Error {
  if (err instanceof AppError) return err;
  if (isReplyError(err) && !UNAVAILABLE_REPLIES.test(err.message)) {
    return new Error(`Redis refused ${call}: ${err.message}`, { cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new AppError('store_unavailable', `Redis is unavailable: ${call} failed (${reason})`, { cause: err });
}

/** An error reply from Redis. ioredis declares ReplyError as `any`, so this narrows for it. */
function isReplyError(err: unknown): err is Error {
  return err instanceof (ReplyError as typeof Error);
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

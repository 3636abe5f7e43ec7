/**
 * Between RedisStore's records and what goes to and comes from Redis:
 * records as hashes of JSON values, script replies narrowed from `unknown`.
 */
import type { NewEvent, ServerEvent } from '../protocol/events.js';
import type { AuthSessionRecord } from '../core/store.js';

/**
 * How long a login key outlives its login. The auth layer judges expiry by
 * its own clock; the key's TTL only collects what nobody deleted, so it must
 * never fire first.
 */
const AUTH_KEY_GRACE_MS = 24 * 3600 * 1000;

/**
 * A record or patch as script arguments: `n, field, JSON, ..., deleted
 * fields`. A field set to undefined is deleted, as JSON.stringify leaves it
 * out of SQLite's row.
 */
export function patchArgs(patch: object): string[] {
  const set: string[] = [];
  const deleted: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) deleted.push(field);
    else set.push(field, JSON.stringify(value));
  }
  return [String(set.length / 2), ...set, ...deleted];
}

/**
 * A record from HGETALL: an object from the client, a flat field/value list
 * from a script. No fields: no record.
 */
export function recordOf<T>(reply: unknown): T | undefined {
  const entries = fieldEntries(reply);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([field, json]) => [field, JSON.parse(json)])) as T;
}

/** The records of a LIST_RECORDS reply, in its order. */
export function recordsOf<T>(reply: unknown): T[] {
  if (!Array.isArray(reply)) throw unexpected('a list of records', reply);
  return reply.map((fields) => recordOf<T>(fields)).filter((r): r is T => r !== undefined);
}

/** Events stored as JSON, in the order given. */
export function events(reply: unknown): ServerEvent[] {
  if (!Array.isArray(reply)) throw unexpected('a list of events', reply);
  return reply.map((json) => {
    if (typeof json !== 'string') throw unexpected('an event', json);
    return JSON.parse(json) as ServerEvent;
  });
}

export function count(reply: unknown): number {
  if (typeof reply !== 'number') throw unexpected('a number', reply);
  return reply;
}

/** The run an event belongs to, as SQLite's run_id column has it. */
export function runIdOf(event: NewEvent): string | undefined {
  return 'runId' in event && typeof event.runId === 'string' ? event.runId : undefined;
}

/**
 * The TTL of a login's key: its lifetime (expiresAt - createdAt) plus a
 * grace, counted from now. Relative, not PEXPIREAT expiresAt: the server's
 * clock and Redis's need not agree (and tests run on a fake clock). None when
 * the times do not give a lifetime.
 */
export function authKeyTtlMs(session: AuthSessionRecord): number | undefined {
  const lifetime = Date.parse(session.expiresAt) - Date.parse(session.createdAt);
  return Number.isFinite(lifetime) && lifetime > 0 ? lifetime + AUTH_KEY_GRACE_MS : undefined;
}

function fieldEntries(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const entries: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const [field, value] = [reply[i] as unknown, reply[i + 1] as unknown];
      if (typeof field !== 'string' || typeof value !== 'string') throw unexpected('field/value pairs', reply);
      entries.push([field, value]);
    }
    return entries;
  }
  if (reply !== null && typeof reply === 'object') {
    return Object.entries(reply).map(([field, value]) => {
      if (typeof value !== 'string') throw unexpected('a hash', reply);
      return [field, value];
    });
  }
  throw unexpected('a hash', reply);
}

function unexpected(what: string, reply: unknown): Error {
  return new Error(`expected ${what} from Redis, got ${JSON.stringify(reply)?.slice(0, 200)}`);
}

/**
 * Where RedisStore keeps what: every key and the events channel, declared
 * once. The TypeScript side builds keys with `redisKeys(prefix)`; the Lua
 * scripts get the same table as a prelude (`LUA_KEYS`), so a key is never
 * spelled twice.
 *
 * Under the prefix (default `cr:`):
 *
 *   session:<sid>              hash    a SessionRecord, one JSON value per field
 *   sessions                   zset    "<createdAt>\0<sid>", score 0: listSessions' order
 *   seq:<sid>                  string  the session's last seq
 *   log:<sid>                  stream  its events a transcript keeps, id <seq>-0
 *   deltas:<sid>               stream  its assistant.delta and usage events, id <seq>-0
 *   spans:<sid>                hash    "log:<runId>" / "deltas:<runId>" -> "<first> <last>" seq
 *   orphans:<sid>              set     run ids with deltas here that are no run of this session
 *   lastqueue:<sid>            string  seq of its last queue.changed
 *   tools:<sid>                hash    tool name -> tool.started count
 *   run:<runId>                hash    a RunRecord, one JSON value per field
 *   runs:<sid>                 zset    its run ids by enqueue order
 *   runstate:<state>:<sid>     zset    its run ids in that state, by enqueue order
 *   instate:<state>            zset    run ids in that state across sessions, by enqueue order
 *   runord                     string  the enqueue order counter
 *   crids:<sid>                hash    client request id -> run id
 *   prunable                   zset    "<finishedAt>\0<runId>", score 0: finished, not yet pruned
 *   raw:<runId>                list    the run's raw CLI lines (n = index + 1)
 *   auth:<tokenHash>           string  an AuthSessionRecord as JSON, with a TTL
 *   auths                      zset    "<expiresAt>\0<tokenHash>", score 0
 *   meta                       hash    named values
 *   push:<id>                  hash    a PushSubscriptionRecord, one JSON value per field
 *   pushes                     zset    subscription ids, by the order of their first save
 *   pushends                   hash    endpoint -> subscription id (the endpoint is the key)
 *   pushord                    string  the first-save order counter
 *
 * Channel (PUBLISH, not a key): `<prefix>events:<sid>` carries each stored
 * event of the session as the JSON of its ServerEvent (seq and at included),
 * published by the same script that numbered it, so in seq order.
 *
 * Not for Redis Cluster: the scripts build the keys of any session they touch
 * from the prefix (a batch may span sessions; the run indexes are global), so
 * they cannot declare them all up front. One primary (with replicas or
 * Sentinel) is what this store is for.
 */
import { RUN_STATUSES } from '../protocol/constants.js';
import type { RunState } from '../core/store.js';

export const DEFAULT_KEY_PREFIX = 'cr:';

/** Every run state, for the per-state indexes. */
export const RUN_STATES: readonly RunState[] = ['queued', 'running', ...RUN_STATUSES];

/** Event types only a live viewer needs: kept in `deltas:<sid>`, apart from the transcript. */
export const TRANSIENT_TYPES = ['assistant.delta', 'usage'] as const;

/** Separates the sort part of a lexicographic index member from the id. */
export const INDEX_SEPARATOR = '\0';

const KEY = {
  session: 'session:',
  sessions: 'sessions',
  seq: 'seq:',
  log: 'log:',
  deltas: 'deltas:',
  spans: 'spans:',
  orphans: 'orphans:',
  lastQueue: 'lastqueue:',
  tools: 'tools:',
  run: 'run:',
  runs: 'runs:',
  runState: 'runstate:',
  inState: 'instate:',
  runOrd: 'runord',
  crids: 'crids:',
  prunable: 'prunable',
  raw: 'raw:',
  auth: 'auth:',
  auths: 'auths',
  meta: 'meta',
  push: 'push:',
  pushes: 'pushes',
  pushEnds: 'pushends',
  pushOrd: 'pushord',
} as const;

const EVENTS_CHANNEL = 'events:';

/** The channel a session's stored events are published on. */
export function eventsChannel(prefix: string, sessionId: string): string {
  return `${prefix}${EVENTS_CHANNEL}${sessionId}`;
}

export type RedisKeys = ReturnType<typeof redisKeys>;

export function redisKeys(prefix: string) {
  const k = (kind: keyof typeof KEY, ...parts: string[]) => prefix + KEY[kind] + parts.join(':');
  return {
    session: (sid: string) => k('session', sid),
    sessions: k('sessions'),
    seq: (sid: string) => k('seq', sid),
    tools: (sid: string) => k('tools', sid),
    run: (runId: string) => k('run', runId),
    runs: (sid: string) => k('runs', sid),
    runState: (state: RunState, sid: string) => k('runState', state, sid),
    inState: (state: RunState) => k('inState', state),
    crids: (sid: string) => k('crids', sid),
    prunable: k('prunable'),
    raw: (runId: string) => k('raw', runId),
    auth: (tokenHash: string) => k('auth', tokenHash),
    meta: k('meta'),
    pushes: k('pushes'),
  };
}

/**
 * The same keys for Lua: `K('seq', sid)`, `K('runState', state, sid)`. Every
 * script receives the prefix as ARGV[1].
 */
export const LUA_KEYS = `
local P = ARGV[1]
local KEY = { ${Object.entries(KEY)
  .map(([kind, part]) => `${kind} = '${part}'`)
  .join(', ')} }
local function K(kind, a, b)
  if b then return P .. KEY[kind] .. a .. ':' .. b end
  if a then return P .. KEY[kind] .. a end
  return P .. KEY[kind]
end
local function CHANNEL(sid) return P .. '${EVENTS_CHANNEL}' .. sid end
local SEP = '\\0'
local STATES = { ${RUN_STATES.map((s) => `'${s}'`).join(', ')} }
local TRANSIENT = { ${TRANSIENT_TYPES.map((t) => `['${t}'] = true`).join(', ')} }
`;

/**
 * Scripts for sessions, runs and logins: each checks and changes a record
 * together with its indexes in one atomic step, so another instance never
 * sees a run in two states, or a client request id enqueued twice.
 *
 * Patches arrive as `n, field, JSON, ..., deleted fields` (see applyPatch):
 * a field set to undefined is deleted, as JSON.stringify drops it in SQLite.
 */
import { luaScript } from './redis-lua.js';

/** ARGV: prefix, sessionId, patch. Fails if the session exists (as SQLite's primary key does). */
export const CREATE_SESSION = luaScript(
  'createSession',
  `
local sid = ARGV[2]
local key = K('session', sid)
if redis.call('EXISTS', key) == 1 then return redis.error_reply('ERR session ' .. sid .. ' exists') end
applyPatch(key, 3)
redis.call('ZADD', K('sessions'), 0, field(key, 'createdAt') .. SEP .. sid)
return 1
`,
);

/** ARGV: prefix, sessionId, patch. Returns the patched record's fields, or nothing for no session. */
export const UPDATE_SESSION = luaScript(
  'updateSession',
  `
local key = K('session', ARGV[2])
if redis.call('EXISTS', key) == 0 then return {} end
applyPatch(key, 3)
return redis.call('HGETALL', key)
`,
);

/** ARGV: prefix, sessionId. Forgets the session with its runs, events, raw lines and indexes. */
export const DELETE_SESSION = luaScript(
  'deleteSession',
  `
local sid = ARGV[2]
for _, id in ipairs(redis.call('ZRANGE', K('runs', sid), 0, -1)) do
  local facts = runFacts(id)
  if facts.state then redis.call('ZREM', K('inState', facts.state), id) end
  local member = prunableMember(facts, id)
  if member then redis.call('ZREM', K('prunable'), member) end
  redis.call('DEL', K('run', id), K('raw', id))
end
for _, state in ipairs(STATES) do redis.call('DEL', K('runState', state, sid)) end
redis.call('DEL', K('runs', sid), K('crids', sid), K('seq', sid), K('log', sid), K('deltas', sid),
  K('spans', sid), K('orphans', sid), K('lastQueue', sid), K('tools', sid))
local key = K('session', sid)
local createdAt = field(key, 'createdAt')
if createdAt then redis.call('ZREM', K('sessions'), createdAt .. SEP .. sid) end
redis.call('DEL', key)
return 1
`,
);

/**
 * ARGV: prefix, runId, sessionId, '1' and the client request id (or '0', ''), patch.
 * Returns {1, fields of the first run} when the client request id was
 * enqueued before in this session, else {0}.
 */
export const ENQUEUE_RUN = luaScript(
  'enqueueRun',
  `
local id, sid, hasCrid, crid = ARGV[2], ARGV[3], ARGV[4] == '1', ARGV[5]
if hasCrid then
  local first = redis.call('HGET', K('crids', sid), crid)
  if first then return { 1, redis.call('HGETALL', K('run', first)) } end
end
local key = K('run', id)
if redis.call('EXISTS', key) == 1 then return redis.error_reply('ERR run ' .. id .. ' exists') end
local ord = redis.call('INCR', K('runOrd'))
applyPatch(key, 6)
redis.call('ZADD', K('runs', sid), ord, id)
if hasCrid then redis.call('HSET', K('crids', sid), crid, id) end
-- Deltas appended before the run existed were kept as an orphan's.
redis.call('SREM', K('orphans', sid), id)
reindexRun(id, ord, {}, runFacts(id))
return { 0 }
`,
);

/**
 * ARGV: prefix, runId, the state it must be in ('' for any), patch. Returns
 * the patched run's fields, or nothing when there is no such run or it is in
 * another state (two instances racing for one queued run: one gets it).
 */
export const UPDATE_RUN = luaScript(
  'updateRun',
  `
local id, expected = ARGV[2], ARGV[3]
local key = K('run', id)
if redis.call('EXISTS', key) == 0 then return {} end
local old = runFacts(id)
if expected ~= '' and old.state ~= expected then return {} end
applyPatch(key, 4)
local new = runFacts(id)
reindexRun(id, redis.call('ZSCORE', K('runs', old.sid), id), old, new)
return redis.call('HGETALL', key)
`,
);

/**
 * ARGV: prefix, index key (a zset), record kind ('run' or 'session').
 * Returns the fields of each record in index order, read together so no
 * record is seen between two of its states. Members may carry a sort part
 * before SEP (the sessions index); the id is what follows it.
 */
export const LIST_RECORDS = luaScript(
  'listRecords',
  `
local records = {}
for _, member in ipairs(redis.call('ZRANGE', ARGV[2], 0, -1)) do
  local id = string.match(member, '%z(.*)$') or member
  local fields = redis.call('HGETALL', K(ARGV[3], id))
  if #fields > 0 then records[#records + 1] = fields end
end
return records
`,
);

/**
 * ARGV: prefix, tokenHash, record JSON, expiresAt, TTL in ms ('' for none).
 * The key expires by itself; the index lets deleteExpired and deleteAll
 * count and find what is left.
 */
export const CREATE_AUTH = luaScript(
  'createAuth',
  `
local hash, json, expiresAt, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local created
if ttl ~= '' then
  created = redis.call('SET', K('auth', hash), json, 'NX', 'PX', ttl)
else
  created = redis.call('SET', K('auth', hash), json, 'NX')
end
if not created then return redis.error_reply('ERR login exists') end
redis.call('ZADD', K('auths'), 0, expiresAt .. SEP .. hash)
return 1
`,
);

/** ARGV: prefix, tokenHash. */
export const DELETE_AUTH = luaScript(
  'deleteAuth',
  `
local key = K('auth', ARGV[2])
local json = redis.call('GET', key)
if not json then return 0 end
redis.call('ZREM', K('auths'), cjson.decode(json).expiresAt .. SEP .. ARGV[2])
return redis.call('DEL', key)
`,
);

/**
 * ARGV: prefix, 'all' or 'expired', and for 'expired' an exclusive upper
 * bound of expiresAt (ISO). Deletes those logins and returns how many still
 * existed (Redis may have expired some already).
 */
export const DELETE_AUTHS = luaScript(
  'deleteAuths',
  `
local index = K('auths')
local members
if ARGV[2] == 'all' then
  members = redis.call('ZRANGE', index, 0, -1)
else
  members = redis.call('ZRANGEBYLEX', index, '-', '(' .. ARGV[3])
end
local deleted = 0
for _, member in ipairs(members) do
  deleted = deleted + redis.call('DEL', K('auth', string.match(member, '%z(.*)$')))
  redis.call('ZREM', index, member)
end
return deleted
`,
);

/** ARGV: prefix, meta key, value. Keeps the value unless the key has one; returns the one kept. */
export const INIT_META = luaScript(
  'initMeta',
  `
redis.call('HSETNX', K('meta'), ARGV[2], ARGV[3])
return redis.call('HGET', K('meta'), ARGV[2])
`,
);

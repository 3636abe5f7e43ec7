/**
 * Lua helpers every RedisStore script starts with (after the keys of
 * redis-keys.ts): reading the few record fields the indexes need, keeping a
 * run's indexes in step with its state, the seq span of a run in a stream,
 * and reading stream entries through a filter.
 *
 * Records are hashes with one JSON value per field. Lua decodes only plain
 * string and boolean fields (sessionId, state, finishedAt, pruned, createdAt):
 * Redis' cjson rounds numbers to 14 digits and turns [] into {}, so it never
 * re-encodes a record; merging a patch is HSET/HDEL of whole fields.
 *
 * Stream entries are always written as the fields t (type), r (run id or ''),
 * d (the event's JSON), in that order: XRANGE gives them back at 2, 4, 6, and
 * entries with the fields of the stream's first entry are stored compactly.
 */
import { createHash } from 'node:crypto';
import { LUA_KEYS } from './redis-keys.js';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  /** SHA1 of `lua`, for EVALSHA. */
  readonly sha: string;
}

const HELPERS = `
local function decoded(v)
  if v then return cjson.decode(v) end
  return nil
end

local function field(key, name)
  return decoded(redis.call('HGET', key, name))
end

local LIVE = { queued = true, running = true }

-- What the run indexes know of a run (all nil for no run).
local function runFacts(id)
  local f = redis.call('HMGET', K('run', id), 'sessionId', 'state', 'finishedAt', 'pruned')
  return { sid = decoded(f[1]), state = decoded(f[2]), finishedAt = decoded(f[3]), pruned = f[4] ~= false }
end

-- Its member in the prunable index: over, with a finishedAt, not pruned yet
-- (the runs SqliteStore.pruneFinishedRuns considers).
local function prunableMember(facts, id)
  if facts.pruned or LIVE[facts.state] or type(facts.finishedAt) ~= 'string' then return nil end
  return facts.finishedAt .. SEP .. id
end

-- Moves a run between the state and prunable indexes after it changed from
-- old to new facts (old = {} for a new run). ord: its enqueue order.
local function reindexRun(id, ord, old, new)
  if old.state ~= new.state then
    if old.state then
      redis.call('ZREM', K('runState', old.state, old.sid), id)
      redis.call('ZREM', K('inState', old.state), id)
    end
    if new.state then
      redis.call('ZADD', K('runState', new.state, new.sid), ord, id)
      redis.call('ZADD', K('inState', new.state), ord, id)
    end
  end
  local before, after = prunableMember(old, id), prunableMember(new, id)
  if before ~= after then
    if before then redis.call('ZREM', K('prunable'), before) end
    if after then redis.call('ZADD', K('prunable'), 0, after) end
  end
end

-- ARGV from index at: n, then n field/JSON pairs to set, then fields to delete.
local function applyPatch(key, at)
  local n = tonumber(ARGV[at])
  local set, del = {}, {}
  for i = at + 1, at + 2 * n do set[#set + 1] = ARGV[i] end
  for i = at + 1 + 2 * n, #ARGV do del[#del + 1] = ARGV[i] end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if #del > 0 then redis.call('HDEL', key, unpack(del)) end
end

-- First and last seq of a run's events in one of the session's streams ('log' or 'deltas').
local function span(sid, stream, runId)
  local v = redis.call('HGET', K('spans', sid), stream .. ':' .. runId)
  if not v then return nil end
  local first, last = string.match(v, '^(%d+) (%d+)$')
  return tonumber(first), tonumber(last)
end

-- Appends to out, as {seq, data}, the entries of a stream between two XRANGE
-- bounds that keep(type, runId, seq) accepts: at most limit of them (0: all).
local function collect(key, from, to, limit, keep, out)
  local page = limit > 0 and limit or 1000
  local taken = 0
  while true do
    local entries = redis.call('XRANGE', key, from, to, 'COUNT', page)
    for _, entry in ipairs(entries) do
      local f = entry[2]
      local seq = tonumber(string.match(entry[1], '^%d+'))
      if keep(f[2], f[4], seq) then
        out[#out + 1] = { seq, f[6] }
        taken = taken + 1
        if taken == limit then return end
      end
    end
    if #entries < page then return end
    from = '(' .. entries[#entries][1]
  end
end

-- The data of the collected entries in seq order, at most limit (0: all).
local function sorted(out, limit)
  table.sort(out, function(a, b) return a[1] < b[1] end)
  local data = {}
  for i, entry in ipairs(out) do
    if limit > 0 and i > limit then break end
    data[i] = entry[2]
  end
  return data
end

-- Runs whose deltas a compact read keeps: queued or running runs of the
-- session, and run ids that are no run of it (SQLite's filter keeps those too).
local function isLive(sid, id)
  return redis.call('ZSCORE', K('runState', 'queued', sid), id)
    or redis.call('ZSCORE', K('runState', 'running', sid), id)
    or redis.call('SISMEMBER', K('orphans', sid), id) == 1
end

local function liveRuns(sid)
  local ids, seen = {}, {}
  local lists = {
    redis.call('ZRANGE', K('runState', 'queued', sid), 0, -1),
    redis.call('ZRANGE', K('runState', 'running', sid), 0, -1),
    redis.call('SMEMBERS', K('orphans', sid)),
  }
  for _, list in ipairs(lists) do
    for _, id in ipairs(list) do
      if not seen[id] then
        seen[id] = true
        ids[#ids + 1] = id
      end
    end
  end
  return ids
end
`;

/** A script: the keys, the helpers, then its body. ARGV[1] is always the key prefix. */
export function luaScript(name: string, body: string): LuaScript {
  const lua = `${LUA_KEYS}${HELPERS}\n-- ${name}\n${body}`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

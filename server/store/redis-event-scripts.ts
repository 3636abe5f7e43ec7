/**
 * The event log's scripts. Each runs atomically in Redis, which is what keeps
 * seqs 1, 2, 3, ... without gaps or repeats when several server instances
 * append to one session at once: numbering, storing and publishing an event
 * are one step no other client can interleave with.
 */
import { luaScript } from './redis-lua.js';

/**
 * ARGV: prefix, at (as JSON), then per event: sessionId, type, runId ('' for
 * none), its JSON without the closing brace, tool name ('' unless
 * tool.started). Returns the seqs given, in order.
 *
 * Each event goes to the session's log, or to its deltas stream when only a
 * live viewer needs it, with its seq as the stream id: XADD itself refuses a
 * seq that is not above the last. The spans record where each run's events
 * are, so compact reads and pruning touch only that run's entries. The event
 * is then PUBLISHed, as the JSON that was stored, on the session's channel.
 */
export const APPEND_EVENTS = luaScript(
  'appendEvents',
  `
local at = ARGV[2]
local seqs = {}
for i = 3, #ARGV, 5 do
  local sid, typ, runId, body, tool = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local seq = redis.call('INCR', K('seq', sid))
  local data = body .. ',"seq":' .. string.format('%d', seq) .. ',"at":' .. at .. '}'
  local transient = runId ~= '' and TRANSIENT[typ]
  local stream = transient and 'deltas' or 'log'
  redis.call('XADD', K(stream, sid), seq .. '-0', 't', typ, 'r', runId, 'd', data)
  if runId ~= '' then
    local spans, name = K('spans', sid), stream .. ':' .. runId
    local first = span(sid, stream, runId)
    redis.call('HSET', spans, name, (first or seq) .. ' ' .. seq)
    if not first and transient and runFacts(runId).sid ~= sid then
      redis.call('SADD', K('orphans', sid), runId)
    end
  end
  if typ == 'queue.changed' then redis.call('SET', K('lastQueue', sid), seq) end
  if typ == 'tool.started' and tool ~= '' then redis.call('HINCRBY', K('tools', sid), tool, 1) end
  redis.call('PUBLISH', CHANNEL(sid), data)
  seqs[#seqs + 1] = seq
end
return seqs
`,
);

/**
 * ARGV: prefix, sessionId, afterSeq (>= 0), beforeSeq ('' for none), limit (0: all),
 * compact ('1' or '0'). Returns the events' JSON in seq order.
 *
 * Full: both streams over the range, merged. Compact (see Store.readEvents):
 * the log without the queue.changed before the last one, plus the deltas of
 * live runs only, each read from its own span. A long session's finished
 * runs cost nothing here, however many deltas they streamed.
 */
export const READ_EVENTS = luaScript(
  'readEvents',
  `
local sid, after, before, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local from = '(' .. ARGV[3] .. '-0'
local to = before and '(' .. ARGV[4] .. '-0' or '+'
local out = {}
if ARGV[6] ~= '1' then
  local all = function() return true end
  collect(K('log', sid), from, to, limit, all, out)
  collect(K('deltas', sid), from, to, limit, all, out)
  return sorted(out, limit)
end
local lastQueue = tonumber(redis.call('GET', K('lastQueue', sid)) or '0')
collect(K('log', sid), from, to, limit, function(t, r, seq) return t ~= 'queue.changed' or seq >= lastQueue end, out)
for _, id in ipairs(liveRuns(sid)) do
  local first, last = span(sid, 'deltas', id)
  if first then
    local lo = math.max(first, after + 1)
    local hi = before and math.min(last, before - 1) or last
    if lo <= hi then
      collect(K('deltas', sid), lo .. '-0', hi .. '-0', limit, function(t, r) return r == id end, out)
    end
  end
end
return sorted(out, limit)
`,
);

/**
 * ARGV: prefix, sessionId, run ids. Returns the compact events of those runs
 * in seq order: each run's log entries, and its deltas while it is live.
 */
export const READ_RUN_EVENTS = luaScript(
  'readRunEvents',
  `
local sid = ARGV[2]
local out, seen = {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if not seen[id] then
    seen[id] = true
    local mine = function(t, r) return r == id end
    local first, last = span(sid, 'log', id)
    if first then collect(K('log', sid), first .. '-0', last .. '-0', 0, mine, out) end
    if isLive(sid, id) then
      first, last = span(sid, 'deltas', id)
      if first then collect(K('deltas', sid), first .. '-0', last .. '-0', 0, mine, out) end
    end
  end
end
return sorted(out, 0)
`,
);

/**
 * ARGV: prefix, prunable index members ("<finishedAt>\0<runId>"). Drops each
 * run's deltas and raw lines and marks it pruned; a member another instance
 * pruned meanwhile is gone from the index and skipped. Returns how many runs
 * this call pruned.
 */
export const PRUNE_RUNS = luaScript(
  'pruneRuns',
  `
local pruned = 0
for i = 2, #ARGV do
  local member = ARGV[i]
  local id = string.match(member, '%z(.*)$')
  local sid = runFacts(id).sid
  if sid and redis.call('ZSCORE', K('prunable'), member) then
    local first, last = span(sid, 'deltas', id)
    if first then
      local key, from = K('deltas', sid), first .. '-0'
      while true do
        local entries = redis.call('XRANGE', key, from, last .. '-0', 'COUNT', 1000)
        local ids = {}
        for _, entry in ipairs(entries) do
          if entry[2][4] == id then ids[#ids + 1] = entry[1] end
        end
        if #ids > 0 then redis.call('XDEL', key, unpack(ids)) end
        if #entries < 1000 then break end
        from = '(' .. entries[#entries][1]
      end
      redis.call('HDEL', K('spans', sid), 'deltas:' .. id)
    end
    redis.call('DEL', K('raw', id))
    redis.call('HSET', K('run', id), 'pruned', 'true')
    redis.call('ZREM', K('prunable'), member)
    pruned = pruned + 1
  else
    redis.call('ZREM', K('prunable'), member)
  end
end
return pruned
`,
);

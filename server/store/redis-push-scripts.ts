/**
 * Scripts for push subscriptions. The endpoint is a subscription's key (a
 * browser that subscribes again keeps its id), so saving one reads the
 * endpoint's id and writes the record with its indexes in one atomic step:
 * two instances saving the same browser at once still keep one record.
 */
import { luaScript } from './redis-lua.js';

/**
 * ARGV: prefix, id, endpoint, then `id`, `endpoint` and `createdAt` as JSON
 * (written only for a new endpoint), then the patch of what an endpoint
 * saved again takes: its keys and user agent (see applyPatch; a missing user
 * agent is deleted, as SQLite's upsert sets it NULL). Returns the kept
 * record's fields. Fails for an id another endpoint has (SQLite's primary key).
 */
export const SAVE_PUSH = luaScript(
  'savePush',
  `
local id, endpoint = ARGV[2], ARGV[3]
local kept = redis.call('HGET', K('pushEnds'), endpoint)
if kept then
  id = kept
else
  if redis.call('EXISTS', K('push', id)) == 1 then return redis.error_reply('ERR push subscription ' .. id .. ' exists') end
  redis.call('HSET', K('push', id), 'id', ARGV[4], 'endpoint', ARGV[5], 'createdAt', ARGV[6])
  redis.call('HSET', K('pushEnds'), endpoint, id)
  redis.call('ZADD', K('pushes'), redis.call('INCR', K('pushOrd')), id)
end
applyPatch(K('push', id), 7)
return redis.call('HGETALL', K('push', id))
`,
);

/** ARGV: prefix, id. Returns 1 when there was such a subscription, else 0. */
export const DELETE_PUSH = luaScript(
  'deletePush',
  `
local id = ARGV[2]
local key = K('push', id)
local endpoint = field(key, 'endpoint')
if not endpoint then return 0 end
redis.call('HDEL', K('pushEnds'), endpoint)
redis.call('ZREM', K('pushes'), id)
redis.call('DEL', key)
return 1
`,
);

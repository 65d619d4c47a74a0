// The Lua scripts the store runs in Redis: each is one atomic step that plain commands cannot express.

/** A verified hit: the entry's lifetime starts again (ARGV[1] ms) and the fleet's hit count grows. */
export const TOUCH = `
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('HINCRBY', KEYS[2], ARGV[2], 1)`;

/** Extends the lock (ARGV[2] ms) only while it still holds our token (ARGV[1]); 0 when it is lost. */
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Releases the lock only if it still holds our token: a holder whose lock expired never frees another's. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Removes an entry only if it is still the one that was judged (its SHA-1, ARGV[1]), or, with
 * ARGV[1] empty, only if it is still larger than ARGV[2] bytes: a sound entry published meanwhile
 * is never deleted by a prune that looked at its predecessor.
 */
export const REMOVE_IF_SAME = `
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return 0 end
if ARGV[1] == '' then
  if t == 'string' and redis.call('STRLEN', KEYS[1]) <= tonumber(ARGV[2]) then return 0 end
  return redis.call('DEL', KEYS[1])
end
if t ~= 'string' or redis.sha1hex(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

package textusredis

import "github.com/redis/go-redis/v9"

// The Lua scripts of a Queue. Every one is atomic and takes the same
// KEYS, in this order (see Queue for what each holds):
//
//	KEYS[1] <base>:stream   KEYS[2] <base>:ids     KEYS[3] <base>:seq
//	KEYS[4] <base>:leases   KEYS[5] <base>:delayed KEYS[6] <base>:dead
//
// and ARGV[1] the base (the hash tag {<prefix>queue:<stream>}, from which
// the scripts build the keys of a job, <base>:job:<n>, and of an order
// key, <base>:key:<order key>: undeclared keys, but in the same cluster
// slot as the declared ones), ARGV[2] the consumer group. Their own
// arguments start at ARGV[3].
//
// A job's hash holds its fields (id, action, body, sig, okey, enq, trace),
// the attempts made so far, the last error, its state and, while it is in
// the stream, its entry id:
//
//	ready    in the stream, not yet handed out (entry set)
//	leased   handed out: pending in the group, in leases (entry set)
//	delayed  waiting for a retry, in delayed
//	held     behind an earlier job of its order key, in that key's list
//
// Times are milliseconds of the Redis server's clock (TIME), so that the
// processes' clocks need not agree.
const queueLib = `
local P, GROUP = ARGV[1], ARGV[2]
local STREAM, IDS, SEQ, LEASES, DELAYED, DEAD = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

local function jobkey(n) return P .. ':job:' .. n end
local function orderkey(k) return P .. ':key:' .. k end

local function now_ms()
	local t = redis.call('TIME')
	return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- ready puts job n into the stream, for XREADGROUP.
local function ready(n)
	local e = redis.call('XADD', STREAM, '*', 'job', n)
	redis.call('HSET', jobkey(n), 'state', 'ready', 'entry', e)
end

-- add stores a new live job: ready, or held behind the jobs already
-- stored with its order key. It returns the job's number.
local function add(id, action, body, sig, okey, enq, trace)
	local n = redis.call('INCR', SEQ)
	local state, entry = 'held', ''
	if okey == '' or redis.call('RPUSH', orderkey(okey), n) == 1 then
		state, entry = 'ready', redis.call('XADD', STREAM, '*', 'job', n)
	end
	redis.call('HSET', jobkey(n), 'id', id, 'action', action, 'body', body, 'sig', sig, 'okey', okey,
		'enq', enq, 'trace', trace, 'attempts', 0, 'error', '', 'state', state, 'entry', entry)
	redis.call('HSET', IDS, id, n)
	return n
end

-- leased returns {entry, id, okey} of job n when the lease that the
-- receipt (n, attempt) names is still held, false otherwise.
local function leased(n, attempt)
	local f = redis.call('HMGET', jobkey(n), 'state', 'attempts', 'entry', 'id', 'okey')
	if f[1] ~= 'leased' or f[2] ~= attempt then
		return false
	end
	return {f[3], f[4], f[5]}
end

-- unlease ends job n's hand-out: its entry is acknowledged and deleted
-- from the stream, and its lease forgotten.
local function unlease(n, entry)
	redis.call('XACK', STREAM, GROUP, entry)
	redis.call('XDEL', STREAM, entry)
	redis.call('ZREM', LEASES, n)
end

-- finish forgets job n (acknowledged or dead-lettered) and lets the next
-- job of its order key go.
local function finish(n, id, okey)
	redis.call('DEL', jobkey(n))
	redis.call('HDEL', IDS, id) -- a live job's id is its own until now
	if okey ~= '' then
		local k = orderkey(okey)
		redis.call('LREM', k, 1, n) -- the head, so O(1)
		local nxt = redis.call('LINDEX', k, 0)
		if nxt and redis.call('HGET', jobkey(nxt), 'state') == 'held' then
			ready(nxt)
		end
	end
end
`

// Results of enqueueScript and redriveScript other than a job number.
const (
	resultDuplicate = -1
	resultFull      = -2
	resultDeadFull  = -3
	resultNotFound  = -4
)

// enqueueScript: ARGV[3..9] the job's id, action, body, signature, order
// key, enqueued-at and trace; ARGV[10] the capacity, ARGV[11] the most
// dead letters. It returns the job's number, or resultDuplicate,
// resultFull or resultDeadFull having stored nothing.
var enqueueScript = redis.NewScript(queueLib + `
if redis.call('HEXISTS', IDS, ARGV[3]) == 1 then
	return -1
end
if redis.call('HLEN', IDS) >= tonumber(ARGV[10]) then
	return -2
end
if redis.call('XLEN', DEAD) >= tonumber(ARGV[11]) then
	return -3
end
return add(ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
`)

// receiveScript: ARGV[3] the consumer, ARGV[4] the most jobs to hand out,
// ARGV[5] the lease in milliseconds.
//
// It moves the retries that are due back into the stream, claims (XCLAIM)
// the entries whose lease expired, then reads new entries (XREADGROUP,
// creating the group at the start of the stream if it is missing), and
// leases each job it hands out: attempts + 1, state leased, deadline in
// leases. It returns {jobs, wake, last}: jobs a list of {n, attempts, id,
// action, body, sig, okey, enq, trace, error}; when there are none, wake
// the milliseconds until the next retry or lease deadline (-1: none) and
// last the stream's last entry id ('0-0' when empty), from which the
// caller waits for new entries with XREAD BLOCK.
var receiveScript = redis.NewScript(queueLib + `
local consumer, max, lease = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()

for _, n in ipairs(redis.call('ZRANGEBYSCORE', DELAYED, '-inf', now, 'LIMIT', 0, 1000)) do
	redis.call('ZREM', DELAYED, n)
	ready(n)
end

local jobs = {}
local function handout(n)
	local k = jobkey(n)
	local attempts = redis.call('HINCRBY', k, 'attempts', 1)
	redis.call('HSET', k, 'state', 'leased')
	redis.call('ZADD', LEASES, now + lease, n)
	local f = redis.call('HMGET', k, 'id', 'action', 'body', 'sig', 'okey', 'enq', 'trace', 'error')
	jobs[#jobs + 1] = {n, attempts, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]}
end

for _, n in ipairs(redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, max)) do
	local f = redis.call('HMGET', jobkey(n), 'state', 'entry')
	if f[1] ~= 'leased' then
		redis.call('ZREM', LEASES, n) -- a lease without its job
	else
		local c = redis.pcall('XCLAIM', STREAM, GROUP, consumer, 0, f[2])
		if type(c) == 'table' and not c.err and #c == 1 then
			handout(n)
		else
			-- The entry is no longer pending (the stream or its group
			-- was deleted by hand): the job goes back into the stream,
			-- not lost.
			redis.call('ZREM', LEASES, n)
			ready(n)
		end
	end
end

if #jobs < max then
	local args = {'XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', max - #jobs, 'STREAMS', STREAM, '>'}
	local r = redis.pcall(unpack(args))
	if type(r) == 'table' and r.err then
		if string.find(r.err, 'NOGROUP', 1, true) ~= 1 then
			return redis.error_reply(r.err)
		end
		redis.call('XGROUP', 'CREATE', STREAM, GROUP, '0', 'MKSTREAM')
		r = redis.call(unpack(args))
	end
	if r then
		for _, e in ipairs(r[1][2]) do
			local entry, n = e[1], nil
			local f = e[2]
			for i = 1, #f, 2 do
				if f[i] == 'job' then n = f[i + 1] end
			end
			if n and redis.call('HGET', jobkey(n), 'entry') == entry then
				handout(n)
			else
				-- An entry that no job refers to (not written by a
				-- Queue): dropped, so that it does not come back.
				redis.call('XACK', STREAM, GROUP, entry)
				redis.call('XDEL', STREAM, entry)
			end
		end
	end
end

if #jobs > 0 then
	return {jobs, 0, ''}
end
local wake = -1
for _, z in ipairs({LEASES, DELAYED}) do
	local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
	if first[2] then
		local d = math.max(tonumber(first[2]) - now, 1)
		if wake < 0 or d < wake then wake = d end
	end
end
local last = redis.call('XREVRANGE', STREAM, '+', '-', 'COUNT', 1)
if last[1] then
	return {jobs, wake, last[1][1]}
end
return {jobs, wake, '0-0'}
`)

// ackScript: ARGV[3] the job's number, ARGV[4] the attempt of the
// receipt. It returns 1 when the job was removed, 0 when the lease is no
// longer held.
var ackScript = redis.NewScript(queueLib + `
local n = ARGV[3]
local l = leased(n, ARGV[4])
if not l then
	return 0
end
unlease(n, l[1])
finish(n, l[2], l[3])
return 1
`)

// retryScript: ARGV[3] the job's number, ARGV[4] the attempt of the
// receipt, ARGV[5] the delay in milliseconds, ARGV[6] the cause. It
// returns 1 when the job waits for its retry (or is back in the stream at
// once, for no delay), 0 when the lease is no longer held.
var retryScript = redis.NewScript(queueLib + `
local n = ARGV[3]
local l = leased(n, ARGV[4])
if not l then
	return 0
end
unlease(n, l[1])
redis.call('HSET', jobkey(n), 'error', ARGV[6])
local delay = tonumber(ARGV[5])
if delay <= 0 then
	ready(n)
else
	redis.call('HSET', jobkey(n), 'state', 'delayed', 'entry', '')
	redis.call('ZADD', DELAYED, now_ms() + delay, n)
end
return 1
`)

// deadLetterScript: ARGV[3] the job's number, ARGV[4] the attempt of the
// receipt, ARGV[5] the cause. It moves the job to the dead-letter stream,
// with its raw body, its attempts and the cause, and returns the dead
// letter's entry id; 0 when the lease is no longer held.
var deadLetterScript = redis.NewScript(queueLib + `
local n = ARGV[3]
local l = leased(n, ARGV[4])
if not l then
	return 0
end
local f = redis.call('HMGET', jobkey(n), 'id', 'action', 'body', 'sig', 'okey', 'enq', 'trace', 'attempts')
unlease(n, l[1])
local ref = redis.call('XADD', DEAD, '*', 'id', f[1], 'action', f[2], 'body', f[3], 'sig', f[4],
	'okey', f[5], 'enq', f[6], 'trace', f[7], 'attempts', f[8], 'error', ARGV[5])
finish(n, l[2], l[3])
return ref
`)

// redriveScript: ARGV[3] the dead letter's entry id. It stores the dead
// letter as a new job with no attempts and deletes it, returning the new
// job's number; or resultNotFound, or resultDuplicate (the dead letter is
// kept).
var redriveScript = redis.NewScript(queueLib + `
local r = redis.call('XRANGE', DEAD, ARGV[3], ARGV[3])
if #r == 0 then
	return -4
end
local d = {}
local f = r[1][2]
for i = 1, #f, 2 do
	d[f[i]] = f[i + 1]
end
local id = d['id'] or ''
if redis.call('HEXISTS', IDS, id) == 1 then
	return -1
end
local n = add(id, d['action'] or '', d['body'] or '', d['sig'] or '', d['okey'] or '', d['enq'] or '', d['trace'] or '')
redis.call('XDEL', DEAD, ARGV[3])
return n
`)

// pruneScript: ARGV[3] an idle time in milliseconds. It deletes the
// consumers of the group that hold no pending entry and have not read for
// that long (the Run calls of processes that are gone), so that the
// group's list of consumers stays bounded. Deleting a consumer with no
// pending entry loses nothing: XREADGROUP creates it again if it comes
// back. It returns how many it deleted.
var pruneScript = redis.NewScript(queueLib + `
local cs = redis.pcall('XINFO', 'CONSUMERS', STREAM, GROUP)
if type(cs) == 'table' and cs.err then
	return 0 -- no stream or no group yet
end
local limit, deleted = tonumber(ARGV[3]), 0
for _, c in ipairs(cs) do
	local info = {}
	for i = 1, #c, 2 do
		info[c[i]] = c[i + 1]
	end
	if tonumber(info['pending']) == 0 and tonumber(info['idle']) >= limit then
		deleted = deleted + redis.call('XGROUP', 'DELCONSUMER', STREAM, GROUP, info['name'])
	end
end
return deleted
`)

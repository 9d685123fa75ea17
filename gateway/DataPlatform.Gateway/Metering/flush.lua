-- Adds one batch of usage exactly once. KEYS[1] is the batch's marker; if it exists the batch was already
-- added (a retry after a lost reply, or a spool replayed after a crash) and nothing happens.
-- KEYS[2..] are the counters. ARGV: [1] marker lifetime (s), [2] counter lifetime (s), then quadruples of
-- (index into KEYS, hash field or '' for a plain counter, amount, condition). A condition '' always adds; a
-- condition '<field>=<n>' adds only while the hash's <field> is below n: a request served after its limiter call
-- timed out is charged to the month only if that call (number n of its gateway instance) did not count it.
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  return 0
end
local i = 3
while i <= #ARGV do
  local key = KEYS[tonumber(ARGV[i])]
  local field = ARGV[i + 1]
  local amount = tonumber(ARGV[i + 2])
  local condition = ARGV[i + 3]
  local add = true
  if condition ~= '' then
    local at = string.find(condition, '=', 1, true)
    local counted = tonumber(redis.call('HGET', key, string.sub(condition, 1, at - 1)) or '0')
    add = counted < tonumber(string.sub(condition, at + 1))
  end
  if add then
    if field == '' then
      redis.call('INCRBY', key, amount)
    else
      redis.call('HINCRBY', key, field, amount)
    end
  end
  i = i + 4
end
for k = 2, #KEYS do
  redis.call('EXPIRE', KEYS[k], tonumber(ARGV[2]))
end
return 1

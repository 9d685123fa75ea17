-- Adds one batch of usage exactly once. KEYS[1] is the batch's marker; if it exists the batch was already
-- added (a retry after a lost reply, or a spool replayed after a crash) and nothing happens.
-- KEYS[2..] are the counters. ARGV: [1] marker lifetime (s), [2] counter lifetime (s), then triples of
-- (index into KEYS, hash field or '' for a plain counter, amount).
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  return 0
end
local i = 3
while i <= #ARGV do
  local key = KEYS[tonumber(ARGV[i])]
  local field = ARGV[i + 1]
  local amount = tonumber(ARGV[i + 2])
  if field == '' then
    redis.call('INCRBY', key, amount)
  else
    redis.call('HINCRBY', key, field, amount)
  end
  i = i + 3
end
for k = 2, #KEYS do
  redis.call('EXPIRE', KEYS[k], tonumber(ARGV[2]))
end
return 1

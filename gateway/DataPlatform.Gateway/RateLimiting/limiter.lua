-- One call decides a request: burst per second and requests per minute (GCRA), then the monthly request and
-- byte quotas of the calendar month in Asia/Ho_Chi_Minh (UTC+7 all year). It reads the server's clock, checks
-- every policy before writing anything, and writes only when all pass, so a refused request consumes nothing.
-- KEYS[1] burst TAT, KEYS[2] minute TAT, KEYS[3] the quota hash, with fields requests:<yyyyMM> and
-- bytes:<yyyyMM> for the month the server's clock gives. Every key is declared, as Redis Cluster and Garnet's
-- key locking require, and all share the consumer's hash tag.
-- ARGV: [1] time override in microseconds ('' = server time), [2] unused, [3] burst per second,
--       [4] requests per minute, [5] monthly requests, [6] monthly bytes (0 = no limit for each).
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local burst = tonumber(ARGV[3])
local perMinute = tonumber(ARGV[4])
local monthly = tonumber(ARGV[5])
local monthlyBytes = tonumber(ARGV[6])

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local localSeconds = math.floor(now / 1000000) + 25200
local z = math.floor(localSeconds / 86400) + 719468
local era = math.floor(z / 146097)
local doe = z - era * 146097
local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
local mp = math.floor((5 * doy + 2) / 153)
local month = mp < 10 and mp + 3 or mp - 9
local year = yoe + era * 400
if month <= 2 then year = year + 1 end
local nextYear, nextMonth = year, month + 1
if nextMonth == 13 then nextYear, nextMonth = year + 1, 1 end
local monthStart = days_from_civil(year, month, 1) * 86400
local monthEnd = days_from_civil(nextYear, nextMonth, 1) * 86400
local monthName = string.format('%04d%02d', year, month)
local quotaKey = KEYS[3]
local requestsField = 'requests:' .. monthName
local bytesField = 'bytes:' .. monthName

local violated = 0
local retry = 0

-- GCRA: the theoretical arrival time (TAT) of the next request; allowed while TAT + interval - now <= period.
local function gcra(key, limit, period, bit)
  if limit <= 0 then return nil, -1, 0 end
  local interval = period / limit
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local newTat = tat + interval
  if newTat - now > period then
    violated = violated + bit
    local wait = newTat - period - now
    if wait > retry then retry = wait end
    return nil, 0, math.ceil((tat - now) / 1000000)
  end
  return newTat, math.floor((period - (newTat - now)) / interval + 0.000001), math.ceil((newTat - now) / 1000000)
end

local burstTat, burstRemaining, burstReset = gcra(KEYS[1], burst, 1000000, 1)
local minuteTat, minuteRemaining, minuteReset = gcra(KEYS[2], perMinute, 60000000, 2)

local used = tonumber(redis.call('HGET', quotaKey, requestsField) or '0')
local usedBytes = tonumber(redis.call('HGET', quotaKey, bytesField) or '0')
local monthReset = monthEnd - localSeconds
if monthly > 0 and used + 1 > monthly then
  violated = violated + 4
  if monthReset * 1000000 > retry then retry = monthReset * 1000000 end
end
if monthlyBytes > 0 and usedBytes >= monthlyBytes then
  violated = violated + 8
  if monthReset * 1000000 > retry then retry = monthReset * 1000000 end
end

if violated == 0 then
  if burstTat then redis.call('SET', KEYS[1], string.format('%.0f', burstTat), 'PX', 2000) end
  if minuteTat then redis.call('SET', KEYS[2], string.format('%.0f', minuteTat), 'PX', 61000) end
  if monthly > 0 then
    used = redis.call('HINCRBY', quotaKey, requestsField, 1)
    redis.call('EXPIRE', quotaKey, 8640000)
  end
end

return { violated, math.floor(burstRemaining), math.floor(burstReset), math.floor(minuteRemaining), math.floor(minuteReset),
  math.floor(used), math.floor(usedBytes), math.floor(monthReset), math.floor(monthEnd - monthStart),
  math.ceil(retry / 1000000), monthName }

-- One call decides a batch of requests of one consumer, in the order they arrived: burst per second and requests
-- per minute (GCRA), then the monthly request and byte quotas of the calendar month in Asia/Ho_Chi_Minh (UTC+7 all
-- year). It reads the server's clock, checks every policy of a request before counting it, and counts only a
-- request that passes all of them, so a refused request consumes nothing and the next one in the batch is decided
-- exactly as if it had come in a call of its own.
-- KEYS[1] is the consumer's one limiter hash: fields burst and minute (GCRA theoretical arrival times, in
-- microseconds), requests:<yyyyMM> and bytes:<yyyyMM> (the month's counts; bytes are added by the metering
-- flush). One declared key keeps the script to three commands (TIME, HMGET, HSET) per batch and within one
-- cluster slot.
-- ARGV: [1] time override in microseconds ('' = server time), [2] burst per second, [3] requests per minute,
--       [4] monthly requests, [5] monthly bytes (0 = no limit for each), [6] how many requests (default 1),
--       [7] the calling limiter's instance name and [8] the call's number ('' = none): a call that counts records
--       its number in field call:<instance>, so that a request whose call timed out at the gateway is charged to the
--       month by the metering flush only if this call did not count it (calls of one instance run in order).
-- Returns { month name, bytes used this month, seconds to the month's end, the month's length in seconds, the
-- decisions }: one string with, for each request, seven integers separated by commas and ended by a semicolon
-- (violated policies as bit flags, burst remaining, burst reset, minute remaining, minute reset, requests used this
-- month, retry after in seconds). One string rather than seven replies per request keeps a large batch cheap to
-- send and to read.
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local burst = tonumber(ARGV[2])
local perMinute = tonumber(ARGV[3])
local monthly = tonumber(ARGV[4])
local monthlyBytes = tonumber(ARGV[5])
local count = tonumber(ARGV[6] or '1')

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
local requestsField = 'requests:' .. monthName
local bytesField = 'bytes:' .. monthName

local callField = (ARGV[7] and ARGV[7] ~= '') and ('call:' .. ARGV[7]) or nil
local state = redis.call('HMGET', KEYS[1], 'burst', 'minute', requestsField, bytesField, callField or 'burst')
local burstStored = tonumber(state[1] or '0')
local minuteStored = tonumber(state[2] or '0')
local used = tonumber(state[3] or '0')
local usedBytes = tonumber(state[4] or '0')
local monthReset = monthEnd - localSeconds
local violated, retry

-- GCRA: the theoretical arrival time (TAT) of the next request; allowed while TAT + interval - now <= period.
-- Returns the new TAT (nil when refused), the requests left, and the effective window of the RateLimit field
-- (draft-ietf-httpapi-ratelimit-headers-11, 4.1.2): the seconds within which the client can make no more than
-- those requests, which is until the next unit frees up, not until the whole quota is back. For a refused
-- request that is exactly its wait, so Retry-After never points earlier than the window's end (section 6).
local function gcra(stored, limit, period, bit)
  if limit <= 0 then return nil, -1, 0 end
  local interval = period / limit
  local tat = stored
  if tat < now then tat = now end
  local newTat = tat + interval
  if newTat - now > period then
    violated = violated + bit
    local wait = newTat - period - now
    if wait > retry then retry = wait end
    return nil, 0, math.ceil(wait / 1000000)
  end
  local remaining = math.floor((period - (newTat - now)) / interval + 0.000001)
  return newTat, remaining, math.ceil((newTat + (remaining + 1) * interval - period - now) / 1000000)
end

local decisions = {}
local counted = false
for _ = 1, count do
  violated, retry = 0, 0
  local burstTat, burstRemaining, burstReset = gcra(burstStored, burst, 1000000, 1)
  local minuteTat, minuteRemaining, minuteReset = gcra(minuteStored, perMinute, 60000000, 2)
  if monthly > 0 and used + 1 > monthly then
    violated = violated + 4
    if monthReset * 1000000 > retry then retry = monthReset * 1000000 end
  end
  if monthlyBytes > 0 and usedBytes >= monthlyBytes then
    violated = violated + 8
    if monthReset * 1000000 > retry then retry = monthReset * 1000000 end
  end
  if violated == 0 then
    if burstTat then burstStored = burstTat; counted = true end
    if minuteTat then minuteStored = minuteTat; counted = true end
    if monthly > 0 then used = used + 1; counted = true end
  else
    -- Refused by another policy, the request took nothing: a policy that would have let it through keeps the
    -- unit it would have used (the window is the same either way).
    if burstTat then burstRemaining = burstRemaining + 1 end
    if minuteTat then minuteRemaining = minuteRemaining + 1 end
  end
  decisions[#decisions + 1] = string.format('%d,%d,%d,%d,%d,%d,%d;', violated, math.floor(burstRemaining),
    math.floor(burstReset), math.floor(minuteRemaining), math.floor(minuteReset), math.floor(used), math.ceil(retry / 1000000))
end

if counted then
  local writes = {}
  if burst > 0 then writes[#writes + 1] = 'burst'; writes[#writes + 1] = string.format('%.0f', burstStored) end
  if perMinute > 0 then writes[#writes + 1] = 'minute'; writes[#writes + 1] = string.format('%.0f', minuteStored) end
  if monthly > 0 then writes[#writes + 1] = requestsField; writes[#writes + 1] = used end
  -- The highest call number wins: two lanes of one consumer (a plan change) may run their calls side by side.
  if monthly > 0 and callField and tonumber(ARGV[8]) > tonumber(state[5] or '0') then
    writes[#writes + 1] = callField; writes[#writes + 1] = ARGV[8]
  end
  -- A new field means a new month (or a new consumer): push the hash's expiry past the month's end.
  if redis.call('HSET', KEYS[1], (table.unpack or unpack)(writes)) > 0 then
    redis.call('EXPIRE', KEYS[1], 8640000)
  end
end

return { monthName, math.floor(usedBytes), math.floor(monthReset), math.floor(monthEnd - monthStart), table.concat(decisions) }

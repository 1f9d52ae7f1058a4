-- wrk script for the OTP benchmark.
--   wrk ... -s bench/otp.lua <url>                      GET <url> (the bare endpoint), counting 2xx answers
--   wrk ... -s bench/otp.lua <url> -- <bodies> <token> <threads>
--                                                       POST each line of <bodies> in turn as JSON with
--                                                       "Authorization: Bearer <token>"; counts
--                                                       {"accepted":true} answers and tallies rejection reasons
-- Each thread takes every n-th line starting at its own index, so no line is sent twice while the file lasts
-- (a code sent twice would be a replay and be refused). When a thread runs out of lines it wraps around and
-- counts the wrap: those requests are replays, and the harness reports them instead of hiding them.
-- done() prints one line "WRK_RESULT <json>" for the harness to parse.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  wraps = 0
  ok_answers = 0
  accepted = 0
  reasons = {}
  local path = args[1]
  if path then
    for line in io.lines(path) do
      if #line > 0 then bodies[#bodies + 1] = line end
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  -- wrk runs init() of one thread before setup() of the next, so the thread count comes in as an argument.
  stride = tonumber(args[3]) or 1
  next_index = thread_index + 1
end

function request()
  if #bodies == 0 then
    return wrk.format()
  end
  if next_index > #bodies then
    next_index = ((next_index - 1) % #bodies) + 1
    wraps = wraps + 1
  end
  local body = bodies[next_index]
  next_index = next_index + stride
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok_answers = ok_answers + 1 end
  if #bodies == 0 then return end
  if string.find(body, '"accepted":true', 1, true) then
    accepted = accepted + 1
  else
    local reason = string.match(body, '"reason":"([%w_]+)"') or string.match(body, '"code":"([%w_]+)"') or ("HTTP_" .. status)
    reasons[reason] = (reasons[reason] or 0) + 1
  end
end

local function json_string(s)
  return '"' .. string.gsub(tostring(s), '[%c"\\]', '') .. '"'
end

function done(summary, latency, requests)
  local totals = { ok = 0, accepted = 0, wraps = 0 }
  local all_reasons = {}
  for _, thread in ipairs(threads) do
    totals.ok = totals.ok + thread:get("ok_answers")
    totals.accepted = totals.accepted + thread:get("accepted")
    totals.wraps = totals.wraps + thread:get("wraps")
    for reason, count in pairs(thread:get("reasons")) do
      all_reasons[reason] = (all_reasons[reason] or 0) + count
    end
  end
  local reason_parts = {}
  for reason, count in pairs(all_reasons) do
    reason_parts[#reason_parts + 1] = json_string(reason) .. ":" .. count
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},"ok":%d,"accepted":%d,"wraps":%d,"reasons":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    totals.ok, totals.accepted, totals.wraps, table.concat(reason_parts, ",")))
end

-- wrk script of bench/run.py: counts answers whose status is not the one expected, makes a fresh request for the
-- write APIs, and prints one JSON line at the end.
-- Arguments (after --): the expected status, then
--   scan TICKET PREFIX: POST /api/v1/checkins scanning TICKET, each with a fresh scan id starting with PREFIX;
--   signup FILE OFFSET THREADS: POST /api/v1/slots/<slot>/signups with a volunteer's bearer token, the pairs
--     "token slot" of FILE taken in turn from line OFFSET + 1 on, each thread every THREADS-th one.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  mode = args[2]
  wrong = 0
  if mode == "scan" then
    ticket = args[3]
    scan_prefix = args[4]
  elseif mode == "signup" then
    signups = {}
    for line in io.lines(args[3]) do
      local token, slot = line:match("^(%S+) (%S+)$")
      table.insert(signups, { token, slot })
    end
    offset = tonumber(args[4])
    stride = tonumber(args[5])
  end
  if mode ~= nil then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  if mode == "scan" then
    counter = counter + 1
    local body = string.format(
      '{"ticket": "%s", "direction": "in", "scan_id": "%s-%d-%d"}', ticket, scan_prefix, id, counter
    )
    return wrk.format(nil, nil, nil, body)
  elseif mode == "signup" then
    -- past the end it wraps round: a signup asked for again answers 200, counted as an error
    local pair = signups[(offset + counter * stride + id - 1) % #signups + 1]
    counter = counter + 1
    local headers = {}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    headers["Authorization"] = "Bearer " .. pair[1]
    return wrk.format(nil, "/api/v1/slots/" .. pair[2] .. "/signups", headers, "{}")
  end
  return wrk.request()
end

function response(status, headers, body)
  if status ~= expected then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("wrong")
  end
  io.write(string.format(
    'WRK {"requests": %d, "errors": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, errors, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000
  ))
end

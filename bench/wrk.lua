-- wrk script of bench/run.py: counts answers whose status is not the one expected, makes a fresh JSON body per
-- request for the check-in API, and prints one JSON line at the end.
-- Arguments (after --): expected status, then for a scan the ticket and a prefix for scan ids.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  ticket = args[2]
  scan_prefix = args[3]
  wrong = 0
  if ticket ~= nil then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  if ticket == nil then
    return wrk.request()
  end
  counter = counter + 1
  local body = string.format(
    '{"ticket": "%s", "direction": "in", "scan_id": "%s-%d-%d"}', ticket, scan_prefix, id, counter
  )
  return wrk.format(nil, nil, nil, body)
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

-- wrk script: walks pre-generated requests from $BENCH_REQUESTS, one per line:
--   METHOD \t PATH \t Name:Value\30Name:Value... \t BODY
-- Threads take every BENCH_THREADS-th line. BENCH_WRAP=1 starts over at the
-- end (nginx reference, reads); otherwise a thread stops when its requests run
-- out so no delivery is sent twice. BENCH_DELAY_MS (fractional) adds think time
-- per connection (the half-load runs). done() prints one BENCH_RESULT line.
local reqs, n, i = {}, 0, 0
local wrap = os.getenv("BENCH_WRAP") == "1"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0
local threads = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local next_index = 0

function setup(thread)
  thread:set("tindex", next_index)
  next_index = next_index + 1
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_REQUESTS"), "rb"))
  local line_no = 0
  for line in f:lines() do
    if line_no % threads == tindex then
      local m, p, h, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      for kv in h:gmatch("[^\30]+") do
        local k, v = kv:match("^([^:]+):(.*)$")
        headers[k] = v
      end
      if b == "" then b = nil end
      n = n + 1
      reqs[n] = wrk.format(m, p, headers, b)
    end
    line_no = line_no + 1
  end
  f:close()
end

function request()
  i = i + 1
  if i > n then
    if wrap then
      i = 1
    else
      wrk.thread:stop()
      i = n
    end
  end
  return reqs[i]
end

if delay_ms > 0 then
  function delay()
    local d = math.floor(delay_ms)
    if math.random() < delay_ms - d then d = d + 1 end
    return d
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d status_errors=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p99_us=%d p999_us=%d mean_us=%.1f max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.mean, latency.max))
end

-- Shared by the benchmark's wrk scripts: subject ids as DataSet.cs generates them, a JSON summary line.
local M = {}

M.subjects = tonumber(os.getenv("BENCH_SUBJECTS") or "100000")
M.frontend_key = os.getenv("BENCH_FRONTEND_KEY") or ""

function M.subject_path(s)
  if s % 10 < 3 then
    return "/consent/subjects/customer/" .. (1000000 + s)
  end
  return "/consent/subjects/visitor/bv" .. string.format("%030d", s)
end

function M.decision(thread_id, n)
  -- A new visitor's first banner decision: unique visitor id and idempotency key per request.
  local visitor = string.format("bw%06d%024d", thread_id, n)
  local body = '{"subject":{"type":"visitor","id":"' .. visitor .. '"},' ..
    '"choices":[{"purpose":"cookies.necessary","status":"granted"},{"purpose":"cookies.preferences","status":"denied"},' ..
    '{"purpose":"cookies.statistics","status":"granted"}],"policyVersion":"2022-02-08","channel":"banner",' ..
    '"notice":{"id":"banner-v1-sv","hash":"' .. string.rep("a", 64) .. '"},"language":"sv",' ..
    '"proof":{"ipAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (X11; Linux x86_64) wrk"}}'
  return wrk.format("POST", "/consent/decisions", {
    ["X-Api-Key"] = M.frontend_key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = visitor,
  }, body)
end

function M.done(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors_status":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_timeout":%d,"p50_us":%d,"p99_us":%d,"mean_us":%f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end

return M

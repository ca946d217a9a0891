-- Frontend traffic: 90% consent state reads (page loads), 10% new decisions (first visits).
package.path = os.getenv("BENCH_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
dofile(os.getenv("BENCH_SCRIPTS") .. "/threads.lua")
local run = os.getenv("BENCH_RUN") or "0"

function init(args)
  math.randomseed(thread_id * 104729 + os.time())
  n = 0
  run_offset = tonumber(run) * 100000000
end

function request()
  if math.random(1, 10) == 1 then
    n = n + 1
    return c.decision(thread_id, run_offset + n)
  end
  return wrk.format("GET", c.subject_path(math.random(1, c.subjects)), { ["X-Api-Key"] = c.frontend_key })
end

done = c.done

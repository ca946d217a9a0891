package.path = os.getenv("BENCH_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
dofile(os.getenv("BENCH_SCRIPTS") .. "/threads.lua")
local run = os.getenv("BENCH_RUN") or "0"

function init(args)
  n = 0
  run_offset = tonumber(run) * 100000000
end

function request()
  n = n + 1
  return c.decision(thread_id, run_offset + n)
end

done = c.done

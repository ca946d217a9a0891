package.path = os.getenv("BENCH_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
dofile(os.getenv("BENCH_SCRIPTS") .. "/threads.lua")

function init(args)
  math.randomseed(thread_id * 7919 + os.time())
end

function request()
  return wrk.format("GET", c.subject_path(math.random(1, c.subjects)), { ["X-Api-Key"] = c.frontend_key })
end

done = c.done

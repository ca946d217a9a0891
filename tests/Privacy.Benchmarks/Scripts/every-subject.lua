-- Reads every subject's state once, in order (each thread takes every other subject): fills a replica's cache
-- the way a long-running replica's is filled.
package.path = os.getenv("BENCH_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
dofile(os.getenv("BENCH_SCRIPTS") .. "/threads.lua")
local threads = 2

function init(args)
  n = thread_id
end

function request()
  local s = n
  n = n + threads
  if s > c.subjects then
    s = ((s - 1) % c.subjects) + 1
  end
  return wrk.format("GET", c.subject_path(s), { ["X-Api-Key"] = c.frontend_key })
end

done = c.done

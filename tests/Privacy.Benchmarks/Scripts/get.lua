-- One GET path (BENCH_PATH) with a key (BENCH_KEY): the trivial endpoint, the registry reads, the raw server.
package.path = os.getenv("BENCH_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
local path = os.getenv("BENCH_PATH") or "/"
local key = os.getenv("BENCH_KEY")

function request()
  if key then
    return wrk.format("GET", path, { ["X-Api-Key"] = key })
  end
  return wrk.format("GET", path)
end

done = c.done

-- Gives every wrk thread its own id (seeds its random numbers and keeps generated ids unique).
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

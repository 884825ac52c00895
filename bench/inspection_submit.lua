-- wrk script: POST the same inspection on every request, each with its own client_token
-- (a new draft each time, so every request stores one). The body, with @TOKEN@ where the
-- token goes, and the API token come from the environment.
local token = os.getenv("VENDORGOV_BENCH_TOKEN") or ""
local body = os.getenv("VENDORGOV_BENCH_BODY") or "{}"
local run = os.getenv("VENDORGOV_BENCH_RUN") or "000000"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local draft = "bench-" .. run .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. token},
                    (body:gsub("@TOKEN@", draft)))
end

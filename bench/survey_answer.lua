-- wrk script: POST one anonymous survey answer per request, each from its own device.
-- bench/surveys.py writes the devices and their form tokens (signed with the server's key)
-- to VENDORGOV_BENCH_DEVICES, one "device token" a line; each thread takes every n-th line.
local file = os.getenv("VENDORGOV_BENCH_DEVICES")
local fields = os.getenv("VENDORGOV_BENCH_FIELDS") or ""
local threads = {}
local devices = {}
local index = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = 0
  for line in io.lines(file) do
    if n % 2 == tid then
      local device, token = line:match("(%S+) (%S+)")
      table.insert(devices, {device, token})
    end
    n = n + 1
  end
end

request = function()
  index = index + 1
  local pair = devices[index]
  if pair == nil then
    pair = devices[1] -- out of devices: a refused repeat (counted as non-2xx)
  end
  local body = fields .. "&token=" .. pair[2]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "vg_device=" .. pair[1],
  }, body)
end

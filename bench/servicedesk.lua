-- wrk script: file a service request (POST /api/service/requests) on every request. The same
-- body goes to the floor endpoint, which reads only its name and uscc fields.
local token = os.getenv("VENDORGOV_BENCH_TOKEN") or ""
local place = os.getenv("VENDORGOV_BENCH_PLACE") or "1"
local counter = 0

request = function()
  counter = counter + 1
  local body = '{"category":"cleaning","location_id":' .. place ..
               ',"description":"压测报修 ' .. counter .. '","priority":"urgent",' ..
               '"contact_name":"压测护士","contact_phone":"8123",' ..
               '"name":"压测 ' .. counter .. '","uscc":"x"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. token}, body)
end

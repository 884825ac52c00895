-- wrk script: POST a new vendor with a fresh, valid USCC on every request.
-- The token comes from the environment (VENDORGOV_BENCH_TOKEN); a run prefix keeps codes
-- unique across runs against the same database.
local alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
local weights = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
local token = os.getenv("VENDORGOV_BENCH_TOKEN") or ""
local run = os.getenv("VENDORGOV_BENCH_RUN") or "000000"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function char(i) return alphabet:sub(i + 1, i + 1) end

local function encode(n, width)
  local out = ""
  for _ = 1, width do
    out = char(n % 31) .. out
    n = math.floor(n / 31)
  end
  return out
end

local function uscc()
  counter = counter + 1
  local body = "91" .. run .. encode(tid, 1) .. encode(counter, 8)
  local sum = 0
  for i = 1, 17 do
    sum = sum + (alphabet:find(body:sub(i, i), 1, true) - 1) * weights[i]
  end
  return body .. char((31 - sum % 31) % 31)
end

request = function()
  local code = uscc()
  local body = '{"name":"压测服务商 ' .. code .. '","uscc":"' .. code ..
               '","categories":["cleaning"]}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. token}, body)
end

-- POSTs one order per call to the orders API, cycling over the registration ids in REGS_FILE
-- (one per line); each wrk thread starts at its own offset.
local threads = {}
local ids = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("TOKEN")
  for line in io.lines(os.getenv("REGS_FILE")) do
    table.insert(ids, line)
  end
  counter = id * 7919
end

request = function()
  local reg = ids[(counter % #ids) + 1]
  counter = counter + 1
  return wrk.format("POST", "/partner/external/v3/general/customers/" .. reg .. "/orders", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"productSku":"BENCH-SEATS","quantity":1,"currency":"USD"}')
end

-- POSTs one onboarding request per call, each for a different account: link mode
-- (free<N>@bench.test, no password) or register mode (new<N>@bench.test with a password)
-- when MODE=register. Each wrk thread takes its own range of N.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = id * 1000000
  token = os.getenv("TOKEN")
  mode = os.getenv("MODE") or "link"
end

request = function()
  local body
  if mode == "register" then
    body = string.format('{"firstName":"B","lastName":"N","organizationName":"New %d","registrationAccount":"new%d@bench.test","countryCode":"US","dataCenter":"default","password":"bench-pass-%d-xyz"}', counter, counter, counter)
  else
    body = string.format('{"firstName":"B","lastName":"N","organizationName":"Free %d","registrationAccount":"free%d@bench.test","countryCode":"US","dataCenter":"default"}', counter, counter % 1000000 + math.floor(counter / 1000000) * 100000)
  end
  counter = counter + 1
  return wrk.format("POST", "/partner/external/v3/general/customers", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

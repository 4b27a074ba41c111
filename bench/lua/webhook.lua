-- POSTs signed Stripe webhooks, cycling over EVENTS_FILE: one event per line, its
-- Stripe-Signature header, a tab, then its JSON body (a third of them repeat an earlier event,
-- as Stripe's retries do). Each wrk thread starts at its own offset.
local threads = {}
local events = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("EVENTS_FILE")) do
    local tab = line:find("\t", 1, true)
    table.insert(events, { line:sub(1, tab - 1), line:sub(tab + 1) })
  end
  counter = id * 7919
end

request = function()
  local e = events[(counter % #events) + 1]
  counter = counter + 1
  return wrk.format("POST", "/webhooks/stripe", {
    ["Stripe-Signature"] = e[1],
    ["Content-Type"] = "application/json",
  }, e[2])
end

-- wrk: participants check themselves in to one training session, each with a new name and
-- phone, as the page's form posts it (a CSRF cookie and the same token in the body).
-- usage: SESSION=<session id> wrk -t2 -c16 -d5s -s dt-check-in.lua http://127.0.0.1:8080
-- The session must be today's, open, with enough seats (up to 2,000: run short bursts).
local session = os.getenv("SESSION")
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    "csrf=bench&name=Hoc+vien+%d+%d&phone=08%d%07d&village_code=27937-01", tid, n, tid, n)
  return wrk.format("POST", "/training/sessions/" .. session .. "/check-in",
    { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "xaso_csrf=bench" }, body)
end
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. "\n")
  end
end

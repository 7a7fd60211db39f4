local codes = {}
for line in io.lines("/tmp/vb/codes.txt") do codes[#codes + 1] = line end
local n = tonumber(os.getenv("CODES") or #codes)
math.randomseed(os.time())
request = function()
  local c = codes[math.random(1, n)]
  return wrk.format("GET", "/page.html?" .. c)
end

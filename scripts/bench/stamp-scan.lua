-- Each request scans a stamp drawn at random from the first N codes of codes.txt
-- (N from the environment variable CODES, default all listed; the file from CODES_FILE, default
-- /tmp/vb/codes.txt with 200,000 codes).
local codes = {}
for line in io.lines(os.getenv("CODES_FILE") or "/tmp/vb/codes.txt") do codes[#codes + 1] = line end
local n = tonumber(os.getenv("CODES") or #codes)
math.randomseed(os.time())
request = function()
  local c = codes[math.random(1, n)]
  return wrk.format("GET", "/01/09520001123450/10/DH-2026-03/21/" .. c)
end

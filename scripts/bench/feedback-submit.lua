-- wrk: posts reports with a photo through the Open311 API (the same submit path as the web
-- form, without its CSRF cookie), at GPS positions inside the Đức Hòa area.
-- usage: PHOTO=/tmp/fb/photo.jpg wrk -t2 -c16 -d15s -s feedback-submit.lua http://127.0.0.1:8080
-- The photo (about 1 MB) is read once and 16 request bodies (16 positions) are built up front,
-- so wrk spends its time sending, not concatenating megabytes in Lua.
local f = assert(io.open(os.getenv("PHOTO") or "/tmp/fb/photo.jpg", "rb"))
local photo = f:read("*a")
f:close()
local boundary = "XASOBENCHBOUNDARY"
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
-- Built in init (once per thread), when wrk.headers holds the Host header nginx requires.
local requests = {}
init = function(args)
for i = 1, 16 do
  local lat = 10.86 + i * 0.0011
  local lng = 106.40 + i * 0.0009
  local body = part("api_key", "demo-open311-key") .. part("service_code", "giao-thong")
    .. part("lat", string.format("%.6f", lat)) .. part("long", string.format("%.6f", lng))
    .. part("description", "Ổ gà lớn trên đường liên ấp, thử tải " .. i)
    .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"o-ga.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    .. photo .. "\r\n--" .. boundary .. "--\r\n"
  requests[i] = wrk.format("POST", "/open311/v2/requests.json",
    { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body)
end
end
local n = 0
request = function()
  n = n + 1
  return requests[(n % 16) + 1]
end
response = function(status, headers, body)
  if status ~= 201 then
    io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n")
  end
end

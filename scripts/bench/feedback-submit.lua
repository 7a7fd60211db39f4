-- wrk: posts reports with a photo through the Open311 API (the same submit path as the web
-- form, without its CSRF cookie), each at a GPS position inside the Đức Hòa area.
-- usage: wrk -t2 -c16 -d30s -s feedback-submit.lua http://127.0.0.1:8080
-- PHOTO=/path/to/photo.jpg (about 1 MB) is read once.
local f = assert(io.open(os.getenv("PHOTO") or "/tmp/fb/photo.jpg", "rb"))
local photo = f:read("*a")
f:close()
local boundary = "XASOBENCHBOUNDARY"
local n = 0
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
request = function()
  n = n + 1
  local lat = 10.86 + (n % 97) * 0.0004
  local lng = 106.40 + (n % 89) * 0.0004
  local body = part("api_key", "demo-open311-key") .. part("service_code", "giao-thong")
    .. part("lat", string.format("%.6f", lat)) .. part("long", string.format("%.6f", lng))
    .. part("description", "Ổ gà lớn trên đường liên ấp, thử tải số " .. n)
    .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"o-ga.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    .. photo .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/open311/v2/requests.json",
    { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body)
end
response = function(status, headers, body)
  if status ~= 201 then
    io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n")
  end
end

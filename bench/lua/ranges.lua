-- Players seeking through one video: every request a random 1 MiB range of a SIZE-byte file.
local size = tonumber(os.getenv("SIZE") or "209715200")
local chunk = 1048576

request = function()
  local from = math.random(0, size - chunk - 1)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. from .. "-" .. (from + chunk - 1) })
end

response = function(status)
  if status ~= 206 then
    error("expected 206, got " .. status)
  end
end

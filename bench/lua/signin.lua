-- A sign-in storm: every request signs EMAIL in with PASSWORD (bcrypt at the server's cost).
local body = '{"email":"' .. os.getenv("EMAIL") .. '","password":"' .. os.getenv("PASSWORD") .. '"}'

request = function()
  return wrk.format("POST", "/api/v1/accounts/login", { ["Content-Type"] = "application/json" }, body)
end

local failed = 0
response = function(status)
  if status ~= 201 then
    failed = failed + 1
    if failed <= 3 then
      io.stderr:write("sign-in answered " .. status .. "\n")
    end
  end
end

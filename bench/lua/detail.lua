-- Catalog detail reads: every request a random movie id of 1..MOVIES.
local movies = tonumber(os.getenv("MOVIES") or "100000")

request = function()
  return wrk.format("GET", "/api/v1/movies/" .. math.random(1, movies))
end

-- Cold catalog load for wrk: every request a different URL, so the cache rarely helps.
--   COLD=detail|list|filter|search   which kind of request (one kind per run)
--   MOVIES=100000                    ids of the seeded catalog
--   WORDS=path                       the description vocabulary, one word per line (search)
local kind = os.getenv("COLD") or "detail"
local movies = tonumber(os.getenv("MOVIES") or "100000")
local sorts = { "name", "year", "time", "imdb", "votes", "meta_score", "gross", "price", "rating", "id" }
local orders = { "asc", "desc" }
local words = {}

local function pick(list)
  return list[math.random(#list)]
end

function setup(thread)
  thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
  math.randomseed(seed or os.time())
  local path = os.getenv("WORDS")
  if path then
    for word in io.lines(path) do
      if #word > 0 then words[#words + 1] = word end
    end
  end
end

function request()
  local path
  if kind == "detail" then
    path = "/api/v1/movies/" .. math.random(1, movies)
  elseif kind == "list" then
    -- Any of the first 5,000 pages, any sort, either direction.
    path = string.format("/api/v1/movies/?skip=%d&limit=20&sort_by=%s&order=%s",
      20 * math.random(0, 4999), pick(sorts), pick(orders))
  elseif kind == "filter" then
    local from = math.random(1950, 2025)
    local to = math.min(2025, from + math.random(0, 30))
    path = string.format(
      "/api/v1/movies/filter/advanced?genre_ids=%d&year_from=%d&year_to=%d&sort_by=%s&order=%s",
      math.random(1, 22), from, to, pick({ "imdb", "year", "votes", "price" }), pick(orders))
  elseif kind == "search" then
    path = "/api/v1/movies/search/query?q=" .. pick(words) .. "%20" .. pick(words)
  end
  return wrk.format("GET", path)
end

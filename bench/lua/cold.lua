-- Cold catalog load for wrk: every request a different URL, so the cache rarely helps.
--   COLD=detail|list|filter|search|typed|suggest   which kind of request (one kind per run)
--   MOVIES=100000                    ids of the seeded catalog
--   WORDS=path                       the description vocabulary, one word per line (search)
--   TITLE_WORDS=path, PEOPLE=path    title words and surnames of the seed (typed, suggest)
--
-- `typed` is search as people type it, over the synthetic catalog's own words: two title
-- words in shuffled order, a title word with one typo, a prefix, a surname with a title word.
-- (`search`, two random plot words, is the phrase search of before: under all-words matching
-- each such pair matches ~9% of the catalog.) `suggest` asks /movies/suggest with the prefixes a search box sends.
local kind = os.getenv("COLD") or "detail"
local movies = tonumber(os.getenv("MOVIES") or "100000")
local sorts = { "name", "year", "time", "imdb", "votes", "meta_score", "gross", "price", "rating", "id" }
local orders = { "asc", "desc" }
local words = {}
local title_words = {}
local people = {}

local function pick(list)
  return list[math.random(#list)]
end

function setup(thread)
  thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
  math.randomseed(seed or os.time())
  local function load(env, into)
    local path = os.getenv(env)
    if path then
      for word in io.lines(path) do
        if #word > 0 then into[#into + 1] = word:lower() end
      end
    end
  end
  load("WORDS", words)
  load("TITLE_WORDS", title_words)
  load("PEOPLE", people)
end

-- One typo: two neighbouring letters swapped, a letter dropped, or one replaced.
local function typo(word)
  if #word < 5 then return word end
  local i = math.random(2, #word - 1)
  local kind = math.random(3)
  if kind == 1 then
    return word:sub(1, i - 1) .. word:sub(i + 1, i + 1) .. word:sub(i, i) .. word:sub(i + 2)
  elseif kind == 2 then
    return word:sub(1, i - 1) .. word:sub(i + 1)
  end
  return word:sub(1, i - 1) .. string.char(math.random(97, 122)) .. word:sub(i + 1)
end

-- What someone types, as a query-string value.
local function typed()
  local kind = math.random(4)
  if kind == 1 then
    return pick(title_words) .. "%20" .. pick(title_words)
  elseif kind == 2 then
    return typo(pick(title_words))
  elseif kind == 3 then
    local word = pick(title_words)
    return word:sub(1, math.min(#word, math.random(3, 6)))
  end
  return pick(people) .. "%20" .. pick(title_words)
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
  elseif kind == "typed" then
    path = "/api/v1/movies/search/query?q=" .. typed()
  elseif kind == "suggest" then
    local first, second = pick(title_words), pick(title_words)
    local q = first:sub(1, math.min(#first, math.random(2, #first)))
    if math.random(2) == 1 then
      q = first .. "%20" .. second:sub(1, math.min(#second, math.random(1, #second)))
    end
    path = "/api/v1/movies/suggest?q=" .. q
  end
  return wrk.format("GET", path)
end

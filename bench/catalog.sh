#!/usr/bin/env bash
# Catalog benchmark: a 100k-movie catalog on PostgreSQL, the release server, and wrk at 64
# connections, in two modes, with /health as the ceiling:
#   hot   the URLs of shared/docs/performance.md, each repeated (what the cache serves);
#   cold  bench/lua/cold.lua: every request a different URL (random detail ids over the whole
#         catalog, random pages and sorts, random genre/year filters, random two-word queries
#         of the description vocabulary, typed queries — shuffled title words, typos, prefixes,
#         people with title words — and search-box suggestions), so the cache rarely helps.
#         COLD_KINDS picks some of them ("typed suggest").
#
#   bench/catalog.sh                 # seeds a fresh database, then measures
#   REUSE=1 bench/catalog.sh         # measures an already seeded database
#   SOCKET= bench/catalog.sh         # the server reaches PostgreSQL by loopback TCP instead
#
# The server reaches PostgreSQL by its Unix socket when there is one (SOCKET, by default
# /var/run/postgresql): the way to run beside the database. Over TCP the connection is
# encrypted whenever the server offers TLS (sslmode=prefer, the default of the URL), even on
# loopback — see docs/benchmarks.md for what that costs.
#
# After the HTTP figures it replays bench/sql/*.sql (the SQL of one request each) with pgbench
# at the same concurrency: the database's own ceiling for those requests.
#
# Settings: PG (server URL), DB (database name), MOVIES, DURATION, CONNECTIONS, PORT, SOCKET,
# CATALOG_CACHE (on/off, passed to the server), MODES ("hot cold" by default).
# Loopback only; every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-cinema_bench}
MOVIES=${MOVIES:-100000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8099}
BIN=target/release/cinema
URL="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked --bin cinema

MODES=${MODES:-hot cold}
export DATABASE_URL="$PG/$DB" LOG_LEVEL=warn HTTP_ADDR="127.0.0.1:$PORT" JWT_SECRET=bench-bench-bench-bench-bench-bench
SOCKET=${SOCKET-/var/run/postgresql}
[ -S "$SOCKET/.s.PGSQL.5432" ] || SOCKET=
if [ -n "$SOCKET" ]; then echo "server → PostgreSQL: Unix socket $SOCKET"; else echo "server → PostgreSQL: loopback TCP"; fi
if [ -z "${REUSE:-}" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" seed --movies "$MOVIES"
fi

DATABASE_URL="$DATABASE_URL${SOCKET:+?host=$SOCKET}" CATALOG_CACHE=${CATALOG_CACHE:-on} "$BIN" serve --no-worker &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done

declare -a NAMES=(health list list_deep_sorted detail filter search typed suggest)
declare -A PATHS=(
  [health]="/health"
  [list]="/api/v1/movies/?skip=0&limit=20"
  [list_deep_sorted]="/api/v1/movies/?skip=5000&limit=20&sort_by=imdb&order=desc"
  [detail]="/api/v1/movies/4242"
  [filter]="/api/v1/movies/filter/advanced?genre_ids=3&year_from=1990&year_to=2010&sort_by=imdb&order=desc"
  [search]="/api/v1/movies/search/query?q=haunted%20lighthouse"
  [typed]="/api/v1/movies/search/query?q=rivre%20shadwo"
  [suggest]="/api/v1/movies/suggest?q=silent%20oce"
)

# shellcheck source=bench/lib.sh
. bench/lib.sh

# One wrk run: prints a table row; $1 = label, $2 = path, $3... = extra wrk arguments.
health_rps=""
measure() {
  local label=$1 path=$2
  shift 2
  wrk -t2 -c"$CONNECTIONS" -d2s "$@" "$URL$path" >/dev/null   # warm-up
  local out rps p50 p99 errors ratio
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$URL$path")
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  errors=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out")
  [ -z "$health_rps" ] && health_rps=$rps
  ratio=$(awk -v a="$rps" -v b="$health_rps" 'BEGIN { printf "%.1f%%", 100 * a / b }')
  printf '| %s | %.0f | %s | %s | %s |%s\n' "$label" "$rps" "$p50" "$p99" "$ratio" "${errors:+ ⚠ $errors}"
}

printf '| endpoint | req/s | p50 ms | p99 ms | of /health |\n|---|---:|---:|---:|---:|\n'
for name in "${NAMES[@]}"; do
  path=${PATHS[$name]}
  status=$(curl -s -o /dev/null -w '%{http_code}' "$URL$path")
  [ "$status" = 200 ] || { echo "$path answered $status" >&2; exit 1; }
  [ "$name" = health ] || [[ " $MODES " == *" hot "* ]] || continue
  measure "hot \`$path\`" "$path"
done

if [[ " $MODES " == *" cold "* ]]; then
  words=$(mktemp) title_words=$(mktemp) people=$(mktemp)
  grep -o '^[a-z]*$' bin/src/seed/data/vocabulary.txt >"$words"
  cat bin/src/seed/data/adjectives.txt bin/src/seed/data/nouns.txt | grep -o '^[A-Za-z]*$' >"$title_words"
  grep -o '^[A-Za-z]*$' bin/src/seed/data/surnames.txt >"$people"
  for kind in ${COLD_KINDS:-detail list filter search typed suggest}; do
    COLD=$kind MOVIES=$MOVIES WORDS=$words TITLE_WORDS=$title_words PEOPLE=$people \
      measure "cold $kind (random URLs)" / -s bench/lua/cold.lua
  done
  rm -f "$words" "$title_words" "$people"
fi
echo
echo "pathological queries, each asked once (the server's cache has not seen them):"
printf '| query | status | ms |\n|---|---:|---:|\n'
ten="the%20$(printf 'a%%20%.0s' $(seq 1 8))night"
for q in "a" "e" "$ten" "$(printf 'x%.0s' $(seq 1 1000))" "%21%21%21%20%3F%3F%20..." \
  "s&limit=100&skip=900" "the%20a%20of%20in%20to%20and%20s"; do
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$URL/api/v1/movies/search/query?q=$q")
  printf '| `%s` | %s | %.1f |\n' "${q:0:40}" "${out% *}" "$(awk -v t="${out#* }" 'BEGIN { print t * 1000 }')"
done
echo
echo "peak RSS of the server: $(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server/status")"

command -v pgbench >/dev/null || { echo "pgbench not found: no database ceiling"; exit 0; }
echo
echo "database ceiling: the same SQL under pgbench -c $CONNECTIONS -j 2 -M prepared"
printf '| request | SQL tps |\n|---|---:|\n'
for sql in bench/sql/*.sql; do
  tps=$(pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" -f "$sql" "$PG/$DB" 2>/dev/null \
    | awk '/^tps/ { printf "%.0f", $3 }' || true)
  printf '| %s | %s |\n' "$(basename "$sql" .sql)" "${tps:-n/a}"
done

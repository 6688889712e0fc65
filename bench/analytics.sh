#!/usr/bin/env bash
# Sales analytics benchmark: 100k movies and 1M items sold over a year (`cinema seed --movies
# --sales`) on PostgreSQL, the release server, and wrk at a few connections per report — by
# movie (top sellers), genre, day, week and month, over a year and over the last 30 days, JSON
# and CSV. Reports are for staff: what matters is the latency of one report, not a flood.
#
#   bench/analytics.sh                 # seeds a fresh database, then measures
#   REUSE=1 bench/analytics.sh         # measures an already seeded database
#
# Settings: PG (server URL), DB, MOVIES, SALES, DURATION, CONNECTIONS, PORT, SOCKET.
# Loopback only; every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-cinema_bench_sales}
MOVIES=${MOVIES:-100000}
SALES=${SALES:-1000000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-4}
PORT=${PORT:-8098}
BIN=target/release/cinema
URL="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked --bin cinema

export DATABASE_URL="$PG/$DB" LOG_LEVEL=warn HTTP_ADDR="127.0.0.1:$PORT" JWT_SECRET=bench-bench-bench-bench-bench-bench
export BCRYPT_COST=4 METRICS_ADDR=off
SOCKET=${SOCKET-/var/run/postgresql}
[ -S "$SOCKET/.s.PGSQL.5432" ] || SOCKET=
if [ -z "${REUSE:-}" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  start=$(date +%s)
  "$BIN" seed --movies "$MOVIES" --sales "$SALES"
  echo "seeded in $(( $(date +%s) - start )) s"
fi
password='Bench#Admin1'
"$BIN" user create --email analyst@bench.test --password "$password" --role MODERATOR --active >/dev/null 2>&1 || true

DATABASE_URL="$DATABASE_URL${SOCKET:+?host=$SOCKET}" "$BIN" serve --no-worker &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done
token=$(curl -fsS -X POST "$URL/api/v1/accounts/login" -H 'content-type: application/json' \
  -d "{\"email\":\"analyst@bench.test\",\"password\":\"$password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# shellcheck source=bench/lib.sh
. bench/lib.sh

today=$(date -u +%F)
year_ago=$(date -u -d '364 days ago' +%F)
month_ago=$(date -u -d '29 days ago' +%F)
echo
echo "$(psql "$PG/$DB" -tAc "SELECT COUNT(*) FROM payment_items") items sold, $MOVIES movies; wrk -c $CONNECTIONS for $DURATION each"
printf '| report | range | rows | req/s | p50 ms | p99 ms |\n|---|---|---:|---:|---:|---:|\n'
for range in "year:$year_ago:$today" "30 days:$month_ago:$today"; do
  IFS=: read -r label from to <<<"$range"
  for group in movie genre day week month csv; do
    accept=application/json
    query="group=$group"
    if [ "$group" = csv ]; then accept=text/csv; query="group=movie&limit=1000"; fi
    path="/api/v1/analytics/sales?from=$from&to=$to&$query"
    rows=$(curl -fsS -H "Authorization: Bearer $token" "$URL$path" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])' 2>/dev/null || echo csv)
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -H "Authorization: Bearer $token" -H "Accept: $accept" "$URL$path")
    errors=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out")
    printf '| %s | %s | %s | %.1f | %s | %s |%s\n' "$group" "$label" "$rows" \
      "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")" \
      "$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")" \
      "$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")" "${errors:+ ⚠ $errors}"
  done
done
echo
echo "plans (one year, by movie):"
psql "$PG/$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
  SELECT pi.movie_id, COUNT(*), SUM(pi.price_cents) FROM payment_items pi
  WHERE pi.sold_at >= (EXTRACT(EPOCH FROM now()) * 1000)::bigint - 365::bigint * 86400000
  GROUP BY pi.movie_id" | grep -E "Scan|Aggregate|Execution"

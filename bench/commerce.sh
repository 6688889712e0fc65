#!/usr/bin/env bash
# Commerce benchmark: on a catalog seeded like bench/catalog.sh's (PostgreSQL, release build,
# loopback only), USERS users each fill a CART-movie cart and place an order, CONCURRENCY at a
# time (tests/examples/commerce_load.rs). Reports orders/s, p50/p99 and errors.
#
#   bench/commerce.sh              # seeds a fresh database, then measures
#   REUSE=1 bench/commerce.sh      # measures an already seeded database (new users each run)
#   FROM=seeded bench/commerce.sh  # measures a fresh copy of the seeded database `seeded`
#                                  # (CREATE DATABASE … TEMPLATE): every run starts from the
#                                  # same catalog with no orders, which side-by-side runs of two
#                                  # builds need (one build's rate may depend on its history)
#
#   RUSH=1 BROWSERS=16 bench/commerce.sh   # a premiere's rush: a moderator publishes a movie
#                                          # and every cart starts with it, 16 clients browse
#   RUSH=1 BROWSERS=16 BROWSE_RATE=1000 …  # … and browse 1,000 requests/s in all, no faster:
#                                          # the same browsing for two builds side by side
#
#   PRIME=300 bench/commerce.sh   # 300 users' purchases on the measured server first, not
#                                 # measured: its connections have prepared and planned every
#                                 # statement of a purchase before the clock starts (steady
#                                 # state; a short run otherwise measures part warm-up)
#
#   FROM=seeded WARMUP=2000 bench/commerce.sh   # a history first: 2,000 users' purchases by
#                                               # the same build, unmeasured, then VACUUM
#                                               # (ANALYZE), as a live shop's database has.
#                                               # Without it the order tables start empty and,
#                                               # autovacuum being off here, plans made then
#                                               # (foreign-key checks' too) scan them whole all
#                                               # run long (docs/benchmarks.md, commerce)
#
# Settings: PG (server URL), DB (database name), MOVIES, USERS, CONCURRENCY, CART, PORT,
# WORKERS (actix threads), SOCKET (reach PostgreSQL by its Unix socket), FROM, WARMUP, PRIME,
# RUSH, BROWSERS and BROWSE_RATE (see above), BIN (the server
# binary: another build, side by side; nothing is built when it is set), CEILING=0 (skip the
# pgbench ceiling). Bounded by TIMEOUT.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-cinema_bench}
MOVIES=${MOVIES:-100000}
USERS=${USERS:-1000}
CONCURRENCY=${CONCURRENCY:-32}
CART=${CART:-5}
PORT=${PORT:-8098}
TIMEOUT=${TIMEOUT:-300}
URL="http://127.0.0.1:$PORT"

if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --bin cinema -p cinema-server
  cargo build --release --locked -p cinema-tests --example commerce_load
fi
BIN=${BIN:-target/release/cinema}

export DATABASE_URL="$PG/$DB" LOG_LEVEL=warn HTTP_ADDR="127.0.0.1:$PORT" \
  JWT_SECRET=bench-bench-bench-bench-bench-bench BCRYPT_COST=4 DATABASE_MAX_CONNECTIONS=${POOL:-32} \
  LOGIN_MAX_FAILURES=1000000 LOGIN_MAX_FAILURES_PER_ADDRESS=1000000
if [ -n "${FROM:-}" ]; then
  # FILE_COPY (PostgreSQL 15+): the default strategy writes the whole copy (~340 MB) to the WAL,
  # and the checkpoints that asks for would fall in some runs and not others.
  strategy=$(psql "$PG/postgres" -Atc "SELECT CASE WHEN current_setting('server_version_num')::int >= 150000 THEN 'STRATEGY FILE_COPY' END")
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB TEMPLATE $FROM $strategy"
elif [ -z "${REUSE:-}" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" seed --movies "$MOVIES"
  psql "$PG/$DB" -qc "VACUUM (ANALYZE)"
fi

SOCKET=${SOCKET:-}
server=
start_server() {
  DATABASE_URL="$DATABASE_URL${SOCKET:+?host=$SOCKET}" HTTP_WORKERS=${WORKERS:-2} "$BIN" serve --no-worker &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done
}
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}
trap stop_server EXIT

if [ "${WARMUP:-0}" -gt 0 ]; then
  start_server
  echo "warm-up: $WARMUP users' purchases, not measured"
  RUSH= BROWSERS= timeout "$TIMEOUT" target/release/examples/commerce_load "$URL" "$PG/$DB" "$WARMUP" \
    "$CONCURRENCY" "$CART" "$MOVIES" >/dev/null
  stop_server
  psql "$PG/$DB" -qc "VACUUM (ANALYZE)"
fi

start_server
if [ "${PRIME:-0}" -gt 0 ]; then
  echo "priming: $PRIME users' purchases on the measured server, not measured"
  RUSH= BROWSERS= BROWSE_RATE= timeout "$TIMEOUT" target/release/examples/commerce_load "$URL" "$PG/$DB" \
    "$PRIME" "$CONCURRENCY" "$CART" "$MOVIES" >/dev/null
fi
# Every measured run starts just after a checkpoint: each pays the same full-page writes.
psql "$PG/postgres" -qc "CHECKPOINT"

timeout "$TIMEOUT" target/release/examples/commerce_load "$URL" "$PG/$DB" "$USERS" "$CONCURRENCY" "$CART" "$MOVIES"
echo
echo "peak RSS of the server: $(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server/status")"

[ "${CEILING:-1}" = 0 ] && exit 0
command -v pgbench >/dev/null || { echo "pgbench not found: no database ceiling"; exit 0; }
range=$(psql "$PG/$DB" -Atc "SELECT min(id) || ' ' || max(id) FROM sessions")
read -r smin smax <<<"$range"
echo
echo "database ceiling: the same statements (bench/sql/commerce/) under pgbench -c $CONCURRENCY -j 2 -M prepared,"
echo "five additions to one order, as in a purchase"
tps=$(pgbench -n -M prepared -c "$CONCURRENCY" -j 2 -T "${PGBENCH_SECS:-15}" -D smin="$smin" -D smax="$smax" \
  -f bench/sql/commerce/add_to_cart.sql@5 -f bench/sql/commerce/place_order.sql@1 "$PG/$DB" 2>/dev/null \
  | awk '/^tps/ { printf "%.0f", $3 }' || true)
if [ -n "$tps" ]; then
  awk -v t="$tps" 'BEGIN { printf "| request transactions/s | purchases/s (÷ 6) |\n|---:|---:|\n| %d | %d |\n", t, t / 6 }'
else
  echo "pgbench failed"
fi

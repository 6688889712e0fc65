#!/usr/bin/env bash
# Sign-in storm: does bcrypt starve the catalog's reads? On the 100k-movie catalog (PostgreSQL,
# release build, loopback only), the catalog detail of random movies at 32 connections for SECS
# seconds, first alone, then while STORM connections sign in without pause (bcrypt at the
# production cost, 12). Reports both p99s and the storm's sign-ins/s and non-2xx answers.
#
#   bench/signin_storm.sh              # seeds a fresh database, then measures
#   REUSE=1 bench/signin_storm.sh      # measures an already seeded database
#
# Settings: PG, DB, MOVIES, SECS, STORM, PORT, WORKERS, BCRYPT_COST. Bounded by TIMEOUT per run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-cinema_bench}
export MOVIES=${MOVIES:-100000}
SECS=${SECS:-15}
STORM=${STORM:-8}
PORT=${PORT:-8097}
TIMEOUT=${TIMEOUT:-120}
BIN=target/release/cinema
URL="http://127.0.0.1:$PORT"
export EMAIL=storm@bench.localhost PASSWORD='Storm#Bench-2026'

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked --bin cinema -p cinema-server

export DATABASE_URL="$PG/$DB" LOG_LEVEL=warn HTTP_ADDR="127.0.0.1:$PORT" \
  JWT_SECRET=bench-bench-bench-bench-bench-bench BCRYPT_COST=${BCRYPT_COST:-12} \
  LOGIN_MAX_FAILURES=1000000 LOGIN_MAX_FAILURES_PER_ADDRESS=1000000
if [ -z "${REUSE:-}" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" seed --movies "$MOVIES"
  psql "$PG/$DB" -qc "VACUUM (ANALYZE)"
fi
CINEMA_USER_PASSWORD="$PASSWORD" "$BIN" user create --email "$EMAIL" --role USER --active >/dev/null 2>&1 || true

HTTP_WORKERS=${WORKERS:-2} "$BIN" serve --no-worker &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/accounts/login" \
  || { echo "the storm's account cannot sign in"; exit 1; }

detail() {
  timeout "$TIMEOUT" wrk -t2 -c32 -d"${1}s" --latency -s bench/lua/detail.lua "$URL"
}
p99() { to_ms "$(awk '$1 == "99%" { print $2 }')"; }
rps() { awk '/^Requests\/sec/ { printf "%.0f", $2 }'; }

detail 2 >/dev/null
alone=$(detail "$SECS")
timeout "$TIMEOUT" wrk -t1 -c"$STORM" -d"$((SECS + 2))s" --timeout 10s --latency -s bench/lua/signin.lua "$URL" >/tmp/storm.$$ 2>&1 &
storm=$!
sleep 1
during=$(detail "$SECS")
wait $storm
signins=$(rps </tmp/storm.$$)
non2xx=$(awk '/Non-2xx/ { print $NF }' /tmp/storm.$$)
errors=$(grep -c 'sign-in answered' /tmp/storm.$$ || true)

echo "| catalog detail, 32 connections | req/s | p99 ms |"
echo "|---|---:|---:|"
echo "| alone | $(rps <<<"$alone") | $(p99 <<<"$alone") |"
echo "| during a storm of $STORM sign-in connections | $(rps <<<"$during") | $(p99 <<<"$during") |"
echo
echo "storm: $signins sign-ins/s, p99 $(p99 </tmp/storm.$$) ms, answers other than 201: ${non2xx:-0} ($errors logged)"
grep -E 'sign-in answered|Socket errors' /tmp/storm.$$ || true
rm -f /tmp/storm.$$

#!/usr/bin/env bash
# Mixed load over several instances (issue 30): INSTANCES `cinema serve --no-worker` processes
# and WORKERS `cinema worker` processes on one PostgreSQL database, simulated people spread over
# them for SECS seconds (tests/examples/soak/: sign-up through the real activation mail,
# browse, search, cart, order, pay on the test gateway's page, rate, like, comment, refund), then
# every invariant checked from the database and the SMTP server. FAULTS=1 kills one API process
# and one worker with SIGKILL a third of the way in and restarts them. OUTAGES=1 runs on a
# PostgreSQL cluster and an S3 server of the rig's own (initdb/pg_ctl on another port, seeded
# with MOVIES) and takes away the database, then SMTP, then S3 for OUTAGE_SECS each (twice that
# for SMTP) under the load.
#
#   bench/soak.sh                          # 2 API processes, 1 worker, 60 s
#   INSTANCES=1 bench/soak.sh; INSTANCES=3 bench/soak.sh
#   FAULTS=1 SECS=90 bench/soak.sh
#   OUTAGES=1 MOVIES=100000 SECS=90 bench/soak.sh
#
#   PROFILE=debug MOVIES=2000 SECS=15 bench/soak.sh   # the short run CI makes (.ci/run)
#
# Settings: PG, DB, MOVIES (catalog size, seeded once and reused: REUSE=1 skips the seed),
# INSTANCES, WORKERS, USERS, SECS, FAULTS, OUTAGES, OUTAGE_SECS, BASE_PORT, PROFILE (release, or debug for a quick
# check of the invariants, not of speed). Bounded: the run is SECS plus at most a minute of
# draining, and the whole script is killed after TIMEOUT seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-cinema_soak}
MOVIES=${MOVIES:-100000}
SECS=${SECS:-60}
TIMEOUT=${TIMEOUT:-$((SECS + 240))}

PROFILE=${PROFILE:-release}
flag=$([ "$PROFILE" = release ] && echo --release || true)
cargo build $flag --locked --bin cinema -p cinema-server
cargo build $flag --locked -p cinema-tests --example soak
BIN=target/$PROFILE/cinema

if [ "${OUTAGES:-0}" = 1 ]; then
  # The rig seeds a cluster of its own, which it stops and starts.
  export MOVIES
  CINEMA_BIN=$BIN exec timeout "$TIMEOUT" "target/$PROFILE/examples/soak"
fi

export DATABASE_URL="$PG/$DB"
if [ -z "${REUSE:-}" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" seed --movies "$MOVIES" >/dev/null
else
  # The catalog stays; the people, orders, payments, engagement and jobs of earlier runs go.
  psql "$DATABASE_URL" -qc "TRUNCATE users, jobs, webhook_events, rate_limits, audit_log CASCADE" \
    -c "UPDATE movies SET like_count = 0, dislike_count = 0, comment_count = 0, rating_count = 0, rating_sum = 0, rating_avg_tenths = NULL WHERE like_count + dislike_count + comment_count + rating_count > 0"
fi
psql "$DATABASE_URL" -qc "VACUUM (ANALYZE)"

CINEMA_BIN=$BIN timeout "$TIMEOUT" "target/$PROFILE/examples/soak"

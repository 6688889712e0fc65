#!/usr/bin/env bash
# Playback benchmark: the release server on local disk serves one 200 MB video to PLAYERS
# concurrent players, each asking for random 1 MiB ranges the way a seeking player does
# (wrk + bench/lua/ranges.lua), for DURATION. Reports throughput (MB/s), request latency
# percentiles, the time to the first byte of a range (p50/p99 of 200 sequential probes while the
# load runs) and the server's peak RSS (VmHWM), to hold against the catalog benchmark's 128 MiB.
#
#   bench/watch.sh                       # 32 players, 15 s
#   PLAYERS=8 DURATION=5s bench/watch.sh
#
# Settings: PLAYERS, DURATION, SIZE_MB, PORT. SQLite in a temporary directory; loopback only;
# every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYERS=${PLAYERS:-32}
DURATION=${DURATION:-15s}
SIZE_MB=${SIZE_MB:-200}
PORT=${PORT:-8098}
BIN=target/release/cinema
URL="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked --bin cinema

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/cinema.db" MEDIA_DIR="$work/media" MAIL_DIR="$work/mail"
export HTTP_ADDR="127.0.0.1:$PORT" LOG_LEVEL=warn BCRYPT_COST=4 UPLOAD_SPOOL_DIR="$work/spool"
export JWT_SECRET=bench-bench-bench-bench-bench-bench PLAYBACK_LINK_TTL_SECS=3600
"$BIN" seed >/dev/null
"$BIN" user create --email staff@bench.localhost --password 'Bench#Pass1' --role MODERATOR --active >/dev/null
"$BIN" serve --no-worker &
server=$!
for _ in $(seq 1 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf "$URL/api/v1/accounts/login" -H 'content-type: application/json' \
  -d '{"email":"staff@bench.localhost","password":"Bench#Pass1"}' | json "['access_token']")
auth=(-H "authorization: Bearer $token")

# A 200 MB "MP4": the fixture's ftyp header, then random bytes (the type is decided by the
# first bytes; the player here is wrk, which does not decode).
head -c 32 tests/fixtures/clip.mp4 > "$work/video.mp4"
head -c $((SIZE_MB * 1024 * 1024 - 32)) /dev/urandom >> "$work/video.mp4"
upload=$(curl -sf "$URL/api/v1/movies/1/video/upload-url" "${auth[@]}" \
  -H 'content-type: application/json' -d '{"content_type":"video/mp4"}')
key=$(echo "$upload" | json "['key']")
started=$(date +%s.%N)
curl -sf -X PUT --data-binary @"$work/video.mp4" "$(echo "$upload" | json "['upload_url']")"
uploaded=$(date +%s.%N)
curl -sf "$URL/api/v1/movies/1/video/complete" "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"key\":\"$key\"}" >/dev/null
link=$(curl -sf "$URL/api/v1/library/1/play" "${auth[@]}" | json "['url']")
python3 -c "print(f'upload of $SIZE_MB MB through the signed route: {$SIZE_MB/($uploaded-$started):.0f} MB/s')"

rss() { awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$server/status"; }
echo "server peak RSS before playback: $(rss)"

SIZE=$((SIZE_MB * 1024 * 1024)) wrk -t2 -c"$PLAYERS" -d"$DURATION" --latency \
  -s bench/lua/ranges.lua "$link" &
load=$!
sleep 1
# Time to the first byte of a random range, measured beside the load.
for _ in $(seq 1 200); do
  from=$(( (RANDOM * 32768 + RANDOM) % (SIZE_MB * 1024 * 1024 - 1048576) ))
  curl -s -o /dev/null -r "$from-$((from + 1048575))" -w '%{time_starttransfer}\n' "$link"
done | sort -n | awk '{a[NR]=$1} END {printf "first byte of a 1 MiB range under load: p50 %.1f ms, p99 %.1f ms (%d probes)\n", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, NR}'
wait $load
echo "server peak RSS after playback: $(rss)"

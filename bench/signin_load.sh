#!/usr/bin/env bash
# List-page latency while sign-ins arrive (see docs/benchmarks.md, "Sign-in load").
#
#   bench/signin_load.sh [--bin LABEL=PATH]... [--accounts N] [--rate R]
#                        [--duration 10s] [--connections 8] [--repeat 2]
#
# For each repeat, and each ops-console binary given in turn (default: this
# checkout's release build, labelled "this"): copies a data set of N accounts (default
# 10,000, made once with ../shared/bench/make_ops_db.py under $BENCH_DIR), adds
# the staff user `bench`, starts `ops-console serve` on it (SQLite), signs in, and
# drives the first list page (`/admin/account/`) with `wrk -t1 -c8 -d10s` twice:
# alone, then while R successful sign-ins per second (default 20) arrive from a
# second load generator (an open loop: one sign-in is started every 1/R s
# whatever the answers take). Prints req/s, p50 and p99 of the list page for both
# runs, the sign-ins done and their p50/p99, and the machine's load.
#
# Needs: python3, curl, wrk (Debian: apt-get install wrk).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/opsadmin-bench}"
MAKE_DB="${MAKE_DB:-$ROOT/../shared/bench/make_ops_db.py}"
PORT="${PORT:-8472}"
PASSWORD="wrk-load-password-42"

BINS=()
ACCOUNTS=10000
RATE=20
DURATION="10s"
CONNECTIONS=8
REPEAT=2

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BINS+=("$2"); shift 2 ;;
    --accounts) ACCOUNTS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench/signin_load.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
[ "${#BINS[@]}" -gt 0 ] || BINS=("this=${CARGO_TARGET_DIR:-$ROOT/target}/release/ops-console")

for tool in curl wrk python3; do
  command -v "$tool" >/dev/null || { echo "bench/signin_load.sh: $tool is missing (wrk: apt-get install wrk)" >&2; exit 2; }
done
mkdir -p "$BENCH_DIR"
log() { printf '%s\n' "$*" >&2; }

SERVER_PID=""
LOAD_PID=""
stop_all() {
  for pid in "$LOAD_PID" "$SERVER_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  LOAD_PID=""
  SERVER_PID=""
}
trap stop_all EXIT INT TERM

DATASET="$BENCH_DIR/ops-$ACCOUNTS.db"
if [ ! -f "$DATASET" ]; then
  log "== generating $DATASET"
  python3 "$MAKE_DB" "$DATASET" --accounts "$ACCOUNTS" >&2
fi

BASE="http://127.0.0.1:$PORT"
SECONDS_RUN="${DURATION%s}"

# The second load generator: RATE sign-ins per second for SECONDS seconds, each in
# its own thread so a slow answer does not delay the next one; prints
# "done p50_ms p99_ms failed".
signins() {
  python3 - "$BASE" "$PASSWORD" "$1" "$2" <<'EOF'
import sys, threading, time, http.client, urllib.parse
base, password, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
host, port = base.removeprefix("http://").split(":")
body = urllib.parse.urlencode({"username": "bench", "password": password, "csrf_token": "bench-csrf"})
lat, bad, lock = [], [0], threading.Lock()
def one():
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        c.request("POST", "/admin/login", body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "opsadmin_login_csrf=bench-csrf",
        })
        ok = c.getresponse().status == 303
        c.close()
    except OSError:
        ok = False
    with lock:
        (lat.append(time.monotonic() - t0) if ok else bad.__setitem__(0, bad[0] + 1))
start, threads, n = time.monotonic(), [], 0
while time.monotonic() - start < seconds:
    t = threading.Thread(target=one); t.start(); threads.append(t); n += 1
    time.sleep(max(0.0, start + n / rate - time.monotonic()))
for t in threads: t.join()
lat.sort()
q = lambda p: f"{lat[min(len(lat) - 1, int(p * len(lat)))] * 1000:.0f}ms" if lat else "-"
print(len(lat), q(0.5), q(0.99), bad[0])
EOF
}

# wrk on the list page; prints "req/s p50 p99 non2xx".
list_page() {
  local out
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $COOKIE" -H 'Accept: text/html' \
    "$BASE/admin/account/")"
  printf '%s %s %s %s\n' \
    "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
    "$(awk '/Non-2xx or 3xx responses/ { print $5 }' <<<"$out" | grep . || echo 0)"
}

RESULTS=()
for entry in "${BINS[@]}"; do
  bin="${entry#*=}"
  [ -x "$bin" ] || { log "bench/signin_load.sh: $bin is missing (cargo build --release -p ops-console)"; exit 2; }
done
# Builds take turns within each repeat, so a change in the machine's load during
# the session weighs on all of them alike.
for run in $(seq 1 "$REPEAT"); do
  for entry in "${BINS[@]}"; do
    label="${entry%%=*}"; bin="${entry#*=}"
    work="$BENCH_DIR/signin-$label.db"
    rm -f "$work" "$work-wal" "$work-shm"
    cp "$DATASET" "$work"
    ADMIN_PASSWORD="$PASSWORD" RUST_LOG=warn "$bin" createuser bench --role admin --superuser \
      --database-url "sqlite://$work" >/dev/null 2>&1
    RUST_LOG=warn "$bin" serve --addr "127.0.0.1:$PORT" --database-url "sqlite://$work" \
      >"$BENCH_DIR/signin-$label-server.log" 2>&1 &
    SERVER_PID=$!
    until curl -sf -o /dev/null "$BASE/admin/login"; do
      kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died; see $BENCH_DIR/signin-$label-server.log"; exit 1; }
      sleep 0.05
    done
    jar="$(mktemp "$BENCH_DIR/cookies.XXXXXX")"
    curl -sf -o /dev/null -c "$jar" -b "opsadmin_login_csrf=bench-csrf" \
      --data-urlencode "username=bench" --data-urlencode "password=$PASSWORD" \
      --data-urlencode "csrf_token=bench-csrf" "$BASE/admin/login"
    COOKIE="opsadmin_session=$(awk '$6 == "opsadmin_session" { print $7 }' "$jar")"
    rm -f "$jar"
    [ "$COOKIE" != "opsadmin_session=" ] || { log "bench/signin_load.sh: sign-in failed"; exit 1; }
    page="$(curl -sf -H "Cookie: $COOKIE" -H 'Accept: text/html' "$BASE/admin/account/")"
    grep -qF "user$ACCOUNTS@" <<<"$page" || { log "bench/signin_load.sh: the list page is wrong"; exit 1; }
    # Warm up, then the list page alone.
    wrk -t1 -c"$CONNECTIONS" -d1s -H "Cookie: $COOKIE" -H 'Accept: text/html' "$BASE/admin/account/" >/dev/null
    read -r rps p50 p99 bad <<<"$(list_page)"
    RESULTS+=("| $label | $run | none | $rps | $p50 | $p99 | $bad | | $(cut -d' ' -f1 /proc/loadavg) |")
    log "   $label run $run, no sign-ins: $rps req/s, p50 $p50, p99 $p99"
    # The same, while sign-ins arrive (from a second before wrk starts until it ends).
    signins "$RATE" "$((SECONDS_RUN + 2))" >"$BENCH_DIR/signin-$label-load.txt" &
    LOAD_PID=$!
    sleep 1
    read -r rps p50 p99 bad <<<"$(list_page)"
    wait "$LOAD_PID"; LOAD_PID=""
    read -r done sp50 sp99 sbad <"$BENCH_DIR/signin-$label-load.txt"
    RESULTS+=("| $label | $run | $RATE/s | $rps | $p50 | $p99 | $bad | $done done (p50 $sp50, p99 $sp99), $sbad failed | $(cut -d' ' -f1 /proc/loadavg) |")
    log "   $label run $run, $RATE sign-ins/s: $rps req/s, p50 $p50, p99 $p99; sign-ins: $done, p50 $sp50, p99 $sp99"
    stop_all
    rm -f "$work" "$work-wal" "$work-shm"
  done
done

echo
echo "SQLite, $(printf '%s' "$ACCOUNTS" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') accounts; list page /admin/account/ with wrk -t1 -c$CONNECTIONS -d$DURATION; $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo
echo "| build | run | sign-ins | list req/s | list p50 | list p99 | list non-2xx | sign-ins done | load |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${RESULTS[@]}"

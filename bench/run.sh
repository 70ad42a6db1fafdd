#!/usr/bin/env bash
# The W1..W6 benchmark of the reference console (see docs/benchmarks.md).
#
#   bench/run.sh [--accounts N[,N...]] [--backend sqlite|postgres|both]
#                [--duration 10s] [--connections 8] [--workloads W1,...,W6[,W7][,J1][,I1][,E1]] [--no-build]
#                [--bin PATH] [--results FILE]
#
# For each scale and backend it: generates the data set once with
# ../shared/bench/make_ops_db.py (cached under $BENCH_DIR, default /tmp/opsadmin-bench,
# never in the repository), prepares a copy for the console (admin tables, search
# index, a staff user `bench`), loads it into PostgreSQL when asked, starts
# `ops-console serve` (release build) on a fresh working copy, signs in, checks that
# every workload answers correctly (row counts, the right record), drives each
# workload with `wrk -t1 -c8 -d10s`, and prints req/s, p50, p99 and the server's
# peak RSS (VmHWM). It stops the server it started, whatever happens.
#
# --bin PATH benchmarks that ops-console binary instead of this checkout's build;
# the data set is then prepared by it, in a copy of its own (named after the
# binary's checksum), so two builds never share a prepared copy. --results FILE
# appends the figures as tab-separated lines for bench/compare.sh.
#
# Needs: cargo, python3, curl, wrk (Debian: apt-get install wrk), sqlite3 CLI
# optional; psql and a PostgreSQL server for --backend postgres (PGURL, default
# postgres://postgres@127.0.0.1:5432).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/opsadmin-bench}"
MAKE_DB="${MAKE_DB:-$ROOT/../shared/bench/make_ops_db.py}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-8471}"
PASSWORD="wrk-load-password-42"

ACCOUNTS="1000000"
BACKENDS="sqlite"
DURATION="10s"
CONNECTIONS="8"
WORKLOADS="W1,W2,W3,W4,W5,W6"
BUILD=1
BIN=""
RESULTS_FILE=""

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) ACCOUNTS="$2"; shift 2 ;;
    --backend) BACKENDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --workloads) WORKLOADS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --bin) BIN="$2"; BUILD=0; shift 2 ;;
    --results) RESULTS_FILE="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
[ "$BACKENDS" = both ] && BACKENDS="sqlite,postgres"

for tool in curl wrk python3 cargo; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (wrk: apt-get install wrk)" >&2; exit 2; }
done
mkdir -p "$BENCH_DIR"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Prepared copies of the data set are per binary when one is given (--bin):
# "prepared-N-<checksum>.db", "opsadmin_bench_N_<checksum>".
TAG=""
BIN_GIVEN=0
if [ -n "$BIN" ]; then BIN_GIVEN=1; else BIN="$TARGET_DIR/release/ops-console"; fi

log() { printf '%s\n' "$*" >&2; }

if [ "$BUILD" = 1 ]; then
  log "== building ops-console (release)"
  (cd "$ROOT" && cargo build --release -p ops-console --quiet)
fi
[ -x "$BIN" ] || { log "bench/run.sh: $BIN is missing; build with cargo build --release -p ops-console"; exit 2; }
if [ "$BIN_GIVEN" = 1 ]; then TAG="$(sha256sum "$BIN" | cut -c1-12)"; fi

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT INT TERM

# ---------------------------------------------------------------- data sets

# The pristine data set for N accounts (generated once, ~30 s and 530 MB at 1M).
dataset() {
  local n="$1" f="$BENCH_DIR/ops-$1.db"
  if [ ! -f "$f" ]; then
    log "== generating $f"
    python3 "$MAKE_DB" "$f" --accounts "$n" >&2
  fi
  printf '%s' "$f"
}

# The data set prepared for the console (admin tables, search index, user `bench`),
# cached; every run works on a fresh copy of it.
prepared_sqlite() {
  local n="$1" src f="$BENCH_DIR/prepared-$1${TAG:+-$TAG}.db"
  src="$(dataset "$n")"
  if [ ! -f "$f" ]; then
    log "== preparing $f (admin tables, search index, staff user)"
    cp "$src" "$f.partial"
    local t0; t0=$(date +%s.%N)
    ADMIN_PASSWORD="$PASSWORD" RUST_LOG=warn "$BIN" createuser bench --role admin --superuser \
      --database-url "sqlite://$f.partial" >&2
    log "   prepared in $(echo "$(date +%s.%N) - $t0" | bc) s"
    rm -f "$f.partial-wal" "$f.partial-shm"
    mv "$f.partial" "$f"
  fi
  # Brings a file prepared by an older build up to date (indexes it now creates);
  # quick when nothing is missing. Exit code 1 only means "index advice given".
  RUST_LOG=error "$BIN" check --database-url "sqlite://$f" >"$BENCH_DIR/check-sqlite-$n${TAG:+-$TAG}.txt" 2>&1 || true
  rm -f "$f-wal" "$f-shm"
  printf '%s' "$f"
}

pg_exists() { psql -X -At "$PGURL/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; }

# A template database holding the data set for N accounts, loaded once.
prepared_pg() {
  local n="$1" db="opsadmin_bench_$1${TAG:+_$TAG}" src
  src="$(dataset "$n")"
  if ! pg_exists "$db"; then
    log "== loading the data set into PostgreSQL database $db"
    psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS ${db}_partial" -c "CREATE DATABASE ${db}_partial"
    local t0; t0=$(date +%s.%N)
    # createuser creates the console's tables, the admin's, and the search indexes.
    ADMIN_PASSWORD="$PASSWORD" RUST_LOG=warn "$BIN" createuser bench --role admin --superuser \
      --database-url "$PGURL/${db}_partial" >&2
    python3 "$ROOT/bench/load_pg.py" "$src" "$PGURL/${db}_partial"
    log "   loaded in $(echo "$(date +%s.%N) - $t0" | bc) s"
    psql -X -q "$PGURL/postgres" -c "ALTER DATABASE ${db}_partial RENAME TO $db"
  fi
  RUST_LOG=error "$BIN" check --database-url "$PGURL/$db" >"$BENCH_DIR/check-postgres-$n${TAG:+-$TAG}.txt" 2>&1 || true
  printf '%s' "$db"
}

# ------------------------------------------------------------------ helpers

BASE="http://127.0.0.1:$PORT"
JAR=""

# Signs in as `bench`; sets COOKIE and CSRF.
sign_in() {
  JAR="$(mktemp "$BENCH_DIR/cookies.XXXXXX")"
  local form token
  form="$(curl -sf -c "$JAR" -b "$JAR" "$BASE/admin/login")"
  token="$(printf '%s' "$form" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)"
  curl -sf -o /dev/null -c "$JAR" -b "$JAR" -H 'Accept: text/html' \
    --data-urlencode "username=bench" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "csrf_token=$token" "$BASE/admin/login"
  COOKIE="opsadmin_session=$(awk '$6 == "opsadmin_session" { print $7 }' "$JAR")"
  [ "$COOKIE" != "opsadmin_session=" ] || { log "bench/run.sh: sign-in failed"; return 1; }
  CSRF="$(curl -sf -H "Cookie: $COOKIE" -H 'Accept: text/html' "$BASE/admin/account/" \
    | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)"
  rm -f "$JAR"
}

get() { curl -sf -H "Cookie: $COOKIE" -H 'Accept: text/html' "$BASE$1"; }

# check NAME BODY NEEDLE: fails the run when the page lacks NEEDLE.
check() {
  if ! grep -qF -- "$3" <<<"$2"; then
    log "bench/run.sh: $1 is wrong: expected \"$3\" in the page"
    return 1
  fi
}

rows_in() { grep -o '<tr>' <<<"$1" | wc -l; }

# Expected answers, computed from the pristine SQLite data set (not by the server).
expected() {
  python3 - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
q = lambda sql: db.execute(sql).fetchone()[0]
n = q("SELECT count(*) FROM account")
print(n)
print(q("SELECT count(*) FROM account WHERE lower(email) LIKE '%acme-42%' OR lower(company) LIKE '%acme-42%'"))
print(q("SELECT count(*) FROM account WHERE plan = 'annual' AND billing_state = 'failed_first_charge'"))
EOF
}

thousands() { python3 -c "import sys; print(f'{int(sys.argv[1]):,}')" "$1"; }

# How many `action:mark_for_manual_review` audit entries the database holds.
audit_entries() {
  local sql="SELECT count(*) FROM admin_audit WHERE kind = 'action:mark_for_manual_review'"
  if [ "$1" = sqlite ]; then
    python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" \
      "${2#sqlite://}" "$sql"
  else
    psql -X -At "$2" -c "$sql"
  fi
}

# job_row BACKEND URL ID: "state|total|processed|seconds from the first chunk's
# start to the last one's commit" of background job ID.
job_row() {
  local sql
  if [ "$1" = sqlite ]; then
    sql="SELECT state || '|' || total || '|' || (done + skipped + failed) || '|' || \
      COALESCE((julianday(finished_at) - julianday(started_at)) * 86400, '') FROM admin_job WHERE id = $3"
    python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" \
      "${2#sqlite://}" "$sql"
  else
    sql="SELECT state || '|' || total || '|' || (done + skipped + failed) || '|' || \
      COALESCE(EXTRACT(EPOCH FROM finished_at - started_at)::text, '') FROM admin_job WHERE id = $3"
    psql -X -At "$2" -c "$sql"
  fi
}

# J1 (opt-in, --workloads ...,J1): "mark for manual review" on every trial account
# (10% of the accounts: about 100,000 at 1M) as a background job, started from the
# command line and run by the server's worker, while W1 is driven as usual. Prints
# "records/s W1-p50 W1-p99 non2xx timeouts"; checks that the job finished, wrote one
# audit entry per record it did, and that the audit chain verifies.
job_workload() {
  local backend="$1" n="$2" url="$3" out id
  out="$(RUST_LOG=error "$BIN" action account mark_for_manual_review --as bench --reason "bench job" \
    --all-matching 'plan=trial' --no-wait --database-url "$url")"
  id="$(sed -n 's/.*background job \([0-9]*\).*/\1/p' <<<"$out" | head -1)"
  [ -n "$id" ] || { log "J1: no job was started: $out"; return 1; }
  local w1 row=""
  w1="$(run_wrk "$backend-$n-J1" "$BASE/admin/account/" -H "Cookie: $COOKIE" -H 'Accept: text/html')"
  local running_after; running_after="$(job_row "$backend" "$url" "$id" | cut -d'|' -f1)"
  local i
  for i in $(seq 1 2400); do
    row="$(job_row "$backend" "$url" "$id")"
    [ "${row%%|*}" = done ] && break
    sleep 0.5
  done
  local state total processed secs
  IFS='|' read -r state total processed secs <<<"$row"
  [ "$state" = done ] || { log "J1: job $id did not finish: $row"; return 1; }
  local entries sql="SELECT count(*) FROM admin_audit WHERE request_id = 'job-$id'" done_n
  if [ "$backend" = sqlite ]; then
    entries="$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "${url#sqlite://}" "$sql")"
    done_n="$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "${url#sqlite://}" "SELECT done FROM admin_job WHERE id = $id")"
  else
    entries="$(psql -X -At "$url" -c "$sql")"
    done_n="$(psql -X -At "$url" -c "SELECT done FROM admin_job WHERE id = $id")"
  fi
  [ "$entries" = "$done_n" ] || { log "J1: $done_n records done but $entries audit entries"; return 1; }
  RUST_LOG=error "$BIN" audit verify --database-url "$url" >/dev/null \
    || { log "J1: the audit chain does not verify after the job"; return 1; }
  log "   J1: job $id, $processed of $total records in $secs s ($done_n done), W1 measured while it was $running_after at the end"
  read -r _ p50 p99 bad slow <<<"$w1"
  printf '%s %s %s %s %s\n' "$(python3 -c "print(round($processed / $secs))")" "$p50" "$p99" "$bad" "$slow"
}

# I1 (opt-in): a CSV import of 100,000 rows from the command line (`job import
# --yes`): 50,000 change the company of existing accounts, 50,000 add trial
# accounts. Prints "rows/s-written check-s write-s peak-RSS-MiB" (rows/s over
# the write phase; the peak RSS of the importing process); checks that every row
# was written with its audit entry and that the audit chain verifies.
import_workload() {
  local backend="$1" n="$2" url="$3" file="$BENCH_DIR/import-$2.csv" out timing
  python3 - "$(dataset "$n")" "$file" <<'PY'
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Email", "Company", "Plan"])
    for email, plan in db.execute("SELECT email, plan FROM account ORDER BY id LIMIT 50000"):
        w.writerow([email, "Imported Co", plan])
    for i in range(50000):
        w.writerow([f"import{i}@bench-import.example", f"New Co {i}", "trial"])
PY
  timing="$( { RUST_LOG=error /usr/bin/time -f 'TIME %e %M' "$BIN" job import account "$file" --as bench \
    --reason "bench import" --key email --yes --database-url "$url" >"$BENCH_DIR/import-$backend-$n.txt"; } 2>&1 \
    | grep '^TIME' | tail -1)"
  out="$(cat "$BENCH_DIR/import-$backend-$n.txt")"
  local id check write written
  id="$(sed -n 's/^Import \([0-9]*\) of.*/\1/p' <<<"$out" | head -1)"
  check="$(sed -n 's/.*(checked in \([0-9.]*\) s).*/\1/p' <<<"$out" | head -1)"
  write="$(sed -n 's/.*(in \([0-9.]*\) s)\.$/\1/p' <<<"$out" | tail -1)"
  written="$(sed -n 's/.*: \([0-9]*\) written.*/\1/p' <<<"$out" | tail -1)"
  [ -n "$id" ] && [ "$written" = 100000 ] || { log "I1: the import did not write 100,000 rows: $out"; return 1; }
  local entries sql="SELECT count(*) FROM admin_audit WHERE request_id = 'job-$id' AND kind IN ('create', 'update')"
  if [ "$backend" = sqlite ]; then
    entries="$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "${url#sqlite://}" "$sql")"
  else
    entries="$(psql -X -At "$url" -c "$sql")"
  fi
  [ "$entries" = 100000 ] || { log "I1: 100,000 rows written but $entries audit entries"; return 1; }
  RUST_LOG=error "$BIN" audit verify --database-url "$url" >/dev/null \
    || { log "I1: the audit chain does not verify after the import"; return 1; }
  local rss; rss="$(awk '{ printf "%.1f", $3 / 1024 }' <<<"$timing")"
  log "   I1: import $id, 100,000 rows checked in $check s, written in $write s; $timing"
  printf '%s %s %s %s\n' "$(python3 -c "print(round(100000 / $write))")" "$check" "$write" "$rss"
}

# E1 (opt-in): the whole account list exported by a job from the command line
# (`job export`) to a file. Prints "rows/s seconds peak-RSS-MiB"; checks the file
# has a line per account and the header.
export_workload() {
  local backend="$1" n="$2" url="$3" file="$BENCH_DIR/export-$2.csv" timing lines
  rm -f "$file"
  timing="$( { RUST_LOG=error /usr/bin/time -f 'TIME %e %M' "$BIN" job export account --as bench --out "$file" \
    --database-url "$url" >"$BENCH_DIR/export-$backend-$n.txt"; } 2>&1 | grep '^TIME' | tail -1)"
  lines="$(wc -l <"$file")"
  local total; total="$(sed -n 's/.*: \([0-9]*\) rows written.*/\1/p' "$BENCH_DIR/export-$backend-$n.txt")"
  [ -n "$total" ] && [ "$lines" = "$((total + 1))" ] && [ "$total" -ge "$n" ] \
    || { log "E1: the file has $lines lines for $total rows: $(cat "$BENCH_DIR/export-$backend-$n.txt")"; return 1; }
  local secs rss; read -r _ secs rss <<<"$timing"
  log "   E1: $total rows in $secs s, peak RSS $((rss / 1024)) MiB"
  printf '%s %s %s\n' "$(python3 -c "print(round($total / $secs))")" "$secs" "$(awk "BEGIN { printf \"%.1f\", $rss / 1024 }")"
}

# run_wrk NAME URL [extra wrk args]: a one-second warm-up, then the measured run;
# prints "req/s p50 p99 non2xx timeouts".
run_wrk() {
  local out
  wrk -t1 -c"$CONNECTIONS" -d1s "${@:3}" "$2" >/dev/null
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${@:3}" "$2")"
  printf '%s\n' "$out" >"$BENCH_DIR/wrk-$1.txt"
  local rps p50 p99 bad
  rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
  p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
  p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
  bad="$(awk '/Non-2xx or 3xx responses/ { print $5 }' <<<"$out")"
  # "Socket errors: connect 0, read 0, write 0, timeout 12": count the timeouts.
  local slow; slow="$(awk '/Socket errors/ { print $NF }' <<<"$out")"
  printf '%s %s %s %s %s\n' "$rps" "$p50" "$p99" "${bad:-0}" "${slow:-0}"
}

# ------------------------------------------------------------------ one run

# bench_one N BACKEND: one server, all workloads; appends rows to RESULTS.
bench_one() {
  local n="$1" backend="$2" url work pristine
  pristine="$(dataset "$n")"
  if [ "$backend" = sqlite ]; then
    local prepared; prepared="$(prepared_sqlite "$n")"
    work="$BENCH_DIR/work-$n.db"
    rm -f "$work" "$work-wal" "$work-shm"
    cp "$prepared" "$work"
    url="sqlite://$work"
  else
    local template; template="$(prepared_pg "$n")"
    psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS opsadmin_bench_work WITH (FORCE)" \
      -c "CREATE DATABASE opsadmin_bench_work TEMPLATE $template"
    url="$PGURL/opsadmin_bench_work"
  fi
  # Let the page cache settle after the copy.
  sync; sleep 1

  local expect total w3 w4
  expect="$(expected "$pristine")"
  total="$(sed -n 1p <<<"$expect")"; w3="$(sed -n 2p <<<"$expect")"; w4="$(sed -n 3p <<<"$expect")"
  # W2 is page 5000 of 10,000 at 1M: the middle page at every scale.
  local pages=$(( (total + 99) / 100 )) deep w5
  deep=$(( pages / 2 )); [ "$deep" -ge 1 ] || deep=1
  w5=$(( total * 777777 / 1000000 ))

  log "== $backend, $(thousands "$n") accounts: starting the server"
  local t0 t1
  t0=$(date +%s.%N)
  RUST_LOG="${RUST_LOG:-warn}" "$BIN" serve --addr "127.0.0.1:$PORT" --database-url "$url" \
    >"$BENCH_DIR/server-$backend-$n.log" 2>&1 &
  SERVER_PID=$!
  until curl -sf -o /dev/null "$BASE/admin/login"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died; see $BENCH_DIR/server-$backend-$n.log"; return 1; }
    sleep 0.02
  done
  sign_in
  local first; first="$(get "/admin/account/")"
  t1=$(date +%s.%N)
  local cold; cold="$(echo "$t1 - $t0" | bc)"

  # Correctness of every workload's answer.
  check W1 "$first" "user${total}@"
  [ "$(rows_in "$first")" -eq 101 ] || { log "W1: expected 100 rows"; return 1; }
  local deep_body; deep_body="$(get "/admin/account/?page=$deep")"
  local deep_first=$(( total - (deep - 1) * 100 ))
  check W2 "$deep_body" "href=\"/admin/account/$deep_first?"
  local lo=$(( (deep - 1) * 100 + 1 )) hi=$(( deep * 100 < total ? deep * 100 : total ))
  grep -qF -e "showing $(thousands "$lo")–$(thousands "$hi")" -e "showing $lo–$hi" <<<"$deep_body" \
    || { log "bench/run.sh: W2 is wrong: expected rows $lo–$hi"; return 1; }
  check W3 "$(get "/admin/account/?q=acme-42")" "$(thousands "$w3") accounts"
  check W4 "$(get "/admin/account/?plan=annual&billing_state=failed_first_charge")" "$(thousands "$w4") accounts"
  check W5 "$(get "/admin/account/$w5")" "user${w5}@"
  # W7 (opt-in, --workloads ...,W7): the invoice form's account autocomplete, JSON.
  if [[ ",$WORKLOADS," == *,W7,* ]]; then
    check W7 "$(curl -sf -H "Cookie: $COOKIE" -H 'Accept: application/json' "$BASE/admin/invoice/autocomplete/account_id?q=acme-42")" '"results":[{"'
  fi

  local w
  for w in ${WORKLOADS//,/ }; do
    local res
    if [ "$w" = W6 ]; then
      # Checked last: the action writes, which makes the lists take their page
      # anchors again (see docs/benchmarks.md).
      local ids="" i
      for i in $(seq 1 100); do ids="$ids&ids=$i"; done
      local w6_body
      w6_body="$(curl -sf -H "Cookie: $COOKIE" -H 'Accept: text/html' \
        --data "csrf_token=$CSRF&confirm=1&reason=bench+check&idempotency_key=check-$RANDOM$RANDOM$ids" \
        "$BASE/admin/account/actions/mark_for_manual_review")"
      local done_n entries
      done_n="$(sed -n 's/.*Mark for manual review: \([0-9]*\) done.*/\1/p' <<<"$w6_body" | head -1)"
      entries="$(audit_entries "$backend" "$url")"
      # Accounts already marked are skipped (about 1 in 100): the rest are done,
      # each with its audit entry.
      [ -n "$done_n" ] && [ "$done_n" -ge 90 ] && [ "$entries" = "$done_n" ] \
        || { log "W6 is wrong: $done_n done, $entries audit entries"; return 1; }
    fi
    case "$w" in
      W1) res="$(run_wrk "$backend-$n-W1" "$BASE/admin/account/" -H "Cookie: $COOKIE" -H 'Accept: text/html')" ;;
      W2) res="$(run_wrk "$backend-$n-W2" "$BASE/admin/account/?page=$deep" -H "Cookie: $COOKIE" -H 'Accept: text/html')" ;;
      W3) res="$(run_wrk "$backend-$n-W3" "$BASE/admin/account/?q=acme-42" -H "Cookie: $COOKIE" -H 'Accept: text/html')" ;;
      W4) res="$(run_wrk "$backend-$n-W4" "$BASE/admin/account/?plan=annual&billing_state=failed_first_charge" -H "Cookie: $COOKIE" -H 'Accept: text/html')" ;;
      W5) res="$(run_wrk "$backend-$n-W5" "$BASE/admin/account/$w5" -H "Cookie: $COOKIE" -H 'Accept: text/html')" ;;
      J1) res="$(job_workload "$backend" "$n" "$url")" ;;
      # Not request rates: rows a second, then seconds and the importing (or
      # exporting) process's peak RSS, in the table's note.
      I1) res="$(import_workload "$backend" "$n" "$url")" || return 1
          read -r rps a b rss <<<"$res"
          RESULTS+=("| $backend | $(thousands "$n") | I1 import | $rps rows/s | | | $(cut -d' ' -f1 /proc/loadavg) | checked in $a s, written in $b s; the command's peak RSS $rss MiB |")
          log "   I1: $rps rows/s"; continue ;;
      E1) res="$(export_workload "$backend" "$n" "$url")" || return 1
          read -r rps a rss <<<"$res"
          RESULTS+=("| $backend | $(thousands "$n") | E1 export | $rps rows/s | | | $(cut -d' ' -f1 /proc/loadavg) | $a s for the whole list; the command's peak RSS $rss MiB |")
          log "   E1: $rps rows/s"; continue ;;
      W7) res="$(run_wrk "$backend-$n-W7" "$BASE/admin/invoice/autocomplete/account_id?q=acme-42" -H "Cookie: $COOKIE" -H 'Accept: application/json')" ;;
      # The warm-up and the measured run share the state file: the measured run
      # posts ids the warm-up did not touch.
      W6) rm -f "$BENCH_DIR/w6-state"
          res="$(BENCH_COOKIE="$COOKIE" BENCH_CSRF="$CSRF" BENCH_FIRST_ID=101 BENCH_LAST_ID="$total" \
            BENCH_STATE="$BENCH_DIR/w6-state" BENCH_THREADS=1 \
            run_wrk "$backend-$n-W6" "$BASE/admin/account/actions/mark_for_manual_review" -s "$ROOT/bench/w6.lua")" ;;
      *) log "unknown workload $w"; continue ;;
    esac
    read -r rps p50 p99 bad slow <<<"$res"
    # The machine's load (1-minute average) right after the run: other work on
    # it shows here.
    local load; load="$(cut -d' ' -f1 /proc/loadavg)"
    local note=""
    [ "$bad" = 0 ] || note="$bad non-2xx"
    [ "$slow" = 0 ] || note="${note:+$note; }$slow timed out (over 2 s)"
    if [ "$w" = W6 ]; then
      # bench/w6.lua's own count: answers that did not say all 100 were done (a
      # replay, a skipped account, an error), and whether the ids ran out.
      local batches unchanged wrapped
      batches="$(grep '^W6 batches:' "$BENCH_DIR/wrk-$backend-$n-W6.txt" || true)"
      unchanged="$(sed -n 's/.*not changed \([0-9]*\).*/\1/p' <<<"$batches")"
      wrapped="$(sed -n 's/.*wrapped \([a-z]*\).*/\1/p' <<<"$batches")"
      [ -n "$batches" ] || note="${note:+$note; }no W6 count from bench/w6.lua"
      [ "${unchanged:-0}" = 0 ] || note="${note:+$note; }$unchanged requests did not change their 100 accounts"
      [ "$wrapped" != yes ] || note="${note:+$note; }ids wrapped"
    fi
    RESULTS+=("| $backend | $(thousands "$n") | $w | $rps | $p50 | $p99 | $load | $note |")
    [ -z "$RESULTS_FILE" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
      "$backend" "$n" "$w" "$rps" "$p50" "$p99" "$load" "$note" >>"$RESULTS_FILE"
    log "   $w: $rps req/s, p50 $p50, p99 $p99, load $load ${note}"
  done
  local hwm; hwm="$(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$SERVER_PID/status")"
  RESULTS+=("| $backend | $(thousands "$n") | peak RSS | $hwm | | | | cold start to first list page: ${cold} s |")
  [ -z "$RESULTS_FILE" ] || printf '%s\t%s\t%s\t%s\t\t\t\t\n%s\t%s\t%s\t%s\t\t\t\t\n' \
    "$backend" "$n" RSS "$hwm" "$backend" "$n" cold "$(printf "%.2f" "$cold") s" >>"$RESULTS_FILE"
  log "   peak RSS $hwm, cold start to first list page ${cold} s"
  stop_server
  if [ "$backend" = sqlite ]; then rm -f "$work" "$work-wal" "$work-shm"; else
    psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS opsadmin_bench_work WITH (FORCE)"; fi
}

RESULTS=()
for n in ${ACCOUNTS//,/ }; do
  for backend in ${BACKENDS//,/ }; do
    bench_one "$n" "$backend"
  done
done

echo
echo "wrk -t1 -c$CONNECTIONS -d$DURATION; $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ { print $2 }') GiB"
echo
echo "| backend | accounts | workload | req/s | p50 | p99 | load | note |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${RESULTS[@]}"

#!/usr/bin/env bash
# W1..W6 of two ops-console builds, in turns on one machine (see docs/benchmarks.md,
# "Before/after comparison").
#
#   bench/compare.sh --before PATH [--after PATH] [--rounds 2] [--accounts 100000]
#                    [--backend sqlite|postgres|both] [--duration 10s]
#                    [--connections 8] [--workloads W1,...,W6] [--no-build]
#
# Runs bench/run.sh once per build per round, in turns: before, after, before,
# after, ... so a change in the machine's load weighs on both alike. Each build
# gets its own copy of the data set, prepared by itself (`createuser`, then `check`
# for its migrations and indexes; cached per binary under $BENCH_DIR), and every
# run starts from a fresh copy of it. Without --after, this checkout's release
# build is used (built first unless --no-build). Prints one table: req/s of each
# workload per build (the median of the rounds, then each round's figure), p99,
# after/before, and the spread between the rounds of one build, which is the
# noise a difference has to beat. Logs and raw figures go to $BENCH_DIR/compare-*/.
#
# Needs what bench/run.sh needs (curl, wrk, python3; psql for postgres).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/opsadmin-bench}"
export BENCH_DIR

BEFORE=""
AFTER=""
ROUNDS=2
ACCOUNTS=100000
BACKENDS=sqlite
DURATION=10s
CONNECTIONS=8
WORKLOADS=W1,W2,W3,W4,W5,W6
BUILD=1

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --before) BEFORE="$2"; shift 2 ;;
    --after) AFTER="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --accounts) ACCOUNTS="$2"; shift 2 ;;
    --backend) BACKENDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --workloads) WORKLOADS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench/compare.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
log() { printf '%s\n' "$*" >&2; }
[ -n "$BEFORE" ] || { log "bench/compare.sh: --before PATH is required"; usage 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { log "bench/compare.sh: --rounds must be a positive number"; exit 2; }

if [ -z "$AFTER" ]; then
  AFTER="${CARGO_TARGET_DIR:-$ROOT/target}/release/ops-console"
  if [ "$BUILD" = 1 ]; then
    log "== building ops-console (release) for \"after\""
    (cd "$ROOT" && cargo build --release -p ops-console --quiet)
  fi
fi
for bin in "$BEFORE" "$AFTER"; do
  [ -x "$bin" ] || { log "bench/compare.sh: $bin is missing or not executable"; exit 2; }
done
BEFORE="$(realpath "$BEFORE")"
AFTER="$(realpath "$AFTER")"

OUT="$BENCH_DIR/compare-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
log "== before: $BEFORE ($(sha256sum "$BEFORE" | cut -c1-12))"
log "== after:  $AFTER ($(sha256sum "$AFTER" | cut -c1-12))"
log "== $ROUNDS rounds; logs and raw figures in $OUT"

started=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
  for label in before after; do
    if [ "$label" = before ]; then bin="$BEFORE"; else bin="$AFTER"; fi
    log "== round $round of $ROUNDS: $label"
    "$ROOT/bench/run.sh" --bin "$bin" --accounts "$ACCOUNTS" --backend "$BACKENDS" \
      --duration "$DURATION" --connections "$CONNECTIONS" --workloads "$WORKLOADS" \
      --results "$OUT/$label-$round.tsv" >"$OUT/$label-$round.md" 2> >(tee "$OUT/$label-$round.log" >&2) \
      || { log "bench/compare.sh: the $label run of round $round failed (see above)"; exit 1; }
  done
done

{
  echo "W1..W6, before and after in turns ($ROUNDS rounds, $(( $(date +%s) - started )) s):" \
    "wrk -t1 -c$CONNECTIONS -d$DURATION; $(nproc) cores," \
    "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ { print $2 }') GiB"
  echo "before: $BEFORE ($(sha256sum "$BEFORE" | cut -c1-12))"
  echo "after:  $AFTER ($(sha256sum "$AFTER" | cut -c1-12))"
  echo
  python3 - "$OUT" "$ROUNDS" <<'EOF'
import csv, os, re, statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])
rows = {}  # (backend, n, workload) -> label -> list of records
order = []
for label in ("before", "after"):
    for r in range(1, rounds + 1):
        with open(os.path.join(out, f"{label}-{r}.tsv")) as f:
            for rec in csv.reader(f, delimiter="\t"):
                key = (rec[0], int(rec[1]), rec[2])
                if key not in rows:
                    rows[key] = {"before": [], "after": []}
                    order.append(key)
                rows[key][label].append(rec)

def ms(v):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", v or "")
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

def fmt(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"

def spread(xs):
    """(max - min) / median of one build's rounds: the noise between like runs."""
    return (max(xs) - min(xs)) / statistics.median(xs) if len(xs) > 1 and statistics.median(xs) else None

print("| backend | accounts | W | before req/s (rounds) | after req/s (rounds) | p99 before / after |"
      " after/before | same-build spread | slower than the noise? | load | notes |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
extras = []
for key in order:
    backend, n, w = key
    b, a = rows[key]["before"], rows[key]["after"]
    if w in ("RSS", "cold"):
        vb = ", ".join(r[3] for r in b)
        va = ", ".join(r[3] for r in a)
        extras.append(f"| {backend} | {n:,} | {'peak RSS' if w == 'RSS' else 'cold start'} | {vb} | {va} |")
        continue
    rb = [float(r[3]) for r in b if r[3]]
    ra = [float(r[3]) for r in a if r[3]]
    if not rb or not ra:
        print(f"| {backend} | {n:,} | {w} | missing | missing | | | | | | |")
        continue
    mb, ma = statistics.median(rb), statistics.median(ra)
    ratio = ma / mb
    spreads = [s for s in (spread(rb), spread(ra)) if s is not None]
    noise = max(spreads) if spreads else None
    if noise is None:
        verdict = "one round: unknown"
    elif ratio < 1 and 1 - ratio > noise:
        verdict = "**yes**"
    else:
        verdict = "no"
    p99 = lambda recs: statistics.median([v for v in (ms(r[5]) for r in recs) if v is not None] or [0])
    loads = [float(r[6]) for r in b + a if r[6]]
    notes = sorted({f"{lab}: {r[7]}" for lab, recs in (("before", b), ("after", a)) for r in recs if r[7]})
    print(f"| {backend} | {n:,} | {w} | {fmt(mb)} ({', '.join(fmt(x) for x in rb)}) "
          f"| {fmt(ma)} ({', '.join(fmt(x) for x in ra)}) | {p99(b):.1f} / {p99(a):.1f} ms "
          f"| {ratio:.2f} | {'' if noise is None else f'{noise * 100:.0f}%'} | {verdict} "
          f"| {min(loads):.1f}–{max(loads):.1f} | {'; '.join(notes)} |")
print()
print("| backend | accounts | | before (rounds) | after (rounds) |")
print("|---|---|---|---|---|")
print("\n".join(extras))
print()
print("req/s: the median of the rounds (W6: actions of 100 records per second). Same-build")
print("spread: (max - min) / median of one build's rounds, the larger of the two; a")
print("workload is \"slower than the noise\" when after/before is below 1 by more than it.")
print("load: the 1-minute load average after each run (other work on the machine shows here).")
EOF
} | tee "$OUT/summary.md"
log "== summary in $OUT/summary.md"

#!/usr/bin/env bash
# Ingest benchmark: generates a mixed Heroku log once (tests/bench/data/, gitignored), then
# prints from one run on that file: our ingest bytes/s and lines/s on one core (`--threads 1`),
# `wc -l` bytes/s and the ratio, the same ingest on every core (wall clock), a plain Python regex
# parser's bytes/s (on a prefix, scaled) and our ratio over it, the peak RSS of the ingest, (with
# valgrind installed) instructions per record on a prefix — the one figure a busy machine does
# not disturb — and the disk's own read speed (O_DIRECT, past the page cache) beside the
# ingest's, for the "at disk speed" question. With STAGES_BIN set (the `bench_ingest_stages`
# example, built with the `bench-stages` feature) it also prints where one core's time goes,
# stage by stage.
#
# Throughput is given twice: per wall-clock second and per CPU second (user + sys). On a shared
# machine the CPU figures are the stable ones; the ratios use them.
#
# Usage: [STAGES_BIN=...] tests/bench/ingest_bench.sh path/to/release/dynoshift [SIZE_MB]
#        [PYTHON_PREFIX_MB]
#   SIZE_MB defaults to 1100 (>= 1 GB); PYTHON_PREFIX_MB defaults to 100; IR_MB=20 (env) sizes
#   the callgrind prefix.
set -euo pipefail

CLI=${1:?usage: ingest_bench.sh path/to/release/dynoshift [SIZE_MB] [PYTHON_PREFIX_MB]}
SIZE_MB=${2:-1100}
PY_MB=${3:-100}
IR_MB=${IR_MB:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data"
mkdir -p "$DATA"
FILE=$("$HERE/make_mixed_log.sh" "$CLI" "$SIZE_MB")

BYTES=$(stat -c %s "$FILE")
cat "$FILE" > /dev/null   # warm the page cache so every reader starts equal

# shellcheck source=measure.sh
source "$HERE/measure.sh"

# wc -l: best of three (it is fast; the best run is the least disturbed).
WC_WALL=""; WC_CPU=""
for _ in 1 2 3; do
  read -r w c _ < <(measure "$DATA/wc.out" wc -l "$FILE")
  if [ -z "$WC_WALL" ] || awk "BEGIN{exit !($w < $WC_WALL)}"; then WC_WALL=$w; fi
  if [ -z "$WC_CPU" ] || awk "BEGIN{exit !($c < $WC_CPU)}"; then WC_CPU=$c; fi
done
LINES=$(awk '{print $1}' "$DATA/wc.out")

# Our ingest on one thread (one core), JSON output included: the figure the targets are about.
read -r OURS_WALL OURS_CPU RSS_KB < <(measure "$DATA/profiles.json" "$CLI" ingest --json --threads 1 "$FILE")
# And as users run it: every core (the file is read in 64 MiB segments the threads share).
THREADS=$(( $(nproc) < 8 ? $(nproc) : 8 ))   # what `dynoshift ingest` uses by default
read -r ALL_WALL ALL_CPU ALL_RSS_KB < <(measure "$DATA/profiles-all.json" "$CLI" ingest --json "$FILE")
RECORDS=$(python3 -c "import json; print(json.load(open('$DATA/profiles.json'))['lines']['records'])")

# Instructions per record (valgrind's callgrind, when installed) on a line-aligned prefix:
# unlike timings on a shared machine, this count is the same on every run.
IR_PER_RECORD=""
if command -v valgrind > /dev/null; then
  head -c $(( IR_MB * 1000000 )) "$FILE" | sed '$d' > "$DATA/prefix.log"
  valgrind --tool=callgrind --callgrind-out-file="$DATA/callgrind.out" \
    "$CLI" ingest --json --threads 1 "$DATA/prefix.log" > "$DATA/prefix.json" 2> "$DATA/callgrind.err"
  IR=$(sed -n 's/^summary: //p' "$DATA/callgrind.out")
  PREFIX_RECORDS=$(python3 -c "import json; print(json.load(open('$DATA/prefix.json'))['lines']['records'])")
  IR_PER_RECORD=$(python3 -c "print(f'{$IR / $PREFIX_RECORDS:,.0f} instructions per record, {$IR / $(stat -c %s "$DATA/prefix.log"):,.1f} per byte (callgrind, first $IR_MB MB, whole process)')")
  rm -f "$DATA/callgrind.out"
fi

# Where one core's time goes: the same one-thread ingest with every record stopped after each
# stage in turn, beside the kernel's page-cache copy alone (`cat`). Best of three, CPU seconds.
STAGES_FILE="$DATA/stages.txt"
: > "$STAGES_FILE"
if [ -n "${STAGES_BIN:-}" ]; then
  # best_cpu NAME CMD... -> appends "NAME cpu sys" of the run with the least CPU
  best_cpu() {
    local name=$1; shift
    local best="" tf; tf=$(mktemp)
    for _ in 1 2 3; do
      /usr/bin/time -f "%U %S" -o "$tf" "$@" > /dev/null
      best=$(awk -v best="$best" '{ cpu = $1 + $2; if (best == "" || cpu < best + 0) printf "%.3f %s", cpu, $2; else printf "%s", best }' "$tf")
    done
    rm -f "$tf"
    echo "$name $best" >> "$STAGES_FILE"
  }
  best_cpu copy cat "$FILE"
  for stage in split envelope message all; do
    best_cpu "$stage" "$STAGES_BIN" "$stage" "$FILE"
  done
fi

# The disk itself: one read of the file with O_DIRECT, which skips the page cache (every other
# reader above is served from it). Not measured when dd fails, e.g. on a filesystem that refuses
# O_DIRECT. A virtual disk may still be served from its host's cache, so this is an upper bound
# on the disk's speed.
DISK_WALL=""; DISK_ERR=""
T0=$(date +%s.%N)
if dd if="$FILE" of=/dev/null bs=4M iflag=direct status=none 2> "$DATA/dd.err"; then
  DISK_WALL=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
else
  DISK_ERR=$(head -n 1 "$DATA/dd.err")
fi

# Python baseline on a prefix, scaled by bytes/s.
python3 "$HERE/python_baseline.py" "$FILE" --limit-bytes $(( PY_MB * 1000000 )) > "$DATA/python.json"

python3 - "$BYTES" "$LINES" "$RECORDS" "$OURS_WALL" "$OURS_CPU" "$WC_WALL" "$WC_CPU" "$RSS_KB" "$DATA/python.json" "$IR_PER_RECORD" "$ALL_WALL" "$ALL_CPU" "$ALL_RSS_KB" "$THREADS" "$DISK_WALL" "$DISK_ERR" "$STAGES_FILE" <<'PY'
import json, sys
b, lines, records, ow, oc, ww, wc, rss_kb, pyfile, ir, aw, ac, arss_kb, threads, disk, disk_err, stages_file = sys.argv[1:]
aw, ac = max(float(aw), 0.005), float(ac)
b, lines, records = int(b), int(lines), int(records)
ow, oc, ww, wc = (max(float(x), 0.005) for x in (ow, oc, ww, wc))
py = json.load(open(pyfile))
mb = 1e6
print(f"input                  {b/mb:,.0f} MB, {lines:,} lines ({records:,} records)")
print(f"dynoshift ingest       {b/ow/mb:,.0f} MB/s wall, {b/oc/mb:,.0f} MB/s per CPU-second; "
      f"{records/oc/1e6:,.2f} M lines per CPU-second ({ow:.2f} s wall, {oc:.2f} s CPU, 1 thread)")
print(f"wc -l                  {b/ww/mb:,.0f} MB/s wall, {b/wc/mb:,.0f} MB/s per CPU-second (best of 3)")
print(f"ratio ingest / wc -l   {(b/oc)/(b/wc):.2f}x per CPU-second, {(b/ow)/(b/ww):.2f}x wall   (target >= 0.5x)")
print(f"python regex parser    {py['bytes_per_s']/mb:,.1f} MB/s wall, {py['bytes_per_cpu_s']/mb:,.1f} MB/s per CPU-second "
      f"(run on the first {py['bytes']/mb:,.0f} MB of the file and scaled)")
print(f"ratio ingest / python  {(b/oc)/py['bytes_per_cpu_s']:,.1f}x per CPU-second, {(b/ow)/py['bytes_per_s']:,.1f}x wall   (target >= 100x)")
print(f"peak RSS of ingest     {int(rss_kb)/1024:,.1f} MiB   (target < 64 MiB)")
print(f"on {threads} threads           {b/aw/mb:,.0f} MB/s wall ({aw:.2f} s wall, {ac:.2f} s CPU, peak RSS {int(arss_kb)/1024:,.1f} MiB); "
      f"ratio to wc -l {(b/aw)/(b/ww):.2f}x wall, to python {(b/aw)/py['bytes_per_s']:,.1f}x wall")
print(f"instructions           {ir or 'valgrind not installed'}")
if disk:
    dw = max(float(disk), 0.005)
    print(f"disk, O_DIRECT read    {b/dw/mb:,.0f} MB/s wall ({dw:.2f} s, one run, past the page cache); "
          f"ingest is {dw/ow:.2f}x the disk's speed on 1 thread, {dw/aw:.2f}x on {threads}")
else:
    print(f"disk, O_DIRECT read    not measured: {disk_err or 'dd failed'}")
stages = {}
for line in open(stages_file):
    name, cpu, sys_s = line.split()
    stages[name] = (float(cpu), float(sys_s))
if stages:
    print(f"where one core's time goes (CPU s = user + sys, best of 3; user ns per record over {records:,} records):")
    labels = [("copy", "kernel's page-cache copy alone (cat)"), ("split", "read + split lines"),
              ("envelope", "+ envelope (timestamp, SOURCE[PROCESS])"), ("message", "+ message parse"),
              ("all", "+ aggregation (the whole ingest)")]
    prev_user = 0.0
    for name, label in labels:
        cpu, sys_s = stages[name]
        user = max(cpu - sys_s, 0.0)
        row = f"  {label:<42} {cpu:.2f} s CPU ({sys_s:.2f} sys)"
        if name != "copy":
            row += (f"  {wc/max(cpu, 0.005):.2f}x wc -l   user {user/records*1e9:5.1f} ns/record"
                    f" (+{(user-prev_user)/records*1e9:.1f})")
            prev_user = user
        print(row)
    copy = stages["copy"][0]
    budget = max(2 * wc - copy, 0.0)
    print(f"  at 0.5x wc -l the whole ingest may take {2*wc:.2f} s CPU: after the copy "
          f"({copy:.2f} s), {budget/records*1e9:.0f} ns of user time per record")
PY

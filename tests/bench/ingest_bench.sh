#!/usr/bin/env bash
# Ingest benchmark: generates a mixed Heroku log once (tests/bench/data/, gitignored), then
# prints from one run on that file: our ingest bytes/s and lines/s on one core, `wc -l` bytes/s
# and the ratio, a plain Python regex parser's bytes/s (on a prefix, scaled) and our ratio over
# it, and the peak RSS of the ingest.
#
# Usage: tests/bench/ingest_bench.sh path/to/release/dynoshift [SIZE_MB] [PYTHON_PREFIX_MB]
#   SIZE_MB defaults to 1100 (>= 1 GB); PYTHON_PREFIX_MB defaults to 100.
set -euo pipefail

CLI=${1:?usage: ingest_bench.sh path/to/release/dynoshift [SIZE_MB] [PYTHON_PREFIX_MB]}
SIZE_MB=${2:-1100}
PY_MB=${3:-100}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data"
mkdir -p "$DATA"
FILE="$DATA/mixed-${SIZE_MB}MB.log"
FORMATION='{"web":{"size":"standard-2x","quantity":4},"worker":{"size":"standard-1x","quantity":2},"clock":{"size":"basic","quantity":1}}'

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }

if [ ! -s "$FILE" ]; then
  # About 150 MB of log per synthetic day at 5 requests/s: three quarters `heroku logs` text,
  # one quarter log-drain frames, with a leaking worker, R14 episodes and H12s.
  DAYS=$(( (SIZE_MB + 149) / 150 ))
  TEXT_DAYS=$(( DAYS * 3 / 4 )); [ "$TEXT_DAYS" -lt 1 ] && TEXT_DAYS=1
  DRAIN_DAYS=$(( DAYS - TEXT_DAYS )); [ "$DRAIN_DAYS" -lt 1 ] && DRAIN_DAYS=1
  echo "generating $FILE (~${SIZE_MB} MB: ${TEXT_DAYS}d text + ${DRAIN_DAYS}d drain) ..." >&2
  {
    "$CLI" synth-logs --formation "$FORMATION" --duration "${TEXT_DAYS}d" --seed 1 \
      --leak worker:12 --r14-episodes 20 --h12-per-hour 2 --report "$DATA/report-text.json"
    "$CLI" synth-logs --formation "$FORMATION" --duration "${DRAIN_DAYS}d" --seed 2 --drain \
      --leak worker:12 --r14-episodes 5 --h12-per-hour 2 --report "$DATA/report-drain.json"
    # A little bad input, as real archives have.
    printf 'source=web.1 sample#memory_total=NaNMB\n\x00\x01\xff binary garbage\n'
  } > "$FILE.tmp"
  mv "$FILE.tmp" "$FILE"
fi

BYTES=$(stat -c %s "$FILE")
cat "$FILE" > /dev/null   # warm the page cache so every reader starts equal

# wc -l (best of two)
best_wc=""
for _ in 1 2; do
  t0=$(now); LINES=$(wc -l < "$FILE"); t1=$(now)
  el=$(calc "$t1 - $t0")
  if [ -z "$best_wc" ] || [ "$(calc "$el < $best_wc")" = True ]; then best_wc=$el; fi
done

# Our ingest: one file is read on one thread (one core).
TIMEFILE=$(mktemp)
t0=$(now)
/usr/bin/time -v -o "$TIMEFILE" "$CLI" ingest --json "$FILE" > "$DATA/profiles.json"
t1=$(now)
ours=$(calc "$t1 - $t0")
RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TIMEFILE")
rm -f "$TIMEFILE"
RECORDS=$(python3 -c "import json; print(json.load(open('$DATA/profiles.json'))['lines']['records'])")

# Python baseline on a prefix, scaled by bytes/s.
PY_JSON=$(python3 "$HERE/python_baseline.py" "$FILE" --limit-bytes $(( PY_MB * 1000000 )))
PY_BPS=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['bytes_per_s'])" "$PY_JSON")
PY_BYTES=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['bytes'])" "$PY_JSON")

OURS_BPS=$(calc "$BYTES / $ours")
WC_BPS=$(calc "$BYTES / $best_wc")
python3 - "$BYTES" "$LINES" "$RECORDS" "$ours" "$OURS_BPS" "$WC_BPS" "$best_wc" "$PY_BPS" "$PY_BYTES" "$RSS_KB" <<'PY'
import sys
b, lines, records, ours, ours_bps, wc_bps, wc_s, py_bps, py_bytes, rss_kb = sys.argv[1:]
b, lines, records = int(b), int(lines), int(records)
ours, ours_bps, wc_bps, wc_s, py_bps = map(float, (ours, ours_bps, wc_bps, wc_s, py_bps))
mb = 1e6
print(f"input                 {b/mb:,.0f} MB, {lines:,} lines ({records:,} records)")
print(f"dynoshift ingest      {ours_bps/mb:,.0f} MB/s, {records/ours/1e6:,.2f} M lines/s, {ours:.2f} s (1 thread, JSON output included)")
print(f"wc -l                 {wc_bps/mb:,.0f} MB/s ({wc_s:.2f} s)")
print(f"ratio ingest / wc -l  {ours_bps/wc_bps:.2f}x   (target >= 0.5x)")
print(f"python regex parser   {py_bps/mb:,.1f} MB/s (measured on the first {int(py_bytes)/mb:,.0f} MB, scaled)")
print(f"ratio ingest / python {ours_bps/py_bps:,.0f}x   (target >= 100x)")
print(f"peak RSS of ingest    {int(rss_kb)/1024:,.1f} MiB   (target < 64 MiB)")
PY

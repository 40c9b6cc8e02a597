#!/usr/bin/env bash
# Generates the benchmarks' mixed Heroku log once: tests/bench/data/mixed-<SIZE_MB>MB.log
# (gitignored), three quarters `heroku logs` text and one quarter log-drain frames, with a leaking
# worker, R14 episodes, H12s and two bad lines. Prints the file's path.
#
# Usage: tests/bench/make_mixed_log.sh path/to/dynoshift SIZE_MB
set -euo pipefail

CLI=${1:?usage: make_mixed_log.sh path/to/dynoshift SIZE_MB}
SIZE_MB=${2:?usage: make_mixed_log.sh path/to/dynoshift SIZE_MB}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data"
mkdir -p "$DATA"
FILE="$DATA/mixed-${SIZE_MB}MB.log"
FORMATION='{"web":{"size":"standard-2x","quantity":4},"worker":{"size":"standard-1x","quantity":2},"clock":{"size":"basic","quantity":1}}'

if [ ! -s "$FILE" ]; then
  # About 130 MB of log per synthetic day at 5 requests/s: three quarters `heroku logs` text,
  # one quarter log-drain frames, with a leaking worker, R14 episodes and H12s.
  DAYS=$(( (SIZE_MB + 129) / 130 ))
  TEXT_DAYS=$(( DAYS * 3 / 4 )); [ "$TEXT_DAYS" -lt 1 ] && TEXT_DAYS=1
  DRAIN_DAYS=$(( DAYS - TEXT_DAYS )); [ "$DRAIN_DAYS" -lt 1 ] && DRAIN_DAYS=1
  echo "generating $FILE (${TEXT_DAYS}d text + ${DRAIN_DAYS}d drain) ..." >&2
  {
    "$CLI" synth-logs --formation "$FORMATION" --duration "${TEXT_DAYS}d" --seed 1 \
      --leak worker:12 --r14-episodes 20 --h12-per-hour 2 --report "$DATA/report-text.json"
    # The drain part continues where the text part ends (default start 2026-11-02T00:00:00Z).
    "$CLI" synth-logs --formation "$FORMATION" --duration "${DRAIN_DAYS}d" --seed 2 --drain \
      --options "{\"start_unix_s\": $(( 1793577600 + TEXT_DAYS * 86400 ))}" \
      --leak worker:12 --r14-episodes 5 --h12-per-hour 2 --report "$DATA/report-drain.json"
    # A little bad input, as real archives have.
    printf 'source=web.1 sample#memory_total=NaNMB\n\x00\x01\xff binary garbage\n'
  } > "$FILE.tmp"
  mv "$FILE.tmp" "$FILE"
fi
echo "$FILE"

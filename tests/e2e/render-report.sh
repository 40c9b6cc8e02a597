#!/usr/bin/env bash
# Renders the sample rehearsal report to HTML and then to a PNG with headless Chromium, so a
# person can look at it: tests/e2e/render-report.sh [OUT_DIR]   (default: target/report-render)
#
# Builds the `report_sample` example (the input tests/report.rs checks) and the CLI, writes
# rehearsal.json, renders report.html with `dynoshift report`, and screenshots it. Installs
# Debian's chromium with apt-get when it is missing (needs root). Nothing is fetched by the
# page itself: Chromium runs with networking features off, reading a file:// URL.
set -euo pipefail
cd "$(dirname "$0")/../.."

HOST=$(rustc -vV | sed -n 's/host: //p')
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
OUT=${1:-$CARGO_TARGET_DIR/report-render}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing; run as root to install it (apt-get install chromium)" >&2
    exit 1
  fi
  echo "installing chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

cargo build --quiet -p dynoshift --target "$HOST" --bin dynoshift --example report_sample
BIN=$CARGO_TARGET_DIR/$HOST/debug
"$BIN/examples/report_sample" "$OUT/rehearsal.json"
"$BIN/dynoshift" report --input "$OUT/rehearsal.json" -o "$OUT/report.html"

PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE" --hide-scrollbars \
  --screenshot="$OUT/report.png" --window-size="${WINDOW:-1400,4000}" \
  "file://$OUT/report.html" 2>"$OUT/chromium.log" || {
    cat "$OUT/chromium.log" >&2
    exit 1
  }
echo "rendered $OUT/report.png from $OUT/report.html"

# SLICES=N also renders the first N screens of 1400×1000 one by one (report-1.png, ...), for
# reading details that a whole-page picture shrinks away.
for i in $(seq 1 "${SLICES:-0}"); do
  shift_px=$(( (i - 1) * 1000 ))
  sed "s|</style>|main { transform: translateY(-${shift_px}px); }</style>|" "$OUT/report.html" \
    >"$OUT/slice-$i.html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --hide-scrollbars \
    --screenshot="$OUT/report-$i.png" --window-size=1400,1000 \
    "file://$OUT/slice-$i.html" 2>>"$OUT/chromium.log"
  rm -f "$OUT/slice-$i.html"
done

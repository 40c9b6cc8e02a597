#!/usr/bin/env bash
# S3 ingest benchmark: N gzip objects under one prefix of moto_server's S3 (loopback) against
# the same N files read from local disk, by the same release CLI in the same run. Prints the
# wall-clock and CPU seconds of both, their ratio, and the peak RSS of each (the S3 reader
# streams at most --s3-concurrency objects at a time, so its RSS must not grow with N).
#
# Usage: tests/bench/s3_ingest_bench.sh path/to/release/dynoshift path/to/python path/to/moto_server
#        [OBJECTS] [MB_PER_OBJECT]
#   OBJECTS defaults to 48, MB_PER_OBJECT (uncompressed) to 4. The python must have boto3
#   (moto[server] brings it) to upload the objects.
set -euo pipefail

CLI=${1:?usage: s3_ingest_bench.sh dynoshift python moto_server [OBJECTS] [MB_PER_OBJECT]}
PY=${2:?python}
MOTO=${3:?moto_server}
OBJECTS=${4:-48}
MB=${5:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK="$HERE/data/s3-${OBJECTS}x${MB}MB"
mkdir -p "$WORK"
FORMATION='{"web":{"size":"standard-2x","quantity":4},"worker":{"size":"standard-1x","quantity":2}}'

if [ ! -s "$WORK/done" ]; then
  echo "generating $OBJECTS objects of about $MB MB ..." >&2
  rm -f "$WORK"/*.log.gz
  # About 130 MB per synthetic day at 5 requests/s.
  SECONDS_NEEDED=$(( OBJECTS * MB * 86400 / 130 + 3600 ))
  "$CLI" synth-logs --formation "$FORMATION" --duration "${SECONDS_NEEDED}s" --seed 3 \
    --leak worker:12 --r14-episodes 4 -o "$WORK/all.log" --report "$WORK/report.json" >/dev/null
  (cd "$WORK" && split -n "l/$OBJECTS" -d -a 4 all.log part- && rm all.log)
  for f in "$WORK"/part-*; do gzip -1 -c "$f" > "$f.log.gz" && rm "$f"; done
  touch "$WORK/done"
fi
BYTES=$(cat "$WORK"/*.log.gz | gzip -dc | wc -c)

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$MOTO" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
URL="http://127.0.0.1:$PORT"
"$PY" - "$URL" "$WORK" <<'PYEOF'
import pathlib, sys, time
import boto3
url, work = sys.argv[1], pathlib.Path(sys.argv[2])
deadline = time.monotonic() + 30
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
while True:
    try:
        s3.create_bucket(Bucket="bench")
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
for f in sorted(work.glob("*.log.gz")):
    s3.upload_file(str(f), "bench", f"logs/{f.name}")
PYEOF

# shellcheck source=measure.sh
source "$HERE/measure.sh"

read -r S3_WALL S3_CPU S3_RSS < <(measure "$WORK/s3.json" "$CLI" ingest --json s3://bench/logs/ --endpoint-url "$URL")
read -r L1_WALL L1_CPU L1_RSS < <(measure "$WORK/local1.json" "$CLI" ingest --json --threads 1 "$WORK"/*.log.gz)
read -r LA_WALL LA_CPU LA_RSS < <(measure "$WORK/local.json" "$CLI" ingest --json "$WORK"/*.log.gz)

# The same profiles either way (input names aside).
"$PY" - "$WORK" <<'PYEOF'
import json, sys
w = sys.argv[1]
def load(name):
    p = json.load(open(f"{w}/{name}"))
    for e in p["unparsed_examples"]:
        e["input"] = None
    return p
assert load("s3.json") == load("local1.json"), "S3 and local profiles differ"
PYEOF

awk -v n="$OBJECTS" -v b="$BYTES" -v sw="$S3_WALL" -v sc="$S3_CPU" -v sr="$S3_RSS" \
    -v lw="$L1_WALL" -v lc="$L1_CPU" -v lr="$L1_RSS" -v aw="$LA_WALL" -v ar="$LA_RSS" 'BEGIN {
  mb = b / 1048576
  printf "objects %d, %.0f MiB decompressed (gzip objects), same profiles from S3 and from disk\n", n, mb
  printf "%-34s %9s %9s %11s %9s\n", "", "wall s", "cpu s", "MiB/s wall", "peak RSS"
  printf "%-34s %9.2f %9.2f %11.1f %7.0f MB\n", "S3 (moto, loopback, 8 at a time)", sw, sc, mb / sw, sr / 1024
  printf "%-34s %9.2f %9.2f %11.1f %7.0f MB\n", "local files, 1 thread", lw, lc, mb / lw, lr / 1024
  printf "%-34s %9.2f %9s %11.1f %7.0f MB\n", "local files, every core", aw, "-", mb / aw, ar / 1024
  printf "S3 / local (1 thread) throughput: %.2fx wall\n", lw / sw
}'

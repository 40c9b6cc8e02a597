#!/usr/bin/env bash
# Bindings benchmark: the Python and Node bulk ingest (`dynoshift.ingest([file])` and
# `await ingest([file])`, each followed by `to_json()`) against the Rust CLI
# (`dynoshift ingest --json file`) on the same generated file (see make_mixed_log.sh).
# Best of three runs each; wall-clock and CPU (user + sys, all threads) seconds. The Rust figure
# is the whole CLI process; the binding figures are the call inside an already started
# interpreter. Nothing is asserted (target: bindings <= 1.1x Rust).
#
# Usage: tests/bench/ingest_bindings_bench.sh CLI PYTHON PYTHONPATH_DIR NODE_ADDON [SIZE_MB]
#   CLI: release `dynoshift`; PYTHON + PYTHONPATH_DIR: an interpreter and a directory holding the
#   release-built `dynoshift` package; NODE_ADDON: the release-built `.node` file. SIZE_MB
#   defaults to 260.
set -euo pipefail

CLI=${1:?usage: ingest_bindings_bench.sh CLI PYTHON PYTHONPATH_DIR NODE_ADDON [SIZE_MB]}
PYTHON=${2:?python}
PYDIR=${3:?python package dir}
ADDON=${4:?node addon}
SIZE_MB=${5:-260}
HERE=$(cd "$(dirname "$0")" && pwd)
FILE=$("$HERE/make_mixed_log.sh" "$CLI" "$SIZE_MB")
RUNS=3
cat "$FILE" > /dev/null   # warm the page cache

# Rust: the whole CLI process.
RUST=""
for _ in $(seq $RUNS); do
  tf=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$tf" "$CLI" ingest --json "$FILE" > /dev/null
  RUST="$RUST$(awk '{printf "%s %.3f", $1, $2 + $3}' "$tf");"
  rm -f "$tf"
done

PY=$(PYTHONPATH="$PYDIR" "$PYTHON" - "$FILE" "$RUNS" <<'PY'
import resource, sys, time
import dynoshift
path, runs = sys.argv[1], int(sys.argv[2])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
out = []
for _ in range(runs):
    w0, c0 = time.perf_counter(), cpu()
    dynoshift.ingest([path]).to_json()
    out.append(f"{time.perf_counter() - w0:.3f} {cpu() - c0:.3f}")
print(";".join(out))
PY
)

NODE=$(node --input-type=module - "$FILE" "$RUNS" "$ADDON" <<'JS'
import { createRequire } from 'node:module'
const [path, runs, addon] = process.argv.slice(2)
const d = createRequire(import.meta.url)(addon)
const out = []
for (let i = 0; i < Number(runs); i++) {
  const w0 = performance.now(), c0 = process.cpuUsage()
  ;(await d.ingest([path])).toJson()
  const c = process.cpuUsage(c0)
  out.push(`${((performance.now() - w0) / 1000).toFixed(3)} ${((c.user + c.system) / 1e6).toFixed(3)}`)
}
console.log(out.join(';'))
JS
)

python3 - "$FILE" "$RUST" "$PY" "$NODE" "$RUNS" <<'PY'
import os, sys
path, rust, py, node, runs = sys.argv[1:]
def best(s):
    runs = [tuple(map(float, r.split())) for r in s.strip(";").split(";")]
    return min(w for w, _ in runs), min(c for _, c in runs)
rw, rc = best(rust)
print(f"bulk ingest, bindings vs Rust  ({os.path.getsize(path)/1e6:,.0f} MB, {os.path.basename(path)}; best of {runs}, release builds)")
print(f"rust CLI ingest --json   {rw:6.2f} s wall  {rc:6.2f} s CPU")
for name, s in (("python ingest()", py), ("node await ingest()", node)):
    w, c = best(s)
    print(f"{name:<24} {w:6.2f} s wall  {c:6.2f} s CPU   = {w/rw:.2f}x Rust wall, {c/rc:.2f}x Rust CPU   (target <= 1.1x)")
PY

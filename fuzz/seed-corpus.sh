#!/usr/bin/env bash
# Seeds fuzz/corpus/<target> from the shared vectors (good and bad inputs alike), so that the
# fuzzer starts from inputs that reach deep into each decoder. Idempotent; libFuzzer adds the
# inputs it finds interesting next to these.
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import hashlib, json, pathlib
root = pathlib.Path("..") / "tests" / "vectors"
corpus = pathlib.Path("corpus")
def put(target, text):
    data = text.encode() if isinstance(text, str) else text
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
def as_text(inp, key):
    if f"{key}_text" in inp:
        return inp[f"{key}_text"]
    if key in inp:
        return json.dumps(inp[key])
    return None
for f in sorted(root.rglob("*.json")):
    for c in json.loads(f.read_text()):
        op, inp = c["op"], c["input"]
        if op == "logs.parse_line":
            put("parse_line", inp["line"])
            put("ingest_feed", b"\x00\x40" + inp["line"].encode() + b"\n")
        if op == "sizing.recommend":
            put("ingest_feed", b"\x01" + "\n".join(inp["logs"]).encode() + b"\n")
        t = as_text(inp, "formation")
        if t is not None:
            put("formation_json", t)
        for key in ("plan", "memory_plan"):
            t = as_text(inp, key)
            if t is not None and op.startswith("cutover."):
                put("cutover_plan", t)
        if op in ("nodes.plan", "nodes.max_pods", "nodes.kube_reserved"):
            put("node_plan_request", json.dumps(inp))
        if op == "cutover.read_journal":
            t = as_text(inp, "journal")
            if t is not None:
                put("journal", t)
PY

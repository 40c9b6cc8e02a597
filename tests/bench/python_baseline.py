#!/usr/bin/env python3
"""The straightforward Python parser a user would write for Heroku logs: a regex per line kind,
values collected in lists, percentiles by sorting at the end. It is the baseline the Rust ingest
is compared with by tests/bench/ingest_bench.sh.

Usage: python_baseline.py FILE [--limit-bytes N]
Prints one JSON object: bytes, lines, seconds, bytes_per_s, and a small summary.
"""
import collections
import gzip
import json
import re
import sys
import time

PREFIX = re.compile(r"^(\S+) (\w+)\[([\w.-]+)\]: (.*)$")
DRAIN = re.compile(r"^\d+ <\d+>1 (\S+) \S+ \S+ (\S+) - (.*)$")
SAMPLE = re.compile(r"sample#(\w+)=([\d.]+)")
SOURCE = re.compile(r"source=(\S+)")
ROUTER = re.compile(r"dyno=(\S*) connect=(\d*)(?:ms)? service=(\d*)(?:ms)? status=(\d+)")
CODE = re.compile(r"code=(H\d+)")


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[int(q * (len(values) - 1))]


def main():
    path = sys.argv[1]
    limit = None
    if "--limit-bytes" in sys.argv:
        limit = int(sys.argv[sys.argv.index("--limit-bytes") + 1])
    opener = gzip.open if path.endswith(".gz") else open
    memory = collections.defaultdict(list)
    load = collections.defaultdict(list)
    service = collections.defaultdict(list)
    codes = collections.Counter()
    r14 = collections.Counter()
    unparsed = 0
    lines = 0
    nbytes = 0
    start = time.perf_counter()
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            nbytes += len(line)
            if limit is not None and nbytes > limit:
                nbytes -= len(line)
                break
            lines += 1
            m = PREFIX.match(line) or DRAIN.match(line)
            if m:
                groups = m.groups()
                proc, msg = groups[-2], groups[-1]
            else:
                proc, msg = None, line
            if "sample#" in msg:
                s = SOURCE.search(msg)
                ptype = (s.group(1) if s else proc or "unknown").rsplit(".", 1)[0]
                for key, val in SAMPLE.findall(msg):
                    if key == "memory_total":
                        memory[ptype].append(float(val))
                    elif key == "load_avg_1m":
                        load[ptype].append(float(val))
            elif msg.startswith("at="):
                r = ROUTER.search(msg)
                if r:
                    ptype = (r.group(1) or "web").rsplit(".", 1)[0]
                    if r.group(3):
                        service[ptype].append(int(r.group(3)))
                c = CODE.search(msg)
                if c:
                    codes[c.group(1)] += 1
            elif msg.startswith("Error R14") or msg.startswith("Error R15"):
                r14[(proc or "unknown").rsplit(".", 1)[0]] += 1
            elif not m:
                unparsed += 1
    summary = {
        t: {
            "memory_p95": percentile(v, 0.95),
            "memory_max": max(v),
            "load_p95": percentile(load[t], 0.95),
        }
        for t, v in memory.items()
    }
    for t, v in service.items():
        summary.setdefault(t, {})["service_p95"] = percentile(v, 0.95)
        summary[t]["requests"] = len(v)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "bytes": nbytes,
                "lines": lines,
                "seconds": seconds,
                "bytes_per_s": nbytes / seconds,
                "unparsed": unparsed,
                "h_codes": codes,
                "memory_errors": r14,
                "summary": summary,
            }
        )
    )


if __name__ == "__main__":
    main()

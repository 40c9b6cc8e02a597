#!/usr/bin/env python3
"""The straightforward Python parser a user would write for Heroku logs, computing the same
kind of profile as `dynoshift ingest`: a regex for the line prefix, logfmt `key=value` pairs into
a dict, values collected in lists per process type, percentiles by sorting at the end, requests
per minute keyed by the timestamp's first 16 characters (cheaper than parsing it — generous to
Python). It is the baseline tests/bench/ingest_bench.sh compares the Rust ingest with.

Usage: python_baseline.py FILE [--limit-bytes N]
Prints one JSON object: bytes, lines, seconds (wall and CPU), bytes per second, and a summary.
"""
import collections
import gzip
import json
import re
import sys
import time

PREFIX = re.compile(r"^(\S+) (\w+)\[([\w.-]+)\]: (.*)$")
DRAIN = re.compile(r"^\d+ <\d+>1 (\S+) \S+ \S+ (\S+) - (.*)$")
PAIR = re.compile(r'([\w#.]+)=("[^"]*"|\S*)')
NUMBER = re.compile(r"^-?[\d.]+")


def num(value):
    m = NUMBER.match(value)
    return float(m.group(0)) if m else None


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
    per_minute = collections.defaultdict(collections.Counter)
    statuses = collections.defaultdict(collections.Counter)
    codes = collections.Counter()
    memory_errors = collections.Counter()
    unparsed = 0
    lines = 0
    nbytes = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            nbytes += len(line)
            if limit is not None and nbytes > limit:
                nbytes -= len(line)
                break
            lines += 1
            line = line.rstrip("\n")
            m = PREFIX.match(line) or DRAIN.match(line)
            if m:
                groups = m.groups()
                ts, proc, msg = groups[0], groups[-2], groups[-1]
            else:
                ts, proc, msg = None, None, line
            if msg.startswith("source=") or msg.startswith("at="):
                fields = {k: v.strip('"') for k, v in PAIR.findall(msg)}
                if "at" in fields:
                    ptype = (fields.get("dyno") or "web").rsplit(".", 1)[0]
                    s = fields.get("service")
                    if s:
                        service[ptype].append(num(s))
                    st = fields.get("status")
                    statuses[ptype][st[0] + "xx" if st else "none"] += 1
                    if "code" in fields:
                        codes[fields["code"]] += 1
                    if ts:
                        per_minute[ptype][ts[:16]] += 1
                else:
                    ptype = fields.get("source", proc or "unknown").rsplit(".", 1)[0]
                    if "sample#memory_total" in fields:
                        memory[ptype].append(num(fields["sample#memory_total"]))
                    if "sample#load_avg_1m" in fields:
                        load[ptype].append(num(fields["sample#load_avg_1m"]))
            elif msg.startswith("Error R14") or msg.startswith("Error R15"):
                memory_errors[(proc or "unknown").rsplit(".", 1)[0]] += 1
            elif not m:
                unparsed += 1
    summary = {}
    for t, v in memory.items():
        summary[t] = {
            "memory_p95": percentile(v, 0.95),
            "memory_max": max(v),
            "load_p95": percentile(load[t], 0.95),
        }
    for t, v in service.items():
        s = summary.setdefault(t, {})
        s["service_p95"] = percentile(v, 0.95)
        s["requests"] = len(v)
        s["peak_rpm"] = max(per_minute[t].values()) if per_minute[t] else 0
        s["statuses"] = statuses[t]
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    print(
        json.dumps(
            {
                "bytes": nbytes,
                "lines": lines,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "bytes_per_s": nbytes / seconds,
                "bytes_per_cpu_s": nbytes / cpu_seconds,
                "unparsed": unparsed,
                "h_codes": codes,
                "memory_errors": memory_errors,
                "summary": summary,
            }
        )
    )


if __name__ == "__main__":
    main()

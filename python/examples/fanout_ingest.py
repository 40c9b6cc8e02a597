"""Fan an archive of log files out over worker processes and merge their partial states.

Each worker ingests one file and returns ``Ingest.dumps()`` — plain bytes, so they cross process
(or machine) boundaries like any other value. The parent loads and merges them in file order; the
result is the same profile JSON as one ``dynoshift.ingest(files)`` in a single process.

The same pattern runs on a distributed engine you already have: make ``ingest_one`` a Ray task,
a Dask delayed call or a Spark ``mapPartitions`` function, collect the bytes, merge in order.

    python fanout_ingest.py LOG_FILE [LOG_FILE ...]   # your files (plain or .gz)
    python fanout_ingest.py                           # three synthetic days, generated here

It prints the merged profile JSON and exits 1 if it differs from the single-process result.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import sys
import tempfile
from pathlib import Path

import dynoshift


def ingest_one(path: str) -> bytes:
    """Runs in a worker: the partial state of one file."""
    ingest = dynoshift.Ingest()
    ingest.begin_input(path)
    opener = gzip.open if Path(path).read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        while chunk := f.read(1 << 20):
            ingest.feed(chunk)
    ingest.end_input()
    return ingest.dumps()


def fan_out(paths: list[str], workers: int = 3) -> dynoshift.Profiles:
    total = dynoshift.Ingest()
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        # map() yields in the order of `paths`, whatever order the workers finish in.
        for state in pool.map(ingest_one, paths):
            total.merge(dynoshift.Ingest.loads(state))
    return total.finish()


def synthetic_days(directory: Path, days: int = 3) -> list[str]:
    formation = dynoshift.Formation.from_json(
        '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'
    )
    paths = []
    for day in range(days):
        path = directory / f"day-{day}.log"
        options = f'{{"duration_s": 21600, "seed": {day + 1}, "web_rps": 0.5, "start_unix_s": {1793664000 + day * 86400}}}'
        dynoshift.synth_logs(formation, str(path), options)
        paths.append(str(path))
    return paths


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        paths = argv or synthetic_days(Path(tmp))
        merged = fan_out(paths)
        single = dynoshift.ingest(paths)
        print(merged.to_json())
        if merged.to_json() != single.to_json():
            print("merged states differ from the single-process ingest", file=sys.stderr)
            return 1
        print(
            f"{len(paths)} files, {merged.lines.records} records: merged states equal the "
            "single-process profile JSON",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

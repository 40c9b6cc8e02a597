"""Saved ingest state through Python: dumps/loads round trips, merges of loaded parts equal one
ingest, foreign bytes raise InvalidInputError, and the fan-out example runs as documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dynoshift
from conftest import REPO

LINES = [
    b"2024-03-01T10:00:00+00:00 heroku[web.1]: source=web.1 sample#memory_total=300MB sample#load_avg_1m=0.5\n",
    b"2024-03-01T10:00:01+00:00 heroku[router]: at=info dyno=web.1 connect=1ms service=20ms status=200 bytes=1\n",
    b"2024-03-01T11:00:00+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)\n",
    b"not a log line\n",
]


def test_loaded_parts_merge_to_one_ingest() -> None:
    one = dynoshift.Ingest()
    merged = dynoshift.Ingest()
    for k, line in enumerate(LINES):
        one.begin_input(f"part-{k}")
        one.feed(line)
        part = dynoshift.Ingest()
        part.begin_input(f"part-{k}")
        part.feed(line)
        state = part.dumps()
        assert isinstance(state, bytes)
        merged.merge(dynoshift.Ingest.loads(state))
    assert merged.finish().to_json() == one.finish().to_json()


def test_a_half_line_is_kept_across_dumps() -> None:
    ingest = dynoshift.Ingest()
    ingest.feed(LINES[0][:30])
    resumed = dynoshift.Ingest.loads(ingest.dumps())
    resumed.feed(LINES[0][30:])
    assert resumed.finish().lines.telemetry == 1
    assert resumed.dumps() != ingest.dumps()


@pytest.mark.parametrize("data", [b"", b"{}", b"dynoshift-ingest" + b"\x02\x00\x00\x00" + bytes(16)])
def test_foreign_bytes_are_invalid_input(data: bytes) -> None:
    with pytest.raises(dynoshift.InvalidInputError) as e:
        dynoshift.Ingest.loads(data)
    assert e.value.kind == "invalid_input"


def test_a_corrupt_state_is_invalid_input() -> None:
    ingest = dynoshift.Ingest()
    ingest.feed(b"".join(LINES))
    state = bytearray(ingest.dumps())
    state[-1] ^= 1
    with pytest.raises(dynoshift.InvalidInputError, match="checksum"):
        dynoshift.Ingest.loads(bytes(state))


def test_the_fan_out_example_equals_one_process() -> None:
    example = REPO / "python" / "examples" / "fanout_ingest.py"
    run = subprocess.run([sys.executable, str(example)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "merged states equal the single-process profile JSON" in run.stderr
    assert '"process_types"' in run.stdout

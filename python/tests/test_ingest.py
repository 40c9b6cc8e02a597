"""Log ingestion through Python: the bulk call, incremental feeding, parity with the Rust CLI,
bad input, and the GIL being released while a bulk ingest runs.

Parity: the JSON must equal, byte for byte, what `dynoshift ingest FILES --json` prints for the
same files. `make test` builds that CLI and passes its path in `DYNOSHIFT_CLI`; run by hand, the
test looks for `target/<host-triple>/debug/dynoshift` and fails if neither is there.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

import dynoshift
from conftest import REPO

FORMATION = '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'
# One synthetic day, light traffic so that a debug build ingests it quickly; a leaking worker and
# R14 episodes so that the profiles have events.
TEXT_OPTIONS = '{"duration_s": 86400, "seed": 7, "web_rps": 0.5, "leak_mb_per_hour": 10, "leak_types": ["worker"], "r14_episodes": 2}'
DRAIN_OPTIONS = '{"duration_s": 21600, "seed": 8, "web_rps": 0.5, "framing": "drain", "start_unix_s": 1793664000}'


def cli() -> Path:
    env = os.environ.get("DYNOSHIFT_CLI")
    if env:
        return Path(env)
    found = sorted(REPO.glob("target/*/debug/dynoshift"))
    if not found:
        pytest.fail("the Rust CLI is not built: run `make test-python` (or set DYNOSHIFT_CLI)")
    return found[0]


def cli_json(*paths: Path) -> str:
    out = subprocess.run(
        [str(cli()), "ingest", "--json", *map(str, paths)], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("logs")
    formation = dynoshift.Formation.from_json(FORMATION)
    text, drain = d / "text.log", d / "drain.log"
    report = dynoshift.synth_logs(formation, text, TEXT_OPTIONS)
    assert report.bytes == text.stat().st_size
    assert report.process_types == ["web", "worker"]
    assert json.loads(report.to_json())["options"]["seed"] == 7
    dynoshift.synth_logs(formation, str(drain), DRAIN_OPTIONS)
    return text, drain


def feed_in_random_chunks(ingest: dynoshift.Ingest, path: Path, rng: random.Random) -> None:
    data = path.read_bytes()
    ingest.begin_input(str(path))
    i = 0
    while i < len(data):
        n = rng.choice([1, 7, 100, 4096, 65536, rng.randrange(1, 300_000)])
        ingest.feed(data[i : i + n])
        i += n
    ingest.end_input()


def test_bulk_equals_the_rust_cli(logs: tuple[Path, Path]) -> None:
    text, drain = logs
    profiles = dynoshift.ingest([text])
    assert profiles.to_json() == cli_json(text)
    both = dynoshift.ingest([text, str(drain)])
    assert both.to_json() == cli_json(text, drain)


def test_threads_change_nothing_but_must_be_sensible(logs: tuple[Path, Path]) -> None:
    text, drain = logs
    want = cli_json(text, drain)
    for threads in (1, 2, 3):
        assert dynoshift.ingest([text, drain], threads=threads).to_json() == want
    for bad in (0, -1, 257):
        with pytest.raises(dynoshift.InvalidInputError, match=f"got {bad}"):
            dynoshift.ingest([text], threads=bad)


def test_typed_attributes(logs: tuple[Path, Path]) -> None:
    text, _ = logs
    p = dynoshift.ingest([text])
    doc = json.loads(p.to_json())
    assert p.process_types == ["web", "worker"] == sorted(doc["process_types"])
    assert p.relative_error == doc["relative_error"] > 0
    lines = p.lines
    assert lines.bytes == text.stat().st_size
    assert lines.records == doc["lines"]["records"] > 1000
    assert lines.telemetry > 0 and lines.unparsed == 0
    assert (lines.other, lines.blank) == (doc["lines"]["other"], doc["lines"]["blank"])
    assert p.unparsed_examples == [] and p.input_issues == []
    span = p.span
    assert span is not None
    assert span.start.startswith("2026-11-02T00:00")
    assert 86_000 < span.seconds <= 86_400
    assert span.end_ms - span.start_ms == round(span.seconds * 1000)
    assert "Profiles(" in repr(p)


def test_incremental_in_random_chunks_equals_bulk(logs: tuple[Path, Path]) -> None:
    text, drain = logs
    rng = random.Random(3)
    one = dynoshift.Ingest()
    feed_in_random_chunks(one, text, rng)
    assert one.finish().to_json() == dynoshift.ingest([text]).to_json()
    # finish() is a snapshot: the ingest stays usable.
    assert one.finish().to_json() == dynoshift.ingest([text]).to_json()

    # Two files: one ingest per file, merged in order (what the bulk call does).
    other = dynoshift.Ingest()
    feed_in_random_chunks(other, drain, rng)
    total = dynoshift.Ingest()
    total.merge(one)
    total.merge(other)
    assert total.finish().to_json() == dynoshift.ingest([text, drain]).to_json()
    # merge leaves its argument as it was.
    assert other.finish().to_json() == dynoshift.ingest([drain]).to_json()


def test_gzip_is_detected_for_paths(tmp_path: Path, logs: tuple[Path, Path]) -> None:
    import gzip

    _, drain = logs
    gz = tmp_path / "drain.log.gz"
    gz.write_bytes(gzip.compress(drain.read_bytes()))
    a = json.loads(dynoshift.ingest([gz]).to_json())
    b = json.loads(dynoshift.ingest([drain]).to_json())
    assert a["process_types"] == b["process_types"]
    assert a["lines"] == b["lines"]


def test_missing_file_is_not_found_with_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such.log"
    with pytest.raises(dynoshift.NotFoundError) as info:
        dynoshift.ingest([missing])
    assert info.value.kind == "not_found"
    assert str(missing) in str(info.value)


def test_unreadable_input_is_invalid_input_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(dynoshift.InvalidInputError) as info:
        dynoshift.ingest([tmp_path])  # a directory opens but cannot be read
    assert info.value.kind == "invalid_input"
    assert str(tmp_path) in str(info.value)
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.ingest([])
    with pytest.raises(TypeError):  # a list of paths, not one path
        dynoshift.ingest(str(tmp_path))


def test_binary_garbage_is_counted_unparsed_not_an_error(tmp_path: Path) -> None:
    rng = random.Random(11)
    garbage = bytes([0x00, 0x01]) + bytes(rng.randrange(256) for _ in range(20_000))
    path = tmp_path / "garbage.bin"
    path.write_bytes(garbage)
    p = dynoshift.ingest([path])
    assert p.lines.unparsed > 0
    assert p.lines.telemetry == 0
    assert p.unparsed_examples and p.unparsed_examples[0].input == str(path)
    assert p.unparsed_examples[0].record >= 1 and p.unparsed_examples[0].reason
    assert p.to_json() == cli_json(path)
    fed = dynoshift.Ingest()
    fed.begin_input(str(path))
    fed.feed(garbage)
    assert fed.finish().to_json() == p.to_json()


def test_synth_logs_errors(tmp_path: Path) -> None:
    formation = dynoshift.Formation.from_json(FORMATION)
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.synth_logs(formation, tmp_path / "x.log", '{"no_such_option": 1}')
    with pytest.raises(dynoshift.InvalidInputError) as info:
        dynoshift.synth_logs(formation, tmp_path / "missing-dir" / "x.log", '{"duration_s": 60}')
    assert "missing-dir" in str(info.value)


def test_bulk_ingest_releases_the_gil(logs: tuple[Path, Path]) -> None:
    """A Python thread keeps running in the middle of a bulk ingest; with the GIL held for the
    whole call it could not run at all between the call's start and its end."""
    text, _ = logs
    stamps: list[float] = []
    started = threading.Event()
    stop = threading.Event()

    def counter() -> None:
        started.set()
        n = 0
        while not stop.is_set():
            n += 1
            if n % 1000 == 0:
                stamps.append(time.perf_counter())

    t = threading.Thread(target=counter, daemon=True)
    t.start()
    started.wait()
    t0 = time.perf_counter()
    profiles = dynoshift.ingest([text] * 3)
    t1 = time.perf_counter()
    stop.set()
    t.join()
    assert profiles.lines.bytes == 3 * text.stat().st_size
    elapsed = t1 - t0
    assert elapsed > 0.05, f"the ingest was too quick ({elapsed:.3f} s) to show anything"
    middle = [s for s in stamps if t0 + 0.3 * elapsed < s < t0 + 0.7 * elapsed]
    assert len(middle) > 10, f"the Python thread ran {len(middle)}x1000 times in the middle of a {elapsed:.2f} s ingest"


def test_ingest_reads_an_s3_prefix_like_the_same_files_on_disk(
    logs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """s3://bucket/prefix through the core's S3 reader, against moto_server's S3."""
    import gzip
    import urllib.request

    from conftest import MotoServer

    text, drain = logs
    moto = MotoServer()
    try:
        # Unsigned requests reach moto's S3: create the bucket and upload the two logs.
        def put(path: str, body: bytes = b"") -> None:
            req = urllib.request.Request(
                moto.url + path,
                data=body,
                method="PUT",
                headers={"Content-Type": "application/octet-stream"},
            )
            with urllib.request.urlopen(req, timeout=10) as response:
                assert response.status == 200

        put("/app-logs")
        put("/app-logs/archive/drain.log", drain.read_bytes())
        put("/app-logs/archive/text.log.gz", gzip.compress(text.read_bytes()))
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        from_s3 = json.loads(dynoshift.ingest(["s3://app-logs/archive/"]).to_json())
        local = json.loads(dynoshift.ingest([drain, text]).to_json())
        assert from_s3["process_types"] == local["process_types"]
        assert from_s3["lines"]["records"] == local["lines"]["records"]
        with pytest.raises(dynoshift.NotFoundError, match="NoSuchBucket"):
            dynoshift.ingest(["s3://no-such-bucket/x"])
    finally:
        moto.close()

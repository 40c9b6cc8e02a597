"""Sizing from Python: plain dicts with explanations, GIL released, typed errors."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

import dynoshift

FORMATION = dynoshift.Formation.from_json(
    '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'
)


def _line(t: int, source: str, mb: float, load: float) -> list[str]:
    ts = f"2026-11-01T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}+00:00"
    return [
        f"{ts} heroku[{source}]: source={source} dyno=heroku.1.x sample#load_avg_1m={load:.2f}",
        f"{ts} heroku[{source}]: source={source} dyno=heroku.1.x sample#memory_total={mb:.2f}MB "
        f"sample#memory_rss={mb:.2f}MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB",
    ]


LINES = [
    line
    for t in range(0, 3 * 3600, 20)
    for source, mb, load in (("web.1", 400 + t % 100, 0.3), ("web.2", 380.0, 0.2), ("worker.1", 300.0, 0.8))
    for line in _line(t, source, mb, load)
]


def test_memory_is_never_below_the_observed_peak_and_numbers_explain_themselves() -> None:
    report = dynoshift.recommend_lines(FORMATION, LINES)
    web = next(p for p in report["processes"] if p["process_type"] == "web")
    assert web["memory_request_mib"]["value"] >= 499
    explanation = web["memory_request_mib"]["explanation"]
    assert explanation["rule"] and explanation["samples"] > 0
    assert any("hours of data" in w for w in report["warnings"] + explanation["warnings"])


def test_files_give_the_same_report_as_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    assert dynoshift.recommend_sizing(FORMATION, [log]) == dynoshift.recommend_lines(FORMATION, LINES)


def test_policy_strategies_and_bad_policies() -> None:
    vpa = dynoshift.recommend_lines(FORMATION, LINES, {"strategy": "vpa"})
    assert vpa["strategy"] == "vpa"
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.recommend_lines(FORMATION, LINES, {"cpu_percentile": float("nan")})
    with pytest.raises(dynoshift.NotFoundError):
        dynoshift.recommend_sizing(FORMATION, ["/nonexistent/app.log"])


def test_the_gil_is_released_while_sizing(tmp_path: Path) -> None:
    cli = os.environ.get("DYNOSHIFT_CLI", "")
    assert cli and Path(cli).exists(), "DYNOSHIFT_CLI must name the dynoshift binary (make test-python sets it)"
    formation = tmp_path / "formation.json"
    formation.write_text(FORMATION.to_json())
    big = tmp_path / "big.log"
    subprocess.run(
        [str(cli), "synth-logs", "--formation", str(formation), "--duration", "8h", "--seed", "3", "-o", str(big)],
        check=True,
        capture_output=True,
    )
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        before = ticks
        report = dynoshift.recommend_sizing(FORMATION, [str(big)])
        during = ticks - before
    finally:
        done.set()
        counter.join()
    assert len(report["processes"]) == 2
    # With the GIL held for the whole call the counting thread could not run at all.
    assert during > 1000, f"the counting thread barely ran during the call ({during}): was the GIL held?"
    json.dumps(report)

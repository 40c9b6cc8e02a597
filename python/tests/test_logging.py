"""The core's log events in Python: they reach the standard `logging` module (logger
"dynoshift") and a callback given to `set_logger`, at the chosen level, never with a token; a
bulk ingest reports its progress."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import pytest

import dynoshift
from conftest import GOOD_TOKEN, RecordedHerokuApi

FORMATION = '{"web": {"size": "standard-1x", "quantity": 1}}'


def small_log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    dynoshift.synth_logs(dynoshift.Formation.from_json(FORMATION), path, '{"duration_s": 3600, "seed": 3}')
    return path


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    yield
    logging.getLogger("dynoshift").setLevel(logging.NOTSET)
    dynoshift.set_logger()


def test_ingest_events_reach_the_logging_module(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = small_log(tmp_path)
    with caplog.at_level(logging.INFO, logger="dynoshift"):
        dynoshift.set_logger()  # picks up the level just set
        profiles = dynoshift.ingest([log])
    finished = [r for r in caplog.records if r.name == "dynoshift" and "ingest: finished" in r.getMessage()]
    assert len(finished) == 1, [r.getMessage() for r in caplog.records]
    record = finished[0]
    assert record.levelno == logging.INFO
    assert f"records={profiles.lines.records}" in record.getMessage()
    assert "dynoshift::telemetry" in record.getMessage()


def test_events_below_the_level_are_not_sent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = small_log(tmp_path)
    with caplog.at_level(logging.WARNING, logger="dynoshift"):
        dynoshift.set_logger()
        dynoshift.ingest([log])
    assert not [r for r in caplog.records if r.name == "dynoshift"]


def test_a_callback_receives_level_target_and_message(tmp_path: Path) -> None:
    log = small_log(tmp_path)
    seen: list[tuple[str, str, str]] = []
    dynoshift.set_logger(lambda level, target, message: seen.append((level, target, message)), "debug")
    dynoshift.ingest([log])
    assert ("info", "dynoshift::telemetry") in {(lv, t) for lv, t, _ in seen}, seen
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.set_logger(None, "loud")


@pytest.mark.asyncio
async def test_heroku_api_calls_are_logged_without_the_token() -> None:
    api = RecordedHerokuApi()
    seen: list[str] = []
    try:
        dynoshift.set_logger(lambda level, target, message: seen.append(message), "trace")
        client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
        await client.formation("shop-production")
    finally:
        api.close()
    assert any("heroku platform api" in m for m in seen), seen
    assert not any(GOOD_TOKEN in m for m in seen)


def test_bulk_ingest_reports_progress_in_bytes(tmp_path: Path) -> None:
    log = small_log(tmp_path)
    calls: list[tuple[int, int, int]] = []
    profiles = dynoshift.ingest([log, log], progress=lambda b, done, files: calls.append((b, done, files)))
    assert calls, "no progress reported"
    assert calls[-1] == (profiles.lines.bytes, 2, 2)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls), "progress never goes backwards"

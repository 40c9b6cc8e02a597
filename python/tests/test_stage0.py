"""Stage 0 through the plan JSON: pre_soak_seconds, checks.deadline_seconds and the warm-up
round-trip and are validated (invalid_input naming the field); a real run on the memory zone
replays the warm-up's GETs against a loopback server standing for AWS and journals the baseline."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dynoshift
from test_cutover import AWS, plan

def test_stage0_fields_round_trip() -> None:
    p = plan(
        pre_soak_seconds=120,
        checks={"deadline_seconds": 30},
        warmup={"paths": ["/", "/products"], "requests_per_path": 2, "rate_per_second": 4, "method": "HEAD"},
    )
    doc = json.loads(p.to_json())
    assert doc["pre_soak_seconds"] == 120
    assert doc["checks"]["deadline_seconds"] == 30
    assert doc["warmup"]["paths"] == ["/", "/products"]
    assert doc["warmup"]["method"] == "HEAD"
    assert doc["warmup"]["top"] == 20  # the defaults are filled in
    again = dynoshift.CutoverPlan.from_json(p.to_json())
    assert again.digest == p.digest


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pre_soak_seconds": 999999}, "pre_soak_seconds"),
        ({"checks": {"deadline_seconds": 0}}, "checks.deadline_seconds"),
        ({"warmup": {"method": "POST"}}, "warmup.method"),
        ({"warmup": {"paths": ["/a?token=1"]}}, "warmup.paths[0]"),
        ({"warmup": {"rate_per_second": 0}}, "warmup.rate_per_second"),
    ],
)
def test_bad_stage0_values_are_invalid_input_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(dynoshift.InvalidInputError) as info:
        plan(**overrides)
    assert info.value.kind == "invalid_input"
    assert info.value.context == field


def test_a_negative_pre_soak_is_invalid_input() -> None:
    with pytest.raises(dynoshift.InvalidInputError) as info:
        plan(pre_soak_seconds=-1)
    assert info.value.kind == "invalid_input"
    assert "pre_soak_seconds" in str(info.value)


Seen = list[tuple[str, str, str]]


@pytest.fixture
def aws_stand_in() -> Iterator[tuple[int, Seen]]:
    seen: Seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            seen.append((self.command, self.path, self.headers.get("Host", "")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(b"ok")

        do_GET = answer
        do_HEAD = answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.asyncio
async def test_a_warm_up_replays_gets_and_journals_the_baseline(
    aws_stand_in: tuple[int, Seen], tmp_path: Path
) -> None:
    port, seen = aws_stand_in
    p = plan(
        checks={"connect_to": {AWS: f"127.0.0.1:{port}"}},
        warmup={
            "paths": ["/", "/products"],
            "requests_per_path": 2,
            "rate_per_second": 50,
            "scheme": "http",
            "port": port,
        },
    )
    events: list[dict[str, Any]] = []
    journal = tmp_path / "cutover.journal.json"
    cut = dynoshift.Cutover(p, dynoshift.MemoryZone(p), str(journal), on_event=events.append)
    outcome = await cut.run()
    assert outcome.status == "promoted", outcome.reason
    assert sorted(seen) == sorted([("GET", "/", "www.example.com"), ("GET", "/products", "www.example.com")] * 2)
    warm = [e for e in events if e["type"] == "warmup_baseline"]
    assert len(warm) == 1
    assert warm[0]["requests"] == 4
    assert [(r["path"], r["status_classes"]) for r in warm[0]["routes"]] == [("/", {"2xx": 2}), ("/products", {"2xx": 2})]
    types = [e["type"] for e in events]
    first_stage = next(i for i, e in enumerate(events) if e["type"] == "writing" and e.get("percent") == 10)
    assert types.index("warmup_baseline") < first_stage
    recorded = json.loads(dynoshift.read_journal(str(journal)))
    assert recorded["warmup"]["requests"] == 4

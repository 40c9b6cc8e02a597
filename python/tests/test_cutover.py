"""The cutover glue: plan, DNS targets, preflight, dry run, runs with events, gates, controls,
typed errors and secrets — on the in-memory zone and once against moto_server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dynoshift
from conftest import MOTO_SECRET, MotoServer

HEROKU = "shop-1234.herokudns.com"
AWS = "lb-1.elb.amazonaws.com"


def plan(**overrides: Any) -> dynoshift.CutoverPlan:
    doc: dict[str, Any] = {
        "hostnames": ["www.example.com"],
        "zone": "example.com",
        "heroku_target": HEROKU,
        "aws_target": AWS,
        "stages": [10, 50, 100],
        "soak_seconds": 0,
        "ttl": 1,
        "tick_seconds": 1,
        "poll_seconds": 1,
    }
    doc.update(overrides)
    return dynoshift.CutoverPlan.from_json(json.dumps(doc))


def test_plan_is_typed_and_round_trips() -> None:
    p = plan()
    assert p.hostnames == ["www.example.com"]
    assert (p.zone, p.heroku_target, p.aws_target) == ("example.com", HEROKU, AWS)
    assert p.stages == [10, 50, 100]
    assert (p.soak_seconds, p.ttl, p.rollback, p.require_approval) == (0, 1, "full", False)
    assert len(p.digest) == 64
    again = dynoshift.CutoverPlan.from_json(p.to_json())
    assert again.digest == p.digest
    assert "CutoverPlan" in repr(p)


def test_bad_plan_is_invalid_input_with_its_field() -> None:
    with pytest.raises(dynoshift.InvalidInputError) as info:
        plan(stages=[10, 50])
    assert info.value.kind == "invalid_input"
    assert info.value.context == "stages"
    assert isinstance(info.value, ValueError)
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.CutoverPlan.from_json("{not json")


def test_dry_run_is_sync_and_typed() -> None:
    report = dynoshift.dry_run(plan())
    steps = report.steps
    assert [s.aws_percent for s in steps][-3:] == [10, 50, 100]
    assert all(s.batches >= 1 and s.changes >= 1 for s in steps)
    assert report.api_calls > 0
    assert json.loads(report.to_json())["steps"][0]["step"] == steps[0].step
    # one line per step, for people
    assert len(report.summary) > len(steps)
    assert " 10% AWS /  90% Heroku" in report.summary[len(steps) - 3]
    assert any(line.startswith("minimum duration") for line in report.summary)


@pytest.mark.asyncio
async def test_preflight_on_the_memory_zone() -> None:
    p = plan()
    report = await dynoshift.preflight(p, dynoshift.MemoryZone(p))
    assert report.ok
    assert report.zone_name == "example.com"
    assert [f for f in report.findings if f.severity == "error"] == []
    assert json.loads(report.to_json())["hosts"][0]["state"] == "simple_cname"
    missing = await dynoshift.preflight(plan(zone="other.org", hostnames=["www.other.org"]), dynoshift.MemoryZone(p))
    assert not missing.ok
    assert missing.findings[0].code == "zone_not_found"
    assert missing.findings[0].kind == "not_found"


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pem_bundle(tmp_path: Path) -> str:
    """A PEM CA bundle (the recorded API's self-signed test certificate)."""
    import base64

    der = (Path(__file__).resolve().parents[2] / "tests/fixtures/heroku-api/tls/cert.der").read_bytes()
    body = base64.encodebytes(der).decode()
    path = tmp_path / "ca.pem"
    path.write_text(f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
    return str(path)


@pytest.mark.asyncio
async def test_the_plans_live_checks_run_in_preflight(tmp_path: Path) -> None:
    # both targets pinned to a closed loopback port: the TLS check cannot connect
    port = closed_port()
    checks = {
        "tls": {"ca_bundle": pem_bundle(tmp_path)},
        "connect_to": {AWS: f"127.0.0.1:{port}", HEROKU: f"127.0.0.1:{port}"},
    }
    p = plan(checks=checks)
    report = await dynoshift.preflight(p, dynoshift.MemoryZone(p))
    assert not report.ok
    codes = [(f.code, f.severity) for f in report.findings if f.code.startswith("tls_")]
    assert codes == [("tls_unreachable", "error"), ("tls_unreachable", "error")], report.summary
    ran = {c["check"]: c["ran"] for c in json.loads(report.to_json())["checks"]}
    assert ran == {"tls": True, "parity": False}
    assert any(line.startswith("check parity skipped") for line in report.summary)
    with pytest.raises(dynoshift.InvalidInputError, match="connect_to"):
        plan(checks={"connect_to": {AWS: "not-an-address"}})


@pytest.mark.asyncio
async def test_full_cutover_on_the_memory_zone(tmp_path: Path) -> None:
    p = plan()
    zone = dynoshift.MemoryZone(p)
    events: list[dict[str, Any]] = []
    journal = tmp_path / "cutover.journal.json"
    cut = dynoshift.Cutover(p, zone, str(journal), on_event=events.append)
    assert not cut.running
    outcome = await cut.run()
    assert outcome.status == "promoted"
    assert outcome.reason is None
    assert json.loads(outcome.to_json()) == {"outcome": "promoted"}
    types = [e["type"] for e in events]
    assert types[0] == "run_started"
    assert events[0]["stages"] == [10, 50, 100]
    assert all(e["run_id"] == events[0]["run_id"] and isinstance(e["at_ms"], int) for e in events)
    for t in ("lock_acquired", "snapshot", "writing", "change_submitted", "in_sync", "ttl_wait", "promoted"):
        assert t in types, t
    assert [e["percent"] for e in events if e["type"] == "stage_passed"] == [10, 50, 100]
    assert types.index("writing") < types.index("change_submitted") < types.index("in_sync")
    assert types.index("stage_passed") < types.index("promoted")
    assert journal.is_file()
    recorded = json.loads(dynoshift.read_journal(str(journal)))
    assert recorded["outcome"] == {"outcome": "promoted"}
    records = json.loads(zone.records_json())
    weights = {r.get("set_identifier"): r.get("weight") for r in records if r["type"] == "CNAME"}
    assert weights == {"heroku": 0, "aws": 100}
    # resuming a finished run reports its outcome; promoting it again is a conflict
    assert (await cut.resume()).status == "promoted"
    with pytest.raises(dynoshift.ConflictError):
        await cut.promote()
    # the journaled run can be rolled back afterwards
    back = await cut.rollback()
    assert back.status == "rolled_back"
    records = json.loads(zone.records_json())
    assert [(r["type"], r["values"]) for r in records if r["name"] == "www.example.com"] == [("CNAME", [HEROKU])]


def test_read_journal_missing_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(dynoshift.NotFoundError):
        dynoshift.read_journal(str(tmp_path / "none.json"))


@pytest.mark.asyncio
async def test_callback_errors_are_logged_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("observer bug")

    p = plan()
    cut = dynoshift.Cutover(p, dynoshift.MemoryZone(p), str(tmp_path / "j.json"), on_event=broken)
    with caplog.at_level(logging.ERROR, logger="dynoshift"):
        outcome = await cut.run()
    assert outcome.status == "promoted"
    assert cut.callback_errors > 5
    assert any("observer bug" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


@pytest.mark.asyncio
async def test_gates_sync_and_async(tmp_path: Path) -> None:
    p = plan(soak_seconds=3)
    asked: list[int] = []

    def steady(ctx: dict[str, Any]) -> dict[str, str]:
        asked.append(ctx["percent"])
        return {"status": "pass", "reason": "fine"}

    cut = dynoshift.Cutover(p, dynoshift.MemoryZone(p), str(tmp_path / "a.json"), gates=[steady])
    assert (await cut.run()).status == "promoted"
    assert set(asked) == {10, 50, 100}

    async def canary(ctx: dict[str, Any]) -> dict[str, str]:
        await asyncio.sleep(0)
        if ctx["percent"] >= 50:
            return {"status": "fail", "reason": "5xx rate 7%"}
        return {"status": "pass", "reason": "ok"}

    events: list[dict[str, Any]] = []
    cut = dynoshift.Cutover(p, dynoshift.MemoryZone(p), str(tmp_path / "b.json"), on_event=events.append, gates=[canary])
    outcome = await cut.run()
    assert outcome.status == "rolled_back"
    assert "5xx rate 7%" in (outcome.reason or "")
    verdicts = [e["verdict"] for e in events if e["type"] == "gate_verdict"]
    assert verdicts[-1]["status"] == "fail" and verdicts[-1]["gate"] == "canary"

    def broken(ctx: dict[str, Any]) -> dict[str, str]:
        raise RuntimeError("probe crashed")

    events = []
    cut = dynoshift.Cutover(
        plan(soak_seconds=3, max_consecutive_errors=2), dynoshift.MemoryZone(p), str(tmp_path / "c.json"),
        on_event=events.append, gates=[broken],
    )
    # a pause that waits for evidence settles (issue 24 #5: it used to wait forever although
    # this object holds the controls), with the records at the stage's planned weight
    outcome = await asyncio.wait_for(cut.run(), timeout=60)
    assert outcome.status == "paused"
    assert "2 consecutive errors of gate broken" in (outcome.reason or "")
    assert any(e["type"] == "gate_verdict" and e["verdict"]["status"] == "error" for e in events)
    journal = json.loads(dynoshift.read_journal(str(tmp_path / "c.json")))
    assert journal["steps"][-1]["target"] == {"kind": "weighted", "percent": 10}
    assert (await cut.rollback()).status == "rolled_back"


@pytest.mark.asyncio
async def test_lock_conflict_and_controls(tmp_path: Path) -> None:
    p = plan(require_approval=True)
    zone = dynoshift.MemoryZone(p)
    loop = asyncio.get_running_loop()
    waiting = asyncio.Event()

    def on_event(event: dict[str, Any]) -> None:
        if event["type"] == "awaiting_approval":
            loop.call_soon_threadsafe(waiting.set)

    first = dynoshift.Cutover(p, zone, str(tmp_path / "first.json"), on_event=on_event)
    with pytest.raises(dynoshift.ConflictError):
        first.approve()  # nothing is running yet
    run = asyncio.ensure_future(first.run())
    await asyncio.wait_for(waiting.wait(), 10)
    assert first.running
    with pytest.raises(dynoshift.ConflictError):
        await first.run()  # one call at a time per Cutover object
    second = dynoshift.Cutover(p, zone, str(tmp_path / "second.json"))
    with pytest.raises(dynoshift.ConflictError) as info:
        await second.run()
    assert info.value.kind == "conflict"
    with pytest.raises(dynoshift.InvalidInputError):
        first.rollback_now("sideways")
    first.abort()
    outcome = await run
    assert outcome.status == "rolled_back"
    assert "aborted" in (outcome.reason or "")
    assert not first.running


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.close()


@pytest.mark.asyncio
async def test_short_cutover_against_moto(moto: MotoServer, tmp_path: Path) -> None:
    zone_id = moto.create_zone("example.com")
    moto.create_cname(zone_id, "www.example.com", HEROKU, 1)
    dns = dynoshift.Route53(
        endpoint_url=moto.url, region="us-east-1", access_key_id="testing", secret_access_key=MOTO_SECRET
    )
    assert dns.endpoint_url == moto.url
    assert MOTO_SECRET not in repr(dns)
    p = plan(stages=[50, 100])
    report = await dynoshift.preflight(p, dns)
    assert report.ok, report.to_json()
    assert report.zone_id is not None and zone_id in report.zone_id
    events: list[dict[str, Any]] = []
    journal = tmp_path / "moto.journal.json"
    outcome = await dynoshift.Cutover(p, dns, str(journal), on_event=events.append).run()
    assert outcome.status == "promoted"
    assert [e["percent"] for e in events if e["type"] == "stage_passed"] == [50, 100]
    assert MOTO_SECRET not in journal.read_text()
    # a zone moto does not have: a typed error whose text holds no secret
    missing = plan(zone="missing.example", hostnames=["www.missing.example"])
    with pytest.raises(dynoshift.NotFoundError) as info:
        await dynoshift.Cutover(missing, dns, str(tmp_path / "missing.json")).run()
    assert MOTO_SECRET not in str(info.value) and MOTO_SECRET not in repr(info.value)


@pytest.mark.asyncio
async def test_an_s3_journal_on_moto(moto: MotoServer) -> None:
    """`s3://bucket/key` as the journal: the run is journaled in S3 (reached with the Route53
    target's endpoint and keys), as readable JSON without the secret."""
    zone_id = moto.create_zone("example.com")
    moto.create_cname(zone_id, "www.example.com", HEROKU, 1)
    bucket = moto.create_bucket("cutovers")
    dns = dynoshift.Route53(
        endpoint_url=moto.url, region="us-east-1", access_key_id="testing", secret_access_key=MOTO_SECRET
    )
    url = f"s3://{bucket}/shop/www.journal.json"
    cut = dynoshift.Cutover(plan(stages=[50, 100]), dns, url)
    assert cut.journal_path == url
    outcome = await cut.run()
    assert outcome.status == "promoted"
    text = moto.get_object(bucket, "shop/www.journal.json")
    journal = json.loads(text)
    assert journal["outcome"]["outcome"] == "promoted"
    assert MOTO_SECRET not in text
    # the same URL again: a finished run is archived beside it, a new run starts
    with pytest.raises(dynoshift.ConflictError):
        await dynoshift.Cutover(plan(stages=[50, 100]), dns, url).promote()
    # a bucket that is not there: a typed error naming it
    with pytest.raises(dynoshift.NotFoundError) as info:
        await dynoshift.Cutover(plan(), dns, "s3://no-such-bucket/j.json").run()
    assert "no-such-bucket" in str(info.value) and MOTO_SECRET not in str(info.value)


def test_route53_needs_both_keys() -> None:
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.Route53(access_key_id="AKIAEXAMPLE")
    assert "standard chain" in repr(dynoshift.Route53())


@pytest.mark.asyncio
async def test_a_fleet_of_two_apps_on_moto(moto: MotoServer, tmp_path: Path) -> None:
    """Two apps at once under one Route53 budget, each with its own journal and outcome."""
    dns = dynoshift.Route53(
        endpoint_url=moto.url, region="us-east-1", access_key_id="testing", secret_access_key=MOTO_SECRET
    )
    fleet = dynoshift.Fleet(budget=5.0, burst=1)
    for app in ("shop", "blog"):
        zone = f"{app}.example.com"
        moto.create_cname(moto.create_zone(zone), f"www.{zone}", HEROKU, 1)
        fleet.add(app, plan(zone=zone, hostnames=[f"www.{zone}"], stages=[50, 100]), dns, tmp_path / f"{app}.json")
    assert len(fleet) == 2
    report = await fleet.run()
    assert report.all_promoted, report.table()
    doc = json.loads(report.to_json())
    assert [a["app"] for a in doc["apps"]] == ["shop", "blog"]
    assert all(a["outcome"] == "promoted" and a["route53"]["calls"] > 0 for a in doc["apps"])
    assert doc["total"]["calls"] == sum(a["route53"]["calls"] for a in doc["apps"])
    assert report.table()[-1].startswith("total: 2/2 promoted")
    assert (tmp_path / "shop.json").exists() and (tmp_path / "blog.json").exists()
    # one hostname in two apps: refused before anything runs
    twice = dynoshift.Fleet()
    p = plan()
    twice.add("a", p, dynoshift.MemoryZone(p), tmp_path / "a.json")
    twice.add("b", p, dynoshift.MemoryZone(p), tmp_path / "b.json")
    with pytest.raises(dynoshift.InvalidInputError):
        await twice.run()
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.Fleet(budget=0)

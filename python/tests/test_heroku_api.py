"""HerokuClient and CutoverPlan.from_heroku_app: awaitables against a loopback server with
recorded Platform API responses."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import dynoshift
from conftest import GOOD_TOKEN, RecordedHerokuApi


@pytest.fixture
def api() -> Iterator[RecordedHerokuApi]:
    server = RecordedHerokuApi()
    yield server
    server.close()


@pytest.mark.asyncio
async def test_formation_is_fetched_and_parsed(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    formation = await client.formation("shop-production")
    assert isinstance(formation, dynoshift.Formation)
    assert formation.processes[0].process_type == "web"
    assert formation.monthly_cost().total_monthly_usd > 0
    path, headers = api.requests[-1]
    assert path == "/apps/shop-production/formation"
    assert headers["accept"] == "application/vnd.heroku+json; version=3"


@pytest.mark.asyncio
async def test_dyno_sizes_are_typed(api: RecordedHerokuApi) -> None:
    sizes = await dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url).dyno_sizes()
    by_name = {s.name: s for s in sizes}
    assert by_name["Standard-2X"].cost_cents == 5000
    assert by_name["Standard-2X"].dedicated is False


@pytest.mark.asyncio
async def test_errors_are_typed_and_never_show_the_token(api: RecordedHerokuApi) -> None:
    wrong = "hk-wrong-token-do-not-print"
    with pytest.raises(dynoshift.UnauthorizedError) as unauthorized:
        await dynoshift.HerokuClient(token=wrong, base_url=api.url).formation("shop-production")
    assert unauthorized.value.kind == "unauthorized"
    with pytest.raises(dynoshift.NotFoundError) as missing:
        await dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url).formation("no-such-app")
    assert "no-such-app" in str(missing.value)
    client = dynoshift.HerokuClient(token=wrong, base_url=api.url)
    for text in (str(unauthorized.value), repr(unauthorized.value), repr(client), str(missing.value)):
        assert wrong not in text and GOOD_TOKEN not in text


@pytest.mark.asyncio
async def test_closed_port_is_unavailable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=f"http://127.0.0.1:{port}", timeout_seconds=5)
    with pytest.raises(dynoshift.UnavailableError):
        await client.formation("shop-production")


def test_bad_timeout_is_invalid_input() -> None:
    with pytest.raises(dynoshift.InvalidInputError, match="timeout_seconds"):
        dynoshift.HerokuClient(token=GOOD_TOKEN, timeout_seconds=-1)


ALB = "shop-alb-1234.us-east-1.elb.amazonaws.com"


def zone_for(zone: str, host: str, heroku_target: str) -> dynoshift.MemoryZone:
    """An in-memory hosted zone `zone` holding `host` as a CNAME to its Heroku target."""
    seed = {"zone": zone, "hostnames": [host], "heroku_target": heroku_target, "aws_target": ALB}
    return dynoshift.MemoryZone(dynoshift.CutoverPlan.from_json(json.dumps(seed)))


@pytest.mark.asyncio
async def test_from_heroku_app_plans_every_custom_domain(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    dns = zone_for("shop.example.test", "www.shop.example.test", "sushi-1a2b.herokudns.com")
    result = await dynoshift.CutoverPlan.from_heroku_app(
        client, "shop-production", dns, {"aws_target": ALB, "stages": [10, 50, 100]}
    )
    assert isinstance(result, dynoshift.AppPlans)
    # the domains come in two pages (206 + Next-Range)
    assert [(path, headers.get("range")) for path, headers in api.requests] == [
        ("/apps/shop-production/domains", None),
        ("/apps/shop-production/domains", "id ]6f4b2a10-3c5d-4e8f-9a01-b2c3d4e5f607..; max=2"),
    ]
    [plan] = result.plans
    assert isinstance(plan, dynoshift.CutoverPlan)
    assert plan.zone == "shop.example.test"
    assert plan.hostnames == ["api.shop.example.test", "www.shop.example.test"]
    assert (plan.aws_target, plan.stages) == (ALB, [10, 50, 100])
    hosts = {h["name"]: h["heroku_target"] for h in json.loads(plan.to_json())["hostnames"]}
    assert hosts == {
        "api.shop.example.test": "tokyo-9z8y.herokudns.com",
        "www.shop.example.test": "sushi-1a2b.herokudns.com",
    }
    report = json.loads(result.to_json())
    assert [(s["hostname"], s["code"]) for s in report["skipped"]] == [
        ("shop-production.herokuapp.com", "heroku_domain"),
        ("shop.example.test", "apex"),
    ]
    assert "CNAME" in report["skipped"][1]["reason"]
    assert [w["code"] for w in report["warnings"]] == ["acm_renewal"]
    assert result.summary[0].startswith("zone shop.example.test")
    assert any(line.startswith("skipped shop.example.test [apex]") for line in result.summary)
    assert "AppPlans" in repr(result)
    # a plan made here is a plan like any other
    assert [s.aws_percent for s in dynoshift.dry_run(plan).steps][-1] == 100


@pytest.mark.asyncio
async def test_from_heroku_app_lists_what_it_leaves_out(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    dns = zone_for("noodle.example.test", "www.noodle.example.test", "ramen-3c4d.herokudns.com")
    result = await dynoshift.CutoverPlan.from_heroku_app(client, "noodle-bar", dns, {"aws_target": ALB, "gates": False})
    assert [p.hostnames for p in result.plans] == [["www.noodle.example.test"]]
    skipped = {s["hostname"]: s for s in json.loads(result.to_json())["skipped"]}
    assert {h: s["code"] for h, s in skipped.items()} == {
        "noodle-bar.herokuapp.com": "heroku_domain",
        "order.noodle-eu.example.test": "no_zone",
        "legacy.noodle.example.test": "certificate_failed",
        "*.noodle.example.test": "wildcard",
    }
    assert "Let's Encrypt could not validate the domain" in skipped["legacy.noodle.example.test"]["reason"]


@pytest.mark.asyncio
async def test_from_heroku_app_options_are_checked(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    dns = zone_for("shop.example.test", "www.shop.example.test", "sushi-1a2b.herokudns.com")
    with pytest.raises(dynoshift.InvalidInputError) as unknown:
        await dynoshift.CutoverPlan.from_heroku_app(
            client, "shop-production", dns, {"aws_target": ALB, "health_pth": "/healthz"}
        )
    assert unknown.value.kind == "invalid_input"
    assert "health_pth" in str(unknown.value) and "health_path" in str(unknown.value)
    assert api.requests == [], "bad options are refused before any request"
    with pytest.raises(dynoshift.InvalidInputError, match="aws_target"):
        await dynoshift.CutoverPlan.from_heroku_app(client, "shop-production", dns, {})
    with pytest.raises(dynoshift.NotFoundError, match="no-such-app"):
        await dynoshift.CutoverPlan.from_heroku_app(client, "no-such-app", dns, {"aws_target": ALB})

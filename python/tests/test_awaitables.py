"""The network calls are real coroutines: ``asyncio.run(...)`` and ``asyncio.create_task(...)``
take them as the stubs promise, at run time and under ``mypy --strict``."""

from __future__ import annotations

import asyncio
import inspect
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import dynoshift
from conftest import GOOD_TOKEN, RecordedHerokuApi

PLAN = (
    '{"hostnames": ["www.example.com"], "zone": "example.com", '
    '"heroku_target": "x.herokudns.com", "aws_target": "lb-1.elb.amazonaws.com"}'
)
SHOP = (
    '{"hostnames": ["www.shop.example.test"], "zone": "shop.example.test", '
    '"heroku_target": "sushi-1a2b.herokudns.com", "aws_target": "lb-1.elb.amazonaws.com"}'
)


@pytest.fixture
def api() -> Iterator[RecordedHerokuApi]:
    server = RecordedHerokuApi()
    yield server
    server.close()


def test_preflight_runs_under_asyncio_run() -> None:
    plan = dynoshift.CutoverPlan.from_json(PLAN)
    report = asyncio.run(dynoshift.preflight(plan, dynoshift.MemoryZone(plan)))
    assert isinstance(report, dynoshift.PreflightReport)
    assert report.ok
    assert inspect.iscoroutinefunction(dynoshift.preflight)


@pytest.mark.asyncio
async def test_preflight_runs_as_a_task() -> None:
    plan = dynoshift.CutoverPlan.from_json(PLAN)
    task = asyncio.create_task(dynoshift.preflight(plan, dynoshift.MemoryZone(plan)))
    report = await task
    assert report.ok


def test_heroku_client_calls_run_under_asyncio_run(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    formation = asyncio.run(client.formation("shop-production"))
    assert formation.processes[0].process_type == "web"
    sizes = asyncio.run(client.dyno_sizes())
    assert any(s.name == "Standard-2X" for s in sizes)
    assert isinstance(client, dynoshift._dynoshift.HerokuClient)
    assert "redacted" in repr(client) and GOOD_TOKEN not in repr(client)


def test_from_heroku_app_runs_under_asyncio_run(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    zone = dynoshift.MemoryZone(dynoshift.CutoverPlan.from_json(SHOP))
    options = {"aws_target": "lb-1.elb.amazonaws.com"}
    plans = asyncio.run(dynoshift.CutoverPlan.from_heroku_app(client, "shop-production", zone, options))
    assert isinstance(plans, dynoshift.AppPlans)
    assert plans.plans[0].hostnames == ["api.shop.example.test", "www.shop.example.test"]
    assert inspect.iscoroutinefunction(dynoshift.CutoverPlan.from_heroku_app)


@pytest.mark.asyncio
async def test_heroku_client_calls_run_as_tasks(api: RecordedHerokuApi) -> None:
    client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
    formation, sizes = await asyncio.gather(
        asyncio.create_task(client.formation("shop-production")),
        asyncio.create_task(client.dyno_sizes()),
    )
    assert formation.monthly_cost().total_monthly_usd > 0
    assert sizes
    with pytest.raises(dynoshift.NotFoundError):
        await asyncio.create_task(client.formation("no-such-app"))


USES = """
    import asyncio
    import dynoshift

    async def in_a_task(plan: dynoshift.CutoverPlan, client: dynoshift.HerokuClient) -> int:
        task: asyncio.Task[dynoshift.PreflightReport] = asyncio.create_task(
            dynoshift.preflight(plan, dynoshift.MemoryZone(plan))
        )
        formation: dynoshift.Formation = await asyncio.create_task(client.formation("app"))
        sizes = await asyncio.create_task(client.dyno_sizes())
        return len((await task).findings) + len(formation.processes) + len(sizes)

    def at_top_level(plan: dynoshift.CutoverPlan) -> bool:
        return asyncio.run(dynoshift.preflight(plan, dynoshift.MemoryZone(plan))).ok

    def heroku(client: dynoshift.HerokuClient) -> dynoshift.Formation:
        return asyncio.run(client.formation("app"))

    def init(client: dynoshift.HerokuClient, zone: dynoshift.MemoryZone) -> list[dynoshift.CutoverPlan]:
        found: dynoshift.AppPlans = asyncio.run(
            dynoshift.CutoverPlan.from_heroku_app(client, "app", zone, {"aws_target": "lb"})
        )
        return found.plans
"""

# The native functions return asyncio futures, which asyncio.run() refuses: their stubs say so.
NATIVE = """
    import asyncio
    from dynoshift import _dynoshift

    def native(plan: _dynoshift.CutoverPlan) -> None:
        asyncio.run(_dynoshift.preflight(plan, _dynoshift.MemoryZone(plan)))

    def native_init(client: _dynoshift.HerokuClient, zone: _dynoshift.MemoryZone) -> None:
        asyncio.run(_dynoshift._plans_from_heroku_app(client, "app", zone, {}))
"""


def test_the_stubs_let_mypy_strict_accept_asyncio_run_and_create_task(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    (tmp_path / "uses.py").write_text(textwrap.dedent(USES))
    (tmp_path / "native.py").write_text(textwrap.dedent(NATIVE))
    package_root = Path(__file__).resolve().parents[1]  # python/: dynoshift/*.py and *.pyi
    env_before = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(package_root)
    try:
        out, err, status = api.run(
            [
                "--strict",
                "--no-incremental",
                "--config-file",
                os.devnull,
                "--cache-dir",
                str(tmp_path / ".mypy_cache"),
                str(tmp_path / "uses.py"),
                str(tmp_path / "native.py"),
            ]
        )
    finally:
        if env_before is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = env_before
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not [e for e in errors if "uses.py" in e], out + err
    assert len([e for e in errors if "native.py" in e]) >= 2, out + err  # both native calls
    assert status == 1, out + err

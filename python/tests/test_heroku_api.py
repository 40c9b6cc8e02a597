"""HerokuClient: awaitables against a loopback server with recorded Platform API responses."""

from __future__ import annotations

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

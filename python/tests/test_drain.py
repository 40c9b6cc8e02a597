"""The log-drain receiver embedded in Python: awaitable start, Heroku-shaped POSTs over
loopback, the profiles it holds, bad credentials refused, awaitable stop, and the state kept
for the next start."""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import dynoshift

FRAME = "<158>1 2024-03-01T10:00:01+00:00 host app router - at=info method=GET path=/ host=a.example dyno=web.1 connect=1ms service=20ms status=200 bytes=1\n"
BODY = f"{len(FRAME)} {FRAME}".encode()
AUTH = "logplex:s3cret"


def post(url: str, body: bytes, frame_id: str, auth: str = AUTH) -> int:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/logplex-1")
    request.add_header("Logplex-Msg-Count", "1")
    request.add_header("Logplex-Frame-Id", frame_id)
    request.add_header("Logplex-Drain-Token", "d.1234")
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


@pytest.mark.asyncio
async def test_serve_drain_receives_profiles_and_stops(tmp_path: Path) -> None:
    server = await dynoshift.serve_drain("127.0.0.1:0", tmp_path / "state", auth=AUTH, checkpoint_every=2)
    assert isinstance(server, dynoshift.DrainServer)
    assert server.url == f"http://{server.addr}/drain"
    statuses = [await asyncio.to_thread(post, server.url, BODY, f"f{k}") for k in range(3)]
    assert statuses == [204, 204, 204]
    assert await asyncio.to_thread(post, server.url, BODY, "f0") == 204  # a retry: not counted
    assert await asyncio.to_thread(post, server.url, BODY, "f9", "logplex:wrong") == 403
    with pytest.raises(dynoshift.ConflictError):  # one receiver per state directory
        await dynoshift.serve_drain("127.0.0.1:0", tmp_path / "state")
    profiles = server.profiles()
    assert list(profiles) == ["d.1234"]
    assert profiles["d.1234"].lines.records == 3
    assert json.loads(profiles["d.1234"].to_json())["process_types"]["web"]["router"]["requests"] == 3
    await server.stop()
    await server.stop()  # a second stop does nothing

    again = await dynoshift.serve_drain("127.0.0.1:0", tmp_path / "state", auth=AUTH)
    try:
        assert again.profiles()["d.1234"].lines.records == 3
    finally:
        await again.stop()


@pytest.mark.asyncio
async def test_bad_options_raise_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(dynoshift.InvalidInputError):
        await dynoshift.serve_drain("localhost", tmp_path)
    with pytest.raises(dynoshift.InvalidInputError):
        await dynoshift.serve_drain("127.0.0.1:0", tmp_path, auth="no-colon")
    with pytest.raises(dynoshift.InvalidInputError):
        await dynoshift.serve_drain("127.0.0.1:0", tmp_path, tls_cert=tmp_path / "cert.pem")

"""Secrets (the Heroku token, AWS keys) never show in repr()/str() of the objects that hold them,
nor in exception messages, even when a server echoes them back in its answer."""

from __future__ import annotations

import http.server
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

import dynoshift

TOKEN = "hrku-PYSECRETTOKEN-6f1c2a9e-0b7d"
ACCESS_KEY_ID = "AKIAPYSECRETKEYID042"
SECRET_ACCESS_KEY = "pySECRETACCESSKEY/K7MDENG+bPxRfiCY"
SECRETS = (TOKEN, ACCESS_KEY_ID, SECRET_ACCESS_KEY, "PYSECRET")
PLAN = (
    '{"hostnames": ["www.example.com"], "zone": "example.com", '
    '"heroku_target": "x.herokudns.com", "aws_target": "lb-1.elb.amazonaws.com"}'
)


def assert_clean(what: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{what} leaks {secret!r}: {text}"


def exception_texts(err: BaseException) -> list[str]:
    """Every way an exception is commonly shown: str, repr, args, and a formatted traceback
    (which includes chained causes)."""
    return [str(err), repr(err), repr(err.args), "".join(traceback.format_exception(err))]


class EchoServer:
    """Answers every request with `status` and a body echoing the request's headers (a
    misbehaving server or proxy), plus the AWS secret key for good measure."""

    def __init__(self, status: int, content_type: str, template: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                echoed = " ".join(f"{k}: {v}" for k, v in self.headers.items())
                echoed = echoed.replace("<", " ").replace(">", " ").replace("&", " ")
                body = template.format(headers=echoed, secret=SECRET_ACCESS_KEY).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def heroku_echo() -> Iterator[EchoServer]:
    server = EchoServer(401, "application/json", '{{"id": "unauthorized", "message": "bad credentials: {headers}"}}')
    yield server
    server.close()


@pytest.fixture
def route53_echo() -> Iterator[EchoServer]:
    server = EchoServer(
        403,
        "text/xml",
        '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
        "<Message>denied for {secret}; you sent {headers}</Message></Error>"
        "<RequestId>r-1</RequestId></ErrorResponse>",
    )
    yield server
    server.close()


def test_the_check_can_fail() -> None:
    with pytest.raises(AssertionError):
        assert_clean("a careless string", f"token={TOKEN}")


def test_objects_holding_secrets_do_not_show_them() -> None:
    client = dynoshift.HerokuClient(token=TOKEN, base_url="https://api.example.test")
    dns = dynoshift.Route53(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )
    for obj in (client, dns):
        assert_clean(f"repr/str of {type(obj).__name__}", repr(obj) + str(obj))
        attributes = " ".join(repr(getattr(obj, name, None)) for name in dir(obj) if not name.startswith("__"))
        assert_clean(f"attributes of {type(obj).__name__}", attributes)


def test_cutover_holding_route53_keys_does_not_show_them(tmp_path: Path) -> None:
    dns = dynoshift.Route53(
        endpoint_url="http://127.0.0.1:9", access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY
    )
    cutover = dynoshift.Cutover(dynoshift.CutoverPlan.from_json(PLAN), dns, tmp_path / "journal.json")
    assert_clean("repr/str of Cutover", repr(cutover) + str(cutover))


def test_half_a_key_pair_is_refused_without_echoing_it() -> None:
    with pytest.raises(dynoshift.InvalidInputError) as info:
        dynoshift.Route53(access_key_id=ACCESS_KEY_ID)
    for text in exception_texts(info.value):
        assert_clean("the error", text)


@pytest.mark.asyncio
async def test_a_401_echoing_the_token_raises_without_it(heroku_echo: EchoServer) -> None:
    client = dynoshift.HerokuClient(token=TOKEN, base_url=heroku_echo.url)
    with pytest.raises(dynoshift.UnauthorizedError) as info:
        await client.formation("shop")
    assert info.value.kind == "unauthorized"
    for text in exception_texts(info.value):
        assert_clean("the error", text)


@pytest.mark.asyncio
async def test_a_route53_403_echoing_the_keys_raises_without_them(route53_echo: EchoServer) -> None:
    dns = dynoshift.Route53(
        endpoint_url=route53_echo.url,
        region="us-east-1",
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )
    with pytest.raises(dynoshift.UnauthorizedError) as info:
        await dynoshift.preflight(dynoshift.CutoverPlan.from_json(PLAN), dns)
    assert "AccessDenied" in str(info.value)
    for text in exception_texts(info.value):
        assert_clean("the error", text)

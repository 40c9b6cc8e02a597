"""A loopback HTTP proxy in front of moto_server that counts Route53 API calls and injects faults.

Every request is classified by Route53 operation (from the REST path), optionally answered with a
fault instead of (or after) being forwarded to moto, and logged. Faults, at `rate` (0..1), drawn
from a seeded generator:

  throttling        400 <Code>Throttling</Code> (AWS XML error), not forwarded
  prior_request     400 <Code>PriorRequestNotComplete</Code>, not forwarded
  http500 / http503 500 / 503 with an AWS XML error body, not forwarded
  slow              forwarded, answered after `slow_within` seconds (inside the client's timeout)
  slow_timeout      forwarded (so moto applies it), answered after `slow_beyond` seconds, i.e.
                    after the client gave up: the ambiguous "did my change apply?" case
  drop_before       connection closed before forwarding (nothing applied)
  drop_after        forwarded (applied), then the connection is closed without an answer

S3 requests (the journal in S3: every path outside /2013-04-01/) get their own faults, at
`s3_rate`, from `s3_faults`:

  s3_slowdown       503 <Code>SlowDown</Code> (S3 XML error), not forwarded
  s3_drop_after     a PutObject forwarded (the write landed), then the connection is closed
                    without an answer: the writer retries a write that already happened
  s3_precondition   a conditional PutObject (If-Match / If-None-Match) answered 412
                    <Code>PreconditionFailed</Code>, not forwarded: what a writer sees when
                    another runner's write won the race

Hooks let a test act at a precise moment of a ChangeResourceRecordSets call (before it reaches
moto, or after moto applied it but before the client hears back): that is how the crash test
SIGKILLs the CLI "during a change batch". The proxy only listens on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

FAULT_TYPES = [
    "throttling",
    "prior_request",
    "http500",
    "http503",
    "slow",
    "slow_timeout",
    "drop_before",
    "drop_after",
]

S3_FAULT_TYPES = ["s3_slowdown", "s3_drop_after", "s3_precondition"]

_S3_ERR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{msg}</Message>'
    "<RequestId>fault-proxy</RequestId></Error>"
)

_ERR = (
    '<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
    "<Error><Type>{kind}</Type><Code>{code}</Code><Message>{msg}</Message></Error>"
    "<RequestId>fault-proxy</RequestId></ErrorResponse>"
)


def operation(method: str, path: str) -> str:
    """The Route53 or S3 operation of a REST request (enough for counting)."""
    p = path.split("?", 1)[0]
    if not p.startswith("/2013-04-01/"):
        parts = [x for x in p.split("/") if x]
        what = "Object" if len(parts) > 1 else "Bucket"
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head"}.get(method, method)
        return f"S3 {verb}{what}"
    if re.search(r"/hostedzone/[^/]+/rrset/?$", p):
        return "ChangeResourceRecordSets" if method == "POST" else "ListResourceRecordSets"
    if "/change/" in p:
        return "GetChange"
    if p.endswith("/hostedzonesbyname"):
        return "ListHostedZonesByName"
    if re.search(r"/hostedzone/[^/]+/?$", p):
        return "GetHostedZone" if method == "GET" else f"{method} hostedzone"
    if p.endswith("/hostedzone"):
        return "ListHostedZones" if method == "GET" else "CreateHostedZone"
    if "/healthcheck" in p:
        return f"{method} healthcheck"
    return f"{method} {p}"


class FaultProxy:
    """Proxy to `upstream` ("127.0.0.1:PORT"); see the module doc."""

    def __init__(
        self,
        upstream_port: int,
        *,
        rate: float = 0.0,
        seed: int = 0,
        faults: Optional[list[str]] = None,
        slow_within: float = 1.0,
        slow_beyond: float = 6.0,
        change_delay: float = 0.0,
        s3_rate: float = 0.0,
        s3_faults: Optional[list[str]] = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        self.rng = random.Random(seed)
        self.faults = faults or list(FAULT_TYPES)
        self.slow_within = slow_within
        self.slow_beyond = slow_beyond
        # extra time a change batch spends before and after moto (widens the "during batch" window)
        self.change_delay = change_delay
        self.s3_rate = s3_rate
        self.s3_faults = s3_faults or list(S3_FAULT_TYPES)
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        # change batches moto accepted: (comment, whether the client got the answer)
        self.changes: list[tuple[str, bool]] = []
        self.in_flight_change: Optional[str] = None  # "pre" | "post" | None
        # hook(stage, comment) with stage "pre" (not yet forwarded) or "post" (applied); returns
        # True when it killed the client (the answer is then lost)
        self.change_hook: Optional[Callable[[str, str], bool]] = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                try:
                    self.send_response_only(status)
                    for k, v in headers:
                        if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True

            def _error(self, status: int, code: str, msg: str) -> None:
                kind = "Sender" if status < 500 else "Receiver"
                body = _ERR.format(kind=kind, code=code, msg=msg).encode()
                self._reply(status, [("Content-Type", "text/xml")], body)

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    r = conn.getresponse()
                    return r.status, r.getheaders(), r.read()
                finally:
                    conn.close()

            def _handle(self) -> None:
                body = self._body()
                op = operation(self.command, self.path)
                is_change = op == "ChangeResourceRecordSets"
                comment = ""
                if is_change:
                    m = re.search(rb"<Comment>(.*?)</Comment>", body)
                    comment = m.group(1).decode() if m else ""
                if op.startswith("S3 "):
                    return self._handle_s3(op, body)
                with proxy.lock:
                    proxy.calls[op] += 1
                    fault = None
                    if proxy.rate > 0 and proxy.rng.random() < proxy.rate:
                        fault = proxy.rng.choice(proxy.faults)
                        proxy.injected[fault] += 1
                    slow_for = proxy.rng.uniform(0.5, 1.0) * proxy.slow_within
                if fault == "throttling":
                    return self._error(400, "Throttling", "Rate exceeded")
                if fault == "prior_request":
                    return self._error(
                        400,
                        "PriorRequestNotComplete",
                        "The request was rejected because Route 53 was still processing a prior "
                        "request.",
                    )
                if fault == "http500":
                    return self._error(500, "InternalFailure", "injected 500")
                if fault == "http503":
                    return self._error(503, "ServiceUnavailable", "injected 503")
                if fault == "drop_before":
                    return self._drop()
                killed = False
                if is_change:
                    proxy.in_flight_change = "pre"
                    if proxy.change_hook and proxy.change_hook("pre", comment):
                        proxy.in_flight_change = None
                        return self._drop()  # the client died before its request was complete
                    time.sleep(proxy.change_delay)
                status, headers, rbody = self._forward(body)
                if is_change:
                    proxy.in_flight_change = "post"
                    if proxy.change_hook and status == 200:
                        killed = proxy.change_hook("post", comment)
                    if status == 200:
                        lost = killed or fault in ("drop_after", "slow_timeout")
                        with proxy.lock:
                            proxy.changes.append((comment, not lost))
                    time.sleep(proxy.change_delay)
                    proxy.in_flight_change = None
                if fault == "drop_after":
                    return self._drop()
                if fault == "slow":
                    time.sleep(slow_for)
                if fault == "slow_timeout":
                    time.sleep(proxy.slow_beyond)
                self._reply(status, headers, rbody)

            def _handle_s3(self, op: str, body: bytes) -> None:
                conditional = any(self.headers.get(h) for h in ("If-Match", "If-None-Match"))
                with proxy.lock:
                    proxy.calls[op] += 1
                    fault = None
                    if proxy.s3_rate > 0 and proxy.rng.random() < proxy.s3_rate:
                        fault = proxy.rng.choice(proxy.s3_faults)
                        # each fault only where it means something
                        if fault == "s3_drop_after" and op != "S3 PutObject":
                            fault = None
                        if fault == "s3_precondition" and not (op == "S3 PutObject" and conditional):
                            fault = None
                        if fault:
                            proxy.injected[fault] += 1
                if fault == "s3_slowdown":
                    err = _S3_ERR.format(code="SlowDown", msg="Please reduce your request rate.")
                    return self._reply(503, [("Content-Type", "application/xml")], err.encode())
                if fault == "s3_precondition":
                    err = _S3_ERR.format(
                        code="PreconditionFailed",
                        msg="At least one of the pre-conditions you specified did not hold",
                    )
                    return self._reply(412, [("Content-Type", "application/xml")], err.encode())
                status, headers, rbody = self._forward(body)
                if fault == "s3_drop_after":
                    return self._drop()
                self._reply(status, headers, rbody)

            do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                # a client SIGKILLed mid-request resets its connection: expected, not news
                if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    return
                super().handle_error(request, client_address)  # type: ignore[arg-type]

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset_counts(self) -> None:
        with self.lock:
            self.calls.clear()
            self.injected.clear()
            self.changes.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

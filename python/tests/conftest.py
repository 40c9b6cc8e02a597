from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"


def load_vectors() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(VECTORS.rglob("*.json")):
        for case in json.loads(path.read_text()):
            case["_file"] = str(path.relative_to(VECTORS))
            cases.append(case)
    return cases


def api_surface() -> dict[str, Any]:
    surface: dict[str, Any] = json.loads((REPO / "tests" / "api-surface.json").read_text())
    return surface


FIXTURES = REPO / "tests" / "fixtures" / "heroku-api"
GOOD_TOKEN = "hk-test-0123456789abcdef"


class RecordedHerokuApi:
    """A loopback Platform API serving tests/fixtures/heroku-api (``PATH.json`` whole,
    ``PATH.pages.json`` paged by the ``Range`` header, see its README); 401 on a wrong token."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.requests: list[tuple[str, dict[str, str]]] = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
                    self._send(401, b'{"id": "unauthorized", "message": "Invalid credentials provided."}')
                    return
                path = FIXTURES / (self.path.lstrip("/") + ".json")
                pages = FIXTURES / (self.path.lstrip("/") + ".pages.json")
                if path.is_file() and FIXTURES in path.resolve().parents:
                    self._send(200, path.read_bytes())
                elif pages.is_file() and FIXTURES in pages.resolve().parents:
                    # a paged recording: the entry whose "range" is the request's Range header
                    wanted = self.headers.get("Range")
                    for page in json.loads(pages.read_text()):
                        if page["range"] == wanted:
                            self._send(page["status"], json.dumps(page["body"]).encode(), page["headers"])
                            return
                    self._send(416, b'{"id": "bad_request", "message": "Range not satisfiable."}')
                else:
                    self._send(404, b'{"id": "not_found", "message": "Couldn\'t find that app."}')

            def _send(self, status: int, body: bytes, headers: Optional[dict[str, str]] = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


ROUTE53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
# moto picks the service from the credential scope of the Authorization header; it does not
# check signatures, so a well-formed unsigned header is enough for seeding a zone.
FAKE_AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/route53/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
S3_FAKE_AUTH = FAKE_AUTH.replace("/route53/", "/s3/")
MOTO_SECRET = "moto-secret-key-do-not-print-42"


class MotoServer:
    """moto_server ($DYNOSHIFT_MOTO_SERVER) on a free loopback port, with small Route53 helpers."""

    def __init__(self) -> None:
        import os
        import socket
        import subprocess
        import time

        binary = os.environ.get("DYNOSHIFT_MOTO_SERVER") or str(REPO / ".venv" / "bin" / "moto_server")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited early with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"moto_server did not answer on {self.url} within 30 s")
                time.sleep(0.1)

    def _post(self, path: str, body: str) -> str:
        import urllib.request

        request = urllib.request.Request(
            self.url + path,
            data=body.encode(),
            method="POST",
            headers={"Authorization": FAKE_AUTH, "Content-Type": "text/xml"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text: str = response.read().decode()
            return text

    def create_zone(self, name: str) -> str:
        import uuid
        import xml.etree.ElementTree as ET

        body = (
            f'<CreateHostedZoneRequest xmlns="{ROUTE53_NS}"><Name>{name}</Name>'
            f"<CallerReference>{uuid.uuid4()}</CallerReference></CreateHostedZoneRequest>"
        )
        root = ET.fromstring(self._post("/2013-04-01/hostedzone", body))
        zone_id = root.findtext(f"{{{ROUTE53_NS}}}HostedZone/{{{ROUTE53_NS}}}Id")
        assert zone_id, "moto returned no zone id"
        return zone_id.rsplit("/", 1)[-1]

    def create_cname(self, zone_id: str, name: str, target: str, ttl: int) -> None:
        body = (
            f'<ChangeResourceRecordSetsRequest xmlns="{ROUTE53_NS}"><ChangeBatch><Changes><Change>'
            f"<Action>CREATE</Action><ResourceRecordSet><Name>{name}</Name><Type>CNAME</Type>"
            f"<TTL>{ttl}</TTL><ResourceRecords><ResourceRecord><Value>{target}</Value>"
            "</ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes>"
            "</ChangeBatch></ChangeResourceRecordSetsRequest>"
        )
        self._post(f"/2013-04-01/hostedzone/{zone_id}/rrset", body)

    def create_bucket(self, name: str) -> str:
        """An S3 bucket."""
        import urllib.request

        request = urllib.request.Request(f"{self.url}/{name}", method="PUT", headers={"Authorization": S3_FAKE_AUTH})
        with urllib.request.urlopen(request, timeout=10):
            pass
        return name

    def get_object(self, bucket: str, key: str) -> str:
        import urllib.request

        request = urllib.request.Request(f"{self.url}/{bucket}/{key}", headers={"Authorization": S3_FAKE_AUTH})
        with urllib.request.urlopen(request, timeout=10) as response:
            text: str = response.read().decode()
            return text

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    """A loopback Platform API serving tests/fixtures/heroku-api; 401 on a wrong token."""

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
                if path.is_file() and FIXTURES in path.resolve().parents:
                    self._send(200, path.read_bytes())
                else:
                    self._send(404, b'{"id": "not_found", "message": "Couldn\'t find that app."}')

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
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

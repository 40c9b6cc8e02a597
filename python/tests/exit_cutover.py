"""A cutover as a deploy script runs it, then the interpreter exits at once: the plan's HTTP
gate against a loopback app, an async callback gate, an event callback. Run by
test_exit.py in fresh interpreters (it is not a test module itself)."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import tempfile
import threading
from typing import Any

import dynoshift


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{srv.server_address[1]}/healthz"

plan = dynoshift.CutoverPlan.from_json(json.dumps({
    "hostnames": ["www.example.com"], "zone": "example.com",
    "heroku_target": "x.herokudns.com", "aws_target": "lb.example.com",
    "stages": [50, 100], "soak_seconds": 2, "tick_seconds": 1, "ttl": 1,
    "gates": [{"type": "http", "name": "aws", "probe": {"url": url}, "min_samples": 5}],
}))



async def canary(ctx: dict[str, Any]) -> dict[str, str]:
    await asyncio.sleep(0)
    return {"status": "pass", "reason": "fine"}



async def main() -> None:
    dns = dynoshift.MemoryZone(plan)
    journal = os.path.join(tempfile.mkdtemp(), "j.json")
    cut = dynoshift.Cutover(plan, dns, journal, on_event=lambda e: None, gates=[canary])
    outcome = await cut.run()
    print(outcome.status)



asyncio.run(main())

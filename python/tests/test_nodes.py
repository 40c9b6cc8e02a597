"""The node-planning and data-gate glue: plans with their gap, typed errors, the GIL released
while planning, and a cutover gated by an `http` gate built from JSON."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dynoshift

PODS: list[dict[str, Any]] = [
    {"process_type": "web", "replicas": 4, "cpu_millis": 500, "memory_mib": 1024},
    {"process_type": "worker", "replicas": 2, "cpu_millis": 250, "memory_mib": 512},
]


def test_plan_exact_against_ffd() -> None:
    exact = dynoshift.plan_nodes({"pods": PODS, "options": {"solver": "exact"}})
    ffd = dynoshift.plan_nodes({"pods": PODS, "options": {"solver": "ffd"}})
    assert exact["solver"] == "exact" and ffd["solver"] == "ffd"
    assert exact["monthly_usd"] <= exact["ffd_monthly_usd"] + 1e-9
    assert exact["ffd_monthly_usd"] == pytest.approx(ffd["monthly_usd"])
    assert exact["gap_percent"] is not None and 0.0 <= exact["gap_percent"] <= 100.0
    assert exact["lower_bound_monthly_usd"] <= exact["monthly_usd"] + 1e-9
    assert ffd["gap_percent"] is None
    placed = [p for node in exact["nodes"] for p in node["pods"] if not p.endswith("-surge")]
    assert len(placed) == 6 and exact["pod_count"] == 6
    assert sum(t["count"] for t in exact["types"]) == exact["node_count"] >= 2
    assert exact["explanation"]


def test_infeasible_pod_is_named() -> None:
    giant = {"process_type": "ml", "replicas": 1, "cpu_millis": 100, "memory_mib": 64 * 1024 * 1024}
    with pytest.raises(dynoshift.InfeasibleError) as info:
        dynoshift.plan_nodes({"pods": [*PODS, giant]})
    assert info.value.kind == "infeasible"
    assert "ml" in str(info.value)


def test_small_ops_and_bad_requests() -> None:
    assert dynoshift.kube_reserved({"max_pods": 110}) == {"memory_mib": 1465, "cpu_millis": None}
    assert dynoshift.max_pods({"max_enis": 3, "ipv4_per_eni": 10})["max_pods"] == 29
    node = dynoshift.allocatable({"instance_type": "m7i.large"})
    assert isinstance(node, dict) and node
    with pytest.raises(dynoshift.NotFoundError):
        dynoshift.allocatable({"instance_type": "m7i.nonesuch"})
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.plan_nodes({"pods": PODS, "nope": 1})
    with pytest.raises(TypeError):
        dynoshift.plan_nodes([PODS])  # type: ignore[arg-type]
    bill = dynoshift.compare_bill(
        {"formation": {"web": {"size": "standard-2x", "quantity": 4}}, "plan": {"pods": PODS}}
    )
    assert bill["heroku_monthly_usd"] == pytest.approx(200.0)
    karpenter = dynoshift.karpenter_config({"plan": {"pods": PODS}, "options": {"cluster_name": "shop"}})
    assert karpenter["node_pool"]["kind"] == "NodePool"


def test_plan_nodes_releases_the_gil() -> None:
    many = [
        {"process_type": f"p{i}", "replicas": 5, "cpu_millis": 130 + 37 * i, "memory_mib": 300 + 211 * i}
        for i in range(40)
    ]
    request = {"pods": many, "options": {"time_budget_ms": 600}}
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            sum(range(200))

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        time.sleep(0.02)
        start = time.monotonic()
        plan = dynoshift.plan_nodes(request)
        end = time.monotonic()
    finally:
        stop.set()
        thread.join(timeout=5)
    assert plan["pod_count"] == 200
    assert end - start >= 0.1, f"the plan took {end - start:.3f} s: too quick to tell"
    during = [t for t in ticks if start + 0.02 < t < end - 0.02]
    # with the GIL held for the whole call the other thread could not tick at all
    assert len(during) > 100, f"{len(during)} ticks in {end - start:.3f} s"


class FlakyApp:
    """A loopback app that answers 200 until `broken` is set, then 500."""

    def __init__(self) -> None:
        self.broken = False
        self.hits = 0
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                app.hits += 1
                status, body = (500, b"down") if app.broken else (200, b"ok")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/healthz"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app() -> Iterator[FlakyApp]:
    a = FlakyApp()
    yield a
    a.close()


def cutover_plan() -> dynoshift.CutoverPlan:
    return dynoshift.CutoverPlan.from_json(
        json.dumps(
            {
                "hostnames": ["www.example.com"],
                "zone": "example.com",
                "heroku_target": "shop-1234.herokudns.com",
                "aws_target": "lb-1.elb.amazonaws.com",
                "stages": [10, 50, 100],
                "soak_seconds": 3,
                "ttl": 1,
                "tick_seconds": 1,
                "poll_seconds": 1,
            }
        )
    )


def http_gates(url: str) -> str:
    return json.dumps(
        {"gates": [{"type": "http", "name": "aws-health", "probe": {"url": url}, "min_samples": 5}]}
    )


def test_validate_gates() -> None:
    assert dynoshift.validate_gates(http_gates("http://127.0.0.1:1/healthz")) == ["aws-health"]
    with pytest.raises(dynoshift.InvalidInputError) as info:
        dynoshift.validate_gates('[{"type": "http", "probe": {"url": "nope"}}]')
    assert info.value.context == "gates[0].probe.url"


def test_bad_gates_json_is_invalid_input_at_construction(tmp_path: Path) -> None:
    p = cutover_plan()
    for bad in ("{", '[{"type": "smoke"}]', '[{"type": "http", "probe": {"url": "nope"}}]'):
        with pytest.raises(dynoshift.InvalidInputError):
            dynoshift.Cutover(p, dynoshift.MemoryZone(p), str(tmp_path / "j.json"), gates_json=bad)


@pytest.mark.asyncio
async def test_http_gate_from_json_rolls_back(app: FlakyApp, tmp_path: Path) -> None:
    p = cutover_plan()
    events: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if event["type"] == "stage_passed" and event["percent"] == 10:
            app.broken = True

    cut = dynoshift.Cutover(
        p, dynoshift.MemoryZone(p), str(tmp_path / "gated.json"), on_event=on_event, gates_json=http_gates(app.url)
    )
    outcome = await cut.run()
    assert outcome.status == "rolled_back", outcome.reason
    assert "aws-health" in (outcome.reason or "")
    assert [e["percent"] for e in events if e["type"] == "stage_passed"] == [10]
    verdicts = [e["verdict"] for e in events if e["type"] == "gate_verdict"]
    assert verdicts[-1]["gate"] == "aws-health" and verdicts[-1]["status"] == "fail"
    assert app.hits > 0

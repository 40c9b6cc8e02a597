"""Runs every shared vector through the Python API. Unknown ops fail; nothing is skipped."""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest

import dynoshift
from conftest import GOOD_TOKEN, RecordedHerokuApi, load_vectors

CASES = load_vectors()


NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
SCRATCH = Path(tempfile.mkdtemp(prefix="dynoshift-vectors-"))


def _native(value: Any) -> Any:
    """The vectors write non-finite floats as {"$float": "NaN"}: make them Python floats."""
    if isinstance(value, dict):
        if set(value) == {"$float"}:
            return NON_FINITE[value["$float"]]
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


def _text(inp: dict[str, Any], key: str) -> str:
    text = inp[f"{key}_text"] if f"{key}_text" in inp else json.dumps(inp[key])
    assert isinstance(text, str)
    return text


def _formation(inp: dict[str, Any]) -> dynoshift.Formation:
    return dynoshift.Formation.from_json(_text(inp, "formation"))


def _plan(inp: dict[str, Any], key: str = "plan") -> dynoshift.CutoverPlan:
    return dynoshift.CutoverPlan.from_json(_text(inp, key))


def _preflight(inp: dict[str, Any]) -> str:
    async def run() -> str:
        zone = dynoshift.MemoryZone(_plan(inp, "memory_plan"))
        report = await dynoshift.preflight(_plan(inp), zone)
        return report.to_json()

    return asyncio.run(run())


def _from_heroku_app(inp: dict[str, Any]) -> str:
    api = RecordedHerokuApi()
    try:
        client = dynoshift.HerokuClient(token=GOOD_TOKEN, base_url=api.url)
        zone = dynoshift.MemoryZone(_plan(inp, "memory_plan"))
        plans = asyncio.run(dynoshift.CutoverPlan.from_heroku_app(client, inp["app"], zone, inp["options"]))
        return plans.to_json()
    finally:
        api.close()


def _read_journal(inp: dict[str, Any]) -> str:
    if "path" in inp:
        return dynoshift.read_journal(inp["path"])
    path = SCRATCH / "cutover.journal.json"
    path.write_text(_text(inp, "journal"))
    return dynoshift.read_journal(path)


OPS: dict[str, Callable[[dict[str, Any]], str]] = {
    "dyno_size": lambda i: dynoshift.dyno_size(i["name"]).to_json(),
    "formation.parse": lambda i: _formation(i).to_json(),
    "logs.parse_line": lambda i: dynoshift.parse_line(i["line"]),
    "sizing.recommend": lambda i: dynoshift.recommend_lines(_formation(i), i["logs"], i.get("policy")).to_json(),
    "sizing.manifests": lambda i: json.dumps(
        dynoshift.parse_manifests(
            dynoshift.manifests(dynoshift.SizingReport.from_json(json.dumps(i["report"])), i["options"])
        )
    ),
    "sizing.backtest": lambda i: dynoshift.backtest_lines(
        _formation(i), i["logs"], i.get("policy"), i.get("strategies"), i.get("fit_fraction", 0.5)
    ).to_json(),
    "formation.monthly_cost": lambda i: _formation(i).monthly_cost(i.get("prices")).to_json(),
    "nodes.kube_reserved": lambda i: json.dumps(dynoshift.kube_reserved(i)),
    "nodes.max_pods": lambda i: json.dumps(dynoshift.max_pods(i)),
    "nodes.allocatable": lambda i: json.dumps(dynoshift.allocatable(i)),
    "nodes.plan": lambda i: json.dumps(dynoshift.plan_nodes(i)),
    "nodes.bill": lambda i: json.dumps(dynoshift.compare_bill(i)),
    "nodes.karpenter": lambda i: json.dumps(dynoshift.karpenter_config(i)),
    "sizing.recommend_files": lambda i: json.dumps(
        dynoshift.recommend_sizing(_formation(i), i["log_paths"], i.get("policy"))
    ),
    "ingest": lambda i: dynoshift.ingest(i["paths"]).to_json(),
    "cutover.plan": lambda i: _plan(i).to_json(),
    "cutover.dry_run": lambda i: dynoshift.dry_run(_plan(i)).to_json(),
    "cutover.preflight": _preflight,
    "cutover.from_heroku_app": _from_heroku_app,
    "cutover.read_journal": _read_journal,
    "cutover.drained": lambda i: dynoshift.drained(
        _plan(i),
        lines=i.get("lines"),
        profiles_json=json.dumps(i["profiles"]) if "profiles" in i else None,
        now=i.get("now"),
    ).to_json(),
    "gates.validate": lambda i: json.dumps(dynoshift.validate_gates(_text(i, "gates"))),
}


def assert_subset(expected: Any, actual: Any, path: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert_subset(value, actual.get(key), f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_subset(e, a, f"{path}[{i}]")
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert isinstance(actual, (int, float)), f"{path}: expected {expected}, got {actual!r}"
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {expected} != {actual}"
    else:
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"


def test_the_vectors_are_there() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    op = OPS.get(case["op"])
    assert op is not None, f"op {case['op']!r} ({case['_file']}) is not run by the Python runner"
    if "error" in case:
        want = case["error"]
        with pytest.raises(dynoshift.DynoshiftError) as info:
            op(_native(case["input"]))
        assert info.value.kind == want["kind"], str(info.value)
        assert type(info.value).kind == want["kind"]
        parts = want.get("message_contains", [])
        for part in [parts] if isinstance(parts, str) else parts:
            assert part in str(info.value)
    else:
        assert_subset(case["expect"], json.loads(op(_native(case["input"]))))

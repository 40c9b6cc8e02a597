"""Runs every shared vector through the Python API. Unknown ops fail; nothing is skipped."""

from __future__ import annotations

import json
import math
from typing import Any, Callable

import pytest

import dynoshift
from conftest import load_vectors

CASES = load_vectors()


def _formation(inp: dict[str, Any]) -> dynoshift.Formation:
    text = inp["formation_text"] if "formation_text" in inp else json.dumps(inp["formation"])
    return dynoshift.Formation.from_json(text)


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
            op(case["input"])
        assert info.value.kind == want["kind"], str(info.value)
        assert type(info.value).kind == want["kind"]
        parts = want.get("message_contains", [])
        for part in [parts] if isinstance(parts, str) else parts:
            assert part in str(info.value)
    else:
        assert_subset(case["expect"], json.loads(op(case["input"])))

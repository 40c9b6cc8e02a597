"""The glue: exported names, typed results, error classes."""

from __future__ import annotations

import inspect

import pytest

import dynoshift
from conftest import api_surface


def test_exports_match_the_api_surface() -> None:
    surface = api_surface()
    missing = [f for f in surface["functions"] if not callable(getattr(dynoshift, f, None))]
    for cls_name, spec in surface["classes"].items():
        cls = getattr(dynoshift, cls_name, None)
        if cls is None:
            missing.append(cls_name)
            continue
        for member in spec.get("static", []) + spec["methods"] + spec["properties"]:
            if not hasattr(cls, member):
                missing.append(f"{cls_name}.{member}")
        # asynchronous static methods are coroutines (so asyncio.run takes them)
        for member in spec.get("async_static", []):
            if not inspect.iscoroutinefunction(getattr(cls, member, None)):
                missing.append(f"{cls_name}.{member} (a coroutine)")
    for cls_name in surface["error_kinds"].values():
        if not isinstance(getattr(dynoshift, cls_name, None), type):
            missing.append(cls_name)
    assert missing == []
    assert dynoshift.error_kinds() == list(surface["error_kinds"])


def test_error_classes_carry_their_kind_and_python_bases() -> None:
    surface = api_surface()
    for kind, cls_name in surface["error_kinds"].items():
        cls = getattr(dynoshift, cls_name)
        assert issubclass(cls, dynoshift.DynoshiftError)
        assert cls.kind == kind
    assert issubclass(dynoshift.InvalidInputError, ValueError)
    assert issubclass(dynoshift.NotFoundError, LookupError)
    assert issubclass(dynoshift.TimeoutError, TimeoutError)


def test_unknown_size_is_invalid_input_with_context() -> None:
    with pytest.raises(ValueError) as info:
        dynoshift.Formation.from_json('{"web": {"size": "standard-3x", "quantity": 1}}')
    err = info.value
    assert isinstance(err, dynoshift.InvalidInputError)
    assert err.kind == "invalid_input"
    assert err.context == "web.size"
    assert "Standard-2X" in str(err)


def test_typed_results() -> None:
    formation = dynoshift.Formation.from_json(
        '{"worker": {"size": "1x", "quantity": 2}, "web": {"size": "standard-2x", "quantity": 4}}'
    )
    assert [p.process_type for p in formation.processes] == ["web", "worker"]
    worker = formation.processes[1]
    assert worker.requested_size == "1x"
    assert worker.size.name == "Standard-1X"
    assert worker.size.cpu_kind == "shared"
    report = formation.monthly_cost({"standard-1x": 20})
    assert report.total_monthly_usd == 240.0
    assert [(line.process_type, line.price_source) for line in report.lines] == [("web", "list"), ("worker", "override")]
    assert "CostReport" in repr(report)
    # A nested class shows its first field in its parent's repr; its own repr has them all.
    assert 'lines=[CostLine(process_type="web", ...), CostLine(process_type="worker", ...)]' in repr(report)
    assert repr(report.lines[0]).startswith('CostLine(process_type="web"')
    size = dynoshift.dyno_size("performance-m")
    assert (size.cpu_kind, size.cpu, size.list_monthly_usd) == ("dedicated", 2.0, 250.0)
    assert len(dynoshift.dyno_sizes()) >= 21

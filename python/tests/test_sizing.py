"""Sizing from Python: typed reports whose numbers carry explanations, GIL released, typed errors;
backtest and Kubernetes manifests."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

import dynoshift

FORMATION = dynoshift.Formation.from_json(
    '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'
)


def _line(t: int, source: str, mb: float, load: float) -> list[str]:
    ts = f"2026-11-01T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}+00:00"
    return [
        f"{ts} heroku[{source}]: source={source} dyno=heroku.1.x sample#load_avg_1m={load:.2f}",
        f"{ts} heroku[{source}]: source={source} dyno=heroku.1.x sample#memory_total={mb:.2f}MB "
        f"sample#memory_rss={mb:.2f}MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB",
    ]


LINES = [
    line
    for t in range(0, 3 * 3600, 20)
    for source, mb, load in (("web.1", 400 + t % 100, 0.3), ("web.2", 380.0, 0.2), ("worker.1", 300.0, 0.8))
    for line in _line(t, source, mb, load)
]


def test_memory_is_never_below_the_observed_peak_and_numbers_explain_themselves() -> None:
    report = dynoshift.recommend_lines(FORMATION, LINES)
    assert isinstance(report, dynoshift.SizingReport)
    web = report.process("web")
    assert isinstance(web, dynoshift.ProcessSizing)
    assert web.memory_request_mib.value >= 499
    assert web.memory_request_mib.unit == "MiB"
    explanation = web.memory_request_mib.explanation
    assert isinstance(explanation, dynoshift.Explanation)
    assert explanation.rule and explanation.samples > 0
    assert explanation.statistic == "memory_total max"
    assert explanation.confidence == "low"
    assert any("hours of data" in w for w in report.warnings + explanation.warnings)
    assert report.process("clock") is None


def test_files_give_the_same_report_as_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    assert dynoshift.recommend_sizing(FORMATION, [log]).to_json() == dynoshift.recommend_lines(FORMATION, LINES).to_json()


def test_policy_strategies_and_bad_policies() -> None:
    vpa = dynoshift.recommend_lines(FORMATION, LINES, {"strategy": "vpa"})
    assert vpa.strategy == "vpa"
    assert vpa.policy["strategy"] == "vpa"
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.recommend_lines(FORMATION, LINES, {"cpu_percentile": float("nan")})
    with pytest.raises(dynoshift.NotFoundError):
        dynoshift.recommend_sizing(FORMATION, ["/nonexistent/app.log"])


def test_the_gil_is_released_while_sizing(tmp_path: Path) -> None:
    cli = os.environ.get("DYNOSHIFT_CLI", "")
    assert cli and Path(cli).exists(), "DYNOSHIFT_CLI must name the dynoshift binary (make test-python sets it)"
    formation = tmp_path / "formation.json"
    formation.write_text(FORMATION.to_json())
    big = tmp_path / "big.log"
    subprocess.run(
        [str(cli), "synth-logs", "--formation", str(formation), "--duration", "8h", "--seed", "3", "-o", str(big)],
        check=True,
        capture_output=True,
    )
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        before = ticks
        report = dynoshift.recommend_sizing(FORMATION, [str(big)])
        during = ticks - before
    finally:
        done.set()
        counter.join()
    assert len(report.processes) == 2
    # With the GIL held for the whole call the counting thread could not run at all.
    assert during > 1000, f"the counting thread barely ran during the call ({during}): was the GIL held?"
    json.dumps(report.to_dict())


def test_every_number_is_typed_and_explained() -> None:
    report = dynoshift.recommend_lines(FORMATION, LINES)
    assert [p.process_type for p in report.processes] == ["web", "worker"]
    assert isinstance(report.window, dynoshift.TimeSpan) and report.window.seconds > 0
    for p in report.processes:
        numbers = [p.cpu_request_millicores, p.memory_request_mib, p.memory_limit_mib, p.replicas]
        if p.hpa is not None:
            assert isinstance(p.hpa, dynoshift.HpaSizing)
            numbers += [p.hpa.min_replicas, p.hpa.max_replicas, p.hpa.target_cpu_utilization_percent]
        for n in numbers:
            assert isinstance(n, dynoshift.Explained)
            assert isinstance(n.value, int) and n.unit
            assert n.explanation.rule and n.explanation.statistic
            assert n.explanation.confidence in ("low", "medium", "high")
            assert n.explanation.window is None or ".." in n.explanation.window
        assert p.cpu_limit_millicores is None  # the default policy sets no CPU limit
    web = report.processes[0]
    assert web.hpa is not None and web.hpa.max_replicas.value >= web.hpa.min_replicas.value
    assert "web" in repr(report) and "SizingReport" in repr(report)
    assert "MiB" in repr(web.memory_request_mib)


def test_typed_report_round_trips_through_the_cores_json() -> None:
    report = dynoshift.recommend_lines(FORMATION, LINES)
    as_dict = report.to_dict()
    assert as_dict == json.loads(report.to_json())
    web = as_dict["processes"][0]
    assert web["memory_request_mib"]["value"] == report.processes[0].memory_request_mib.value
    assert web["memory_request_mib"]["explanation"] == report.processes[0].memory_request_mib.explanation.to_dict()
    again = dynoshift.SizingReport.from_json(report.to_json())
    assert again.to_json() == report.to_json()
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.SizingReport.from_json('{"strategy": "dynoshift"}')


def _backtest_lines() -> list[str]:
    # 12 hours of worker samples every 20 minutes: 300 MB throughout, one 420 MB spike at 09:00.
    return [
        line
        for t in range(0, 12 * 3600, 1200)
        for line in _line(t, "worker.1", 420.0 if t == 9 * 3600 else 300.0, 0.2)
    ]


def test_backtest_on_lines_and_files(tmp_path: Path) -> None:
    lines = _backtest_lines()
    report = dynoshift.backtest_lines(FORMATION, lines, None, ["dynoshift", "krr"])
    assert isinstance(report, dynoshift.BacktestReport)
    assert [s.strategy for s in report.summary] == ["dynoshift", "krr"]
    assert all(isinstance(s, dynoshift.StrategySummary) for s in report.summary)
    rows = {r.strategy: r for r in report.rows}
    assert all(isinstance(r, dynoshift.BacktestRow) for r in report.rows)
    # Fitted on 300 MB for under a day: 300 x 1.2 rounded up to 16 = 368 MiB; the spike exceeds it.
    assert rows["dynoshift"].memory_limit_mib == 368
    assert rows["dynoshift"].memory_exceedances == 1 and rows["dynoshift"].memory_samples == 18
    assert rows["krr"].memory_limit_mib == 345
    assert report.fit_window is not None and report.eval_window is not None
    assert report.fit_window.end < report.eval_window.start
    assert "dynoshift" in report.table() and "BacktestReport" in repr(report)
    assert report.to_dict() == json.loads(report.to_json())
    log = tmp_path / "worker.log"
    log.write_text("\n".join(lines) + "\n")
    from_files = dynoshift.backtest(FORMATION, [log], strategies=["dynoshift", "krr"], fit_fraction=0.5)
    assert from_files.to_json() == report.to_json()
    assert len(dynoshift.backtest_lines(FORMATION, lines).summary) == 3  # every strategy by default


def test_backtest_errors_are_typed() -> None:
    lines = _backtest_lines()
    with pytest.raises(dynoshift.InvalidInputError) as info:
        dynoshift.backtest_lines(FORMATION, lines, {"cpu_percentile": 0})
    assert info.value.kind == "invalid_input"
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.backtest_lines(FORMATION, lines, fit_fraction=1.0)
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.backtest_lines(FORMATION, lines, strategies=["p99"])
    with pytest.raises(dynoshift.NotFoundError):
        dynoshift.backtest(FORMATION, ["/nonexistent/app.log"])


def test_manifests_render_and_parse_back() -> None:
    formation = dynoshift.Formation.from_json(
        '{"web": {"size": "standard-2x", "quantity": 2, "command": "bundle exec puma"},'
        ' "worker": {"size": "standard-1x", "quantity": 1}}'
    )
    report = dynoshift.recommend_lines(formation, LINES)
    yaml = dynoshift.manifests(report, {"image": "registry.example.com/shop:v42", "namespace": "shop", "app": "shop"})
    assert yaml.startswith("# dynoshift: warning: ") and "kind: Deployment" in yaml  # no certificate, no domains
    objects = dynoshift.parse_manifests(yaml)
    kinds = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert ("Deployment", "shop-web") in kinds and ("PodDisruptionBudget", "shop-worker") in kinds
    web = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "shop-web")
    sizing = report.processes[0]
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"]["memory"] == f"{sizing.memory_request_mib.value}Mi"
    assert container["resources"]["requests"]["cpu"] == f"{sizing.cpu_request_millicores.value}m"
    assert container["command"] == ["/bin/sh", "-c", "bundle exec puma"]
    assert web["spec"]["replicas"] == sizing.replicas.value
    # every number's rule travels with the objects
    assert web["metadata"]["annotations"]["dynoshift.dev/memory"] == sizing.memory_limit_mib.explanation.rule
    # the app around the sizes: the domains as Ingress rules, config var names without values
    app = dynoshift.parse_manifests(
        dynoshift.manifests(
            report,
            {"image": "shop:1", "app": "shop", "domains": ["www.shop.com"], "health_path": "/healthz",
             "config_vars": {"SECRET_KEY_BASE": "py-secret-value"}, "addon_config_vars": ["DATABASE_URL"]},
        )
    )
    ingress = next(o for o in app if o["kind"] == "Ingress")
    assert [r["host"] for r in ingress["spec"]["rules"]] == ["www.shop.com"]
    assert not [o for o in app if o["kind"] == "Secret"]  # no values asked for: the team creates it
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.manifests(report, {"namespace": "shop"})
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.manifests(report, {"image": "shop:1", "replicas": 3})
    with pytest.raises(dynoshift.InvalidInputError, match="health_path"):
        dynoshift.manifests(report, {"image": "shop:1", "health_path": "healthz"})
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.parse_manifests("kind: Service\nmetadata: {name: x}\n")


def test_a_truncated_gzip_is_in_the_reports_warnings(tmp_path: Path) -> None:
    import gzip

    data = gzip.compress(("\n".join(LINES) + "\n").encode(), compresslevel=1)
    log = tmp_path / "app.log.gz"
    log.write_bytes(data[: len(data) // 2])
    report = dynoshift.recommend_sizing(FORMATION, [log])
    assert report.warnings, "a damaged input must be reported"
    first = report.warnings[0]
    assert first.startswith(f"damaged input {log}: the gzip stream is truncated or corrupt"), first
    assert "may be too low" in first
    assert json.loads(report.to_json())["input_issues"][0]["input"] == str(log)
    (issue,) = report.input_issues
    assert isinstance(issue, dynoshift.InputIssue)
    assert issue.input == str(log) and 0 < issue.bytes_read < len("\n".join(LINES))
    yaml = dynoshift.manifests(report, {"image": "registry.example.com/shop:v42"})
    assert yaml.startswith("# dynoshift: warning: damaged input "), yaml
    # the intact file: no such warning
    (tmp_path / "ok.log.gz").write_bytes(data)
    intact = dynoshift.recommend_sizing(FORMATION, [tmp_path / "ok.log.gz"])
    assert not any("damaged" in w for w in intact.warnings), intact.warnings


def test_the_sizing_feeds_node_planning_without_renaming_keys() -> None:
    report = dynoshift.recommend_lines(FORMATION, LINES)
    pods = report.pods
    web = report.process("web")
    assert web is not None
    by_type = {p["process_type"]: p for p in pods}
    assert by_type["web"] == {
        "process_type": "web",
        "replicas": web.replicas.value,
        "cpu_millis": web.cpu_request_millicores.value,
        "memory_mib": web.memory_request_mib.value,
    }
    plan = dynoshift.plan_nodes({"pods": pods})
    placed = sum(1 for n in plan["nodes"] for pod in n["pods"] if not pod.endswith("-surge"))
    assert placed == sum(p["replicas"] for p in pods) > 0

"""`dynoshift manifests` for a real app's shape, validated strictly against the Kubernetes
OpenAPI schemas (kubernetes-validate, pinned) of the oldest and newest Kubernetes versions EKS
supports as of 2026-12 (1.32 in extended support, 1.36), for the formation read from recorded
Platform API responses (commands, config vars, domains, add-ons, a release process) and for a
sample app from files."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import pytest
import yaml

from conftest import GOOD_TOKEN, REPO, RecordedHerokuApi

CLI = os.environ.get("DYNOSHIFT_CLI") or str(REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "dynoshift")
K8S_VERSIONS = ["1.32.0", "1.36.0"]
SECRET_VALUES = ["p4ssw0rd-recorded-fixture", "redis-pass-recorded-fixture", "0123456789abcdef0123456789abcdef"]
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six hours of synthetic logs for the recorded app's process types."""
    where = tmp_path_factory.mktemp("logs")
    formation = {
        "web": {"size": "standard-2x", "quantity": 4, "command": "bundle exec puma -C config/puma.rb"},
        "worker": {"size": "performance-m", "quantity": 2},
        "clock": {"size": "basic", "quantity": 1},
    }
    (where / "formation.json").write_text(json.dumps(formation))
    subprocess.run(
        [CLI, "synth-logs", "--formation", "formation.json", "--duration", "6h", "-o", "app.log.gz"],
        cwd=where,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return where


@pytest.fixture
def api() -> Iterator[RecordedHerokuApi]:
    server = RecordedHerokuApi()
    yield server
    server.close()


def manifests(args: list[str], api: RecordedHerokuApi | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEROKU_")}
    extra: list[str] = []
    if api is not None:
        env["HEROKU_API_KEY"] = GOOD_TOKEN
        extra = ["--api-url", api.url]
    return subprocess.run([CLI, "manifests", *args, *extra], capture_output=True, text=True, env=env, timeout=300)


def validated(text: str) -> list[dict[str, Any]]:
    """Every document of `text`, each validated strictly against every version."""
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    assert docs, "no objects"
    for doc in docs:
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)
    return docs


def test_the_validator_is_strict() -> None:
    """The check above can fail: an unknown field and a wrong type are refused."""
    bad_field = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": 80}], "bogus": 1},
    }
    bad_type = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": "two"}}
    for doc in (bad_field, bad_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(doc, K8S_VERSIONS[0], strict=True)


def test_the_recorded_app_as_a_whole(logs: Path, api: RecordedHerokuApi) -> None:
    done = manifests(
        ["--app", "shop-production", "--logs", str(logs / "app.log.gz"), "--image", "registry.example.com/shop:v42",
         "--namespace", "shop", "--health-path", "/healthz", "--certificate-arn", CERT],
        api,
    )
    assert done.returncode == 0, done.stderr
    docs = validated(done.stdout)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    for expected in [
        ("Deployment", "shop-production-web"),
        ("Deployment", "shop-production-worker"),
        ("Deployment", "shop-production-clock"),
        ("Service", "shop-production-web"),
        ("Ingress", "shop-production-web"),
        ("Job", "shop-production-release"),
        ("PodDisruptionBudget", "shop-production-web"),
    ]:
        assert expected in kinds, kinds
    assert ("Deployment", "shop-production-release") not in kinds
    assert ("Service", "shop-production-worker") not in kinds
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    # the Procfile commands, Heroku's timings, every Heroku-derived setting explained
    web = by[("Deployment", "shop-production-web")]
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["/bin/sh", "-c", "bundle exec puma -C config/puma.rb"]
    assert web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 45
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "livenessProbe" not in container
    for key in ("probes", "termination", "memory", "cpu-request", "replicas", "heroku-dyno"):
        assert f"dynoshift.dev/{key}" in web["metadata"]["annotations"], key
    job = by[("Job", "shop-production-release")]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "bundle exec rake db:migrate"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # the custom domains (not the herokuapp.com name) as rules; HTTPS with the certificate
    ingress = by[("Ingress", "shop-production-web")]
    hosts = sorted(r["host"] for r in ingress["spec"]["rules"])
    assert hosts == ["api.shop.example.test", "shop.example.test", "www.shop.example.test"]
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == CERT
    # config: no Secret object without the values (applied again, a placeholder would wipe the
    # values a team filled in); every container reads the Secret the team creates, whose keys
    # the warning names; the add-on vars named apart; no value anywhere
    assert ("Secret", "shop-production-config") not in kinds
    assert container["envFrom"] == [{"secretRef": {"name": "shop-production-config"}}]
    assert "no Secret written" in done.stderr
    assert "(DATABASE_URL, RAILS_ENV, RAILS_MASTER_KEY, REDIS_URL, WEB_CONCURRENCY)" in done.stderr
    for value in SECRET_VALUES:
        assert value not in done.stdout and value not in done.stderr
    assert "DATABASE_URL, REDIS_URL are set by Heroku add-ons" in done.stderr
    # the calls made
    assert {path.split("?")[0] for path, _ in api.requests} >= {
        "/apps/shop-production/formation",
        "/apps/shop-production/domains",
        "/apps/shop-production/config-vars",
        "/apps/shop-production/addons",
    }


def test_values_only_when_asked_for(logs: Path, api: RecordedHerokuApi) -> None:
    done = manifests(
        ["--app", "shop-production", "--logs", str(logs / "app.log.gz"), "--image", "shop:v1", "--include-values"], api
    )
    assert done.returncode == 0, done.stderr
    secret = next(d for d in validated(done.stdout) if d["kind"] == "Secret")
    assert SECRET_VALUES[0] in secret["stringData"]["DATABASE_URL"]
    assert secret["metadata"]["annotations"]["dynoshift.dev/addon-config-vars"] == "DATABASE_URL, REDIS_URL"
    for value in SECRET_VALUES:
        assert value not in done.stderr


def test_the_sample_app_from_files_as_a_kustomize_directory(logs: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"SECRET_KEY_BASE": "kustomize-secret-value", "LOG_LEVEL": "info"}))
    out = tmp_path / "k8s"
    sample = REPO / "core" / "data" / "formation-sample.json"  # the app `make demo` rehearses
    done = manifests(
        ["--formation", str(sample), "--logs", str(logs / "app.log.gz"), "--image", "shop:v1",
         "--name", "shop", "--domains", "www.shop.com,api.shop.com", "--config-vars", str(config), "-o", str(out)]
    )
    assert done.returncode == 0, done.stderr
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    objects: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        objects.extend(validated((out / name).read_text()))
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted([*kustomization["resources"], "kustomization.yaml", "config.env.example"])
    assert (out / "config.env.example").read_text().splitlines()[1:] == ["LOG_LEVEL=", "SECRET_KEY_BASE="]
    kinds = {d["kind"] for d in objects}
    assert {"Deployment", "PodDisruptionBudget", "Service", "Ingress"} <= kinds
    assert "Secret" not in kinds
    assert "Job" not in kinds  # no release process in this formation
    assert "no certificate ARN" in done.stderr
    assert "kustomize-secret-value" not in "".join(p.read_text() for p in out.iterdir())


def test_bad_options_are_invalid_input(logs: Path) -> None:
    done = manifests(
        ["--formation", str(logs / "formation.json"), "--logs", str(logs / "app.log.gz"), "--image", "shop:v1",
         "--certificate-arn", "not-an-arn"]
    )
    assert done.returncode == 2, done.stderr
    assert "error [invalid_input]" in done.stderr and "certificate_arn" in done.stderr
    done = manifests(
        ["--formation", str(logs / "formation.json"), "--logs", str(logs / "app.log.gz"), "--image", "shop:v1",
         "--config-vars", '{"TOKEN": 12345678}']
    )
    assert done.returncode == 2 and "12345678" not in done.stderr, done.stderr

"""The Karpenter objects `karpenter_config` / `plan --karpenter` write, validated strictly against
the vendored Karpenter CRDs, and the `alb.ingress.kubernetes.io/*` annotations `dynoshift
manifests` writes, checked against the AWS Load Balancer Controller's annotation reference
(tests/k8s/schemas/README.md says where each file comes from). Each check is shown to fail."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # ships no type information
import pytest
import yaml

import dynoshift
from conftest import REPO
from k8s_crd import (
    EXACT_RULES,
    KARPENTER_CRDS,
    SCHEMAS,
    AlbAnnotations,
    AnnotationViolation,
    CrdViolation,
    karpenter_crds,
    strict,
)

CLI = os.environ.get("DYNOSHIFT_CLI") or str(REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "dynoshift")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
PODS: list[dict[str, Any]] = [
    {"process_type": "web", "replicas": 4, "cpu_millis": 500, "memory_mib": 1024},
    {"process_type": "worker", "replicas": 2, "cpu_millis": 2000, "memory_mib": 7168},
    {"process_type": "clock", "replicas": 1, "cpu_millis": 100, "memory_mib": 256},
]
REQUESTS: list[dict[str, Any]] = [
    {"plan": {"pods": PODS[:1]}},
    {"plan": {"pods": PODS}, "options": {"cluster_name": "shop-prod", "name": "shop-web"}},
    {
        "plan": {"pods": PODS},
        "options": {
            "cluster_name": "shop",
            "node_role": "shop-karpenter-nodes",
            "capacity_types": ["spot", "on-demand"],
            "alternatives": 4,
        },
    },
]
CRDS = karpenter_crds()
ALB = AlbAnnotations()


def crd_check(obj: dict[str, Any]) -> None:
    """Strict CRD validation; every CEL rule on a field the object sets was checked by hand."""
    report = CRDS[obj["kind"]].validate(obj)
    assert not report.unchecked, f"CEL rules on fields {obj['kind']} sets that nothing checked: {report.unchecked}"
    assert report.checked


@pytest.mark.parametrize("request_", REQUESTS, ids=["one-type", "three-types", "spot-and-role"])
def test_karpenter_objects_pass_the_crds(request_: dict[str, Any]) -> None:
    config = dynoshift.karpenter_config(request_)
    crd_check(config["node_pool"])
    crd_check(config["node_class"])
    # the YAML a team applies is the same pair
    docs = [d for d in yaml.safe_load_all(config["yaml"]) if d is not None]
    assert [d["kind"] for d in docs] == ["NodePool", "EC2NodeClass"]
    for doc in docs:
        crd_check(doc)
    assert docs == [config["node_pool"], config["node_class"]]


@pytest.mark.parametrize("options", [{"name": "Shop_Web"}, {"name": "web nodes"}, {"node_role": ""}])
def test_options_the_api_server_would_refuse_are_invalid_input(options: dict[str, Any]) -> None:
    """Found by the CRD check: these used to produce a NodePool/EC2NodeClass that the API server
    (a name that is not DNS-1123) or the EC2NodeClass CRD (`role cannot be empty`) refuses."""
    with pytest.raises(dynoshift.InvalidInputError):
        dynoshift.karpenter_config({"plan": {"pods": PODS[:1]}, "options": options})


def test_plan_karpenter_file_passes_the_crds(tmp_path: Path) -> None:
    formation = tmp_path / "formation.json"
    formation.write_text(json.dumps({"web": {"size": "standard-2x", "quantity": 3}, "worker": {"size": "performance-m", "quantity": 1}}))
    out = tmp_path / "karpenter.yaml"
    done = subprocess.run(
        [CLI, "plan", "--formation", str(formation), "--pods", json.dumps(PODS), "--karpenter", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(out.read_text()) if d is not None]
    assert sorted(d["kind"] for d in docs) == ["EC2NodeClass", "NodePool"]
    for doc in docs:
        crd_check(doc)


def good_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    config = dynoshift.karpenter_config(REQUESTS[0])
    return copy.deepcopy(config["node_pool"]), copy.deepcopy(config["node_class"])


def broken(change: str) -> dict[str, Any]:
    """A generated object with one defect."""
    pool, node_class = good_pair()
    spec, template = pool["spec"], pool["spec"]["template"]["spec"]
    if change == "unknown field":
        spec["disruption"]["consolidateAfterr"] = "1m"
    elif change == "v1beta1 nodeClassRef":
        template["nodeClassRef"]["apiVersion"] = "karpenter.k8s.aws/v1beta1"
    elif change == "v1beta1 policy":
        spec["disruption"]["consolidationPolicy"] = "WhenUnderutilized"
    elif change == "wrong type":
        spec["weight"] = "10"
    elif change == "bad duration":
        template["expireAfter"] = "30d"
    elif change == "old apiVersion":
        pool["apiVersion"] = "karpenter.sh/v1beta1"
    elif change == "namespaced":
        pool["metadata"]["namespace"] = "default"
    elif change == "bad name":
        pool["metadata"]["name"] = "Shop_Web"
    elif change == "restricted label key":
        template["requirements"].append({"key": "kubernetes.io/hostname", "operator": "In", "values": ["a"]})
    elif change == "empty In":
        template["requirements"][0]["values"] = []
    elif change == "role and profile":
        node_class["spec"]["instanceProfile"] = "shop-nodes"
        return node_class
    elif change == "unsupported alias":
        node_class["spec"]["amiSelectorTerms"] = [{"alias": "ubuntu@latest"}]
        return node_class
    elif change == "no subnets":
        node_class["spec"]["subnetSelectorTerms"] = []
        return node_class
    elif change == "unknown class field":
        node_class["spec"]["amiFamilly"] = "AL2023"
        return node_class
    else:
        raise AssertionError(change)
    return pool


@pytest.mark.parametrize(
    "change",
    ["unknown field", "v1beta1 nodeClassRef", "v1beta1 policy", "wrong type", "bad duration", "old apiVersion",
     "namespaced", "bad name", "restricted label key", "empty In", "role and profile", "unsupported alias",
     "no subnets", "unknown class field"],
)
def test_the_crd_check_refuses(change: str) -> None:
    obj = broken(change)
    with pytest.raises(CrdViolation):
        CRDS[obj["kind"]].validate(obj)


def test_every_hand_written_rule_check_is_for_a_rule_of_the_crds() -> None:
    """A check keyed by a misspelt rule text would never run: each must match a vendored rule."""
    rules = CRDS["NodePool"].rules("v1") | CRDS["EC2NodeClass"].rules("v1")
    for text in EXACT_RULES:
        assert text in rules, text
    assert len(rules) > len(EXACT_RULES)


def test_strictness_is_what_refuses_an_unknown_field() -> None:
    """The CRD as published lets an unknown field through (the API server prunes it); the check
    refuses it only because of the added `additionalProperties: false`."""
    pool = broken("unknown field")
    schema = CRDS["NodePool"].schemas["v1"]
    assert not list(jsonschema.Draft7Validator(schema).iter_errors(pool))
    assert list(jsonschema.Draft7Validator(strict(schema)).iter_errors(pool))


def test_the_vendored_files_are_the_ones_the_readme_names() -> None:
    readme = (SCHEMAS / "README.md").read_text()
    for path in [*KARPENTER_CRDS, SCHEMAS / "alb-ingress-annotations.json"]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{path.name}" in readme and digest in readme, f"{path.name} {digest} is not in {SCHEMAS / 'README.md'}"
    table = json.loads((SCHEMAS / "alb-ingress-annotations.json").read_text())
    assert table["source"]["commit"] in readme


# ---- the ALB Ingress ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("alb-logs")
    (where / "formation.json").write_text(json.dumps({"web": {"size": "standard-1x", "quantity": 2, "command": "web"}}))
    subprocess.run(
        [CLI, "synth-logs", "--formation", "formation.json", "--duration", "1h", "-o", "app.log.gz"],
        cwd=where, check=True, capture_output=True, timeout=300,
    )
    return where


def ingress(logs: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [CLI, "manifests", "--formation", str(logs / "formation.json"), "--logs", str(logs / "app.log.gz"),
         "--image", "shop:v1", "--domains", "www.shop.example", *extra],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = [d for d in yaml.safe_load_all(done.stdout) if d is not None and d["kind"] == "Ingress"]
    assert len(found) == 1, done.stdout
    obj: dict[str, Any] = found[0]
    return obj


@pytest.mark.parametrize(
    "extra", [[], ["--certificate-arn", CERT], ["--certificate-arn", CERT, "--health-path", "/healthz"]],
    ids=["http-only", "https", "https-health-path"],
)
def test_the_ingress_annotations_are_documented(logs: Path, extra: list[str]) -> None:
    annotations: dict[str, str] = ingress(logs, *extra)["metadata"]["annotations"]
    written = sorted(k for k in annotations if k.startswith("alb.ingress.kubernetes.io/"))
    assert ALB.check(annotations) == written
    assert len(written) >= 6
    # across annotations, as the reference says: ssl-redirect names a port of an HTTPS listener
    ports = json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"])
    if "alb.ingress.kubernetes.io/ssl-redirect" in annotations:
        assert {"HTTPS": int(annotations["alb.ingress.kubernetes.io/ssl-redirect"])} in ports
        assert "alb.ingress.kubernetes.io/certificate-arn" in annotations
    else:
        assert all("HTTPS" not in p for p in ports)


BASE = {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    "alb.ingress.kubernetes.io/ssl-redirect": "443",
    "alb.ingress.kubernetes.io/success-codes": "200-399",
    "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=60",
    "alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=15",
    "alb.ingress.kubernetes.io/actions.redirect-www": '{"type":"redirect"}',
    "dynoshift.dev/timeouts": "not an ALB annotation: not checked",
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("alb.ingress.kubernetes.io/healthcheck-paths", "/"),  # misspelt name
        ("alb.ingress.kubernetes.io/idle-timeout", "60"),  # not an annotation at all
        ("alb.ingress.kubernetes.io/scheme", "public"),
        ("alb.ingress.kubernetes.io/target-type", "pod"),
        ("alb.ingress.kubernetes.io/listen-ports", '[{"HTTP": "80"}]'),
        ("alb.ingress.kubernetes.io/listen-ports", '[{"TCP": 80}]'),
        ("alb.ingress.kubernetes.io/listen-ports", '[{"HTTP": 80}, {"HTTPS": 80}]'),
        ("alb.ingress.kubernetes.io/listen-ports", "HTTP:80"),
        ("alb.ingress.kubernetes.io/ssl-redirect", "yes"),
        ("alb.ingress.kubernetes.io/success-codes", "2xx"),
        ("alb.ingress.kubernetes.io/healthcheck-path", "healthz"),
        ("alb.ingress.kubernetes.io/certificate-arn", "arn:aws:iam::123456789012:server-certificate/x"),
        ("alb.ingress.kubernetes.io/load-balancer-attributes", "idle_timeout=60"),
        ("alb.ingress.kubernetes.io/load-balancer-attributes", "idle_timeout.timeout_seconds"),
        ("alb.ingress.kubernetes.io/target-group-attributes", "deregistration_delay.timeout_seconds=4000"),
        ("alb.ingress.kubernetes.io/target-group-attributes", "deregistration_delay.timeout=30"),
    ],
)
def test_the_annotation_check_refuses(name: str, value: str) -> None:
    assert ALB.check(BASE)  # the base set passes
    with pytest.raises(AnnotationViolation, match=re.escape(name)):
        ALB.check({**BASE, name: value})


def test_annotation_location_is_checked() -> None:
    # ssl-redirect is documented for an Ingress only; target-type for a Service too
    assert ALB.check({"alb.ingress.kubernetes.io/target-type": "ip"}, location="Service")
    with pytest.raises(AnnotationViolation, match="not Service"):
        ALB.check({"alb.ingress.kubernetes.io/ssl-redirect": "443"}, location="Service")

"""Strict validation of custom resources against a vendored CRD (tests/k8s/schemas/), and of the
AWS Load Balancer Controller annotations against the table derived from its annotation reference.

CRDs: the object is checked against the ``openAPIV3Schema`` of the CRD version its apiVersion
names, with jsonschema, made strict: wherever a schema lists ``properties`` and neither preserves
unknown fields nor says what extra keys may be, extra keys are refused (the API server prunes
them silently, which would hide a misspelt field). ``metadata`` is checked as far as a new
object needs (a DNS-1123 name, string labels and annotations, no namespace on a cluster-scoped
kind). The CRD's CEL rules (``x-kubernetes-validations``) are not evaluated by a CEL engine: the
few whose exact text is known here are checked by hand, transition rules (``oldSelf``) do not
apply to a new object, and every other rule is reported back as unchecked."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # ships no type information
import yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "tests" / "k8s" / "schemas"
KARPENTER_CRDS = [
    SCHEMAS / "karpenter" / "karpenter.sh_nodepools.yaml",
    SCHEMAS / "karpenter" / "karpenter.k8s.aws_ec2nodeclasses.yaml",
]
ALB_TABLE = SCHEMAS / "alb-ingress-annotations.json"

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
OBJECT_META_KEYS = {"name", "labels", "annotations", "namespace", "finalizers"}


class CrdViolation(Exception):
    """The object does not satisfy the CRD; the message says where and why."""


def strict(schema: Any) -> Any:
    """A copy of `schema` in which every object schema with `properties` refuses other keys,
    unless it preserves unknown fields or already says what other keys may be."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields", False)
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    return out


# ---- the CEL rules checked by hand, keyed by their exact text in the CRD ----------------------

def _has(obj: Any, key: str) -> bool:
    return isinstance(obj, dict) and key in obj


_LIST = r"\[((?:\s*['\"][^'\"]*['\"]\s*,?)*)\]"


def _strings(listed: str) -> list[str]:
    return re.findall(r"['\"]([^'\"]*)['\"]", listed)


def _label_domain(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else key


_INT_VALUE = re.compile(r"^\+?[0-9]+$")

EXACT_RULES: dict[str, Callable[[Any], bool]] = {
    "self != ''": lambda v: v != "",
    "self.size() != 0": lambda v: len(v) != 0,
    "self.all(k, k != '' && self[k] != '')": lambda v: all(k != "" and v[k] != "" for k in v),
    "self.all(k, k != '')": lambda v: all(k != "" for k in v),
    "(has(self.role) && !has(self.instanceProfile)) || (!has(self.role) && has(self.instanceProfile))":
        lambda v: _has(v, "role") != _has(v, "instanceProfile"),
    "self.all(x, x.operator == 'In' ? x.values.size() != 0 : true)":
        lambda v: all(len(x.get("values", [])) != 0 for x in v if x["operator"] == "In"),
    "!(self.exists(x, has(x.alias)) && self.size() != 1)":
        lambda v: not (any(_has(x, "alias") for x in v) and len(v) != 1),
    "self.all(x, has(x.tags) || has(x.id))": lambda v: all(_has(x, "tags") or _has(x, "id") for x in v),
    "self.all(x, has(x.tags) || has(x.id) || has(x.name))":
        lambda v: all(_has(x, "tags") or _has(x, "id") or _has(x, "name") for x in v),
    "self.matches('^[a-zA-Z0-9]+@.+$')": lambda v: re.match(r"^[a-zA-Z0-9]+@.+$", v) is not None,
    "self.amiSelectorTerms.exists(x, has(x.alias)) ? true : has(self.amiFamily)":
        lambda v: any(_has(x, "alias") for x in v["amiSelectorTerms"]) or _has(v, "amiFamily"),
    "self.all(x, has(x.tags) || has(x.id) || has(x.name) || has(x.alias) || has(x.ssmParameter))":
        lambda v: all(any(_has(x, k) for k in ("tags", "id", "name", "alias", "ssmParameter")) for x in v),
    "!self.exists(x, has(x.id) && (has(x.alias) || has(x.tags) || has(x.name) || has(x.owner)))":
        lambda v: not any(_has(x, "id") and any(_has(x, k) for k in ("alias", "tags", "name", "owner")) for x in v),
    "!self.exists(x, has(x.alias) && (has(x.id) || has(x.tags) || has(x.name) || has(x.owner)))":
        lambda v: not any(_has(x, "alias") and any(_has(x, k) for k in ("id", "tags", "name", "owner")) for x in v),
    "!self.all(x, has(x.id) && (has(x.tags) || has(x.name)))":
        lambda v: not all(_has(x, "id") and (_has(x, "tags") or _has(x, "name")) for x in v),
    "!self.all(x, has(x.name) && (has(x.tags) || has(x.id)))":
        lambda v: not all(_has(x, "name") and (_has(x, "tags") or _has(x, "id")) for x in v),
    "!self.all(x, has(x.id) && has(x.tags))": lambda v: not all(_has(x, "id") and _has(x, "tags") for x in v),
    "self.split('@')[0] in ['windows2019','windows2022','windows2025'] ? self.split('@')[1] == 'latest' : true":
        lambda v: v.split("@")[0] not in ("windows2019", "windows2022", "windows2025") or v.split("@")[1] == "latest",
    "self.all(x, (x.operator == 'In' && has(x.minValues)) ? x.values.size() >= x.minValues : true)":
        lambda v: all(len(x.get("values", [])) >= x["minValues"] for x in v if x["operator"] == "In" and "minValues" in x),
    "self.all(x, (x.operator == 'Gt' || x.operator == 'Lt' || x.operator == 'Gte' || x.operator == 'Lte') ? "
    "(x.values.size() == 1 && int(x.values[0]) >= 0) : true)":
        lambda v: all(
            len(x.get("values", [])) == 1 and _INT_VALUE.match(x["values"][0]) is not None
            for x in v
            if x["operator"] in ("Gt", "Lt", "Gte", "Lte")
        ),
    "!has(self.replicas) || !has(self.weight)": lambda v: not (_has(v, "replicas") and _has(v, "weight")),
    "!has(self.replicas) || (!has(self.limits) || size(self.limits) == 0 || "
    "(size(self.limits) == 1 && 'nodes' in self.limits))":
        lambda v: not _has(v, "replicas") or len(v.get("limits", {})) == 0 or list(v["limits"]) == ["nodes"],
}

# `self in [..] || !self.find("^([^/]+)").endsWith("domain")` on a label key, and the same over
# every key of a label map (`self.all(x, x in [..] || !x.find(..).endsWith(..))`)
_KEY_DOMAIN = re.compile(r'^self in ' + _LIST + r' \|\| !self\.find\("\^\(\[\^/\]\+\)"\)\.endsWith\("([^"]+)"\)$')
_MAP_DOMAIN = re.compile(
    r'^self\.all\(x, x in ' + _LIST + r' \|\| !x\.find\("\^\(\[\^/\]\+\)"\)\.endsWith\("([^"]+)"\)\)$'
)
_KEY_NOT = re.compile(r'^self != "([^"]+)"$')
_MAP_NOT = re.compile(r'^self\.all\(x, x != "([^"]+)"\)$')
_FAMILY = re.compile(r"^self\.split\('@'\)\[0\] in " + _LIST + r"$")
# `!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) && x.alias.find('^[^@]+')
# == 'al2') ? (self.amiFamily == 'Custom' || self.amiFamily == 'AL2') : true)`, one per family
_ALIAS_FAMILY = re.compile(
    r"^!has\(self\.amiFamily\) \|\| \(self\.amiSelectorTerms\.exists\(x, has\(x\.alias\) && "
    r"x\.alias\.find\('\^\[\^@\]\+'\) == '([a-z0-9]+)'\) \? \(self\.amiFamily == 'Custom' \|\| "
    r"self\.amiFamily == '([A-Za-z0-9]+)'\) : true\)$"
)


def _alias_family_ok(v: Any, alias: str, family: str) -> bool:
    if not _has(v, "amiFamily"):
        return True
    uses = any(_has(x, "alias") and x["alias"].split("@")[0] == alias for x in v["amiSelectorTerms"])
    return not uses or v["amiFamily"] in ("Custom", family)


def _domain_ok(key: str, allowed: list[str], domain: str) -> bool:
    return key in allowed or not _label_domain(key).endswith(domain)


def _rule_check(rule: str) -> Callable[[Any], bool] | None:
    if rule in EXACT_RULES:
        return EXACT_RULES[rule]
    if m := _KEY_DOMAIN.match(rule):
        allowed, domain = _strings(m.group(1)), m.group(2)
        return lambda v: _domain_ok(v, allowed, domain)
    if m := _MAP_DOMAIN.match(rule):
        allowed, domain = _strings(m.group(1)), m.group(2)
        return lambda v: all(_domain_ok(k, allowed, domain) for k in v)
    if m := _KEY_NOT.match(rule):
        banned = m.group(1)
        return lambda v: v != banned
    if m := _MAP_NOT.match(rule):
        banned = m.group(1)
        return lambda v: banned not in v
    if m := _ALIAS_FAMILY.match(rule):
        alias, family = m.group(1), m.group(2)
        return lambda v: _alias_family_ok(v, alias, family)
    if m := _FAMILY.match(rule):
        families = _strings(m.group(1))
        return lambda v: v.split("@")[0] in families
    return None


@dataclass
class Report:
    """What a validation covered: the CEL rules checked by hand at some place in the object,
    the transition rules (not applicable to a new object), the rules on fields the object has
    that were left unchecked, and the rules on fields the object does not set."""

    checked: set[str] = field(default_factory=set)
    transition: set[str] = field(default_factory=set)
    unchecked: set[str] = field(default_factory=set)
    not_reached: set[str] = field(default_factory=set)


def _cel(schema: Any, value: Any, path: str, report: Report) -> None:
    """Apply the CEL rules of `schema` (and of its sub-schemas) to `value`."""
    if not isinstance(schema, dict):
        return
    for entry in schema.get("x-kubernetes-validations", []):
        rule = entry["rule"]
        if "oldSelf" in rule:
            report.transition.add(rule)
            continue
        check = _rule_check(rule)
        if check is None:
            report.unchecked.add(rule)
            continue
        report.checked.add(rule)
        if not check(value):
            raise CrdViolation(f"{path}: {entry['message']} (rule: {rule})")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            _cel(sub, item, f"{path}.{key}", report)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _cel(schema["items"], item, f"{path}[{i}]", report)


def _all_rules(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for entry in schema.get("x-kubernetes-validations", []):
            found.add(entry["rule"])
        for value in schema.values():
            found |= _all_rules(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _all_rules(item)
    return found


class Crd:
    """One vendored CustomResourceDefinition."""

    def __init__(self, path: Path) -> None:
        doc = yaml.safe_load(path.read_text())
        assert doc["kind"] == "CustomResourceDefinition", path
        self.path = path
        self.group: str = doc["spec"]["group"]
        self.kind: str = doc["spec"]["names"]["kind"]
        self.cluster_scoped = doc["spec"]["scope"] == "Cluster"
        self.schemas: dict[str, Any] = {
            v["name"]: v["schema"]["openAPIV3Schema"] for v in doc["spec"]["versions"] if v.get("served", False)
        }

    def rules(self, version: str) -> set[str]:
        """Every CEL rule of the version's schema."""
        return _all_rules(self.schemas[version])

    def validate(self, obj: Any) -> Report:
        """Raise CrdViolation unless `obj` is a valid new object of this CRD; say which CEL
        rules were checked and which were not."""
        if not isinstance(obj, dict):
            raise CrdViolation(f"{self.kind}: not a mapping")
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        if group != self.group or version not in self.schemas:
            raise CrdViolation(
                f"apiVersion {obj.get('apiVersion')!r}: {self.kind} is served as "
                f"{', '.join(f'{self.group}/{v}' for v in self.schemas)}"
            )
        if obj.get("kind") != self.kind:
            raise CrdViolation(f"kind {obj.get('kind')!r} is not {self.kind}")
        self._metadata(obj.get("metadata"))
        schema = self.schemas[version]
        validator = jsonschema.Draft7Validator(strict(schema))
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        if errors:
            raise CrdViolation(
                "; ".join(f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)
            )
        report = Report()
        _cel(schema, obj, self.kind, report)
        report.not_reached = self.rules(version) - report.checked - report.transition - report.unchecked
        return report

    def _metadata(self, meta: Any) -> None:
        if not isinstance(meta, dict):
            raise CrdViolation("metadata: not a mapping")
        unknown = set(meta) - OBJECT_META_KEYS
        if unknown:
            raise CrdViolation(f"metadata: unknown fields {sorted(unknown)}")
        name = meta.get("name")
        if not isinstance(name, str) or len(name) > 253 or not DNS_SUBDOMAIN.match(name):
            raise CrdViolation(f"metadata.name {name!r} is not a DNS-1123 subdomain")
        if self.cluster_scoped and "namespace" in meta:
            raise CrdViolation(f"metadata.namespace: {self.kind} is cluster-scoped")
        for key in ("labels", "annotations"):
            values = meta.get(key, {})
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise CrdViolation(f"metadata.{key}: values must be strings")


def karpenter_crds() -> dict[str, Crd]:
    """The vendored Karpenter CRDs by kind."""
    crds = [Crd(p) for p in KARPENTER_CRDS]
    return {c.kind: c for c in crds}


# ---- AWS Load Balancer Controller annotations ---------------------------------------------------

class AnnotationViolation(Exception):
    """An alb.ingress.kubernetes.io annotation is not documented, or its value not of the
    documented form."""


ALB_PREFIX = "alb.ingress.kubernetes.io/"
_INT = re.compile(r"^-?[0-9]+$")
_CODES = re.compile(r"^[0-9]{1,3}(-[0-9]{1,3})?(,[0-9]{1,3}(-[0-9]{1,3})?)*$")


def _listen_ports(value: str) -> None:
    try:
        ports = json.loads(value)
    except json.JSONDecodeError as e:
        raise AnnotationViolation(f"not JSON: {e}") from None
    if not isinstance(ports, list) or not ports:
        raise AnnotationViolation("not a non-empty JSON list")
    seen: set[int] = set()
    for entry in ports:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise AnnotationViolation(f"{entry!r} is not one {{protocol: port}} pair")
        ((protocol, port),) = entry.items()
        if protocol not in ("HTTP", "HTTPS"):
            raise AnnotationViolation(f"protocol {protocol!r} is not HTTP or HTTPS")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise AnnotationViolation(f"port {port!r} is not an integer 1-65535")
        if port in seen:
            raise AnnotationViolation(f"port {port} listed twice (the doc: no duplicate ports)")
        seen.add(port)


def _string_map(value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in value.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep or not key or not val:
            raise AnnotationViolation(f"{part!r} is not key=value")
        pairs[key] = val
    return pairs


class AlbAnnotations:
    """The annotation table derived from the controller's annotation reference."""

    def __init__(self, path: Path = ALB_TABLE) -> None:
        self.table: dict[str, Any] = json.loads(path.read_text())
        self.annotations: dict[str, Any] = self.table["annotations"]

    def _entry(self, name: str) -> dict[str, Any]:
        suffix = name[len(ALB_PREFIX):]
        if suffix in self.annotations:
            entry: dict[str, Any] = self.annotations[suffix]
            return entry
        for pattern, entry in self.table["templated"].items():
            if re.fullmatch(pattern, suffix):
                return dict(entry)
        raise AnnotationViolation(f"{name}: not a documented annotation")

    def check(self, annotations: dict[str, str], location: str = "Ingress") -> list[str]:
        """Check every alb.ingress.kubernetes.io annotation; the names checked."""
        checked: list[str] = []
        for name, value in sorted(annotations.items()):
            if not name.startswith(ALB_PREFIX):
                continue
            entry = self._entry(name)
            if location not in entry["location"]:
                raise AnnotationViolation(f"{name}: documented for {entry['location']}, not {location}")
            if not isinstance(value, str):
                raise AnnotationViolation(f"{name}: the value must be a string, not {value!r}")
            try:
                self._value(entry, value)
            except AnnotationViolation as e:
                raise AnnotationViolation(f"{name}: {value!r}: {e}") from None
            checked.append(name)
        return checked

    def _value(self, entry: dict[str, Any], value: str) -> None:
        kind = entry["type"]
        if "enum" in entry:
            if value not in entry["enum"]:
                raise AnnotationViolation(f"not one of {entry['enum']}")
        elif kind == "integer":
            if not _INT.match(value):
                raise AnnotationViolation("not an integer")
            low, high = entry.get("range", [None, None])
            if (low is not None and int(value) < low) or (high is not None and int(value) > high):
                raise AnnotationViolation(f"outside {low}-{high}")
        elif kind == "boolean":
            if value not in ("true", "false"):
                raise AnnotationViolation("not 'true' or 'false'")
        elif kind == "listen-ports":
            _listen_ports(value)
        elif kind == "status-codes":
            if not _CODES.match(value):
                raise AnnotationViolation("not a status code, a list (200,201) or a range (200-399)")
        elif kind == "path":
            if not value.startswith("/"):
                raise AnnotationViolation("not an absolute path")
        elif kind == "stringList":
            items = [s.strip() for s in value.split(",")]
            pattern = entry.get("item_pattern")
            if not all(items) or (pattern and not all(re.fullmatch(pattern, s) for s in items)):
                raise AnnotationViolation(f"not a comma-separated list of {pattern or 'names'}")
        elif kind == "stringMap":
            pairs = _string_map(value)
            keys = entry.get("keys")
            if keys is not None:
                for key, val in pairs.items():
                    if key not in keys:
                        raise AnnotationViolation(f"{key!r} is not a documented key ({', '.join(sorted(keys))})")
                    if not re.fullmatch(keys[key], val):
                        raise AnnotationViolation(f"{key}={val!r} does not match {keys[key]}")
        elif kind not in ("string", "json"):
            raise AnnotationViolation(f"unknown type {kind!r} in the table")

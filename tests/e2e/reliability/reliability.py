#!/usr/bin/env python3
"""`make reliability` / `make reliability-smoke`: the cutover CLI against moto_server on loopback.

1. crash and resume: SIGKILL `dynoshift cutover run|resume|rollback` at seeded random moments
   (including inside change batches, before and after moto applied them), resume until the run
   ends, and check the invariants (invariants.py) after every kill and at the end;
2. Route53 faults: the same runs through a fault proxy (r53proxy.py) at a 30% fault rate;
3. fleet: 200 hostnames in one change batch per stage; HTTP gates at >= 500 probes/s with RSS;
4. concurrency: two processes start the same cutover at once, exactly one proceeds;
5. shared state: the crash-and-resume loop with the journal in S3 (moto), every invocation a
   fresh process in a fresh working directory with only the S3 URL and the plan in common, with
   S3 faults in the proxy (503 SlowDown, replies dropped after a write landed, PreconditionFailed
   races on conditional writes).

Only loopback is used; moto and the CLI come from the Makefile (DYNOSHIFT_MOTO_SERVER,
DYNOSHIFT_CLI). Credentials are dummies and never printed. Exit status 1 on any broken state.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import boto3  # type: ignore[import-untyped]  # from the test venv (moto[server] brings it)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import invariants as inv  # noqa: E402
from r53proxy import FAULT_TYPES, FaultProxy  # noqa: E402

HEROKU = "shop-1a2b.herokudns.com"
AWS = "shop-lb-1.us-east-1.elb.amazonaws.com"
ORIGINAL_TTL = 2
EXIT_CONFLICT = 4
EXIT_ROLLED_BACK = 6
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def log(msg: str) -> None:
    print(msg, flush=True)


# ---- moto -----------------------------------------------------------------------------------
class Moto:
    def __init__(self, binary: str, work: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = open(work / "moto.log", "wb")
        self.proc = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"moto_server did not start on 127.0.0.1:{self.port}")
                time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.r53 = boto3.client(
            "route53", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        self.s3 = boto3.client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        self.bucket = "dynoshift-journals"
        self.s3.create_bucket(Bucket=self.bucket)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def seed_zone(moto: Moto, zone: str, hosts: list[str]) -> tuple[str, dict[str, dict[str, Any]]]:
    """A fresh hosted zone with each host a simple CNAME to Heroku (TTL 2): the 'originals'."""
    z = moto.r53.create_hosted_zone(Name=zone, CallerReference=str(uuid.uuid4()))
    zone_id = z["HostedZone"]["Id"].split("/")[-1]
    changes = [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": h, "Type": "CNAME", "TTL": ORIGINAL_TTL, "ResourceRecords": [{"Value": HEROKU}]}}
        for h in hosts
    ]
    for i in range(0, len(changes), 300):
        moto.r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes[i:i + 300]})
    return zone_id, {inv.norm(h): {"value": HEROKU, "ttl": ORIGINAL_TTL} for h in hosts}


def make_plan(zone: str, hosts: list[str], **kw: Any) -> dict[str, Any]:
    plan = {
        "hostnames": hosts, "zone": zone, "heroku_target": HEROKU, "aws_target": AWS,
        "stages": [10, 50, 100], "soak_seconds": 2, "tick_seconds": 1, "ttl": 1,
        "poll_seconds": 1, "insync_timeout_seconds": 3, "rollback": "graduated",
        "lock_ttl_seconds": 120,
    }
    plan.update(kw)
    return plan


def read_journal(path: Path) -> Optional[dict[str, Any]]:
    try:
        journal: dict[str, Any] = json.loads(path.read_text())
        return journal
    except FileNotFoundError:
        return None


def read_s3_journal(moto: Moto, key: str) -> Optional[dict[str, Any]]:
    """The journal object, read straight from moto (not through the fault proxy)."""
    try:
        body = moto.s3.get_object(Bucket=moto.bucket, Key=key)["Body"].read()
    except moto.s3.exceptions.NoSuchKey:
        return None
    journal: dict[str, Any] = json.loads(body)
    return journal


def last_event(stdout: Path) -> Optional[str]:
    ev = None
    try:
        for line in stdout.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"type"' in line:
                try:
                    ev = json.loads(line).get("event", json.loads(line)).get("type") or ev
                except (ValueError, AttributeError):
                    pass
    except FileNotFoundError:
        pass
    return ev


def error_kind(stderr: str) -> str:
    s = stderr.lower()
    for k in ("throttled", "unavailable", "timeout", "conflict", "not_found", "internal", "invalid_input"):
        if k in s:
            return k
    return "exit"


class Ctx:
    def __init__(self, args: argparse.Namespace, moto: Moto, work: Path) -> None:
        self.args = args
        self.moto = moto
        self.work = work
        self.rng = random.Random(args.seed)
        self.broken: list[str] = []
        self.env = {**os.environ, **DUMMY_ENV}
        self.n = 0

    def fresh(self, prefix: str, nhosts: int = 2) -> tuple[str, list[str]]:
        self.n += 1
        zone = f"{prefix}{self.n}.test"
        hosts = ["www." + zone, "api." + zone][:nhosts] if nhosts <= 2 else [f"h{i:03d}.{zone}" for i in range(nhosts)]
        return zone, hosts

    def cli(self, action: str, plan: Path, journal: Path | str, endpoint: str, extra: list[str], out: Path, err: Path,
            cwd: Optional[Path] = None) -> subprocess.Popen[bytes]:
        cmd = [self.args.cli, "cutover", action, "--plan", str(plan), "--journal", str(journal), "--endpoint-url", endpoint, "--api-timeout-seconds", str(self.args.api_timeout), "--json", *extra]
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(out, "wb"), stderr=open(err, "wb"), env=self.env, cwd=cwd)

    def flag(self, where: str, problems: list[str]) -> None:
        for p in problems:
            self.broken.append(f"{where}: {p}")
            log(f"  BROKEN {where}: {p}")


# ---- self-test: the checker must flag bad states ------------------------------------------
def self_test(ctx: Ctx) -> int:
    zone, hosts = ctx.fresh("selftest")
    zone_id, originals = seed_zone(ctx.moto, zone, hosts)
    plan = make_plan(zone, hosts)
    r53 = ctx.moto.r53

    def put(host: str, hw: int, aw: int, ttl: int = 1) -> list[dict[str, Any]]:
        return [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": host, "Type": "CNAME", "SetIdentifier": sid, "Weight": w, "TTL": ttl, "ResourceRecords": [{"Value": v}]}}
            for sid, w, v in (("heroku", hw, HEROKU), ("aws", aw, AWS))
        ]

    def snap() -> list[dict[str, Any]]:
        return inv.read_zone(r53, zone_id)

    caught = 0
    assert not inv.check_snapshot(plan, originals, snap(), None), "the seeded zone must pass"
    delete = [{"Action": "DELETE", "ResourceRecordSet": {"Name": h, "Type": "CNAME", "TTL": ORIGINAL_TTL, "ResourceRecords": [{"Value": HEROKU}]}} for h in hosts]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": delete + put(hosts[0], 90, 10) + put(hosts[1], 90, 10)})
    journal = {"steps": [{"kind": {"kind": "stage", "index": 0}, "target": {"kind": "weighted", "percent": 10}, "status": "written"}]}
    assert not inv.check_snapshot(plan, originals, snap(), journal), inv.check_snapshot(plan, originals, snap(), journal)
    cases = [
        ("half-applied between hostnames", put(hosts[1], 50, 50), journal),
        ("weights of no stage (half-applied pair)", put(hosts[0], 50, 10) + put(hosts[1], 50, 10), journal),
        ("every weight 0", put(hosts[0], 0, 0) + put(hosts[1], 0, 0), journal),
        ("state the journal does not allow", put(hosts[0], 0, 100) + put(hosts[1], 0, 100), journal),
        ("TTL trap", put(hosts[0], 90, 10, 300) + put(hosts[1], 90, 10, 300), journal),
    ]
    for name, changes, j in cases:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
        if inv.check_snapshot(plan, originals, snap(), j):
            caught += 1
        else:
            raise SystemExit(f"self-test: the checker missed: {name}")
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": put(hosts[0], 90, 10) + put(hosts[1], 90, 10)})
    # a rollback that does not restore exactly, a leftover lock, a repeated stage
    bad_final = {
        "plan": plan, "mode": {"mode": "rolling_back", "rollback": "graduated"}, "outcome": {"outcome": "rolled_back"},
        "steps": [
            {"kind": {"kind": "convert"}, "target": {"kind": "weighted", "percent": 0}, "status": "done"},
            {"kind": {"kind": "stage", "index": 0}, "target": {"kind": "weighted", "percent": 10}, "status": "done"},
            {"kind": {"kind": "stage", "index": 0}, "target": {"kind": "weighted", "percent": 10}, "status": "done"},
            {"kind": {"kind": "restore"}, "target": {"kind": "original"}, "status": "done"},
        ],
    }
    probs = inv.check_final(plan, originals, snap(), bad_final, [("dynoshift r stage 10%", True), ("dynoshift r stage 10%", True)])
    for needle in ("rolled back, Route53", "repeated or skipped", "answered 2 times"):
        if not any(needle in p for p in probs):
            raise SystemExit(f"self-test: the final checker missed {needle!r}: {probs}")
        caught += 1
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "_dynoshift-lock." + hosts[0], "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"dynoshift run=x expires=1"'}]}}]})
    if not any("lock records left" in p for p in inv.check_final(plan, originals, snap(), bad_final)):
        raise SystemExit("self-test: the final checker missed a leftover lock")
    caught += 1
    return caught


# ---- 1. crash and resume --------------------------------------------------------------------
def phase_of(ev: Optional[str], journal: Optional[dict[str, Any]], in_flight: Optional[str]) -> str:
    rb = journal is not None and (journal.get("mode") or {}).get("mode") == "rolling_back"
    if in_flight == "pre":
        p = "in a change batch (not applied)"
    elif in_flight == "post":
        p = "in a change batch (applied, reply lost)"
    elif ev in (None, "run_started", "snapshot"):
        p = "startup / taking the lock"
    elif ev in ("lock_acquired", "stage_passed", "continued", "rollback_started", "drift_detected"):
        p = "before a change batch"
    elif ev == "writing":
        p = "in a change batch"
    elif ev == "change_submitted":
        p = "after a batch (INSYNC wait)"
    elif ev in ("in_sync", "ttl_wait"):
        p = "TTL wait"
    elif ev in ("soak_started", "gate_verdict", "soak_extended"):
        p = "soak"
    elif ev in ("lock_released", "promoted", "rolled_back"):
        p = "finishing (unlock)"
    else:
        p = f"after {ev}"
    return ("rollback: " if rb else "") + p


def next_action(journal: Optional[dict[str, Any]], want_rollback: bool, after_kill: bool) -> Optional[str]:
    """What an operator runs next. After a kill they resume even when the journal already
    says the run is over (it may have died before releasing its lock)."""
    if journal is None:
        return "run"
    outcome = (journal.get("outcome") or {}).get("outcome")
    rolling = (journal.get("mode") or {}).get("mode") == "rolling_back"
    if outcome == "rolled_back":
        return "resume" if after_kill else None
    if want_rollback and not rolling:
        return "rollback"
    if outcome == "promoted":
        return "resume" if after_kill else None
    return "resume"


class Stats:
    def __init__(self) -> None:
        self.kills = 0
        self.phases: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.exits: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.runs = 0


def drive(ctx: Ctx, st: Stats, tag: str, *, kills: int, scenario: str, endpoint: str, proxy: FaultProxy,
          plan_kw: dict[str, Any], est_seconds: float, timeout: float, s3: bool = False) -> None:
    """One cutover from start to end, with up to `kills` SIGKILLs; checks after each. With
    `s3`, the journal is `s3://BUCKET/ZONE/journal.json` and every invocation runs in a fresh
    working directory holding only its copy of the plan."""
    rng = ctx.rng
    zone, hosts = ctx.fresh(tag)
    zone_id, originals = seed_zone(ctx.moto, zone, hosts)
    plan = make_plan(zone, hosts, **plan_kw)
    d = ctx.work / zone
    d.mkdir()
    plan_path, journal_path = d / "plan.json", d / "journal.json"
    plan_path.write_text(json.dumps(plan))
    s3_key = f"{zone}/journal.json"
    journal_ref: Path | str = f"s3://{ctx.moto.bucket}/{s3_key}" if s3 else journal_path

    def load_journal() -> Optional[dict[str, Any]]:
        return read_s3_journal(ctx.moto, s3_key) if s3 else read_journal(journal_path)

    kills_left = kills
    rollback_after = rng.randint(1, max(1, kills)) if scenario == "rollback_mid" else None
    want_rollback = False
    run_id = None
    proxy.reset_counts()
    after_kill = False
    for attempt in range(40):
        journal = load_journal()
        if journal:
            run_id = journal["run_id"]
        if scenario == "rollback_after_promote" and journal and (journal.get("outcome") or {}).get("outcome") == "promoted":
            want_rollback = True
        action = next_action(journal, want_rollback, after_kill)
        if action is None:
            break
        extra: list[str] = []
        if action == "rollback" and rng.random() < 0.3:
            extra = ["--mode", rng.choice(["full", "graduated"])]
        out, err = d / f"out{attempt}.jsonl", d / f"err{attempt}.txt"
        killed = threading.Event()
        in_flight: list[Optional[str]] = [None]
        proc_box: list[Optional[subprocess.Popen[bytes]]] = [None]
        # ("batch", "pre"|"post", nth change batch) or ("time", seconds after start)
        kill_mode: Optional[tuple[Any, ...]] = None
        if kills_left > 0:
            r = rng.random()
            if r < 0.35:
                kill_mode = ("batch", rng.choice(["pre", "post"]), rng.randint(1, 4))
            elif r < 0.55:
                kill_mode = ("time", rng.uniform(0.0, 0.6))
            else:
                kill_mode = ("time", rng.uniform(0.0, est_seconds))
        batch_seen = [0]

        def hook(stage: str, comment: str, km: Any = kill_mode) -> bool:
            if km is None or km[0] != "batch" or killed.is_set() or proc_box[0] is None:
                return False
            if stage == km[1]:
                batch_seen[0] += 1
                if batch_seen[0] == km[2]:
                    in_flight[0] = stage
                    proc_box[0].send_signal(signal.SIGKILL)
                    proc_box[0].wait()
                    killed.set()
                    return True
            return False

        proxy.change_hook = hook
        cwd: Optional[Path] = None
        plan_arg = plan_path
        if s3:  # a fresh runner: its own directory, its own copy of the plan
            cwd = d / f"runner{attempt}"
            cwd.mkdir()
            (cwd / "plan.json").write_text(plan_path.read_text())
            plan_arg = Path("plan.json")
        preconditions_before = proxy.injected["s3_precondition"]
        proc = ctx.cli(action, plan_arg, journal_ref, endpoint, extra, out, err, cwd=cwd)
        proc_box[0] = proc
        t0 = time.time()
        try:
            if kill_mode and kill_mode[0] == "time":
                try:
                    proc.wait(kill_mode[1])
                except subprocess.TimeoutExpired:
                    in_flight[0] = proxy.in_flight_change
                    proc.send_signal(signal.SIGKILL)
                    killed.set()
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            ctx.flag(f"{zone} {action}", [f"hung: no exit within {timeout:.0f} s"])
        proxy.change_hook = None
        # wait for the proxy thread that may still be finishing a forwarded batch
        time.sleep(0.05 if not killed.is_set() else 0.3)
        journal = load_journal()
        records = inv.read_zone(ctx.moto.r53, zone_id)
        after_kill = killed.is_set() and proc.returncode == -signal.SIGKILL
        if after_kill:
            kills_left -= 1
            st.kills += 1
            ph = phase_of(last_event(out), journal, in_flight[0])
            st.phases[ph] += 1
            ctx.flag(f"{zone} kill #{kills - kills_left} ({action}, {ph})", inv.check_snapshot(plan, originals, records, journal))
            if rollback_after is not None and kills - kills_left >= rollback_after:
                want_rollback = True
        else:
            code = proc.returncode
            stderr = err.read_text(errors="replace")
            mode = (journal or {}).get("mode") or {}
            operator_rollback = mode.get("mode") == "rolling_back" and "by the operator" in mode.get("reason", "")
            if code == 0:
                st.exits["exit 0"] += 1
            elif code == EXIT_ROLLED_BACK and operator_rollback and action == "resume":
                # a resume that finished the rollback an operator asked for (its first try
                # stopped on a fault): rolled back, as asked
                st.exits["exit 6 (operator's rollback finished)"] += 1
            else:
                kind = error_kind(stderr)
                st.exits[f"stopped: {kind}"] += 1
                ctx.flag(f"{zone} {action} state after exit {code}", inv.check_snapshot(plan, originals, records, journal))
                # a PreconditionFailed race makes the writer stop fenced (`conflict`): expected
                raced = kind == "conflict" and proxy.injected["s3_precondition"] > preconditions_before
                transient = kind in ("throttled", "unavailable", "timeout") and (proxy.rate > 0 or proxy.s3_rate > 0)
                if not (raced or transient):
                    ctx.flag(f"{zone} {action}", [f"exit {code} ({kind}) {stderr.strip()[-300:]}"])
        _ = t0
    else:
        ctx.flag(zone, ["did not finish within 40 invocations"])
    journal = load_journal()
    records = inv.read_zone(ctx.moto.r53, zone_id)
    wire_all = [(c, ok) for c, ok in proxy.changes if run_id and c.startswith(f"dynoshift {run_id} ")]
    # the wire log only covers the proxy's lifetime counters for this run; every batch went through it
    ctx.flag(f"{zone} final", inv.check_final(plan, originals, records, journal, wire_all))
    outcome = ((journal or {}).get("outcome") or {}).get("outcome", "none")
    st.outcomes[outcome] += 1
    st.runs += 1
    st.faults.update(proxy.injected)
    st.calls.update(proxy.calls)


def kill_loop(ctx: Ctx, st: Stats, proxy: FaultProxy, *, tag: str, total: int, scenarios: list[str],
              timeout: float, s3: bool) -> None:
    """Cutovers with SIGKILLs until `total` kills were survived (or broke something)."""
    a = ctx.args
    try:
        i = 0
        while st.kills < total:
            scenario = scenarios[i % len(scenarios)]
            i += 1
            lo, hi = (int(x) for x in a.kills_per_run.split("-"))
            kills = min(total - st.kills, ctx.rng.randint(lo, hi))
            before = st.kills
            drive(ctx, st, tag, kills=kills, scenario=scenario, endpoint=proxy.url, proxy=proxy,
                  plan_kw={"soak_seconds": a.soak, "rollback": ctx.rng.choice(["full", "graduated"])},
                  est_seconds=4 + 4 * a.soak, timeout=timeout, s3=s3)
            faults = f", S3 faults so far {dict(st.faults)}" if s3 else ""
            log(f"  {tag} run {i} ({scenario}): {st.kills - before} kill(s), total {st.kills}/{total}{faults}, "
                f"broken so far {len(ctx.broken)}")
    finally:
        proxy.close()


def crash_suite(ctx: Ctx, st: Stats) -> None:
    proxy = FaultProxy(ctx.moto.port, change_delay=0.15)
    kill_loop(ctx, st, proxy, tag="crash", total=ctx.args.kills, timeout=120, s3=False,
              scenarios=["forward", "rollback_mid", "forward", "rollback_after_promote"])


# ---- 5. shared state: the journal in S3 -------------------------------------------------------
def s3_suite(ctx: Ctx, st: Stats) -> None:
    """The crash loop with the journal in S3: a fresh runner for every invocation, S3 faults."""
    a = ctx.args
    proxy = FaultProxy(ctx.moto.port, change_delay=0.15, seed=a.seed + 5, s3_rate=a.s3_fault_rate)
    kill_loop(ctx, st, proxy, tag="s3crash", total=a.s3_kills, timeout=180, s3=True,
              scenarios=["forward", "rollback_mid", "rollback_after_promote"])


# ---- 2. faults ------------------------------------------------------------------------------
def fault_suite(ctx: Ctx, st: Stats) -> None:
    a = ctx.args
    proxy = FaultProxy(ctx.moto.port, rate=a.fault_rate, seed=a.seed, slow_within=1.0, slow_beyond=a.api_timeout + 2)
    try:
        for i in range(a.fault_runs):
            scenario = "forward" if i % 2 == 0 else "rollback_after_promote"
            drive(ctx, st, "fault", kills=0, scenario=scenario, endpoint=proxy.url, proxy=proxy,
                  plan_kw={"soak_seconds": 1, "stages": [10, 50, 100]}, est_seconds=10, timeout=180)
            log(f"  fault run {i + 1}/{a.fault_runs} ({scenario}): faults so far {dict(st.faults)}")
    finally:
        proxy.close()


# ---- 3. fleet and gates ----------------------------------------------------------------------
def fleet(ctx: Ctx, nhosts: int) -> dict[str, Any]:
    zone, hosts = ctx.fresh("fleet", nhosts)
    zone_id, originals = seed_zone(ctx.moto, zone, hosts)
    plan = make_plan(zone, hosts, stages=[10, 25, 50, 100], soak_seconds=1)
    d = ctx.work / zone
    d.mkdir()
    (d / "plan.json").write_text(json.dumps(plan))
    proxy = FaultProxy(ctx.moto.port)
    t0 = time.time()
    try:
        proc = ctx.cli("run", d / "plan.json", d / "journal.json", proxy.url, [], d / "out.jsonl", d / "err.txt")
        code = proc.wait(600)
    finally:
        proxy.close()
    wall = time.time() - t0
    journal = read_journal(d / "journal.json")
    records = inv.read_zone(ctx.moto.r53, zone_id)
    if code != 0:
        ctx.flag(zone, [f"exit {code}: {(d / 'err.txt').read_text()[-300:]}"])
    run_id = (journal or {}).get("run_id", "?")
    wire = [(c, ok) for c, ok in proxy.changes if c.startswith(f"dynoshift {run_id} ")]
    ctx.flag(f"{zone} final", inv.check_final(plan, originals, records, journal, wire))
    stages = []
    for s in (journal or {}).get("steps", []):
        w = (s.get("written_at_ms") or 0) - s["intent_at_ms"]
        total = (s.get("done_at_ms") or 0) - s["intent_at_ms"]
        st_ = inv.step_state(s)
        stages.append({"step": f"{s['kind']['kind']} {st_}%", "write_ms": w, "total_s": total / 1000, "batches": len(s["change_ids"])})
    return {"hosts": nhosts, "wall_s": wall, "steps": stages, "calls": dict(proxy.calls)}


def gates(ctx: Ctx) -> dict[str, Any]:
    a = ctx.args
    out = subprocess.run([a.gates_bin, "--seconds", str(a.gate_seconds), "--rps", str(a.gate_rps)],
                         capture_output=True, text=True, timeout=a.gate_seconds + 120)
    if out.returncode != 0:
        ctx.flag("gates", [f"exit {out.returncode}: {out.stderr[-300:]}"])
        return {}
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rps"] < a.gate_rps * 0.95:
        ctx.flag("gates", [f"{res['rps']:.0f} probes/s < {a.gate_rps}"])
    if res["failures"]:
        ctx.flag("gates", [f"{res['failures']} failed probes against a healthy app"])
    base = res["rss_warm_kib"]
    if res["rss_end_kib"] > base * 1.10 + 2048:
        ctx.flag("gates", [f"RSS grew: warm {base} KiB -> end {res['rss_end_kib']} KiB"])
    return res


# ---- 4. concurrency ---------------------------------------------------------------------------
def concurrency(ctx: Ctx, trials: int) -> dict[str, Any]:
    offsets = [0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.0, 0.01]
    ok = 0
    rows = []
    for t in range(trials):
        zone, hosts = ctx.fresh("conc", 1)
        zone_id, originals = seed_zone(ctx.moto, zone, hosts)
        plan = make_plan(zone, hosts, soak_seconds=1)
        d = ctx.work / zone
        d.mkdir()
        (d / "plan.json").write_text(json.dumps(plan))
        shared = t % 3 == 2  # every third trial: both use the same (default-like) journal path
        ja = d / ("journal.json" if shared else "journal-a.json")
        jb = d / ("journal.json" if shared else "journal-b.json")
        off = offsets[t % len(offsets)]
        pa = ctx.cli("run", d / "plan.json", ja, ctx.moto.url, [], d / "a.out", d / "a.err")
        time.sleep(off)
        pb = ctx.cli("run", d / "plan.json", jb, ctx.moto.url, [], d / "b.out", d / "b.err")
        ca, cb = pa.wait(120), pb.wait(120)
        codes = sorted([ca, cb])
        loser_err = (d / ("b.err" if cb else "a.err")).read_text(errors="replace")
        winner_j = read_journal(ja if ca == 0 else jb) if shared is False else read_journal(ja)
        winner = (winner_j or {}).get("run_id", "?")
        fine = codes == [0, EXIT_CONFLICT] and winner in loser_err
        records = inv.read_zone(ctx.moto.r53, zone_id)
        probs = inv.check_final(plan, originals, records, winner_j)
        if not fine:
            probs.append(f"exit codes {ca}/{cb}; loser said {loser_err.strip()[-300:]!r}; winner {winner}")
        ctx.flag(f"{zone} (offset {off * 1000:.0f} ms{', shared journal' if shared else ''})", probs)
        ok += int(not probs)
        rows.append(f"offset {off * 1000:>4.0f} ms{' shared journal' if shared else ''}: exits {ca}/{cb}: {loser_err.strip().splitlines()[-1][:140] if loser_err.strip() else ''}")
    return {"trials": trials, "ok": ok, "rows": rows}


# ---- main -----------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--kills-per-run", default="2-4", help="range of SIGKILLs per cutover, e.g. 2-4")
    ap.add_argument("--soak", type=int, default=2)
    ap.add_argument("--fault-runs", type=int, default=10)
    ap.add_argument("--fault-rate", type=float, default=0.30)
    ap.add_argument("--api-timeout", type=float, default=3.0)
    ap.add_argument("--fleet-hosts", type=int, default=200)
    ap.add_argument("--gate-seconds", type=int, default=60)
    ap.add_argument("--gate-rps", type=int, default=500)
    ap.add_argument("--concurrency-trials", type=int, default=6)
    ap.add_argument("--s3-kills", type=int, default=30, help="SIGKILLs of runs journaled in S3")
    ap.add_argument("--s3-fault-rate", type=float, default=0.20, help="S3 faults per S3 request")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("RELIABILITY_SEED", "20261126")))
    ap.add_argument("--cli", default=os.environ.get("DYNOSHIFT_CLI"))
    ap.add_argument("--moto", default=os.environ.get("DYNOSHIFT_MOTO_SERVER"))
    ap.add_argument("--gates-bin", required=True)
    ap.add_argument("--only", default="selftest,crash,fault,fleet,gates,concurrency,s3")
    a = ap.parse_args()
    if not a.cli or not a.moto:
        raise SystemExit("set DYNOSHIFT_CLI and DYNOSHIFT_MOTO_SERVER (the Makefile does)")
    only = set(a.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="dynoshift-reliability-"))
    moto = Moto(a.moto, work)
    ctx = Ctx(a, moto, work)
    crash, faults, s3 = Stats(), Stats(), Stats()
    summary: dict[str, Any] = {}
    t_start = time.time()
    try:
        log(f"reliability: seed {a.seed}, moto on 127.0.0.1:{moto.port}, scratch {work}")
        if "selftest" in only:
            summary["selftest"] = self_test(ctx)
            log(f"== self-test: the checker flagged {summary['selftest']} deliberately broken states")
        if "crash" in only:
            log(f"== crash and resume: {a.kills} SIGKILLs")
            crash_suite(ctx, crash)
        if "fault" in only:
            log(f"== Route53 faults at {a.fault_rate:.0%}: {a.fault_runs} runs")
            fault_suite(ctx, faults)
        if "fleet" in only:
            log(f"== fleet: {a.fleet_hosts} hostnames")
            summary["fleet"] = fleet(ctx, a.fleet_hosts)
        if "gates" in only:
            log(f"== gates: {a.gate_rps} probes/s for {a.gate_seconds} s")
            summary["gates"] = gates(ctx)
        if "concurrency" in only:
            log(f"== concurrency: {a.concurrency_trials} trials")
            summary["conc"] = concurrency(ctx, a.concurrency_trials)
        if "s3" in only and a.s3_kills > 0:
            log(f"== journal in S3: {a.s3_kills} SIGKILLs, fresh runner each time, S3 faults at {a.s3_fault_rate:.0%}")
            s3_suite(ctx, s3)
    finally:
        moto.close()
    print_table(a, crash, faults, s3, summary, ctx.broken, time.time() - t_start)
    if ctx.broken:
        log(f"FAILED: {len(ctx.broken)} broken state(s); scratch kept in {work}")
        return 1
    return 0


def fmt_counter(c: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1])) or "-"


def print_table(a: argparse.Namespace, crash: Stats, faults: Stats, s3: Stats, s: dict[str, Any], broken: list[str],
                secs: float) -> None:
    rows: list[tuple[str, str]] = []
    if "selftest" in s:
        rows.append(("checker self-test", f"{s['selftest']} bad states flagged"))
    if crash.runs:
        rows.append(("kills survived / broken states", f"{crash.kills} / {sum(1 for b in broken if ' kill #' in b and not b.startswith('s3crash'))} (in {crash.runs} runs)"))
        for ph, n in sorted(crash.phases.items()):
            rows.append(("  kills " + ph, str(n)))
        rows.append(("crash runs: outcomes", fmt_counter(crash.outcomes)))
        rows.append(("crash runs: Route53 calls", fmt_counter(crash.calls)))
    if faults.runs:
        rows.append(("fault runs (rate)", f"{faults.runs} ({a.fault_rate:.0%})"))
        rows.append(("faults injected", f"{sum(faults.faults.values())}: {fmt_counter(faults.faults)}"))
        rows.append(("fault runs: outcomes", fmt_counter(faults.outcomes)))
        rows.append(("fault runs: invocations", fmt_counter(faults.exits)))
        rows.append(("fault runs: Route53 calls", f"{sum(faults.calls.values())}: {fmt_counter(faults.calls)}"))
    if "fleet" in s:
        f = s["fleet"]
        rows.append(("fleet", f"{f['hosts']} hostnames, {f['wall_s']:.1f} s wall"))
        for st in f["steps"]:
            rows.append((f"  {st['step']}", f"{st['batches']} batch(es), write {st['write_ms']} ms, step {st['total_s']:.1f} s"))
        rows.append(("fleet Route53 calls", f"{sum(f['calls'].values())}: {fmt_counter(f['calls'])}"))
    if s.get("gates"):
        g = s["gates"]
        rows.append(("gate probes", f"{g['rps']:.0f}/s over {g['seconds']} s ({g['probes']} probes, {g['failures']} failed)"))
        rows.append(("gate RSS (MiB)", f"start {g['rss_start_kib'] / 1024:.1f}, warm {g['rss_warm_kib'] / 1024:.1f}, peak {g['rss_peak_kib'] / 1024:.1f}, end {g['rss_end_kib'] / 1024:.1f}"))
    if "conc" in s:
        c = s["conc"]
        rows.append(("concurrency trials", f"{c['ok']}/{c['trials']} exactly one proceeded, loser exit 4 naming the holder"))
        for r in c["rows"]:
            rows.append(("  ", r))
    if s3.runs:
        s3_broken = sum(1 for b in broken if b.startswith("s3crash"))
        rows.append(("S3 journal: kills survived / broken states", f"{s3.kills} / {s3_broken} (in {s3.runs} runs, fresh runner each time)"))
        for ph, n in sorted(s3.phases.items()):
            rows.append(("  kills " + ph, str(n)))
        rows.append(("S3 journal: outcomes", fmt_counter(s3.outcomes)))
        rows.append(("S3 faults injected", f"{sum(s3.faults.values())} at {a.s3_fault_rate:.0%}: {fmt_counter(s3.faults)}"))
        rows.append(("S3 journal: invocations", fmt_counter(s3.exits)))
        s3_calls = {k: v for k, v in s3.calls.items() if k.startswith("S3 ")}
        rows.append(("S3 journal: S3 calls", f"{sum(s3_calls.values())}: {fmt_counter(s3_calls)}"))
    rows.append(("broken states", str(len(broken))))
    rows.append(("wall time", f"{secs:.0f} s"))
    w = max(len(k) for k, _ in rows)
    print("\n== reliability summary")
    print("-" * (w + 60))
    for k, v in rows:
        print(f"{k:<{w}}  {v}")
    print("-" * (w + 60))
    for b in broken[:30]:
        print("  " + b)


if __name__ == "__main__":
    sys.exit(main())

"""Invariants of a cutover, checked from Route53 as read by an independent client (boto3 straight
to moto) and from the run's journal JSON. Every check returns a list of problems (empty = fine).

States of one hostname:
  "original"   exactly the records the test seeded (simple CNAME to Heroku, its TTL)
  int p        the weighted pair at p% AWS: SetIdentifiers heroku/aws, weights (100-p, p), one
               shared TTL (the plan's), the plan's targets, and p is 0 (convert) or a plan stage
Anything else is broken (half-applied inside a group, all weights 0, foreign weights...).
"""

from __future__ import annotations

from typing import Any, Optional, Union

State = Union[str, int]
LOCK_PREFIX = "_dynoshift-lock."


def norm(name: str) -> str:
    return name.rstrip(".").lower()


def read_zone(r53: Any, zone_id: str) -> list[dict[str, Any]]:
    """Every record of the zone (all pages), names and CNAME values normalised."""
    out: list[dict[str, Any]] = []
    kw: dict[str, Any] = {"HostedZoneId": zone_id}
    while True:
        page = r53.list_resource_record_sets(**kw)
        for r in page["ResourceRecordSets"]:
            values = [v["Value"] for v in r.get("ResourceRecords", [])]
            if r["Type"] == "CNAME":
                values = [norm(v) for v in values]
            out.append(
                {
                    "name": norm(r["Name"]),
                    "type": r["Type"],
                    "ttl": r.get("TTL"),
                    "values": values,
                    "set_id": r.get("SetIdentifier"),
                    "weight": r.get("Weight"),
                }
            )
        if not page.get("IsTruncated"):
            return out
        kw["StartRecordName"] = page["NextRecordName"]
        kw["StartRecordType"] = page["NextRecordType"]
        if page.get("NextRecordIdentifier"):
            kw["StartRecordIdentifier"] = page["NextRecordIdentifier"]
        else:
            kw.pop("StartRecordIdentifier", None)


def host_state(plan: dict[str, Any], original: dict[str, Any], recs: list[dict[str, Any]]) -> tuple[Optional[State], str]:
    """(state, "") or (None, why it is broken) for one hostname's CNAME records."""
    if len(recs) == 1 and recs[0]["set_id"] is None:
        r = recs[0]
        if r["values"] == [norm(original["value"])] and r["ttl"] == original["ttl"]:
            return "original", ""
        return None, f"simple CNAME {r['values']} ttl {r['ttl']} is not the original"
    by_id = {r["set_id"]: r for r in recs}
    weights = [r["weight"] for r in recs]
    if recs and all(w == 0 for w in weights):
        return None, "every weight of the group is 0 (Route53 would split traffic equally)"
    hid = plan.get("heroku_set_identifier", "heroku")
    aid = plan.get("aws_set_identifier", "aws")
    if len(recs) != 2 or set(by_id) != {hid, aid}:
        desc = ", ".join(f"{r['set_id']}={r['weight']}" for r in recs) or "no CNAME"
        return None, f"not a heroku/aws weighted pair: {desc}"
    h, a = by_id[hid], by_id[aid]
    if h["values"] != [norm(plan["heroku_target"])] or a["values"] != [norm(plan["aws_target"])]:
        return None, f"wrong targets {h['values']} / {a['values']}"
    ttls = {h["ttl"], a["ttl"]}
    allowed_ttls = {plan.get("ttl", 60)} | ({plan["restore_ttl"]} if plan.get("restore_ttl") else set())
    if len(ttls) != 1 or not ttls <= allowed_ttls:
        return None, f"TTLs {sorted(ttls)} (the plan's is {plan.get('ttl', 60)})"
    hw, aw = h["weight"], a["weight"]
    p = aw
    if hw + aw != 100 or p not in [0, *plan["stages"]]:
        return None, f"weights heroku={hw} aws={aw} are no stage of the plan {plan['stages']}"
    return p, ""


def zone_states(plan: dict[str, Any], originals: dict[str, dict[str, Any]], records: list[dict[str, Any]]) -> tuple[dict[str, Optional[State]], list[str]]:
    problems = []
    states: dict[str, Optional[State]] = {}
    for host in plan["hostnames"]:
        recs = [r for r in records if r["name"] == norm(host) and r["type"] == "CNAME"]
        st, why = host_state(plan, originals[norm(host)], recs)
        states[host] = st
        if st is None:
            problems.append(f"{host}: {why}")
    distinct = {s for s in states.values() if s is not None}
    if len(distinct) > 1:
        problems.append(f"hostnames in different states (half-applied batch): {states}")
    return states, problems


def step_state(step: dict[str, Any]) -> State:
    t = step["target"]
    return "original" if t["kind"] == "original" else int(t["percent"])


STATUS_ORDER = ["intent", "written", "in_sync", "settled", "done"]


def allowed_states(journal: Optional[dict[str, Any]]) -> set[State]:
    """What Route53 may hold given the journal: the last written step's target (or the original
    records), plus the target of a last step only journaled as intent (written or not)."""
    if journal is None:
        return {"original"}
    steps = journal.get("steps", [])
    allowed: set[State] = set()
    written = [s for s in steps if STATUS_ORDER.index(s["status"]) >= 1]
    allowed.add(step_state(written[-1]) if written else "original")
    if steps and steps[-1]["status"] == "intent":
        allowed.add(step_state(steps[-1]))
    return allowed


def lock_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == "TXT" and r["name"].startswith(LOCK_PREFIX)]


def check_snapshot(plan: dict[str, Any], originals: dict[str, dict[str, Any]], records: list[dict[str, Any]], journal: Optional[dict[str, Any]]) -> list[str]:
    """After a kill (or any time): every group valid, all hosts alike, and where the journal
    says the run may be."""
    states, problems = zone_states(plan, originals, records)
    if problems:
        return problems
    st = next(iter(states.values()))
    allowed = allowed_states(journal)
    if st not in allowed:
        problems.append(f"Route53 at {st!r} but the journal allows only {sorted(map(str, allowed))}")
    if journal is not None and journal.get("original"):
        snap = {(norm(r["name"]), tuple(norm(v) for v in r["values"]), r.get("ttl")) for r in journal["original"]}
        seeded = {(h, (norm(o["value"]),), o["ttl"]) for h, o in originals.items()}
        if snap != seeded:
            problems.append(f"journal snapshot {sorted(snap)} differs from the seeded records {sorted(seeded)}")
    return problems


def check_steps(journal: dict[str, Any], wire: Optional[list[tuple[str, bool]]] = None) -> list[str]:
    """No stage repeated or skipped: convert, stages 0..k in order, then (rollback) descending
    rollback steps below the highest stage reached (graduated: every one of them), then restore.
    `wire`: (comment, answer delivered) of the change batches moto accepted for this run: each
    step at most once with its answer delivered (a retry after a lost answer may land again)."""
    plan = journal["plan"]
    stages = plan["stages"]
    steps = journal["steps"]
    problems = []
    kinds = [s["kind"]["kind"] for s in steps]
    for s in steps:
        if s["status"] != "done":
            problems.append(f"step {s['kind']} left {s['status']}")
    i = 0
    if kinds[:1] == ["convert"]:
        i = 1
    elif kinds != ["restore"]:  # a rollback before anything was written is just a restore
        problems.append(f"first step is {kinds[:1]}, not convert")
    expect = 0
    top = 0
    while i < len(steps) and kinds[i] == "stage":
        idx = steps[i]["kind"]["index"]
        if idx != expect:
            problems.append(f"stage index {idx} where {expect} was next (repeated or skipped)")
        top = stages[idx]
        expect = idx + 1
        i += 1
    outcome = (journal.get("outcome") or {}).get("outcome")
    if outcome == "promoted":
        if expect != len(stages):
            problems.append(f"promoted after {expect} of {len(stages)} stages")
        if i != len(steps):
            problems.append(f"steps after the last stage of a promoted run: {kinds[i:]}")
    elif outcome == "rolled_back":
        downs = []
        while i < len(steps) and kinds[i] == "rollback_step":
            downs.append(step_state(steps[i]))
            i += 1
        if downs != sorted(downs, reverse=True) or len(set(downs)) != len(downs):
            problems.append(f"rollback steps not strictly descending: {downs}")
        if any(not isinstance(d, int) or d >= top for d in downs):
            problems.append(f"rollback steps {downs} not below the highest stage {top}")
        mode = (journal.get("mode") or {}).get("rollback")
        if mode == "graduated":
            want = [p for p in reversed(stages) if p < top]
            if downs != want:
                problems.append(f"graduated rollback went {downs}, expected {want}")
        if i != len(steps) - 1 or kinds[-1] != "restore":
            problems.append(f"a rolled-back run must end with one restore: {kinds[i:]}")
    else:
        problems.append(f"run not finished: outcome {outcome}")
    if wire is not None:
        seen: dict[str, int] = {}
        for c, delivered in wire:
            seen[c] = seen.get(c, 0) + int(delivered)
        for c, n in seen.items():
            if n > 1:
                problems.append(f"change batch {c!r} accepted and answered {n} times (a repeated step)")
        labels = {"convert": "convert", "stage": "stage", "rollback_step": "rollback", "restore": "restore"}
        journal_steps, with_ids = set(), set()
        for s in steps:
            k = s["kind"]["kind"]
            st = step_state(s)
            name = f"{labels.get(k, k)} {'original' if st == 'original' else f'{st}%'}"
            journal_steps.add(name)
            if s.get("change_ids"):
                with_ids.add(name)
        got_wire = {c.split(" ", 2)[2] for c in seen if len(c.split(" ", 2)) == 3}
        # every batch moto accepted is a journaled step; every step with a change id was accepted
        # (a step may lack both when the records were already there, or the answer was lost)
        if not got_wire <= journal_steps or not with_ids <= got_wire:
            problems.append(f"batches on the wire {sorted(got_wire)} do not match the journal's steps {sorted(journal_steps)} (with change ids {sorted(with_ids)})")
    return problems


def check_final(plan: dict[str, Any], originals: dict[str, dict[str, Any]], records: list[dict[str, Any]], journal: Optional[dict[str, Any]], wire: Optional[list[tuple[str, bool]]] = None) -> list[str]:
    if journal is None:
        return ["no journal at the end of the run"]
    states, problems = zone_states(plan, originals, records)
    outcome = (journal.get("outcome") or {}).get("outcome")
    if not problems:
        st = next(iter(states.values()))
        if outcome == "promoted" and st != 100:
            problems.append(f"journal says promoted, Route53 is at {st!r}")
        if outcome == "rolled_back" and st != "original":
            problems.append(f"journal says rolled back, Route53 is at {st!r}")
    if outcome == "rolled_back":
        # exact restore: the full CNAME record sets equal the seeded ones, field by field
        for host in plan["hostnames"]:
            recs = [r for r in records if r["name"] == norm(host) and r["type"] == "CNAME"]
            o = originals[norm(host)]
            want = [{"name": norm(host), "type": "CNAME", "ttl": o["ttl"], "values": [norm(o["value"])], "set_id": None, "weight": None}]
            if recs != want:
                problems.append(f"{host}: restored {recs}, original {want}")
    locks = lock_records(records)
    if locks:
        problems.append(f"lock records left: {[(r['name'], r['values']) for r in locks]}")
    problems += check_steps(journal, wire)
    return problems

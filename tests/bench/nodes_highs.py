"""Node plans against HiGHS, an independent exact MILP solver.

Reads the fixtures `bench_nodes --export FILE` wrote (one JSON line each: the pods, the spread and
surge rules, every allowed instance type with what the planner's own allocatable model leaves to
pods, and our plan), builds the same packing problem as a MILP, solves it with HiGHS and prints,
per fixture: our cost, HiGHS's optimum (or its bound at the time limit), the ratio, both times,
and whether our plan satisfies the MILP's constraints.

The model (nothing is taken from the planner but the exported inputs and, for the size of the
model only, the cost of our plan once it is checked feasible):
- classes: one per process type, demand = replicas, + 1 pod for the surge class (the largest
  memory request, then CPU, first listed on a tie) when surge is on;
- spread: a class with >= 2 replicas holds at most replicas - 1 pods on one node (the surge pod
  counts like the others);
- node slots: for each type t, N_t candidate nodes (binary `open`), N_t = min(pods, floor(UB / price_t))
  with UB our verified plan's cost — no plan cheaper than ours has more nodes of t; integer pods
  per class on each node; per node CPU, memory and pod slots within the type's allocatable; the
  nodes of a type open in order (symmetry breaking);
- types that another type matches on CPU, memory and slots at no higher price are left out
  (a standard dominance reduction; any node of such a type could be swapped for the other).

Usage: nodes_highs.py EXPORT.jsonl [--time-limit S] [--check]
  --check: exit 1 if a plan is infeasible, HiGHS finds a cheaper plan than one we call optimal,
  our claimed lower bound exceeds HiGHS's optimum, or HiGHS's optimum is above our (feasible)
  plan (the consistency test of `make test`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import highspy

HOURS = 730.0
EPS = 1e-7


@dataclass
class Class:
    name: str
    cpu: int
    mem: int
    demand: int
    replicas: int
    cap: int


@dataclass
class NodeType:
    name: str
    cost: float
    cpu: int
    mem: int
    slots: int


def classes_of(fx: dict[str, Any]) -> tuple[list[Class], str | None]:
    out = []
    for g in fx["pods"]:
        r = int(g["replicas"])
        if r == 0:
            continue
        cap = r - 1 if fx["spread"] and r >= 2 else r
        out.append(Class(g["process_type"], int(g["cpu_millis"]), int(g["memory_mib"]), r, r, cap))
    surge = None
    if fx["surge"]:
        # largest memory request, then CPU; the first listed on a tie
        k = max(range(len(out)), key=lambda i: (out[i].mem, out[i].cpu, -i))
        out[k].demand += 1
        if not (fx["spread"] and out[k].replicas >= 2):
            out[k].cap = out[k].demand
        surge = out[k].name
    return out, surge


def types_of(fx: dict[str, Any]) -> dict[str, NodeType]:
    return {
        t["name"]: NodeType(t["name"], float(t["usd_per_hour"]), int(t["cpu_millis"]),
                            int(t["memory_mib"]), int(t["pod_slots"]))
        for t in fx["types"]
    }


def check_plan(fx: dict[str, Any], classes: list[Class], types: dict[str, NodeType]) -> list[str]:
    """Every MILP constraint our plan breaks (empty: feasible)."""
    errors = []
    by_name = {c.name: c for c in classes}
    placed = {c.name: 0 for c in classes}
    seen: set[str] = set()
    cost = 0.0
    for i, node in enumerate(fx["plan"]["nodes"]):
        t = types.get(node["instance_type"])
        if t is None:
            errors.append(f"node {i}: type {node['instance_type']} is not allowed")
            continue
        cost += t.cost
        count: dict[str, int] = {}
        for pod in node["pods"]:
            if pod in seen:
                errors.append(f"node {i}: pod {pod} placed twice")
            seen.add(pod)
            name = pod.rsplit("-", 1)[0]
            if name not in by_name:
                errors.append(f"node {i}: pod {pod} of no process type")
                continue
            count[name] = count.get(name, 0) + 1
        cpu = sum(by_name[k].cpu * n for k, n in count.items())
        mem = sum(by_name[k].mem * n for k, n in count.items())
        pods = sum(count.values())
        if cpu > t.cpu or mem > t.mem or pods > t.slots:
            errors.append(f"node {i} ({t.name}): {cpu}m/{mem}MiB/{pods} pods over "
                          f"{t.cpu}m/{t.mem}MiB/{t.slots}")
        for k, n in count.items():
            placed[k] += n
            if n > by_name[k].cap:
                errors.append(f"node {i}: {n} {k} pods, spread allows {by_name[k].cap}")
    for c in classes:
        if placed[c.name] != c.demand:
            errors.append(f"{c.name}: {placed[c.name]} pods placed, {c.demand} needed")
    if abs(cost - float(fx["plan"]["usd_per_hour"])) > 1e-5:
        errors.append(f"plan says ${fx['plan']['usd_per_hour']}/h, its nodes cost ${cost:.6f}/h")
    return errors


def pod_counts(pods: list[str]) -> str:
    """`web-1, web-2, api-1` -> `web 2, api 1` (in order of first appearance)."""
    count: dict[str, int] = {}
    for pod in pods:
        name = pod.rsplit("-", 1)[0]
        count[name] = count.get(name, 0) + 1
    return ", ".join(f"{k} {n}" for k, n in count.items())


def undominated(types: dict[str, NodeType], classes: list[Class]) -> list[NodeType]:
    ts = sorted(types.values(), key=lambda t: (t.cost, t.name))
    kept: list[NodeType] = []
    for t in ts:
        if t.slots == 0 or not any(c.cpu <= t.cpu and c.mem <= t.mem for c in classes):
            continue
        if any(k.cost <= t.cost and k.cpu >= t.cpu and k.mem >= t.mem and k.slots >= t.slots
               for k in kept):
            continue
        kept.append(t)
    return kept


@dataclass
class MilpResult:
    status: str
    optimal: bool
    objective: float | None  # best plan found, $/h
    bound: float  # proven lower bound, $/h
    seconds: float
    variables: int
    rows: int
    nodes: list[str]  # HiGHS's best plan, one "type: pods per class" per node


def solve_milp(classes: list[Class], types: list[NodeType], ub: float,
               time_limit: float) -> MilpResult:
    total = sum(c.demand for c in classes)
    kn = len(classes)
    # Columns and, per column, its (row, value) entries; rows as (lower, upper).
    cost: list[float] = []
    meta: list[tuple[str, int, int]] = []  # per column: type, node number, class (-1: open)
    lower: list[float] = []
    upper: list[float] = []
    entries: list[list[tuple[int, float]]] = []
    rows: list[tuple[float, float]] = []
    inf = highspy.kHighsInf

    def row(lo: float, hi: float) -> int:
        rows.append((lo, hi))
        return len(rows) - 1

    demand_rows = [row(c.demand, c.demand) for c in classes]
    for t in types:
        n_t = min(total, int(ub / t.cost + 1e-9))
        ubk = [min(c.cap, c.demand, t.cpu // c.cpu, t.mem // c.mem, t.slots) for c in classes]
        prev_sym = None
        for j in range(n_t):
            r_cpu, r_mem, r_slot = row(-inf, 0), row(-inf, 0), row(-inf, 0)
            links = [row(-inf, 0) if ubk[k] > 0 else -1 for k in range(kn)]
            u: list[tuple[int, float]] = [(r_cpu, -t.cpu), (r_mem, -t.mem), (r_slot, -t.slots)]
            u += [(links[k], -ubk[k]) for k in range(kn) if ubk[k] > 0]
            if prev_sym is not None:
                u.append((prev_sym, -1.0))  # open_{j-1} - open_j >= 0
            sym = row(0, inf)
            u.append((sym, 1.0))
            prev_sym = sym
            cost.append(t.cost)
            meta.append((t.name, j, -1))
            lower.append(0)
            upper.append(1)
            entries.append(u)
            for k, c in enumerate(classes):
                if ubk[k] == 0:
                    continue
                cost.append(0.0)
                meta.append((t.name, j, k))
                lower.append(0)
                upper.append(ubk[k])
                entries.append([(r_cpu, c.cpu), (r_mem, c.mem), (r_slot, 1.0), (links[k], 1.0),
                                (demand_rows[k], 1.0)])
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = [r[0] for r in rows]
    lp.row_upper_ = [r[1] for r in rows]
    start, index, value = [0], [], []
    for col in entries:
        for r, v in col:
            index.append(r)
            value.append(v)
        start.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cost)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    obj = float(info.objective_function_value) if has_sol else None
    optimal = status == highspy.HighsModelStatus.kOptimal
    bound = float(info.mip_dual_bound)
    if optimal and obj is not None:
        bound = max(bound, obj - 1e-7)
    nodes: dict[tuple[str, int], list[str]] = {}
    if has_sol:
        values = h.getSolution().col_value
        for (name, j, k), v in zip(meta, values):
            n = round(v)
            if k < 0 and n:
                nodes.setdefault((name, j), [])
            elif k >= 0 and n:
                nodes.setdefault((name, j), []).append(f"{classes[k].name} {n}")
    plan = sorted(f"{name}: {', '.join(pods)}" for (name, _), pods in nodes.items() if pods)
    return MilpResult(h.modelStatusToString(status), optimal, obj, bound, seconds,
                      len(cost), len(rows), plan)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    fixtures = [json.loads(line) for line in open(args.export) if line.strip()]
    print(f"HiGHS {highspy.Highs().version()} (1 thread, time limit {args.time_limit:g} s, "
          f"gap 0); ours: the exact planner with its own budget")
    hdr = (f"{'fixture':<18} {'pods':>4} {'ours $/mo':>10} {'HiGHS $/mo':>11} {'ours/HiGHS':>10} "
           f"{'our gap%':>8} {'true gap%':>9} {'ours ms':>8} {'HiGHS ms':>9} {'t ratio':>8} "
           f"{'feasible':>8}  HiGHS model")
    print(hdr)
    worse, infeasible, bad_bound, unproven = [], [], [], []
    milp_above_ours: list[str] = []
    cheaper_plans: dict[str, list[str]] = {}
    our_gap_reported: list[tuple[str, float, float]] = []
    t200: list[float] = []
    for fx in fixtures:
        classes, surge = classes_of(fx)
        types = types_of(fx)
        errors = check_plan(fx, classes, types)
        if surge != fx["plan"]["surge_process_type"]:
            errors.append(f"surge class {fx['plan']['surge_process_type']}, rule says {surge}")
        ours = float(fx["plan"]["usd_per_hour"])
        if errors:
            infeasible.append((fx["id"], errors))
        ub = ours if not errors else float(fx["plan"]["ffd_monthly_usd"]) / HOURS + 1.0
        res = solve_milp(classes, undominated(types, classes), ub, args.time_limit)
        our_ms = float(fx["plan"]["elapsed_ms"])
        highs_ms = res.seconds * 1000.0
        pods = sum(c.replicas for c in classes)
        if res.optimal and res.objective is not None:
            highs = f"{res.objective * HOURS:>11.2f}"
            ratio = ours / res.objective
            ratio_s = f"{ratio:>10.4f}"
            true_gap = max(0.0, (ours - res.objective) / ours * 100.0)
            if ours > res.objective + EPS:
                worse.append((fx["id"], ours, res.objective))
                cheaper_plans[fx["id"]] = res.nodes
            if not errors and res.objective > ours + 1e-6:
                # our plan is a feasible point of the MILP, so its optimum cannot be above it
                milp_above_ours.append(fx["id"])
        else:
            unproven.append(fx["id"])
            highs = f"≥{res.bound * HOURS:>10.2f}"
            ratio_s = f"≤{ours / res.bound:>9.4f}" if res.bound > 0 else f"{'?':>10}"
            # our plan is within (ours - HiGHS bound) of the optimum; if HiGHS found a cheaper
            # plan than ours that is a bug even without a proof
            true_gap = (ours - max(res.bound, 0.0)) / ours * 100.0
            if res.objective is not None and res.objective < ours - EPS:
                worse.append((fx["id"], ours, res.objective))
                cheaper_plans[fx["id"]] = res.nodes
        lb = fx["plan"]["lower_bound_monthly_usd"]
        if lb is not None and res.optimal and res.objective is not None \
                and lb > res.objective * HOURS + 0.011:
            bad_bound.append((fx["id"], lb, res.objective * HOURS))
        gap = fx["plan"]["gap_percent"]
        if res.optimal and gap:
            our_gap_reported.append((fx["id"], float(gap), true_gap))
        time_ratio = our_ms / highs_ms if highs_ms > 0 else float("inf")
        tr = f"{time_ratio:>8.3f}" if res.optimal else f"≤{time_ratio:>7.3f}"
        if pods + (1 if surge else 0) >= 200 and fx["id"].startswith("mixed-200"):
            t200.append(time_ratio)
        gap_s = f"{gap:>8.3f}" if gap is not None else f"{'-':>8}"
        # our monthly cost as the planner itself reports it (rounded by the core), so the
        # column matches `dynoshift plan`; the ratio uses the hourly costs
        print(f"{fx['id']:<18} {pods:>4} {float(fx['plan']['monthly_usd']):>10.2f} {highs} {ratio_s} {gap_s} "
              f"{true_gap:>9.3f} {our_ms:>8.0f} {highs_ms:>9.0f} {tr} "
              f"{'yes' if not errors else 'NO':>8}  {res.status}, {res.variables} vars")
        sys.stdout.flush()
    print()
    n = len(fixtures)
    print(f"ours ≤ 1.00× HiGHS's optimum where it proves one: "
          f"{n - len(unproven) - len([w for w in worse if w[0] not in unproven])}"
          f"/{n - len(unproven)} — {'met' if not worse else 'NOT met'}")
    for fid, o, h in worse:
        print(f"  HiGHS found a cheaper plan on {fid}: ${h * HOURS:.2f}/mo vs ours ${o * HOURS:.2f}/mo")
        fx = next(f for f in fixtures if f["id"] == fid)
        print("    pods: " + json.dumps(fx["pods"]))
        print("    ours:  " + "; ".join(sorted(
            n["instance_type"] + ": " + pod_counts(n["pods"]) for n in fx["plan"]["nodes"])))
        print("    HiGHS: " + "; ".join(cheaper_plans.get(fid, [])))
    print(f"plans infeasible under the MILP's constraints: {len(infeasible)} — "
          f"{'met' if not infeasible else 'NOT met'}")
    for fid, errs in infeasible:
        print(f"  {fid}: " + "; ".join(errs[:5]))
    for fid in milp_above_ours:
        print(f"  {fid}: HiGHS's optimum is above our feasible plan — the MILP is wrong")
    if bad_bound:
        for fid, lb, opt in bad_bound:
            print(f"  our lower bound ${lb:.2f}/mo on {fid} exceeds HiGHS's optimum ${opt:.2f}/mo")
    if our_gap_reported:
        worst = max(our_gap_reported, key=lambda x: x[1])
        print(f"HiGHS proved {len(our_gap_reported)} plan(s) optimal whose own bound left a gap "
              f"(largest reported {worst[1]:.3f}% on {worst[0]}, true gap {worst[2]:.3f}%)")
    if unproven:
        print(f"HiGHS hit its time limit on {len(unproven)}: {', '.join(unproven)} "
              "(ratios there are against its bound)")
    if t200:
        w = max(t200)
        print(f"time at 200 pods: ours ≤ {w:.3f}× HiGHS's (target ≤ 0.1×) — "
              f"{'met' if w <= 0.1 else 'NOT met'}"
              + (" (HiGHS stopped by its time limit: the ratio is against the limit)"
                 if any(f.startswith("mixed-200") for f in unproven) else ""))
    # A plan we call optimal that HiGHS beats is a bug; so is one HiGHS beats below our own
    # claimed bound (covered by bad_bound). An unproven plan HiGHS beats is reported above (the
    # planner's budget ran out; in a debug build that is expected).
    claimed = {fx["id"] for fx in fixtures if fx["plan"]["proven_optimal"]}
    wrong_claims = [w for w in worse if w[0] in claimed]
    for fid, o, h in wrong_claims:
        print(f"  {fid}: our plan is called optimal but HiGHS found ${h * HOURS:.2f}/mo")
    if args.check and (wrong_claims or infeasible or bad_bound or milp_above_ours):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

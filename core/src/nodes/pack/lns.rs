//! The large-neighbourhood search: re-plan small groups of nodes exactly.

use std::time::{Duration, Instant};

use super::bnb::{branch_and_bound, grid_round};
use super::colgen::column_generation;
use super::dive::dive;
use super::ffd::ffd;
use super::model::{Pattern, Problem, cost_of, with_demand};
use super::{LNS_SLICE_MS, MAX_PATTERNS};

/// A plan for a (small) problem that costs less than `below` (USD per hour), if one is found
/// by `deadline`: FFD, then diving, then branch-and-bound for anything cheaper than the best
/// of those and `below` (the tighter that is, the fewer candidate nodes it searches).
pub(super) fn improve_small(p: &Problem, below: f64, deadline: Instant) -> Option<Vec<Pattern>> {
    let demand = p.demand();
    let mut plan: Option<Vec<Pattern>> = None;
    let mut best = below;
    let offer = |cand: Vec<Pattern>, plan: &mut Option<Vec<Pattern>>, best: &mut f64| {
        let c = cost_of(p, &cand);
        if c < *best - 1e-7 {
            *best = c;
            *plan = Some(cand);
        }
    };
    offer(ffd(p, &demand), &mut plan, &mut best);
    let lp = column_generation(p, deadline);
    let bound = grid_round(p, lp.bound);
    if best <= bound + 1e-7 {
        return plan;
    }
    let (dived, duals) = dive(p, &lp, deadline);
    if let Some(d) = dived {
        offer(d, &mut plan, &mut best);
    }
    if best <= bound + 1e-7 {
        return plan;
    }
    if let Some(found) = branch_and_bound(p, &lp, duals, best, MAX_PATTERNS, deadline) {
        offer(found, &mut plan, &mut best);
    }
    plan
}

/// Groups of nodes (indices into a plan, least efficient first in `order`) that the
/// large-neighbourhood search re-plans, smallest first: every pair, then triples among the 6
/// least efficient nodes, then groups of 4 and 5 among the 8 least efficient.
pub(super) fn lns_groups(order: &[usize]) -> Vec<Vec<usize>> {
    fn subsets(
        top: &[usize],
        k: usize,
        from: usize,
        cur: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in from..top.len() {
            cur.push(top[i]);
            subsets(top, k, i + 1, cur, out);
            cur.pop();
        }
    }
    let mut groups = Vec::new();
    for (k, top) in [(2, order.len()), (3, 6), (4, 8), (5, 8)] {
        subsets(
            &order[..top.min(order.len())],
            k,
            0,
            &mut Vec::new(),
            &mut groups,
        );
    }
    groups
}

/// Pod sets (demand per class) that could not be re-planned below the given cost.
pub(super) type Tried = std::collections::HashMap<Vec<u64>, f64>;

/// Re-plans the pods of groups of nodes (see [`lns_groups`]) with [`improve_small`], least
/// efficient nodes (highest reduced cost of what they hold) first, until no group improves or
/// time runs out. A group of pods that could not be re-planned cheaper is not tried again while
/// its nodes cost no less. (The solver runs it step by step, see [`lns_step`], with proof
/// attempts between the steps.)
#[cfg(test)]
pub(super) fn lns(p: &Problem, start: &[Pattern], pi: &[f64], deadline: Instant) -> Vec<Pattern> {
    let mut sol = start.to_vec();
    let mut tried = Tried::new();
    while let Some(better) = lns_step(p, &sol, pi, &mut tried, deadline) {
        sol = better;
    }
    sol
}

/// One step of [`lns`]: the plan after the first group (in its order) that re-plans cheaper, or
/// `None` when no group does or time runs out. `tried` carries over between steps.
pub(super) fn lns_step(
    p: &Problem,
    start: &[Pattern],
    pi: &[f64],
    tried: &mut Tried,
    deadline: Instant,
) -> Option<Vec<Pattern>> {
    let mut sol = start.to_vec();
    let waste = |n: &Pattern| p.reduced_cost(n, pi);
    let mut order: Vec<usize> = (0..sol.len()).collect();
    order.sort_by(|&a, &b| waste(&sol[b]).total_cmp(&waste(&sol[a])));
    for group in lns_groups(&order) {
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        let mut demand = vec![0u64; p.classes.len()];
        let mut before = 0.0;
        for &i in &group {
            for (d, &c) in demand.iter_mut().zip(&sol[i].counts) {
                *d += c;
            }
            before += p.types[sol[i].ty].cost;
        }
        if tried.get(&demand).is_some_and(|&c| before <= c + 1e-7) {
            continue;
        }
        let sub = with_demand(p, &demand);
        let slice = (deadline - now).min(Duration::from_millis(LNS_SLICE_MS));
        match improve_small(&sub, before, now + slice) {
            Some(after) => {
                let mut drop = group.clone();
                drop.sort_unstable_by(|a, b| b.cmp(a));
                for i in drop {
                    sol.swap_remove(i);
                }
                sol.extend(after);
                return Some(sol);
            }
            None => {
                tried.insert(demand, before);
            }
        }
    }
    None
}

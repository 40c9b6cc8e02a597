//! The exact solver's steps in one time budget: LP bound, diving, branch-and-price, a
//! large-neighbourhood search while the tree is unfinished, then the tree again.

use std::time::{Duration, Instant};

use super::EPS;
use super::bnb::grid_round;
use super::bp::Tree;
use super::colgen::column_generation_until;
use super::dive::dive;
use super::lns::{Tried, lns_step};
use super::model::{Pattern, Problem, cost_of};

pub(super) struct ExactResult {
    pub(super) solution: Vec<Pattern>,
    pub(super) bound: f64,
    pub(super) proven: bool,
    pub(super) notes: Vec<String>,
}

pub(super) fn exact(p: &Problem, incumbent: Vec<Pattern>, budget: Duration) -> ExactResult {
    let start = Instant::now();
    let at = |f: f64| start + budget.mul_f64(f);
    let ms = || start.elapsed().as_secs_f64() * 1000.0;
    let deadline = at(1.0);
    let mut notes = Vec::new();
    let lp = column_generation_until(p, at(0.4), at(0.5));
    let lp_bound = grid_round(p, lp.bound);
    notes.push(format!(
        "LP relaxation by column generation: lower bound ${:.4}/h (rounded up to the price grid: \
         ${lp_bound:.4}/h), {:.0} ms",
        lp.bound,
        ms()
    ));
    let mut best = incumbent;
    let mut best_cost = cost_of(p, &best);
    let consider = |cand: Vec<Pattern>,
                    how: &str,
                    notes: &mut Vec<String>,
                    best: &mut Vec<Pattern>,
                    best_cost: &mut f64| {
        let c = cost_of(p, &cand);
        if c < *best_cost - EPS {
            *best_cost = c;
            *best = cand;
            notes.push(format!(
                "{how} improved the plan to ${c:.4}/h, {:.0} ms",
                ms()
            ));
        }
    };
    // Proven optimal: the plan costs no more than a proven lower bound (the LP's, or one a
    // complete search raised it to).
    let proven = |best_cost: f64, bound: f64| best_cost <= bound + 1e-7;
    // 1. Diving: keep the LP's whole nodes, re-solve the LP for what is left, repeat.
    let dived = if proven(best_cost, lp_bound) {
        None
    } else {
        dive(
            p,
            &lp,
            (Instant::now() + budget.mul_f64(0.15)).min(at(0.45)),
        )
        .0
    };
    if let Some(d) = dived {
        consider(d, "LP diving", &mut notes, &mut best, &mut best_cost);
    }

    // 2. Branch-and-price over node counts per type (see `bp`) with part of the budget: small
    //    and mid-sized apps are proven optimal here.
    let mut seed: Vec<Pattern> = lp.solution.iter().map(|(p, _)| p.clone()).collect();
    seed.extend(best.iter().cloned());
    let mut tree = Tree::new(p, &seed);
    if let Some(plan) = tree.run(best_cost, at(TREE_FIRST)) {
        consider(
            plan,
            "branch-and-price",
            &mut notes,
            &mut best,
            &mut best_cost,
        );
    }

    // 3. Large-neighbourhood search: pool the pods of 2 to 5 nodes (least efficient first) and
    //    re-plan them exactly; keep any cheaper result.
    if !tree.complete() {
        let mut tried = Tried::new();
        let mut lns_improved = false;
        while let Some(better) = lns_step(p, &best, &lp.pi, &mut tried, at(LNS_UNTIL)) {
            best_cost = cost_of(p, &better);
            best = better;
            lns_improved = true;
        }
        if lns_improved {
            notes.push(format!(
                "re-planning groups of 2 to 5 nodes exactly improved the plan to \
                 ${best_cost:.4}/h, {:.0} ms",
                ms()
            ));
        }
        // 4. The tree again, with the better plan closing more of it, until the budget ends.
        if let Some(plan) = tree.run(best_cost, deadline) {
            consider(
                plan,
                "branch-and-price",
                &mut notes,
                &mut best,
                &mut best_cost,
            );
        }
    }
    let bound = lp_bound.max(tree.bound(best_cost));
    let optimal = tree.complete() || proven(best_cost, bound);
    notes.push(format!(
        "branch-and-price over node counts per type: {} tree node(s), {} node pattern(s), {} \
         open, {}, {:.0} ms",
        tree.nodes,
        tree.columns(),
        tree.open(),
        if tree.complete() {
            "searched to the end".to_owned()
        } else {
            format!("proved no plan costs less than ${bound:.4}/h (LP bound ${lp_bound:.4}/h)")
        },
        ms()
    ));
    ExactResult {
        solution: best,
        bound: if optimal { best_cost } else { bound },
        proven: optimal,
        notes,
    }
}

/// Shares of the budget: the branch-and-price's first run ends at `TREE_FIRST`, the
/// large-neighbourhood search at `LNS_UNTIL`; the tree then runs to the end.
const TREE_FIRST: f64 = 0.7;
const LNS_UNTIL: f64 = 0.85;

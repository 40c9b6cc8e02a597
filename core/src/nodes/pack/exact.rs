//! The exact solver's steps in one time budget: LP bound, diving, repair, large-neighbourhood
//! search, branch-and-bound with rising budgets.

use std::time::{Duration, Instant};

use super::bnb::{BnbOutcome, branch_and_bound, grid_round};
use super::colgen::column_generation;
use super::dive::dive;
use super::lns::{Tried, lns_step, solve_small};
use super::model::{Pattern, Problem, cost_of, shrink, with_demand};
use super::{EPS, MAX_PATTERNS};

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
    let demand: Vec<u64> = p.classes.iter().map(|c| c.demand).collect();
    let lp = column_generation(p, at(0.3));
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
    // Keeps a branch-and-bound's plan if it is cheaper; (whether the search was complete,
    // whether it found a plan).
    let take =
        |out: BnbOutcome, notes: &mut Vec<String>, best: &mut Vec<Pattern>, best_cost: &mut f64| {
            let found = out.improved.is_some();
            if let Some(plan) = out.improved {
                let how = if out.complete {
                    "branch-and-bound"
                } else {
                    "branch-and-bound (cut short by the time budget)"
                };
                consider(plan, how, notes, best, best_cost);
            }
            (out.complete, found)
        };

    // 1. Diving: keep the LP's whole nodes, re-solve the LP for what is left, repeat.
    let (dived, extra_duals) = if proven(best_cost, lp_bound) {
        (None, Vec::new())
    } else {
        dive(p, &lp, at(0.45))
    };
    if let Some(d) = dived {
        consider(d, "LP diving", &mut notes, &mut best, &mut best_cost);
    }

    // 2. Repair: keep the LP's whole nodes (minus one per pattern for slack) and solve the pods
    //    left over exactly.
    for slack in [0u64, 1] {
        if proven(best_cost, lp_bound) || Instant::now() >= at(0.6) {
            break;
        }
        let mut fixed = Vec::new();
        let mut res = demand.clone();
        for (pat, v) in &lp.solution {
            let n = ((v + 1e-9).floor() as u64).saturating_sub(slack);
            for _ in 0..n {
                for (r, &a) in res.iter_mut().zip(&pat.counts) {
                    *r -= a.min(*r);
                }
                fixed.push(pat.clone());
            }
        }
        if fixed.is_empty() || res.iter().all(|&r| r == 0) {
            continue;
        }
        let sub = with_demand(p, &res);
        let rest = solve_small(&sub, at(0.6));
        fixed.extend(rest);
        consider(
            shrink(p, fixed, &demand),
            &format!("fixing the LP's whole nodes (less {slack}) and solving the rest exactly"),
            &mut notes,
            &mut best,
            &mut best_cost,
        );
    }

    // Branch-and-bound below the bound steps above `bound` (unless `direct`), then below the
    // plan's cost, until `until` with at most `max_patterns` candidate nodes: raises `bound`,
    // keeps any cheaper plan found; true when the plan is proven optimal.
    let prove = |until: Instant,
                 direct: bool,
                 max_patterns: usize,
                 bound: &mut f64,
                 last_note: &mut String,
                 notes: &mut Vec<String>,
                 best: &mut Vec<Pattern>,
                 best_cost: &mut f64| {
        let steps = if direct {
            vec![*best_cost]
        } else {
            bound_steps(*best_cost, *bound)
        };
        for budget in steps {
            if Instant::now() >= until {
                return false;
            }
            let target = if budget >= *best_cost {
                *best_cost - 1e-7
            } else {
                budget
            };
            let mut out =
                branch_and_bound(p, &lp, extra_duals.clone(), target, max_patterns, until);
            *last_note = std::mem::take(&mut out.note);
            let (complete, found) = take(out, notes, best, best_cost);
            if found || !complete {
                // A complete search that finds a plan below the budget found the optimum.
                return complete;
            }
            if budget >= *best_cost {
                return true;
            }
            // On the price grid, no plan below the budget may mean none below the plan. The
            // search prunes a little below its target (1e-7 $/h and 1e-9 per level), so only
            // "none below target - 2e-7" is proven.
            *bound = bound.max(grid_round(p, target - 2e-7));
            if *bound >= *best_cost - 1e-7 {
                return true;
            }
        }
        false
    };

    // 3. Large-neighbourhood search: pool the pods of 2 to 5 nodes (least efficient first) and
    //    re-plan them exactly; keep any cheaper result. Before it and after each improvement a
    //    short branch-and-bound tries to prove the plan optimal (the search is small when the
    //    plan is): a proof ends the solve early instead of spending the budget on groups that
    //    cannot improve; these tries use at most a share of the budget in all.
    let mut optimal = false;
    let mut last_note = String::new();
    let mut tried = Tried::new();
    let mut proof_time = Duration::ZERO;
    let mut lns_improved = false;
    let mut bound = lp_bound;
    while !proven(best_cost, bound) {
        let now = Instant::now();
        if now >= at(0.9) {
            break;
        }
        if proof_time < budget.mul_f64(PROOF_SHARE) {
            // The first try goes straight for a proof (small apps are proven here); later ones
            // step up to it, so that a proof out of reach still leaves a finer bound.
            let first = proof_time.is_zero();
            let slice = if first {
                PROOF_FIRST_SLICE
            } else {
                PROOF_SLICE
            };
            let until = (now + budget.mul_f64(slice)).min(at(0.9));
            let done = prove(
                until,
                first,
                PROOF_PATTERNS,
                &mut bound,
                &mut last_note,
                &mut notes,
                &mut best,
                &mut best_cost,
            );
            proof_time += now.elapsed();
            if done {
                optimal = true;
                break;
            }
        }
        match lns_step(p, &best, &lp.pi, &mut tried, at(0.9)) {
            Some(better) => {
                best_cost = cost_of(p, &better);
                best = better;
                lns_improved = true;
            }
            None => break,
        }
    }
    if lns_improved {
        notes.push(format!(
            "re-planning groups of 2 to 5 nodes exactly improved the plan to ${best_cost:.4}/h, \
             {:.0} ms",
            ms()
        ));
    }

    // 4. Branch-and-bound with rising budgets: a complete search below budget B that finds no
    //    plan proves B is a lower bound; one that finds a plan has found the optimum. Low
    //    budgets need few candidate nodes and finish fast.
    if proven(best_cost, bound) || optimal {
        notes.push(if optimal {
            format!("branch-and-bound: {last_note}, {:.0} ms", ms())
        } else {
            format!(
                "the plan meets the proven lower bound: optimal, {:.0} ms",
                ms()
            )
        });
        return ExactResult {
            solution: best,
            bound: best_cost,
            proven: true,
            notes,
        };
    }
    let optimal = prove(
        deadline,
        false,
        MAX_PATTERNS,
        &mut bound,
        &mut last_note,
        &mut notes,
        &mut best,
        &mut best_cost,
    );
    notes.push(format!("branch-and-bound: {last_note}, {:.0} ms", ms()));
    if optimal {
        ExactResult {
            solution: best,
            bound: best_cost,
            proven: true,
            notes,
        }
    } else {
        if bound > lp_bound + 1e-9 {
            notes.push(format!(
                "the search proved no plan costs less than ${bound:.4}/h (LP bound ${lp_bound:.4}/h)"
            ));
        }
        ExactResult {
            solution: best,
            bound: bound.min(best_cost),
            proven: false,
            notes,
        }
    }
}

/// Share of the budget the proof attempts during the large-neighbourhood search may use in
/// all, the most the first and each later attempt may use, and the most candidate nodes one
/// searches (more means a proof that does not fit in a slice; giving up at once leaves the
/// time to the search for better plans).
const PROOF_SHARE: f64 = 0.5;
const PROOF_FIRST_SLICE: f64 = 0.1;
const PROOF_SLICE: f64 = 0.4;
const PROOF_PATTERNS: usize = 8000;

/// Fractions of the incumbent's cost that branch-and-bound tries to prove as lower bounds, in
/// order, before trying to prove the incumbent optimal: within 1% (a cheap search), then 0.5%
/// and 0.2%. Each step's search grows with its budget, so the steps before the last cost
/// little beside it, and when the last cannot finish in time the bound is the finest proven.
const BOUND_STEPS: [f64; 3] = [0.99, 0.995, 0.998];

/// The budgets of [`exact`]'s branch-and-bound: the [`BOUND_STEPS`] above `bound`, then the
/// incumbent's cost.
pub(super) fn bound_steps(best_cost: f64, bound: f64) -> Vec<f64> {
    let mut schedule: Vec<f64> = BOUND_STEPS.iter().map(|f| best_cost * f).collect();
    schedule.retain(|&b| b > bound + 1e-7 && b < best_cost - 1e-7);
    schedule.push(best_cost);
    schedule
}

//! The exact solver's steps in one time budget: LP bound, diving, repair, large-neighbourhood
//! search, branch-and-bound with rising budgets.

use std::time::{Duration, Instant};

use super::EPS;
use super::bnb::{branch_and_bound, grid_round};
use super::colgen::column_generation;
use super::dive::dive;
use super::lns::{lns, solve_small};
use super::model::{Pattern, Problem, cost_of, shrink, with_demand};

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
    let proven = |best_cost: f64| best_cost <= lp_bound + 1e-7;

    // 1. Diving: keep the LP's whole nodes, re-solve the LP for what is left, repeat.
    let (dived, extra_duals) = if proven(best_cost) {
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
        if proven(best_cost) || Instant::now() >= at(0.6) {
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

    // 3. Large-neighbourhood search: pool the pods of 2 to 5 nodes (least efficient first) and
    //    re-plan them exactly; keep any cheaper result.
    if !proven(best_cost) {
        let improved = lns(p, &best, &lp.pi, at(0.9));
        consider(
            improved,
            "re-planning groups of 2 to 5 nodes exactly",
            &mut notes,
            &mut best,
            &mut best_cost,
        );
    }

    // 4. Branch-and-bound with rising budgets: a complete search below budget B that finds no
    //    plan proves B is a lower bound; one that finds a plan has found the optimum. Low
    //    budgets need few candidate nodes and finish fast.
    if proven(best_cost) {
        notes.push(format!(
            "the plan meets the LP bound: optimal, {:.0} ms",
            ms()
        ));
        return ExactResult {
            solution: best,
            bound: best_cost,
            proven: true,
            notes,
        };
    }
    let mut bound = lp_bound;
    // First prove the plan within 1% (a cheap search), then try to prove it optimal. More
    // intermediate steps give finer bounds but cost more in total than they save.
    let mut schedule: Vec<f64> = vec![best_cost * 0.99];
    schedule.retain(|&b| b > bound + 1e-7 && b < best_cost - 1e-7);
    schedule.push(best_cost);
    let mut last_note = String::new();
    let mut optimal = false;
    for budget in schedule {
        if Instant::now() >= deadline {
            break;
        }
        let target = if budget >= best_cost {
            best_cost - 1e-7
        } else {
            budget
        };
        let out = branch_and_bound(p, &lp, extra_duals.clone(), target, deadline);
        last_note = out.note;
        if !out.complete {
            break;
        }
        match out.improved {
            Some(found) => {
                consider(
                    found,
                    "branch-and-bound",
                    &mut notes,
                    &mut best,
                    &mut best_cost,
                );
                optimal = true;
                break;
            }
            None if budget >= best_cost => {
                optimal = true;
                break;
            }
            None => bound = bound.max(grid_round(p, budget)),
        }
    }
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

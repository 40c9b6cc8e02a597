//! LP diving, the primal heuristic.

use std::time::Instant;

use super::colgen::{Lp, column_generation};
use super::ffd::ffd;
use super::model::{Pattern, Problem, shrink};

/// Dual price vectors, each with the residual demand it is valid for (any residual ≤ it).
pub(super) type Duals = Vec<(Vec<f64>, Vec<u64>)>;

/// Primal heuristic: take the LP solution's whole nodes (floor), re-solve the LP for the pods
/// left, and when no LP node is whole take the largest fractional one; FFD finishes if time
/// runs out.
pub(super) fn dive(p: &Problem, root: &Lp, deadline: Instant) -> (Option<Vec<Pattern>>, Duals) {
    let mut duals: Duals = Vec::new();
    let demand = p.demand();
    let mut res = demand.clone();
    let mut sol: Vec<Pattern> = Vec::new();
    let mut lp_solution = root.solution.clone();
    let mut sub = p.clone();
    loop {
        let mut took = false;
        for (pat, v) in &lp_solution {
            for _ in 0..(v + 1e-9).floor() as u64 {
                if pat.counts.iter().zip(&res).all(|(&a, &r)| a == 0 || r == 0) {
                    break;
                }
                for (r, &a) in res.iter_mut().zip(&pat.counts) {
                    *r -= a.min(*r);
                }
                sol.push(pat.clone());
                took = true;
            }
        }
        if !took {
            let best = lp_solution
                .iter()
                .filter(|(pat, _)| pat.counts.iter().zip(&res).any(|(&a, &r)| a > 0 && r > 0))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((pat, _)) => {
                    for (r, &a) in res.iter_mut().zip(&pat.counts) {
                        *r -= a.min(*r);
                    }
                    sol.push(pat.clone());
                }
                None => {
                    sol.extend(ffd(p, &res));
                    res.iter_mut().for_each(|r| *r = 0);
                }
            }
        }
        if res.iter().all(|&r| r == 0) {
            return (Some(shrink(p, sol, &demand)), duals);
        }
        if Instant::now() >= deadline {
            sol.extend(ffd(p, &res));
            return (Some(shrink(p, sol, &demand)), duals);
        }
        for (c, &r) in sub.classes.iter_mut().zip(&res) {
            c.demand = r;
        }
        let lp = column_generation(&sub, deadline);
        duals.push((lp.pi, res.clone()));
        lp_solution = lp.solution;
    }
}

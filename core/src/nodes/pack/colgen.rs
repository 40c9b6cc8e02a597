//! The LP relaxation by column generation, with a proven (Farley) lower bound.

use std::time::Instant;

use super::knapsack::Knap;
use super::model::{Pattern, Problem};

pub(super) struct Lp {
    /// Dual prices, one per class, scaled to be dual feasible (valid for bounds).
    pub(super) pi: Vec<f64>,
    /// The proven lower bound (USD per hour).
    pub(super) bound: f64,
    /// LP solution: columns with their values.
    pub(super) solution: Vec<(Pattern, f64)>,
}

pub(super) fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = m.to_vec();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for col in 0..n {
        let piv = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        inv.swap(col, piv);
        let d = a[col][col];
        for j in 0..n {
            a[col][j] /= d;
            inv[col][j] /= d;
        }
        for r in 0..n {
            if r != col && a[r][col] != 0.0 {
                let f = a[r][col];
                for j in 0..n {
                    a[r][j] -= f * a[col][j];
                    inv[r][j] -= f * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Var {
    Col(usize),
    Surplus(usize),
}

/// For duals `pi`: θ, an upper bound on the most any pattern is worth per dollar of its type
/// (at least 1: only worth above the price is searched), and the columns that price out.
pub(super) fn price(
    p: &Problem,
    pi: &[f64],
    limit: &[u64],
    deadline: Instant,
) -> (f64, Vec<Pattern>) {
    let mut theta: f64 = 0.0;
    let mut cols = Vec::new();
    for t in 0..p.types.len() {
        // Only patterns worth more than the type's price matter (a column, or θ above 1), and
        // proving there is none is quick.
        let cost = p.types[t].cost;
        let (v, counts, upper) = Knap::new(p, t, pi, limit, false)
            .until(deadline)
            .best_above(cost);
        theta = theta.max(upper / cost);
        if cost - v < -1e-9 {
            cols.push(Pattern { ty: t, counts });
        }
    }
    (theta, cols)
}

/// Prices `pi` (≥ 0) scaled down to be dual feasible, given θ = the most any pattern is worth
/// under them per dollar of its type (Farley).
fn farley(pi: &[f64], theta: f64) -> Vec<f64> {
    let scale = if theta > 1.0 { 1.0 / theta } else { 1.0 };
    pi.iter().map(|v| v * scale).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Per type, the greedy pattern ([`Knap::greedy`]) if its reduced cost under `pi` is negative.
pub(super) fn greedy_columns(p: &Problem, pi: &[f64], limit: &[u64]) -> Vec<Pattern> {
    (0..p.types.len())
        .filter_map(|t| {
            let (v, counts) = Knap::new(p, t, pi, limit, false).greedy();
            (p.types[t].cost - v < -1e-9).then_some(Pattern { ty: t, counts })
        })
        .collect()
}

/// Time the final pricing of [`column_generation`] may take past its deadline, ms.
const FARLEY_GRACE_MS: u64 = 50;

/// [`column_generation_until`] with the bound's pricing allowed [`FARLEY_GRACE_MS`] past
/// `deadline`.
pub(super) fn column_generation(p: &Problem, deadline: Instant) -> Lp {
    column_generation_until(
        p,
        deadline,
        deadline + std::time::Duration::from_millis(FARLEY_GRACE_MS),
    )
}

/// The LP relaxation by column generation until `deadline`, and its proven bound from duals
/// scaled to be feasible, priced exactly until `bound_by`.
pub(super) fn column_generation_until(p: &Problem, deadline: Instant, bound_by: Instant) -> Lp {
    let kn = p.classes.len();
    let d: Vec<f64> = p.classes.iter().map(|c| c.demand as f64).collect();
    let limit: Vec<u64> = (0..kn).map(|k| p.limit(k)).collect();
    let mut cols: Vec<Pattern> = (0..kn)
        .map(|k| {
            let mut counts = vec![0; kn];
            counts[k] = 1;
            let ty = p
                .cheapest_fitting(&counts)
                .expect("checked: every pod fits a type");
            Pattern { ty, counts }
        })
        .collect();
    let col_cost = |cols: &[Pattern], v: Var| match v {
        Var::Col(j) => p.types[cols[j].ty].cost,
        Var::Surplus(_) => 0.0,
    };
    let col_vec = |cols: &[Pattern], v: Var| -> Vec<f64> {
        match v {
            Var::Col(j) => cols[j].counts.iter().map(|&n| n as f64).collect(),
            Var::Surplus(k) => (0..kn).map(|i| if i == k { -1.0 } else { 0.0 }).collect(),
        }
    };
    // The best dual-feasible prices met so far (all zero proves nothing but is feasible).
    let mut proven: Vec<f64> = vec![0.0; kn];
    let mut basis: Vec<Var> = (0..kn).map(Var::Col).collect();
    let mut binv: Vec<Vec<f64>> = (0..kn)
        .map(|i| (0..kn).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let mut x: Vec<f64> = d.clone();
    let mut in_basis: Vec<bool> = vec![true; kn];
    let mut iter = 0usize;
    loop {
        iter += 1;
        if iter > 50_000 || (iter.is_multiple_of(64) && Instant::now() >= deadline) {
            break;
        }
        if iter.is_multiple_of(25) {
            let bm: Vec<Vec<f64>> = {
                let colsv: Vec<Vec<f64>> = basis.iter().map(|&v| col_vec(&cols, v)).collect();
                (0..kn)
                    .map(|r| (0..kn).map(|c| colsv[c][r]).collect())
                    .collect()
            };
            if let Some(inv) = invert(&bm) {
                binv = inv;
                x = (0..kn)
                    .map(|r| (0..kn).map(|c| binv[r][c] * d[c]).sum::<f64>().max(0.0))
                    .collect();
            }
        }
        let pi: Vec<f64> = (0..kn)
            .map(|i| {
                (0..kn)
                    .map(|r| col_cost(&cols, basis[r]) * binv[r][i])
                    .sum::<f64>()
            })
            .collect();
        // Entering variable: most negative reduced cost in the pool, else from pricing.
        let mut entering: Option<(Var, f64)> = None;
        for (k, &v) in pi.iter().enumerate() {
            if v < -1e-9 && !basis.contains(&Var::Surplus(k)) {
                entering = Some((Var::Surplus(k), v));
                break;
            }
        }
        if entering.is_none() {
            for (j, c) in cols.iter().enumerate() {
                if in_basis[j] {
                    continue;
                }
                let rc = p.reduced_cost(c, &pi);
                if rc < -1e-9 && entering.is_none_or(|(_, b)| rc < b) {
                    entering = Some((Var::Col(j), rc));
                }
            }
        }
        if entering.is_none() && Instant::now() < deadline && iter < 20_000 {
            let pos: Vec<f64> = pi.iter().map(|v| v.max(0.0)).collect();
            // Greedy patterns first; the exact knapsacks only when none of those prices out.
            let mut new = greedy_columns(p, &pos, &limit);
            if new.is_empty() {
                // Exact pricing also gives a proven bound for these duals (Farley); keep the
                // best, so a solve stopped by its deadline keeps what it had proven.
                let (theta, cols) = price(p, &pos, &limit, deadline);
                let scaled = farley(&pos, theta);
                if dot(&scaled, &d) > dot(&proven, &d) {
                    proven = scaled;
                }
                new = cols;
            }
            let mut best: Option<(usize, f64)> = None;
            for c in new {
                if cols.contains(&c) {
                    continue;
                }
                let rc = p.reduced_cost(&c, &pi);
                cols.push(c);
                in_basis.push(false);
                if rc < -1e-9 && best.is_none_or(|(_, b)| rc < b) {
                    best = Some((cols.len() - 1, rc));
                }
            }
            entering = best.map(|(j, rc)| (Var::Col(j), rc));
        }
        let Some((var, _)) = entering else {
            break;
        };
        let a = col_vec(&cols, var);
        let u: Vec<f64> = (0..kn)
            .map(|r| (0..kn).map(|c| binv[r][c] * a[c]).sum())
            .collect();
        let mut leave: Option<(usize, f64)> = None;
        for r in 0..kn {
            if u[r] > 1e-9 {
                let ratio = x[r] / u[r];
                if leave.is_none_or(|(_, b)| ratio < b - 1e-12) {
                    leave = Some((r, ratio));
                }
            }
        }
        let Some((r, theta)) = leave else {
            break; // cannot happen with positive costs; keep the current bound
        };
        for i in 0..kn {
            x[i] -= theta * u[i];
        }
        x[r] = theta;
        let piv = u[r];
        for j in 0..kn {
            binv[r][j] /= piv;
        }
        for i in 0..kn {
            if i != r && u[i] != 0.0 {
                let f = u[i];
                for j in 0..kn {
                    binv[i][j] -= f * binv[r][j];
                }
            }
        }
        if let Var::Col(j) = basis[r] {
            in_basis[j] = false;
        }
        if let Var::Col(j) = var {
            in_basis[j] = true;
        }
        basis[r] = var;
    }
    let pi: Vec<f64> = (0..kn)
        .map(|i| {
            (0..kn)
                .map(|r| col_cost(&cols, basis[r]) * binv[r][i])
                .sum::<f64>()
                .max(0.0)
        })
        .collect();
    // Farley: π/θ is dual feasible for θ = max over patterns of π·a / cost.
    // The bound needs every type's knapsack, until `bound_by` (a type whose search is cut
    // short still gives a valid, weaker bound).
    let (theta, _) = price(p, &pi, &limit, bound_by.max(deadline));
    let mut pi = farley(&pi, theta);
    if dot(&proven, &d) > dot(&pi, &d) {
        pi = proven;
    }
    let bound = dot(&pi, &d);
    let solution = basis
        .iter()
        .zip(&x)
        .filter_map(|(&v, &val)| match v {
            Var::Col(j) if val > 1e-9 => Some((cols[j].clone(), val)),
            _ => None,
        })
        .collect();
    Lp {
        pi,
        bound,
        solution,
    }
}

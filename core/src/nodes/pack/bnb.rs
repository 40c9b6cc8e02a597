//! The exact search: branch-and-bound over candidate nodes, memoised over residual demands.

use std::time::Instant;

use super::colgen::Lp;
use super::dive::Duals;
use super::knapsack::Knap;
use super::model::{Pattern, Problem, shrink};
use super::{EPS, MAX_PATTERNS};

/// Depth-first branch-and-bound over residual demands with a transposition table: from a
/// residual, branch on the nodes that hold a pod of its first unplaced process type (every
/// cover has one), bound by the best dual vector valid for that residual, and remember per
/// residual either its exact optimum or the budget it was proven not to beat.
pub(super) struct Memo {
    pats: Vec<Pattern>,
    cost: Vec<f64>,
    rc: Vec<f64>,
    /// Pattern ids holding class k, by increasing reduced cost.
    by_class: Vec<Vec<usize>>,
    /// Class order to branch on (largest pods first).
    branch_order: Vec<usize>,
    /// Dual-feasible price vectors, each valid for residuals ≤ its demand vector.
    duals: Vec<(Vec<f64>, Vec<u64>)>,
    root_pi: Vec<f64>,
    /// Mixed-radix weights: a residual's key is Σ r_k × mult_k (unique, no allocation).
    mult: Vec<u128>,
    exact: std::collections::HashMap<u128, (f64, usize), FastKey>,
    lb: std::collections::HashMap<u128, f64, FastKey>,
    deadline: Instant,
    steps: u64,
    timed_out: bool,
    /// Key of the whole demand, and the cheapest plan for it found so far (kept when the
    /// search is cut short: a plan found is a plan, proven or not).
    root: u128,
    found: Option<Vec<Pattern>>,
}

/// A cheap multiplicative hasher for the search's integer keys.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FastKey;

impl std::hash::BuildHasher for FastKey {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

#[derive(Debug)]
pub(super) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u128(&mut self, v: u128) {
        let folded = (v as u64) ^ ((v >> 64) as u64).rotate_left(29);
        self.0 = (self.0 ^ folded).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 ^= self.0 >> 29;
    }
}

/// Radix weights for residual keys, or `None` when the state space does not fit in 128 bits.
pub(super) fn radix(demand: &[u64]) -> Option<Vec<u128>> {
    let mut m: u128 = 1;
    let mut out = Vec::with_capacity(demand.len());
    for &d in demand {
        out.push(m);
        m = m.checked_mul(u128::from(d) + 1)?;
    }
    Some(out)
}

impl Memo {
    fn key(&self, r: &[u64]) -> u128 {
        r.iter()
            .zip(&self.mult)
            .map(|(&n, &m)| u128::from(n) * m)
            .sum()
    }

    fn bound(&self, r: &[u64], key: u128) -> f64 {
        let mut best: f64 = 0.0;
        for (pi, valid) in &self.duals {
            if r.iter().zip(valid).all(|(a, b)| a <= b) {
                best = best.max(r.iter().zip(pi).map(|(&n, &v)| n as f64 * v).sum());
            }
        }
        if let Some(&known) = self.lb.get(&key) {
            best = best.max(known);
        }
        best
    }

    /// The optimum for residual `r` if it is below `budget`; `None` proves it is not (unless
    /// the search timed out).
    fn solve(&mut self, r: &[u64], key: u128, budget: f64) -> Option<f64> {
        if key == 0 {
            return (budget > EPS).then_some(0.0);
        }
        if let Some(&(v, _)) = self.exact.get(&key) {
            return (v < budget - 1e-9).then_some(v);
        }
        if self.timed_out {
            return None;
        }
        self.steps += 1;
        if self.steps.is_multiple_of(1024) && Instant::now() >= self.deadline {
            self.timed_out = true;
            return None;
        }
        if self.bound(r, key) >= budget - 1e-9 {
            return None;
        }
        let k = *self
            .branch_order
            .iter()
            .find(|&&k| r[k] > 0)
            .expect("r is not zero");
        let root: f64 = r
            .iter()
            .zip(&self.root_pi)
            .map(|(&n, &v)| n as f64 * v)
            .sum();
        let mut best = budget;
        let mut choice = None;
        let mut next = vec![0u64; r.len()];
        for idx in 0..self.by_class[k].len() {
            if idx % 512 == 511 && Instant::now() >= self.deadline {
                self.timed_out = true;
                return None;
            }
            let j = self.by_class[k][idx];
            if root + self.rc[j] >= best - 1e-9 {
                break;
            }
            let mut next_key = key;
            for (i, nx) in next.iter_mut().enumerate() {
                let take = r[i].min(self.pats[j].counts[i]);
                *nx = r[i] - take;
                next_key -= u128::from(take) * self.mult[i];
            }
            let c = self.cost[j];
            if c + self.bound(&next, next_key) >= best - 1e-9 {
                continue;
            }
            let child = next.clone();
            if let Some(v) = self.solve(&child, next_key, best - c) {
                best = c + v;
                choice = Some(j);
                if key == self.root {
                    let mut plan = vec![self.pats[j].clone()];
                    plan.extend(self.reconstruct(&child));
                    self.found = Some(plan);
                }
            }
            if self.timed_out {
                return None;
            }
        }
        match choice {
            Some(j) => {
                self.exact.insert(key, (best, j));
                Some(best)
            }
            None => {
                let e = self.lb.entry(key).or_insert(0.0);
                *e = e.max(budget);
                None
            }
        }
    }

    fn reconstruct(&self, demand: &[u64]) -> Vec<Pattern> {
        let mut r = demand.to_vec();
        let mut out = Vec::new();
        while let Some(&(_, j)) = self.exact.get(&self.key(&r)) {
            let pat = &self.pats[j];
            for (i, x) in r.iter_mut().enumerate() {
                *x -= (*x).min(pat.counts[i]);
            }
            out.push(pat.clone());
            if r.iter().all(|&n| n == 0) {
                break;
            }
        }
        out
    }
}

/// Rounds a lower bound up to the price grid: every plan costs a sum of type prices, so a multiple
/// of their greatest common divisor (in micro-dollars per hour).
pub(super) fn grid_round(p: &Problem, bound: f64) -> f64 {
    let mut g: u64 = 0;
    for t in &p.types {
        let micro = t.cost * 1e6;
        if (micro - micro.round()).abs() > 1e-6 {
            return bound;
        }
        let m = micro.round() as u64;
        g = gcd(g, m);
    }
    if g == 0 {
        return bound;
    }
    // less a nano-dollar first: float noise just above a grid point must not round up past it
    let units = ((bound - 1e-9) * 1e6 / g as f64).ceil();
    (units * g as f64 / 1e6).max(bound)
}

pub(super) fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Every maximal node pattern of reduced cost (under `pi`) below `gap`, except those that fit
/// a cheaper type; `None` when there are more than `max` or time runs out (with how many were
/// enumerated by then).
fn candidates(
    p: &Problem,
    pi: &[f64],
    gap: f64,
    max: usize,
    deadline: Instant,
) -> std::result::Result<Vec<Pattern>, usize> {
    let limit: Vec<u64> = (0..p.classes.len()).map(|k| p.limit(k)).collect();
    let mut pats: Vec<Pattern> = Vec::new();
    for t in 0..p.types.len() {
        let threshold = p.types[t].cost - gap;
        let mut out = Vec::new();
        let done = Knap::new(p, t, pi, &limit, true).enumerate(
            threshold,
            &mut out,
            max - pats.len(),
            deadline,
        );
        if !done || Instant::now() >= deadline {
            return Err(pats.len() + out.len());
        }
        for counts in out {
            // A pattern that fits a cheaper type is never needed on this one.
            if (0..t).any(|u| p.types[u].cost < p.types[t].cost - EPS && p.fits(u, &counts)) {
                continue;
            }
            pats.push(Pattern { ty: t, counts });
        }
    }
    Ok(pats)
}

/// Enumerates every maximal node pattern whose reduced cost under the LP duals is below
/// `ub − lp.bound` (no plan cheaper than `ub` uses any other) and searches them exhaustively
/// (memoised over residual demands) for a plan cheaper than `ub`: the cheapest there is when
/// the search ends before `deadline`, else the cheapest found by then. More than
/// `max_patterns` candidates (at most [`MAX_PATTERNS`]) give up before searching.
pub(super) fn branch_and_bound(
    p: &Problem,
    lp: &Lp,
    extra_duals: Duals,
    ub: f64,
    max_patterns: usize,
    deadline: Instant,
) -> Option<Vec<Pattern>> {
    match candidates(
        p,
        &lp.pi,
        ub - lp.bound,
        max_patterns.min(MAX_PATTERNS),
        deadline,
    ) {
        Ok(pats) => search(p, lp, extra_duals, pats, ub, deadline),
        Err(_) => None,
    }
}

/// Searches `pats` exhaustively (memoised over residual demands) for the cheapest plan below
/// `ub`, bounded by the LP's duals and `extra_duals`.
fn search(
    p: &Problem,
    lp: &Lp,
    extra_duals: Duals,
    mut pats: Vec<Pattern>,
    ub: f64,
    deadline: Instant,
) -> Option<Vec<Pattern>> {
    let kn = p.classes.len();
    let demand = p.demand();
    let rc_of = |pat: &Pattern| p.reduced_cost(pat, &lp.pi).max(0.0);
    pats.sort_by(|a, b| rc_of(a).total_cmp(&rc_of(b)));
    let rc: Vec<f64> = pats.iter().map(rc_of).collect();
    let mut by_class = vec![Vec::new(); kn];
    for (i, pat) in pats.iter().enumerate() {
        for k in 0..kn {
            if pat.counts[k] > 0 {
                by_class[k].push(i);
            }
        }
    }
    // Branch first on the process type held by the fewest candidate nodes.
    let mut branch_order: Vec<usize> = (0..kn).collect();
    branch_order.sort_by_key(|&k| by_class[k].len());
    let mut duals = vec![(lp.pi.clone(), demand.clone())];
    duals.extend(extra_duals);
    let mult = radix(&demand)?;
    let mut s = Memo {
        mult,
        cost: pats.iter().map(|pat| p.types[pat.ty].cost).collect(),
        pats,
        rc,
        by_class,
        branch_order,
        duals,
        root_pi: lp.pi.clone(),
        exact: std::collections::HashMap::with_hasher(FastKey),
        lb: std::collections::HashMap::with_hasher(FastKey),
        deadline,
        steps: 0,
        timed_out: false,
        root: 0,
        found: None,
    };
    s.root = s.key(&demand);
    s.solve(&demand, s.root, ub - 1e-7);
    s.found.take().map(|plan| shrink(p, plan, &demand))
}

//! Branch-and-price: the configuration LP, with bounds on how many nodes of each type a plan
//! uses, branched on until those counts are whole.
//!
//! The cost of a plan depends only on how many nodes of each type it has, so once the LP's node
//! count of every type is a whole number its value is the cost of that type mix, and the only
//! question left is whether the pods fit those nodes. Branching on a type's count (`N_t ≤ ⌊v⌋`
//! or `N_t ≥ ⌈v⌉`) adds a row to the LP that every pattern of that type meets with coefficient 1,
//! so the same knapsack prices the columns (its dual is a price on the type). When the counts are
//! whole but the patterns are not, the search branches on the pods of one class on the nodes of
//! one type (a row the knapsack sees as a change of that class's price for that type); when
//! those are whole too, each type's pods are packed into its nodes exactly.
//!
//! Every LP is bounded from below by its Lagrangian value at sign-corrected duals, whatever the
//! simplex reached: `y·b + Σ_t U_t · min(0, least reduced cost of type t)`, where `U_t` bounds
//! the nodes of type t any plan cheaper than the incumbent can have. So a search cut short by
//! time still leaves a proven bound: the least bound among the subtrees not yet closed.
//!
//! How it runs: the subtree with the least bound first (the deepest on a tie, to reach whole
//! plans sooner); each tree node's LP is a revised simplex started from its parent's final basis
//! plus the new row's artificial variable (artificials cost far more than any plan, so the LP
//! may start anywhere), with columns from a pool shared by the whole tree and from pricing, which
//! skips a type whose knapsack relaxation cannot give a negative reduced cost and otherwise only
//! looks for patterns that beat the type's price. Every tree node also offers quick plans read
//! off its LP: the node counts rounded up, if that mix is cheaper than the best plan and the pods
//! fit it; when the counts are whole and the greedy fit fails, the LP's whole nodes with the
//! pods left planned exactly; and the LP's whole nodes with the rest placed first-fit.

use std::collections::{BinaryHeap, HashSet};
use std::time::{Duration, Instant};

use super::EPS;
use super::bnb::grid_round;
use super::colgen::invert;
use super::ffd::ffd;
use super::knapsack::Knap;
use super::lns::improve_small;
use super::model::{Class, Pattern, Problem, cost_of, shrink, with_demand};

/// A row of the master LP.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Row {
    /// Pods of class `k` placed ≥ its demand.
    Cover(usize),
    /// Nodes of type `ty` (`class: None`), or pods of `class` on nodes of type `ty`, at most
    /// (`le`) or at least `rhs`.
    Count {
        ty: usize,
        class: Option<usize>,
        le: bool,
        rhs: u64,
    },
}

impl Row {
    /// The coefficient of the slack variable (`+1` for ≤ rows, `-1` for ≥ rows); the
    /// artificial variable has the opposite one.
    fn sign(self) -> f64 {
        match self {
            Row::Count { le: true, .. } => 1.0,
            _ => -1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    /// A pattern of the pool.
    Col(usize),
    /// The slack (≤) or surplus (≥) of row r; costs nothing.
    Slack(usize),
    /// The artificial of row r: lets the LP start anywhere, at a cost no plan pays.
    Art(usize),
}

/// Most subtrees kept open, and most node patterns in the pool: limits for long budgets
/// (each open subtree holds its rows and basis, every pattern is scanned each pivot).
const MAX_OPEN: usize = 200_000;
const MAX_COLUMNS: usize = 100_000;

/// Most time one packing of a type mix's pods may take, ms.
const PACK_MS: u64 = 20;
/// Most time one exact plan of the pods an LP's whole nodes leave may take, ms.
const REPAIR_MS: u64 = 10;

/// The columns every node may use (patterns valid anywhere: rows change, columns do not).
struct Pool {
    pats: Vec<Pattern>,
    seen: HashSet<(usize, Vec<u64>)>,
}

impl Pool {
    fn add(&mut self, pat: Pattern) -> Option<usize> {
        if self.seen.insert((pat.ty, pat.counts.clone())) {
            self.pats.push(pat);
            Some(self.pats.len() - 1)
        } else {
            None
        }
    }
}

/// A subtree not yet searched: its extra rows, the basis its parent ended with (plus the new
/// row's artificial) and a lower bound (its parent's).
struct Open {
    bound: f64,
    depth: usize,
    rows: Vec<Row>,
    basis: Vec<Var>,
}

impl PartialEq for Open {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Open {}
impl PartialOrd for Open {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Open {
    /// Max-heap order: the least bound first, then the deepest (to reach whole plans sooner).
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.bound
            .total_cmp(&self.bound)
            .then(self.depth.cmp(&o.depth))
    }
}

/// The master LP of one tree node, solved by a revised simplex with an explicit inverse.
struct Master<'a> {
    p: &'a Problem,
    rows: Vec<Row>,
    basis: Vec<Var>,
    binv: Vec<Vec<f64>>,
    x: Vec<f64>,
    big_m: f64,
    limit: Vec<u64>,
    /// Duals and least reduced cost per type of the pricing that ended the last solve.
    last_pricing: Option<(Vec<f64>, Vec<f64>)>,
    /// When pricing stops searching (a knapsack cut short gives a valid, weaker bound).
    deadline: Instant,
    /// Whether the last pricing round had a knapsack cut short.
    cut: std::cell::Cell<bool>,
}

/// Per type, what a pattern is worth under duals `y`: a constant (the type's count rows) and a
/// price per pod of each class.
struct TypePrices {
    constant: Vec<f64>,
    per_class: Vec<Vec<f64>>,
}

impl<'a> Master<'a> {
    fn rhs(&self, r: usize) -> f64 {
        match self.rows[r] {
            Row::Cover(k) => self.p.classes[k].demand as f64,
            Row::Count { rhs, .. } => rhs as f64,
        }
    }

    fn coef(&self, r: usize, pat: &Pattern) -> f64 {
        match self.rows[r] {
            Row::Cover(k) => pat.counts[k] as f64,
            Row::Count { ty, class, .. } if ty == pat.ty => match class {
                None => 1.0,
                Some(k) => pat.counts[k] as f64,
            },
            Row::Count { .. } => 0.0,
        }
    }

    fn column(&self, pool: &Pool, v: Var) -> Vec<f64> {
        let m = self.rows.len();
        match v {
            Var::Col(j) => (0..m).map(|r| self.coef(r, &pool.pats[j])).collect(),
            Var::Slack(s) | Var::Art(s) => {
                let sign = if matches!(v, Var::Slack(_)) {
                    self.rows[s].sign()
                } else {
                    -self.rows[s].sign()
                };
                (0..m).map(|r| if r == s { sign } else { 0.0 }).collect()
            }
        }
    }

    fn cost(&self, pool: &Pool, v: Var) -> f64 {
        match v {
            Var::Col(j) => self.p.types[pool.pats[j].ty].cost,
            Var::Slack(_) => 0.0,
            Var::Art(_) => self.big_m,
        }
    }

    /// The basis that is feasible for any rows: each row's slack, or its artificial where the
    /// slack would be negative.
    fn start_basis(rows: &[Row]) -> Vec<Var> {
        rows.iter()
            .enumerate()
            .map(|(r, row)| match row {
                Row::Count { le: true, .. } => Var::Slack(r),
                _ => Var::Art(r),
            })
            .collect()
    }

    /// Inverts the basis and recomputes the basic values; false if the basis is singular.
    fn reinvert(&mut self, pool: &Pool) -> bool {
        let m = self.rows.len();
        let cols: Vec<Vec<f64>> = self.basis.iter().map(|&v| self.column(pool, v)).collect();
        let bm: Vec<Vec<f64>> = (0..m)
            .map(|r| (0..m).map(|c| cols[c][r]).collect())
            .collect();
        let Some(inv) = invert(&bm) else {
            return false;
        };
        let b: Vec<f64> = (0..m).map(|r| self.rhs(r)).collect();
        self.x = (0..m)
            .map(|r| (0..m).map(|c| inv[r][c] * b[c]).sum::<f64>().max(0.0))
            .collect();
        self.binv = inv;
        true
    }

    fn duals(&self, pool: &Pool) -> Vec<f64> {
        let m = self.rows.len();
        let cb: Vec<f64> = self.basis.iter().map(|&v| self.cost(pool, v)).collect();
        (0..m)
            .map(|i| (0..m).map(|r| cb[r] * self.binv[r][i]).sum::<f64>())
            .collect()
    }

    fn type_prices(&self, y: &[f64]) -> TypePrices {
        let kn = self.p.classes.len();
        let tn = self.p.types.len();
        let mut constant = vec![0.0; tn];
        let mut per_class = vec![vec![0.0; kn]; tn];
        for (r, row) in self.rows.iter().enumerate() {
            match *row {
                Row::Cover(k) => per_class.iter_mut().for_each(|w| w[k] += y[r]),
                Row::Count {
                    ty, class: None, ..
                } => constant[ty] += y[r],
                Row::Count {
                    ty, class: Some(k), ..
                } => per_class[ty][k] += y[r],
            }
        }
        TypePrices {
            constant,
            per_class,
        }
    }

    fn reduced_cost(&self, pat: &Pattern, tp: &TypePrices) -> f64 {
        self.p.types[pat.ty].cost
            - tp.constant[pat.ty]
            - pat
                .counts
                .iter()
                .zip(&tp.per_class[pat.ty])
                .map(|(&n, &w)| n as f64 * w)
                .sum::<f64>()
    }

    /// Per type, a lower bound on the least reduced cost of its patterns under `tp` and, when
    /// it is negative, the best pattern found. A type whose knapsack relaxation already shows
    /// no negative reduced cost is not searched; a search cut short (deadline, step cap) gives
    /// the relaxation's bound and marks the round `cut`.
    fn price(&self, tp: &TypePrices) -> Vec<(f64, Option<Pattern>)> {
        (0..self.p.types.len())
            .map(|t| {
                let w: Vec<f64> = tp.per_class[t].iter().map(|v| v.max(0.0)).collect();
                let room = self.p.types[t].cost - tp.constant[t];
                let knap = Knap::new(self.p, t, &w, &self.limit, false).until(self.deadline);
                let relaxed = room - knap.relaxed();
                if relaxed >= -1e-9 {
                    return (relaxed, None);
                }
                // Only a pattern worth more than the room is a column; proving there is none
                // (the usual case once the LP is nearly solved) is quick.
                let ((value, counts, upper), cut) = knap.best_above_cut(room);
                if cut {
                    self.cut.set(true);
                }
                if value <= room {
                    return (room - upper - EPS, None);
                }
                (room - upper - EPS, Some(Pattern { ty: t, counts }))
            })
            .collect()
    }

    /// Runs the simplex with column generation until optimal, `max_iter` pivots or `deadline`;
    /// true when proven optimal (a pricing round cut short proves nothing).
    fn solve(&mut self, pool: &mut Pool, deadline: Instant, max_iter: usize) -> bool {
        let m = self.rows.len();
        self.last_pricing = None;
        if !self.reinvert(pool) {
            self.basis = Self::start_basis(&self.rows);
            if !self.reinvert(pool) {
                return false;
            }
        }
        for iter in 1..=max_iter {
            if iter.is_multiple_of(32) {
                if Instant::now() >= deadline {
                    return false;
                }
                if !self.reinvert(pool) {
                    return false;
                }
            }
            let y = self.duals(pool);
            let mut entering: Option<(Var, f64)> = None;
            let offer = |v: Var, rc: f64, e: &mut Option<(Var, f64)>| {
                if rc < -1e-9 && e.is_none_or(|(_, b)| rc < b) {
                    *e = Some((v, rc));
                }
            };
            for r in 0..m {
                let s = self.rows[r].sign();
                if !self.basis.contains(&Var::Slack(r)) {
                    offer(Var::Slack(r), -y[r] * s, &mut entering);
                }
            }
            let tp = self.type_prices(&y);
            if entering.is_none() {
                let mut basic = vec![false; pool.pats.len()];
                for v in &self.basis {
                    if let Var::Col(j) = *v {
                        basic[j] = true;
                    }
                }
                for (j, pat) in pool.pats.iter().enumerate() {
                    let rc = self.reduced_cost(pat, &tp);
                    if rc < -1e-9 && !basic[j] {
                        offer(Var::Col(j), rc, &mut entering);
                    }
                }
            }
            if entering.is_none() {
                // Greedy patterns first (cheap); the exact pricing below proves there is none.
                for t in 0..self.p.types.len() {
                    let w: Vec<f64> = tp.per_class[t].iter().map(|v| v.max(0.0)).collect();
                    let (_, counts) = Knap::new(self.p, t, &w, &self.limit, false).greedy();
                    let pat = Pattern { ty: t, counts };
                    let rc = self.reduced_cost(&pat, &tp);
                    if rc < -1e-9
                        && let Some(j) = pool.add(pat)
                    {
                        offer(Var::Col(j), rc, &mut entering);
                    }
                }
            }
            let mut least = Vec::new();
            if entering.is_none() {
                if Instant::now() >= deadline {
                    return false;
                }
                self.cut.set(false);
                let priced = self.price(&tp);
                least = priced.iter().map(|(l, _)| *l).collect();
                for pat in priced.into_iter().filter_map(|(_, pat)| pat) {
                    let rc = self.reduced_cost(&pat, &tp);
                    if rc < -1e-9
                        && let Some(j) = pool.add(pat)
                    {
                        offer(Var::Col(j), rc, &mut entering);
                    }
                }
            }
            let Some((var, _)) = entering else {
                self.last_pricing = Some((y, least));
                // A pricing cut short (deadline or step cap) proves nothing about optimality.
                return Instant::now() < deadline && !self.cut.get();
            };
            let a = self.column(pool, var);
            let u: Vec<f64> = (0..m)
                .map(|r| (0..m).map(|c| self.binv[r][c] * a[c]).sum())
                .collect();
            let mut leave: Option<(usize, f64)> = None;
            for r in 0..m {
                if u[r] > 1e-9 {
                    let ratio = self.x[r] / u[r];
                    if leave.is_none_or(|(_, b)| ratio < b - 1e-12) {
                        leave = Some((r, ratio));
                    }
                }
            }
            let Some((r, theta)) = leave else {
                return false; // unbounded cannot happen with costs ≥ 0; stop with the bound
            };
            for i in 0..m {
                self.x[i] = (self.x[i] - theta * u[i]).max(0.0);
            }
            self.x[r] = theta;
            let piv = u[r];
            for j in 0..m {
                self.binv[r][j] /= piv;
            }
            for i in 0..m {
                if i != r && u[i] != 0.0 {
                    let f = u[i];
                    for j in 0..m {
                        self.binv[i][j] -= f * self.binv[r][j];
                    }
                }
            }
            self.basis[r] = var;
        }
        false
    }

    /// A proven lower bound on the cost of any plan in this subtree that costs less than
    /// `incumbent`: the Lagrangian value at the current duals with their signs corrected.
    fn lagrangian_bound(&mut self, pool: &Pool, incumbent: f64) -> f64 {
        let signed = |v: f64, row: &Row| {
            if row.sign() > 0.0 {
                v.min(0.0)
            } else {
                v.max(0.0)
            }
        };
        // The pricing that ended an optimal solve already holds the least reduced costs under
        // these duals, if their signs are right; otherwise correct the signs and price again.
        let (y, least) = match self.last_pricing.take() {
            Some((y, least))
                if y.iter()
                    .zip(&self.rows)
                    .all(|(&v, row)| signed(v, row) == v) =>
            {
                (y, least)
            }
            _ => {
                let y: Vec<f64> = self
                    .duals(pool)
                    .iter()
                    .zip(&self.rows)
                    .map(|(&v, row)| signed(v, row))
                    .collect();
                let least = self
                    .price(&self.type_prices(&y))
                    .into_iter()
                    .map(|(l, _)| l)
                    .collect();
                (y, least)
            }
        };
        let total_pods: u64 = self.p.classes.iter().map(|c| c.demand).sum();
        let mut bound: f64 = (0..self.rows.len()).map(|r| y[r] * self.rhs(r)).sum();
        for (t, least) in least.into_iter().enumerate() {
            if least >= 0.0 {
                continue;
            }
            // Nodes of type t in a plan cheaper than the incumbent: fewer than incumbent / cost,
            // no more than the pods, and within this subtree's ≤ rows.
            let mut most = ((incumbent / self.p.types[t].cost).floor() as u64).min(total_pods);
            for row in &self.rows {
                if let Row::Count {
                    ty,
                    class: None,
                    le: true,
                    rhs,
                } = *row
                    && ty == t
                {
                    most = most.min(rhs);
                }
            }
            bound += most as f64 * least;
        }
        bound
    }

    /// The LP solution: (pattern id, value) of the basic columns with a positive value.
    fn solution(&self) -> Vec<(usize, f64)> {
        self.basis
            .iter()
            .zip(&self.x)
            .filter_map(|(&v, &x)| match v {
                Var::Col(j) if x > 1e-9 => Some((j, x)),
                _ => None,
            })
            .collect()
    }

    fn artificial_left(&self) -> bool {
        self.basis
            .iter()
            .zip(&self.x)
            .any(|(&v, &x)| matches!(v, Var::Art(_)) && x > 1e-7)
    }
}

/// What to branch on: a row that cuts off the LP solution both ways.
enum Branch {
    /// Branch on `N_t` (class None) or on pods of a class on type t, at value `v`.
    On {
        ty: usize,
        class: Option<usize>,
        v: f64,
    },
    /// Everything whole: the LP solution is a plan.
    Whole,
    /// Counts whole but patterns not: pack each type's pods into its nodes.
    Pack {
        nodes: Vec<u64>,
        pods: Vec<Vec<u64>>,
    },
}

fn frac(v: f64) -> f64 {
    let f = v - v.floor();
    f.min(1.0 - f)
}

fn choose_branch(p: &Problem, pool: &Pool, sol: &[(usize, f64)]) -> Branch {
    let (tn, kn) = (p.types.len(), p.classes.len());
    let mut n = vec![0.0; tn];
    let mut pods = vec![vec![0.0; kn]; tn];
    for &(j, v) in sol {
        let pat = &pool.pats[j];
        n[pat.ty] += v;
        for (k, &a) in pat.counts.iter().enumerate() {
            pods[pat.ty][k] += a as f64 * v;
        }
    }
    // The most fractional count, weighted by what a node of the type costs.
    let pick = (0..tn)
        .filter(|&t| frac(n[t]) > 1e-6)
        .max_by(|&a, &b| (frac(n[a]) * p.types[a].cost).total_cmp(&(frac(n[b]) * p.types[b].cost)));
    if let Some(t) = pick {
        return Branch::On {
            ty: t,
            class: None,
            v: n[t],
        };
    }
    let pick = (0..tn)
        .flat_map(|t| (0..kn).map(move |k| (t, k)))
        .filter(|&(t, k)| frac(pods[t][k]) > 1e-6)
        .max_by(|&(a, i), &(b, j)| frac(pods[a][i]).total_cmp(&frac(pods[b][j])));
    if let Some((t, k)) = pick {
        return Branch::On {
            ty: t,
            class: Some(k),
            v: pods[t][k],
        };
    }
    if sol.iter().all(|&(_, v)| frac(v) <= 1e-6) {
        return Branch::Whole;
    }
    Branch::Pack {
        nodes: n.iter().map(|v| v.round() as u64).collect(),
        pods: pods
            .iter()
            .map(|r| r.iter().map(|v| v.round() as u64).collect())
            .collect(),
    }
}

/// Packs, per type, its pods into its number of nodes (each type alone, exactly, within
/// `deadline`); the plan if every type's pods fit.
fn pack_types(
    p: &Problem,
    nodes: &[u64],
    pods: &[Vec<u64>],
    deadline: Instant,
) -> Option<Vec<Pattern>> {
    let mut plan = Vec::new();
    for t in 0..p.types.len() {
        if nodes[t] == 0 {
            continue;
        }
        // Only the classes this type carries (another may not fit it at all).
        let carried: Vec<usize> = (0..p.classes.len()).filter(|&k| pods[t][k] > 0).collect();
        let sub = Problem {
            types: vec![p.types[t].clone()],
            classes: carried
                .iter()
                .map(|&k| Class {
                    demand: pods[t][k],
                    ..p.classes[k].clone()
                })
                .collect(),
        };
        let below = p.types[t].cost * (nodes[t] as f64 + 0.5);
        let fit = improve_small(&sub, below, deadline)?;
        plan.extend(fit.into_iter().map(|pat| {
            let mut counts = vec![0; p.classes.len()];
            for (&k, &n) in carried.iter().zip(&pat.counts) {
                counts[k] = n;
            }
            Pattern { ty: t, counts }
        }));
    }
    Some(plan)
}

/// Places every pod on the nodes of `mix` (nodes per type): the LP's whole nodes first with
/// the pods they hold, then each pod left over (largest first) on the node where it leaves the
/// least room. The plan if every pod finds a place.
fn fit_mix(p: &Problem, pool: &Pool, sol: &[(usize, f64)], mix: &[u64]) -> Option<Vec<Pattern>> {
    let kn = p.classes.len();
    let demand = p.demand();
    let mut res = demand.clone();
    let mut left = mix.to_vec();
    let mut bins: Vec<Pattern> = Vec::new();
    for &(j, v) in sol {
        let pat = &pool.pats[j];
        for _ in 0..(v + 1e-9).floor() as u64 {
            if left[pat.ty] == 0 {
                break;
            }
            left[pat.ty] -= 1;
            let counts = pat
                .counts
                .iter()
                .zip(res.iter_mut())
                .map(|(&a, r)| {
                    let n = a.min(*r);
                    *r -= n;
                    n
                })
                .collect();
            bins.push(Pattern { ty: pat.ty, counts });
        }
    }
    for (t, &n) in left.iter().enumerate() {
        for _ in 0..n {
            bins.push(Pattern {
                ty: t,
                counts: vec![0; kn],
            });
        }
    }
    let mut used: Vec<[u64; 3]> = bins
        .iter()
        .map(|b| {
            b.counts
                .iter()
                .zip(&p.classes)
                .fold([0, 0, 0], |u, (&n, c)| {
                    [u[0] + n * c.cpu, u[1] + n * c.mem, u[2] + n]
                })
        })
        .collect();
    let (max_cpu, max_mem) = p
        .types
        .iter()
        .fold((1u64, 1u64), |(c, m), t| (c.max(t.cpu), m.max(t.mem)));
    let size = |k: usize| {
        p.classes[k].cpu as f64 / max_cpu as f64 + p.classes[k].mem as f64 / max_mem as f64
    };
    let mut order: Vec<usize> = (0..kn).collect();
    order.sort_by(|&a, &b| size(b).total_cmp(&size(a)));
    for k in order {
        let c = &p.classes[k];
        for _ in 0..res[k] {
            let mut best: Option<(usize, f64)> = None;
            for (i, b) in bins.iter().enumerate() {
                let ty = &p.types[b.ty];
                let u = used[i];
                if b.counts[k] >= c.cap
                    || u[0] + c.cpu > ty.cpu
                    || u[1] + c.mem > ty.mem
                    || u[2] + 1 > ty.slots
                {
                    continue;
                }
                let room = (ty.cpu - u[0] - c.cpu) as f64 / ty.cpu as f64
                    + (ty.mem - u[1] - c.mem) as f64 / ty.mem as f64;
                if best.is_none_or(|(_, r)| room < r) {
                    best = Some((i, room));
                }
            }
            let (i, _) = best?;
            bins[i].counts[k] += 1;
            used[i] = [used[i][0] + c.cpu, used[i][1] + c.mem, used[i][2] + 1];
        }
    }
    Some(shrink(p, bins, &demand))
}

/// The LP's whole nodes, and the pods they leave planned exactly for less than `below` minus
/// what those nodes cost (within `deadline`); each set of pods left is tried once.
fn repair(
    p: &Problem,
    pool: &Pool,
    sol: &[(usize, f64)],
    below: f64,
    tried: &mut HashSet<Vec<u64>>,
    deadline: Instant,
) -> Option<Vec<Pattern>> {
    let (mut plan, res) = whole_nodes(p, pool, sol);
    if res.iter().all(|&r| r == 0) || !tried.insert(res.clone()) {
        return None;
    }
    let rest = improve_small(&with_demand(p, &res), below - cost_of(p, &plan), deadline)?;
    plan.extend(rest);
    Some(shrink(p, plan, &p.demand()))
}

/// The LP solution's whole nodes (each pattern as many times as its value's integer part) and
/// the pods they leave unplaced.
fn whole_nodes(p: &Problem, pool: &Pool, sol: &[(usize, f64)]) -> (Vec<Pattern>, Vec<u64>) {
    let mut res = p.demand();
    let mut plan = Vec::new();
    for &(j, v) in sol {
        let pat = &pool.pats[j];
        for _ in 0..(v + 1e-9).floor() as u64 {
            for (r, &a) in res.iter_mut().zip(&pat.counts) {
                *r -= a.min(*r);
            }
            plan.push(pat.clone());
        }
    }
    (plan, res)
}

/// Rounds an LP solution down and places the pods left over first-fit: a quick plan.
fn round_down(p: &Problem, pool: &Pool, sol: &[(usize, f64)]) -> Vec<Pattern> {
    let (mut plan, res) = whole_nodes(p, pool, sol);
    plan.extend(ffd(p, &res));
    shrink(p, plan, &p.demand())
}

/// The branch-and-price search, resumable: each [`Tree::run`] goes on where the last stopped,
/// with whatever plan is best by then (a cheaper incumbent closes more of the tree).
pub(super) struct Tree<'a> {
    p: &'a Problem,
    pool: Pool,
    heap: BinaryHeap<Open>,
    /// The least bound of the subtrees given up on (the LP could not be solved to the end, or
    /// whole node counts whose pods did not fit in time).
    unresolved: f64,
    /// Pods left by an LP's whole nodes that were already planned exactly.
    repaired: HashSet<Vec<u64>>,
    limit: Vec<u64>,
    /// Most simplex pivots one tree node may take, and most tree nodes (both limits only
    /// tests lower: a node stopped by its pivot cap keeps its bound but is not branched on).
    pub(super) max_pivots: usize,
    pub(super) max_nodes: usize,
    /// Tree nodes taken up (one cut short by the deadline counts again when resumed).
    pub(super) nodes: usize,
}

impl<'a> Tree<'a> {
    /// A tree holding only the root, with the column pool started from `seed`.
    pub(super) fn new(p: &'a Problem, seed: &[Pattern]) -> Tree<'a> {
        let kn = p.classes.len();
        let mut pool = Pool {
            pats: Vec::new(),
            seen: HashSet::new(),
        };
        for pat in seed {
            pool.add(pat.clone());
        }
        let rows: Vec<Row> = (0..kn).map(Row::Cover).collect();
        let mut heap = BinaryHeap::new();
        heap.push(Open {
            bound: 0.0,
            depth: 0,
            basis: Master::start_basis(&rows),
            rows,
        });
        Tree {
            p,
            pool,
            heap,
            unresolved: f64::INFINITY,
            repaired: HashSet::new(),
            limit: (0..kn).map(|k| p.limit(k)).collect(),
            max_pivots: 20_000,
            max_nodes: usize::MAX,
            nodes: 0,
        }
    }

    /// Node patterns in the tree's pool (seeded, greedy and priced).
    pub(super) fn columns(&self) -> usize {
        self.pool.pats.len()
    }

    /// Subtrees still open.
    pub(super) fn open(&self) -> usize {
        self.heap.len()
    }

    /// Keeps at most [`MAX_OPEN`] subtrees: past it, the half with the highest bounds is given
    /// up.
    fn limit_open(&mut self) {
        if self.heap.len() > MAX_OPEN {
            self.keep_open(MAX_OPEN / 2);
        }
    }

    /// Keeps the `keep` open subtrees of least bound and gives up the others: their least bound
    /// stays in [`Tree::bound`] and the tree can no longer be complete.
    pub(super) fn keep_open(&mut self, keep: usize) {
        let mut open = std::mem::take(&mut self.heap).into_sorted_vec();
        // Ascending by `Ord`, where the least bound is the greatest: it comes last.
        let give_up = open.len().saturating_sub(keep);
        for o in open.drain(..give_up) {
            self.unresolved = self.unresolved.min(o.bound);
        }
        self.heap = open.into();
    }

    /// Whether every subtree is closed: the best plan known to the last run is optimal.
    pub(super) fn complete(&self) -> bool {
        self.heap.is_empty() && self.unresolved.is_infinite()
    }

    /// The proven lower bound on any plan: the least bound of the subtrees still open, rounded
    /// up on the price grid, and at most `best_cost`.
    pub(super) fn bound(&self, best_cost: f64) -> f64 {
        let open = self
            .heap
            .iter()
            .map(|o| o.bound)
            .fold(self.unresolved, f64::min);
        if open.is_infinite() {
            best_cost
        } else {
            grid_round(self.p, open - 2e-7).min(best_cost)
        }
    }

    /// Searches until `deadline` for plans cheaper than `incumbent` (USD per hour); the
    /// cheapest found, if any.
    pub(super) fn run(&mut self, incumbent: f64, deadline: Instant) -> Option<Vec<Pattern>> {
        let p = self.p;
        let mut best_cost = incumbent;
        let mut improved: Option<Vec<Pattern>> = None;
        // A plan read off an LP (values drift between re-inversions) is kept only if it
        // really places every pod within its nodes.
        let mut offer = |plan: Vec<Pattern>, best_cost: &mut f64| {
            let c = cost_of(p, &plan);
            if c < *best_cost - EPS && p.holds(&plan) {
                *best_cost = c;
                improved = Some(plan);
            }
        };
        // A bound that rounds up on the price grid to the best cost closes a subtree.
        let closes = |b: f64, best: f64| grid_round(p, b - 2e-7) >= best - 1e-7;
        while let Some(node) = self.heap.pop() {
            if closes(node.bound, best_cost) {
                continue;
            }
            if Instant::now() >= deadline
                || self.nodes >= self.max_nodes
                || self.pool.pats.len() >= MAX_COLUMNS
            {
                // Time, the test's node cap, or memory (a budget of up to an hour): the tree
                // stops with this subtree open, its bound kept.
                self.heap.push(node);
                break;
            }
            self.nodes += 1;
            let mut lp = Master {
                p,
                basis: node.basis.clone(),
                binv: Vec::new(),
                x: Vec::new(),
                big_m: 1000.0 * best_cost.max(1.0),
                limit: self.limit.clone(),
                rows: node.rows.clone(),
                last_pricing: None,
                deadline,
                cut: std::cell::Cell::new(false),
            };
            let optimal = lp.solve(&mut self.pool, deadline, self.max_pivots);
            if !optimal && Instant::now() >= deadline {
                // Cut short by time: the next run solves it again.
                self.heap.push(node);
                break;
            }
            let bound = node.bound.max(lp.lagrangian_bound(&self.pool, best_cost));
            if closes(bound, best_cost) {
                continue;
            }
            let sol = lp.solution();
            for plan in quick_plans(p, &self.pool, &sol, best_cost, &mut self.repaired, deadline) {
                offer(plan, &mut best_cost);
            }
            if closes(bound, best_cost) {
                continue;
            }
            if !optimal || lp.artificial_left() {
                // The LP stopped at its pivot cap (or is infeasible as far as it can tell):
                // nothing to branch on with confidence; its bound stays.
                self.unresolved = self.unresolved.min(bound);
                continue;
            }
            match choose_branch(p, &self.pool, &sol) {
                Branch::On { ty, class, v } => {
                    for (le, rhs) in [(true, v.floor() as u64), (false, v.ceil() as u64)] {
                        let mut rows = lp.rows.clone();
                        let mut basis = lp.basis.clone();
                        rows.push(Row::Count { ty, class, le, rhs });
                        // The parent's basis stays a basis with the new row's artificial: the
                        // parent's value lies on the other side of the new bound.
                        basis.push(Var::Art(rows.len() - 1));
                        self.heap.push(Open {
                            bound,
                            depth: node.depth + 1,
                            rows,
                            basis,
                        });
                    }
                    self.limit_open();
                }
                Branch::Whole => {
                    let mut plan = Vec::new();
                    for &(j, v) in &sol {
                        for _ in 0..v.round() as u64 {
                            plan.push(self.pool.pats[j].clone());
                        }
                    }
                    offer(shrink(p, plan, &p.demand()), &mut best_cost);
                }
                Branch::Pack { nodes, pods } => {
                    let until = deadline.min(Instant::now() + Duration::from_millis(PACK_MS));
                    match pack_types(p, &nodes, &pods, until) {
                        Some(plan) => offer(shrink(p, plan, &p.demand()), &mut best_cost),
                        None => self.unresolved = self.unresolved.min(bound),
                    }
                }
            }
        }
        improved
    }
}

/// Plans read off a tree node's LP solution that may beat `best_cost`: its node counts rounded
/// up, if that mix costs less and the pods fit it ([`fit_mix`]; when the counts are whole and
/// the greedy fit fails, the LP's whole nodes with the rest planned exactly, [`repair`]); and
/// its whole nodes with the pods left placed first-fit.
fn quick_plans(
    p: &Problem,
    pool: &Pool,
    sol: &[(usize, f64)],
    best_cost: f64,
    repaired: &mut HashSet<Vec<u64>>,
    deadline: Instant,
) -> Vec<Vec<Pattern>> {
    let mut per_type = vec![0.0; p.types.len()];
    for &(j, v) in sol {
        per_type[pool.pats[j].ty] += v;
    }
    let mix: Vec<u64> = per_type.iter().map(|v| (v - 1e-6).ceil() as u64).collect();
    let mix_cost: f64 = mix
        .iter()
        .zip(&p.types)
        .map(|(&n, t)| n as f64 * t.cost)
        .sum();
    let mut plans = vec![round_down(p, pool, sol)];
    if mix_cost < best_cost - EPS {
        let whole = per_type.iter().all(|v| frac(*v) <= 1e-6);
        match fit_mix(p, pool, sol, &mix) {
            Some(plan) => plans.push(plan),
            None if whole => {
                let until = deadline.min(Instant::now() + Duration::from_millis(REPAIR_MS));
                plans.extend(repair(p, pool, sol, best_cost, repaired, until));
            }
            None => {}
        }
    }
    plans
}

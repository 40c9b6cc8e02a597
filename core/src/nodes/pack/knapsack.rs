//! The bounded knapsack that prices columns (and enumerates candidate nodes for the search).

use std::time::Instant;

use super::model::Problem;
use super::{EPS, KNAPSACK_STEP_CAP};

/// Classes in the order the knapsack searches them, with suffix bounds per resource.
pub(super) struct Knap<'a> {
    p: &'a Problem,
    t: usize,
    pi: &'a [f64],
    limit: &'a [u64],
    order: Vec<usize>,
    /// suffix max of pi/cpu, pi/mem, pi (per slot) from position i on.
    dens: Vec<[f64; 3]>,
    /// Per resource, positions in `order` by decreasing value per unit of that resource.
    by_density: [Vec<usize>; 3],
    counts: Vec<u64>,
    deadline: Option<Instant>,
    steps: u64,
    /// Whether a search stopped early (its step cap or its deadline).
    cut: bool,
}

impl<'a> Knap<'a> {
    pub(super) fn new(
        p: &'a Problem,
        t: usize,
        pi: &'a [f64],
        limit: &'a [u64],
        all: bool,
    ) -> Knap<'a> {
        let ty = &p.types[t];
        let size = |k: usize| {
            let c = &p.classes[k];
            c.cpu as f64 / ty.cpu as f64 + c.mem as f64 / ty.mem as f64 + 1.0 / ty.slots as f64
        };
        let mut order: Vec<usize> = (0..p.classes.len())
            .filter(|&k| limit[k] > 0 && (all || pi[k] > EPS))
            .collect();
        order.sort_by(|&a, &b| (pi[b] / size(b)).total_cmp(&(pi[a] / size(a))));
        let mut dens: Vec<[f64; 3]> = vec![[0.0; 3]; order.len() + 1];
        for i in (0..order.len()).rev() {
            let c = &p.classes[order[i]];
            let v = pi[order[i]].max(0.0);
            dens[i] = [
                dens[i + 1][0].max(v / c.cpu as f64),
                dens[i + 1][1].max(v / c.mem as f64),
                dens[i + 1][2].max(v),
            ];
        }
        let by_density = {
            let per = |r: usize| {
                let mut v: Vec<usize> = (0..order.len()).collect();
                let w = |pos: usize| {
                    let c = &p.classes[order[pos]];
                    [c.cpu as f64, c.mem as f64, 1.0][r]
                };
                v.sort_by(|&a, &b| {
                    (pi[order[b]].max(0.0) / w(b)).total_cmp(&(pi[order[a]].max(0.0) / w(a)))
                });
                v
            };
            [per(0), per(1), per(2)]
        };
        Knap {
            p,
            t,
            pi,
            limit,
            order,
            by_density,
            dens,
            counts: vec![0; p.classes.len()],
            deadline: None,
            steps: 0,
            cut: false,
        }
    }

    /// An upper bound on the value the classes from position `i` on can add within `rem`:
    /// the least of the three single-resource fractional knapsacks (each filled greedily by
    /// value per unit of that resource, within the classes' limits).
    fn bound(&self, i: usize, rem: [u64; 3]) -> f64 {
        self.bound_capped(i, rem, u64::MAX)
    }

    /// [`Knap::bound`] with the class at position `i` limited to `first` pods: it only falls as
    /// `first` falls, so a search trying fewer and fewer pods of that class can stop at the
    /// first count whose bound cannot beat the best.
    fn bound_capped(&self, i: usize, rem: [u64; 3], first: u64) -> f64 {
        let d = &self.dens[i];
        let mut best = if first == u64::MAX {
            (rem[0] as f64 * d[0])
                .min(rem[1] as f64 * d[1])
                .min(rem[2] as f64 * d[2])
        } else {
            f64::INFINITY
        };
        for r in 0..3 {
            let mut cap = rem[r] as f64;
            let mut val = 0.0;
            for &pos in &self.by_density[r] {
                if pos < i {
                    continue;
                }
                let k = self.order[pos];
                let v = self.pi[k];
                if v <= 0.0 || cap <= 0.0 {
                    break;
                }
                let c = &self.p.classes[k];
                let w = [c.cpu as f64, c.mem as f64, 1.0][r];
                let lim = if pos == i {
                    self.limit[k].min(first)
                } else {
                    self.limit[k]
                };
                let take = (lim as f64).min(cap / w);
                val += take * v;
                cap -= take * w;
            }
            best = best.min(val);
            if best <= 0.0 {
                break;
            }
        }
        best
    }

    fn max_count(&self, k: usize, rem: [u64; 3]) -> u64 {
        let c = &self.p.classes[k];
        self.limit[k]
            .min(rem[0] / c.cpu)
            .min(rem[1] / c.mem)
            .min(rem[2])
    }

    fn cap(&self) -> [u64; 3] {
        let ty = &self.p.types[self.t];
        [ty.cpu, ty.mem, ty.slots]
    }

    /// An upper bound on the best value, without searching (the fractional relaxation).
    pub(super) fn relaxed(&self) -> f64 {
        self.bound(0, self.cap())
    }

    /// A good pattern found without searching: the classes in order of value per unit of
    /// combined size, each as many times as still fits. Its value and counts.
    pub(super) fn greedy(&self) -> (f64, Vec<u64>) {
        let mut counts = vec![0; self.p.classes.len()];
        let mut rem = self.cap();
        let mut value = 0.0;
        for &k in &self.order {
            let n = self.max_count(k, rem);
            let c = &self.p.classes[k];
            counts[k] = n;
            rem = [rem[0] - n * c.cpu, rem[1] - n * c.mem, rem[2] - n];
            value += n as f64 * self.pi[k];
        }
        (value, counts)
    }

    /// Makes a search stop at `deadline` (with the best found; the upper bound is then the
    /// relaxation's).
    pub(super) fn until(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The best value of π·a over feasible patterns worth more than `floor` (the search prunes
    /// everything that cannot beat it, so proving that none does is quick): the value and
    /// pattern found (the empty pattern and `floor` when none), and an upper bound on the best
    /// value (the value itself, or `floor` when the search proved none beats it, unless the
    /// search was cut short by its step cap or deadline: then the relaxation's bound).
    pub(super) fn best_above(self, floor: f64) -> (f64, Vec<u64>, f64) {
        self.best_above_cut(floor).0
    }

    /// [`Knap::best_above`], and whether the search was cut short (its upper bound is then the
    /// relaxation's, so a pattern beating `floor` may have been missed).
    pub(super) fn best_above_cut(mut self, floor: f64) -> ((f64, Vec<u64>, f64), bool) {
        let mut best = (floor, vec![0; self.p.classes.len()]);
        let cap = self.cap();
        self.best_rec(0, cap, 0.0, &mut best);
        let upper = if self.cut {
            self.bound(0, cap).max(best.0)
        } else {
            best.0
        };
        ((best.0, best.1, upper), self.cut)
    }

    fn best_rec(&mut self, i: usize, rem: [u64; 3], val: f64, best: &mut (f64, Vec<u64>)) {
        if val > best.0 + EPS {
            best.0 = val;
            best.1.clone_from(&self.counts);
        }
        if i == self.order.len() || val + self.bound(i, rem) <= best.0 + EPS {
            return;
        }
        if self.cut {
            return;
        }
        self.steps += 1;
        if self.steps > KNAPSACK_STEP_CAP
            || (self.steps.is_multiple_of(4096)
                && self.deadline.is_some_and(|d| Instant::now() >= d))
        {
            self.cut = true;
            return;
        }
        let k = self.order[i];
        let c = (self.p.classes[k].cpu, self.p.classes[k].mem);
        let m = self.max_count(k, rem);
        for n in (0..=m).rev() {
            if val + self.bound_capped(i, rem, n) <= best.0 + EPS {
                break;
            }
            self.counts[k] = n;
            let r = [rem[0] - n * c.0, rem[1] - n * c.1, rem[2] - n];
            self.best_rec(i + 1, r, val + n as f64 * self.pi[k], best);
        }
        self.counts[k] = 0;
    }

    /// Every maximal pattern with π·a > `threshold`, appended to `out` (stops past `max`).
    pub(super) fn enumerate(
        mut self,
        threshold: f64,
        out: &mut Vec<Vec<u64>>,
        max: usize,
        deadline: Instant,
    ) -> bool {
        self.deadline = Some(deadline);
        let cap = self.cap();
        self.enum_rec(0, cap, 0.0, threshold, out, max)
    }

    fn enum_rec(
        &mut self,
        i: usize,
        rem: [u64; 3],
        val: f64,
        threshold: f64,
        out: &mut Vec<Vec<u64>>,
        max: usize,
    ) -> bool {
        if val + self.bound(i, rem) <= threshold + EPS {
            return true;
        }
        self.steps += 1;
        if self.steps.is_multiple_of(4096) && self.deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
        if i == self.order.len() {
            // Maximal: no class below its limit fits once more.
            let maximal = (0..self.p.classes.len()).all(|k| {
                let c = &self.p.classes[k];
                self.counts[k] >= self.limit[k] || c.cpu > rem[0] || c.mem > rem[1] || rem[2] == 0
            });
            if maximal && val > threshold + EPS {
                if out.len() >= max {
                    return false;
                }
                out.push(self.counts.clone());
            }
            return true;
        }
        let k = self.order[i];
        let c = (self.p.classes[k].cpu, self.p.classes[k].mem);
        let m = self.max_count(k, rem);
        for n in (0..=m).rev() {
            if val + self.bound_capped(i, rem, n) <= threshold + EPS {
                break;
            }
            self.counts[k] = n;
            let r = [rem[0] - n * c.0, rem[1] - n * c.1, rem[2] - n];
            if !self.enum_rec(i + 1, r, val + n as f64 * self.pi[k], threshold, out, max) {
                self.counts[k] = 0;
                return false;
            }
        }
        self.counts[k] = 0;
        true
    }
}

//! A mergeable quantile sketch with a guaranteed relative error (DDSketch, Masson et al. 2019):
//! values fall into logarithmic buckets `(γ^(i-1), γ^i]` with `γ = (1+α)/(1-α)`, so any
//! quantile it returns is within `α` (1%) of the true value of that rank. Count, sum, min and
//! max are exact. Two sketches merge by adding bucket counts, so per-file or per-thread
//! results combine without loss.

use serde::{Deserialize, Serialize};

/// The relative accuracy α of every [`Sketch`]: a returned quantile is within 1% of the true
/// value of that rank.
pub const RELATIVE_ERROR: f64 = 0.01;
/// `ln(γ)` for `γ = (1 + α) / (1 - α)`, α = 0.01.
const LN_GAMMA: f64 = 0.020_000_666_706_669_435;
/// Values at or below this go to the zero bucket (and are reported as 0).
const MIN_POSITIVE: f64 = 1e-9;
/// Bucket indexes are clamped to this range (1e-9 .. 1e17): wide enough for any real value.
pub(super) const MIN_INDEX: i32 = -1040;
pub(super) const MAX_INDEX: i32 = 1960;

/// Whole numbers below this have their bucket index in a table ([`whole_indexes`]).
const WHOLE_TABLE: usize = 1 << 15;

/// The bucket index of every whole number below [`WHOLE_TABLE`] (index 0 unused), computed
/// once by the same function as every other value's.
fn whole_indexes() -> &'static [i16] {
    static TABLE: std::sync::OnceLock<Vec<i16>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..WHOLE_TABLE)
            .map(|n| {
                let i = if n == 0 {
                    0
                } else {
                    Sketch::index_ln(n as f64)
                };
                i16::try_from(i).expect("indexes of numbers below 2^15 fit an i16")
            })
            .collect()
    })
}

/// A DDSketch with α = [`RELATIVE_ERROR`]; negative values count as zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    /// Number of values.
    pub count: u64,
    /// Exact sum.
    pub sum: f64,
    /// Exact minimum (0 when empty).
    pub min: f64,
    /// Exact maximum (0 when empty).
    pub max: f64,
    /// Values ≤ 1e-9.
    pub zeros: u64,
    /// Bucket index of `bins[0]`.
    pub offset: i32,
    /// Counts of consecutive buckets from `offset`.
    pub bins: Vec<u64>,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch::new()
    }
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Sketch {
        Sketch {
            count: 0,
            sum: 0.0,
            min: 0.0,
            max: 0.0,
            zeros: 0,
            offset: 0,
            bins: Vec::new(),
        }
    }

    #[inline]
    fn index(x: f64) -> i32 {
        // Whole numbers (router milliseconds, byte counts) are looked up: the table holds
        // exactly what `index_ln` gives for them.
        if (1.0..WHOLE_TABLE as f64).contains(&x) {
            let n = x as usize;
            if n as f64 == x {
                return i32::from(whole_indexes()[n]);
            }
        }
        Self::index_ln(x)
    }

    fn index_ln(x: f64) -> i32 {
        let i = (x.ln() / LN_GAMMA).ceil();
        (i as i32).clamp(MIN_INDEX, MAX_INDEX)
    }

    fn value(i: i32) -> f64 {
        // The midpoint (in relative terms) of bucket i: 2γ^i / (γ + 1).
        let gamma = LN_GAMMA.exp();
        2.0 * (f64::from(i) * LN_GAMMA).exp() / (gamma + 1.0)
    }

    /// Adds one value. NaN is ignored (callers never pass one: parsers refuse them).
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.add_n(x, 1);
    }

    /// Adds `n` copies of a value.
    #[inline]
    pub fn add_n(&mut self, x: f64, n: u64) {
        if x.is_nan() || n == 0 {
            return;
        }
        if self.count == 0 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.count += n;
        self.sum += x * n as f64;
        if x <= MIN_POSITIVE {
            self.zeros += n;
            return;
        }
        let i = Self::index(x);
        self.bump(i, n);
    }

    #[inline]
    fn bump(&mut self, i: i32, n: u64) {
        // Within the bins so far (a negative `i - offset` wraps to a huge index: not within).
        if let Some(c) = self.bins.get_mut((i - self.offset) as usize) {
            *c += n;
            return;
        }
        self.grow_and_bump(i, n);
    }

    fn grow_and_bump(&mut self, i: i32, n: u64) {
        if self.bins.is_empty() {
            self.offset = i;
            self.bins.push(0);
        } else if i < self.offset {
            let grow = (self.offset - i) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = i;
        } else if i >= self.offset + self.bins.len() as i32 {
            self.bins.resize((i - self.offset) as usize + 1, 0);
        }
        self.bins[(i - self.offset) as usize] += n;
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Sketch) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.min = other.min;
            self.max = other.max;
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.count += other.count;
        self.sum += other.sum;
        self.zeros += other.zeros;
        for (k, &c) in other.bins.iter().enumerate() {
            if c > 0 {
                self.bump(other.offset + k as i32, c);
            }
        }
    }

    /// The value at quantile `q` (0..=1, nearest-rank on `q·(count-1)`), within
    /// [`RELATIVE_ERROR`] of the true value and clamped to the exact min/max. `None` if empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        if q == 1.0 {
            return Some(self.max);
        }
        if q == 0.0 {
            return Some(self.min);
        }
        let rank = (q * (self.count - 1) as f64).floor() as u64;
        let mut seen = self.zeros;
        if rank < seen {
            return Some(0.0f64.clamp(self.min, self.max));
        }
        for (k, &c) in self.bins.iter().enumerate() {
            seen += c;
            if rank < seen {
                let v = Self::value(self.offset + k as i32);
                return Some(v.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Arithmetic mean, `None` if empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    #[test]
    fn quantiles_are_within_the_relative_error() {
        let mut s = Sketch::new();
        let mut values = vec![];
        let mut x = 0.37f64;
        for i in 0..10_000 {
            x = (x * 9301.0 + 49297.0) % 233_280.0;
            let v = 0.5 + x / 100.0 * f64::from(i % 7 + 1);
            values.push(v);
            s.add(v);
        }
        values.sort_by(f64::total_cmp);
        for q in [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999] {
            let got = s.quantile(q).unwrap();
            let want = exact(&values, q);
            assert!(
                (got - want).abs() <= RELATIVE_ERROR * want + 1e-12,
                "q={q} got {got} want {want}"
            );
        }
        assert_eq!(s.quantile(1.0), Some(*values.last().unwrap()));
        assert_eq!(s.quantile(0.0), Some(values[0]));
        assert_eq!(s.count, 10_000);
    }

    #[test]
    fn merge_equals_adding_everything() {
        let (mut a, mut b, mut all) = (Sketch::new(), Sketch::new(), Sketch::new());
        for i in 0..1000 {
            let v = f64::from(i) * 1.7;
            if i % 3 == 0 { &mut a } else { &mut b }.add(v);
            all.add(v);
        }
        a.merge(&b);
        assert_eq!(a.count, all.count);
        assert_eq!(a.zeros, all.zeros);
        assert_eq!(a.max, all.max);
        for q in [0.1, 0.5, 0.9] {
            assert_eq!(a.quantile(q), all.quantile(q));
        }
    }

    #[test]
    fn the_whole_number_table_is_the_logarithm() {
        for n in 1..WHOLE_TABLE + 10 {
            assert_eq!(Sketch::index(n as f64), Sketch::index_ln(n as f64), "{n}");
            let x = n as f64 + 0.5;
            assert_eq!(Sketch::index(x), Sketch::index_ln(x), "{x}");
        }
    }

    #[test]
    fn zeros_and_empty() {
        let mut s = Sketch::new();
        assert_eq!(s.quantile(0.5), None);
        s.add_n(0.0, 9);
        s.add(100.0);
        assert_eq!(s.quantile(0.5), Some(0.0));
        assert_eq!(s.quantile(1.0), Some(100.0));
        assert_eq!(s.mean(), Some(10.0));
    }
}

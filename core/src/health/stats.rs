//! The statistics behind the gates: percentiles, the Mann-Whitney U test (normal approximation
//! with tie and continuity correction), the two-proportion z-test, and the weight-aware
//! evidence estimate. Pure functions; unit-tested against hand-computed values.

use serde::{Deserialize, Serialize};

/// Complementary error function (Numerical Recipes' Chebyshev fit, fractional error < 1.2e-7).
/// A p-value as people read it: `p = 0.034`, `p = 2.1e-5`, or `p < 1e-9` when it is smaller
/// than doubles say anything useful about (never `0.00e0`).
pub fn format_p(p: f64) -> String {
    if p.is_nan() {
        "p = n/a".to_owned()
    } else if p < 1e-9 {
        "p < 1e-9".to_owned()
    } else if p < 0.001 {
        format!("p = {p:.1e}")
    } else {
        format!("p = {p:.3}")
    }
}

pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal cumulative distribution Φ(z).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Nearest-rank percentile (`p` in 0–100) of unsorted values; `None` when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(percentile_sorted(&v, p))
}

/// Nearest-rank percentile of sorted, non-empty values.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// Result of a Mann-Whitney U test of `x` (the AWS side) against `y` (the Heroku baseline).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// Sizes of x and y.
    pub n_x: usize,
    /// Size of y.
    pub n_y: usize,
    /// U of x: the number of (x, y) pairs with x > y (ties count one half).
    pub u: f64,
    /// Normal approximation z for "x tends to be greater" (with tie and continuity correction).
    pub z: f64,
    /// One-sided p-value for "x tends to be greater than y".
    pub p_greater: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
    /// Effect size: probability that a random x exceeds a random y (U / n_x n_y); 0.5 = none.
    pub prob_greater: f64,
    /// Hodges-Lehmann estimate of the shift x − y (median of pairwise differences).
    pub shift: f64,
}

/// Mann-Whitney U test with average ranks for ties, the tie-corrected variance and a continuity
/// correction of 0.5 (what `scipy.stats.mannwhitneyu(method="asymptotic")` computes).
/// `None` when either sample is empty.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (nx, ny) = (x.len(), y.len());
    if nx == 0 || ny == 0 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|v| (*v, true))
        .chain(y.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut k = i;
        while k + 1 < n && all[k + 1].0 == all[i].0 {
            k += 1;
        }
        let t = (k - i + 1) as f64;
        let avg = (i + k) as f64 / 2.0 + 1.0;
        rank_sum_x += all[i..=k].iter().filter(|e| e.1).count() as f64 * avg;
        tie_term += t * t * t - t;
        i = k + 1;
    }
    let (fx, fy, fn_) = (nx as f64, ny as f64, n as f64);
    let u = rank_sum_x - fx * (fx + 1.0) / 2.0;
    let mean = fx * fy / 2.0;
    let var = fx * fy / 12.0 * ((fn_ + 1.0) - tie_term / (fn_ * (fn_ - 1.0)).max(1.0));
    let (z, p_greater, p_two_sided) = if var > 0.0 {
        let sd = var.sqrt();
        let z = (u - mean - 0.5) / sd;
        let z_abs = ((u - mean).abs() - 0.5).max(0.0) / sd;
        (
            z,
            1.0 - normal_cdf(z),
            (2.0 * (1.0 - normal_cdf(z_abs))).min(1.0),
        )
    } else {
        (0.0, 1.0, 1.0) // every value equal: no evidence either way
    };
    let mut diffs: Vec<f64> = Vec::with_capacity(nx * ny);
    for a in x {
        for b in y {
            diffs.push(a - b);
        }
    }
    diffs.sort_by(f64::total_cmp);
    let m = diffs.len();
    let shift = if m % 2 == 1 {
        diffs[m / 2]
    } else {
        (diffs[m / 2 - 1] + diffs[m / 2]) / 2.0
    };
    Some(MannWhitney {
        n_x: nx,
        n_y: ny,
        u,
        z,
        p_greater,
        p_two_sided,
        prob_greater: u / (fx * fy),
        shift,
    })
}

/// P(X ≥ k) for X ~ Binomial(n, p): how likely `k` or more failures are among `n` probes if
/// the true failure rate were `p`. Computed term by term in log space (no overflow for large n).
pub fn binomial_tail_at_least(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if p.is_nan() || p <= 0.0 {
        return 0.0; // a failure is impossible at rate 0
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (fnn, step) = (n as f64, (p / (1.0 - p)).ln());
    let mut log_pmf = fnn * (-p).ln_1p();
    let mut below = 0.0;
    for i in 0..k {
        below += log_pmf.exp();
        let fi = i as f64;
        log_pmf += ((fnn - fi) / (fi + 1.0)).ln() + step;
    }
    (1.0 - below).clamp(0.0, 1.0)
}

/// Two-sided binomial test: how likely a count at least as far from `n·p` as `k` is if the
/// true share were `p` (the smaller tail, doubled, at most 1).
pub fn binomial_two_sided(k: u64, n: u64, p: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let upper = binomial_tail_at_least(k, n, p);
    let lower = 1.0 - binomial_tail_at_least(k + 1, n, p);
    (2.0 * upper.min(lower)).clamp(0.0, 1.0)
}

/// The standard normal quantile Φ⁻¹(`p`), by bisection on [`normal_cdf`] (`p` is clamped to
/// [1e-12, 1 − 1e-12]).
pub fn normal_quantile(p: f64) -> f64 {
    let p = if p.is_nan() {
        0.5
    } else {
        p.clamp(1e-12, 1.0 - 1e-12)
    };
    let (mut lo, mut hi) = (-8.0_f64, 8.0_f64);
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The Wilson score interval for a share of `k` in `n` at two-sided `confidence` (e.g. 0.95);
/// `(0, 1)` when `n` is 0. Unlike the normal ("Wald") interval it stays inside [0, 1] and
/// does not collapse to a point when `k` is 0 or `n`.
pub fn wilson_interval(k: u64, n: u64, confidence: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = normal_quantile(0.5 + confidence.clamp(0.0, 0.999_999_999) / 2.0);
    let (nf, phat) = (n as f64, k.min(n) as f64 / n as f64);
    let z2 = z * z;
    let centre = (phat + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (phat * (1.0 - phat) / nf + z2 / (4.0 * nf * nf)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Result of a two-proportion z-test of AWS's error rate against Heroku's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TwoProportion {
    /// AWS error rate.
    pub rate_x: f64,
    /// Heroku error rate.
    pub rate_y: f64,
    /// rate_x − rate_y.
    pub difference: f64,
    /// z with the pooled standard error.
    pub z: f64,
    /// One-sided p-value for "AWS's rate is higher".
    pub p_greater: f64,
}

/// Two-proportion z-test with a pooled standard error. `None` when a sample is empty.
pub fn two_proportion(errors_x: u64, n_x: u64, errors_y: u64, n_y: u64) -> Option<TwoProportion> {
    if n_x == 0 || n_y == 0 {
        return None;
    }
    let (fx, fy) = (n_x as f64, n_y as f64);
    let (px, py) = (errors_x as f64 / fx, errors_y as f64 / fy);
    let pooled = (errors_x + errors_y) as f64 / (fx + fy);
    let se = (pooled * (1.0 - pooled) * (1.0 / fx + 1.0 / fy)).sqrt();
    let (z, p) = if se > 0.0 {
        let z = (px - py) / se;
        (z, 1.0 - normal_cdf(z))
    } else {
        (0.0, 1.0) // both all-good or both all-bad
    };
    Some(TwoProportion {
        rate_x: px,
        rate_y: py,
        difference: px - py,
        z,
        p_greater: p,
    })
}

/// Whether an observed request rate is the AWS side's own or the whole hostname's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateScope {
    /// Measured at the AWS side (already scaled by the weight).
    #[default]
    Aws,
    /// The whole hostname's traffic (AWS sees `percent`% of it).
    Total,
}

/// How long a soak must last at a stage's weight to collect the samples a gate needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Percent of traffic to AWS.
    pub percent: u8,
    /// Requests per minute the AWS side sees.
    pub aws_requests_per_minute: f64,
    /// Samples collected so far (rate × elapsed).
    pub samples: u64,
    /// Samples required.
    pub required_samples: u64,
    /// Minutes of soak needed in total at this rate (`None`: no traffic, never).
    pub minutes_needed: Option<f64>,
    /// Seconds still to wait (`None`: never at this rate).
    pub seconds_remaining: Option<u64>,
    /// Enough samples.
    pub sufficient: bool,
}

impl Evidence {
    /// One line: "at 10% AWS sees ~12.0 req/min; 200 samples need ~16.7 min".
    pub fn describe(&self) -> String {
        let need = match self.minutes_needed {
            Some(m) => format!("~{m:.1} min"),
            None => "forever (no traffic)".into(),
        };
        format!(
            "at {}% AWS sees ~{:.1} req/min; {} samples need {need} ({} so far)",
            self.percent, self.aws_requests_per_minute, self.required_samples, self.samples
        )
    }
}

/// The weight-aware minimum-sample estimate: `rate_per_second` observed (at `scope`), the
/// stage at `percent`, `elapsed_seconds` of soak so far and `required` samples.
pub fn evidence(
    percent: u8,
    rate_per_second: f64,
    scope: RateScope,
    elapsed_seconds: u64,
    required: u64,
) -> Evidence {
    // (an empty f64 sum is −0.0: normalise so that "−0.0 req/min" is never shown)
    let rate = if rate_per_second.is_finite() && rate_per_second > 0.0 {
        rate_per_second
    } else {
        0.0
    };
    let aws_rate = match scope {
        RateScope::Aws => rate,
        RateScope::Total => rate * f64::from(percent.min(100)) / 100.0,
    };
    let samples = (aws_rate * elapsed_seconds as f64).floor() as u64;
    let (minutes, remaining) = if aws_rate > 0.0 {
        let secs = required as f64 / aws_rate;
        (
            Some(secs / 60.0),
            Some((secs - elapsed_seconds as f64).max(0.0).ceil() as u64),
        )
    } else {
        (None, None)
    };
    Evidence {
        percent,
        aws_requests_per_minute: aws_rate * 60.0,
        samples,
        required_samples: required,
        minutes_needed: minutes,
        seconds_remaining: remaining,
        sufficient: samples >= required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn p_values_read_as_numbers_people_use() {
        assert_eq!(format_p(0.0), "p < 1e-9");
        assert_eq!(format_p(3e-12), "p < 1e-9");
        assert_eq!(format_p(2.14e-5), "p = 2.1e-5");
        assert_eq!(format_p(0.0342), "p = 0.034");
        assert_eq!(format_p(f64::NAN), "p = n/a");
    }

    #[test]
    fn wilson_interval_and_binomial_two_sided() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-4);
        assert!(normal_quantile(0.5).abs() < 1e-6);
        // Wilson 95% for 10 of 100: (0.0552, 0.1744) (textbook values)
        let (lo, hi) = wilson_interval(10, 100, 0.95);
        assert!(
            (lo - 0.0552).abs() < 5e-4 && (hi - 0.1744).abs() < 5e-4,
            "{lo} {hi}"
        );
        // 0 of 200: upper bound z²/(n+z²) = 0.0188
        let (lo, hi) = wilson_interval(0, 200, 0.95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.0188).abs() < 5e-4, "{hi}");
        assert_eq!(wilson_interval(0, 0, 0.95), (0.0, 1.0));
        // 25 of 100 at p = 0.25 is the centre; 0 of 100 at 0.25 is impossible in practice
        assert!(binomial_two_sided(25, 100, 0.25) > 0.9);
        assert!(binomial_two_sided(0, 100, 0.25) < 1e-10);
        assert!(binomial_two_sided(100, 100, 0.25) < 1e-10);
        assert_eq!(binomial_two_sided(0, 0, 0.3), 1.0);
    }

    #[test]
    fn normal_cdf_matches_tables() {
        close(normal_cdf(0.0), 0.5, 1e-7);
        close(normal_cdf(1.96), 0.975_002, 1e-6);
        close(normal_cdf(-1.644_854), 0.05, 1e-6);
        close(normal_cdf(2.326_348), 0.99, 1e-6);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.5), Some(100.0));
        assert_eq!(percentile(&[3.0], 0.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn mann_whitney_by_hand_with_ties() {
        // x = 3 4 4 6, y = 1 2 4 5. Ranks: 1 2 3 (5 5 5) 7 8 → R_x = 3+5+5+8 = 21,
        // U_x = 21 − 10 = 11, mean 8; one tie group of 3: var = 16/12·(9 − 24/56) = 11.428571,
        // z = (11 − 8 − 0.5)/3.380617 = 0.739510, p = 1 − Φ(z) = 0.229800.
        let m = mann_whitney(&[3.0, 4.0, 4.0, 6.0], &[1.0, 2.0, 4.0, 5.0]).unwrap();
        close(m.u, 11.0, 1e-12);
        close(m.z, 0.739_510, 1e-6);
        close(m.p_greater, 0.229_800, 1e-5);
        close(m.prob_greater, 11.0 / 16.0, 1e-12);
        // pairwise differences x−y (16): −2 −1 −1 −1 0 0 1 1 | 2 2 2 2 3 3 4 5 → (1+2)/2
        close(m.shift, 1.5, 1e-12);
        // two-sided: |U − mean| − 0.5 = 2.5 → 2·0.2298
        close(m.p_two_sided, 0.459_600, 1e-5);
    }

    #[test]
    fn mann_whitney_separated_samples() {
        // complete separation, n = 5 + 5: U = 25, mean 12.5, var = 25·11/12 = 22.916667,
        // z = 12/4.787136 = 2.506717, p = 0.006093
        let x = [10.0, 11.0, 12.0, 13.0, 14.0];
        let y = [1.0, 2.0, 3.0, 4.0, 5.0];
        let m = mann_whitney(&x, &y).unwrap();
        close(m.u, 25.0, 1e-12);
        close(m.z, 2.506_717, 1e-5);
        close(m.p_greater, 0.006_093, 1e-5);
        close(m.shift, 9.0, 1e-12);
        let back = mann_whitney(&y, &x).unwrap();
        close(back.u, 0.0, 1e-12);
        assert!(back.p_greater > 0.99);
        // identical values: no evidence, no NaN
        let same = mann_whitney(&[1.0, 1.0], &[1.0, 1.0]).unwrap();
        assert_eq!(same.p_greater, 1.0);
        assert!(mann_whitney(&[], &[1.0]).is_none());
    }

    #[test]
    fn binomial_tail_by_hand() {
        // 1 − 0.99^10
        close(binomial_tail_at_least(1, 10, 0.01), 0.095_617_925, 1e-9);
        // 1 − Σ_{k<5} C(20,k) 0.1^k 0.9^(20−k)
        close(binomial_tail_at_least(5, 20, 0.1), 0.043_174_495, 1e-9);
        close(binomial_tail_at_least(2, 100, 0.01), 0.264_238_021, 1e-9);
        close(binomial_tail_at_least(5, 100, 0.01), 0.003_432_322, 1e-9);
        // large n: no underflow to "certain"
        close(binomial_tail_at_least(1010, 100_000, 0.01), 0.379_558, 1e-5);
        assert_eq!(binomial_tail_at_least(0, 10, 0.5), 1.0);
        assert_eq!(binomial_tail_at_least(11, 10, 0.5), 0.0);
        assert_eq!(binomial_tail_at_least(1, 10, 0.0), 0.0);
        assert_eq!(binomial_tail_at_least(1, 10, 1.0), 1.0);
    }

    #[test]
    fn two_proportion_by_hand() {
        // 10/100 vs 2/100: pooled 0.06, se = sqrt(0.06·0.94·0.02) = 0.0335857,
        // z = 0.08/0.0335857 = 2.381966, p = 0.008612
        let t = two_proportion(10, 100, 2, 100).unwrap();
        close(t.difference, 0.08, 1e-12);
        close(t.z, 2.381_96, 1e-4);
        close(t.p_greater, 0.008_610, 1e-6);
        let none = two_proportion(0, 50, 0, 50).unwrap();
        assert_eq!(none.p_greater, 1.0);
        assert!(two_proportion(0, 0, 0, 1).is_none());
    }

    #[test]
    fn evidence_scales_with_the_weight() {
        // 2 req/s in total, 10% to AWS → 0.2 req/s = 12 req/min; 200 samples need 1000 s
        let e = evidence(10, 2.0, RateScope::Total, 300, 200);
        close(e.aws_requests_per_minute, 12.0, 1e-9);
        assert_eq!(e.samples, 60);
        close(e.minutes_needed.unwrap(), 1000.0 / 60.0, 1e-9);
        assert_eq!(e.seconds_remaining, Some(700));
        assert!(!e.sufficient);
        assert!(
            e.describe()
                .contains("at 10% AWS sees ~12.0 req/min; 200 samples need ~16.7 min")
        );
        let quiet = evidence(10, -0.0, RateScope::Aws, 300, 200);
        assert!(
            quiet.describe().contains("~0.0 req/min"),
            "{}",
            quiet.describe()
        );
        assert_eq!(quiet.minutes_needed, None);
        assert!(quiet.describe().contains("forever"));
        assert!(evidence(50, 1.0, RateScope::Aws, 300, 200).sufficient);
        assert!(!evidence(50, f64::NAN, RateScope::Aws, 300, 200).sufficient);
    }
}

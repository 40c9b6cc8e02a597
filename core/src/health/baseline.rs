//! The baseline comparison gate: probes Heroku and AWS the same way at the same time, then
//! compares latency with a one-sided Mann-Whitney U test and error rates with a two-proportion
//! z-test (Kayenta-like: confidence 0.98, tolerance 0.25). A difference fails the stage only
//! when it is both significant and larger than the tolerance (the effect size is reported).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::http::{check_load, check_number};
use super::probe::{ProbeSpec, Prober, SampleWindow, burst_summary, shown_url};
use super::stats::{mann_whitney, percentile, two_proportion};
use crate::Result;
use crate::cutover::{Gate, GateContext, GatePolicy, Verdict};
use crate::dns::BoxFuture;

fn d_concurrency() -> usize {
    2
}
fn d_samples_per_check() -> usize {
    10
}
fn d_window() -> usize {
    200
}
fn d_min_samples() -> u64 {
    50
}
fn d_confidence() -> f64 {
    0.98
}
fn d_tolerance() -> f64 {
    0.25
}
fn d_error_increase() -> f64 {
    0.01
}

/// Configuration of a [`BaselineGate`].
///
/// JSON: `{"type": "baseline", "heroku": {"url": "https://app.herokuapp.com/health"},
/// "aws": {"url": "http://lb/health", "host": "www.example.com"}}`; `confidence` 0.98,
/// `tolerance` 0.25 (AWS's median latency may be up to 25% above Heroku's),
/// `max_error_rate_increase` 0.01, `min_samples` 50 per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineGateConfig {
    /// Gate name (default `baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The Heroku side (baseline).
    pub heroku: ProbeSpec,
    /// The AWS side (canary).
    pub aws: ProbeSpec,
    /// Probes in flight per side (default 2).
    #[serde(default = "d_concurrency")]
    pub concurrency: usize,
    /// Probes per side per tick (default 10).
    #[serde(default = "d_samples_per_check")]
    pub samples_per_check: usize,
    /// Pause between one worker's probes within a tick, ms (default 0).
    #[serde(default)]
    pub interval_ms: u64,
    /// Samples per side in the sliding window (default 200).
    #[serde(default = "d_window")]
    pub window: usize,
    /// Samples per side before a verdict other than inconclusive (default 50, as Kayenta).
    #[serde(default = "d_min_samples")]
    pub min_samples: u64,
    /// Confidence of the tests (default 0.98: a difference counts when p < 0.02).
    #[serde(default = "d_confidence")]
    pub confidence: f64,
    /// Allowed relative increase of AWS's median latency over Heroku's (default 0.25).
    #[serde(default = "d_tolerance")]
    pub tolerance: f64,
    /// Allowed absolute increase of AWS's error rate over Heroku's (default 0.01).
    #[serde(default = "d_error_increase")]
    pub max_error_rate_increase: f64,
    /// Verdict policy.
    #[serde(default)]
    pub policy: GatePolicy,
}

impl BaselineGateConfig {
    /// Compares `aws` with `heroku` using the defaults.
    pub fn new(heroku: ProbeSpec, aws: ProbeSpec) -> Self {
        BaselineGateConfig {
            name: None,
            heroku,
            aws,
            concurrency: d_concurrency(),
            samples_per_check: d_samples_per_check(),
            interval_ms: 0,
            window: d_window(),
            min_samples: d_min_samples(),
            confidence: d_confidence(),
            tolerance: d_tolerance(),
            max_error_rate_increase: d_error_increase(),
            policy: GatePolicy::default(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    name: String,
    config: BaselineGateConfig,
    heroku: Prober,
    aws: Prober,
    windows: Mutex<(SampleWindow, SampleWindow)>,
}

/// Compares AWS against Heroku every tick.
#[derive(Debug, Clone)]
pub struct BaselineGate {
    inner: Arc<Inner>,
}

impl BaselineGate {
    /// Validates the config (`invalid_input` with the field at fault) and builds both clients.
    pub fn new(config: BaselineGateConfig) -> Result<Self> {
        check_load(config.concurrency, config.samples_per_check, config.window)?;
        check_number(config.confidence, "confidence", 0.5, 0.999_999)?;
        check_number(config.tolerance, "tolerance", 0.0, 100.0)?;
        check_number(
            config.max_error_rate_increase,
            "max_error_rate_increase",
            0.0,
            1.0,
        )?;
        let heroku =
            Prober::new(config.heroku.clone(), config.concurrency).map_err(|e| e.at("heroku"))?;
        let aws = Prober::new(config.aws.clone(), config.concurrency).map_err(|e| e.at("aws"))?;
        let name = config.name.clone().unwrap_or_else(|| "baseline".into());
        Ok(BaselineGate {
            inner: Arc::new(Inner {
                name,
                windows: Mutex::new((
                    SampleWindow::new(config.window),
                    SampleWindow::new(config.window),
                )),
                heroku,
                aws,
                config,
            }),
        })
    }
}

impl Gate for BaselineGate {
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn policy(&self) -> GatePolicy {
        self.inner.config.policy
    }

    fn check(&self, ctx: GateContext) -> BoxFuture<'static, Verdict> {
        let inner = self.inner.clone();
        let c = &inner.config;
        let interval = Duration::from_millis(c.interval_ms);
        let hb = inner
            .heroku
            .burst(c.samples_per_check, c.concurrency, interval);
        let ab = inner
            .aws
            .burst(c.samples_per_check, c.concurrency, interval);
        Box::pin(async move {
            let (h, a) = tokio::join!(hb, ab);
            let c = &inner.config;
            let last = json!({"heroku": burst_summary(&h), "aws": burst_summary(&a)});
            for (side, s, spec) in [("Heroku", &h, &c.heroku), ("AWS", &a, &c.aws)] {
                if s.iter().all(|x| x.unreachable) {
                    let why = s.iter().find_map(|x| x.detail.clone()).unwrap_or_default();
                    return Verdict::error(format!(
                        "cannot reach the {side} side at {} ({why}): nothing compared",
                        shown_url(&spec.url)
                    ))
                    .with_measurements(json!({"samples": 0, "last_check": last}));
                }
            }
            let (hl, al, (he, hn), (ae, an)) = {
                let mut w = inner.windows.lock().unwrap_or_else(|p| p.into_inner());
                w.0.enter_stage(ctx.stage);
                w.1.enter_stage(ctx.stage);
                w.0.extend(h);
                w.1.extend(a);
                (
                    w.0.latencies(),
                    w.1.latencies(),
                    w.0.failures(),
                    w.1.failures(),
                )
            };
            let n = hn.min(an);
            let alpha = 1.0 - c.confidence;
            let hmed = percentile(&hl, 50.0).unwrap_or(0.0);
            let amed = percentile(&al, 50.0).unwrap_or(0.0);
            let ratio = if hmed > 0.0 { amed / hmed } else { 1.0 };
            let mut m = json!({
                "samples": n,
                "heroku": {"samples": hn, "errors": he, "median_ms": hmed},
                "aws": {"samples": an, "errors": ae, "median_ms": amed},
                "median_ratio": ratio,
                "confidence": c.confidence,
                "tolerance": c.tolerance,
                "last_check": last,
            });
            if n < c.min_samples {
                return Verdict::inconclusive(format!(
                    "{n} samples per side so far, {} needed to compare",
                    c.min_samples
                ))
                .with_measurements(m);
            }
            let (Some(mw), Some(tp)) = (mann_whitney(&al, &hl), two_proportion(ae, an, he, hn))
            else {
                return Verdict::inconclusive("nothing to compare").with_measurements(m);
            };
            m["latency"] = json!({
                "u": mw.u, "z": mw.z, "p_value": mw.p_greater,
                "prob_aws_slower": mw.prob_greater, "shift_ms": mw.shift,
            });
            m["errors"] = json!({
                "aws_rate": tp.rate_x, "heroku_rate": tp.rate_y, "difference": tp.difference,
                "z": tp.z, "p_value": tp.p_greater,
            });
            if tp.p_greater < alpha && tp.difference > c.max_error_rate_increase {
                return Verdict::fail(format!(
                    "AWS errors {:.1}% vs Heroku {:.1}% (+{:.1} points, p = {:.4} < {alpha:.2})",
                    tp.rate_x * 100.0,
                    tp.rate_y * 100.0,
                    tp.difference * 100.0,
                    tp.p_greater
                ))
                .with_measurements(m);
            }
            if mw.p_greater < alpha && ratio > 1.0 + c.tolerance {
                return Verdict::fail(format!(
                    "AWS is slower than Heroku: median {amed:.1} ms vs {hmed:.1} ms ({ratio:.2}×, \
                     tolerance {:.2}×; shift {:+.1} ms, P(AWS slower) {:.2}, {} over {n} \
                     samples per side)",
                    1.0 + c.tolerance,
                    mw.shift,
                    mw.prob_greater,
                    super::stats::format_p(mw.p_greater)
                ))
                .with_measurements(m);
            }
            Verdict::pass(format!(
                "AWS matches Heroku: median {amed:.1} vs {hmed:.1} ms ({ratio:.2}×, p = {:.3}), \
                 errors {:.1}% vs {:.1}%",
                mw.p_greater,
                tp.rate_x * 100.0,
                tp.rate_y * 100.0
            ))
            .with_measurements(m)
        })
    }
}

//! The HTTP probe gate: probes the AWS side directly every tick and judges the success ratio
//! and latency percentiles of a sliding window against thresholds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::probe::{ProbeSpec, Prober, SampleWindow, burst_summary, shown_url};
use super::stats::binomial_tail_at_least;
use crate::cutover::{Gate, GateContext, GatePolicy, Verdict};
use crate::dns::BoxFuture;
use crate::{Error, Result};

fn d_concurrency() -> usize {
    2
}
fn d_samples_per_check() -> usize {
    10
}
fn d_window() -> usize {
    100
}
fn d_min_samples() -> u64 {
    20
}
fn d_ratio() -> f64 {
    0.99
}
fn d_confidence() -> f64 {
    0.98
}

/// Configuration of an [`HttpProbeGate`].
///
/// JSON: `{"type": "http", "name": "aws-health", "probe": {"url": "http://lb/healthz",
/// "host": "www.example.com"}, "max_p95_ms": 500}`; everything but `probe.url` has defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpGateConfig {
    /// Gate name (default `http <url>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The request and what a good answer is.
    pub probe: ProbeSpec,
    /// Probes in flight at once (default 2).
    #[serde(default = "d_concurrency")]
    pub concurrency: usize,
    /// Probes per tick (default 10).
    #[serde(default = "d_samples_per_check")]
    pub samples_per_check: usize,
    /// Pause between one worker's probes within a tick, ms (default 0).
    #[serde(default)]
    pub interval_ms: u64,
    /// Samples in the sliding window (default 100; a new stage starts an empty window).
    #[serde(default = "d_window")]
    pub window: usize,
    /// Samples needed before a pass (default 20; fewer → inconclusive, unless the failures
    /// are already significant: see `confidence`).
    #[serde(default = "d_min_samples")]
    pub min_samples: u64,
    /// Lowest acceptable success ratio over the window (default 0.99).
    #[serde(default = "d_ratio")]
    pub min_success_ratio: f64,
    /// Confidence needed to fail on failures alone (default 0.98): the window fails when
    /// that many failures would be less likely than 1 − confidence if the true success ratio
    /// were `min_success_ratio` (a binomial test), even before `min_samples`; a window below
    /// the ratio without that confidence is inconclusive.
    #[serde(default = "d_confidence")]
    pub confidence: f64,
    /// Highest acceptable median latency, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p50_ms: Option<f64>,
    /// Highest acceptable 95th-percentile latency, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p95_ms: Option<f64>,
    /// Highest acceptable 99th-percentile latency, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p99_ms: Option<f64>,
    /// Verdict policy.
    #[serde(default)]
    pub policy: GatePolicy,
}

impl HttpGateConfig {
    /// Probes `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        HttpGateConfig {
            name: None,
            probe: ProbeSpec::get(url),
            concurrency: d_concurrency(),
            samples_per_check: d_samples_per_check(),
            interval_ms: 0,
            window: d_window(),
            min_samples: d_min_samples(),
            min_success_ratio: d_ratio(),
            confidence: d_confidence(),
            max_p50_ms: None,
            max_p95_ms: None,
            max_p99_ms: None,
            policy: GatePolicy::default(),
        }
    }
}

pub(crate) fn check_load(concurrency: usize, per_check: usize, window: usize) -> Result<()> {
    if !(1..=256).contains(&concurrency) {
        return Err(Error::invalid_input("concurrency must be 1–256").at("concurrency"));
    }
    if !(1..=10_000).contains(&per_check) {
        return Err(
            Error::invalid_input("samples_per_check must be 1–10000").at("samples_per_check")
        );
    }
    if !(1..=100_000).contains(&window) {
        return Err(Error::invalid_input("window must be 1–100000 samples").at("window"));
    }
    Ok(())
}

pub(crate) fn check_number(v: f64, field: &str, lo: f64, hi: f64) -> Result<()> {
    if !v.is_finite() || v < lo || v > hi {
        return Err(Error::invalid_input(format!(
            "{} is not a number between {lo} and {hi}",
            crate::jsonerr::show_f64(v)
        ))
        .at(field));
    }
    Ok(())
}

#[derive(Debug)]
struct Inner {
    name: String,
    config: HttpGateConfig,
    prober: Prober,
    window: Mutex<SampleWindow>,
}

/// Probes the AWS target every tick; judges the window's success ratio and latency.
/// A target that cannot be reached at all gives an error verdict, never a pass.
#[derive(Debug, Clone)]
pub struct HttpProbeGate {
    inner: Arc<Inner>,
}

impl HttpProbeGate {
    /// Validates the config (`invalid_input` with the field at fault) and builds the client.
    pub fn new(config: HttpGateConfig) -> Result<Self> {
        check_load(config.concurrency, config.samples_per_check, config.window)?;
        check_number(config.min_success_ratio, "min_success_ratio", 0.0, 1.0)?;
        check_number(config.confidence, "confidence", 0.5, 0.999_999)?;
        for (f, v) in [
            ("max_p50_ms", config.max_p50_ms),
            ("max_p95_ms", config.max_p95_ms),
            ("max_p99_ms", config.max_p99_ms),
        ] {
            if let Some(v) = v {
                check_number(v, f, 0.0, 1e9)?;
            }
        }
        let prober =
            Prober::new(config.probe.clone(), config.concurrency).map_err(|e| e.at("probe"))?;
        let name = config
            .name
            .clone()
            .unwrap_or_else(|| format!("http {}", shown_url(&config.probe.url)));
        Ok(HttpProbeGate {
            inner: Arc::new(Inner {
                name,
                window: Mutex::new(SampleWindow::new(config.window)),
                prober,
                config,
            }),
        })
    }
}

impl Gate for HttpProbeGate {
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn policy(&self) -> GatePolicy {
        self.inner.config.policy
    }

    fn check(&self, ctx: GateContext) -> BoxFuture<'static, Verdict> {
        let inner = self.inner.clone();
        let c = &inner.config;
        let burst = inner.prober.burst(
            c.samples_per_check,
            c.concurrency,
            Duration::from_millis(c.interval_ms),
        );
        Box::pin(async move {
            let samples = burst.await;
            let c = &inner.config;
            let last = burst_summary(&samples);
            if samples.iter().all(|s| s.unreachable) {
                let why = samples
                    .iter()
                    .find_map(|s| s.detail.clone())
                    .unwrap_or_default();
                return Verdict::error(format!(
                    "cannot reach {} ({why}): nothing measured",
                    shown_url(&c.probe.url)
                ))
                .with_measurements(json!({ "samples": 0, "last_check": last }));
            }
            let stats = {
                let mut w = inner.window.lock().unwrap_or_else(|p| p.into_inner());
                w.enter_stage(ctx.stage);
                w.extend(samples);
                w.stats()
            };
            let mut m = json!({
                "samples": stats.samples,
                "successes": stats.successes,
                "failures": stats.failures,
                "success_ratio": stats.success_ratio,
                "p50_ms": stats.p50_ms,
                "p95_ms": stats.p95_ms,
                "p99_ms": stats.p99_ms,
                "min_samples": c.min_samples,
                "min_success_ratio": c.min_success_ratio,
                "last_check": last,
            });
            let ratio_text = format!(
                "{} of {} probes succeeded ({:.1}%, need ≥ {:.1}%)",
                stats.successes,
                stats.samples,
                stats.success_ratio * 100.0,
                c.min_success_ratio * 100.0
            );
            // how likely this many failures are if the true success ratio met the threshold
            let p_value =
                binomial_tail_at_least(stats.failures, stats.samples, 1.0 - c.min_success_ratio);
            m["p_value"] = json!(p_value);
            let example = last
                .get("example_failure")
                .and_then(|v| v.as_str())
                .map(|e| format!("; e.g. {e}"))
                .unwrap_or_default();
            if stats.failures > 0 && p_value < 1.0 - c.confidence {
                return Verdict::fail(format!(
                    "{ratio_text}, {}{example}",
                    super::stats::format_p(p_value)
                ))
                .with_measurements(m);
            }
            if stats.samples < c.min_samples {
                return Verdict::inconclusive(format!(
                    "{} samples so far, {} needed before a pass ({ratio_text})",
                    stats.samples, c.min_samples
                ))
                .with_measurements(m);
            }
            if stats.success_ratio < c.min_success_ratio {
                return Verdict::inconclusive(format!(
                    "{ratio_text}, but not yet significant at {:.2} (p = {p_value:.3}){example}",
                    c.confidence
                ))
                .with_measurements(m);
            }
            for (label, got, limit) in [
                ("p50", stats.p50_ms, c.max_p50_ms),
                ("p95", stats.p95_ms, c.max_p95_ms),
                ("p99", stats.p99_ms, c.max_p99_ms),
            ] {
                if let (Some(got), Some(limit)) = (got, limit)
                    && got > limit
                {
                    return Verdict::fail(format!(
                        "{label} latency {got:.1} ms is above {limit} ms over {} samples",
                        stats.samples
                    ))
                    .with_measurements(m);
                }
            }
            Verdict::pass(format!(
                "{ratio_text}; p95 {:.1} ms",
                stats.p95_ms.unwrap_or(0.0)
            ))
            .with_measurements(m)
        })
    }
}

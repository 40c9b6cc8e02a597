//! Is Heroku really drained? After promotion, clients that ignore DNS TTLs (old resolvers,
//! long-lived connections, hard-coded IPs) still reach Heroku. This reads Heroku's residual
//! router traffic — router log lines, or the profiles of the drain receiver — and reports the
//! requests per minute still reaching each hostname of the plan, bucket by bucket. Heroku is
//! drained when every hostname stayed at or under the plan's `drained.max_rpm` for the whole
//! `drained.window_seconds` (default 24 h) ending now, and the evidence covers that window: no
//! lines is no traffic only where the input shows it was recording (any parsed record — runtime
//! metrics, app lines — proves it).
//!
//! Pure: the caller reads the inputs and gives the time to judge at.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::CutoverPlan;
use crate::heroku::logs::time::format_rfc3339_ms;
use crate::heroku::logs::{ParsedLine, parse_line};
use crate::telemetry::Profiles;
use crate::{Error, Result};

fn d_max_rpm() -> f64 {
    1.0
}
fn d_window() -> u64 {
    86_400
}
fn d_bucket() -> u64 {
    600
}

/// The plan's `drained` section: `{"max_rpm": 1, "window_seconds": 86400, "bucket_seconds":
/// 600}` (these are the defaults; the section may be left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrainedConfig {
    /// Requests per minute per hostname still counted as drained (0: none at all).
    #[serde(default = "d_max_rpm")]
    pub max_rpm: f64,
    /// How long the rate must have stayed at or under `max_rpm`, seconds.
    #[serde(default = "d_window")]
    pub window_seconds: u64,
    /// Width of the buckets the rate is measured over, seconds (hourly profiles: at least
    /// 3600).
    #[serde(default = "d_bucket")]
    pub bucket_seconds: u64,
}

// The rate is a finite number (validated): a plan stays comparable as a whole.
impl Eq for DrainedConfig {}

impl Default for DrainedConfig {
    fn default() -> Self {
        DrainedConfig {
            max_rpm: d_max_rpm(),
            window_seconds: d_window(),
            bucket_seconds: d_bucket(),
        }
    }
}

impl DrainedConfig {
    /// Checks the section (`invalid_input` naming the field).
    pub fn validate(&self) -> Result<()> {
        if !self.max_rpm.is_finite() || self.max_rpm < 0.0 {
            return Err(Error::invalid_input(format!(
                "max_rpm {} is not a rate of requests per minute (0 or more)",
                self.max_rpm
            ))
            .at("drained.max_rpm"));
        }
        if self.bucket_seconds < 60 {
            return Err(
                Error::invalid_input("bucket_seconds must be at least 60 (one minute)")
                    .at("drained.bucket_seconds"),
            );
        }
        if self.window_seconds < self.bucket_seconds {
            return Err(Error::invalid_input(format!(
                "window_seconds ({}) must hold at least one bucket ({} s)",
                self.window_seconds, self.bucket_seconds
            ))
            .at("drained.window_seconds"));
        }
        Ok(())
    }
}

/// Residual traffic: requests per hostname in time buckets, and the time the input covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Residual {
    /// What the numbers come from (`router logs`, `drain receiver profiles`).
    pub source: String,
    /// hostname → bucket start (unix ms) → requests. The key `*` stands for every hostname
    /// together (profiles do not split by hostname).
    pub requests: BTreeMap<String, BTreeMap<i64, u64>>,
    /// Width of the buckets, ms.
    pub bucket_ms: i64,
    /// First and last timestamp of any record (the time the input was recording).
    pub coverage: Option<(i64, i64)>,
    /// Router lines for hostnames outside the plan (the herokuapp.com name, ...).
    pub other_hosts: BTreeMap<String, u64>,
}

fn host_key(host: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        _ => h,
    }
}

/// Residual traffic from router log lines (any framing `parse_line` reads), per minute, for
/// the plan's hostnames.
pub fn residual_from_lines<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    plan: &CutoverPlan,
) -> Residual {
    let bucket_ms = 60_000;
    let mut r = Residual {
        source: "router logs".into(),
        bucket_ms,
        ..Residual::default()
    };
    for name in plan.names() {
        r.requests.entry(name).or_default();
    }
    for line in lines {
        let parsed = parse_line(line);
        let ts = match &parsed {
            ParsedLine::Unparsed { .. } => None,
            ParsedLine::Router { envelope, .. }
            | ParsedLine::RuntimeMetrics { envelope, .. }
            | ParsedLine::ProcessMemory { envelope, .. }
            | ParsedLine::R14 { envelope }
            | ParsedLine::R15 { envelope }
            | ParsedLine::Other { envelope } => envelope.timestamp_ms,
        };
        let Some(ts) = ts else { continue };
        r.coverage = Some(match r.coverage {
            None => (ts, ts),
            Some((a, b)) => (a.min(ts), b.max(ts)),
        });
        if let ParsedLine::Router { host, .. } = &parsed {
            let host = host_key(host.as_deref().unwrap_or_default());
            match r.requests.get_mut(&host) {
                Some(buckets) => {
                    *buckets
                        .entry(ts.div_euclid(bucket_ms) * bucket_ms)
                        .or_default() += 1
                }
                None => *r.other_hosts.entry(host).or_default() += 1,
            }
        }
    }
    r
}

/// Residual traffic from the drain receiver's profiles (`GET /profiles/APP`): the router
/// requests of each hour, all hostnames together (the profiles do not keep hostnames).
pub fn residual_from_profiles(profiles: &Profiles) -> Residual {
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for p in profiles.process_types.values() {
        for h in &p.hourly {
            *buckets.entry(h.start_ms).or_default() += h.requests;
        }
    }
    Residual {
        source: "drain receiver profiles (hourly, every hostname together)".into(),
        requests: BTreeMap::from([("*".to_owned(), buckets)]),
        bucket_ms: 3_600_000,
        coverage: profiles.span.as_ref().map(|s| (s.start_ms, s.end_ms)),
        other_hosts: BTreeMap::new(),
    }
}

/// One bucket of the curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrainPoint {
    /// Bucket start, RFC 3339 UTC.
    pub start: String,
    /// Bucket start, unix ms.
    pub start_ms: i64,
    /// Requests in the bucket.
    pub requests: u64,
    /// Requests per minute over the bucket (the part of it the evidence covers). Every bucket
    /// that overlaps the window counts whole: the verdict is judged bucket by bucket.
    pub rpm: f64,
}

/// One hostname's verdict and curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostDrain {
    /// The hostname (`*`: every hostname together).
    pub hostname: String,
    /// At or under `max_rpm` in every bucket of the window.
    pub drained: bool,
    /// Requests inside the window.
    pub requests_in_window: u64,
    /// The highest bucket rate inside the window.
    pub peak_rpm: f64,
    /// End of the last bucket over `max_rpm` (anywhere in the evidence), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_over: Option<String>,
    /// When the window will have passed since that bucket (the earliest this hostname can be
    /// drained), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drained_at_earliest: Option<String>,
    /// The curve over the window, oldest first.
    pub series: Vec<DrainPoint>,
}

/// The answer of [`assess_drain`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrainReport {
    /// Every hostname stayed at or under `max_rpm` for the whole window, and the evidence
    /// covers it.
    pub drained: bool,
    /// One sentence: why (not).
    pub reason: String,
    /// What the numbers come from.
    pub source: String,
    /// The threshold, requests per minute.
    pub max_rpm: f64,
    /// The window, seconds.
    pub window_seconds: u64,
    /// Bucket width used, seconds.
    pub bucket_seconds: u64,
    /// Window start and end (the time judged at), RFC 3339.
    pub window_start: String,
    /// The time judged at, RFC 3339.
    pub now: String,
    /// First and last record of the input, RFC 3339 (None: no timestamped record at all).
    pub evidence: Option<[String; 2]>,
    /// Whether the evidence covers the whole window.
    pub covered: bool,
    /// Per hostname.
    pub hosts: Vec<HostDrain>,
    /// Router requests to hostnames outside the plan (not judged).
    pub other_hosts: BTreeMap<String, u64>,
}

impl DrainReport {
    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The last `n` buckets of each hostname as text lines (`www.shop.com 2026-12-07T10:00Z
    /// 0.4 rpm`), for a terminal.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        for h in &self.hosts {
            let skip = h.series.len().saturating_sub(n);
            for p in &h.series[skip..] {
                out.push(format!(
                    "{}  {}  {:>8.2} rpm  {:>6} req{}",
                    h.hostname,
                    p.start,
                    p.rpm,
                    p.requests,
                    if p.rpm > self.max_rpm { "  over" } else { "" }
                ));
            }
        }
        out
    }
}

/// Judges `residual` at `now_ms` against `config`.
pub fn assess_drain(
    residual: &Residual,
    config: &DrainedConfig,
    now_ms: i64,
) -> Result<DrainReport> {
    config.validate()?;
    let bucket_ms = residual
        .bucket_ms
        .max((config.bucket_seconds * 1000) as i64);
    let window_ms = (config.window_seconds * 1000) as i64;
    let start_ms = now_ms - window_ms;
    let (cov_start, cov_end) = residual.coverage.unwrap_or((i64::MAX, i64::MIN));
    // the last bucket must have begun being recorded; a minute of slack for clocks
    let covered = cov_start <= start_ms && cov_end >= now_ms - bucket_ms.max(60_000);
    let mut hosts = Vec::new();
    // minutes of bucket `b` inside [lo, hi) (at least one)
    let span = |b: i64, lo: i64, hi: i64| {
        let from = b.max(lo);
        let to = (b + bucket_ms).min(hi);
        ((to - from) as f64 / 60_000.0).max(1.0)
    };
    for (hostname, raw) in &residual.requests {
        // regroup into buckets of the judged width (raw buckets are never wider)
        let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
        let mut in_window: BTreeMap<i64, u64> = BTreeMap::new();
        for (&t, &n) in raw.range(..now_ms) {
            let b = t.div_euclid(bucket_ms) * bucket_ms;
            *buckets.entry(b).or_default() += n;
            if b + bucket_ms > start_ms {
                *in_window.entry(b).or_default() += n;
            }
        }
        let minutes = |b: i64| span(b, cov_start, now_ms.min(cov_end));
        let last_over = buckets
            .iter()
            .rev()
            .find(|(b, n)| **n as f64 / minutes(**b) > config.max_rpm)
            .map(|(b, _)| b + bucket_ms);
        let mut series = Vec::new();
        let first = start_ms.div_euclid(bucket_ms) * bucket_ms;
        let mut b = first;
        let mut peak = 0f64;
        let mut total = 0u64;
        while b < now_ms {
            let n = in_window.get(&b).copied().unwrap_or(0);
            let rpm = n as f64 / minutes(b);
            peak = peak.max(rpm);
            total += n;
            series.push(DrainPoint {
                start: format_rfc3339_ms(b),
                start_ms: b,
                requests: n,
                rpm,
            });
            b += bucket_ms;
        }
        let over_in_window = series.iter().any(|p| p.rpm > config.max_rpm);
        hosts.push(HostDrain {
            hostname: hostname.clone(),
            drained: !over_in_window,
            requests_in_window: total,
            peak_rpm: peak,
            last_over: last_over.map(format_rfc3339_ms),
            drained_at_earliest: last_over.map(|t| format_rfc3339_ms(t + window_ms)),
            series,
        });
    }
    let busy: Vec<String> = hosts
        .iter()
        .filter(|h| !h.drained)
        .map(|h| {
            format!(
                "{} peaked at {:.2} rpm{}",
                h.hostname,
                h.peak_rpm,
                h.drained_at_earliest
                    .as_deref()
                    .map(|t| format!(" (drained at the earliest {t})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let window_text = format!(
        "{} h at or under {} rpm",
        config.window_seconds as f64 / 3600.0,
        config.max_rpm
    );
    let evidence = residual
        .coverage
        .map(|(a, b)| [format_rfc3339_ms(a), format_rfc3339_ms(b)]);
    let reason = if !busy.is_empty() {
        format!("not drained: {} (needs {window_text})", busy.join("; "))
    } else if !covered {
        match &evidence {
            None => format!(
                "not known: the {} hold no timestamped record; give the logs of the whole \
                 window ({window_text})",
                residual.source
            ),
            Some([a, b]) => format!(
                "not known: the {} cover {a} to {b}, not the whole window {} to {}; give \
                 input that covers it",
                residual.source,
                format_rfc3339_ms(start_ms),
                format_rfc3339_ms(now_ms)
            ),
        }
    } else {
        format!("drained: every hostname stayed {window_text}; Heroku can be scaled to 0")
    };
    Ok(DrainReport {
        drained: busy.is_empty() && covered,
        reason,
        source: residual.source.clone(),
        max_rpm: config.max_rpm,
        window_seconds: config.window_seconds,
        bucket_seconds: (bucket_ms / 1000) as u64,
        window_start: format_rfc3339_ms(start_ms),
        now: format_rfc3339_ms(now_ms),
        evidence,
        covered,
        hosts,
        other_hosts: residual.other_hosts.clone(),
    })
}

/// Where the residual traffic comes from.
#[derive(Debug, Clone, Copy)]
pub enum DrainInput<'a> {
    /// Router log lines.
    Lines(&'a [&'a str]),
    /// The drain receiver's profiles.
    Profiles(&'a Profiles),
}

/// `assess_drain` with the plan's `drained` section (or its defaults) on `input`.
pub fn drained(plan: &CutoverPlan, input: DrainInput<'_>, now_ms: i64) -> Result<DrainReport> {
    let config = plan.drained.clone().unwrap_or_default();
    config.validate()?;
    let residual = match input {
        DrainInput::Lines(lines) => residual_from_lines(lines.iter().copied(), plan),
        DrainInput::Profiles(p) => residual_from_profiles(p),
    };
    assess_drain(&residual, &config, now_ms)
}

/// The time to judge at: `now` as RFC 3339 (`2026-12-07T10:00:00Z`), or the clock when None.
pub fn judge_time(now: Option<&str>) -> Result<i64> {
    match now {
        Some(t) => {
            crate::heroku::logs::time::parse_rfc3339_ms(t.trim().as_bytes()).ok_or_else(|| {
                Error::invalid_input(format!(
                    "now {t:?} is not an RFC 3339 time such as 2026-12-07T10:00:00Z"
                ))
                .at("now")
            })
        }
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)),
    }
}

/// What every binding calls: router log `lines` or the receiver's `profiles_json` (exactly
/// one), judged at `now` (RFC 3339; None: the clock).
pub fn drained_from(
    plan: &CutoverPlan,
    lines: Option<&[String]>,
    profiles_json: Option<&str>,
    now: Option<&str>,
) -> Result<DrainReport> {
    let now_ms = judge_time(now)?;
    match (lines, profiles_json) {
        (Some(lines), None) => {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            drained(plan, DrainInput::Lines(&lines), now_ms)
        }
        (None, Some(json)) => {
            let profiles = crate::drain::profiles_from_json(json)?;
            drained(plan, DrainInput::Profiles(&profiles), now_ms)
        }
        _ => Err(Error::invalid_input(
            "give either router log lines or the drain receiver's profiles JSON (exactly one)",
        )),
    }
}

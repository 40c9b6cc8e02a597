//! Stage 0's warm-up: after the pre-soak and before the first weight is written, GET and HEAD
//! requests (never any other method) are replayed against the AWS target of every hostname,
//! with the hostname's `Host` (and TLS server name), at a bounded rate. The paths are the plan's
//! `warmup.paths`, or the most requested GET/HEAD paths of the Heroku router logs it names.
//! Query strings are dropped unless the plan allows them (they can carry tokens).
//!
//! The answers make a per-route latency baseline (requests, status classes, p50/p95/max ms,
//! errors) that the journal keeps and the report shows. A hostname that does not answer at
//! all (no connection for its first [`SILENT_REQUESTS_TO_STOP`] requests), answers nothing
//! below 500, or answers 4xx "not served" where Heroku served the route with a 2xx (or 404
//! everywhere) stops the run before any weight moves: see [`warm_up`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::live;
use super::plan::CutoverPlan;
use crate::dns::{Clock, normalize_name};
use crate::health::stats::percentile_sorted;
use crate::heroku::logs::{ParsedLine, parse_line_records};
use crate::{Error, Result};

fn d_top() -> usize {
    20
}
fn d_requests() -> u32 {
    3
}
fn d_rate() -> u32 {
    5
}
fn d_timeout() -> u64 {
    10_000
}
fn d_method() -> String {
    "GET".into()
}
fn is_get(m: &String) -> bool {
    m == "GET"
}
fn d_scheme() -> String {
    "https".into()
}
fn is_https(s: &String) -> bool {
    s == "https"
}

/// Distinct (hostname, method, path) keys the log counter keeps at most: memory stays bounded
/// however many distinct paths the logs hold (the rarest are forgotten first).
pub const MAX_DISTINCT_PATHS: usize = 10_000;
/// Longer paths are not counted (nor replayed).
pub const MAX_PATH_BYTES: usize = 1024;
/// Requests one warm-up may send at most (routes × `requests_per_path`).
pub const MAX_REQUESTS: u64 = 10_000;

/// The plan's `warmup` section.
///
/// JSON: `{"paths": ["/", "/products"], "requests_per_path": 3, "rate_per_second": 5}` or
/// `{"logs": ["router.log"], "top": 20}`; everything has defaults (`/` when neither `paths`
/// nor `logs` is given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmupConfig {
    /// Paths replayed on every hostname (each starting `/`). When empty, the `top` most
    /// requested paths of `logs`; when both are empty, `/`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Heroku router log files (plain or gzip, detected by content; one log line per line) whose most
    /// requested GET/HEAD paths per hostname are replayed when `paths` is empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
    /// How many of the most requested paths per hostname (default 20).
    #[serde(default = "d_top")]
    pub top: usize,
    /// Requests per path (default 3).
    #[serde(default = "d_requests")]
    pub requests_per_path: u32,
    /// At most this many requests per second, all hostnames together (default 5).
    #[serde(default = "d_rate")]
    pub rate_per_second: u32,
    /// Keep query strings (dropped by default: they can carry tokens).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_query: bool,
    /// Per-request timeout, ms (default 10000).
    #[serde(default = "d_timeout")]
    pub timeout_ms: u64,
    /// `GET` (default) or `HEAD` for `paths` (paths from logs keep their own GET/HEAD).
    #[serde(default = "d_method", skip_serializing_if = "is_get")]
    pub method: String,
    /// `https` (default; the certificate is verified against `checks.tls.ca_bundle` or the
    /// system's roots) or `http`.
    #[serde(default = "d_scheme", skip_serializing_if = "is_https")]
    pub scheme: String,
    /// The port (default 443 for https, 80 for http).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl Default for WarmupConfig {
    fn default() -> Self {
        WarmupConfig {
            paths: Vec::new(),
            logs: Vec::new(),
            top: d_top(),
            requests_per_path: d_requests(),
            rate_per_second: d_rate(),
            allow_query: false,
            timeout_ms: d_timeout(),
            method: d_method(),
            scheme: d_scheme(),
            port: None,
        }
    }
}

fn bad(message: impl Into<String>, at: impl AsRef<str>) -> Error {
    Error::invalid_input(message).at(at)
}

impl WarmupConfig {
    /// The most routes replayed per hostname: the listed paths, else up to `top` paths of the
    /// logs, else `/` alone.
    pub fn max_routes_per_host(&self) -> u64 {
        if !self.paths.is_empty() {
            self.paths.len() as u64
        } else if !self.logs.is_empty() {
            self.top as u64
        } else {
            1
        }
    }

    /// Checks the section (`invalid_input` naming the field, e.g. `warmup.paths[2]`).
    pub fn validate(&self) -> Result<()> {
        if self.method != "GET" && self.method != "HEAD" {
            return Err(bad(
                format!(
                    "{:?} is not GET or HEAD: a warm-up never sends a request that could change \
                     data",
                    self.method
                ),
                "warmup.method",
            ));
        }
        if self.scheme != "https" && self.scheme != "http" {
            return Err(bad(
                format!("{:?} is not https or http", self.scheme),
                "warmup.scheme",
            ));
        }
        for (i, path) in self.paths.iter().enumerate() {
            let at = format!("warmup.paths[{i}]");
            if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace()) {
                return Err(bad(
                    format!("warm-up path {path:?} must start with '/' and hold no spaces"),
                    at,
                ));
            }
            if path.len() > MAX_PATH_BYTES {
                return Err(bad(
                    format!("a warm-up path longer than {MAX_PATH_BYTES} bytes"),
                    at,
                ));
            }
            if path.contains('?') && !self.allow_query {
                return Err(bad(
                    "a warm-up path with a query string: drop the query (it can carry a token, \
                     and the plan is kept in the journal), or set warmup.allow_query",
                    at,
                ));
            }
        }
        for (i, log) in self.logs.iter().enumerate() {
            if log.trim().is_empty() {
                return Err(bad("name a router log file", format!("warmup.logs[{i}]")));
            }
        }
        if !(1..=100).contains(&self.top) {
            return Err(bad(
                "warmup.top must be 1 to 100 (default 20)",
                "warmup.top",
            ));
        }
        if !(1..=100).contains(&self.requests_per_path) {
            return Err(bad(
                "warmup.requests_per_path must be 1 to 100 (default 3)",
                "warmup.requests_per_path",
            ));
        }
        if !(1..=100).contains(&self.rate_per_second) {
            return Err(bad(
                "warmup.rate_per_second must be 1 to 100 (default 5): the warm-up must not \
                 load the new side more than a trickle of real traffic would",
                "warmup.rate_per_second",
            ));
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            return Err(bad(
                "warmup.timeout_ms must be 100 to 60000 (default 10000)",
                "warmup.timeout_ms",
            ));
        }
        if self.port == Some(0) {
            return Err(bad("warmup.port 0 is not a port", "warmup.port"));
        }
        let routes = self.max_routes_per_host();
        if routes * u64::from(self.requests_per_path) > MAX_REQUESTS {
            return Err(bad(
                format!(
                    "{routes} path(s) × {} requests is more than {MAX_REQUESTS} requests per \
                     hostname: list fewer paths or lower requests_per_path",
                    self.requests_per_path
                ),
                "warmup.requests_per_path",
            ));
        }
        Ok(())
    }

    fn port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "http" { 80 } else { 443 })
    }
}

/// Counts the most requested GET/HEAD paths per hostname in router log lines, in bounded
/// memory (lossy counting): every `cap / 2` requests, the keys too rare to be a heavy hitter
/// are forgotten, and never more than `cap` ([`MAX_DISTINCT_PATHS`]) keys are kept (when full,
/// the rarest go first). A path that takes more than 2 / `cap` of the requests is always kept;
/// the counts are exact while the distinct paths fit, lower bounds otherwise.
#[derive(Debug, Clone)]
pub struct TopPaths {
    hosts: Vec<String>,
    allow_query: bool,
    cap: usize,
    counts: HashMap<(String, String, String), Counted>,
    /// Router lines counted.
    pub counted: u64,
    /// Keys forgotten to stay within the cap.
    pub forgotten: u64,
    /// Archives that ended early (truncated or corrupt gzip): the lines before the break count.
    pub cut_short: Vec<String>,
}

/// One key of [`TopPaths`]: its count, the most it may have missed before it was counted, and
/// Heroku's answers (1xx to 5xx) to the requests that were exactly the replayed one (no query
/// dropped), since it was counted.
#[derive(Debug, Clone, Copy, Default)]
struct Counted {
    n: u64,
    missed: u64,
    classes: [u64; 5],
}

/// One path of [`TopPaths::top`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathCount {
    /// The hostname.
    pub hostname: String,
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path (without its query unless allowed).
    pub path: String,
    /// Requests seen.
    pub count: u64,
    /// Heroku's answers by status class (`2xx`, `4xx`...) to the requests that were exactly
    /// this one (a request whose query was dropped is not the same request), as counted.
    pub heroku_classes: BTreeMap<String, u64>,
}

impl TopPaths {
    /// A counter for `hosts` (router lines for other hosts are ignored).
    pub fn new(hosts: &[String], allow_query: bool) -> Self {
        Self::with_cap(hosts, allow_query, MAX_DISTINCT_PATHS)
    }

    /// A counter keeping at most `cap` keys.
    pub fn with_cap(hosts: &[String], allow_query: bool, cap: usize) -> Self {
        TopPaths {
            hosts: hosts.iter().map(|h| normalize_name(h)).collect(),
            allow_query,
            cap: cap.max(1),
            counts: HashMap::new(),
            counted: 0,
            forgotten: 0,
            cut_short: Vec::new(),
        }
    }

    /// Counts one log line when it is a GET or HEAD router line for one of the hostnames.
    pub fn add_line(&mut self, line: &str) {
        // every frame of a drain line counts, glued frames included
        parse_line_records(line, |p| {
            if let ParsedLine::Router {
                method: Some(method),
                path: Some(path),
                host: Some(host),
                status,
                ..
            } = p
            {
                self.add_answered(&host, &method, &path, status);
            }
        });
    }

    /// Counts one request.
    pub fn add(&mut self, host: &str, method: &str, path: &str) {
        self.add_answered(host, method, path, None);
    }

    /// Counts one request, with the status Heroku's router answered it (when the line has one).
    pub fn add_answered(&mut self, host: &str, method: &str, path: &str, status: Option<u16>) {
        let method = method.to_ascii_uppercase();
        if method != "GET" && method != "HEAD" {
            return;
        }
        let full = path;
        let path = if self.allow_query {
            path
        } else {
            path.split('?').next().unwrap_or(path)
        };
        // Heroku's answer says something of the replayed request only when it is that request
        let class = status
            .filter(|_| path == full)
            .map(|s| usize::from(s / 100))
            .filter(|c| (1..=5).contains(c));
        if !path.starts_with('/')
            || path.len() > MAX_PATH_BYTES
            || path.chars().any(|c| c.is_whitespace())
        {
            return;
        }
        let host = normalize_name(host);
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h.to_owned(),
            _ => host,
        };
        if !self.hosts.contains(&host) {
            return;
        }
        self.counted += 1;
        let width = (self.cap as u64 / 2).max(1);
        let bucket = self.counted.div_ceil(width);
        let key = (host, method, path.to_owned());
        let counted = match self.counts.get_mut(&key) {
            Some(c) => {
                c.n += 1;
                c
            }
            None => {
                if self.counts.len() >= self.cap {
                    let min = self.counts.values().map(|c| c.n + c.missed).min();
                    let min = min.unwrap_or(0);
                    self.forget(|n, d| n + d > min);
                }
                self.counts.entry(key).or_insert(Counted {
                    n: 1,
                    missed: bucket - 1,
                    classes: [0; 5],
                })
            }
        };
        if let Some(c) = class {
            counted.classes[c - 1] += 1;
        }
        if self.counted.is_multiple_of(width) {
            self.forget(|n, d| n + d > bucket);
        }
    }

    fn forget(&mut self, keep: impl Fn(u64, u64) -> bool) {
        let before = self.counts.len();
        self.counts.retain(|_, c| keep(c.n, c.missed));
        self.forgotten += (before - self.counts.len()) as u64;
    }

    /// The `k` most requested paths of every hostname (most requested first, then by path).
    pub fn top(&self, k: usize) -> Vec<PathCount> {
        self.top_where(k, |_| true)
    }

    /// [`TopPaths::top`] among the paths `keep` accepts (the cut to `k` comes after it).
    pub fn top_where(&self, k: usize, keep: impl Fn(&PathCount) -> bool) -> Vec<PathCount> {
        let mut all: Vec<PathCount> = self
            .counts
            .iter()
            .map(|((hostname, method, path), c)| PathCount {
                hostname: hostname.clone(),
                method: method.clone(),
                path: path.clone(),
                count: c.n,
                heroku_classes: (1..=5)
                    .zip(c.classes)
                    .filter(|(_, n)| *n > 0)
                    .map(|(class, n)| (format!("{class}xx"), n))
                    .collect(),
            })
            .filter(|p| keep(p))
            .collect();
        all.sort_by(|a, b| {
            a.hostname
                .cmp(&b.hostname)
                .then(b.count.cmp(&a.count))
                .then(a.path.cmp(&b.path))
                .then(a.method.cmp(&b.method))
        });
        let mut taken: BTreeMap<String, usize> = BTreeMap::new();
        all.retain(|p| {
            let n = taken.entry(p.hostname.clone()).or_default();
            *n += 1;
            *n <= k
        });
        all
    }
}

/// One route the warm-up replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The hostname (`Host` header and TLS server name).
    pub hostname: String,
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path (query dropped unless allowed).
    pub path: String,
    /// Requests to it in the router logs, when it came from them.
    pub seen_in_logs: Option<u64>,
    /// Heroku's answers by status class to exactly this request in the logs (empty when it
    /// did not come from them, or every logged request had a query the replay drops).
    pub heroku_classes: BTreeMap<String, u64>,
}

/// Counts the GET/HEAD router lines of `files` for `hosts` (blocking: run it off the async
/// threads). `at` names the plan field listing the files (`warmup.logs`): an unreadable file is
/// `invalid_input` at `{at}[i]`.
pub fn count_logs(
    files: &[String],
    hosts: &[String],
    allow_query: bool,
    at: &str,
) -> Result<TopPaths> {
    let mut top = TopPaths::new(hosts, allow_query);
    for (i, file) in files.iter().enumerate() {
        let unreadable = |e: &dyn std::fmt::Display| {
            bad(
                format!(
                    "cannot read the router log {file}: {e}; fix {at} (or list the paths in the \
                     plan) and run again"
                ),
                format!("{at}[{i}]"),
            )
        };
        // archives (`.gz` exports, rotated drain files) are read as they are, like `ingest` does
        let mut reader = crate::files::open_maybe_gzip(std::path::Path::new(file))
            .map_err(|e| unreadable(&e))?;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => top.add_line(&String::from_utf8_lossy(&buf)),
                // an export cut short: what was read before the break is kept (the line being
                // read is dropped), as `ingest` does
                Err(e) if crate::files::is_truncated_archive(&e) => {
                    tracing::warn!(file = %file, error = %e, "router log ends early; using the lines before the break");
                    top.cut_short.push(file.clone());
                    break;
                }
                Err(e) => return Err(unreadable(&e)),
            }
        }
    }
    Ok(top)
}

/// [`count_logs`] on tokio's blocking threads.
pub(super) async fn count_logs_off_thread(
    files: Vec<String>,
    hosts: Vec<String>,
    allow_query: bool,
    at: &'static str,
) -> Result<TopPaths> {
    tokio::task::spawn_blocking(move || count_logs(&files, &hosts, allow_query, at))
        .await
        .map_err(|e| Error::internal(format!("reading the router logs stopped: {e}")))?
}

/// The routes of a warm-up: the plan's paths on every hostname, or the top paths of its logs
/// (read here; `invalid_input` naming `warmup.logs[i]` when one cannot be read).
pub async fn routes(plan: &CutoverPlan, w: &WarmupConfig) -> Result<(Vec<Route>, String)> {
    let names = plan.names();
    if w.paths.is_empty() && !w.logs.is_empty() {
        let top =
            count_logs_off_thread(w.logs.clone(), names.clone(), w.allow_query, "warmup.logs")
                .await?;
        let mut routes: Vec<Route> = top
            .top(w.top)
            .into_iter()
            .map(|p| Route {
                hostname: p.hostname,
                method: p.method,
                path: p.path,
                seen_in_logs: Some(p.count),
                heroku_classes: p.heroku_classes,
            })
            .collect();
        // a hostname the logs never mention (an export of some domains only) still gets `/`
        let unseen: Vec<String> = names
            .iter()
            .filter(|h| !routes.iter().any(|r| &r.hostname == *h))
            .cloned()
            .collect();
        routes.extend(unseen.iter().map(|h| Route {
            hostname: h.clone(),
            method: w.method.clone(),
            path: "/".to_owned(),
            seen_in_logs: None,
            heroku_classes: BTreeMap::new(),
        }));
        let mut source = format!(
            "the {} most requested GET/HEAD path(s) per hostname of {} router log file(s) \
             ({} request line(s) counted",
            w.top,
            w.logs.len(),
            top.counted,
        );
        if top.forgotten > 0 {
            source += &format!(
                "; {} rare path(s) forgotten to stay within {MAX_DISTINCT_PATHS}",
                top.forgotten
            );
        }
        if !top.cut_short.is_empty() {
            source += &format!(
                "; {} ended early (truncated or corrupt gzip), read up to the break",
                top.cut_short.join(", ")
            );
        }
        source.push(')');
        if !unseen.is_empty() {
            source += &format!("; not in the logs, so / only: {}", unseen.join(", "));
        }
        return Ok((routes, source));
    }
    let default_paths = ["/".to_owned()];
    let paths: &[String] = if w.paths.is_empty() {
        &default_paths
    } else {
        &w.paths
    };
    let routes = names
        .iter()
        .flat_map(|h| {
            paths.iter().map(move |p| Route {
                hostname: h.clone(),
                method: w.method.clone(),
                path: if w.allow_query {
                    p.clone()
                } else {
                    p.split('?').next().unwrap_or(p).to_owned()
                },
                seen_in_logs: None,
                heroku_classes: BTreeMap::new(),
            })
        })
        .collect();
    let source = if w.paths.is_empty() {
        "the path / (the plan lists no warm-up paths or logs)".to_owned()
    } else {
        format!("{} path(s) listed in the plan", paths.len())
    };
    Ok((routes, source))
}

/// One route's baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteBaseline {
    /// The hostname.
    pub hostname: String,
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path replayed.
    pub path: String,
    /// Requests to it in the router logs, when it came from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_in_logs: Option<u64>,
    /// Heroku's answers by status class to exactly this request in the router logs (none when
    /// the route did not come from them, or every logged request had a query the replay drops).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub heroku_classes: BTreeMap<String, u64>,
    /// Requests sent.
    pub requests: u32,
    /// Answers by status class (`2xx`, `3xx`, `4xx`, `5xx`).
    pub status_classes: BTreeMap<String, u32>,
    /// Answers that were a 4xx saying the route is not served here (404, 421, 405...): every
    /// 4xx but 401, 403 and 429, which an anonymous, paced replay may get from a working app.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_served: u32,
    /// Requests that got no answer (connection refused, TLS failure, timeout).
    pub errors: u32,
    /// Median latency of the answers, ms (None: no answer).
    pub p50_ms: Option<f64>,
    /// 95th percentile latency, ms.
    pub p95_ms: Option<f64>,
    /// Slowest answer, ms.
    pub max_ms: Option<f64>,
    /// The last transport error, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What a warm-up measured: the journal keeps it, the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmupBaseline {
    /// Where the paths came from.
    pub source: String,
    /// The rate bound, requests per second.
    pub rate_per_second: u32,
    /// Requests sent, all routes together.
    pub requests: u64,
    /// Per route, in the order replayed.
    pub routes: Vec<RouteBaseline>,
    /// Hostnames whose replay was stopped early: their first [`SILENT_REQUESTS_TO_STOP`]
    /// requests got no answer at all (target down, refusing or black-holed), so the rest were
    /// not sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable: Vec<String>,
    /// Set when the warm-up failed (see [`warm_up`]): what happened, and what to check. The
    /// run stops before any weight moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl WarmupBaseline {
    /// One sentence for people.
    pub fn describe(&self) -> String {
        if let Some(f) = &self.failure {
            return f.clone();
        }
        let errors: u32 = self.routes.iter().map(|r| r.errors).sum();
        let not_served: u32 = self.routes.iter().map(|r| r.not_served).sum();
        let fives: u32 = self
            .routes
            .iter()
            .map(|r| r.status_classes.get("5xx").copied().unwrap_or(0))
            .sum();
        let slowest = self
            .routes
            .iter()
            .filter_map(|r| r.p95_ms.map(|p| (p, r)))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        format!(
            "warm-up: {} request(s) to the AWS target over {} route(s) at up to {}/s ({} 5xx, \
             {} without an answer{}){}",
            self.requests,
            self.routes.len(),
            self.rate_per_second,
            fives,
            errors,
            if not_served > 0 {
                format!(", {not_served} 4xx saying not served")
            } else {
                String::new()
            },
            slowest
                .map(|(p, r)| format!(
                    "; slowest p95 {p:.1} ms on {} {}{}",
                    r.method, r.hostname, r.path
                ))
                .unwrap_or_default()
        )
    }
}

/// The least time between two warm-up requests at `rate` per second, ms.
pub fn interval_ms(rate: u32) -> u64 {
    1000u64.div_ceil(u64::from(rate.max(1)))
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Requests in a row whose connection never opened (refused, unroutable, connect timeout) at
/// the start of a hostname's replay after which it is stopped as unreachable: a dead target
/// costs at most this many timeouts instead of one per request. A connection that opens but
/// answers slowly (a cold pod) does not count, and once it answered once, errors no longer
/// stop it.
pub const SILENT_REQUESTS_TO_STOP: u32 = 3;

/// A 4xx saying the route is not served here (not found, misdirected, method not allowed...),
/// rather than one a working app gives an anonymous, paced replay (401, 403, 429).
fn not_served(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 403 | 429)
}

/// Whether Heroku served the route: most of its logged answers were 2xx (a redirect, such as
/// an app's http→https one, says nothing of the path), and the path is not a fingerprinted
/// asset (an old digest is gone on both sides after a deploy).
fn served_on_heroku(r: &RouteBaseline) -> bool {
    mostly(&r.heroku_classes, &["2xx"]) && !fingerprinted(&r.path)
}

/// A file name carrying a content digest (`application-3f2a…e1.js`, `main.8c1d0f2a.css`): a
/// run of 8 or more hex digits in the last path segment, which has an extension.
fn fingerprinted(path: &str) -> bool {
    let last = path
        .split('?')
        .next()
        .unwrap_or(path)
        .rsplit('/')
        .next()
        .unwrap_or("");
    let stem = match last.rsplit_once('.') {
        Some((stem, _)) => stem,
        None => return false,
    };
    stem.split(['-', '.', '_'])
        .any(|part| part.len() >= 8 && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether most of Heroku's logged answers to the route were in `classes`.
fn mostly(heroku: &BTreeMap<String, u64>, classes: &[&str]) -> bool {
    let all: u64 = heroku.values().sum();
    let these: u64 = classes.iter().filter_map(|c| heroku.get(*c)).sum();
    these * 2 > all
}

/// One hostname's AWS target during the replay.
struct HostTarget {
    /// The target's name and the addresses tried, for people.
    tried: String,
    client: std::result::Result<reqwest::Client, String>,
    answered: bool,
    silent: u32,
    /// Why the replay stopped for it (it is then not sent more requests).
    stopped: Option<String>,
    /// Requests not sent once it stopped.
    skipped: u64,
}

/// What is wrong with a hostname that answered (see [`warm_up`]), from its routes and the
/// "not served" statuses each got; None when nothing is.
fn judge(
    hostname: &str,
    mine: &[(&RouteBaseline, &BTreeSet<u16>)],
    listed: bool,
) -> Option<String> {
    let answers = |r: &RouteBaseline| r.status_classes.values().sum::<u32>();
    let sent: u32 = mine.iter().map(|(r, _)| r.requests).sum();
    let errors: u32 = mine.iter().map(|(r, _)| r.errors).sum();
    let fives: u32 = mine
        .iter()
        .map(|(r, _)| r.status_classes.get("5xx").copied().unwrap_or(0))
        .sum();
    if sent == errors + fives {
        let why = mine
            .iter()
            .find_map(|(r, _)| r.last_error.clone())
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default();
        return Some(format!(
            "{hostname}: none of its {sent} request(s) to the AWS target got an answer \
             below 500 ({errors} without an answer{why}, {fives} with a 5xx): the new side \
             is not serving it; check the load balancer's targets, its certificate and the \
             app's logs"
        ));
    }
    let statuses = |s: &BTreeSet<u16>| {
        s.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    };
    // routes Heroku served that only get "not here" answers now
    let gone: Vec<(&RouteBaseline, &BTreeSet<u16>)> = mine
        .iter()
        .filter(|(r, _)| served_on_heroku(r) && answers(r) > 0 && r.not_served == answers(r))
        .copied()
        .collect();
    let answered: u32 = mine.iter().map(|(r, _)| answers(r)).sum();
    let refused: u32 = mine.iter().map(|(r, _)| r.not_served).sum();
    let seen: BTreeSet<u16> = mine.iter().flat_map(|(_, s)| s.iter().copied()).collect();
    // Every answer "not found" or "misdirected" (what an ingress gives a Host no rule matches),
    // on a hostname that should serve something: paths the plan lists, or a route Heroku
    // served. (A hostname known only by its `/`, or only by routes Heroku did not serve, may
    // legitimately answer 404 there.)
    let expected = listed || mine.iter().any(|(r, _)| served_on_heroku(r));
    let no_host_rule = seen.iter().all(|s| matches!(s, 404 | 421));
    if answered > 0 && refused == answered && no_host_rule && expected {
        // nothing on this hostname is served: the Host, not a path
        let heroku = if gone.is_empty() {
            String::new()
        } else {
            format!(
                ", where Heroku served {} of these route(s) (2xx in the router logs)",
                gone.len()
            )
        };
        Some(format!(
            "{hostname}: every one of its {answered} answer(s) over {} route(s) was {} \
             (not served here){heroku}: the new side routes nothing for this hostname; \
             check that an ingress rule matches Host {hostname} (and that the load balancer \
             sends it there), and the warm-up paths",
            mine.len(),
            statuses(&seen)
        ))
    } else if !gone.is_empty() {
        let gone: Vec<String> = gone
            .iter()
            .map(|(r, s)| {
                let heroku: u64 = r.heroku_classes.values().sum();
                let served = r.heroku_classes.get("2xx").copied().unwrap_or(0);
                format!(
                    "{} {} answered {} here ({} of {}) but 2xx on Heroku ({served} of \
                     {heroku} logged)",
                    r.method,
                    r.path,
                    statuses(s),
                    r.not_served,
                    r.requests
                )
            })
            .collect();
        Some(format!(
            "{hostname}: {}; check the ingress rules for Host {hostname} and these paths \
             (host, path and path type) and that this version of the app serves them; a \
             path gone on purpose can be left out by listing warmup.paths",
            gone.join(", ")
        ))
    } else {
        None
    }
}

/// Replays the warm-up's routes against the AWS targets at the plan's rate (paced on `clock`)
/// and measures them. Never fails: a problem is the baseline's `failure`, which stops the run
/// before any weight moves. A hostname fails the warm-up when
/// - no connection opened for its first [`SILENT_REQUESTS_TO_STOP`] requests (its replay
///   stops there, naming the address tried and the timeout), or it cannot be resolved;
/// - none of its answers is below 500;
/// - a route Heroku served (mostly 2xx in the router logs, for exactly that request; not a
///   fingerprinted asset) only gets 4xx that say it is not served here (see
///   [`RouteBaseline::not_served`]);
/// - every answer it got is a 404 or 421 (a Host no ingress rule matches) although it should
///   serve something: the plan lists its paths, or Heroku served one of its routes.
///
/// A route that was mostly 4xx on Heroku too is part of the baseline, never a failure.
pub async fn warm_up(
    plan: &CutoverPlan,
    w: &WarmupConfig,
    clock: Arc<dyn Clock>,
) -> WarmupBaseline {
    let mut baseline = WarmupBaseline {
        source: String::new(),
        rate_per_second: w.rate_per_second,
        requests: 0,
        routes: Vec::new(),
        unreachable: Vec::new(),
        failure: None,
    };
    let (routes, source) = match routes(plan, w).await {
        Ok(r) => r,
        Err(e) => {
            baseline.failure = Some(format!("warm-up: {} (nothing was moved)", e.message()));
            return baseline;
        }
    };
    baseline.source = source;
    if routes.is_empty() {
        baseline.failure = Some(
            "warm-up: the router logs hold no GET/HEAD request for the plan's hostnames; list \
             warmup.paths, or give logs of the app's own router (nothing was moved)"
                .into(),
        );
        return baseline;
    }
    let port = w.port();
    let checks = plan.checks.clone().unwrap_or_default();
    let roots = if w.scheme == "https" {
        match live::roots(checks.tls.as_ref().and_then(|t| t.ca_bundle.as_deref())) {
            Ok(r) => r,
            Err(e) => {
                baseline.failure = Some(format!("warm-up: {} (nothing was moved)", e.message()));
                return baseline;
            }
        }
    } else {
        Arc::new(rustls::RootCertStore::empty())
    };
    let timeout = Duration::from_millis(w.timeout_ms);
    // one client per hostname, connecting to its AWS target
    let mut hosts: BTreeMap<String, HostTarget> = BTreeMap::new();
    for r in &routes {
        if hosts.contains_key(&r.hostname) {
            continue;
        }
        let target = normalize_name(plan.aws_target_of(&r.hostname));
        let (tried, client) =
            match live::resolve(&target, port, checks.address(&target, port)).await {
                Ok(addrs) => (
                    format!(
                        "{target} ({})",
                        addrs
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    live::http_client(&r.hostname, &addrs, roots.clone(), timeout)
                        .map_err(|e| format!("cannot build an HTTP client: {e}")),
                ),
                Err(e) => (
                    format!("{target}:{port}"),
                    Err(format!("the AWS target: {e}")),
                ),
            };
        hosts.insert(
            r.hostname.clone(),
            HostTarget {
                tried,
                client,
                answered: false,
                silent: 0,
                stopped: None,
                skipped: 0,
            },
        );
    }
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); routes.len()];
    // the statuses that said a route is not served, for the verdict
    let mut refusals: Vec<BTreeSet<u16>> = vec![Default::default(); routes.len()];
    baseline.routes = routes
        .iter()
        .map(|r| RouteBaseline {
            hostname: r.hostname.clone(),
            method: r.method.clone(),
            path: r.path.clone(),
            seen_in_logs: r.seen_in_logs,
            heroku_classes: r.heroku_classes.clone(),
            requests: 0,
            status_classes: BTreeMap::new(),
            not_served: 0,
            errors: 0,
            p50_ms: None,
            p95_ms: None,
            max_ms: None,
            last_error: None,
        })
        .collect();
    // each request leaves at least 1/rate s after the one before (a slow answer is not made up
    // for with a burst), so no second ever holds more than `rate` of them
    let interval_ms = interval_ms(w.rate_per_second);
    let mut last_sent: Option<u64> = None;
    let mut n: u64 = 0;
    for _round in 0..w.requests_per_path {
        for (i, r) in routes.iter().enumerate() {
            let Some(host) = hosts.get_mut(&r.hostname) else {
                continue;
            };
            if host.stopped.is_some() {
                host.skipped += 1;
                continue;
            }
            if let Some(prev) = last_sent {
                let (due, now) = (prev + interval_ms, clock.now_ms());
                if due > now {
                    clock.sleep(Duration::from_millis(due - now)).await;
                }
            }
            last_sent = Some(clock.now_ms());
            n += 1;
            let b = &mut baseline.routes[i];
            b.requests += 1;
            let client = match &host.client {
                Ok(c) => c,
                Err(e) => {
                    // nothing to send to: no point trying the other routes
                    b.errors += 1;
                    b.last_error = Some(e.clone());
                    host.stopped = Some(format!("{}: {e}", r.hostname));
                    continue;
                }
            };
            let url = format!("{}://{}:{port}{}", w.scheme, r.hostname, r.path);
            let method = if r.method == "HEAD" {
                reqwest::Method::HEAD
            } else {
                reqwest::Method::GET
            };
            let began = Instant::now();
            let sent = client
                .request(method, &url)
                .header(reqwest::header::HOST, &r.hostname)
                .header(reqwest::header::USER_AGENT, "dynoshift-warmup")
                .send()
                .await;
            match sent {
                Ok(resp) => {
                    host.answered = true;
                    let status = resp.status().as_u16();
                    // the whole answer counts (a GET's body is part of what users wait for)
                    let _ = resp.bytes().await;
                    latencies[i].push(began.elapsed().as_secs_f64() * 1000.0);
                    let class = match status / 100 {
                        c @ 1..=5 => format!("{c}xx"),
                        _ => "other".into(),
                    };
                    *b.status_classes.entry(class).or_default() += 1;
                    if not_served(status) {
                        b.not_served += 1;
                        refusals[i].insert(status);
                    }
                }
                Err(e) => {
                    b.errors += 1;
                    let error = crate::heroku::api::describe(&e);
                    // Only a connection that never opens says the target is dead; a slow first
                    // answer (a cold pod) is a timeout after connecting.
                    if !host.answered && e.is_connect() {
                        host.silent += 1;
                        if host.silent >= SILENT_REQUESTS_TO_STOP {
                            host.stopped = Some(format!(
                                "{}: no connection for its first {} request(s) to the AWS target \
                                 {} ({} ms timeout each; last error: {error})",
                                r.hostname, host.silent, host.tried, w.timeout_ms
                            ));
                        }
                    }
                    b.last_error = Some(error);
                }
            }
        }
    }
    baseline.requests = n;
    for (b, mut l) in baseline.routes.iter_mut().zip(latencies) {
        l.sort_by(f64::total_cmp);
        if !l.is_empty() {
            b.p50_ms = Some(round1(percentile_sorted(&l, 50.0)));
            b.p95_ms = Some(round1(percentile_sorted(&l, 95.0)));
        }
        b.max_ms = l.last().copied().map(round1);
    }
    let mut problems = Vec::new();
    for (hostname, host) in &hosts {
        if let Some(why) = &host.stopped {
            baseline.unreachable.push(hostname.clone());
            let skipped = if host.skipped > 0 {
                format!(", so its other {} request(s) were not sent", host.skipped)
            } else {
                String::new()
            };
            let certificate = if w.scheme == "https" {
                format!(" with a certificate for {hostname}")
            } else {
                String::new()
            };
            problems.push(format!(
                "{why}{skipped}: check that the load balancer is up and takes {} connections \
                 there (listener, security groups){certificate}, and that the plan's aws_target \
                 (or checks.connect_to) names it",
                w.scheme
            ));
            continue;
        }
        let mine: Vec<(&RouteBaseline, &BTreeSet<u16>)> = baseline
            .routes
            .iter()
            .zip(&refusals)
            .filter(|(r, _)| &r.hostname == hostname)
            .collect();
        problems.extend(judge(hostname, &mine, !w.paths.is_empty()));
    }
    if !problems.is_empty() {
        baseline.failure = Some(format!(
            "warm-up failed: {}; then run again (nothing was moved)",
            problems.join("; ")
        ));
    }
    baseline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<String> {
        vec!["www.example.test".into()]
    }

    #[test]
    fn counts_get_and_head_only_and_drops_queries() {
        let mut t = TopPaths::new(&hosts(), false);
        t.add("www.example.test", "GET", "/a?token=1");
        t.add("www.example.test", "GET", "/a?token=2");
        t.add("www.example.test", "POST", "/a");
        t.add("WWW.example.test:443", "head", "/b");
        t.add("other.example.test", "GET", "/c");
        let top = t.top(5);
        assert_eq!(
            top.iter()
                .map(|p| (p.method.as_str(), p.path.as_str(), p.count))
                .collect::<Vec<_>>(),
            [("GET", "/a", 2), ("HEAD", "/b", 1)]
        );
        assert_eq!(t.counted, 3);
    }

    #[test]
    fn heroku_answers_count_for_the_exact_request_only() {
        let line = |path: &str, status: u16| {
            format!(
                "2026-12-07T10:00:00.000000+00:00 heroku[router]: at=info method=GET \
                 path=\"{path}\" host=www.example.test request_id=1 fwd=\"1.2.3.4\" \
                 dyno=web.1 connect=0ms service=12ms status={status} bytes=10 protocol=https"
            )
        };
        let mut t = TopPaths::new(&hosts(), false);
        for (path, status) in [("/a", 200), ("/a", 304), ("/a", 404), ("/a?x=1", 500)] {
            t.add_line(&line(path, status));
        }
        // a line without a status (an `add`) counts the request, not an answer
        t.add("www.example.test", "GET", "/a");
        let top = t.top(1);
        assert_eq!(top[0].count, 5);
        // the request with a query is not the one replayed: its 500 says nothing of `/a`
        assert_eq!(
            top[0].heroku_classes,
            BTreeMap::from([("2xx".into(), 1), ("3xx".into(), 1), ("4xx".into(), 1)])
        );
        // with queries kept, the request is replayed as it was: its answer counts
        let mut t = TopPaths::new(&hosts(), true);
        t.add_line(&line("/a?x=1", 500));
        assert_eq!(
            t.top(1)[0].heroku_classes,
            BTreeMap::from([("5xx".into(), 1)])
        );
    }

    #[test]
    fn not_served_leaves_out_what_a_working_app_answers_a_replay() {
        assert!([400, 404, 405, 410, 421].into_iter().all(not_served));
        assert!(![200, 301, 401, 403, 429, 500].into_iter().any(not_served));
        let heroku = BTreeMap::from([("2xx".into(), 6), ("4xx".into(), 5)]);
        assert!(mostly(&heroku, &["2xx", "3xx"]));
        assert!(!mostly(&heroku, &["4xx"]));
        assert!(
            !mostly(&BTreeMap::new(), &["4xx"]),
            "no answers: not mostly anything"
        );
    }

    #[test]
    fn keeps_queries_when_allowed() {
        let mut t = TopPaths::new(&hosts(), true);
        t.add("www.example.test", "GET", "/a?x=1");
        assert_eq!(t.top(1)[0].path, "/a?x=1");
    }

    #[test]
    fn memory_is_bounded_and_heavy_paths_survive() {
        let mut t = TopPaths::with_cap(&hosts(), false, 50);
        // each hot path takes 1/15 of the requests, spread through the log; every cold
        // path is requested once
        for round in 0..20 {
            for cold in 0..100 {
                if cold % 10 == 0 {
                    for hot in 0..5 {
                        t.add("www.example.test", "GET", &format!("/hot{hot}"));
                    }
                }
                t.add("www.example.test", "GET", &format!("/cold{round}-{cold}"));
            }
        }
        assert!(t.counts.len() <= 50, "{}", t.counts.len());
        assert!(t.forgotten > 0);
        let top: Vec<(String, u64)> = t.top(5).into_iter().map(|p| (p.path, p.count)).collect();
        assert_eq!(
            top,
            (0..5)
                .map(|i| (format!("/hot{i}"), 200))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn reads_router_lines() {
        let mut t = TopPaths::new(&hosts(), false);
        t.add_line(
            "2026-12-07T10:00:00.000000+00:00 heroku[router]: at=info method=GET path=\"/x?t=1\" \
             host=www.example.test request_id=1 fwd=\"1.2.3.4\" dyno=web.1 connect=0ms \
             service=12ms status=200 bytes=10 protocol=https",
        );
        assert_eq!(t.top(1).first().map(|p| p.path.as_str()), Some("/x"));
    }

    #[test]
    fn counts_every_frame_of_a_drain_line() {
        let frame = |path: &str| {
            let body = format!(
                "<158>1 2026-12-07T10:00:00.000000+00:00 host heroku router - at=info method=GET \
                 path=\"{path}\" host=www.example.test request_id=1 fwd=\"1.2.3.4\" dyno=web.1 \
                 connect=0ms service=12ms status=200 bytes=10 protocol=https"
            );
            format!("{} {body}", body.len())
        };
        let mut t = TopPaths::new(&hosts(), false);
        // Logplex glues frames on one line without a newline between them
        t.add_line(&(frame("/a") + &frame("/b") + &frame("/a")));
        let top: Vec<(String, u64)> = t.top(2).into_iter().map(|p| (p.path, p.count)).collect();
        assert_eq!(top, [("/a".into(), 2), ("/b".into(), 1)]);
    }

    #[test]
    fn reads_gzip_archives_like_plain_logs() {
        use std::io::Write;
        let line = |path: &str| {
            format!(
                "2026-12-07T10:00:00.000000+00:00 heroku[router]: at=info method=GET \
                 path=\"{path}\" host=www.example.test request_id=1 fwd=\"1.2.3.4\" \
                 dyno=web.1 connect=0ms service=12ms status=200 bytes=10 protocol=https\n"
            )
        };
        let text: String = ["/a", "/b", "/a", "/c", "/a", "/b"].map(line).concat();
        let dir = std::env::temp_dir().join(format!("dynoshift-warmup-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("router.log");
        std::fs::write(&plain, &text).unwrap();
        // two gzip members, as concatenated archives are
        let gz = dir.join("router.log.gz");
        let mut bytes = Vec::new();
        for half in [&text[..text.len() / 2], &text[text.len() / 2..]] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(half.as_bytes()).unwrap();
            bytes.extend(e.finish().unwrap());
        }
        std::fs::write(&gz, bytes).unwrap();
        let count = |f: &std::path::Path| {
            let top = count_logs(&[f.display().to_string()], &hosts(), false, "warmup.logs");
            top.unwrap()
                .top(3)
                .into_iter()
                .map(|p| (p.path, p.count))
                .collect::<Vec<_>>()
        };
        let from_plain = count(&plain);
        assert_eq!(
            from_plain,
            [("/a".into(), 3), ("/b".into(), 2), ("/c".into(), 1)]
        );
        assert_eq!(count(&gz), from_plain);
        // an export cut short in its second member: the first member's lines count, the file
        // is named, nothing fails
        let whole = std::fs::read(&gz).unwrap();
        let cut = dir.join("cut.log.gz");
        std::fs::write(&cut, &whole[..whole.len() - 20]).unwrap();
        let top = count_logs(&[cut.display().to_string()], &hosts(), false, "warmup.logs").unwrap();
        assert_eq!(top.cut_short, [cut.display().to_string()]);
        // the whole first member at least, never the cut-off end
        assert!((3..6).contains(&top.counted), "{} lines", top.counted);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_hostname_the_logs_never_mention_still_gets_the_root_path() {
        let dir =
            std::env::temp_dir().join(format!("dynoshift-warmup-hosts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("router.log");
        std::fs::write(
            &log,
            "2026-12-07T10:00:00.000000+00:00 heroku[router]: at=info method=GET path=\"/cart\" \
             host=www.example.test request_id=1 fwd=\"1.2.3.4\" dyno=web.1 connect=0ms \
             service=12ms status=200 bytes=10 protocol=https\n",
        )
        .unwrap();
        let mut plan = CutoverPlan::new(
            vec!["www.example.test".into(), "api.example.test".into()],
            "example.test",
            "x.herokudns.com",
            "lb.example.net",
        );
        let w = WarmupConfig {
            logs: vec![log.display().to_string()],
            ..Default::default()
        };
        plan.warmup = Some(w.clone());
        let (routes, source) = routes(&plan, &w).await.unwrap();
        let got: Vec<(&str, &str)> = routes
            .iter()
            .map(|r| (r.hostname.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [("www.example.test", "/cart"), ("api.example.test", "/")]
        );
        assert!(
            source.contains("not in the logs, so / only: api.example.test"),
            "{source}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn validation_names_the_field() {
        let cases: Vec<(WarmupConfig, &str)> = vec![
            (
                WarmupConfig {
                    method: "POST".into(),
                    ..Default::default()
                },
                "warmup.method",
            ),
            (
                WarmupConfig {
                    paths: vec!["/ok".into(), "/q?token=1".into()],
                    ..Default::default()
                },
                "warmup.paths[1]",
            ),
            (
                WarmupConfig {
                    rate_per_second: 0,
                    ..Default::default()
                },
                "warmup.rate_per_second",
            ),
            (
                WarmupConfig {
                    top: 0,
                    ..Default::default()
                },
                "warmup.top",
            ),
            (
                WarmupConfig {
                    timeout_ms: 5,
                    ..Default::default()
                },
                "warmup.timeout_ms",
            ),
        ];
        for (c, at) in cases {
            let e = c.validate().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(at), "{at}: {e}");
        }
        WarmupConfig::default().validate().unwrap();
    }
}

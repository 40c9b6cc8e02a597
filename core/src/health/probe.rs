//! HTTP probing shared by the probe and baseline gates: one request description
//! ([`ProbeSpec`]), a reqwest client built from it ([`Prober`]), bursts of probes at a given
//! concurrency, and a sliding window of samples.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::heroku::api::{describe, ensure_crypto_provider};
use crate::{Error, Result};

/// Bodies read for matching are cut at this size.
const MAX_BODY: usize = 1 << 20;

fn default_method() -> String {
    "GET".into()
}
fn default_timeout_ms() -> u64 {
    2000
}

/// A JSON-pointer match on the response body: the value at `pointer` must exist and, when
/// `equals` is given, be equal to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMatch {
    /// RFC 6901 pointer, e.g. `/status`.
    pub pointer: String,
    /// Expected value (any JSON); absent = the pointer must merely resolve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
}

/// One HTTP probe: where to send it and what a good answer looks like.
///
/// To probe the AWS side directly while presenting the public name, either set `host` (the
/// `Host` header; fine for plain HTTP) or keep the public name in `url` and set `resolve` to
/// the load balancer's `ip:port` (keeps TLS SNI and certificate checks right for HTTPS).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// `http(s)://host[:port]/path` (no user name or password).
    pub url: String,
    /// `Host` header to send instead of the URL's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Connect to this `ip:port` for the URL's host instead of resolving it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub method: String,
    /// Extra request headers (values are never shown in Debug output or errors).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Accepted statuses (default: any 2xx).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_status: Vec<u16>,
    /// The body must contain this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// The body must be JSON matching this pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_pointer: Option<JsonMatch>,
    /// Per-probe timeout in ms (default 2000); a timed-out probe is a failed sample.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Accept any TLS certificate (default false: certificates are verified). Only for a test
    /// target with a self-signed certificate; logged as a warning whenever a prober is built
    /// with it, since a probe that trusts anyone proves nothing about the real site.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
}

impl fmt::Debug for ProbeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeSpec")
            .field("url", &shown_url(&self.url))
            .field("host", &self.host)
            .field("resolve", &self.resolve)
            .field("method", &self.method)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("expect_status", &self.expect_status)
            .field("body_contains", &self.body_contains)
            .field("json_pointer", &self.json_pointer)
            .field("timeout_ms", &self.timeout_ms)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .finish()
    }
}

impl ProbeSpec {
    /// A GET of `url` expecting any 2xx within 2 s.
    pub fn get(url: impl Into<String>) -> Self {
        ProbeSpec {
            url: url.into(),
            host: None,
            resolve: None,
            method: default_method(),
            headers: BTreeMap::new(),
            expect_status: Vec::new(),
            body_contains: None,
            json_pointer: None,
            timeout_ms: default_timeout_ms(),
            insecure_skip_tls_verify: false,
        }
    }
}

/// One probe's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The answer met every expectation.
    pub ok: bool,
    /// Time to the full response (the timeout for a timed-out probe), ms.
    pub latency_ms: f64,
    /// HTTP status, if one came back.
    pub status: Option<u16>,
    /// The target could not be reached at all (connection refused, DNS): not a sample of the
    /// app's health but a failure to measure.
    pub unreachable: bool,
    /// Why it was not ok.
    pub detail: Option<String>,
}

/// Sends the probes of one [`ProbeSpec`].
pub struct Prober {
    client: reqwest::Client,
    url: Url,
    method: Method,
    headers: HeaderMap,
    spec: ProbeSpec,
    timeout: Duration,
}

impl fmt::Debug for Prober {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prober").field("spec", &self.spec).finish()
    }
}

/// A URL as shown in names, reasons, errors and Debug output: the query (which may carry a
/// key) is replaced by `?…`.
pub fn shown_url(text: &str) -> String {
    let text = text.trim();
    match text.find(['?', '#']) {
        Some(i) => format!("{}?…", &text[..i]),
        None => text.to_owned(),
    }
}

/// Parses an `http(s)` URL without credentials (`invalid_input` otherwise; never echoes a URL
/// that holds a password).
pub(crate) fn parse_http_url(text: &str, what: &str) -> Result<Url> {
    let shown = shown_url(text);
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::invalid_input(format!(
            "{what} {shown:?} is not a URL ({e}); give http(s)://host[:port]/path"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_input(format!(
            "{what} must not contain a user name or password; send credentials in a header"
        )));
    }
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::invalid_input(format!(
            "{what} {shown:?} must start with http:// or https://"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_input(format!(
            "{what} {shown:?} has no host"
        )));
    }
    Ok(url)
}

/// A reqwest client with rustls (ring), no redirects, and an optional resolve override.
/// Certificates are verified unless `insecure_skip_tls_verify` (the caller logs that).
pub(crate) fn http_client(
    timeout: Duration,
    resolve: Option<(&str, SocketAddr)>,
    pool: usize,
    insecure_skip_tls_verify: bool,
) -> Result<reqwest::Client> {
    ensure_crypto_provider();
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("dynoshift-gate/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool.max(1))
        .tls_danger_accept_invalid_certs(insecure_skip_tls_verify);
    if let Some((host, addr)) = resolve {
        b = b.resolve(host, addr);
    }
    b.build().map_err(|e| {
        Error::internal(format!(
            "cannot build the HTTP client for a gate: {}",
            describe(&e.without_url())
        ))
    })
}

impl Prober {
    /// Validates the spec and builds its client (`invalid_input` for a bad URL, method,
    /// header, resolve address, status or a zero timeout). `pool` is the concurrency.
    pub fn new(spec: ProbeSpec, pool: usize) -> Result<Self> {
        let url = parse_http_url(&spec.url, "the probe URL").map_err(|e| e.at("url"))?;
        let method = Method::from_bytes(spec.method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| {
                Error::invalid_input(format!("{:?} is not an HTTP method", spec.method))
                    .at("method")
            })?;
        if spec.timeout_ms == 0 {
            return Err(
                Error::invalid_input("the probe timeout must be at least 1 ms").at("timeout_ms"),
            );
        }
        let mut headers = HeaderMap::new();
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                Error::invalid_input(format!("{k:?} is not a header name")).at("headers")
            })?;
            let mut value = HeaderValue::from_str(v).map_err(|_| {
                // the value may be a secret: not echoed
                Error::invalid_input(format!("the value of header {k} cannot be sent"))
                    .at("headers")
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if let Some(h) = &spec.host {
            let value = HeaderValue::from_str(h.trim()).map_err(|_| {
                Error::invalid_input(format!("{h:?} is not a valid Host header")).at("host")
            })?;
            if h.trim().is_empty() {
                return Err(Error::invalid_input("the Host header is empty").at("host"));
            }
            headers.insert(reqwest::header::HOST, value);
        }
        for s in &spec.expect_status {
            if !(100..=599).contains(s) {
                return Err(
                    Error::invalid_input(format!("{s} is not an HTTP status")).at("expect_status")
                );
            }
        }
        if let Some(m) = &spec.json_pointer
            && !(m.pointer.is_empty() || m.pointer.starts_with('/'))
        {
            return Err(Error::invalid_input(format!(
                "{:?} is not a JSON pointer (it starts with /, e.g. /status)",
                m.pointer
            ))
            .at("json_pointer.pointer"));
        }
        let resolve = match &spec.resolve {
            None => None,
            Some(r) => {
                let addr: SocketAddr = r.trim().parse().map_err(|_| {
                    Error::invalid_input(format!(
                        "{r:?} is not an ip:port address (e.g. 10.0.0.5:443)"
                    ))
                    .at("resolve")
                })?;
                Some(addr)
            }
        };
        let timeout = Duration::from_millis(spec.timeout_ms);
        let host = url.host_str().unwrap_or_default().to_owned();
        if spec.insecure_skip_tls_verify {
            tracing::warn!(
                url = %shown_url(&spec.url),
                "TLS certificate verification is OFF for this HTTP probe \
                 (insecure_skip_tls_verify): its verdicts say nothing about the certificate \
                 real clients will see"
            );
        }
        let client = http_client(
            timeout,
            resolve.map(|a| (host.as_str(), a)),
            pool,
            spec.insecure_skip_tls_verify,
        )?;
        Ok(Prober {
            client,
            url,
            method,
            headers,
            spec,
            timeout,
        })
    }

    /// The spec.
    pub fn spec(&self) -> &ProbeSpec {
        &self.spec
    }

    /// Sends one probe.
    pub fn probe(&self) -> impl Future<Output = Sample> + Send + 'static {
        let req = self
            .client
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        let spec = self.spec.clone();
        let timeout = self.timeout;
        async move {
            let start = Instant::now();
            let ms = |s: Instant| s.elapsed().as_secs_f64() * 1000.0;
            let failed = |latency_ms: f64, status, unreachable, detail: String| Sample {
                ok: false,
                latency_ms,
                status,
                unreachable,
                detail: Some(detail),
            };
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let e = e.without_url();
                    let detail = describe(&e);
                    return if e.is_timeout() {
                        failed(
                            timeout.as_secs_f64() * 1000.0,
                            None,
                            false,
                            format!("no answer within {} ms", timeout.as_millis()),
                        )
                    } else {
                        failed(ms(start), None, e.is_connect(), detail)
                    };
                }
            };
            let status = resp.status().as_u16();
            let need_body = spec.body_contains.is_some() || spec.json_pointer.is_some();
            let mut body = Vec::new();
            let mut resp = resp;
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => {
                        if need_body && body.len() < MAX_BODY {
                            body.extend_from_slice(&c);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let e = e.without_url();
                        let latency = if e.is_timeout() {
                            timeout.as_secs_f64() * 1000.0
                        } else {
                            ms(start)
                        };
                        return failed(
                            latency,
                            Some(status),
                            false,
                            format!("body not read: {}", describe(&e)),
                        );
                    }
                }
            }
            let latency = ms(start);
            let status_ok = if spec.expect_status.is_empty() {
                (200..300).contains(&status)
            } else {
                spec.expect_status.contains(&status)
            };
            if !status_ok {
                return failed(latency, Some(status), false, format!("HTTP {status}"));
            }
            if let Some(text) = &spec.body_contains
                && !String::from_utf8_lossy(&body).contains(text.as_str())
            {
                return failed(
                    latency,
                    Some(status),
                    false,
                    format!("the body lacks {text:?}"),
                );
            }
            if let Some(m) = &spec.json_pointer {
                let value: Option<Value> = serde_json::from_slice(&body).ok();
                let found = value.as_ref().and_then(|v| v.pointer(&m.pointer));
                let good = match (found, &m.equals) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(f), Some(want)) => f == want,
                };
                if !good {
                    let got = found
                        .map(|f| printable(&f.to_string(), 80))
                        .unwrap_or_else(|| "nothing".into());
                    return failed(
                        latency,
                        Some(status),
                        false,
                        format!("JSON at {} is {got}", m.pointer),
                    );
                }
            }
            Sample {
                ok: true,
                latency_ms: latency,
                status: Some(status),
                unreachable: false,
                detail: None,
            }
        }
    }

    /// Sends `count` probes, `concurrency` at a time, each worker waiting `interval` between
    /// its probes.
    pub fn burst(
        &self,
        count: usize,
        concurrency: usize,
        interval: Duration,
    ) -> impl Future<Output = Vec<Sample>> + Send + 'static {
        let workers = concurrency.clamp(1, count.max(1));
        let mut futs = Vec::with_capacity(workers);
        for w in 0..workers {
            let n = count / workers + usize::from(w < count % workers);
            let probes: Vec<_> = (0..n).map(|_| self.probe()).collect();
            futs.push(async move {
                let mut out = Vec::with_capacity(probes.len());
                for (i, p) in probes.into_iter().enumerate() {
                    if i > 0 && !interval.is_zero() {
                        tokio::time::sleep(interval).await;
                    }
                    out.push(p.await);
                }
                out
            });
        }
        async move { join_all(futs).await.into_iter().flatten().collect() }
    }
}

fn printable(s: &str, max: usize) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Polls every future to completion concurrently on the caller's task (no spawning).
pub(crate) async fn join_all<F: Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futs.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut out: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut left = false;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        out[i] = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => left = true,
                }
            }
        }
        if left { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// The last `capacity` samples of one stage (a new stage starts an empty window).
#[derive(Debug, Clone)]
pub struct SampleWindow {
    capacity: usize,
    stage: Option<usize>,
    samples: VecDeque<Sample>,
}

/// Summary of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    /// Samples in the window.
    pub samples: u64,
    /// Successful samples.
    pub successes: u64,
    /// Failed samples.
    pub failures: u64,
    /// successes / samples (1 when empty).
    pub success_ratio: f64,
    /// Latency percentiles over every sample, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
}

impl SampleWindow {
    /// An empty window holding up to `capacity` samples.
    pub fn new(capacity: usize) -> Self {
        SampleWindow {
            capacity: capacity.max(1),
            stage: None,
            samples: VecDeque::new(),
        }
    }

    /// Starts over when `stage` differs from the window's.
    pub fn enter_stage(&mut self, stage: usize) {
        if self.stage != Some(stage) {
            self.samples.clear();
            self.stage = Some(stage);
        }
    }

    /// Adds samples, dropping the oldest beyond the capacity.
    pub fn extend(&mut self, samples: impl IntoIterator<Item = Sample>) {
        for s in samples {
            if self.samples.len() == self.capacity {
                self.samples.pop_front();
            }
            self.samples.push_back(s);
        }
    }

    /// Latencies, ms.
    pub fn latencies(&self) -> Vec<f64> {
        self.samples.iter().map(|s| s.latency_ms).collect()
    }

    /// (failures, samples).
    pub fn failures(&self) -> (u64, u64) {
        let n = self.samples.len() as u64;
        (self.samples.iter().filter(|s| !s.ok).count() as u64, n)
    }

    /// Counts, ratio and percentiles.
    pub fn stats(&self) -> WindowStats {
        let mut lat = self.latencies();
        lat.sort_by(f64::total_cmp);
        let (failures, n) = self.failures();
        let pct = |p| (!lat.is_empty()).then(|| super::stats::percentile_sorted(&lat, p));
        WindowStats {
            samples: n,
            successes: n - failures,
            failures,
            success_ratio: if n == 0 {
                1.0
            } else {
                (n - failures) as f64 / n as f64
            },
            p50_ms: pct(50.0),
            p95_ms: pct(95.0),
            p99_ms: pct(99.0),
        }
    }
}

/// What one burst looked like, for the verdict's measurements.
pub(crate) fn burst_summary(samples: &[Sample]) -> Value {
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for s in samples {
        let key = match (s.status, s.unreachable) {
            (Some(c), _) => c.to_string(),
            (None, true) => "unreachable".into(),
            (None, false) => "timeout_or_broken".into(),
        };
        *statuses.entry(key).or_default() += 1;
    }
    let example = samples.iter().find_map(|s| s.detail.clone());
    json!({
        "probes": samples.len(),
        "failed": samples.iter().filter(|s| !s.ok).count(),
        "statuses": statuses,
        "example_failure": example,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn sample(ok: bool, ms: f64) -> Sample {
        Sample {
            ok,
            latency_ms: ms,
            status: Some(if ok { 200 } else { 500 }),
            unreachable: false,
            detail: None,
        }
    }

    #[test]
    fn window_slides_and_resets_per_stage() {
        let mut w = SampleWindow::new(4);
        w.enter_stage(0);
        w.extend((1..=6).map(|i| sample(i != 2, f64::from(i))));
        let s = w.stats();
        assert_eq!(s.samples, 4);
        assert_eq!(s.failures, 0, "the failing 2nd sample slid out");
        assert_eq!(s.p50_ms, Some(4.0));
        assert_eq!(s.p99_ms, Some(6.0));
        w.enter_stage(0);
        assert_eq!(w.stats().samples, 4);
        w.enter_stage(1);
        assert_eq!(w.stats().samples, 0);
        assert_eq!(w.stats().success_ratio, 1.0);
    }

    #[test]
    fn bad_specs_are_invalid_input_without_secrets() {
        let mut cases: Vec<(ProbeSpec, &str)> = Vec::new();
        cases.push((ProbeSpec::get("not a url"), "url"));
        cases.push((ProbeSpec::get("ftp://x/"), "url"));
        cases.push((ProbeSpec::get("http://user:SECRET@x/"), "url"));
        let mut s = ProbeSpec::get("http://127.0.0.1:1/");
        s.method = "GE T".into();
        cases.push((s, "method"));
        let mut s = ProbeSpec::get("http://127.0.0.1:1/");
        s.resolve = Some("nowhere".into());
        cases.push((s, "resolve"));
        let mut s = ProbeSpec::get("http://127.0.0.1:1/");
        s.timeout_ms = 0;
        cases.push((s, "timeout_ms"));
        let mut s = ProbeSpec::get("http://127.0.0.1:1/");
        s.headers
            .insert("Authorization".into(), "Bearer SECRET\n".into());
        cases.push((s, "headers"));
        let mut s = ProbeSpec::get("http://127.0.0.1:1/");
        s.expect_status = vec![42];
        cases.push((s, "expect_status"));
        for (spec, at) in cases {
            let err = Prober::new(spec, 1).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert_eq!(err.context(), Some(at), "{err}");
            assert!(!err.to_string().contains("SECRET"), "{err}");
        }
        let mut s = ProbeSpec::get("http://127.0.0.1:1/");
        s.headers
            .insert("Authorization".into(), "Bearer SECRET".into());
        s.url = "http://127.0.0.1:1/health?key=SECRET".into();
        let p = Prober::new(s, 1).unwrap();
        assert!(!format!("{p:?}").contains("SECRET"), "{p:?}");
        assert_eq!(shown_url("http://a/b?key=SECRET"), "http://a/b?…");
        let err = Prober::new(ProbeSpec::get("ftp://a/?key=SECRET"), 1).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}

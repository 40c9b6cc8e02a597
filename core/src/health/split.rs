//! The observed-split gate: measures the share of traffic clients really get on the AWS side
//! and compares it with the stage's intended weight. "At 10% the new side sees a tenth of the
//! traffic" is what the zone says; a stale name server, a forgotten record, a resolver that
//! pins answers or a wrong target can make the real share 0% or 100%. This gate notices.
//!
//! Two ways to observe, chosen by `method`:
//!
//! - **`dns`**: `samples_per_check` queries for each hostname, sent straight to the zone's
//!   authoritative name servers over UDP with recursion off (see [`crate::dns::client`]);
//!   an answer counts for AWS when it holds `aws_target` (the CNAME target or an address).
//!   In production the servers are the hosted zone's delegation set
//!   ([`crate::dns::DnsProvider::name_servers`]; Route53 answers on UDP/53), given as names or
//!   addresses. NXDOMAIN and empty answers count as "not AWS" (clients get nowhere);
//!   REFUSED, other error codes and timeouts are not counted.
//! - **`header`**: `samples_per_check` HTTP requests to `url` (the public name, optionally
//!   pinned with `resolve`), each on a fresh connection, counting the responses whose
//!   backend-identity header (`header`, default `x-backend`) equals `aws_value` (default
//!   `aws`). Whatever the status, a response says which side answered; failed requests are
//!   not counted. From one machine, a caching resolver pins DNS answers for their TTL, so this
//!   method measures a per-request split: a weighted proxy or CDN in front, or a `resolve`
//!   pointing at one.
//!
//! Observations accumulate over the ticks of a stage (a sliding `window`; a new stage starts
//! empty). With `k` AWS answers of `n`, the Wilson interval of the share at `confidence` and
//! the intended share `p` (the stage's percent):
//!
//! - **fail** when the whole interval lies more than `tolerance` away from `p` — the split is
//!   clearly off (e.g. 0% or 100% observed at 25%), whatever `n` is;
//! - **pass** when `n ≥ min_samples` and the observed share is within `tolerance` of `p`;
//! - **inconclusive** otherwise (too few answers, or off but not yet significantly).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::http::check_number;
use super::probe::{join_all, parse_http_url, shown_url};
use super::stats::{binomial_two_sided, wilson_interval};
use crate::cutover::{Gate, GateContext, GatePolicy, Verdict, VerdictStatus};
use crate::dns::client::{self, QueryOptions};
use crate::dns::{BoxFuture, DnsProvider, normalize_name, wire};
use crate::heroku::api::{describe, ensure_crypto_provider};
use crate::{Error, Result};

/// How the split is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitMethod {
    /// Queries to the authoritative name servers.
    Dns,
    /// HTTP requests counting a backend-identity header.
    Header,
}

fn d_samples() -> usize {
    200
}
fn d_concurrency() -> usize {
    8
}
fn d_window() -> usize {
    2000
}
fn d_min_samples() -> u64 {
    200
}
fn d_tolerance() -> f64 {
    0.05
}
fn d_confidence() -> f64 {
    0.95
}
fn d_timeout_ms() -> u64 {
    1000
}
fn d_retries() -> u32 {
    2
}

/// Configuration of an [`ObservedSplitGate`].
///
/// JSON (kind `"observed_split"`):
/// `{"type": "observed_split", "method": "dns", "name_servers": ["ns-1.awsdns-01.org"],
/// "aws_target": "lb-1.elb.amazonaws.com"}` or
/// `{"type": "observed_split", "method": "header", "url": "https://www.example.com/",
/// "header": "x-backend", "aws_value": "aws"}`; everything else has defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedSplitGateConfig {
    /// Gate name (default `observed split (dns|header)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `dns` or `header`.
    pub method: SplitMethod,
    /// dns: the authoritative name servers — `ip`, `ip:port`, `name` or `name:port` (names
    /// are resolved once through the system resolver; the port defaults to 53).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_servers: Vec<String>,
    /// dns: the hostnames to query (default: every hostname of the cutover).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// dns: the answer meaning "AWS" — the AWS record's CNAME target or an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_target: Option<String>,
    /// dns: the query type, `A` (default), `AAAA` or `CNAME` (a CNAME answers them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// dns: further attempts of an unanswered query, on the next server (default 2).
    #[serde(default = "d_retries")]
    pub retries: u32,
    /// header: the URL to request (the public name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// header: connect to this `ip:port` for the URL's host instead of resolving it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<String>,
    /// header: the backend-identity response header (default `x-backend`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// header: its value on the AWS side (default `aws`; compared without case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_value: Option<String>,
    /// Queries or requests per tick and hostname (default 200).
    #[serde(default = "d_samples")]
    pub samples_per_check: usize,
    /// In flight at once (default 8).
    #[serde(default = "d_concurrency")]
    pub concurrency: usize,
    /// Answers kept per hostname over a stage's ticks (default 2000).
    #[serde(default = "d_window")]
    pub window: usize,
    /// Answers needed before a pass (default 200).
    #[serde(default = "d_min_samples")]
    pub min_samples: u64,
    /// How far (absolute share, 0–0.5) the observed AWS share may be from the intended one
    /// (default 0.05: 20–30% at a 25% stage).
    #[serde(default = "d_tolerance")]
    pub tolerance: f64,
    /// Confidence of the interval that decides a fail (default 0.95).
    #[serde(default = "d_confidence")]
    pub confidence: f64,
    /// Timeout of one query attempt or one request, ms (default 1000).
    #[serde(default = "d_timeout_ms")]
    pub timeout_ms: u64,
    /// Verdict policy.
    #[serde(default)]
    pub policy: GatePolicy,
}

impl ObservedSplitGateConfig {
    fn with_method(method: SplitMethod) -> Self {
        ObservedSplitGateConfig {
            name: None,
            method,
            name_servers: Vec::new(),
            hostnames: Vec::new(),
            aws_target: None,
            record_type: None,
            retries: d_retries(),
            url: None,
            resolve: None,
            header: None,
            aws_value: None,
            samples_per_check: d_samples(),
            concurrency: d_concurrency(),
            window: d_window(),
            min_samples: d_min_samples(),
            tolerance: d_tolerance(),
            confidence: d_confidence(),
            timeout_ms: d_timeout_ms(),
            policy: GatePolicy::default(),
        }
    }

    /// The `dns` method against `name_servers`, counting answers that hold `aws_target`.
    pub fn dns(name_servers: Vec<String>, aws_target: impl Into<String>) -> Self {
        ObservedSplitGateConfig {
            name_servers,
            aws_target: Some(aws_target.into()),
            ..Self::with_method(SplitMethod::Dns)
        }
    }

    /// The `dns` method against the zone's name servers as the provider tells them
    /// ([`DnsProvider::name_servers`]: Route53's delegation set, or the memory provider's
    /// loopback servers).
    pub async fn dns_for_zone(
        provider: &dyn DnsProvider,
        zone: &str,
        aws_target: impl Into<String>,
    ) -> Result<Self> {
        let zone = provider.zone(zone).await?;
        let servers = provider.name_servers(&zone.id).await?;
        Ok(Self::dns(
            servers.iter().map(ToString::to_string).collect(),
            aws_target,
        ))
    }

    /// The `header` method: requests to `url`, counting `x-backend: aws` answers.
    pub fn header(url: impl Into<String>) -> Self {
        ObservedSplitGateConfig {
            url: Some(url.into()),
            ..Self::with_method(SplitMethod::Header)
        }
    }
}

/// A name server as configured: an address, or a name to resolve once.
#[derive(Debug, Clone)]
enum ServerSpec {
    Addr(SocketAddr),
    Name(String, u16),
}

fn parse_server(text: &str) -> Result<ServerSpec> {
    let t = text.trim();
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Ok(ServerSpec::Addr(a));
    }
    if let Ok(ip) = t.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(ServerSpec::Addr(SocketAddr::new(ip, 53)));
    }
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>().map_err(|_| {
                Error::invalid_input(format!("{text:?}: {p:?} is not a port number"))
            })?,
        ),
        None => (t, 53),
    };
    let host = normalize_name(host);
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid || port == 0 {
        return Err(Error::invalid_input(format!(
            "{text:?} is not a name server (give ip, ip:port, name or name:port)"
        )));
    }
    Ok(ServerSpec::Name(host, port))
}

#[derive(Debug)]
enum Observer {
    Dns {
        servers: Vec<ServerSpec>,
        resolved: tokio::sync::OnceCell<Vec<SocketAddr>>,
        /// The configured AWS target; None: each hostname's AWS target from the plan.
        aws_target: Option<String>,
        qtype: u16,
        options: QueryOptions,
    },
    Header {
        client: reqwest::Client,
        url: reqwest::Url,
        header: reqwest::header::HeaderName,
        aws_value: String,
    },
}

#[derive(Debug, Default)]
struct Windows {
    stage: Option<usize>,
    by_host: HashMap<String, VecDeque<bool>>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    config: ObservedSplitGateConfig,
    observer: Observer,
    windows: Mutex<Windows>,
}

/// Measures the split clients get and compares it with the stage's intended weight (see the
/// module documentation).
#[derive(Debug, Clone)]
pub struct ObservedSplitGate {
    inner: Arc<Inner>,
}

fn not_for(field: &str, set: bool, method: &str) -> Result<()> {
    if set {
        return Err(
            Error::invalid_input(format!("{field} applies to the {method} method only")).at(field),
        );
    }
    Ok(())
}

impl ObservedSplitGate {
    /// Validates the config (`invalid_input` with the field at fault) and builds the gate.
    pub fn new(config: ObservedSplitGateConfig) -> Result<Self> {
        let c = &config;
        super::http::check_load(c.concurrency, c.samples_per_check, c.window)?;
        check_number(c.tolerance, "tolerance", 0.0, 0.5)?;
        check_number(c.confidence, "confidence", 0.5, 0.999_999)?;
        if c.timeout_ms == 0 || c.timeout_ms > 60_000 {
            return Err(Error::invalid_input("timeout_ms must be 1–60000").at("timeout_ms"));
        }
        if c.retries > 10 {
            return Err(Error::invalid_input("retries must be 0–10").at("retries"));
        }
        let timeout = Duration::from_millis(c.timeout_ms);
        let observer = match c.method {
            SplitMethod::Dns => {
                not_for("url", c.url.is_some(), "header")?;
                not_for("resolve", c.resolve.is_some(), "header")?;
                not_for("header", c.header.is_some(), "header")?;
                not_for("aws_value", c.aws_value.is_some(), "header")?;
                if c.name_servers.is_empty() {
                    return Err(Error::invalid_input(
                        "the dns method needs the zone's authoritative name servers (Route53: \
                         the hosted zone's delegation set, e.g. ns-123.awsdns-45.com)",
                    )
                    .at("name_servers"));
                }
                let servers = c
                    .name_servers
                    .iter()
                    .enumerate()
                    .map(|(i, s)| parse_server(s).map_err(|e| e.at(format!("name_servers[{i}]"))))
                    .collect::<Result<Vec<_>>>()?;
                // without one, each hostname's AWS target comes from the plan (GateContext)
                let aws_target = c
                    .aws_target
                    .as_deref()
                    .map(normalize_name)
                    .filter(|t| !t.is_empty());
                for (i, h) in c.hostnames.iter().enumerate() {
                    wire::encode_query(0, h, wire::TYPE_A)
                        .map_err(|e| Error::invalid_input(e.0).at(format!("hostnames[{i}]")))?;
                }
                let rt = c.record_type.as_deref().unwrap_or("A");
                let qtype = wire::type_number(rt)
                    .filter(|t| *t != wire::TYPE_SOA)
                    .ok_or_else(|| {
                        Error::invalid_input(format!("record type {rt:?} is not A, AAAA or CNAME"))
                            .at("record_type")
                    })?;
                Observer::Dns {
                    servers,
                    resolved: tokio::sync::OnceCell::new(),
                    aws_target,
                    qtype,
                    options: QueryOptions {
                        timeout,
                        retries: c.retries,
                    },
                }
            }
            SplitMethod::Header => {
                not_for("name_servers", !c.name_servers.is_empty(), "dns")?;
                not_for("hostnames", !c.hostnames.is_empty(), "dns")?;
                not_for("aws_target", c.aws_target.is_some(), "dns")?;
                not_for("record_type", c.record_type.is_some(), "dns")?;
                let text = c.url.as_deref().ok_or_else(|| {
                    Error::invalid_input(
                        "the header method needs url: the public URL whose answers carry the \
                         backend-identity header",
                    )
                    .at("url")
                })?;
                let url = parse_http_url(text, "the URL").map_err(|e| e.at("url"))?;
                let header_text = c.header.as_deref().unwrap_or("x-backend").trim();
                let header = reqwest::header::HeaderName::from_bytes(header_text.as_bytes())
                    .map_err(|_| {
                        Error::invalid_input(format!("{header_text:?} is not a header name"))
                            .at("header")
                    })?;
                let aws_value = c.aws_value.as_deref().unwrap_or("aws").trim().to_owned();
                if aws_value.is_empty() {
                    return Err(Error::invalid_input("aws_value is empty").at("aws_value"));
                }
                let resolve = match &c.resolve {
                    None => None,
                    Some(r) => Some(r.trim().parse::<SocketAddr>().map_err(|_| {
                        Error::invalid_input(format!(
                            "{r:?} is not an ip:port address (e.g. 10.0.0.5:443)"
                        ))
                        .at("resolve")
                    })?),
                };
                ensure_crypto_provider();
                // no idle connections: every request opens its own, as a new client would
                let mut b = reqwest::Client::builder()
                    .user_agent(concat!("dynoshift-gate/", env!("CARGO_PKG_VERSION")))
                    .timeout(timeout)
                    .connect_timeout(timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_max_idle_per_host(0);
                if let Some(addr) = resolve {
                    b = b.resolve(url.host_str().unwrap_or_default(), addr);
                }
                let client = b.build().map_err(|e| {
                    Error::internal(format!(
                        "cannot build the HTTP client of the split gate: {}",
                        describe(&e.without_url())
                    ))
                })?;
                Observer::Header {
                    client,
                    url,
                    header,
                    aws_value,
                }
            }
        };
        let name = config.name.clone().unwrap_or_else(|| match c.method {
            SplitMethod::Dns => "observed split (dns)".into(),
            SplitMethod::Header => format!(
                "observed split (header, {})",
                shown_url(c.url.as_deref().unwrap_or_default())
            ),
        });
        Ok(ObservedSplitGate {
            inner: Arc::new(Inner {
                name,
                observer,
                config,
                windows: Mutex::default(),
            }),
        })
    }
}

/// One tick's observation of one hostname (or URL).
#[derive(Debug, Default)]
struct Observation {
    target: String,
    /// Counted answers: true = AWS.
    answers: Vec<bool>,
    by_answer: BTreeMap<String, u64>,
    /// Not counted (timeouts, REFUSED, failed requests), with an example.
    not_counted: u64,
    example: Option<String>,
    extra: Value,
}

async fn observe_dns(
    servers: Vec<SocketAddr>,
    host: String,
    aws_target: String,
    qtype: u16,
    n: usize,
    concurrency: usize,
    options: QueryOptions,
) -> Observation {
    let t = client::tally(servers, host.clone(), qtype, n, concurrency, options).await;
    let mut o = Observation {
        target: host,
        ..Observation::default()
    };
    for (answer, count) in &t.by_answer {
        let aws = answer.split(',').any(|v| normalize_name(v) == aws_target);
        o.answers.extend(std::iter::repeat_n(aws, *count as usize));
        o.by_answer.insert(answer.clone(), *count);
    }
    for (label, count) in [("(nxdomain)", t.nxdomain), ("(no data)", t.nodata)] {
        if count > 0 {
            o.answers.extend(std::iter::repeat_n(false, count as usize));
            o.by_answer.insert(label.into(), count);
        }
    }
    o.not_counted = t.refused + t.other_rcode + t.unanswered;
    o.example = t.example_error.clone().or_else(|| {
        (t.refused > 0).then(|| {
            "the name servers answered REFUSED: they are not authoritative for this name".into()
        })
    });
    o.extra = json!({
        "refused": t.refused,
        "other_rcode": t.other_rcode,
        "unanswered": t.unanswered,
        "truncated": t.truncated,
        "not_authoritative": t.not_authoritative,
    });
    o
}

async fn observe_header(
    client: reqwest::Client,
    url: reqwest::Url,
    header: reqwest::header::HeaderName,
    aws_value: String,
    n: usize,
    concurrency: usize,
) -> Observation {
    let workers = concurrency.clamp(1, n.max(1));
    let mut futs = Vec::with_capacity(workers);
    for w in 0..workers {
        let count = n / workers + usize::from(w < n % workers);
        let (client, url, header) = (client.clone(), url.clone(), header.clone());
        futs.push(async move {
            let mut out = Vec::with_capacity(count);
            for _ in 0..count {
                let r = client
                    .get(url.clone())
                    .header(reqwest::header::CONNECTION, "close")
                    .send()
                    .await;
                out.push(match r {
                    Ok(resp) => {
                        let v = resp
                            .headers()
                            .get(&header)
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
                        // read the body so the server sees a complete exchange
                        let _ = resp.bytes().await;
                        Ok(v)
                    }
                    Err(e) => Err(describe(&e.without_url())),
                });
            }
            out
        });
    }
    let mut o = Observation {
        target: shown_url(url.as_str()),
        ..Observation::default()
    };
    for r in join_all(futs).await.into_iter().flatten() {
        match r {
            Ok(Some(v)) => {
                let aws = v.eq_ignore_ascii_case(&aws_value);
                o.answers.push(aws);
                let shown: String = v.chars().filter(|c| !c.is_control()).take(80).collect();
                *o.by_answer.entry(shown).or_default() += 1;
            }
            Ok(None) => {
                o.answers.push(false);
                *o.by_answer
                    .entry(format!("(no {header} header)"))
                    .or_default() += 1;
            }
            Err(e) => {
                o.not_counted += 1;
                o.example.get_or_insert(e);
            }
        }
    }
    o.extra = json!({ "failed_requests": o.not_counted });
    o
}

/// The judgement of `aws` AWS answers out of `n` against the intended share `expected`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitJudgement {
    /// Pass, fail or inconclusive.
    pub status: VerdictStatus,
    /// AWS answers.
    pub aws: u64,
    /// Answers counted.
    pub samples: u64,
    /// aws / samples (0 when empty).
    pub observed_share: f64,
    /// The stage's intended AWS share.
    pub expected_share: f64,
    /// Wilson interval of the observed share at `confidence`.
    pub interval: (f64, f64),
    /// Two-sided binomial p-value of the observation if the true share were the intended one.
    pub p_value: f64,
    /// Why, in words.
    pub reason: String,
}

/// Judges an observed split (see the module documentation for the rule).
pub fn judge_split(
    aws: u64,
    n: u64,
    expected: f64,
    tolerance: f64,
    confidence: f64,
    min_samples: u64,
) -> SplitJudgement {
    let observed = if n == 0 { 0.0 } else { aws as f64 / n as f64 };
    let (lo, hi) = wilson_interval(aws, n, confidence);
    let p_value = binomial_two_sided(aws, n, expected);
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let what = format!(
        "{aws} of {n} answers went to AWS ({}, {:.0}% interval {}–{}); the stage intends {} ± {}",
        pct(observed),
        confidence * 100.0,
        pct(lo),
        pct(hi),
        pct(expected),
        pct(tolerance)
    );
    let (status, reason) = if n > 0 && (hi < expected - tolerance || lo > expected + tolerance) {
        (
            VerdictStatus::Fail,
            format!(
                "{what}: clients do not get the intended split ({}); a stale \
                 name server, a cached or extra record, or a wrong target?",
                super::stats::format_p(p_value)
            ),
        )
    } else if n < min_samples {
        (
            VerdictStatus::Inconclusive,
            format!("{what}; {min_samples} answers needed before a pass"),
        )
    } else if (observed - expected).abs() > tolerance {
        (
            VerdictStatus::Inconclusive,
            format!("{what}: off, but not yet significantly"),
        )
    } else {
        (VerdictStatus::Pass, what)
    };
    SplitJudgement {
        status,
        aws,
        samples: n,
        observed_share: observed,
        expected_share: expected,
        interval: (lo, hi),
        p_value,
        reason,
    }
}

fn rank(s: VerdictStatus) -> u8 {
    match s {
        VerdictStatus::Fail => 3,
        VerdictStatus::Error => 2,
        VerdictStatus::Inconclusive => 1,
        VerdictStatus::Pass => 0,
    }
}

impl Inner {
    async fn servers(&self) -> Result<Vec<SocketAddr>> {
        let Observer::Dns {
            servers, resolved, ..
        } = &self.observer
        else {
            return Ok(Vec::new());
        };
        resolved
            .get_or_try_init(|| async {
                let mut out = Vec::new();
                let mut why = None;
                for s in servers {
                    match s {
                        ServerSpec::Addr(a) => out.push(*a),
                        ServerSpec::Name(n, port) => {
                            match tokio::net::lookup_host((n.as_str(), *port)).await {
                                Ok(a) => out.extend(a),
                                Err(e) => {
                                    why.get_or_insert_with(|| format!("{n}: {e}"));
                                }
                            }
                        }
                    }
                }
                if out.is_empty() {
                    return Err(Error::new(
                        crate::ErrorKind::Unavailable,
                        format!(
                            "no name server address resolves ({})",
                            why.unwrap_or_default()
                        ),
                    ));
                }
                Ok(out)
            })
            .await
            .cloned()
    }

    async fn check(self: Arc<Self>, ctx: GateContext) -> Verdict {
        let c = &self.config;
        let n = c.samples_per_check;
        let observations: Vec<Observation> = match &self.observer {
            Observer::Dns {
                aws_target,
                qtype,
                options,
                ..
            } => {
                let servers = match self.servers().await {
                    Ok(s) => s,
                    Err(e) => {
                        return Verdict::error(e.message().to_owned())
                            .with_measurements(json!({"samples": 0, "method": "dns"}));
                    }
                };
                let hosts = if c.hostnames.is_empty() {
                    ctx.hostnames.clone()
                } else {
                    c.hostnames.clone()
                };
                if hosts.is_empty() {
                    return Verdict::error("no hostname to query: set hostnames")
                        .with_measurements(json!({"samples": 0, "method": "dns"}));
                }
                let mut targets = Vec::with_capacity(hosts.len());
                for h in &hosts {
                    let h = normalize_name(h);
                    let target = aws_target.clone().or_else(|| {
                        ctx.targets
                            .get(&h)
                            .map(|t| normalize_name(&t.1))
                            .filter(|t| !t.is_empty())
                    });
                    match target {
                        Some(t) => targets.push((h, t)),
                        None => {
                            return Verdict::error(format!(
                                "no AWS target known for {h}: set aws_target on the gate"
                            ))
                            .with_measurements(json!({"samples": 0, "method": "dns"}));
                        }
                    }
                }
                let futs = targets
                    .into_iter()
                    .map(|(h, target)| {
                        observe_dns(
                            servers.clone(),
                            h,
                            target,
                            *qtype,
                            n,
                            c.concurrency,
                            *options,
                        )
                    })
                    .collect();
                join_all(futs).await
            }
            Observer::Header {
                client,
                url,
                header,
                aws_value,
            } => vec![
                observe_header(
                    client.clone(),
                    url.clone(),
                    header.clone(),
                    aws_value.clone(),
                    n,
                    c.concurrency,
                )
                .await,
            ],
        };
        let method = match c.method {
            SplitMethod::Dns => "dns",
            SplitMethod::Header => "header",
        };
        let expected = f64::from(ctx.percent.min(100)) / 100.0;
        let mut results = Vec::new();
        {
            let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
            if w.stage != Some(ctx.stage) {
                w.stage = Some(ctx.stage);
                w.by_host.clear();
            }
            for o in &observations {
                let win = w.by_host.entry(o.target.clone()).or_default();
                for a in &o.answers {
                    if win.len() == c.window {
                        win.pop_front();
                    }
                    win.push_back(*a);
                }
                let total = win.len() as u64;
                let aws = win.iter().filter(|a| **a).count() as u64;
                results.push((o, aws, total));
            }
        }
        let mut worst: Option<(VerdictStatus, String, Value)> = None;
        let mut hosts = Vec::new();
        for (o, aws, total) in results {
            let last = json!({
                "answers": o.answers.len(),
                "by_answer": o.by_answer,
                "not_counted": o.not_counted,
                "example_problem": o.example,
                "details": o.extra,
            });
            let (status, reason, m) = if o.answers.is_empty() {
                (
                    VerdictStatus::Error,
                    format!(
                        "{}: no answer could be counted this tick ({})",
                        o.target,
                        o.example
                            .clone()
                            .unwrap_or_else(|| "nothing came back".into())
                    ),
                    json!({"target": o.target, "samples": total, "last_check": last}),
                )
            } else {
                let j = judge_split(
                    aws,
                    total,
                    expected,
                    c.tolerance,
                    c.confidence,
                    c.min_samples,
                );
                (
                    j.status,
                    format!("{}: {}", o.target, j.reason),
                    json!({
                        "target": o.target,
                        "samples": j.samples,
                        "aws": j.aws,
                        "observed_share": j.observed_share,
                        "expected_share": j.expected_share,
                        "interval": [j.interval.0, j.interval.1],
                        "p_value": j.p_value,
                        "last_check": last,
                    }),
                )
            };
            hosts.push(m.clone());
            if worst.as_ref().is_none_or(|w| rank(status) > rank(w.0)) {
                worst = Some((status, reason, m));
            }
        }
        let Some((status, reason, mut m)) = worst else {
            return Verdict::error("nothing observed").with_measurements(json!({"samples": 0}));
        };
        m["method"] = json!(method);
        m["confidence"] = json!(c.confidence);
        m["tolerance"] = json!(c.tolerance);
        m["min_samples"] = json!(c.min_samples);
        m["expected_share"] = json!(expected);
        if hosts.len() > 1 {
            m["hosts"] = Value::Array(hosts);
        }
        Verdict {
            gate: String::new(),
            status,
            reason,
            measurements: m,
        }
    }
}

impl Gate for ObservedSplitGate {
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn policy(&self) -> GatePolicy {
        self.inner.config.policy
    }

    fn check(&self, ctx: GateContext) -> BoxFuture<'static, Verdict> {
        Box::pin(self.inner.clone().check(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_fails_clear_misses_and_waits_for_evidence() {
        // stuck on Heroku at 25%: fail with any reasonable n
        let j = judge_split(0, 50, 0.25, 0.05, 0.95, 200);
        assert_eq!(j.status, VerdictStatus::Fail, "{}", j.reason);
        assert!(j.p_value < 1e-5);
        // stuck on AWS at 25%
        assert_eq!(
            judge_split(200, 200, 0.25, 0.05, 0.95, 200).status,
            VerdictStatus::Fail
        );
        // 0 of 200 at 10%: the interval (0–1.9%) misses 5–15%
        assert_eq!(
            judge_split(0, 200, 0.10, 0.05, 0.95, 200).status,
            VerdictStatus::Fail
        );
        // on target but thin → inconclusive; enough → pass
        assert_eq!(
            judge_split(10, 40, 0.25, 0.05, 0.95, 200).status,
            VerdictStatus::Inconclusive
        );
        let j = judge_split(52, 200, 0.25, 0.05, 0.95, 200);
        assert_eq!(j.status, VerdictStatus::Pass, "{}", j.reason);
        assert!(j.interval.0 < 0.26 && j.interval.1 > 0.26);
        // off by 8 points on 200: outside the tolerance, not significant → inconclusive
        let j = judge_split(66, 200, 0.25, 0.05, 0.95, 200);
        assert_eq!(j.status, VerdictStatus::Inconclusive, "{}", j.reason);
        // 100% stage, all AWS
        assert_eq!(
            judge_split(200, 200, 1.0, 0.05, 0.95, 200).status,
            VerdictStatus::Pass
        );
        // nothing counted
        assert_eq!(
            judge_split(0, 0, 0.5, 0.05, 0.95, 200).status,
            VerdictStatus::Inconclusive
        );
    }

    #[test]
    fn name_servers_parse() {
        for ok in [
            "192.0.2.1",
            "192.0.2.1:5353",
            "[::1]:53",
            "::1",
            "ns-1.awsdns-01.org",
            "NS-1.example.com.:53",
        ] {
            assert!(parse_server(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ns 1.example",
            "ns.example:99999",
            "ns.example:0",
            "a..b",
        ] {
            assert!(parse_server(bad).is_err(), "{bad}");
        }
    }
}

//! Preflight's live checks of both targets, read-only and before any lock: for every hostname,
//! TLS to the AWS target and to its Heroku target with SNI = the hostname (the chain verifies
//! against the web roots or the plan's CA bundle, the certificate covers the hostname, and it
//! stays valid for `min_days`), and HTTP parity (the same paths fetched from both targets with
//! the hostname's `Host`: status class, redirect host and chosen headers compared).
//!
//! They run only when the plan asks (`checks`), since they reach the app's own endpoints; the
//! report says which ran and which were skipped and why.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};

use super::plan::CutoverPlan;
use super::preflight::{Finding, Severity};
use crate::dns::normalize_name;
use crate::{Error, ErrorKind, Result};

/// The plan's `checks`: which live checks preflight runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveChecks {
    /// The TLS check of both targets (absent: skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsCheck>,
    /// The HTTP parity check (absent: skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parity: Option<ParityCheck>,
    /// Where to connect instead of resolving a target: target name → `IP:port` (as curl's
    /// `--connect-to`), e.g. to check a load balancer by address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub connect_to: BTreeMap<String, String>,
    /// All live checks together must finish within this many seconds (default 60); a check
    /// still running then is an error finding (`timeout`) naming it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_seconds: Option<u64>,
    /// Checks run at the same time (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
}

/// How long all live checks may take together when the plan does not say.
pub const DEFAULT_DEADLINE_SECONDS: u64 = 60;
/// How many of the most requested paths per hostname parity compares when they come from logs.
pub const DEFAULT_PARITY_TOP: usize = 10;
/// How many live checks run at once when the plan does not say.
pub const DEFAULT_CONCURRENCY: usize = 8;

fn default_min_days() -> u32 {
    14
}

fn default_https_port() -> u16 {
    443
}

fn is_default_port(p: &u16) -> bool {
    *p == 443
}

/// `checks.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsCheck {
    /// Days the certificate must stay valid (default 14).
    #[serde(default = "default_min_days")]
    pub min_days: u32,
    /// A PEM file of CA certificates to verify against instead of the system's web roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// The port (default 443).
    #[serde(
        default = "default_https_port",
        skip_serializing_if = "is_default_port"
    )]
    pub port: u16,
}

/// `checks.parity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParityCheck {
    /// Paths fetched from both targets (default `["/"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Response headers whose values must match (lower-case names), e.g. `content-type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// Keep query strings (they can carry tokens, so they are dropped by default).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_query: bool,
    /// Heroku router log files: when `paths` is empty, the `top` most requested GET paths of
    /// each hostname in them are compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
    /// How many of the most requested paths per hostname (default 10, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<usize>,
    /// The port (default 443; the scheme is https).
    #[serde(
        default = "default_https_port",
        skip_serializing_if = "is_default_port"
    )]
    pub port: u16,
}

/// Whether one live check ran, and why not when it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    /// `tls` or `parity`.
    pub check: String,
    /// True when it ran.
    pub ran: bool,
    /// What it covered, or why it was skipped.
    pub detail: String,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl LiveChecks {
    /// Checks the settings: a readable CA bundle, `IP:port` addresses, paths starting `/`.
    pub fn validate(&self) -> Result<()> {
        for (name, to) in &self.connect_to {
            to.parse::<SocketAddr>().map_err(|_| {
                Error::invalid_input(format!(
                    "checks.connect_to[{name:?}] = {to:?} is not an IP:port address"
                ))
                .at("checks.connect_to")
            })?;
        }
        if let Some(p) = &self.parity {
            for (i, path) in p.paths.iter().enumerate() {
                if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace()) {
                    return Err(Error::invalid_input(format!(
                        "parity path {path:?} must start with '/' and hold no spaces"
                    ))
                    .at(format!("checks.parity.paths[{i}]")));
                }
                // the plan is kept in the journal and shown by `status`: a query string (which
                // can carry a token) gets there only when the plan says so
                if path.contains('?') && !p.allow_query {
                    return Err(Error::invalid_input(
                        "a parity path with a query string: drop the query (it can carry a \
                         token, and the plan is kept in the journal), or set allow_query",
                    )
                    .at(format!("checks.parity.paths[{i}]")));
                }
            }
        }
        if let Some(p) = &self.parity
            && p.top.is_some_and(|t| !(1..=100).contains(&t))
        {
            return Err(
                Error::invalid_input("checks.parity.top must be 1 to 100 (default 10)")
                    .at("checks.parity.top"),
            );
        }
        if self.deadline_seconds == Some(0) || self.deadline_seconds.is_some_and(|d| d > 3600) {
            return Err(Error::invalid_input(
                "checks.deadline_seconds must be 1 to 3600 (default 60)",
            )
            .at("checks.deadline_seconds"));
        }
        if self.concurrency == Some(0) || self.concurrency.is_some_and(|c| c > 64) {
            return Err(
                Error::invalid_input("checks.concurrency must be 1 to 64 (default 8)")
                    .at("checks.concurrency"),
            );
        }
        if let Some(t) = &self.tls
            && t.min_days > 3650
        {
            return Err(
                Error::invalid_input("checks.tls.min_days is more than 10 years").at("checks.tls"),
            );
        }
        Ok(())
    }

    pub(super) fn address(&self, target: &str, port: u16) -> Option<SocketAddr> {
        self.connect_to
            .get(target)
            .or_else(|| self.connect_to.get(&format!("{target}:{port}")))
            .and_then(|a| a.parse().ok())
    }
}

/// Which side of the move a target is.
#[derive(Debug, Clone, Copy)]
enum Side {
    Aws,
    Heroku,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Aws => "AWS",
            Side::Heroku => "Heroku",
        }
    }
}

/// Runs the plan's live checks; (findings, what ran).
pub async fn run_live_checks(plan: &CutoverPlan) -> (Vec<Finding>, Vec<CheckRun>) {
    let checks = plan.checks.clone().unwrap_or_default();
    let mut findings = Vec::new();
    let mut runs = Vec::new();
    let hosts: Vec<(String, String, String)> = plan
        .hostnames
        .iter()
        .map(|h| {
            (
                normalize_name(&h.name),
                normalize_name(plan.aws_target_of(&h.name)),
                normalize_name(plan.heroku_target_of(&h.name)),
            )
        })
        .collect();
    let roots = match &checks.tls {
        Some(t) => Some(roots(t.ca_bundle.as_deref())),
        None => checks.parity.as_ref().map(|_| roots(None)),
    };
    let roots = match roots.transpose() {
        Ok(r) => r,
        Err(e) => {
            findings.push(finding(
                Severity::Error,
                "tls_roots",
                None,
                e.message().to_owned(),
            ));
            runs.push(skipped("tls", "no root certificates to verify against"));
            runs.push(skipped("parity", "no root certificates to verify against"));
            return (findings, runs);
        }
    };
    // every check is a task of its own: at most `concurrency` at once, all within the deadline
    let deadline = Duration::from_secs(checks.deadline_seconds.unwrap_or(DEFAULT_DEADLINE_SECONDS));
    let limit = Arc::new(tokio::sync::Semaphore::new(
        checks.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1),
    ));
    let mut set: tokio::task::JoinSet<(usize, Vec<Finding>, usize)> = tokio::task::JoinSet::new();
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut spawn =
        |label: (String, String),
         set: &mut tokio::task::JoinSet<(usize, Vec<Finding>, usize)>,
         fut: crate::dns::BoxFuture<'static, (Vec<Finding>, usize)>| {
            let i = labels.len();
            labels.push(label);
            let limit = limit.clone();
            set.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let (f, n) = fut.await;
                (i, f, n)
            });
        };
    let tls_on = matches!((&checks.tls, &roots), (Some(_), Some(_)));
    let parity_on = matches!((&checks.parity, &roots), (Some(_), Some(_)));
    if let (Some(tls), Some(roots)) = (&checks.tls, &roots) {
        for (host, aws, heroku) in &hosts {
            for (side, target) in [(Side::Aws, aws), (Side::Heroku, heroku)] {
                let addr = checks.address(target, tls.port);
                let (host, target, tls, roots) =
                    (host.clone(), target.clone(), tls.clone(), roots.clone());
                let label = (
                    "tls".to_owned(),
                    format!("{host} on the {} target {target}", side.as_str()),
                );
                spawn(
                    label,
                    &mut set,
                    Box::pin(async move {
                        (tls_check(&host, side, &target, addr, &tls, roots).await, 0)
                    }),
                );
            }
        }
    }
    // the parity paths of each hostname: the plan's, or the most requested GET paths of the
    // router logs it names
    let mut from_logs: Option<super::warmup::TopPaths> = None;
    if let Some(p) = checks
        .parity
        .as_ref()
        .filter(|p| p.paths.is_empty() && !p.logs.is_empty())
    {
        let names = hosts.iter().map(|h| h.0.clone()).collect();
        match super::warmup::count_logs_off_thread(
            p.logs.clone(),
            names,
            p.allow_query,
            "checks.parity.logs",
        )
        .await
        {
            Ok(top) => from_logs = Some(top),
            Err(e) => {
                let mut f = finding(Severity::Error, "parity_logs", None, e.to_string());
                f.kind = e.kind();
                findings.push(f);
            }
        }
    }
    if let (Some(parity), Some(roots)) = (&checks.parity, &roots) {
        // the top GET paths per hostname (HEAD health checks, often the most frequent lines,
        // must not take the places)
        let top_get = from_logs.as_ref().map(|top| {
            top.top_where(parity.top.unwrap_or(DEFAULT_PARITY_TOP), |p| {
                p.method == "GET"
            })
        });
        for (host, aws, heroku) in &hosts {
            let mut parity = parity.clone();
            if let Some(top) = &top_get {
                parity.paths = top
                    .iter()
                    .filter(|p| &p.hostname == host)
                    .map(|p| p.path.clone())
                    .collect();
            }
            let (host, aws, heroku, parity, all, roots) = (
                host.clone(),
                aws.clone(),
                heroku.clone(),
                parity,
                checks.clone(),
                roots.clone(),
            );
            let label = (
                "parity".to_owned(),
                format!("{host} (paths on both targets)"),
            );
            spawn(
                label,
                &mut set,
                Box::pin(
                    async move { parity_check(&host, &aws, &heroku, &parity, &all, roots).await },
                ),
            );
        }
    }
    let mut done: Vec<Option<(Vec<Finding>, usize)>> = vec![None; labels.len()];
    let until = tokio::time::Instant::now() + deadline;
    loop {
        match tokio::time::timeout_at(until, set.join_next()).await {
            Ok(Some(Ok((i, f, n)))) => done[i] = Some((f, n)),
            Ok(Some(Err(e))) => findings.push(finding(
                Severity::Error,
                "live_check_failed",
                None,
                format!("a live check stopped unexpectedly: {e}"),
            )),
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    let mut fetched = 0;
    let mut unfinished: Vec<&str> = Vec::new();
    for (i, result) in done.into_iter().enumerate() {
        match result {
            Some((f, n)) => {
                findings.extend(f);
                fetched += n;
            }
            None => unfinished.push(labels[i].1.as_str()),
        }
    }
    if !unfinished.is_empty() {
        let mut f = finding(
            Severity::Error,
            "live_checks_deadline",
            None,
            format!(
                "the live checks did not finish within {} s (checks.deadline_seconds): still \
                 waiting on {}; check that those targets answer, or raise the deadline",
                deadline.as_secs(),
                unfinished.join(", ")
            ),
        );
        f.kind = ErrorKind::Timeout;
        findings.push(f);
    }
    if tls_on {
        let tls = checks.tls.as_ref().map_or(0, |t| t.min_days);
        runs.push(CheckRun {
            check: "tls".into(),
            ran: true,
            detail: format!(
                "{} hostname(s), both targets, certificates valid for at least {tls} days",
                hosts.len()
            ),
        });
    } else {
        runs.push(skipped("tls", "the plan has no checks.tls"));
    }
    if parity_on {
        runs.push(CheckRun {
            check: "parity".into(),
            ran: true,
            detail: format!(
                "{fetched} path(s) compared on both targets{}",
                if from_logs.is_some() {
                    " (the most requested GET paths of the router logs)"
                } else {
                    ""
                }
            ),
        });
    } else {
        runs.push(skipped("parity", "the plan has no checks.parity"));
    }
    (findings, runs)
}

fn skipped(check: &str, why: &str) -> CheckRun {
    CheckRun {
        check: check.into(),
        ran: false,
        detail: why.into(),
    }
}

fn finding(severity: Severity, code: &str, host: Option<&str>, message: String) -> Finding {
    Finding {
        severity,
        code: code.into(),
        hostname: host.map(str::to_owned),
        message,
        kind: match severity {
            // a target that cannot be reached says nothing about its health
            Severity::Error if code.ends_with("_unreachable") => ErrorKind::Unavailable,
            Severity::Error => ErrorKind::Unhealthy,
            Severity::Warning => ErrorKind::Conflict,
        },
    }
}

pub(super) fn roots(ca_bundle: Option<&str>) -> Result<Arc<RootCertStore>> {
    let mut store = RootCertStore::empty();
    match ca_bundle {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect())
                .map_err(|e| {
                    Error::invalid_input(format!(
                        "cannot read the CA bundle {path}: {e}; give a PEM file of CA certificates"
                    ))
                    .at("checks.tls.ca_bundle")
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Error::invalid_input(format!(
                    "the CA bundle {path} holds no usable certificate"
                ))
                .at("checks.tls.ca_bundle"));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    "this machine has no system root certificates (install ca-certificates) \
                     and the plan names no checks.tls.ca_bundle",
                ));
            }
        }
    }
    Ok(Arc::new(store))
}

/// Verifies as rustls's web-PKI verifier does, keeping the server's certificate to describe it.
#[derive(Debug)]
struct Keeping {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    seen: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Keeping {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.clone().into_owned());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(
    verifier: Arc<dyn ServerCertVerifier>,
) -> std::result::Result<rustls::ClientConfig, String> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A certificate's names and dates, for people.
struct CertFacts {
    names: Vec<String>,
    not_before: i64,
    not_after: i64,
}

impl CertFacts {
    fn read(der: &[u8]) -> Option<CertFacts> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let mut names: Vec<String> = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if names.is_empty() {
            names.extend(
                cert.subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok().map(str::to_owned)),
            );
        }
        Some(CertFacts {
            names,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
        })
    }
}

impl fmt::Display for CertFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the certificate names {} and is valid from {} to {}",
            if self.names.is_empty() {
                "no DNS name".to_owned()
            } else {
                self.names.join(", ")
            },
            crate::heroku::logs::time::format_rfc3339_ms(self.not_before.saturating_mul(1000)),
            crate::heroku::logs::time::format_rfc3339_ms(self.not_after.saturating_mul(1000))
        )
    }
}

/// Every address of `target` (a load balancer has several, IPv4 and IPv6), or the fixed one.
pub(super) async fn resolve(
    target: &str,
    port: u16,
    fixed: Option<SocketAddr>,
) -> std::result::Result<Vec<SocketAddr>, String> {
    if let Some(addr) = fixed {
        return Ok(vec![addr]);
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host((target, port))).await {
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(format!("{target} resolved to no address"))
            } else {
                Ok(addrs)
            }
        }
        Ok(Err(e)) => Err(format!("cannot resolve {target}: {e}")),
        Err(_) => Err(format!("resolving {target} timed out")),
    }
}

/// A TCP connection to the first of `addrs` that answers (each tried for the connect timeout).
async fn connect_any(addrs: &[SocketAddr]) -> std::result::Result<tokio::net::TcpStream, String> {
    let mut why = Vec::new();
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => return Ok(tcp),
            Ok(Err(e)) => why.push(format!("{addr}: {e}")),
            Err(_) => why.push(format!(
                "{addr}: no answer in {} s",
                CONNECT_TIMEOUT.as_secs()
            )),
        }
    }
    Err(format!("cannot connect ({})", why.join("; ")))
}

async fn tls_check(
    host: &str,
    side: Side,
    target: &str,
    fixed: Option<SocketAddr>,
    tls: &TlsCheck,
    roots: Arc<RootCertStore>,
) -> Vec<Finding> {
    let on = format!("the {} target {target}", side.as_str());
    let err =
        |code: &str, message: String| vec![finding(Severity::Error, code, Some(host), message)];
    let inner = match rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
    {
        Ok(v) => v,
        Err(e) => {
            return err(
                "tls_roots",
                format!("cannot build a certificate verifier: {e}"),
            );
        }
    };
    let keeping = Arc::new(Keeping {
        inner,
        seen: Mutex::new(None),
    });
    let config = match client_config(keeping.clone()) {
        Ok(c) => c,
        Err(e) => return err("tls_roots", format!("cannot configure TLS: {e}")),
    };
    let Ok(name) = ServerName::try_from(host.to_owned()) else {
        return err(
            "tls_unreachable",
            format!("{host} cannot be sent as a TLS server name"),
        );
    };
    let addrs = match resolve(target, tls.port, fixed).await {
        Ok(a) => a,
        Err(e) => return err("tls_unreachable", format!("{on}: {e}")),
    };
    let outcome = match connect_any(&addrs).await {
        Err(e) => Err(e),
        Ok(tcp) => {
            let peer = tcp
                .peer_addr()
                .map_or_else(|_| target.to_owned(), |a| a.to_string());
            let handshake = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp);
            match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
                Ok(r) => r.map(|_| ()).map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "no TLS handshake with {peer} within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )),
            }
        }
    };
    let facts = keeping
        .seen
        .lock()
        .ok()
        .and_then(|s| s.as_ref().and_then(|der| CertFacts::read(der)));
    let described = facts.as_ref().map(|f| format!("; {f}")).unwrap_or_default();
    if let Err(e) = outcome {
        let code = if facts.is_some() {
            "tls_invalid"
        } else {
            "tls_unreachable"
        };
        return err(
            code,
            format!(
                "TLS to {on} with SNI {host} failed: {e}{described}; {}",
                match side {
                    Side::Aws =>
                        "the first users sent to AWS would see this error: fix the load \
                                  balancer's certificate (ACM) before shifting any traffic",
                    Side::Heroku =>
                        "a rollback sends users back to Heroku: check the domain's \
                                     certificate there (heroku certs:auto)",
                }
            ),
        );
    }
    let Some(facts) = facts else {
        return err(
            "tls_invalid",
            format!("TLS to {on}: the server sent no certificate"),
        );
    };
    let now = super::control::now_ms() as i64 / 1000;
    let days_left = (facts.not_after - now) / 86_400;
    if days_left < i64::from(tls.min_days) {
        return err(
            "tls_expiring",
            format!(
                "the certificate {on} serves for {host} expires in {days_left} day(s), fewer \
                 than checks.tls.min_days {}: {facts}; renew it before the cutover",
                tls.min_days
            ),
        );
    }
    Vec::new()
}

/// One side's answer to one path.
#[derive(Debug)]
struct Seen {
    status: u16,
    location_host: Option<String>,
    headers: BTreeMap<String, String>,
}

async fn parity_check(
    host: &str,
    aws: &str,
    heroku: &str,
    parity: &ParityCheck,
    checks: &LiveChecks,
    roots: Arc<RootCertStore>,
) -> (Vec<Finding>, usize) {
    let mut findings = Vec::new();
    let default_paths = ["/".to_owned()];
    let paths: &[String] = if parity.paths.is_empty() {
        &default_paths
    } else {
        &parity.paths
    };
    let mut clients = Vec::new();
    for (side, target) in [(Side::Aws, aws), (Side::Heroku, heroku)] {
        let addrs = match resolve(target, parity.port, checks.address(target, parity.port)).await {
            Ok(a) => a,
            Err(e) => {
                findings.push(finding(
                    Severity::Error,
                    "parity_unreachable",
                    Some(host),
                    format!("parity: the {} target: {e}", side.as_str()),
                ));
                return (findings, 0);
            }
        };
        match http_client(host, &addrs, roots.clone(), CONNECT_TIMEOUT) {
            Ok(c) => clients.push((side, c)),
            Err(e) => {
                findings.push(finding(
                    Severity::Error,
                    "parity_unreachable",
                    Some(host),
                    format!("parity: cannot build an HTTP client: {e}"),
                ));
                return (findings, 0);
            }
        }
    }
    let mut compared = 0;
    for path in paths {
        let shown = if parity.allow_query {
            path.clone()
        } else {
            path.split('?').next().unwrap_or(path).to_owned()
        };
        let url = format!("https://{host}:{}{shown}", parity.port);
        let mut answers = Vec::new();
        for (side, client) in &clients {
            match client.get(&url).send().await {
                Ok(r) => answers.push(Seen {
                    status: r.status().as_u16(),
                    location_host: r
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(|l| location_host(l, host)),
                    headers: parity
                        .headers
                        .iter()
                        .filter_map(|h| {
                            let v = r.headers().get(h.as_str())?.to_str().ok()?;
                            Some((h.to_ascii_lowercase(), v.to_owned()))
                        })
                        .collect(),
                }),
                Err(e) => {
                    findings.push(finding(
                        Severity::Error,
                        "parity_unreachable",
                        Some(host),
                        format!(
                            "parity: GET {shown} on the {} target failed: {}",
                            side.as_str(),
                            crate::heroku::api::describe(&e)
                        ),
                    ));
                }
            }
        }
        let [aws_seen, heroku_seen] = answers.as_slice() else {
            continue;
        };
        compared += 1;
        if aws_seen.status / 100 != heroku_seen.status / 100 {
            findings.push(finding(
                Severity::Error,
                "parity_status",
                Some(host),
                format!(
                    "GET {shown}: AWS answers {}, Heroku {}; a route or config differs on the \
                     new side",
                    aws_seen.status, heroku_seen.status
                ),
            ));
        } else if aws_seen.location_host != heroku_seen.location_host {
            findings.push(finding(
                Severity::Error,
                "parity_redirect",
                Some(host),
                format!(
                    "GET {shown}: AWS redirects to {}, Heroku to {}",
                    aws_seen.location_host.as_deref().unwrap_or("nowhere"),
                    heroku_seen.location_host.as_deref().unwrap_or("nowhere")
                ),
            ));
        }
        for name in &parity.headers {
            let name = name.to_ascii_lowercase();
            let (a, h) = (aws_seen.headers.get(&name), heroku_seen.headers.get(&name));
            if a != h {
                let show = |v: Option<&String>| match v {
                    None => "absent".to_owned(),
                    Some(_) if may_hold_secrets(&name) => "set (value not shown)".to_owned(),
                    Some(v) => format!("{v:?}"),
                };
                findings.push(finding(
                    Severity::Warning,
                    "parity_header",
                    Some(host),
                    format!(
                        "GET {shown}: header {name} is {} on AWS, {} on Heroku",
                        show(a),
                        show(h)
                    ),
                ));
            }
        }
    }
    (findings, compared)
}

/// An HTTP client that sends `host`'s requests to `addrs` (its name still in the URL, so the
/// `Host` header and the TLS server name are the hostname's), verifying certificates against
/// `roots`, following no redirect.
pub(super) fn http_client(
    host: &str,
    addrs: &[SocketAddr],
    roots: Arc<RootCertStore>,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(host, addrs)
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
}

/// Headers whose values can be credentials (cookies, tokens): compared, never printed.
fn may_hold_secrets(name: &str) -> bool {
    [
        "cookie",
        "auth",
        "token",
        "secret",
        "key",
        "session",
        "csrf",
        "signature",
    ]
    .iter()
    .any(|w| name.contains(w))
}

/// The host a `Location` points at (the hostname itself for a relative one).
fn location_host(location: &str, host: &str) -> String {
    reqwest::Url::parse(location)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_else(|| host.to_owned())
}

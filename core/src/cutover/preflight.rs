//! Preflight: a read-only look at the zone before a run. Errors block a run; warnings do not.

use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::lock::{LOCK_PREFIX, LockValue};
use super::plan::CutoverPlan;
use crate::dns::{DnsProvider, RecordSet, ZoneInfo, normalize_name};
use crate::{Error, ErrorKind, Result};

/// Hostnames per atomic batch for a stage write (2 UPSERTs, each counted twice).
pub const HOSTS_PER_STAGE_BATCH: usize = crate::dns::MAX_BATCH_RECORDS / 4;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks the run.
    Error,
    /// Worth reading.
    Warning,
}

impl Severity {
    /// `error` or `warning`, the name every language shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `apex`, `aaaa_conflict`, `external_dns_owner`.
    pub code: String,
    /// The hostname concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// What and what to do.
    pub message: String,
    /// The error kind a run reports for this finding.
    pub kind: ErrorKind,
}

/// What a hostname looks like now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HostState {
    /// A simple CNAME.
    SimpleCname {
        /// Its target.
        target: String,
        /// Its TTL.
        ttl: i64,
    },
    /// The weighted pair dynoshift manages.
    WeightedPair {
        /// Heroku's weight.
        heroku_weight: i64,
        /// AWS's weight.
        aws_weight: i64,
        /// TTL.
        ttl: i64,
    },
    /// No CNAME.
    Missing,
    /// Something dynoshift will not touch.
    Other {
        /// What.
        description: String,
    },
}

/// One hostname in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostReport {
    /// Hostname.
    pub hostname: String,
    /// Its state.
    #[serde(flatten)]
    pub state: HostState,
}

/// The preflight report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightReport {
    /// The zone, if found.
    pub zone: Option<ZoneInfo>,
    /// True when there is no error.
    pub ok: bool,
    /// Per hostname.
    pub hosts: Vec<HostReport>,
    /// Errors and warnings.
    pub findings: Vec<Finding>,
    /// The live checks (TLS, HTTP parity): which ran, which were skipped and why.
    #[serde(default)]
    pub checks: Vec<super::live::CheckRun>,
}

impl PreflightReport {
    /// The verdict and findings in plain lines for people.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = vec![match (&self.zone, self.ok) {
            (Some(z), true) => format!("preflight passed on zone {} ({})", z.name, z.id),
            (Some(z), false) => format!(
                "preflight found blocking problems on zone {} ({})",
                z.name, z.id
            ),
            (None, _) => "preflight failed: the zone was not found".to_owned(),
        }];
        for f in &self.findings {
            let level = f.severity.as_str();
            let host = f
                .hostname
                .as_deref()
                .map(|h| format!(" {h}"))
                .unwrap_or_default();
            lines.push(format!("{level} [{}]{host}: {}", f.code, f.message));
        }
        for c in &self.checks {
            let state = if c.ran { "ran" } else { "skipped" };
            lines.push(format!("check {} {state}: {}", c.check, c.detail));
        }
        lines
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// `Ok` if no error, else the first error's kind with every error message.
    pub fn into_result(&self) -> Result<()> {
        let errors: Vec<&Finding> = self.errors().collect();
        match errors.first() {
            None => Ok(()),
            Some(first) => Err(Error::new(
                first.kind,
                format!(
                    "preflight refused the plan: {}",
                    errors
                        .iter()
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )),
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

struct Findings(Vec<Finding>);

impl Findings {
    fn error(&mut self, code: &str, host: Option<&str>, kind: ErrorKind, message: String) {
        self.0.push(Finding {
            severity: Severity::Error,
            code: code.into(),
            hostname: host.map(str::to_owned),
            message,
            kind,
        });
    }
    fn warn(&mut self, code: &str, host: Option<&str>, message: String) {
        self.0.push(Finding {
            severity: Severity::Warning,
            code: code.into(),
            hostname: host.map(str::to_owned),
            message,
            kind: ErrorKind::Conflict,
        });
    }
}

/// Preflight over a listing already in hand (pure; used by the engine, the CLI and dry runs).
pub fn check_records(
    plan: &CutoverPlan,
    zone: &ZoneInfo,
    records: &[RecordSet],
    now_secs: u64,
) -> PreflightReport {
    let mut f = Findings(Vec::new());
    let mut hosts = Vec::new();
    for entry in &plan.hostnames {
        let host = normalize_name(&entry.name);
        let heroku = normalize_name(plan.heroku_target_of(&entry.name));
        let aws = normalize_name(plan.aws_target_of(&entry.name));
        let h = Some(host.as_str());
        if host == zone.name {
            f.error(
                "apex",
                h,
                ErrorKind::InvalidInput,
                format!(
                    "{host} is the zone apex: a CNAME cannot live at the apex, so Route53 cannot \
                     weight it between Heroku and AWS. Move the apex to an AWS alias first, or \
                     redirect the apex to www and move www"
                ),
            );
            hosts.push(HostReport {
                hostname: host.clone(),
                state: HostState::Other {
                    description: "zone apex".into(),
                },
            });
            continue;
        }
        if !host.ends_with(&format!(".{}", zone.name)) {
            f.error(
                "outside_zone",
                h,
                ErrorKind::InvalidInput,
                format!("{host} is not inside zone {}", zone.name),
            );
            continue;
        }
        let at: Vec<&RecordSet> = records.iter().filter(|r| r.name == host).collect();
        let cnames: Vec<&&RecordSet> = at.iter().filter(|r| r.rtype == "CNAME").collect();
        let others: Vec<&&RecordSet> = at.iter().filter(|r| r.rtype != "CNAME").collect();
        for o in &others {
            match o.rtype.as_str() {
                "AAAA" => f.error(
                    "aaaa_conflict",
                    h,
                    ErrorKind::Conflict,
                    format!(
                        "{host} has AAAA records ({}): a CNAME cannot coexist with them, and \
                         AAAA answers pointing elsewhere break Heroku's automated certificates. \
                         Remove them (or move them) before the cutover",
                        o.values.join(", ")
                    ),
                ),
                "CAA" => f.error(
                    "caa_conflict",
                    h,
                    ErrorKind::Conflict,
                    format!(
                        "{host} has CAA records: a CNAME cannot coexist with them; CAA belongs \
                         on the zone apex (and must allow letsencrypt.org for Heroku ACM)"
                    ),
                ),
                t => f.error(
                    "conflicting_records",
                    h,
                    ErrorKind::Conflict,
                    format!(
                        "{host} has {t}{} records: dynoshift moves a CNAME to the Heroku DNS \
                         target and cannot coexist with other types at the name",
                        if o.alias { " alias" } else { "" }
                    ),
                ),
            }
        }
        let state = if cnames.is_empty() {
            if others.is_empty() {
                f.error(
                    "missing",
                    h,
                    ErrorKind::NotFound,
                    format!("{host} has no CNAME: point it at {heroku} first (nothing to move)"),
                );
                HostState::Missing
            } else {
                HostState::Other {
                    description: others
                        .iter()
                        .map(|o| o.rtype.clone())
                        .collect::<Vec<_>>()
                        .join(","),
                }
            }
        } else if cnames.len() == 1 && !cnames[0].is_weighted() {
            let c = cnames[0];
            let target = c.values.first().cloned().unwrap_or_default();
            let ttl = c.ttl.unwrap_or(0);
            if target != heroku {
                f.error(
                    "unexpected_target",
                    h,
                    ErrorKind::Conflict,
                    format!(
                        "{host} is a CNAME to {target}, not to the plan's Heroku target {heroku}: \
                         fix heroku_target in the plan (see `heroku domains`)"
                    ),
                );
            }
            if ttl > plan.ttl {
                f.warn(
                    "ttl_lowering",
                    h,
                    format!(
                        "{host} has TTL {ttl} s, the plan uses {} s: the conversion waits {ttl} s \
                         for caches before the first stage",
                        plan.ttl
                    ),
                );
            }
            HostState::SimpleCname { target, ttl }
        } else {
            let find = |id: &str| {
                cnames
                    .iter()
                    .find(|r| r.set_identifier.as_deref() == Some(id))
            };
            match (
                find(&plan.heroku_set_identifier),
                find(&plan.aws_set_identifier),
            ) {
                (Some(hr), Some(ar)) if cnames.len() == 2 => {
                    if hr.values.first() != Some(&heroku) || ar.values.first() != Some(&aws) {
                        f.error(
                            "unexpected_target",
                            h,
                            ErrorKind::Conflict,
                            format!(
                                "{host}'s weighted pair points at {:?} / {:?}, not at the plan's \
                                 {heroku} / {aws}",
                                hr.values, ar.values
                            ),
                        );
                    }
                    if hr.ttl != ar.ttl {
                        f.warn(
                            "ttl_inconsistent",
                            h,
                            format!(
                                "{host}'s weighted records have different TTLs ({:?} / {:?}); \
                                 Route53 applies the last written one to all",
                                hr.ttl, ar.ttl
                            ),
                        );
                    }
                    if hr.weight == Some(0) && ar.weight == Some(0) {
                        f.warn(
                            "all_zero",
                            h,
                            format!("{host}'s weights are all 0: Route53 splits traffic equally"),
                        );
                    }
                    HostState::WeightedPair {
                        heroku_weight: hr.weight.unwrap_or(0),
                        aws_weight: ar.weight.unwrap_or(0),
                        ttl: hr.ttl.unwrap_or(0),
                    }
                }
                _ => {
                    f.error(
                        "unknown_weighted_group",
                        h,
                        ErrorKind::Conflict,
                        format!(
                            "{host} already has a weighted CNAME group with set identifiers {:?}; \
                             dynoshift manages exactly {:?} and {:?}",
                            cnames
                                .iter()
                                .map(|r| r.set_identifier.clone())
                                .collect::<Vec<_>>(),
                            plan.heroku_set_identifier,
                            plan.aws_set_identifier
                        ),
                    );
                    HostState::Other {
                        description: "foreign weighted group".into(),
                    }
                }
            }
        };
        hosts.push(HostReport {
            hostname: host.clone(),
            state,
        });
        let lock_name = format!("{LOCK_PREFIX}{host}");
        for r in records
            .iter()
            .filter(|r| r.name == lock_name && r.rtype == "TXT")
        {
            let holder = r
                .values
                .first()
                .and_then(|v| LockValue::parse(v))
                .map(|l| {
                    let state = if l.expires_at <= now_secs {
                        "stale"
                    } else {
                        "live"
                    };
                    format!("run {} ({state}, expires at {})", l.run_id, l.expires_at)
                })
                .unwrap_or_else(|| "an unreadable holder".into());
            f.warn(
                "locked",
                h,
                format!("{host} is locked by {holder}: a new run will be refused"),
            );
        }
        let first_label = host.split('.').next().unwrap_or("");
        for r in records.iter().filter(|r| {
            r.rtype == "TXT"
                && r.values.iter().any(|v| v.contains("heritage=external-dns"))
                && (r.name == host
                    || r.name.ends_with(&host)
                    || r.name
                        .split('.')
                        .next()
                        .is_some_and(|l| l.contains(first_label)))
        }) {
            f.warn(
                "external_dns_owner",
                h,
                format!(
                    "TXT {} says external-dns owns {host}: external-dns would overwrite the \
                     weights; remove the name from its sources (or its --domain-filter) first",
                    r.name
                ),
            );
        }
    }
    for r in records
        .iter()
        .filter(|r| r.rtype == "CAA" && r.name == zone.name)
    {
        let allows_le = r.values.iter().any(|v| v.contains("letsencrypt.org"));
        let issues = r.values.iter().any(|v| v.contains("issue"));
        if issues && !allows_le {
            f.warn(
                "caa_blocks_letsencrypt",
                None,
                format!(
                    "CAA at {} does not allow letsencrypt.org: Heroku's automated certificates \
                     cannot renew",
                    zone.name
                ),
            );
        }
    }
    let n = plan.hostnames.len();
    if n > HOSTS_PER_STAGE_BATCH {
        f.warn(
            "batch_split",
            None,
            format!(
                "{n} hostnames need {} change batches per stage (Route53 allows 1,000 \
                 ResourceRecord elements per batch and a stage write takes 4 per hostname): each \
                 batch is atomic, the stage as a whole is not; the batches are written back to \
                 back and journaled one by one",
                n.div_ceil(HOSTS_PER_STAGE_BATCH)
            ),
        );
    }
    let ok = !f.0.iter().any(|x| x.severity == Severity::Error);
    PreflightReport {
        zone: Some(zone.clone()),
        ok,
        hosts,
        findings: f.0,
        checks: Vec::new(),
    }
}

/// Read-only preflight against a provider. A missing zone is reported as an error finding; other
/// API failures are returned as errors.
#[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
pub fn preflight(
    plan: CutoverPlan,
    provider: Arc<dyn DnsProvider>,
) -> impl Future<Output = Result<PreflightReport>> + Send + 'static {
    async move {
        plan.validate()?;
        let plan = plan.normalized();
        let zone = match provider.zone(&plan.zone).await {
            Ok(z) => z,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let report = PreflightReport {
                    zone: None,
                    ok: false,
                    hosts: Vec::new(),
                    findings: vec![Finding {
                        severity: Severity::Error,
                        code: "zone_not_found".into(),
                        hostname: None,
                        message: e.message().to_owned(),
                        kind: ErrorKind::NotFound,
                    }],
                    checks: Vec::new(),
                };
                return Ok(with_live_checks(report, &plan).await);
            }
            Err(e) => return Err(e),
        };
        let records = provider.list_records(&zone.id).await?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Ok(with_live_checks(check_records(&plan, &zone, &records, now), &plan).await)
    }
}

/// Adds the plan's live checks (TLS, parity) to a report: their findings, and which ran.
async fn with_live_checks(mut report: PreflightReport, plan: &CutoverPlan) -> PreflightReport {
    let (findings, runs) = super::live::run_live_checks(plan).await;
    report.findings.extend(findings);
    report.checks = runs;
    let ok = report.errors().next().is_none();
    report.ok = ok;
    report
}

//! Cutover plans written from a Heroku app's domains (what `dynoshift cutover init` does).
//!
//! Input: the app's domains (`GET /apps/{app}/domains`, [`HerokuClient::domains`]), the AWS
//! target (the load balancer's DNS name, once for all hostnames and/or per hostname) and a
//! [`DnsProvider`] to find each hostname's hosted zone. Output: one [`CutoverPlan`] per hosted
//! zone, every hostname with its own Heroku DNS target, plus the domains left out and why.
//!
//! Rules:
//! - Only `kind: custom` domains move. Heroku's own `APP.herokuapp.com` (kind `heroku`) stays;
//!   a domain without a `cname` (no DNS target), a wildcard (`*.shop.com`: Route53 cannot weigh
//!   "every other name" and a plan lists hostnames), a name that is not a valid DNS name and a
//!   repeated name are left out with their reason.
//! - Each hostname's zone is the longest zone suffix the provider knows (`api.eu.shop.com`
//!   tries `api.eu.shop.com`, `eu.shop.com`, `shop.com`; single labels are not tried), unless
//!   [`InitOptions::zone`] names one zone for all. A hostname that *is* its zone's apex is left
//!   out: a CNAME cannot live at the apex, so Route53 cannot weight it (Heroku apex domains use
//!   an ALIAS/ANAME at the DNS provider). When the hostnames span several zones there is one
//!   plan per zone, each its own cutover (own lock, own journal), and a `multiple_zones`
//!   warning says so.
//! - Certificates (Heroku ACM): `cert issued`, or an uploaded certificate (`sni_endpoint`), is
//!   fine. ACM `failed` without an uploaded certificate is refused: Heroku's side then does
//!   not serve valid HTTPS for the hostname, and a rollback would land clients there
//!   ([`InitOptions::allow_failed_certificates`] plans it anyway, with a warning). Any other
//!   status (`pending`, `failing`, ...) or no certificate at all is planned with a warning.
//! - Gates: one HTTP gate per hostname (not per target: a load balancer routes by `Host`, so
//!   each hostname can reach a different backend), probing the AWS target directly —
//!   `http://<aws_target><health_path>` with the hostname as `Host` header — with the gate
//!   defaults (2xx expected, 99% success over the window). Plain HTTP because the probe goes
//!   to the load balancer's own name, whose certificate is not the hostname's; if the load
//!   balancer redirects HTTP to HTTPS, edit the gate (e.g. `"expect_status": [301]`, or
//!   `url` with the public name over https and `resolve` to the balancer's address).
//!
//! Every plan passes [`CutoverPlan::validate`] and, on a zone where each hostname is a CNAME
//! to its Heroku target, [`super::preflight`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::plan::{CutoverPlan, HostEntry, valid_dns_name};
use crate::dns::{DnsProvider, ZoneInfo, normalize_name};
use crate::heroku::api::{DomainKind, HerokuClient, HerokuDomain};
use crate::{Error, ErrorKind, Result};

fn default_health_path() -> String {
    "/".into()
}

fn yes() -> bool {
    true
}

/// What [`plans_from_domains`] needs besides the domains. Only an AWS target is required.
///
/// JSON: `{"aws_target": "lb-1.us-east-1.elb.amazonaws.com", "zone": "shop.com",
/// "stages": [10, 50, 100], "health_path": "/healthz"}`; every other field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitOptions {
    /// The AWS target (load balancer DNS name) of every hostname not in `aws_targets`; may be
    /// empty when `aws_targets` names one for every hostname.
    #[serde(default)]
    pub aws_target: String,
    /// AWS targets of particular hostnames (hostname → DNS name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aws_targets: BTreeMap<String, String>,
    /// One hosted zone (name or id) for every hostname, instead of finding each one's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Stages (percent to AWS); default the plan's 10/25/50/100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<u8>>,
    /// TTL of the weighted records, seconds; default the plan's 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// Soak per stage, seconds; default the plan's 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak_seconds: Option<u64>,
    /// Path the HTTP gates probe on the AWS target (default `/`).
    #[serde(default = "default_health_path")]
    pub health_path: String,
    /// Pre-fill one HTTP gate per hostname (default true).
    #[serde(default = "yes")]
    pub gates: bool,
    /// Plan hostnames whose Heroku ACM certificate failed (default false: they are left out).
    #[serde(default)]
    pub allow_failed_certificates: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            aws_target: String::new(),
            aws_targets: BTreeMap::new(),
            zone: None,
            stages: None,
            ttl: None,
            soak_seconds: None,
            health_path: default_health_path(),
            gates: true,
            allow_failed_certificates: false,
        }
    }
}

impl InitOptions {
    /// The option names [`InitOptions::from_json`] knows.
    pub const FIELDS: [&'static str; 9] = [
        "aws_target",
        "aws_targets",
        "zone",
        "stages",
        "ttl",
        "soak_seconds",
        "health_path",
        "gates",
        "allow_failed_certificates",
    ];

    /// Every hostname to `aws_target`, defaults for the rest.
    pub fn new(aws_target: impl Into<String>) -> Self {
        InitOptions {
            aws_target: aws_target.into(),
            ..InitOptions::default()
        }
    }

    /// Parses the options from a JSON object (what the language front ends pass): missing
    /// fields take their defaults. Anything but an object, an unknown key (the message lists the
    /// known ones), a wrong type or text that is not JSON is `invalid_input` naming the field.
    /// The values themselves are checked when the plans are built ([`plans_from_domains`]).
    pub fn from_json(text: &str) -> Result<InitOptions> {
        let invalid = |message: String| {
            Error::invalid_input(format!("the init options are not valid ({message})"))
        };
        let value: serde_json::Value =
            crate::jsonerr::from_str(text).map_err(|(message, _)| invalid(message))?;
        if !value.is_object() {
            return Err(Error::invalid_input(format!(
                "the init options must be an object of option names to values, not {}; known \
                 options: {}",
                crate::jsonerr::kind_of(&value),
                Self::FIELDS.join(", ")
            )));
        }
        crate::jsonerr::from_value(value).map_err(invalid)
    }
}

/// One plan of the result and the hosted zone it moves records in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZonePlan {
    /// The zone as the provider knows it.
    pub zone: ZoneInfo,
    /// The plan (its `zone` is the zone's name, or the id given in [`InitOptions::zone`]).
    pub plan: CutoverPlan,
}

/// A domain left out of every plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDomain {
    /// The domain's hostname.
    pub hostname: String,
    /// Stable code: `heroku_domain`, `not_custom`, `wildcard`, `invalid_name`, `duplicate`,
    /// `no_cname`, `no_aws_target`, `same_target`, `certificate_failed`, `outside_zone`,
    /// `apex`, `no_zone`, `ambiguous_zone`.
    pub code: String,
    /// Why, and what to do.
    pub reason: String,
}

/// Something worth reading about a planned hostname (or the whole result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitWarning {
    /// Stable code: `certificate_not_issued`, `certificate_failed`, `no_certificate`,
    /// `acm_renewal`, `multiple_zones`, `unused_aws_target`.
    pub code: String,
    /// The hostname concerned, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// What and what to do.
    pub message: String,
}

/// The plans built from an app's domains, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitReport {
    /// One plan per hosted zone, by zone name.
    pub plans: Vec<ZonePlan>,
    /// Domains in no plan, in the API's order.
    pub skipped: Vec<SkippedDomain>,
    /// Warnings about planned hostnames and the result.
    pub warnings: Vec<InitWarning>,
}

impl InitReport {
    /// True when the hostnames span several hosted zones (one plan each).
    pub fn spans_zones(&self) -> bool {
        self.plans.len() > 1
    }

    /// The result in plain lines for people.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for p in &self.plans {
            lines.push(format!(
                "zone {} ({}): {} hostname(s)",
                p.zone.name,
                p.zone.id,
                p.plan.hostnames.len()
            ));
            for (host, (heroku, aws)) in p.plan.targets() {
                lines.push(format!("  {host}: {heroku} -> {aws}"));
            }
        }
        for s in &self.skipped {
            lines.push(format!("skipped {} [{}]: {}", s.hostname, s.code, s.reason));
        }
        for w in &self.warnings {
            let host = w
                .hostname
                .as_deref()
                .map(|h| format!(" {h}"))
                .unwrap_or_default();
            lines.push(format!("warning [{}]{host}: {}", w.code, w.message));
        }
        lines
    }

    /// As JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Fetches the app's domains and builds its plans (see [`plans_from_domains`]).
pub fn plans_from_app(
    client: &HerokuClient,
    app: &str,
    options: InitOptions,
    provider: Arc<dyn DnsProvider>,
) -> impl Future<Output = Result<InitReport>> + Send + 'static {
    let domains = client.domains(app);
    async move { plans_from_domains(domains.await?, options, provider).await }
}

/// Builds one plan per hosted zone from an app's domains (see the module docs for the rules).
/// Read-only: the provider is only asked which zones exist.
///
/// Errors: options that make no valid plan (no AWS target, a target that is not a DNS name,
/// bad stages or TTL, a health path that makes no URL) are `invalid_input` naming the field;
/// a `zone` the provider does not have is `not_found`; no domain left to move is `not_found`
/// listing each domain's reason; the provider's own failures pass through.
#[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
pub fn plans_from_domains(
    domains: Vec<HerokuDomain>,
    options: InitOptions,
    provider: Arc<dyn DnsProvider>,
) -> impl Future<Output = Result<InitReport>> + Send + 'static {
    async move { build(domains, options, provider.as_ref()).await }
}

/// Checks the options by validating a stand-in plan with them (so the plan's own rules and
/// messages apply), and returns the normalised per-hostname targets.
fn check_options(options: &InitOptions) -> Result<BTreeMap<String, String>> {
    let default = normalize_name(&options.aws_target);
    if default.is_empty() && options.aws_targets.is_empty() {
        return Err(Error::invalid_input(
            "give the AWS target: the DNS name of the load balancer the hostnames move to \
             (e.g. my-alb-123.us-east-1.elb.amazonaws.com)",
        )
        .at("aws_target"));
    }
    let mut stand_in = CutoverPlan::new(
        vec!["www.example.com".into()],
        "example.com",
        "stand-in.herokudns.com",
        if default.is_empty() {
            "stand-in.elb.amazonaws.com"
        } else {
            &default
        },
    );
    if let Some(s) = &options.stages {
        stand_in.stages = s.clone();
    }
    if let Some(t) = options.ttl {
        stand_in.ttl = t;
    }
    stand_in.validate()?;
    let mut own = BTreeMap::new();
    for (host, target) in &options.aws_targets {
        let t = normalize_name(target);
        if !valid_dns_name(&t) {
            return Err(
                Error::invalid_input(format!("{target:?} is not a valid DNS name"))
                    .at(format!("aws_targets.{host}")),
            );
        }
        own.insert(normalize_name(host), t);
    }
    Ok(own)
}

fn health_path(options: &InitOptions) -> Result<String> {
    let path = options.health_path.trim();
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) || path.contains('#') {
        return Err(Error::invalid_input(format!(
            "health path {path:?} is not a URL path; give something like /healthz"
        ))
        .at("health_path"));
    }
    Ok(path)
}

/// The HTTP gate probing `aws_target` directly as `host`.
fn http_gate(host: &str, aws_target: &str, path: &str) -> Result<serde_json::Value> {
    let url = format!("http://{aws_target}{path}");
    crate::health::probe::parse_http_url(&url, "the gate URL").map_err(|e| e.at("health_path"))?;
    Ok(json!({
        "type": "http",
        "name": format!("aws {host}"),
        "probe": {"url": url, "host": host},
    }))
}

/// Where a hostname's zone lookup ended.
#[derive(Debug, Clone)]
enum Lookup {
    Found(ZoneInfo),
    Missing,
    Ambiguous(String),
}

/// Finds zones by the longest known suffix, asking the provider once per suffix.
struct ZoneFinder<'a> {
    provider: &'a dyn DnsProvider,
    cache: HashMap<String, Lookup>,
}

impl ZoneFinder<'_> {
    async fn lookup(&mut self, name: &str) -> Result<Lookup> {
        if let Some(l) = self.cache.get(name) {
            return Ok(l.clone());
        }
        let l = match self.provider.zone(name).await {
            Ok(z) => Lookup::Found(z),
            Err(e) if e.kind() == ErrorKind::NotFound => Lookup::Missing,
            Err(e) if e.kind() == ErrorKind::Conflict => Lookup::Ambiguous(e.message().into()),
            Err(e) => return Err(e),
        };
        self.cache.insert(name.to_owned(), l.clone());
        Ok(l)
    }

    async fn zone_of(&mut self, host: &str) -> Result<Lookup> {
        let labels: Vec<&str> = host.split('.').collect();
        for start in 0..labels.len().saturating_sub(1) {
            match self.lookup(&labels[start..].join(".")).await? {
                Lookup::Missing => continue,
                found => return Ok(found),
            }
        }
        Ok(Lookup::Missing)
    }
}

/// The certificate verdict for one domain.
enum Cert {
    Fine,
    Warn(&'static str, String),
    Refuse(&'static str, String),
}

fn certificate(d: &HerokuDomain, allow_failed: bool) -> Cert {
    let host = &d.hostname;
    let why = d
        .acm_status_reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    match d.acm_status.as_deref().map(str::to_ascii_lowercase) {
        _ if d.certificate_issued() => Cert::Fine,
        None if d.sni_endpoint.is_some() => Cert::Fine,
        None => Cert::Warn(
            "no_certificate",
            format!(
                "Heroku reports no certificate for {host} (ACM off and no uploaded certificate): \
                 HTTPS to Heroku's side may not work, and a rollback returns clients there"
            ),
        ),
        Some(s) if s == "failed" && d.sni_endpoint.is_none() && !allow_failed => Cert::Refuse(
            "certificate_failed",
            format!(
                "Heroku ACM failed to issue a certificate for {host}{why}: Heroku's side does not \
                 serve valid HTTPS for it, so a rollback would land clients on broken TLS. Fix it \
                 first (`heroku certs:auto:refresh`, with {host} a CNAME to its Heroku target), \
                 or plan it anyway with allow_failed_certificates (--allow-failed-certificates)"
            ),
        ),
        Some(s) if s == "failed" => Cert::Warn(
            "certificate_failed",
            format!(
                "Heroku ACM failed to issue a certificate for {host}{why}; planned anyway{}",
                if d.sni_endpoint.is_some() {
                    " (an uploaded certificate serves it)"
                } else {
                    ": a rollback would land clients on broken TLS"
                }
            ),
        ),
        Some(_) => Cert::Warn(
            "certificate_not_issued",
            format!(
                "Heroku ACM status of {host} is {:?}{why}, not \"cert issued\": check \
                 `heroku certs:auto` before the first stage, since a rollback needs Heroku to \
                 serve HTTPS for it",
                d.acm_status.as_deref().unwrap_or_default()
            ),
        ),
    }
}

struct Collect {
    skipped: Vec<SkippedDomain>,
    warnings: Vec<InitWarning>,
}

impl Collect {
    fn skip(&mut self, host: &str, code: &str, reason: String) {
        self.skipped.push(SkippedDomain {
            hostname: host.to_owned(),
            code: code.into(),
            reason,
        });
    }

    fn warn(&mut self, host: Option<&str>, code: &str, message: String) {
        self.warnings.push(InitWarning {
            code: code.into(),
            hostname: host.map(str::to_owned),
            message,
        });
    }
}

async fn build(
    domains: Vec<HerokuDomain>,
    options: InitOptions,
    provider: &dyn DnsProvider,
) -> Result<InitReport> {
    let own_targets = check_options(&options)?;
    let default_target = normalize_name(&options.aws_target);
    let path = health_path(&options)?;
    let mut finder = ZoneFinder {
        provider,
        cache: HashMap::new(),
    };
    let fixed_zone = match &options.zone {
        Some(z) => {
            // a name is normalised; an id (no dot) is kept as written: ids are case-sensitive
            let label = if z.contains('.') {
                normalize_name(z)
            } else {
                z.trim().to_owned()
            };
            let info = provider.zone(&label).await.map_err(|e| e.at("zone"))?;
            Some((label, info))
        }
        None => None,
    };

    let mut out = Collect {
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    let mut acm_hosts = Vec::new();
    // zone id -> (label written in the plan, zone, hosts)
    let mut by_zone: BTreeMap<String, (String, ZoneInfo, Vec<HostEntry>)> = BTreeMap::new();
    for d in &domains {
        let host = normalize_name(&d.hostname);
        if d.kind == DomainKind::Heroku || host.ends_with(".herokuapp.com") {
            out.skip(
                &host,
                "heroku_domain",
                format!(
                    "{host} is Heroku's own name for the app: it stays with Heroku, there is \
                     nothing to move"
                ),
            );
            continue;
        }
        if let DomainKind::Other(kind) = &d.kind {
            out.skip(
                &host,
                "not_custom",
                format!("{host} is a domain of kind {kind:?}; only custom domains are moved"),
            );
            continue;
        }
        if host.starts_with("*.") {
            out.skip(
                &host,
                "wildcard",
                format!(
                    "{host} is a wildcard: a plan moves named hostnames; add each name served \
                     under it to the plan by hand"
                ),
            );
            continue;
        }
        if !valid_dns_name(&host) {
            out.skip(
                &host,
                "invalid_name",
                format!("{host:?} is not a valid DNS name"),
            );
            continue;
        }
        if !seen.insert(host.clone()) {
            out.skip(
                &host,
                "duplicate",
                format!("{host} is listed twice by Heroku; planned once"),
            );
            continue;
        }
        let Some(cname) = d
            .cname
            .as_deref()
            .map(normalize_name)
            .filter(|c| !c.is_empty())
        else {
            out.skip(
                &host,
                "no_cname",
                format!(
                    "Heroku gives {host} no DNS target (cname is null): there is no Heroku \
                     record to weight against AWS; check `heroku domains`"
                ),
            );
            continue;
        };
        if !valid_dns_name(&cname) {
            out.skip(
                &host,
                "no_cname",
                format!("Heroku's DNS target for {host}, {cname:?}, is not a valid DNS name"),
            );
            continue;
        }
        let aws = own_targets
            .get(&host)
            .cloned()
            .unwrap_or_else(|| default_target.clone());
        if aws.is_empty() {
            out.skip(
                &host,
                "no_aws_target",
                format!("no AWS target given for {host} (and no default AWS target)"),
            );
            continue;
        }
        if aws == cname {
            out.skip(
                &host,
                "same_target",
                format!("the AWS target given for {host} is its Heroku target {cname}"),
            );
            continue;
        }
        let cert = certificate(d, options.allow_failed_certificates);
        if let Cert::Refuse(code, reason) = cert {
            out.skip(&host, code, reason);
            continue;
        }

        let (label, zone) = match &fixed_zone {
            Some((label, zone)) => {
                if host == zone.name {
                    out.skip(&host, "apex", apex_reason(&host));
                    continue;
                }
                if !host.ends_with(&format!(".{}", zone.name)) {
                    out.skip(
                        &host,
                        "outside_zone",
                        format!("{host} is not inside zone {}", zone.name),
                    );
                    continue;
                }
                (label.clone(), zone.clone())
            }
            None => match finder.zone_of(&host).await? {
                Lookup::Found(zone) if zone.name == host => {
                    out.skip(&host, "apex", apex_reason(&host));
                    continue;
                }
                Lookup::Found(zone) => (zone.name.clone(), zone),
                Lookup::Missing => {
                    out.skip(
                        &host,
                        "no_zone",
                        format!(
                            "no hosted zone holds {host}: create it (or pass the zone) first, \
                             with {host} a CNAME to {cname}"
                        ),
                    );
                    continue;
                }
                Lookup::Ambiguous(why) => {
                    out.skip(
                        &host,
                        "ambiguous_zone",
                        format!("{why}; pass the zone id to plan {host}"),
                    );
                    continue;
                }
            },
        };

        if let Cert::Warn(code, message) = cert {
            out.warn(Some(&host), code, message);
        }
        if d.acm_status.is_some() {
            acm_hosts.push(host.clone());
        }
        let entry = HostEntry {
            name: host.clone(),
            heroku_target: Some(cname),
            aws_target: (aws != default_target).then_some(aws),
        };
        by_zone
            .entry(zone.id.clone())
            .or_insert_with(|| (label, zone, Vec::new()))
            .2
            .push(entry);
    }

    for host in own_targets.keys() {
        if !by_zone
            .values()
            .any(|(_, _, hosts)| hosts.iter().any(|h| &h.name == host))
        {
            out.warn(
                Some(host),
                "unused_aws_target",
                format!("an AWS target was given for {host}, which is in no plan"),
            );
        }
    }

    if by_zone.is_empty() {
        let reasons = out
            .skipped
            .iter()
            .map(|s| format!("{} [{}]: {}", s.hostname, s.code, s.reason))
            .collect::<Vec<_>>();
        let message = if reasons.is_empty() {
            "the app has no domains: nothing to move".to_owned()
        } else {
            format!("no domain of the app can be moved: {}", reasons.join("; "))
        };
        return Err(Error::new(ErrorKind::NotFound, message));
    }

    let mut plans = Vec::with_capacity(by_zone.len());
    for (label, zone, mut hosts) in by_zone.into_values() {
        hosts.sort_by(|a, b| a.name.cmp(&b.name));
        let mut plan = CutoverPlan::new(Vec::new(), &label, "", &default_target);
        if options.gates {
            plan.gates = hosts
                .iter()
                .map(|h| {
                    http_gate(
                        &h.name,
                        h.aws_target.as_deref().unwrap_or(&default_target),
                        &path,
                    )
                })
                .collect::<Result<_>>()?;
        }
        plan.hostnames = hosts;
        if let Some(s) = &options.stages {
            plan.stages = s.clone();
        }
        if let Some(t) = options.ttl {
            plan.ttl = t;
        }
        if let Some(s) = options.soak_seconds {
            plan.soak_seconds = s;
        }
        plan.validate()?;
        plans.push(ZonePlan {
            zone,
            plan: plan.normalized(),
        });
    }
    plans.sort_by(|a, b| a.zone.name.cmp(&b.zone.name));

    if !acm_hosts.is_empty() {
        out.warn(
            None,
            "acm_renewal",
            format!(
                "Heroku ACM validates a renewal through the hostname, which must then resolve to \
                 Heroku: once promoted to AWS, the Heroku certificates of {} may stop renewing, \
                 so a rollback weeks later may meet an expired certificate (run \
                 `heroku certs:auto:refresh` then)",
                acm_hosts.join(", ")
            ),
        );
    }
    if plans.len() > 1 {
        out.warn(
            None,
            "multiple_zones",
            format!(
                "the hostnames span {} hosted zones ({}): one plan per zone, each its own \
                 cutover with its own lock and journal",
                plans.len(),
                plans
                    .iter()
                    .map(|p| p.zone.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    Ok(InitReport {
        plans,
        skipped: out.skipped,
        warnings: out.warnings,
    })
}

fn apex_reason(host: &str) -> String {
    format!(
        "{host} is the apex of its hosted zone: a CNAME cannot live at the apex, so Route53 \
         cannot weight it between Heroku and AWS (Heroku apex domains need an ALIAS/ANAME). \
         Move the apex to an AWS alias record separately, or redirect it to www"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_from_json_take_defaults_and_name_unknown_keys() {
        let o = InitOptions::from_json(r#"{"aws_target": "lb-1.elb.amazonaws.com"}"#).unwrap();
        assert_eq!(o, InitOptions::new("lb-1.elb.amazonaws.com"));
        let o = InitOptions::from_json(
            r#"{"aws_target": "", "aws_targets": {"www.shop.com": "lb-2.elb.amazonaws.com"},
                "zone": "shop.com", "stages": [10, 100], "ttl": 30, "soak_seconds": 60,
                "health_path": "/healthz", "gates": false, "allow_failed_certificates": true}"#,
        )
        .unwrap();
        assert_eq!(o.aws_targets["www.shop.com"], "lb-2.elb.amazonaws.com");
        assert_eq!(
            (o.zone.as_deref(), o.stages, o.ttl, o.soak_seconds),
            (Some("shop.com"), Some(vec![10, 100]), Some(30), Some(60))
        );
        assert_eq!(o.health_path, "/healthz");
        assert!(!o.gates && o.allow_failed_certificates);

        let err = InitOptions::from_json(r#"{"aws_target": "lb", "aws_targt": "x"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let m = err.message();
        assert!(m.contains("aws_targt"), "{m}");
        for field in InitOptions::FIELDS {
            assert!(m.contains(field), "{field} missing from {m}");
        }
        for bad in [
            r#"{"stages": [10, 500]}"#,
            r#"{"ttl": "60"}"#,
            "[]",
            "{",
            "7",
            "null",
        ] {
            let err = InitOptions::from_json(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
        let err = InitOptions::from_json(r#"["lb-1.elb.amazonaws.com"]"#).unwrap_err();
        assert!(err.message().contains("not a list"), "{err}");
        assert!(
            err.message().contains("known options: aws_target,"),
            "{err}"
        );
        let err = InitOptions::from_json(r#"{"stages": [10, 500]}"#).unwrap_err();
        assert!(err.message().contains("stages[1]"), "{err}");
        let err = InitOptions::from_json(r#"{"soak_seconds": -1}"#).unwrap_err();
        assert!(err.message().contains("soak_seconds"), "{err}");
    }

    #[test]
    fn the_known_option_names_are_the_fields() {
        let every = InitOptions {
            aws_targets: [("a.b.c".to_owned(), "d.e.f".to_owned())].into(),
            zone: Some("b.c".into()),
            stages: Some(vec![100]),
            ttl: Some(60),
            soak_seconds: Some(1),
            ..InitOptions::new("lb")
        };
        let value = serde_json::to_value(&every).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut fields = InitOptions::FIELDS.to_vec();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }
}

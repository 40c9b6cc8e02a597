//! The cutover plan: which hostnames move from which Heroku target to which AWS target, in
//! which stages, with which timers. Built from JSON; [`CutoverPlan::validate`] says what is wrong.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::notify::NotifySink;
use crate::dns::normalize_name;
use crate::{Error, Result};

/// One hostname of a plan and, when it differs from the plan's top-level targets, its own
/// Heroku and AWS targets (a Heroku app gives every custom domain its own DNS target).
///
/// JSON: `"www.shop.com"` (the top-level targets apply) or `{"name": "www.shop.com",
/// "heroku_target": "sushi-1a2b.herokudns.com", "aws_target": "..."}` (either target may be
/// left to the top level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    /// The hostname.
    pub name: String,
    /// Its Heroku DNS target, if not the plan's `heroku_target`.
    pub heroku_target: Option<String>,
    /// Its AWS target, if not the plan's `aws_target`.
    pub aws_target: Option<String>,
}

impl HostEntry {
    /// A hostname that uses the plan's top-level targets.
    pub fn named(name: impl Into<String>) -> Self {
        HostEntry {
            name: name.into(),
            heroku_target: None,
            aws_target: None,
        }
    }
}

impl From<&str> for HostEntry {
    fn from(name: &str) -> Self {
        HostEntry::named(name)
    }
}

impl From<String> for HostEntry {
    fn from(name: String) -> Self {
        HostEntry::named(name)
    }
}

/// The object form of a hostname entry.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostObject {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heroku_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aws_target: Option<String>,
}

impl Serialize for HostEntry {
    /// A plain string when the hostname has no targets of its own, so plans written before
    /// per-hostname targets keep their JSON (and their digest).
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.heroku_target.is_none() && self.aws_target.is_none() {
            return s.serialize_str(&self.name);
        }
        HostObject {
            name: self.name.clone(),
            heroku_target: self.heroku_target.clone(),
            aws_target: self.aws_target.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for HostEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = HostEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a hostname (\"www.shop.com\") or {\"name\": ..., \"heroku_target\": ..., \
                     \"aws_target\": ...}",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<HostEntry, E> {
                Ok(HostEntry::named(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<HostEntry, A::Error> {
                let o = HostObject::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(HostEntry {
                    name: o.name,
                    heroku_target: o.heroku_target,
                    aws_target: o.aws_target,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// How a failed stage goes back to Heroku.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackMode {
    /// Restore the original records exactly, in one batch.
    #[default]
    Full,
    /// Step down through the previous stages (e.g. 50 → 25 → 10), waiting INSYNC + TTL at each,
    /// then restore the original records.
    Graduated,
}

/// The longest pre-soak a plan may ask for, seconds (one day).
pub const MAX_PRE_SOAK_SECONDS: u64 = 86_400;

fn default_stages() -> Vec<u8> {
    vec![10, 25, 50, 100]
}
fn default_soak() -> u64 {
    300
}
fn default_ttl() -> i64 {
    60
}
fn default_tick() -> u64 {
    10
}
fn default_poll() -> u64 {
    5
}
fn default_insync_timeout() -> u64 {
    600
}
fn default_heroku_id() -> String {
    "heroku".into()
}
fn default_aws_id() -> String {
    "aws".into()
}
fn default_max_errors() -> u32 {
    3
}
fn default_lock_ttl() -> u64 {
    3600
}

/// A staged move of one or more hostnames from Heroku to AWS.
///
/// JSON (or YAML, same schema) example: `{"hostnames": ["www.example.com"], "zone":
/// "example.com", "heroku_target": "x.herokudns.com", "aws_target": "lb-1.elb.amazonaws.com"}`;
/// everything else has defaults (stages 10/25/50/100, soak 300 s, TTL 60 s, tick 10 s, full
/// rollback, no gates, no notifications). A hostname may name its own targets
/// (`{"name": "api.example.com", "heroku_target": "y.herokudns.com"}`); the top-level targets
/// are then needed only for the hostnames that do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutoverPlan {
    /// Hostnames moved together (one change batch per stage for all of them).
    pub hostnames: Vec<HostEntry>,
    /// Hosted zone name (`example.com`) or id.
    pub zone: String,
    /// Heroku's DNS target (`*.herokudns.com`) of every hostname that names none of its own
    /// (empty when each does).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub heroku_target: String,
    /// The AWS load balancer's DNS name for every hostname that names none of its own (empty
    /// when each does).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub aws_target: String,
    /// Percent of traffic to AWS at each stage; increasing, ending at 100.
    #[serde(default = "default_stages", deserialize_with = "percent_list")]
    pub stages: Vec<u8>,
    /// Soak per stage (gates run every tick), seconds.
    #[serde(default = "default_soak")]
    pub soak_seconds: u64,
    /// TTL of the weighted records, seconds.
    #[serde(default = "default_ttl")]
    pub ttl: i64,
    /// Gate tick, seconds.
    #[serde(default = "default_tick")]
    pub tick_seconds: u64,
    /// GetChange polling interval, seconds.
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// Give up waiting for INSYNC after this long (`timeout`), seconds.
    #[serde(default = "default_insync_timeout")]
    pub insync_timeout_seconds: u64,
    /// Full or graduated rollback.
    #[serde(default)]
    pub rollback: RollbackMode,
    /// Set identifier of the Heroku record.
    #[serde(default = "default_heroku_id")]
    pub heroku_set_identifier: String,
    /// Set identifier of the AWS record.
    #[serde(default = "default_aws_id")]
    pub aws_set_identifier: String,
    /// TTL written once promoted (after the last soak), e.g. the original 3600; the stages
    /// use the low `ttl` so that a rollback takes effect quickly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_ttl: Option<i64>,
    /// Route53 health check attached to the AWS record (data-plane fallback to Heroku at
    /// weight 0 once promoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_health_check_id: Option<String>,
    /// Wait for an explicit approval before every stage after the first.
    #[serde(default)]
    pub require_approval: bool,
    /// How long inconclusive verdicts may extend a soak before the run pauses, seconds
    /// (default: one soak).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_soak_extension_seconds: Option<u64>,
    /// Consecutive gate errors before the run pauses.
    #[serde(default = "default_max_errors")]
    pub max_consecutive_errors: u32,
    /// Lock lifetime beyond the planned duration, seconds.
    #[serde(default = "default_lock_ttl")]
    pub lock_ttl_seconds: u64,
    /// Health gates run every tick of every soak, in the gate JSON of
    /// [`crate::health::gate_configs_from_json`] (`{"type": "http" | "prometheus" | "baseline" |
    /// "observed_split", ...}`). Kept as written: the digest covers them and a resumed run
    /// runs them again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<serde_json::Value>,
    /// Where every event is also sent (webhooks, Slack). Secrets: a journal keeps them
    /// redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<NotifySink>,
    /// Live checks preflight runs against both targets before any lock (TLS, HTTP parity);
    /// absent: skipped, and the preflight report says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<super::live::LiveChecks>,
    /// The Heroku app behind the hostnames: before a rollback writes weight back to Heroku,
    /// its formation is checked against the share returning (and scaled up first when
    /// `scale_up` is set). See [`super::heroku_scale`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heroku: Option<super::heroku_scale::HerokuScaling>,
    /// When Heroku counts as drained after promotion (`dynoshift cutover drained`): at most
    /// `max_rpm` requests per minute per hostname for `window_seconds`. Absent: 1 rpm for 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drained: Option<super::drained::DrainedConfig>,
    /// Stage 0: before the first weight is written, the gates judge the AWS target for this
    /// many seconds (the records already weighted, 0% to AWS); a fail rolls back with nothing
    /// moved. Absent or 0: no pre-soak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_soak_seconds: Option<u64>,
    /// Stage 0's warm-up: after the pre-soak and before the first weight, GET/HEAD requests
    /// replayed against the AWS target at a bounded rate, measured into a per-route latency
    /// baseline (see [`super::warmup`]). Absent: no warm-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<super::warmup::WarmupConfig>,
}

/// Stages as whole percentages. Anything that is not a whole number 0–255 (300, -10, 12.5) is
/// refused here with a message about percentages rather than serde's "expected u8"; 0 and
/// 101–255 are refused by [`CutoverPlan::validate`] with their index.
fn percent_list<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
    let values = Vec::<serde_json::Value>::deserialize(d)?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "stages[{i}] is {v}: not a percentage of traffic to AWS between 1 and \
                         100 (stages are whole numbers, e.g. [10, 25, 50, 100])"
                    ))
                })
        })
        .collect()
}

pub(crate) fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

impl CutoverPlan {
    /// A plan with the defaults for everything optional.
    pub fn new(hostnames: Vec<String>, zone: &str, heroku_target: &str, aws_target: &str) -> Self {
        CutoverPlan {
            hostnames: hostnames.into_iter().map(HostEntry::named).collect(),
            zone: zone.to_owned(),
            heroku_target: heroku_target.to_owned(),
            aws_target: aws_target.to_owned(),
            stages: default_stages(),
            soak_seconds: default_soak(),
            ttl: default_ttl(),
            tick_seconds: default_tick(),
            poll_seconds: default_poll(),
            insync_timeout_seconds: default_insync_timeout(),
            rollback: RollbackMode::Full,
            heroku_set_identifier: default_heroku_id(),
            aws_set_identifier: default_aws_id(),
            restore_ttl: None,
            aws_health_check_id: None,
            require_approval: false,
            max_soak_extension_seconds: None,
            max_consecutive_errors: default_max_errors(),
            lock_ttl_seconds: default_lock_ttl(),
            gates: Vec::new(),
            notify: Vec::new(),
            checks: None,
            heroku: None,
            drained: None,
            pre_soak_seconds: None,
            warmup: None,
        }
    }

    /// Parses and validates a JSON plan (`invalid_input` with the field at fault).
    pub fn from_json(json: &str) -> Result<Self> {
        let plan: CutoverPlan = crate::jsonerr::from_str(json).map_err(|(message, syntax)| {
            let what = if syntax {
                "cutover plan is not valid JSON"
            } else {
                "cutover plan is invalid"
            };
            Error::invalid_input(format!("{what}: {message}"))
        })?;
        plan.validate()?;
        Ok(plan.normalized())
    }

    /// Parses and validates a YAML plan (the same schema as JSON).
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        let de = serde_yaml_ng::Deserializer::from_str(yaml);
        let plan: CutoverPlan = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let message = if path.is_empty() || path == "." || path == "?" {
                inner
            } else {
                format!("{path}: {inner}")
            };
            Error::invalid_input(format!("cutover plan is invalid YAML: {message}"))
        })?;
        plan.validate()?;
        Ok(plan.normalized())
    }

    /// Parses a plan written as JSON (text starting with `{`) or YAML (anything else).
    pub fn from_text(text: &str) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_json(text)
        } else {
            Self::from_yaml(text)
        }
    }

    /// The plan as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The plan as YAML.
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).unwrap_or_default()
    }

    /// Names lowercased without trailing dots.
    pub fn normalized(mut self) -> Self {
        for h in &mut self.hostnames {
            h.name = normalize_name(&h.name);
            for t in [&mut h.heroku_target, &mut h.aws_target] {
                *t = t.as_deref().map(normalize_name).filter(|v| !v.is_empty());
            }
        }
        self.heroku_target = normalize_name(&self.heroku_target);
        self.aws_target = normalize_name(&self.aws_target);
        self
    }

    /// The hostnames, in plan order.
    pub fn names(&self) -> Vec<String> {
        self.hostnames.iter().map(|h| h.name.clone()).collect()
    }

    /// Whether `name` is one of the plan's hostnames.
    pub fn has_host(&self, name: &str) -> bool {
        self.hostnames.iter().any(|h| h.name == name)
    }

    fn entry(&self, host: &str) -> Option<&HostEntry> {
        self.hostnames.iter().find(|h| h.name == host)
    }

    /// The Heroku target of `host`: its own, or the plan's.
    pub fn heroku_target_of(&self, host: &str) -> &str {
        self.entry(host)
            .and_then(|h| h.heroku_target.as_deref())
            .unwrap_or(&self.heroku_target)
    }

    /// The AWS target of `host`: its own, or the plan's.
    pub fn aws_target_of(&self, host: &str) -> &str {
        self.entry(host)
            .and_then(|h| h.aws_target.as_deref())
            .unwrap_or(&self.aws_target)
    }

    /// hostname → (Heroku target, AWS target), for every hostname.
    pub fn targets(&self) -> std::collections::BTreeMap<String, (String, String)> {
        self.hostnames
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    (
                        self.heroku_target_of(&h.name).to_owned(),
                        self.aws_target_of(&h.name).to_owned(),
                    ),
                )
            })
            .collect()
    }

    /// The plan's gate configs, parsed (`invalid_input` naming `gates[i]`).
    pub fn gate_configs(&self) -> Result<Vec<crate::health::GateConfig>> {
        self.gates
            .iter()
            .enumerate()
            .map(|(i, v)| {
                crate::health::gate_config(v.clone()).map_err(|e| e.at(format!("gates[{i}]")))
            })
            .collect()
    }

    /// The plan with its notification URLs and headers redacted (what a journal keeps).
    pub fn redacted(&self) -> CutoverPlan {
        let mut p = self.clone();
        p.notify = p.notify.iter().map(NotifySink::redacted).collect();
        p
    }

    /// Checks every rule; the first violation is returned as `invalid_input` with its location.
    pub fn validate(&self) -> Result<()> {
        if let Some(checks) = &self.checks {
            checks.validate()?;
        }
        if let Some(heroku) = &self.heroku {
            heroku.validate()?;
        }
        if let Some(drained) = &self.drained {
            drained.validate()?;
        }
        if let Some(w) = &self.warmup {
            w.validate()?;
        }
        if self
            .pre_soak_seconds
            .is_some_and(|s| s > MAX_PRE_SOAK_SECONDS)
        {
            return Err(Error::invalid_input(format!(
                "pre_soak_seconds must be at most {MAX_PRE_SOAK_SECONDS} (one day): the lock and \
                 the run are planned around it"
            ))
            .at("pre_soak_seconds"));
        }
        if self.hostnames.is_empty() {
            return Err(Error::invalid_input("list at least one hostname to move").at("hostnames"));
        }
        let zone = normalize_name(&self.zone);
        if zone.is_empty() {
            return Err(Error::invalid_input("name the hosted zone (name or id)").at("zone"));
        }
        let zone_is_name = zone.contains('.');
        let mut seen = std::collections::BTreeSet::new();
        for (i, entry) in self.hostnames.iter().enumerate() {
            let h = &entry.name;
            let n = normalize_name(h);
            let at = format!("hostnames[{i}]");
            // before the name check, which refuses `*` too: say why
            if n.starts_with("*.") {
                return Err(Error::invalid_input(
                    "wildcard names are not supported: list each hostname to move",
                )
                .at(at));
            }
            if !valid_dns_name(&n) {
                return Err(Error::invalid_input(format!("{h:?} is not a valid DNS name")).at(at));
            }
            if zone_is_name && n == zone {
                return Err(Error::invalid_input(format!(
                    "{n} is the zone apex: a CNAME cannot live at the apex, so the apex cannot be \
                     weighted between Heroku and AWS. Move the apex to an AWS alias first, or \
                     redirect the apex to www and move www"
                ))
                .at(at));
            }
            if zone_is_name && !n.ends_with(&format!(".{zone}")) {
                return Err(Error::invalid_input(format!("{n} is not inside zone {zone}")).at(at));
            }
            if !seen.insert(n.clone()) {
                return Err(Error::invalid_input(format!("{n} is listed twice")).at(at));
            }
            for (field, own, top) in [
                ("heroku_target", &entry.heroku_target, &self.heroku_target),
                ("aws_target", &entry.aws_target, &self.aws_target),
            ] {
                match own {
                    Some(v) if !valid_dns_name(&normalize_name(v)) => {
                        return Err(
                            Error::invalid_input(format!("{v:?} is not a valid DNS name"))
                                .at(format!("{at}.{field}")),
                        );
                    }
                    None if top.trim().is_empty() => {
                        return Err(Error::invalid_input(format!(
                            "{n} has no {field}: give it on the hostname ({{\"name\": \"{n}\", \
                             \"{field}\": ...}}) or once at the top level for every hostname"
                        ))
                        .at(at));
                    }
                    _ => {}
                }
            }
            let heroku = normalize_name(self.heroku_target_of_raw(entry));
            let own = entry.heroku_target.is_some() || entry.aws_target.is_some();
            if own && heroku == normalize_name(self.aws_target_of_raw(entry)) {
                return Err(Error::invalid_input(format!(
                    "{n}: the Heroku and the AWS target are the same name ({heroku})"
                ))
                .at(at));
            }
        }
        for (field, v) in [
            ("heroku_target", &self.heroku_target),
            ("aws_target", &self.aws_target),
        ] {
            if !v.trim().is_empty() && !valid_dns_name(&normalize_name(v)) {
                return Err(
                    Error::invalid_input(format!("{v:?} is not a valid DNS name")).at(field),
                );
            }
        }
        if !self.heroku_target.trim().is_empty()
            && normalize_name(&self.heroku_target) == normalize_name(&self.aws_target)
        {
            return Err(
                Error::invalid_input("heroku_target and aws_target are the same name")
                    .at("aws_target"),
            );
        }
        self.gate_configs()?;
        for (i, sink) in self.notify.iter().enumerate() {
            sink.validate().map_err(|e| e.at(format!("notify[{i}]")))?;
        }
        if self.stages.is_empty() {
            return Err(
                Error::invalid_input("give at least one stage (e.g. [10, 25, 50, 100])")
                    .at("stages"),
            );
        }
        let mut prev = 0u8;
        for (i, s) in self.stages.iter().enumerate() {
            if *s == 0 || *s > 100 {
                return Err(Error::invalid_input(format!(
                    "stage {s} is not a percentage of traffic to AWS between 1 and 100"
                ))
                .at(format!("stages[{i}]")));
            }
            if *s <= prev {
                return Err(Error::invalid_input(format!(
                    "stages must increase: {s} follows {prev}"
                ))
                .at(format!("stages[{i}]")));
            }
            prev = *s;
        }
        if prev != 100 {
            return Err(Error::invalid_input(format!(
                "the last stage must be 100 (all traffic to AWS), not {prev}"
            ))
            .at("stages"));
        }
        if !(1..=172_800).contains(&self.ttl) {
            return Err(
                Error::invalid_input(format!("TTL {} is outside 1–172800 s", self.ttl)).at("ttl"),
            );
        }
        if let Some(t) = self.restore_ttl
            && !(1..=172_800).contains(&t)
        {
            return Err(
                Error::invalid_input(format!("TTL {t} is outside 1–172800 s")).at("restore_ttl"),
            );
        }
        if self.tick_seconds == 0 {
            return Err(Error::invalid_input("tick_seconds must be at least 1").at("tick_seconds"));
        }
        if self.poll_seconds == 0 {
            return Err(Error::invalid_input("poll_seconds must be at least 1").at("poll_seconds"));
        }
        for (field, v) in [
            ("heroku_set_identifier", &self.heroku_set_identifier),
            ("aws_set_identifier", &self.aws_set_identifier),
        ] {
            if v.is_empty() || v.len() > 128 {
                return Err(
                    Error::invalid_input("a set identifier has 1–128 characters").at(field),
                );
            }
        }
        if self.heroku_set_identifier == self.aws_set_identifier {
            return Err(Error::invalid_input("the two set identifiers must differ")
                .at("aws_set_identifier"));
        }
        Ok(())
    }

    fn heroku_target_of_raw<'a>(&'a self, entry: &'a HostEntry) -> &'a str {
        entry
            .heroku_target
            .as_deref()
            .unwrap_or(&self.heroku_target)
    }

    fn aws_target_of_raw<'a>(&'a self, entry: &'a HostEntry) -> &'a str {
        entry.aws_target.as_deref().unwrap_or(&self.aws_target)
    }

    /// Weights (heroku, aws) at a percentage to AWS. They sum to 100 and are never both 0.
    pub fn weights(percent: u8) -> (i64, i64) {
        let p = i64::from(percent.min(100));
        (100 - p, p)
    }

    /// SHA-256 of the plan's canonical JSON, hex.
    pub fn digest(&self) -> String {
        let canonical = serde_json::to_vec(&self.clone().normalized()).unwrap_or_default();
        hex::encode(Sha256::digest(&canonical))
    }

    /// The soak extension limit in seconds.
    pub fn max_extension(&self) -> u64 {
        self.max_soak_extension_seconds.unwrap_or(self.soak_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn plan() -> CutoverPlan {
        CutoverPlan::new(
            vec!["www.example.com".into()],
            "example.com",
            "x.herokudns.com",
            "lb.elb.amazonaws.com",
        )
    }

    #[test]
    fn defaults_and_json() {
        let p = CutoverPlan::from_json(
            r#"{"hostnames":["WWW.example.com."],"zone":"example.com","heroku_target":"x.herokudns.com","aws_target":"lb.elb.amazonaws.com"}"#,
        )
        .unwrap();
        assert_eq!(p.stages, vec![10, 25, 50, 100]);
        assert_eq!(p.names(), vec!["www.example.com"]);
        assert_eq!(p.digest(), plan().digest());
    }

    #[test]
    fn the_readme_plan_example_is_a_valid_plan() {
        // the README shows this file (tests/readme checks that it still does)
        let plan = CutoverPlan::from_yaml(include_str!("../../../tests/readme/plan.yaml")).unwrap();
        assert_eq!(plan.names(), vec!["www.shop.com", "api.shop.com"]);
        assert_eq!(
            plan.heroku_target_of("api.shop.com"),
            "tokyo-9z8y.herokudns.com"
        );
        assert_eq!(plan.gate_configs().unwrap().len(), 1);
        assert_eq!(plan.notify.len(), 1);
        // YAML and JSON are one schema: the same plan through JSON has the same digest
        assert_eq!(
            CutoverPlan::from_json(&plan.to_json()).unwrap().digest(),
            plan.digest()
        );
        assert_eq!(CutoverPlan::from_text(&plan.to_yaml()).unwrap(), plan);
    }

    #[test]
    fn invalid_plans_say_where() {
        type Edit = Box<dyn Fn(&mut CutoverPlan)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|p| p.stages = vec![10, 5, 100]), "stages[1]"),
            (Box::new(|p| p.stages = vec![10, 50]), "stages"),
            (Box::new(|p| p.stages = vec![0, 100]), "stages[0]"),
            (Box::new(|p| p.hostnames.clear()), "hostnames"),
            (
                Box::new(|p| p.hostnames = vec!["example.com".into()]),
                "hostnames[0]",
            ),
            (
                Box::new(|p| p.hostnames = vec!["www.other.org".into()]),
                "hostnames[0]",
            ),
            (Box::new(|p| p.ttl = 0), "ttl"),
            (
                Box::new(|p| p.aws_target = "x.herokudns.com".into()),
                "aws_target",
            ),
        ];
        for (f, at) in cases {
            let mut p = plan();
            f(&mut p);
            let err = p.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(err.context(), Some(at), "{err}");
        }
        let err = CutoverPlan::from_json(r#"{"hostnames":[]}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(plan().validate().is_ok());
        assert!(plan().to_json().contains("\"rollback\": \"full\""));
    }
}

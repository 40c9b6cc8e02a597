//! The sizing policy: every knob of the recommender, with documented defaults, and its
//! validation (anything non-finite or out of range is `invalid_input` naming the field).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which rule set turns profiles into container resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// dynoshift's own rules: memory from the observed demand (swap and R14 included) plus a
    /// margin, CPU from a load-average percentile against the dyno's CPU. Name: `dynoshift`
    /// (alias `default`).
    #[serde(alias = "default")]
    Dynoshift,
    /// The Kubernetes Vertical Pod Autoscaler's recommender: p90 × 1.15 (CPU samples; memory
    /// daily peaks with a 24 h half-life), 5% histogram buckets, minimums 25m / 250Mi,
    /// confidence normalised for Heroku's 20 s sampling.
    Vpa,
    /// Robusta KRR's simple strategy: CPU request = p95 (highest dyno), no CPU limit; memory
    /// request = limit = max × 1.15 (× 1.25 after a kill); minimums 10m / 100Mi.
    Krr,
}

impl Strategy {
    /// Every strategy, ours first.
    pub const ALL: [Strategy; 3] = [Strategy::Dynoshift, Strategy::Vpa, Strategy::Krr];

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Dynoshift => "dynoshift",
            Strategy::Vpa => "vpa",
            Strategy::Krr => "krr",
        }
    }

    /// Parses a strategy name (`dynoshift`/`default`, `vpa`, `krr`, case-insensitive).
    pub fn parse(name: &str) -> Result<Strategy> {
        match name.trim().to_ascii_lowercase().as_str() {
            "dynoshift" | "default" => Ok(Strategy::Dynoshift),
            "vpa" => Ok(Strategy::Vpa),
            "krr" => Ok(Strategy::Krr),
            other => Err(Error::invalid_input(format!(
                "unknown sizing strategy {other:?}; use dynoshift (alias default), vpa or krr"
            ))),
        }
    }
}

impl Strategy {
    /// Parses strategy names; none means every strategy ([`Strategy::ALL`]).
    pub fn parse_all<S: AsRef<str>>(names: &[S]) -> Result<Vec<Strategy>> {
        if names.is_empty() {
            return Ok(Strategy::ALL.to_vec());
        }
        names.iter().map(|n| Strategy::parse(n.as_ref())).collect()
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which statistic of `memory_total` the default strategy sizes memory from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryStatistic {
    /// The exact maximum (default): nothing observed is above the recommendation.
    Max,
    /// 99.9th percentile (within 1%); the rare top samples are left to the margin.
    P999,
    /// 99th percentile.
    P99,
    /// 95th percentile.
    P95,
}

impl MemoryStatistic {
    /// The quantile (1.0 for max).
    pub fn quantile(self) -> f64 {
        match self {
            MemoryStatistic::Max => 1.0,
            MemoryStatistic::P999 => 0.999,
            MemoryStatistic::P99 => 0.99,
            MemoryStatistic::P95 => 0.95,
        }
    }

    /// Short name (`max`, `p99.9`, ...).
    pub fn label(self) -> &'static str {
        match self {
            MemoryStatistic::Max => "max",
            MemoryStatistic::P999 => "p99.9",
            MemoryStatistic::P99 => "p99",
            MemoryStatistic::P95 => "p95",
        }
    }
}

/// Every knob of the recommender. JSON field names as below; every field has a default, unknown
/// fields are refused.
///
/// The minimums and rounding apply to the `dynoshift` strategy; `vpa` and `krr` keep their own
/// constants (that is what they are for: cross-checking) but share the replica and HPA rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SizingPolicy {
    /// Rule set (default `dynoshift`).
    pub strategy: Strategy,
    /// Quantile of the estimated CPU use that becomes the CPU request (default 0.9). CPU is
    /// compressible: above the request a pod is throttled only when the node is busy.
    pub cpu_percentile: f64,
    /// Statistic of `memory_total` for the memory request and limit (default `max`).
    pub memory_statistic: MemoryStatistic,
    /// Safety margin on memory for 7 days of data or more, as a fraction (default 0.05 = +5%
    /// over the exact maximum). It doubles for one to seven days of data and quadruples below
    /// a day: the less history, the likelier an unseen peak.
    pub memory_margin: f64,
    /// Smallest CPU request, millicores (default 10).
    pub min_cpu_millicores: u32,
    /// Smallest memory request, MiB (default 64).
    pub min_memory_mib: u32,
    /// CPU requests are rounded up to a multiple of this, millicores (default 10).
    pub cpu_rounding_millicores: u32,
    /// Memory is rounded up to a multiple of this, MiB (default 16).
    pub memory_rounding_mib: u32,
    /// CPU limit as a multiple of the request; `null` (default) sets no CPU limit, the usual
    /// advice (a limit throttles even on an idle node).
    pub cpu_limit_factor: Option<f64>,
    /// Target utilisation (0..1] for HPA (CPU `averageUtilization`) and for replicas from
    /// Little's law (a pod is planned to carry this share of its concurrency); default 0.7.
    pub target_utilization: f64,
    /// Fewest replicas for `web` (default 2: one pod may be rescheduled at any time).
    pub min_web_replicas: u32,
    /// Requests one web pod can have in flight; `null` (default) infers it from the busiest
    /// dyno at the peak minute.
    pub web_concurrency: Option<f64>,
    /// Cores a Standard dyno's CPU share is worth, per unit of share (Standard-1X = 1 unit,
    /// 2X = 2). Default 0.5: a Standard-1X is treated as at most half a core and a 2X as one
    /// core, in line with Heroku calling a load ≤ 1.0 acceptable on Standard dynos.
    pub shared_cores_per_unit: f64,
    /// Replica counts given by the user per process type (override everything else).
    pub replicas: BTreeMap<String, u32>,
}

impl Default for SizingPolicy {
    fn default() -> Self {
        SizingPolicy {
            strategy: Strategy::Dynoshift,
            cpu_percentile: 0.9,
            memory_statistic: MemoryStatistic::Max,
            memory_margin: 0.05,
            min_cpu_millicores: 10,
            min_memory_mib: 64,
            cpu_rounding_millicores: 10,
            memory_rounding_mib: 16,
            cpu_limit_factor: None,
            target_utilization: 0.7,
            min_web_replicas: 2,
            web_concurrency: None,
            shared_cores_per_unit: 0.5,
            replicas: BTreeMap::new(),
        }
    }
}

impl SizingPolicy {
    /// The default policy with another strategy.
    pub fn with_strategy(strategy: Strategy) -> SizingPolicy {
        SizingPolicy {
            strategy,
            ..SizingPolicy::default()
        }
    }

    /// [`SizingPolicy::from_json`] for an optional argument: none is the default policy.
    pub fn from_json_or_default(text: Option<&str>) -> Result<SizingPolicy> {
        text.map_or_else(|| Ok(SizingPolicy::default()), SizingPolicy::from_json)
    }

    /// Parses a policy from JSON (missing fields take their defaults) and validates it.
    pub fn from_json(text: &str) -> Result<SizingPolicy> {
        let p: SizingPolicy = crate::jsonerr::from_str(text).map_err(|(message, _)| {
            Error::invalid_input(format!(
                "the sizing policy is not valid ({}); fields: strategy, cpu_percentile, \
                 memory_statistic, memory_margin, min_cpu_millicores, min_memory_mib, \
                 cpu_rounding_millicores, memory_rounding_mib, cpu_limit_factor, \
                 target_utilization, min_web_replicas, web_concurrency, shared_cores_per_unit, \
                 replicas",
                message
            ))
        })?;
        p.validate()?;
        Ok(p)
    }

    /// The policy as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy always serialises")
    }

    /// Checks every field; a bad one is `invalid_input` located at the field.
    pub fn validate(&self) -> Result<()> {
        fn range(v: f64, lo: f64, lo_incl: bool, hi: f64, field: &str, what: &str) -> Result<()> {
            let ok = v.is_finite() && (if lo_incl { v >= lo } else { v > lo }) && v <= hi;
            if ok {
                Ok(())
            } else {
                let v = crate::jsonerr::show_f64(v);
                Err(Error::invalid_input(format!("{field} is {v}; it must be {what}")).at(field))
            }
        }
        range(
            self.cpu_percentile,
            0.0,
            false,
            1.0,
            "cpu_percentile",
            "a quantile above 0 and at most 1, e.g. 0.9",
        )?;
        range(
            self.memory_margin,
            0.0,
            true,
            10.0,
            "memory_margin",
            "a fraction from 0 to 10, e.g. 0.1 for +10%",
        )?;
        range(
            self.target_utilization,
            0.0,
            false,
            1.0,
            "target_utilization",
            "above 0 and at most 1, e.g. 0.7",
        )?;
        range(
            self.shared_cores_per_unit,
            0.0,
            false,
            16.0,
            "shared_cores_per_unit",
            "cores per CPU share above 0 and at most 16, e.g. 0.5",
        )?;
        if let Some(f) = self.cpu_limit_factor {
            range(
                f,
                1.0,
                true,
                100.0,
                "cpu_limit_factor",
                "at least 1 (a limit below the request is refused by Kubernetes) or null",
            )?;
        }
        if let Some(c) = self.web_concurrency {
            range(
                c,
                0.0,
                false,
                1e6,
                "web_concurrency",
                "requests in flight per pod, above 0, or null to infer it",
            )?;
        }
        let positive = |v: u32, field: &str, max: u32| -> Result<()> {
            if v == 0 || v > max {
                Err(Error::invalid_input(format!("{field} is {v}; it must be 1..={max}")).at(field))
            } else {
                Ok(())
            }
        };
        positive(
            self.cpu_rounding_millicores,
            "cpu_rounding_millicores",
            1000,
        )?;
        positive(self.memory_rounding_mib, "memory_rounding_mib", 1024)?;
        positive(self.min_web_replicas, "min_web_replicas", 1000)?;
        if self.min_cpu_millicores > 64_000 {
            return Err(Error::invalid_input(format!(
                "min_cpu_millicores is {}; it must be at most 64000",
                self.min_cpu_millicores
            ))
            .at("min_cpu_millicores"));
        }
        if self.min_memory_mib > 1_048_576 {
            return Err(Error::invalid_input(format!(
                "min_memory_mib is {}; it must be at most 1048576 (1 TiB)",
                self.min_memory_mib
            ))
            .at("min_memory_mib"));
        }
        for (name, n) in &self.replicas {
            if *n > 10_000 {
                return Err(Error::invalid_input(format!(
                    "replicas for {name:?} is {n}; it must be at most 10000"
                ))
                .at(format!("replicas.{name}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let p = SizingPolicy::default();
        p.validate().unwrap();
        assert_eq!(SizingPolicy::from_json(&p.to_json()).unwrap(), p);
        let empty = SizingPolicy::from_json("{}").unwrap();
        assert_eq!(empty, p);
    }

    #[test]
    fn invalid_fields_are_located() {
        for (json, field) in [
            (r#"{"cpu_percentile": 0}"#, "cpu_percentile"),
            (r#"{"cpu_percentile": 1.5}"#, "cpu_percentile"),
            (r#"{"memory_margin": -0.1}"#, "memory_margin"),
            (r#"{"target_utilization": 0}"#, "target_utilization"),
            (r#"{"cpu_limit_factor": 0.5}"#, "cpu_limit_factor"),
            (r#"{"web_concurrency": 0}"#, "web_concurrency"),
            (r#"{"memory_rounding_mib": 0}"#, "memory_rounding_mib"),
            (r#"{"min_web_replicas": 0}"#, "min_web_replicas"),
        ] {
            let err = SizingPolicy::from_json(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{json}");
            assert_eq!(err.context(), Some(field), "{json}");
        }
        let nan = SizingPolicy {
            memory_margin: f64::NAN,
            ..SizingPolicy::default()
        };
        assert_eq!(nan.validate().unwrap_err().kind(), ErrorKind::InvalidInput);
        let err = SizingPolicy::from_json(r#"{"strategy": "goldilocks"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = SizingPolicy::from_json(r#"{"cpu_percentil": 0.9}"#).unwrap_err();
        assert!(err.message().contains("cpu_percentil"), "{err}");
    }

    #[test]
    fn strategy_names() {
        for s in Strategy::ALL {
            assert_eq!(Strategy::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(Strategy::parse("Default").unwrap(), Strategy::Dynoshift);
        let p = SizingPolicy::from_json(r#"{"strategy": "default"}"#).unwrap();
        assert_eq!(p.strategy, Strategy::Dynoshift);
        assert!(Strategy::parse("hpa").is_err());
    }
}

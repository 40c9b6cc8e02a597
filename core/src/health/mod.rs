//! Health gates that judge each stage of a cutover: an HTTP probe of the AWS side, a
//! Prometheus threshold, and a statistical comparison of AWS against the Heroku baseline; plus
//! the statistics behind them and gate configs read from JSON (what the CLI and the bindings
//! build gates from).
//!
//! Every gate answers pass / fail / inconclusive / error with a reason and measurements; the
//! cutover engine applies each gate's [`GatePolicy`] (failure limit, consecutive errors,
//! minimum samples, soak extension) and rolls back in the tick of the first (counted) fail.

pub mod baseline;
pub mod capacity;
pub mod http;
pub mod probe;
pub mod prometheus;
pub mod split;
pub mod stats;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use self::baseline::{BaselineGate, BaselineGateConfig};
pub use self::capacity::{CapacityGate, CapacityGateConfig, replicas_needed};
pub use self::http::{HttpGateConfig, HttpProbeGate};
pub use self::probe::{JsonMatch, ProbeSpec, Prober, Sample, SampleWindow, WindowStats};
pub use self::prometheus::{Comparator, PrometheusGate, PrometheusGateConfig, TrafficConfig};
pub use self::split::{
    ObservedSplitGate, ObservedSplitGateConfig, SplitJudgement, SplitMethod, judge_split,
};
pub use self::stats::{
    Evidence, MannWhitney, RateScope, TwoProportion, binomial_tail_at_least, binomial_two_sided,
    evidence, mann_whitney, normal_quantile, two_proportion, wilson_interval,
};
pub use crate::cutover::{CallbackGate, Gate, GateContext, GatePolicy, Verdict, VerdictStatus};
use crate::{Error, Result};

/// One gate described as data.
///
/// JSON: an object with `"type"`: `"http"` ([`HttpGateConfig`]), `"prometheus"`
/// ([`PrometheusGateConfig`]), `"baseline"` ([`BaselineGateConfig`]), `"observed_split"`
/// ([`ObservedSplitGateConfig`]) or `"capacity"` ([`CapacityGateConfig`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GateConfig {
    /// HTTP probe of the AWS side.
    Http(HttpGateConfig),
    /// PromQL threshold.
    Prometheus(PrometheusGateConfig),
    /// AWS compared with Heroku.
    Baseline(BaselineGateConfig),
    /// The split clients really get, compared with the stage's weight.
    ObservedSplit(ObservedSplitGateConfig),
    /// Replicas on AWS ready for the next stage's share.
    Capacity(CapacityGateConfig),
}

impl GateConfig {
    /// Builds the gate (`invalid_input` with the field at fault).
    pub fn build(&self) -> Result<Arc<dyn Gate>> {
        Ok(match self {
            GateConfig::Http(c) => Arc::new(HttpProbeGate::new(c.clone())?),
            GateConfig::Prometheus(c) => Arc::new(PrometheusGate::new(c.clone())?),
            GateConfig::Baseline(c) => Arc::new(BaselineGate::new(c.clone())?),
            GateConfig::ObservedSplit(c) => Arc::new(ObservedSplitGate::new(c.clone())?),
            GateConfig::Capacity(c) => Arc::new(CapacityGate::new(c.clone())?),
        })
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GatesDoc {
    List(Vec<serde_json::Value>),
    Wrapped { gates: Vec<serde_json::Value> },
}

/// Parses gate configs from JSON: a list of gate objects, or `{"gates": [...]}` (so a file
/// may hold the list next to other keys). `invalid_input` names the gate at fault (`gates[1].url`).
pub fn gate_configs_from_json(json: &str) -> Result<Vec<GateConfig>> {
    let doc: GatesDoc = serde_json::from_str(json).map_err(|e| {
        Error::invalid_input(format!(
            "gate configs are not valid JSON (a list of gates or {{\"gates\": [...]}}): {}",
            crate::jsonerr::describe(&e, json)
        ))
    })?;
    let items = match doc {
        GatesDoc::List(v) | GatesDoc::Wrapped { gates: v } => v,
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| gate_config(v).map_err(|e| e.at(format!("gates[{i}]"))))
        .collect()
}

/// One gate object. The `type` picks the config, which is then decoded on its own so that an
/// error names the field at fault (`min_samples: invalid value: integer -5, ...`); serde's
/// internally tagged enums lose that path.
pub(crate) fn gate_config(mut v: serde_json::Value) -> Result<GateConfig> {
    let kind = v
        .as_object_mut()
        .and_then(|m| m.remove("type"))
        .and_then(|t| t.as_str().map(str::to_owned));
    let bad = |message: String| {
        Error::invalid_input(format!(
            "not a gate config ({message}); the type is http, prometheus, baseline, observed_split \
             or capacity"
        ))
    };
    use crate::jsonerr::from_value;
    match kind.as_deref() {
        Some("http") => from_value(v).map(GateConfig::Http).map_err(bad),
        Some("prometheus") => from_value(v).map(GateConfig::Prometheus).map_err(bad),
        Some("baseline") => from_value(v).map(GateConfig::Baseline).map_err(bad),
        Some("observed_split") => from_value(v).map(GateConfig::ObservedSplit).map_err(bad),
        Some("capacity") => from_value(v).map(GateConfig::Capacity).map_err(bad),
        Some(other) => Err(bad(format!("unknown type {other:?}"))),
        None => Err(bad("an object with a \"type\" is needed".into())),
    }
}

/// Parses and builds gates from JSON (see [`gate_configs_from_json`]); every config is checked
/// (URLs, thresholds, comparators) before any gate is used.
pub fn gates_from_json(json: &str) -> Result<Vec<Arc<dyn Gate>>> {
    gate_configs_from_json(json)?
        .iter()
        .enumerate()
        .map(|(i, c)| c.build().map_err(|e| e.at(format!("gates[{i}]"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const GOOD: &str = r#"{"gates": [
        {"type": "http", "name": "aws", "probe": {"url": "http://127.0.0.1:1/healthz",
         "host": "www.example.com", "expect_status": [200], "body_contains": "ok",
         "json_pointer": {"pointer": "/status", "equals": "ok"}, "timeout_ms": 500},
         "concurrency": 4, "max_p95_ms": 250, "policy": {"failure_limit": 1}},
        {"type": "prometheus", "url": "http://127.0.0.1:9090", "query": "up", "comparator": ">=",
         "threshold": 1, "traffic": {"rate_query": "sum(rate(x[1m]))", "scope": "total",
         "min_samples": 200}},
        {"type": "baseline", "heroku": {"url": "http://127.0.0.1:2/"},
         "aws": {"url": "https://www.example.com/", "resolve": "127.0.0.1:3"}}
    ]}"#;

    #[test]
    fn configs_round_trip_and_build() {
        let configs = gate_configs_from_json(GOOD).unwrap();
        assert_eq!(configs.len(), 3);
        let GateConfig::Http(h) = &configs[0] else {
            panic!("{configs:?}")
        };
        assert_eq!(h.policy.failure_limit, 1);
        assert_eq!(h.min_samples, 20);
        let GateConfig::Baseline(b) = &configs[2] else {
            panic!("{configs:?}")
        };
        assert_eq!((b.confidence, b.tolerance), (0.98, 0.25));
        let again = serde_json::to_string(&configs).unwrap();
        assert_eq!(gate_configs_from_json(&again).unwrap(), configs);
        let gates = gates_from_json(GOOD).unwrap();
        let names: Vec<String> = gates.iter().map(|g| g.name()).collect();
        assert_eq!(names, ["aws", "prometheus up", "baseline"]);
        assert_eq!(gates[0].policy().failure_limit, 1);
    }

    #[test]
    fn invalid_configs_are_invalid_input() {
        let cases = [
            (
                r#"[{"type": "http", "probe": {"url": "nope"}}]"#,
                "gates[0].probe.url",
            ),
            (
                r#"[{"type": "prometheus", "url": "http://p:9090", "query": "up", "comparator": "==", "threshold": 1}]"#,
                "gates[0]",
            ),
            (
                r#"[{"type": "http", "probe": {"url": "http://a/"}, "min_success_ratio": 1.5}]"#,
                "gates[0].min_success_ratio",
            ),
            (
                r#"[{"type": "http", "probe": {"url": "http://a/"}, "max_p95_ms": -1}]"#,
                "gates[0].max_p95_ms",
            ),
            (
                r#"[{"type": "http", "probe": {"url": "http://a/"}, "nope": 1}]"#,
                "gates[0]",
            ),
            (r#"[{"type": "smoke"}]"#, "gates[0]"),
            (
                r#"[{"type": "baseline", "heroku": {"url": "http://a/"}, "aws": {"url": "http://b/"}, "confidence": 2}]"#,
                "gates[0].confidence",
            ),
        ];
        for (json, at) in cases {
            let err = gates_from_json(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{json}: {err}");
            assert_eq!(err.context(), Some(at), "{json}: {err}");
        }
        // NaN cannot be written in JSON; from Rust it is refused too
        let mut c = PrometheusGateConfig::new("http://p:9090", "up", Comparator::Lt, f64::NAN);
        c.name = Some("n".into());
        assert_eq!(
            GateConfig::Prometheus(c).build().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            gates_from_json("{").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}

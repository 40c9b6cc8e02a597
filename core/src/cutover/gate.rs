//! Gates judge a stage during its soak. The health module supplies HTTP, Prometheus and
//! baseline gates; [`CallbackGate`] turns any async closure into a gate (and is what the
//! bindings use for gates written in Python or Node).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dns::BoxFuture;

/// The four answers a gate can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// Healthy enough.
    Pass,
    /// Unhealthy: roll back now.
    Fail,
    /// Not enough evidence yet (extend the soak).
    Inconclusive,
    /// Could not measure (counted against the consecutive-error limit; never a pass).
    Error,
}

/// A gate's answer with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Gate name (filled in by the engine if empty).
    #[serde(default)]
    pub gate: String,
    /// Pass, fail, inconclusive or error.
    pub status: VerdictStatus,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Measurements behind the verdict (free form).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub measurements: serde_json::Value,
}

impl Verdict {
    fn with(status: VerdictStatus, reason: impl Into<String>) -> Self {
        Verdict {
            gate: String::new(),
            status,
            reason: reason.into(),
            measurements: serde_json::Value::Null,
        }
    }
    /// A pass.
    pub fn pass(reason: impl Into<String>) -> Self {
        Self::with(VerdictStatus::Pass, reason)
    }
    /// A fail.
    pub fn fail(reason: impl Into<String>) -> Self {
        Self::with(VerdictStatus::Fail, reason)
    }
    /// Inconclusive.
    pub fn inconclusive(reason: impl Into<String>) -> Self {
        Self::with(VerdictStatus::Inconclusive, reason)
    }
    /// An error.
    pub fn error(reason: impl Into<String>) -> Self {
        Self::with(VerdictStatus::Error, reason)
    }
    /// Attaches measurements.
    pub fn with_measurements(mut self, measurements: serde_json::Value) -> Self {
        self.measurements = measurements;
        self
    }
    /// A verdict from a gate written in another language, as it answered (a JSON value such as
    /// `{"status": "pass", "reason": "..."}`); anything else is an `error` verdict saying what a
    /// verdict looks like.
    pub fn from_answer(answer: serde_json::Value) -> Self {
        serde_json::from_value(answer).unwrap_or_else(|e| Self::no_verdict(&e))
    }

    /// [`Verdict::from_answer`] for an answer given as JSON text.
    pub fn from_answer_json(answer: &str) -> Self {
        serde_json::from_str(answer).unwrap_or_else(|e| Self::no_verdict(&e))
    }

    fn no_verdict(e: &serde_json::Error) -> Self {
        Self::error(format!(
            "the gate returned no verdict ({{\"status\": \"pass\"|\"fail\"|\"inconclusive\"|\"error\", \
             \"reason\": ...}}): {e}"
        ))
    }

    /// `measurements.samples` when it is a number.
    pub fn samples(&self) -> Option<u64> {
        self.measurements.get("samples").and_then(|v| v.as_u64())
    }
}

/// What a gate knows about the moment it is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateContext {
    /// Run id.
    pub run_id: String,
    /// Stage index (0-based).
    pub stage: usize,
    /// Percent of traffic to AWS.
    pub percent: u8,
    /// Tick number within the soak (0-based).
    pub tick: u64,
    /// Seconds since the soak started.
    pub elapsed_seconds: u64,
    /// Hostnames moving.
    pub hostnames: Vec<String>,
    /// hostname → [Heroku target, AWS target] (each hostname may have its own).
    #[serde(default)]
    pub targets: std::collections::BTreeMap<String, (String, String)>,
    /// The next stage's percent to AWS (none in the last stage): what capacity must be ready
    /// for before the next weight is written.
    #[serde(default)]
    pub next_percent: Option<u8>,
}

/// How the engine treats one gate's verdicts during a soak (Argo Rollouts' analysis knobs,
/// plus a minimum-sample guard). The counters restart with every stage.
///
/// JSON: `{"failure_limit": 0, "max_consecutive_errors": 3, "min_samples": 0,
/// "max_soak_extension_seconds": 600}` (every field optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatePolicy {
    /// Fails tolerated in a stage before the gate fails it (0: the first fail rolls back in
    /// the same tick). A tolerated fail counts as inconclusive.
    #[serde(default)]
    pub failure_limit: u32,
    /// Consecutive errors before the run pauses for approval (default: the plan's
    /// `max_consecutive_errors`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_consecutive_errors: Option<u32>,
    /// A pass whose `measurements.samples` is below this counts as inconclusive (0: off).
    #[serde(default)]
    pub min_samples: u64,
    /// How long this gate's inconclusive verdicts may extend a soak before the run pauses
    /// (default: the plan's `max_soak_extension_seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_soak_extension_seconds: Option<u64>,
}

/// A health gate, asked once per tick during every soak.
pub trait Gate: Send + Sync + std::fmt::Debug {
    /// Name shown in events and the journal.
    fn name(&self) -> String;
    /// Judges the stage now.
    fn check(&self, ctx: GateContext) -> BoxFuture<'static, Verdict>;
    /// How the engine treats this gate's verdicts (default: the plan's limits, first fail
    /// rolls back).
    fn policy(&self) -> GatePolicy {
        GatePolicy::default()
    }
}

/// The callback signature of a [`CallbackGate`].
pub type GateFn = dyn Fn(GateContext) -> BoxFuture<'static, Verdict> + Send + Sync;

/// A gate from an async closure.
#[derive(Clone)]
pub struct CallbackGate {
    name: String,
    policy: GatePolicy,
    f: Arc<GateFn>,
}

impl std::fmt::Debug for CallbackGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackGate")
            .field("name", &self.name)
            .field("policy", &self.policy)
            .finish()
    }
}

impl CallbackGate {
    /// `f` is called every tick.
    pub fn new<F, Fut>(name: impl Into<String>, f: F) -> Self
    where
        F: Fn(GateContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Verdict> + Send + 'static,
    {
        CallbackGate {
            name: name.into(),
            policy: GatePolicy::default(),
            f: Arc::new(move |ctx| Box::pin(f(ctx))),
        }
    }

    /// Sets the verdict policy.
    pub fn with_policy(mut self, policy: GatePolicy) -> Self {
        self.policy = policy;
        self
    }
}

impl Gate for CallbackGate {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn check(&self, ctx: GateContext) -> BoxFuture<'static, Verdict> {
        (self.f)(ctx)
    }
    fn policy(&self) -> GatePolicy {
        self.policy
    }
}

#[cfg(test)]
mod answer_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_is_a_verdict_or_an_error_saying_what_one_is() {
        let pass = Verdict::from_answer(json!({"status": "pass", "reason": "ok"}));
        assert_eq!(pass, Verdict::pass("ok"));
        assert_eq!(
            Verdict::from_answer_json(r#"{"status": "fail"}"#),
            Verdict::fail("")
        );
        let bad = [json!(null), json!({"status": "green"})].map(Verdict::from_answer);
        let prefix = "the gate returned no verdict ({\"status\": \"pass\"|";
        let errors_saying_so = bad
            .iter()
            .filter(|v| v.status == VerdictStatus::Error && v.reason.starts_with(prefix));
        assert_eq!(errors_saying_so.count(), 2, "{bad:?}");
        assert_eq!(Verdict::from_answer_json("{").status, VerdictStatus::Error);
    }
}

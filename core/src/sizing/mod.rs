//! Container sizing: a formation plus the profiles of its logs, under a [`SizingPolicy`], give
//! per process type a CPU request (and optional limit), a memory request and limit, a replica
//! count and HPA bounds — every number with the [`Explanation`] that produced it.
//!
//! Rules of the default strategy (`dynoshift`):
//! - **memory** is never below the observed demand: `memory_total` (rss + swap: Kubernetes has
//!   no swap, so swap becomes RAM; rss too when it reads higher), raised to the dyno's quota
//!   after an R14 (demand was at least the quota) and to the R15 kill line after an R15, then
//!   the policy margin, the minimum and the rounding (always up). Request = limit.
//! - **CPU** is estimated from `load_avg_1m` against the dyno's CPU: cores ≈ min(load, CPU of
//!   the dyno), where a Standard dyno's CPU is a share of a core and a Performance dyno's its
//!   vCPUs. Load average is a run-queue length, not CPU seconds: the figure is an estimate and
//!   says so.
//! - **replicas** for `web` from router data by Little's law (in flight = arrival rate × service
//!   time) over a per-pod concurrency (given, or inferred from the busiest dyno), never below
//!   the policy minimum; HPA bounds from the hourly trough and the peak minute. Other process
//!   types keep their formation quantity unless the policy says otherwise.
//!
//! `vpa` and `krr` reproduce the two common anchors on the same data, for cross-checking.

mod backtest;
mod policy;
mod recommend;

use serde::{Deserialize, Serialize};

pub use backtest::{
    BacktestArgs, BacktestReport, BacktestRow, DEFAULT_FIT_FRACTION, EvalSample, EvalSet,
    LogSplitter, SCENARIOS, SLACK_TARGET, Scenario, ScenarioResult, StrategySummary, backtest,
    backtest_lines, backtest_paths, overall, run_scenario, split_lines, split_paths,
};
pub use policy::{MemoryStatistic, SizingPolicy, Strategy};
pub use recommend::{VPA_CPU_MIN_MILLICORES, VPA_MEMORY_MIN_MIB, recommend, vpa_confidence};

use crate::telemetry::TimeSpan;

/// How much the data behind a number can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Under a day of data, under 100 samples, or no data at all (a fallback).
    Low,
    /// One to seven days.
    Medium,
    /// Seven days or more.
    High,
}

/// Why a number is what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The rule, with the arithmetic that was done (`max memory_total 402.3 MiB × 1.10 ...`).
    pub rule: String,
    /// The input statistic the rule started from (`memory_total max`, `load_avg_1m p90`).
    pub statistic: String,
    /// The statistic's value (in its own unit), when there was data.
    pub value: Option<f64>,
    /// Samples behind the statistic.
    pub samples: u64,
    /// The time window the samples cover (`start .. end (7 days)`), when known.
    pub window: Option<String>,
    /// How much to trust it.
    pub confidence: Confidence,
    /// What the user should know (short data, R14, swap, CPU-bound dynos, ...).
    pub warnings: Vec<String>,
}

/// A recommended number with its unit and explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explained<T> {
    /// The number.
    pub value: T,
    /// Its unit (`millicores`, `MiB`, `pods`, `percent`).
    pub unit: String,
    /// How it was obtained.
    pub explanation: Explanation,
}

/// HorizontalPodAutoscaler bounds and target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HpaSizing {
    /// `minReplicas`.
    pub min_replicas: Explained<u32>,
    /// `maxReplicas`.
    pub max_replicas: Explained<u32>,
    /// CPU `averageUtilization` target, percent of the request.
    pub target_cpu_utilization_percent: Explained<u32>,
}

/// The recommendation for one process type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSizing {
    /// Process type (`web`, `worker`).
    pub process_type: String,
    /// The dyno size it ran on.
    pub dyno_size: String,
    /// Dynos in the formation.
    pub quantity: u32,
    /// The dyno's command, when the formation had one.
    pub command: Option<String>,
    /// CPU request.
    pub cpu_request_millicores: Explained<u32>,
    /// CPU limit (`None`: no limit).
    pub cpu_limit_millicores: Option<Explained<u32>>,
    /// Memory request.
    pub memory_request_mib: Explained<u32>,
    /// Memory limit.
    pub memory_limit_mib: Explained<u32>,
    /// Deployment replicas.
    pub replicas: Explained<u32>,
    /// Autoscaling (`None`: a fixed replica count).
    pub hpa: Option<HpaSizing>,
}

/// The result of [`recommend`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizingReport {
    /// The strategy used.
    pub strategy: Strategy,
    /// The full policy (defaults filled in).
    pub policy: SizingPolicy,
    /// The time the profiles cover.
    pub window: Option<TimeSpan>,
    /// One entry per process type of the formation, `web` first.
    pub processes: Vec<ProcessSizing>,
    /// Report-level notes: damaged inputs first (their data is partly missing, so every number
    /// may be too low), then profiles of process types not in the formation, ...
    pub warnings: Vec<String>,
    /// Inputs that were truncated or corrupt (a broken gzip): the report was computed from what
    /// could be read before the break. Front ends refuse such a report unless told otherwise.
    #[serde(default)]
    pub input_issues: Vec<crate::telemetry::InputIssue>,
}

impl SizingReport {
    /// Parses a report written by [`SizingReport::to_json`] (e.g. `dynoshift size --json`), to
    /// render manifests from it later; anything else is `invalid_input`.
    pub fn from_json(text: &str) -> crate::error::Result<SizingReport> {
        serde_json::from_str(text).map_err(|e| {
            crate::error::Error::invalid_input(format!(
                "not a dynoshift sizing report ({e}); write one with `dynoshift size --json` or \
                 a binding's to_json()"
            ))
        })
    }

    /// The pods to place on nodes: one group per process type with its replicas and requests
    /// (what `nodes::plan_nodes` takes). Process types scaled to 0 are left out.
    pub fn pod_groups(&self) -> Vec<crate::nodes::PodGroup> {
        self.processes
            .iter()
            .filter(|p| p.replicas.value > 0)
            .map(|p| crate::nodes::PodGroup {
                process_type: p.process_type.clone(),
                replicas: p.replicas.value,
                cpu_millis: u64::from(p.cpu_request_millicores.value.max(1)),
                memory_mib: u64::from(p.memory_request_mib.value.max(1)),
            })
            .collect()
    }

    /// [`SizingReport::pod_groups`] as JSON, the `pods` of a node-planning request (what the
    /// bindings hand their callers, so that sizing feeds planning without renaming keys).
    pub fn pod_groups_json(&self) -> String {
        serde_json::to_string(&self.pod_groups()).unwrap_or_else(|_| "[]".into())
    }

    /// Whether an input was truncated or corrupt ([`SizingReport::input_issues`]): the numbers
    /// come from partial data.
    pub fn damaged_input(&self) -> bool {
        !self.input_issues.is_empty()
    }

    /// One line per damaged input (the first of [`SizingReport::warnings`]).
    pub fn input_warnings(&self) -> Vec<String> {
        self.input_issues
            .iter()
            .map(crate::telemetry::InputIssue::warning)
            .collect()
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a sizing report always serialises")
    }

    /// The report as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sizing report always serialises")
    }

    /// The entry of a process type.
    pub fn process(&self, process_type: &str) -> Option<&ProcessSizing> {
        self.processes
            .iter()
            .find(|p| p.process_type == process_type)
    }
}

/// `3 hours`, `2.5 days`, `40 minutes`.
pub(crate) fn human_duration(seconds: f64) -> String {
    let trim = |v: f64, unit: &str| {
        let s = format!("{v:.1}");
        let s = s.strip_suffix(".0").unwrap_or(&s).to_owned();
        format!("{s} {unit}")
    };
    if seconds < 120.0 {
        trim(seconds.round(), "seconds")
    } else if seconds < 3600.0 {
        trim((seconds / 60.0).round(), "minutes")
    } else if seconds < 48.0 * 3600.0 {
        trim(seconds / 3600.0, "hours")
    } else {
        trim(seconds / 86_400.0, "days")
    }
}

/// Sizes a formation from log lines given in memory (the shared vectors and the bindings use
/// this; files go through [`crate::telemetry::ingest_paths`] and [`recommend`]).
pub fn recommend_lines<'a>(
    formation: &crate::heroku::formation::Formation,
    lines: impl IntoIterator<Item = &'a str>,
    policy: &SizingPolicy,
) -> crate::error::Result<SizingReport> {
    let mut ingest = crate::telemetry::Ingest::new();
    for line in lines {
        ingest.feed(line.as_bytes());
        ingest.feed(b"\n");
    }
    recommend(formation, &ingest.finish(), policy)
}

/// Sizes a formation from log files (plain or gzip; read on every core): ingest, then
/// [`recommend`]. Missing files are `not_found`, unreadable ones `invalid_input`.
pub fn recommend_paths(
    formation: &crate::heroku::formation::Formation,
    paths: &[std::path::PathBuf],
    policy: &SizingPolicy,
) -> crate::error::Result<SizingReport> {
    policy.validate()?;
    if paths.is_empty() {
        return Err(crate::error::Error::invalid_input(
            "no log files given: pass at least one Heroku log file (text, drain frames or .gz)",
        ));
    }
    recommend(formation, &crate::telemetry::ingest_paths(paths)?, policy)
}

#[cfg(test)]
mod tests;

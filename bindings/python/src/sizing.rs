//! Container sizing, backtest and Kubernetes manifests. Results are typed, frozen classes over
//! the core's values (every number an `Explained` with its `Explanation`), each with `to_json()`
//! (the core's JSON) and `to_dict()`. Pure compute, so sync, with the GIL released while the
//! core works.

use std::path::PathBuf;

use dynoshift as core;
use dynoshift::sizing as sz;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};

use crate::Formation;
use crate::convert::{from_json_text, json_text};
use crate::errors::IntoPy;
use crate::ingest::TimeSpan;

fn time_span(s: &core::telemetry::TimeSpan) -> TimeSpan {
    TimeSpan {
        start_ms: s.start_ms,
        end_ms: s.end_ms,
        start: s.start.clone(),
        end: s.end.clone(),
        seconds: s.seconds,
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("the core's values always serialise")
}

/// Why a number is what it is.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct Explanation {
    inner: sz::Explanation,
}

#[pymethods]
impl Explanation {
    /// The rule, with the arithmetic that was done.
    #[getter]
    fn rule(&self) -> String {
        self.inner.rule.clone()
    }
    /// The input statistic the rule started from (`memory_total max`, `load_avg_1m p90`).
    #[getter]
    fn statistic(&self) -> String {
        self.inner.statistic.clone()
    }
    /// The statistic's value in its own unit (None: no data, a fallback).
    #[getter]
    fn value(&self) -> Option<f64> {
        self.inner.value
    }
    /// Samples behind the statistic.
    #[getter]
    fn samples(&self) -> u64 {
        self.inner.samples
    }
    /// The time window the samples cover, when known.
    #[getter]
    fn window(&self) -> Option<String> {
        self.inner.window.clone()
    }
    /// `low`, `medium` or `high`.
    #[getter]
    fn confidence(&self) -> String {
        dynoshift::units::wire_name(&self.inner.confidence)
    }
    /// What the user should know (short data, R14, swap, ...).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.to_json())
    }
    fn __repr__(&self) -> String {
        format!(
            "Explanation(statistic={:?}, samples={}, confidence={:?}, rule={:?})",
            self.inner.statistic,
            self.inner.samples,
            self.confidence(),
            self.inner.rule
        )
    }
}

/// A recommended number with its unit and explanation.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct Explained {
    inner: sz::Explained<u32>,
}

#[pymethods]
impl Explained {
    /// The number.
    #[getter]
    fn value(&self) -> u32 {
        self.inner.value
    }
    /// Its unit (`millicores`, `MiB`, `pods`, `percent`).
    #[getter]
    fn unit(&self) -> String {
        self.inner.unit.clone()
    }
    /// How it was obtained.
    #[getter]
    fn explanation(&self) -> Explanation {
        Explanation {
            inner: self.inner.explanation.clone(),
        }
    }
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.to_json())
    }
    fn __repr__(&self) -> String {
        format!(
            "Explained({} {}, rule={:?})",
            self.inner.value, self.inner.unit, self.inner.explanation.rule
        )
    }
}

fn explained(v: &sz::Explained<u32>) -> Explained {
    Explained { inner: v.clone() }
}

/// HorizontalPodAutoscaler bounds and target.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct HpaSizing {
    inner: sz::HpaSizing,
}

#[pymethods]
impl HpaSizing {
    /// `minReplicas`.
    #[getter]
    fn min_replicas(&self) -> Explained {
        explained(&self.inner.min_replicas)
    }
    /// `maxReplicas`.
    #[getter]
    fn max_replicas(&self) -> Explained {
        explained(&self.inner.max_replicas)
    }
    /// CPU `averageUtilization` target, percent of the request.
    #[getter]
    fn target_cpu_utilization_percent(&self) -> Explained {
        explained(&self.inner.target_cpu_utilization_percent)
    }
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "HpaSizing(min_replicas={}, max_replicas={}, target_cpu_utilization_percent={})",
            self.inner.min_replicas.value,
            self.inner.max_replicas.value,
            self.inner.target_cpu_utilization_percent.value
        )
    }
}

/// The recommendation for one process type.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct ProcessSizing {
    inner: sz::ProcessSizing,
}

#[pymethods]
impl ProcessSizing {
    /// Process type (`web`, `worker`).
    #[getter]
    fn process_type(&self) -> String {
        self.inner.process_type.clone()
    }
    /// The dyno size it ran on.
    #[getter]
    fn dyno_size(&self) -> String {
        self.inner.dyno_size.clone()
    }
    /// Dynos in the formation.
    #[getter]
    fn quantity(&self) -> u32 {
        self.inner.quantity
    }
    /// The dyno's command, when the formation had one.
    #[getter]
    fn command(&self) -> Option<String> {
        self.inner.command.clone()
    }
    /// CPU request, millicores.
    #[getter]
    fn cpu_request_millicores(&self) -> Explained {
        explained(&self.inner.cpu_request_millicores)
    }
    /// CPU limit, millicores (None: no limit).
    #[getter]
    fn cpu_limit_millicores(&self) -> Option<Explained> {
        self.inner.cpu_limit_millicores.as_ref().map(explained)
    }
    /// Memory request, MiB.
    #[getter]
    fn memory_request_mib(&self) -> Explained {
        explained(&self.inner.memory_request_mib)
    }
    /// Memory limit, MiB.
    #[getter]
    fn memory_limit_mib(&self) -> Explained {
        explained(&self.inner.memory_limit_mib)
    }
    /// Deployment replicas.
    #[getter]
    fn replicas(&self) -> Explained {
        explained(&self.inner.replicas)
    }
    /// Autoscaling (None: a fixed replica count).
    #[getter]
    fn hpa(&self) -> Option<HpaSizing> {
        self.inner.hpa.clone().map(|inner| HpaSizing { inner })
    }
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.to_json())
    }
    fn __repr__(&self) -> String {
        let p = &self.inner;
        format!(
            "ProcessSizing(process_type={:?}, cpu_request_millicores={}, memory_request_mib={}, \
             memory_limit_mib={}, replicas={})",
            p.process_type,
            p.cpu_request_millicores.value,
            p.memory_request_mib.value,
            p.memory_limit_mib.value,
            p.replicas.value
        )
    }
}

/// The result of `recommend_sizing` / `recommend_lines`: one `ProcessSizing` per process type
/// of the formation (`web` first), the policy used and report-level warnings.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct SizingReport {
    pub(crate) inner: sz::SizingReport,
}

#[pymethods]
impl SizingReport {
    /// Parses a report written by `to_json()` (or `dynoshift size --json`).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<SizingReport> {
        let inner = py.detach(|| sz::SizingReport::from_json(text)).py_err()?;
        Ok(SizingReport { inner })
    }
    /// The strategy used (`dynoshift`, `vpa`, `krr`).
    #[getter]
    fn strategy(&self) -> &'static str {
        self.inner.strategy.as_str()
    }
    /// The full policy (defaults filled in), as a dict of `SizingPolicy` fields.
    #[getter]
    fn policy(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.inner.policy.to_json())
    }
    /// The pods to place on EC2 nodes, one group per process type, in the node planner's own
    /// keys: `plan_nodes({"pods": report.pods})` (process types scaled to 0 left out).
    #[getter]
    fn pods(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.inner.pod_groups_json())
    }
    /// The time the profiles cover.
    #[getter]
    fn window(&self) -> Option<TimeSpan> {
        self.inner.window.as_ref().map(time_span)
    }
    /// One entry per process type, `web` first.
    #[getter]
    fn processes(&self) -> Vec<ProcessSizing> {
        self.inner
            .processes
            .iter()
            .map(|p| ProcessSizing { inner: p.clone() })
            .collect()
    }
    /// Report-level notes.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The entry of a process type (None when the formation has no such type).
    fn process(&self, process_type: &str) -> Option<ProcessSizing> {
        self.inner
            .process(process_type)
            .map(|p| ProcessSizing { inner: p.clone() })
    }
    /// The core's JSON (the same as `dynoshift size --json`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.inner.to_json())
    }
    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .inner
            .processes
            .iter()
            .map(|p| {
                format!(
                    "{}: {}m/{}Mi x{}",
                    p.process_type,
                    p.cpu_request_millicores.value,
                    p.memory_request_mib.value,
                    p.replicas.value
                )
            })
            .collect();
        format!(
            "SizingReport(strategy={:?}, processes=[{}], warnings={})",
            self.inner.strategy.as_str(),
            parts.join(", "),
            self.inner.warnings.len()
        )
    }
}

/// Backtest figures of one strategy for one process type.
#[pyclass(module = "dynoshift", frozen, get_all)]
#[derive(Debug, Clone)]
pub struct BacktestRow {
    /// Strategy.
    pub strategy: String,
    /// Process type.
    pub process_type: String,
    /// Recommended CPU request, millicores.
    pub cpu_request_millicores: u32,
    /// Recommended memory request, MiB.
    pub memory_request_mib: u32,
    /// Recommended memory limit, MiB.
    pub memory_limit_mib: u32,
    /// Evaluation memory samples.
    pub memory_samples: u64,
    /// Highest evaluation `memory_total`, MiB.
    pub memory_max_mib: f64,
    /// Samples above the memory limit (OOM kills on Kubernetes).
    pub memory_exceedances: u64,
    /// 1 − mean usage / request.
    pub memory_slack: f64,
    /// Evaluation load samples.
    pub cpu_samples: u64,
    /// Dyno-minutes with a sample above the CPU request.
    pub cpu_minutes_above_request: u64,
    /// Mean unused share of the CPU request.
    pub cpu_slack: f64,
}

#[pymethods]
impl BacktestRow {
    fn __repr__(&self) -> String {
        format!(
            "BacktestRow(strategy={:?}, process_type={:?}, memory_limit_mib={}, \
             memory_exceedances={}, memory_slack={:.3})",
            self.strategy,
            self.process_type,
            self.memory_limit_mib,
            self.memory_exceedances,
            self.memory_slack
        )
    }
}

/// Totals of one strategy over the process types.
#[pyclass(module = "dynoshift", frozen, get_all)]
#[derive(Debug, Clone)]
pub struct StrategySummary {
    /// Strategy.
    pub strategy: String,
    /// Memory exceedances, all process types.
    pub memory_exceedances: u64,
    /// Mean memory slack over the process types with samples.
    pub mean_memory_slack: f64,
    /// Mean CPU slack over the process types with samples.
    pub mean_cpu_slack: f64,
    /// CPU minutes above request, all process types.
    pub cpu_minutes_above_request: u64,
    /// No memory exceedance and mean memory slack ≤ 25%.
    pub meets_target: bool,
}

#[pymethods]
impl StrategySummary {
    fn __repr__(&self) -> String {
        format!(
            "StrategySummary(strategy={:?}, memory_exceedances={}, mean_memory_slack={:.3}, \
             meets_target={})",
            self.strategy,
            self.memory_exceedances,
            self.mean_memory_slack,
            if self.meets_target { "True" } else { "False" }
        )
    }
}

/// The result of `backtest` / `backtest_lines`.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct BacktestReport {
    inner: sz::BacktestReport,
}

#[pymethods]
impl BacktestReport {
    /// The time the recommendation was fitted on.
    #[getter]
    fn fit_window(&self) -> Option<TimeSpan> {
        self.inner.fit_window.as_ref().map(time_span)
    }
    /// The time it was evaluated on.
    #[getter]
    fn eval_window(&self) -> Option<TimeSpan> {
        self.inner.eval_window.as_ref().map(time_span)
    }
    /// Per strategy and process type.
    #[getter]
    fn rows(&self) -> Vec<BacktestRow> {
        self.inner
            .rows
            .iter()
            .map(|r| BacktestRow {
                strategy: r.strategy.as_str().to_owned(),
                process_type: r.process_type.clone(),
                cpu_request_millicores: r.cpu_request_millicores,
                memory_request_mib: r.memory_request_mib,
                memory_limit_mib: r.memory_limit_mib,
                memory_samples: r.memory_samples,
                memory_max_mib: r.memory_max_mib,
                memory_exceedances: r.memory_exceedances,
                memory_slack: r.memory_slack,
                cpu_samples: r.cpu_samples,
                cpu_minutes_above_request: r.cpu_minutes_above_request,
                cpu_slack: r.cpu_slack,
            })
            .collect()
    }
    /// Per strategy.
    #[getter]
    fn summary(&self) -> Vec<StrategySummary> {
        self.inner
            .summary
            .iter()
            .map(|s| StrategySummary {
                strategy: s.strategy.as_str().to_owned(),
                memory_exceedances: s.memory_exceedances,
                mean_memory_slack: s.mean_memory_slack,
                mean_cpu_slack: s.mean_cpu_slack,
                cpu_minutes_above_request: s.cpu_minutes_above_request,
                meets_target: s.meets_target,
            })
            .collect()
    }
    /// The readable table `dynoshift backtest` prints.
    fn table(&self) -> String {
        self.inner.table()
    }
    /// The core's JSON (the same as `dynoshift backtest --json`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.inner.to_json())
    }
    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .inner
            .summary
            .iter()
            .map(|s| format!("{}: {} OOMs", s.strategy.as_str(), s.memory_exceedances))
            .collect();
        format!(
            "BacktestReport(rows={}, summary=[{}])",
            self.inner.rows.len(),
            parts.join(", ")
        )
    }
}

fn policy(py: Python<'_>, policy: Option<&Bound<'_, PyAny>>) -> PyResult<sz::SizingPolicy> {
    sz::SizingPolicy::from_json_or_default(json_text(py, policy)?.as_deref()).py_err()
}

fn backtest_args(
    py: Python<'_>,
    policy: Option<&Bound<'_, PyAny>>,
    strategies: Option<Vec<String>>,
    fit_fraction: Option<f64>,
) -> PyResult<sz::BacktestArgs> {
    let policy = json_text(py, policy)?;
    sz::BacktestArgs::from_parts(
        policy.as_deref(),
        &strategies.unwrap_or_default(),
        fit_fraction,
    )
    .py_err()
}

/// Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
#[pyfunction]
#[pyo3(signature = (formation, log_paths, policy=None))]
pub fn recommend_sizing(
    py: Python<'_>,
    formation: &Formation,
    log_paths: Vec<PathBuf>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<SizingReport> {
    let policy = self::policy(py, policy)?;
    let formation = &formation.inner;
    let inner = py
        .detach(|| sz::recommend_paths(formation, &log_paths, &policy))
        .py_err()?;
    Ok(SizingReport { inner })
}

/// Sizes every process type of `formation` from log lines held in memory.
#[pyfunction]
#[pyo3(signature = (formation, lines, policy=None))]
pub fn recommend_lines(
    py: Python<'_>,
    formation: &Formation,
    lines: Vec<String>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<SizingReport> {
    let policy = self::policy(py, policy)?;
    let formation = &formation.inner;
    let inner = py
        .detach(|| sz::recommend_lines(formation, lines.iter().map(String::as_str), &policy))
        .py_err()?;
    Ok(SizingReport { inner })
}

/// Backtests log files (what `dynoshift backtest --formation --logs` does): split at
/// `fit_fraction` of their time span, fit `policy` under each of `strategies` (None: all) on
/// the first part, replay the rest. Runs without the GIL.
#[pyfunction]
#[pyo3(signature = (formation, log_paths, policy=None, strategies=None, fit_fraction=None))]
pub fn backtest(
    py: Python<'_>,
    formation: &Formation,
    log_paths: Vec<PathBuf>,
    policy: Option<&Bound<'_, PyAny>>,
    strategies: Option<Vec<String>>,
    fit_fraction: Option<f64>,
) -> PyResult<BacktestReport> {
    let args = backtest_args(py, policy, strategies, fit_fraction)?;
    let formation = &formation.inner;
    let inner = py
        .detach(|| args.run_paths(formation, &log_paths))
        .py_err()?;
    Ok(BacktestReport { inner })
}

/// `backtest` on log lines held in memory.
#[pyfunction]
#[pyo3(signature = (formation, lines, policy=None, strategies=None, fit_fraction=None))]
pub fn backtest_lines(
    py: Python<'_>,
    formation: &Formation,
    lines: Vec<String>,
    policy: Option<&Bound<'_, PyAny>>,
    strategies: Option<Vec<String>>,
    fit_fraction: Option<f64>,
) -> PyResult<BacktestReport> {
    let args = backtest_args(py, policy, strategies, fit_fraction)?;
    let formation = &formation.inner;
    let inner = py
        .detach(|| args.run_lines(formation, lines.iter().map(String::as_str)))
        .py_err()?;
    Ok(BacktestReport { inner })
}

/// Kubernetes manifests for `report` as multi-document YAML (warnings first, as `# dynoshift:
/// warning:` comments): per process type with dynos a Deployment, an HPA where it autoscales
/// and a PodDisruptionBudget; for web a Service and an ALB Ingress; the config Secret; the
/// release Job. `options`: `image` (required), `namespace`, `app` (objects are named
/// `<app>-<process type>`), `port`, `health_path`, `liveness_probe`, `pre_stop_seconds`,
/// `domains`, `certificate_arn`, `config_vars` (name -> value), `addon_config_vars`,
/// `include_values` (see `dynoshift manifests --help`).
#[pyfunction]
pub fn manifests(
    py: Python<'_>,
    report: &SizingReport,
    options: &Bound<'_, PyMapping>,
) -> PyResult<String> {
    let options = PyDict::from_sequence(&options.items()?.into_any())?;
    let text = json_text(py, Some(options.as_any()))?.unwrap_or_else(|| "{}".to_owned());
    let options = core::ManifestOptions::from_json(&text).py_err()?;
    let report = &report.inner;
    py.detach(|| core::manifests::render(report, &options))
        .py_err()
}

/// Parses manifests YAML (as `manifests` writes it) back into the objects, as a list of dicts
/// with the Kubernetes field names (`kind`, `apiVersion`, `metadata`, `spec`).
#[pyfunction]
pub fn parse_manifests(py: Python<'_>, yaml: &str) -> PyResult<Py<PyAny>> {
    let text = py
        .detach(|| core::manifests::from_yaml_to_json(yaml))
        .py_err()?;
    from_json_text(py, &text)
}

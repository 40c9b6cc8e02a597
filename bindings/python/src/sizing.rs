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
use crate::convert::{from_json_text, json, json_text};
use crate::errors::IntoPy;

dynoshift::result_type!(Explanation => py_result {
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.to_json())
    }
});

dynoshift::result_type!(Explained => py_result {
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.to_json())
    }
});

dynoshift::result_type!(HpaSizing => py_result {
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
});

dynoshift::result_type!(ProcessSizing => py_result {
    /// The core's JSON.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.to_json())
    }
});

dynoshift::result_type!(SizingReport => py_result {
    /// Parses a report written by `to_json()` (or `dynoshift size --json`).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<SizingReport> {
        let inner = py.detach(|| sz::SizingReport::from_json(text)).py_err()?;
        Ok(SizingReport { inner })
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
    /// The entry of a process type (None when the formation has no such type).
    fn process(&self, process_type: &str) -> Option<ProcessSizing> {
        self.inner.process(process_type).map(Into::into)
    }
    /// The core's JSON (the same as `dynoshift size --json`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// The core's JSON as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_json_text(py, &self.inner.to_json())
    }
});

dynoshift::result_type!(BacktestRow => py_result {});

dynoshift::result_type!(StrategySummary => py_result {});

dynoshift::result_type!(BacktestReport => py_result {
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
});

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

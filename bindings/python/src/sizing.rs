//! Container sizing: plain data out (dicts in the core's JSON shape, every number with its
//! explanation). Pure compute, so sync, with the GIL released while the core works.

use std::path::PathBuf;

use dynoshift as core;
use pyo3::prelude::*;

use crate::Formation;
use crate::convert::{from_json_text, json_text};
use crate::errors::IntoPy;

fn policy(
    py: Python<'_>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<core::sizing::SizingPolicy> {
    match json_text(py, policy)? {
        Some(text) => core::sizing::SizingPolicy::from_json(&text).py_err(),
        None => Ok(core::sizing::SizingPolicy::default()),
    }
}

/// Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
#[pyfunction]
#[pyo3(signature = (formation, log_paths, policy=None))]
pub fn recommend_sizing(
    py: Python<'_>,
    formation: &Formation,
    log_paths: Vec<PathBuf>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let policy = self::policy(py, policy)?;
    let formation = formation.inner.clone();
    let report = py
        .detach(move || core::sizing::recommend_paths(&formation, &log_paths, &policy))
        .py_err()?;
    from_json_text(py, &report.to_json())
}

/// Sizes every process type of `formation` from log lines held in memory.
#[pyfunction]
#[pyo3(signature = (formation, lines, policy=None))]
pub fn recommend_lines(
    py: Python<'_>,
    formation: &Formation,
    lines: Vec<String>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let policy = self::policy(py, policy)?;
    let formation = formation.inner.clone();
    let report = py
        .detach(move || {
            core::sizing::recommend_lines(&formation, lines.iter().map(String::as_str), &policy)
        })
        .py_err()?;
    from_json_text(py, &report.to_json())
}

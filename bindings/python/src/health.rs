//! Health gates described as data (the core's gate configs as JSON).

use std::sync::Arc;

use dynoshift::health::{Gate, gates_from_json};
use pyo3::prelude::*;

use crate::errors::IntoPy;

/// Builds the gates of a JSON config (a list of gates or `{"gates": [...]}`).
pub(crate) fn build(json: &str) -> PyResult<Vec<Arc<dyn Gate>>> {
    gates_from_json(json).py_err()
}

/// Checks a gate config (`http`, `prometheus`, `baseline` gates) and returns the gates' names;
/// `InvalidInputError` names the gate and field at fault (`gates[1].url`).
#[pyfunction]
pub fn validate_gates(json_text: &str) -> PyResult<Vec<String>> {
    Ok(build(json_text)?.iter().map(|g| g.name()).collect())
}

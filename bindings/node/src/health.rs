//! Health gates described as data (the core's gate configs as JSON).

use dynoshift::health::gates_from_json;
use napi_derive::napi;

use crate::errors::{IntoJs, Result};

/// Checks a gate config (`http`, `prometheus`, `baseline` gates; a list or `{gates: [...]}`)
/// and returns the gates' names; throws with `code === 'invalid_input'` naming the gate and
/// field at fault (`gates[1].url`).
#[napi]
pub fn validate_gates(json_text: String) -> Result<Vec<String>> {
    Ok(gates_from_json(&json_text)
        .js_err()?
        .iter()
        .map(|g| g.name())
        .collect())
}

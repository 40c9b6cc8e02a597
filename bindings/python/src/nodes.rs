//! EC2 node planning: the core's `nodes::ops` as sync functions taking a `Mapping` (the op's
//! request) and returning a `dict` (the op's response), both in the core's JSON shape. The
//! core call runs with the GIL released.

use dynoshift::nodes::ops;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};

use crate::convert::{from_json_text, json_text};
use crate::errors::IntoPy;

/// `request` (a Mapping) → JSON text → `ops::call_json(op, ..)` without the GIL → `dict`.
fn call(py: Python<'_>, op: &'static str, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    // Any Mapping, not only dict, becomes a dict that `json.dumps` accepts.
    let request = PyDict::from_sequence(&request.items()?.into_any())?;
    let text = json_text(py, Some(request.as_any()))?.unwrap_or_else(|| "{}".to_owned());
    let answer = py.detach(|| ops::call_json(op, &text)).py_err()?;
    from_json_text(py, &answer)
}

/// Kube-reserved memory (`max_pods`) and CPU (`vcpu`) of a node: `{memory_mib, cpu_millis}`.
#[pyfunction]
pub fn kube_reserved(py: Python<'_>, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    call(py, "kube_reserved", request)
}

/// Max pods from the ENI limits (`max_enis`, `ipv4_per_eni`): `{max_pods}`.
#[pyfunction]
pub fn max_pods(py: Python<'_>, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    call(py, "max_pods", request)
}

/// What a node type leaves for pods (`instance_type` or inline `instance`, `catalog`, `model`).
#[pyfunction]
pub fn allocatable(py: Python<'_>, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    call(py, "allocatable", request)
}

/// The cheapest node mix for `pods` (`options`, `catalog`), with its cost, lower bound, gap and
/// the FFD baseline. `InfeasibleError` names a pod no allowed type can hold.
#[pyfunction]
pub fn plan_nodes(py: Python<'_>, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    call(py, "plan", request)
}

/// Heroku's monthly bill (`formation`, `prices`) against AWS's for the planned nodes (`plan`,
/// `aws`), with the saving and the capacity ratio.
#[pyfunction]
pub fn compare_bill(py: Python<'_>, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    call(py, "bill", request)
}

/// A Karpenter NodePool and EC2NodeClass restricted to the plan's types (`plan`, `options`).
#[pyfunction]
pub fn karpenter_config(py: Python<'_>, request: &Bound<'_, PyMapping>) -> PyResult<Py<PyAny>> {
    call(py, "karpenter", request)
}

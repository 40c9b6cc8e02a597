//! `drained`: is Heroku really drained after promotion (residual router traffic per hostname)?

use dynoshift as core;
use pyo3::prelude::*;

use crate::cutover::CutoverPlan;
use crate::errors::IntoPy;

dynoshift::result_type!(DrainReport => py_result {
    /// The last `n` buckets of each hostname, as text lines.
    #[pyo3(signature = (n = 12))]
    fn tail(&self, n: usize) -> Vec<String> {
        self.inner.tail(n)
    }
    /// The whole report (hosts with their curves) as JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Judges Heroku's residual traffic after promotion: router log `lines`, or the drain
/// receiver's `profiles_json` (exactly one), at `now` (RFC 3339; None: the clock), against the
/// plan's `drained` section (default 1 rpm for 24 h).
#[pyfunction]
#[pyo3(signature = (plan, lines = None, profiles_json = None, now = None))]
pub fn drained(
    py: Python<'_>,
    plan: &CutoverPlan,
    lines: Option<Vec<String>>,
    profiles_json: Option<String>,
    now: Option<String>,
) -> PyResult<DrainReport> {
    let plan = plan.inner.clone();
    py.detach(move || {
        core::cutover::drained::drained_from(
            &plan,
            lines.as_deref(),
            profiles_json.as_deref(),
            now.as_deref(),
        )
    })
    .py_err()
    .map(|inner| DrainReport { inner })
}

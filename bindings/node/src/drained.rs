//! `drained`: is Heroku really drained after promotion (residual router traffic per hostname)?

use dynoshift as core;
use napi_derive::napi;

use crate::cutover::CutoverPlan;
use crate::errors::{IntoJs, Result};

dynoshift::result_type!(DrainReport => js_result {});

#[napi]
impl DrainReport {
    /// The last `n` (default 12) buckets of each hostname, as text lines.
    #[napi]
    pub fn tail(&self, n: Option<u32>) -> Vec<String> {
        self.inner.tail(n.unwrap_or(12) as usize)
    }
    /// The whole report (hosts with their curves) as JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// What `drained` judges: router log `lines` or the drain receiver's `profilesJson` (exactly
/// one), at `now` (RFC 3339; absent: the clock).
#[napi(object)]
#[derive(Debug, Default)]
pub struct DrainedOptions {
    pub lines: Option<Vec<String>>,
    pub profiles_json: Option<String>,
    pub now: Option<String>,
}

/// Judges Heroku's residual traffic after promotion against the plan's `drained` section
/// (default 1 rpm for 24 h).
#[napi]
pub fn drained(plan: &CutoverPlan, options: DrainedOptions) -> Result<DrainReport> {
    core::cutover::drained::drained_from(
        &plan.inner,
        options.lines.as_deref(),
        options.profiles_json.as_deref(),
        options.now.as_deref(),
    )
    .js_err()
    .map(|inner| DrainReport { inner })
}

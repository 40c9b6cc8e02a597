//! `drained`: is Heroku really drained after promotion (residual router traffic per hostname)?

use std::sync::Arc;

use dynoshift as core;

use crate::cutover::CutoverPlan;
use crate::errors::Result;

dynoshift::result_type!(DrainReport => rb_result {
    /// The last `n` buckets of each hostname, as text lines.
    #[uniffi::method(default(n = 12))]
    pub fn tail(&self, n: u32) -> Vec<String> {
        self.inner.tail(n as usize)
    }
    /// The whole report (hosts with their curves) as JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Judges Heroku's residual traffic after promotion: router log `lines`, or the drain
/// receiver's `profiles_json` (exactly one), at `now` (RFC 3339; nil: the clock), against the
/// plan's `drained` section (default 1 rpm for 24 h).
#[uniffi::export(default(lines = None, profiles_json = None, now = None))]
pub fn drained(
    plan: Arc<CutoverPlan>,
    lines: Option<Vec<String>>,
    profiles_json: Option<String>,
    now: Option<String>,
) -> Result<Arc<DrainReport>> {
    let inner = core::cutover::drained::drained_from(
        &plan.inner,
        lines.as_deref(),
        profiles_json.as_deref(),
        now.as_deref(),
    )?;
    Ok(Arc::new(DrainReport { inner }))
}

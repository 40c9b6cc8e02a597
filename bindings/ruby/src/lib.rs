//! Ruby glue for dynoshift through UniFFI: argument conversion, a call into the core, result or
//! error conversion. No behaviour lives here. `uniffi-bindgen` (bindings/ruby/bindgen) turns
//! the built library into the `Dynoshift` Ruby module; `lib/dynoshift.rb` loads it.

#[macro_use]
mod convert;
mod cutover;
mod drain;
mod drained;
mod errors;
mod fleet;
mod heroku_api;
mod ingest;
mod logging;
mod nodes;
mod sizing;

use std::collections::HashMap;
use std::sync::Arc;

use dynoshift as core;

pub use convert::{ApiDynoSize, CostLine, CostReport, DynoSize, Process};
pub use cutover::{
    AppPlans, Cutover, CutoverEventRecord, CutoverOutcome, CutoverPlan, DryRunReport, DryRunStep,
    EventListener, Finding, GateCallback, Journal, MemoryZone, PreflightReport, Route53,
};
pub use drain::{DrainServer, serve_drain};
pub use drained::{DrainReport, drained};
pub use errors::{FfiError, Result};
pub use heroku_api::HerokuClient;
pub use ingest::{InputIssue, LineCounts, Profiles, SynthReport, TimeSpan, UnparsedExample};
pub use logging::{LogListener, set_logger};
pub use nodes::{allocatable, compare_bill, karpenter_config, kube_reserved, max_pods, plan_nodes};
pub use sizing::{
    BacktestReport, BacktestRow, Explained, Explanation, HpaSizing, ProcessSizing, SizingReport,
    StrategySummary, backtest, backtest_lines, manifests, parse_manifests, recommend_lines,
    recommend_sizing,
};

uniffi::setup_scaffolding!("dynoshift");

dynoshift::result_type!(Formation => rb_result {
    /// Parses the Platform API formation array or `{"web": {"size": ..., "quantity": ...}}`.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Formation>> {
        Ok(Arc::new(Formation {
            inner: core::Formation::from_json(&text)?,
        }))
    }

    /// Monthly Heroku cost; `prices` maps dyno size names to USD per dyno per month.
    #[uniffi::method(default(prices = None))]
    pub fn monthly_cost(&self, prices: Option<HashMap<String, f64>>) -> Result<Arc<CostReport>> {
        let prices =
            core::Prices::from_pairs(prices.iter().flatten().map(|(k, v)| (k.as_str(), *v)))?;
        Ok(Arc::new((&self.inner.monthly_cost(&prices)?).into()))
    }

    /// The normalised formation as the core's JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Looks up a dyno size by name (case-insensitive; legacy and Fir names accepted).
#[uniffi::export]
pub fn dyno_size(name: String) -> Result<Arc<DynoSize>> {
    Ok(Arc::new((&core::DynoSize::lookup(&name)?).into()))
}

/// Every current dyno size in the built-in catalog.
#[uniffi::export]
pub fn dyno_sizes() -> Vec<Arc<DynoSize>> {
    core::DynoSize::all()
        .iter()
        .map(|s| Arc::new(s.into()))
        .collect()
}

/// Parses one Heroku log line (router, runtime-metrics, app, ...) into the core's JSON:
/// `kind`, the envelope and the fields. Never fails: unknown lines come back as `unparsed`.
#[uniffi::export]
pub fn parse_line(line: String) -> String {
    core::parse_line(&line).to_json()
}

/// The stable error kinds shared by every language, e.g. `invalid_input`.
#[uniffi::export]
pub fn error_kinds() -> Vec<String> {
    core::ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect()
}

/// The version of the native library (the crate version).
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

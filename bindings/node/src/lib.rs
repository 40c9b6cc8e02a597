//! Node glue for dynoshift: argument conversion, a call into the core, result or error
//! conversion. No behaviour lives here.

#[macro_use]
mod convert;
mod cutover;
mod drain;
mod drained;
mod errors;
mod fleet;
mod health;
mod heroku_api;
mod ingest;
mod logging;
mod nodes;
pub mod sizing;

use std::collections::HashMap;

use dynoshift as core;
use errors::{IntoJs, Result};
use napi_derive::napi;

pub use convert::{ApiDynoSize, CostLine, CostReport, DynoSize, Process};
pub use cutover::{
    Cutover, CutoverOptions, CutoverOutcome, CutoverPlan, DryRunReport, DryRunStep, Finding,
    GateVerdict, MemoryZone, MemoryZoneOptions, PreflightReport, Route53, Route53Config, dry_run,
    preflight, read_journal,
};
pub use drain::{DrainServeOptions, DrainServer, serve_drain};
pub use drained::{DrainReport, DrainedOptions, drained};
pub use fleet::{Fleet, FleetOptions, FleetReport};
pub use health::validate_gates;
pub use heroku_api::{HerokuClient, HerokuClientOptions};
pub use ingest::{
    Ingest, InputIssue, LineCounts, Profiles, SynthReport, TimeSpan, UnparsedExample, ingest,
    synth_logs,
};
pub use logging::set_logger;
pub use nodes::{allocatable, compare_bill, karpenter_config, kube_reserved, max_pods, plan_nodes};
pub use sizing::{
    BacktestReport, BacktestRow, Explained, Explanation, HpaSizing, ProcessSizing, SizingReport,
    StrategySummary, backtest, backtest_lines, manifests, parse_manifests,
};

dynoshift::result_type!(Formation => js_result {});

#[napi]
impl Formation {
    /// Parses the Platform API formation array or `{"web": {"size": ..., "quantity": ...}}`.
    #[napi(factory)]
    pub fn from_json(text: String) -> Result<Formation> {
        Ok(Formation {
            inner: core::Formation::from_json(&text).js_err()?,
        })
    }

    /// Monthly Heroku cost; `prices` maps dyno size names to USD per dyno per month.
    #[napi]
    pub fn monthly_cost(&self, prices: Option<HashMap<String, f64>>) -> Result<CostReport> {
        let prices =
            core::Prices::from_pairs(prices.iter().flatten().map(|(k, v)| (k.as_str(), *v)))
                .js_err()?;
        Ok(CostReport {
            inner: self.inner.monthly_cost(&prices).js_err()?,
        })
    }

    /// The normalised formation as the core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Looks up a dyno size by name (case-insensitive; legacy and Fir names accepted).
#[napi]
pub fn dyno_size(name: String) -> Result<DynoSize> {
    Ok(DynoSize {
        inner: core::DynoSize::lookup(&name).js_err()?,
    })
}

/// Every current dyno size in the built-in catalog.
#[napi]
pub fn dyno_sizes() -> Vec<DynoSize> {
    core::DynoSize::all()
        .into_iter()
        .map(|inner| DynoSize { inner })
        .collect()
}

/// The stable error kinds shared by every language (`err.code` is one of them).
#[napi]
pub fn error_kinds() -> Vec<String> {
    core::ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect()
}

/// Parses one Heroku log line (any framing) and returns the result as the core's JSON text:
/// `kind` is runtime_metrics, router, process_memory, r14, r15, other or unparsed.
#[napi]
pub fn parse_line(line: String) -> String {
    core::parse_line(&line).to_json()
}

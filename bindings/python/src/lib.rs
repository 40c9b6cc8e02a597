//! Python glue for dynoshift: argument conversion, a call into the core, result or error
//! conversion. No behaviour lives here.

mod aio;
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
mod sizing;

use std::collections::BTreeMap;

use dynoshift as core;
use errors::IntoPy;
use pyo3::prelude::*;

// Every declared result type at the crate root (the declarations name each other `crate::T`).
pub use convert::{ApiDynoSize, CostLine, CostReport, DynoSize, Process};
pub use cutover::{
    AppPlans, CutoverOutcome, CutoverPlan, DryRunReport, DryRunStep, Finding, PreflightReport,
};
pub use drained::DrainReport;
pub use fleet::FleetReport;
pub use ingest::{InputIssue, LineCounts, Profiles, SynthReport, TimeSpan, UnparsedExample};
pub use sizing::{
    BacktestReport, BacktestRow, Explained, Explanation, HpaSizing, ProcessSizing, SizingReport,
    StrategySummary,
};

dynoshift::result_type!(Formation => py_result {
    /// Parses the Platform API formation array or `{"web": {"size": ..., "quantity": ...}}`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Formation> {
        Ok(Formation {
            inner: core::Formation::from_json(text).py_err()?,
        })
    }

    /// Monthly Heroku cost; `prices` maps dyno size names to USD per dyno per month.
    #[pyo3(signature = (prices=None))]
    fn monthly_cost(&self, prices: Option<BTreeMap<String, f64>>) -> PyResult<convert::CostReport> {
        let prices =
            core::Prices::from_pairs(prices.iter().flatten().map(|(k, v)| (k.as_str(), *v)))
                .py_err()?;
        Ok((&self.inner.monthly_cost(&prices).py_err()?).into())
    }

    /// The normalised formation as the core's JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Looks up a dyno size by name (case-insensitive; legacy and Fir names accepted).
#[pyfunction]
fn dyno_size(name: &str) -> PyResult<convert::DynoSize> {
    Ok((&core::DynoSize::lookup(name).py_err()?).into())
}

/// Every current dyno size in the built-in catalog.
#[pyfunction]
fn dyno_sizes() -> Vec<convert::DynoSize> {
    core::DynoSize::all().iter().map(Into::into).collect()
}

/// Parses one Heroku log line (any framing) and returns the result as the core's JSON text:
/// `kind` is runtime_metrics, router, process_memory, r14, r15, other or unparsed.
#[pyfunction]
fn parse_line(line: &str) -> String {
    core::parse_line(line).to_json()
}

/// The stable error kinds shared by every language, e.g. `invalid_input`.
#[pyfunction]
fn error_kinds() -> Vec<&'static str> {
    core::ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// Sizing results, backtest and manifests.
fn sizing_exports(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<sizing::Explanation>()?;
    m.add_class::<sizing::Explained>()?;
    m.add_class::<sizing::HpaSizing>()?;
    m.add_class::<sizing::ProcessSizing>()?;
    m.add_class::<sizing::SizingReport>()?;
    m.add_class::<sizing::BacktestRow>()?;
    m.add_class::<sizing::StrategySummary>()?;
    m.add_class::<sizing::BacktestReport>()?;
    m.add_function(wrap_pyfunction!(sizing::backtest, m)?)?;
    m.add_function(wrap_pyfunction!(sizing::backtest_lines, m)?)?;
    m.add_function(wrap_pyfunction!(sizing::manifests, m)?)?;
    m.add_function(wrap_pyfunction!(sizing::parse_manifests, m)?)?;
    Ok(())
}

#[pymodule]
fn _dynoshift(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    aio::register_exit_hook(m)?;
    m.add_class::<Formation>()?;
    m.add_class::<convert::Process>()?;
    m.add_class::<convert::DynoSize>()?;
    m.add_class::<convert::CostReport>()?;
    m.add_class::<convert::CostLine>()?;
    m.add_class::<convert::ApiDynoSize>()?;
    m.add_class::<heroku_api::HerokuClient>()?;
    m.add_class::<cutover::CutoverPlan>()?;
    m.add_class::<cutover::Route53>()?;
    m.add_class::<cutover::MemoryZone>()?;
    m.add_class::<cutover::Finding>()?;
    m.add_class::<cutover::PreflightReport>()?;
    m.add_class::<cutover::DryRunStep>()?;
    m.add_class::<cutover::DryRunReport>()?;
    m.add_class::<cutover::CutoverOutcome>()?;
    m.add_class::<cutover::Cutover>()?;
    m.add_class::<cutover::AppPlans>()?;
    m.add_class::<fleet::Fleet>()?;
    m.add_class::<fleet::FleetReport>()?;
    m.add_function(wrap_pyfunction!(cutover::plans_from_heroku_app, m)?)?;
    m.add_function(wrap_pyfunction!(cutover::preflight, m)?)?;
    m.add_function(wrap_pyfunction!(cutover::dry_run, m)?)?;
    m.add_function(wrap_pyfunction!(cutover::read_journal, m)?)?;
    m.add_class::<drained::DrainReport>()?;
    m.add_function(wrap_pyfunction!(drained::drained, m)?)?;
    m.add_function(wrap_pyfunction!(dyno_size, m)?)?;
    m.add_function(wrap_pyfunction!(dyno_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(parse_line, m)?)?;
    m.add_function(wrap_pyfunction!(sizing::recommend_sizing, m)?)?;
    m.add_function(wrap_pyfunction!(sizing::recommend_lines, m)?)?;
    sizing_exports(m)?;
    m.add_class::<ingest::Ingest>()?;
    m.add_class::<ingest::Profiles>()?;
    m.add_class::<ingest::LineCounts>()?;
    m.add_class::<ingest::UnparsedExample>()?;
    m.add_class::<ingest::InputIssue>()?;
    m.add_class::<ingest::TimeSpan>()?;
    m.add_class::<ingest::SynthReport>()?;
    m.add_function(wrap_pyfunction!(ingest::ingest, m)?)?;
    m.add_function(wrap_pyfunction!(drain::serve_drain, m)?)?;
    m.add_class::<drain::DrainServer>()?;
    m.add_function(wrap_pyfunction!(ingest::synth_logs, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::kube_reserved, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::max_pods, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::allocatable, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::plan_nodes, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::compare_bill, m)?)?;
    m.add_function(wrap_pyfunction!(nodes::karpenter_config, m)?)?;
    m.add_function(wrap_pyfunction!(health::validate_gates, m)?)?;
    m.add_function(wrap_pyfunction!(logging::set_logger, m)?)?;
    logging::install(m.py())?;
    Ok(())
}

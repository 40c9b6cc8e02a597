//! dynoshift moves a live Heroku app onto Kubernetes on AWS EC2 without dropping requests:
//! it sizes containers from Heroku telemetry, plans EC2 nodes, and shifts DNS in stages through
//! Route53 weighted records while health gates watch the new side.
//!
//! This crate is the whole behaviour; the Python, Node and Ruby packages are thin glue over it.
//! It owns no async runtime: every async function returns a `Send + 'static` future.

pub mod aws;
pub mod cutover;
pub mod dns;
pub mod drain;
pub mod error;
pub mod files;
pub mod finite_json;
pub mod health;
pub mod heroku;
mod jsonerr;
pub mod logging;
pub mod manifests;
pub mod nodes;
mod redact;
pub mod rehearse;
pub mod report;
pub mod results;
pub mod sizing;
pub mod telemetry;
pub mod units;

pub use cutover::{
    Control, Controls, Cutover, CutoverEvent, CutoverPlan, DryRunReport, EventRecord, Gate,
    Observer, Outcome, PreflightReport, RollbackMode, RunOptions, Verdict, VerdictStatus,
};
pub use dns::budget::RequestBudget;
pub use dns::memory::{MemoryOptions, MemoryProvider};
pub use dns::route53::Route53Provider;
pub use dns::serve::DnsServerHandle;
pub use dns::{Clock, DnsProvider, SystemClock, VirtualClock};
pub use error::{Error, ErrorKind, Result};
pub use health::{
    BaselineGate, BaselineGateConfig, GateConfig, GatePolicy, HttpGateConfig, HttpProbeGate,
    ObservedSplitGate, ObservedSplitGateConfig, PrometheusGate, PrometheusGateConfig,
    gates_from_json,
};
pub use heroku::api::{
    ApiDynoCost, ApiDynoSize, DomainKind, HerokuApiOptions, HerokuClient, HerokuDomain, Token,
};
pub use heroku::cost::{CostLine, CostReport, PriceSource, Prices};
pub use heroku::dynos::{Cpu, DynoSize, Generation, HOURS_PER_MONTH, Pricing};
pub use heroku::formation::{Formation, Process};
pub use heroku::logs::{ParsedLine, parse_line};
pub use heroku::synth::{SynthFraming, SynthOptions, SynthReport};
pub use manifests::{Manifest, ManifestOptions};
pub use sizing::{
    BacktestReport, Confidence, Explained, Explanation, HpaSizing, MemoryStatistic, ProcessSizing,
    SizingPolicy, SizingReport, Strategy, backtest, recommend, recommend_lines,
};
pub use telemetry::{Ingest, IngestProgress, Profiles, ingest_paths, ingest_paths_with_progress};

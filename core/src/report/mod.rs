//! The rehearsal/migration report: one self-contained HTML file with SVG charts.
//!
//! [`ReportInput`] is everything the report shows. `dynoshift rehearse` writes it as
//! `rehearsal.json` beside the HTML, and `dynoshift report --input rehearsal.json` renders it
//! again, so the numbers in the page can always be checked against the JSON they came from.
//! `report` also takes the JSON of `cutover preflight --json` (live TLS/parity checks),
//! `cutover drained --json` (the drain curve) and run journals (their warm-up baselines).

mod charts;
mod html;
mod svg;

use serde::{Deserialize, Serialize};

pub use html::render_html;

use crate::cutover::{DrainReport, EventRecord, Outcome, PreflightReport, WarmupBaseline};
use crate::heroku::cost::CostReport;
use crate::heroku::formation::Formation;
use crate::nodes::bill::Bill;
use crate::nodes::pack::Plan;
use crate::sizing::SizingReport;
use crate::telemetry::Profiles;
use crate::{Error, Result};

/// Everything one report shows: the app, what its logs said, what we recommend, what it costs,
/// and the cutover runs (weights over time with each gate verdict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// The page title, e.g. "dynoshift rehearsal — sample app".
    pub title: String,
    /// When the report's data was produced (RFC 3339, UTC).
    pub generated_at: String,
    /// The Heroku formation being migrated.
    pub formation: Formation,
    /// Per-process-type profiles from the ingested logs.
    pub profiles: Profiles,
    /// The container sizing recommended from those profiles.
    pub sizing: SizingReport,
    /// What the formation costs on Heroku.
    pub heroku_cost: CostReport,
    /// The EC2 node plan that holds the recommended pods.
    pub node_plan: Plan,
    /// The plan's bill against Heroku's.
    pub bill: Bill,
    /// The cutover runs, in the order they ran.
    pub cutovers: Vec<CutoverRun>,
    /// The live preflight of both targets (`dynoshift cutover preflight --json`): which TLS and
    /// parity checks ran, which were skipped and why, and their findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<PreflightReport>,
    /// Warm-up baselines of real runs (read from their journals); a cutover run's own warm-up
    /// is its `warmup_baseline` event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warmups: Vec<WarmupBaseline>,
    /// Heroku's residual traffic after promotion (`dynoshift cutover drained --json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drained: Option<DrainReport>,
}

/// One staged cutover as the report draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CutoverRun {
    /// A short name, e.g. "healthy" or "fault at 25%".
    pub name: String,
    /// What the run was expected to end as: "promoted" or "rolled_back".
    pub expected: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Every event the engine emitted, in order (weights, gate verdicts, rollback).
    pub events: Vec<EventRecord>,
}

impl ReportInput {
    /// Reads a report input from its JSON text (what `rehearse` writes as `rehearsal.json`).
    pub fn from_json(text: &str) -> Result<ReportInput> {
        serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!(
                "not a dynoshift report input ({e}); pass the rehearsal.json written by `dynoshift rehearse`"
            ))
        })
    }

    /// The input as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report input serialises")
    }
}

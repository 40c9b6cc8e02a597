//! The staged Route53 cutover: plan, preflight, dry run, engine (state machine), journal,
//! lock, gates and events. See DESIGN.md, "The cutover engine, in one picture".

pub mod dryrun;
pub mod engine;
pub mod events;
pub mod gate;
pub mod journal;
pub mod lock;
pub mod plan;
pub mod preflight;

pub use dryrun::{DryRunReport, DryRunStep, dry_run};
pub use engine::{Control, Controls, Cutover, RunOptions, read_journal};
pub use events::{CutoverEvent, EventLog, EventRecord, FnObserver, Observer};
pub use gate::{CallbackGate, Gate, GateContext, Verdict, VerdictStatus};
pub use journal::{Journal, JournalFile, Outcome, StepKind, StepStatus, Target};
pub use plan::{CutoverPlan, RollbackMode};
pub use preflight::{Finding, HostReport, HostState, PreflightReport, Severity, preflight};

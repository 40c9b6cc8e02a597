//! The staged Route53 cutover: plan, preflight, dry run, engine (state machine), journal,
//! lock, gates and events. See DESIGN.md, "The cutover engine, in one picture".

pub mod control;
pub mod drained;
pub mod dryrun;
pub mod engine;
pub mod events;
pub mod fleet;
pub mod gate;
pub mod heroku_scale;
pub mod init;
pub mod journal;
pub mod live;
pub mod lock;
pub mod notify;
pub mod plan;
pub mod preflight;
pub mod session;
pub mod store;
pub mod target;
pub mod warmup;

pub use drained::{DrainInput, DrainReport, DrainedConfig, HostDrain, drained};
pub use dryrun::{DryRunReport, DryRunStep, dry_run};
pub use engine::{Control, Controls, Cutover, RunOptions, read_journal};
pub use events::{CutoverEvent, EventLog, EventRecord, FnObserver, Observer};
pub use fleet::{AppReport, FleetApp, FleetBuilder, FleetReport, run_fleet};
pub use gate::{CallbackGate, Gate, GateContext, GatePolicy, Verdict, VerdictStatus};
pub use heroku_scale::{HerokuCheck, HerokuScaling};
pub use init::{
    InitOptions, InitReport, InitWarning, SkippedDomain, ZonePlan, plans_from_app,
    plans_from_domains,
};
pub use journal::{
    Journal, JournalFile, JournalHandle, Outcome, StepKind, StepStatus, Target, load_journal,
};
pub use live::{CheckRun, LiveChecks, ParityCheck, TlsCheck};
pub use notify::{Notifier, NotifyOptions, NotifySink, NotifyStats, SinkStats};
pub use plan::{CutoverPlan, HostEntry, RollbackMode};
pub use preflight::{Finding, HostReport, HostState, PreflightReport, Severity, preflight};
pub use session::{Operation, Session};
pub use store::{JournalLocation, JournalStore};
pub use target::{ControlSlot, DnsTarget, SlotClaim};
pub use warmup::{RouteBaseline, WarmupBaseline, WarmupConfig};

use std::sync::Arc;

use crate::Result;
use crate::dns::memory::{MemoryOptions, MemoryProvider};
use crate::dns::{Change, ChangeAction, Clock, RecordSet};

/// An in-memory zone for rehearsing `plan`: the plan's zone with every hostname a simple CNAME
/// to its Heroku target at the plan's TTL (what `dynoshift cutover run --memory` uses).
pub fn rehearsal_provider(
    plan: &CutoverPlan,
    options: MemoryOptions,
    clock: Arc<dyn Clock>,
) -> Result<MemoryProvider> {
    plan.validate()?;
    let plan = plan.clone().normalized();
    let p = MemoryProvider::new(options).with_clock(clock);
    let zone = p.create_zone(&plan.zone);
    let seed = plan
        .hostnames
        .iter()
        .map(|h| {
            Change::new(
                ChangeAction::Create,
                RecordSet::simple(
                    &h.name,
                    "CNAME",
                    plan.ttl,
                    vec![plan.heroku_target_of(&h.name).to_owned()],
                ),
            )
        })
        .collect();
    p.apply_now(&zone.id, seed, "rehearsal seed")?;
    Ok(p)
}

//! One object that drives a cutover the same way from every front end: the plan (with its own
//! gates and notification sinks), the DNS target, the journal, callback gates and observers
//! from the caller's language, and the controls — both in-process ([`ControlSlot`]) and from
//! another shell (the control record beside the journal, see [`super::control`]).
//!
//! The CLI and the Python, Node and Ruby bindings build a [`Session`] and call
//! [`Session::start`]; they only convert arguments, callbacks and results.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::control::{self, CONTROL_POLL_MS, ControlWatch, LiveRecord};
use super::engine::{Control, Cutover, RunOptions};
use super::events::{CutoverEvent, EventRecord, Observer};
use super::gate::Gate;
use super::journal::{Outcome, load_journal};
use super::notify::Notifier;
use super::plan::{CutoverPlan, RollbackMode};
use super::store::{self, JournalLocation, JournalStore};
use super::target::{ControlSlot, DnsTarget};
use crate::aws::AwsOptions;
use crate::dns::BoxFuture;
use crate::dns::budget::RequestBudget;
use crate::{Error, ErrorKind, Result};

/// What a [`Session`] is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Start a new run (preflight, snapshot, lock, stages).
    Run,
    /// Continue the journaled run.
    Resume,
    /// Restore the original records of the journaled run (mode: the plan's when None).
    Rollback(Option<RollbackMode>),
    /// Go to 100% AWS now, skipping the remaining stages.
    Promote,
}

impl Operation {
    /// The operation's name (`run`, `resume`, `rollback`, `promote`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Operation::Run => "run",
            Operation::Resume => "resume",
            Operation::Rollback(_) => "rollback",
            Operation::Promote => "promote",
        }
    }
}

/// A cutover as every front end drives it. Cheap to clone the controls out of; one operation
/// at a time (a second concurrent [`Session::start`] is a `conflict`).
#[derive(Debug)]
pub struct Session {
    plan: CutoverPlan,
    target: DnsTarget,
    journal: PathBuf,
    location: JournalLocation,
    journal_options: Option<AwsOptions>,
    callback_gates: Vec<Arc<dyn Gate>>,
    observers: Vec<Arc<dyn Observer>>,
    options: RunOptions,
    slot: ControlSlot,
    budget: Option<RequestBudget>,
}

/// Captures the run id from the events (for the heartbeat).
#[derive(Debug, Default)]
struct RunIdTap(Mutex<String>);

impl Observer for RunIdTap {
    fn on_event(&self, event: &EventRecord) {
        let mut id = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if *id != event.run_id {
            id.clone_from(&event.run_id);
        }
    }
}

impl RunIdTap {
    fn get(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Whether `live` (already known to be live) is another process than this one.
fn other_live_process(live: &LiveRecord) -> bool {
    live.pid != std::process::id() || live.host != control::this_host()
}

impl Session {
    /// Checks the plan (including its gates and sinks) and the journal path — a file path or
    /// an `s3://bucket/key` URL (see [`JournalLocation`]); nothing is read or written yet.
    pub fn new(plan: CutoverPlan, target: DnsTarget, journal: impl Into<PathBuf>) -> Result<Self> {
        plan.validate()?;
        let journal = journal.into();
        let location = JournalLocation::from_path(&journal)?;
        let plan = plan.normalized();
        build_plan_gates(&plan)?;
        Ok(Session {
            plan,
            target,
            journal,
            location,
            journal_options: None,
            callback_gates: Vec::new(),
            observers: Vec::new(),
            options: RunOptions::default(),
            slot: ControlSlot::default(),
            budget: None,
        })
    }

    /// Adds a gate given as a callback; it judges next to the plan's own gates.
    pub fn with_callback_gate(mut self, gate: Arc<dyn Gate>) -> Self {
        self.callback_gates.push(gate);
        self
    }

    /// Adds an observer of every event.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observers.push(observer);
        self
    }

    /// Sets the run options.
    pub fn with_options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// How to reach an S3 journal (endpoint URL, region, credentials). Without it, an S3
    /// journal is reached with the Route53 target's options (one endpoint serves both, as
    /// moto does), or the standard AWS chain and environment for an in-memory target.
    pub fn with_journal_options(mut self, options: AwsOptions) -> Self {
        self.journal_options = Some(options);
        self
    }

    /// Sends every Route53 call of this session through `budget` (a fleet shares one bucket
    /// and gives each session its own handle: see [`RequestBudget::share`]). Without it, each
    /// operation's provider has a budget of its own at Route53's default rate.
    pub fn with_budget(mut self, budget: RequestBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The journal's location.
    pub fn journal_location(&self) -> &JournalLocation {
        &self.location
    }

    /// The store holding the journal and its control and live records.
    pub fn journal_store(&self) -> Arc<dyn JournalStore> {
        let options = match (&self.journal_options, &self.target) {
            (Some(o), _) => o.clone(),
            (None, DnsTarget::Route53(o)) => o.clone(),
            (None, DnsTarget::Memory { .. }) => AwsOptions::default(),
        };
        store::open(self.location.clone(), &options)
    }

    /// The plan (normalized).
    pub fn plan(&self) -> &CutoverPlan {
        &self.plan
    }

    /// The journal's path.
    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    /// The controls of the operation in progress (sync calls from the same process).
    pub fn controls(&self) -> &ControlSlot {
        &self.slot
    }

    /// Sends `control` to the operation in progress in this process, or — when none is — to
    /// the run live at the journal in another process (through the control record; a file
    /// journal only, since this call is sync: a run on an S3 journal is steered with
    /// [`control::send_control`] or `dynoshift cutover approve|... --journal s3://...`).
    pub fn send(&self, control: Control) -> Result<()> {
        if self.slot.busy() {
            return self.slot.send(|c| c.send(control));
        }
        if self.location.is_s3() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "no operation is in progress in this process, and a run in another process \
                     on the S3 journal {} is steered asynchronously: use `dynoshift cutover \
                     approve|pause|unpause|abort|promote --journal {}`",
                    self.location, self.location
                ),
            ));
        }
        let store = self.journal_store();
        // a file store answers at once: its future is ready on the first poll
        let send = control::send_control(store.as_ref(), control);
        match ready_now(send) {
            Some(r) => r.map(|_| ()),
            None => Err(Error::internal(
                "the file journal store did not answer at once",
            )),
        }
    }

    /// Starts `op`. The sync part claims the session (`conflict` if an operation is already in
    /// progress) and builds the plan's gates; the returned future does the rest. A run live
    /// in another process at the same journal is steered, not raced: `rollback` and
    /// `promote` are sent to it through the control record (the future settles with the
    /// outcome that run reaches), `run` and `resume` are refused naming it.
    pub fn start(&self, op: Operation) -> Result<BoxFuture<'static, Result<Outcome>>> {
        self.start_with(op, Vec::new(), Vec::new())
    }

    /// [`Session::start`] with callback gates and observers for this operation only, next to
    /// the session's own (a binding builds them per call, bound to the caller's event loop).
    pub fn start_with(
        &self,
        op: Operation,
        gates: Vec<Arc<dyn Gate>>,
        observers: Vec<Arc<dyn Observer>>,
    ) -> Result<BoxFuture<'static, Result<Outcome>>> {
        let claim = self.slot.claim()?;
        let plan_gates = build_plan_gates(&self.plan)?;
        let plan = self.plan.clone();
        let journal = self.journal.clone();
        let store = self.journal_store();
        let mut callback_gates = self.callback_gates.clone();
        callback_gates.extend(gates);
        let mut all_observers = self.observers.clone();
        all_observers.extend(observers);
        let observers = all_observers;
        let tap = Arc::new(RunIdTap::default());
        let notifier = if plan.notify.is_empty() {
            None
        } else {
            Some(Arc::new(Notifier::new(
                &plan.notify,
                warning_relay(observers.clone(), tap.clone()),
            )?))
        };
        let options = self.options;
        let connect = self.target.connect_with_budget(self.budget.clone());
        // Boxed: the whole run's state machine is large (hundreds of KB in debug builds), and
        // every move of it by value is a copy on the caller's stack. A binding hands it through
        // several frames on its language's main thread, whose stack may be small (Node's V8
        // limit is ~1 MB: with async hooks on, a promise created there then overflowed it).
        Ok(Box::pin(async move {
            if let Some(live) = control::live_run(store.as_ref()).await?
                && other_live_process(&live)
            {
                return steer_live(store, &live, op).await;
            }
            if matches!(op, Operation::Run) && plan.checks.is_some() {
                // An unfinished run at the journal refuses a new one at once: the live checks
                // (up to their deadline) are not waited for first.
                if let Some(old) = super::journal::JournalHandle::new(store.clone())
                    .load()
                    .await?
                    && !old.finished()
                {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "journal {} holds unfinished run {}: resume it or roll it back first",
                            store.location(),
                            old.run_id
                        ),
                    ));
                }
                // The plan's live checks (TLS, parity) before anything is locked or written,
                // concurrently and within checks.deadline_seconds.
                let (findings, _) = super::live::run_live_checks(&plan).await;
                let errors: Vec<String> = findings
                    .iter()
                    .filter(|f| f.severity == super::preflight::Severity::Error)
                    .map(|f| f.message.clone())
                    .collect();
                if let Some(first) = findings
                    .iter()
                    .find(|f| f.severity == super::preflight::Severity::Error)
                {
                    return Err(Error::new(
                        first.kind,
                        format!(
                            "the plan's live checks refused the run (nothing was written): {}",
                            errors.join("; ")
                        ),
                    ));
                }
            }
            let (provider, clock) = connect.await;
            let mut cut = Cutover::new(plan, provider, &journal)?
                .with_journal_store(store.clone())
                .with_clock(clock)
                .with_options(options)
                .with_observer(tap.clone());
            for g in plan_gates {
                cut = cut.with_gate(g);
            }
            for g in callback_gates {
                cut = cut.with_callback_gate(g);
            }
            for o in observers {
                cut = cut.with_observer(o);
            }
            if let Some(n) = &notifier {
                cut = cut.with_observer(n.clone());
            }
            let controls = cut.controls();
            claim.set(controls.clone());
            let mut watch = ControlWatch::new(store.clone()).await;
            let run = async move {
                match op {
                    Operation::Run => cut.run().await,
                    Operation::Resume => cut.resume().await,
                    Operation::Rollback(mode) => cut.rollback(mode).await,
                    Operation::Promote => cut.promote().await,
                }
            };
            tokio::pin!(run);
            let result = 'drive: loop {
                tokio::select! {
                    r = &mut run => break 'drive r,
                    () = tokio::time::sleep(Duration::from_millis(CONTROL_POLL_MS)) => {
                        // The tick (a heartbeat write and a control read: S3 calls with retries
                        // for an S3 journal) runs alongside the run, never instead of it: a slow
                        // store must not stop gates, soaks or a rollback.
                        let run_id = tap.get();
                        let tick = watch.tick(&run_id);
                        tokio::pin!(tick);
                        tokio::select! {
                            r = &mut run => break 'drive r,
                            c = &mut tick => {
                                if let Some(c) = c {
                                    tracing::info!("cutover: control from the control record: {c:?}");
                                    let _ = controls.send(c);
                                }
                            }
                        }
                    }
                }
            };
            watch.stop().await;
            if let Some(n) = &notifier {
                // the last events (outcome, lock released) reach the sinks before the caller
                // moves on; a slow sink delays this by at most the bound, never fails it
                if !n.flush(NOTIFY_FLUSH).await {
                    tracing::warn!(
                        "cutover: some notifications were still undelivered after {} s",
                        NOTIFY_FLUSH.as_secs()
                    );
                }
            }
            drop(claim);
            result
        }))
    }
}

/// The output of `fut` if it is ready on its first poll.
fn ready_now<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// How long the end of an operation waits for its notifications.
const NOTIFY_FLUSH: Duration = Duration::from_secs(10);

/// Turns a notifier's warnings into events for the other observers (and the log).
fn warning_relay(
    observers: Vec<Arc<dyn Observer>>,
    tap: Arc<RunIdTap>,
) -> Arc<dyn Fn(CutoverEvent) + Send + Sync> {
    Arc::new(move |event: CutoverEvent| {
        let rec = EventRecord {
            run_id: tap.get(),
            at_ms: control::now_ms(),
            event,
        };
        tracing::warn!(
            run = rec.run_id.as_str(),
            "cutover: {}",
            rec.event.describe()
        );
        for o in &observers {
            o.on_event(&rec);
        }
    })
}

/// The plan's gates, built (`invalid_input` naming `gates[i]`).
fn build_plan_gates(plan: &CutoverPlan) -> Result<Vec<Arc<dyn Gate>>> {
    plan.gate_configs()?
        .iter()
        .enumerate()
        .map(|(i, c)| c.build().map_err(|e| e.at(format!("gates[{i}]"))))
        .collect()
}

/// Sends `op` to the run live in another process and waits for its outcome.
async fn steer_live(
    store: Arc<dyn JournalStore>,
    live: &LiveRecord,
    op: Operation,
) -> Result<Outcome> {
    let journal = store.location().clone();
    let control = match op {
        Operation::Rollback(mode) => Control::Rollback(mode),
        Operation::Promote => Control::Promote,
        Operation::Run | Operation::Resume => {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "run {} is live in process {} on {} (journal {}): it cannot be started or \
                     resumed twice; steer it with cutover approve|pause|abort|promote|rollback, \
                     or wait for it to finish",
                    live.run_id,
                    live.pid,
                    if live.host.is_empty() {
                        "this host"
                    } else {
                        &live.host
                    },
                    journal
                ),
            ));
        }
    };
    control::send_control(store.as_ref(), control).await?;
    tracing::info!(
        "cutover: {} sent to run {} (process {}); waiting for its outcome",
        op.as_str(),
        live.run_id,
        live.pid
    );
    loop {
        tokio::time::sleep(Duration::from_millis(CONTROL_POLL_MS)).await;
        let j = load_journal(store.clone()).await?;
        if let Some(o) = j
            .outcome
            .clone()
            .filter(|o| !matches!(o, Outcome::Paused { .. }))
        {
            return Ok(o);
        }
        let still = control::live_run(store.as_ref())
            .await?
            .filter(other_live_process);
        if still.is_none() {
            let j = load_journal(store.clone()).await?;
            return match j.outcome {
                Some(o) => Ok(o),
                None => Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "run {} stopped before it finished the {}: run cutover {} again to \
                         finish it from the journal",
                        j.run_id,
                        op.as_str(),
                        op.as_str()
                    ),
                )),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_future_is_small_to_move() {
        let plan = CutoverPlan::new(
            vec!["www.example.com".into()],
            "example.com",
            "x.herokudns.com",
            "lb-1.elb.amazonaws.com",
        );
        let target = DnsTarget::rehearsal(&plan, Duration::ZERO, true).unwrap();
        let dir = std::env::temp_dir().join(format!("dynoshift-session-{}", std::process::id()));
        let session = Session::new(plan, target, dir.join("cutover.journal.json")).unwrap();
        let fut = session.start(Operation::Run).unwrap();
        // a binding moves it through several frames of its language's main thread
        assert!(
            std::mem::size_of_val(&fut) <= 2 * std::mem::size_of::<usize>(),
            "{} bytes",
            std::mem::size_of_val(&fut)
        );
        drop(fut);
        assert!(
            !session.controls().busy(),
            "dropping the future frees the session"
        );
    }
}

//! The cutover state machine (see DESIGN.md): snapshot → lock → convert → for each stage
//! (write → INSYNC → TTL → soak with gates) → promote, or rollback (full or graduated).
//! Every transition is journaled before the next action, so [`Cutover::resume`] continues a
//! crashed run exactly where it stopped.
//!
//! This file holds the run's flow (start, resume, controls, lock, the step loop, the outcome);
//! `steps` writes a step's records and waits for INSYNC, `soak` asks the gates during a stage,
//! `heroku` reads and scales the Heroku formation.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::events::{CutoverEvent, EventRecord, Observer};
use super::journal::{
    JOURNAL_VERSION, Journal, JournalFile, JournalHandle, LockRecord, Outcome, RunMode, StepKind,
    StepRecord, StepStatus, Target,
};
use super::lock::{self, LockValue};
use super::plan::{CutoverPlan, RollbackMode};
use super::preflight::check_records;
use crate::cutover::gate::{Gate, VerdictStatus};
use crate::dns::{Clock, DnsProvider, RecordSet, SystemClock};
use crate::{Error, ErrorKind, Result};

mod heroku;
mod soak;
mod steps;

pub(crate) use steps::{desired_records, diff};

/// An operator's command to a running cutover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop at the next step boundary or tick until resumed.
    Pause,
    /// Continue after a pause.
    Resume,
    /// Let the next stage start (when the plan requires approval); also resumes a pause.
    Approve,
    /// Roll back with the plan's mode, reason "aborted by the operator".
    Abort,
    /// Skip the remaining stages: write 100% AWS now (no soak), then finish as promoted.
    Promote,
    /// Roll back now with this mode (or the plan's).
    Rollback(Option<RollbackMode>),
}

/// Sends [`Control`]s to a run. Cheap to clone; every method fails with `conflict` once the
/// run is over.
#[derive(Debug, Clone)]
pub struct Controls {
    tx: mpsc::UnboundedSender<Control>,
}

impl Controls {
    /// Sends a command.
    pub fn send(&self, c: Control) -> Result<()> {
        self.tx
            .send(c)
            .map_err(|_| Error::new(ErrorKind::Conflict, "the cutover run is not running"))
    }
    /// Pause.
    pub fn pause(&self) -> Result<()> {
        self.send(Control::Pause)
    }
    /// Resume after a pause.
    pub fn resume(&self) -> Result<()> {
        self.send(Control::Resume)
    }
    /// Approve the next stage.
    pub fn approve(&self) -> Result<()> {
        self.send(Control::Approve)
    }
    /// Abort (roll back).
    pub fn abort(&self) -> Result<()> {
        self.send(Control::Abort)
    }
    /// Promote now.
    pub fn promote(&self) -> Result<()> {
        self.send(Control::Promote)
    }
    /// Roll back now.
    pub fn rollback(&self, mode: Option<RollbackMode>) -> Result<()> {
        self.send(Control::Rollback(mode))
    }
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Continue even though someone else changed the weighted records (adopt their state).
    pub force: bool,
    /// Take over a lock whose expiry has passed.
    pub take_over_stale_lock: bool,
    /// Ends the run as [`Outcome::Paused`] at a pause that waits for an operator (an approval
    /// before a stage, a `pause` control) instead of waiting for the controls. A pause that
    /// waits for evidence (gates erroring or inconclusive past their limits) always ends the
    /// run as paused, so a script is never left waiting on nobody.
    pub no_wait: bool,
}

/// Why a run pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PauseKind {
    /// An operator must act (approval before a stage, a `pause` control).
    Operator,
    /// The gates cannot judge (errors, inconclusive past the extension).
    Evidence,
}

/// A cutover: plan + provider + journal, with gates, observers and controls.
///
/// ```no_run
/// # async fn demo() -> dynoshift::Result<()> {
/// use std::sync::Arc;
/// use dynoshift::cutover::{Cutover, CutoverPlan};
/// use dynoshift::dns::memory::MemoryProvider;
/// let plan = CutoverPlan::from_json(r#"{"hostnames":["www.example.com"],"zone":"example.com",
///   "heroku_target":"x.herokudns.com","aws_target":"lb.elb.amazonaws.com"}"#)?;
/// let outcome = Cutover::new(plan, Arc::new(MemoryProvider::default()), "cutover.journal.json")?
///     .run()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Cutover {
    run: Run,
    tx: mpsc::UnboundedSender<Control>,
}

/// What a run is made of: the plan and the parts given to [`Cutover`] (kept by the running
/// engine too).
#[derive(Debug)]
struct Run {
    plan: CutoverPlan,
    provider: Arc<dyn DnsProvider>,
    journal: JournalHandle,
    clock: Arc<dyn Clock>,
    gates: Vec<Arc<dyn Gate>>,
    callback_gates: Vec<String>,
    observers: Vec<Arc<dyn Observer>>,
    options: RunOptions,
    heroku: Option<crate::heroku::api::HerokuClient>,
    rx: mpsc::UnboundedReceiver<Control>,
}

impl Cutover {
    /// Validates the plan; nothing is read or written yet. The journal is a file path or an
    /// `s3://bucket/key` URL (reached with the default AWS options; see
    /// [`Cutover::with_journal_store`] for others).
    pub fn new(
        plan: CutoverPlan,
        provider: Arc<dyn DnsProvider>,
        journal_path: impl Into<PathBuf>,
    ) -> Result<Self> {
        plan.validate()?;
        let store = super::store::open_path(&journal_path.into(), &Default::default())?;
        let (tx, rx) = mpsc::unbounded_channel();
        Ok(Cutover {
            run: Run {
                plan: plan.normalized(),
                provider,
                journal: JournalHandle::new(store),
                clock: Arc::new(SystemClock),
                gates: Vec::new(),
                callback_gates: Vec::new(),
                observers: Vec::new(),
                options: RunOptions::default(),
                heroku: None,
                rx,
            },
            tx,
        })
    }

    /// Keeps the journal (and its control and live records) in `store`.
    pub fn with_journal_store(mut self, store: Arc<dyn super::store::JournalStore>) -> Self {
        self.run.journal = JournalHandle::new(store);
        self
    }

    /// Uses `clock` for every wait (a [`crate::dns::VirtualClock`] makes runs instant).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.run.clock = clock;
        self
    }

    /// Adds a gate asked every tick of every soak.
    pub fn with_gate(mut self, gate: Arc<dyn Gate>) -> Self {
        self.run.gates.push(gate);
        self
    }

    /// Adds a gate given as a callback (not described by the plan): the journal records its
    /// name, and a resume without it warns that it no longer takes part.
    pub fn with_callback_gate(mut self, gate: Arc<dyn Gate>) -> Self {
        self.run.callback_gates.push(gate.name());
        self.run.gates.push(gate);
        self
    }

    /// Adds an observer of every event.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.run.observers.push(observer);
        self
    }

    /// Sets the run options.
    pub fn with_options(mut self, options: RunOptions) -> Self {
        self.run.options = options;
        self
    }

    /// The Platform API client for the plan's `heroku` section (without it, one is built from
    /// `heroku.api_url` and `HEROKU_API_KEY` when first needed).
    pub fn with_heroku_client(mut self, client: crate::heroku::api::HerokuClient) -> Self {
        self.run.heroku = Some(client);
        self
    }

    /// A handle to pause/resume/approve/abort/promote/roll back the run. If no handle exists
    /// when the run needs one (a pause), the run stops with [`Outcome::Paused`].
    pub fn controls(&self) -> Controls {
        Controls {
            tx: self.tx.clone(),
        }
    }

    /// The plan.
    pub fn plan(&self) -> &CutoverPlan {
        &self.run.plan
    }

    /// Starts a new run: preflight, snapshot, lock, then the stages. Fails with `conflict` if
    /// an unfinished run's journal is at the path (resume or roll it back instead).
    #[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
    pub fn run(self) -> impl Future<Output = Result<Outcome>> + Send + 'static {
        async move {
            let mut engine = self.into_engine();
            engine.start().await
        }
    }

    /// Continues the run recorded in the journal (same plan required).
    #[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
    pub fn resume(self) -> impl Future<Output = Result<Outcome>> + Send + 'static {
        async move {
            let mut engine = self.into_engine();
            let j = engine.load_for_resume().await?;
            // resuming a run that stopped paused is the operator's go-ahead for that pause
            engine.pre_approved = matches!(j.outcome, Some(Outcome::Paused { .. }));
            engine.continue_run(j).await
        }
    }

    /// Rolls the journaled run back (also after a promotion): restores the original records.
    #[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
    pub fn rollback(
        self,
        mode: Option<RollbackMode>,
    ) -> impl Future<Output = Result<Outcome>> + Send + 'static {
        async move {
            let mut engine = self.into_engine();
            let mut j = engine.load_for_resume().await?;
            if matches!(j.outcome, Some(Outcome::RolledBack { .. })) {
                return Ok(j.outcome.clone().unwrap_or(Outcome::Promoted));
            }
            j.outcome = None;
            j.mode = RunMode::RollingBack {
                reason: "rollback requested by the operator".into(),
                rollback: mode.unwrap_or(j.plan.rollback),
            };
            engine.continue_run(j).await
        }
    }

    /// Promotes the journaled run now: 100% AWS without further soaks.
    #[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
    pub fn promote(self) -> impl Future<Output = Result<Outcome>> + Send + 'static {
        async move {
            let mut engine = self.into_engine();
            let mut j = engine.load_for_resume().await?;
            if j.finished() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("run {} is already over ({:?})", j.run_id, j.outcome),
                ));
            }
            if matches!(j.mode, RunMode::RollingBack { .. }) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("run {} is rolling back; it cannot be promoted", j.run_id),
                ));
            }
            j.outcome = None;
            j.promote_requested = true;
            engine.continue_run(j).await
        }
    }

    fn into_engine(self) -> Engine {
        let Cutover { run, tx } = self;
        // Controls sent after this point come through the handles given out before.
        drop(tx);
        Engine {
            run,
            run_id: String::new(),
            controls_open: true,
            cached_listing: None,
            pre_approved: false,
        }
    }
}

/// Reads a journal (for `status`).
///
/// A file only: an `s3://` journal is read with [`super::journal::load_journal`] (async).
pub fn read_journal(path: impl Into<PathBuf>) -> Result<Journal> {
    let path = path.into();
    if let super::store::JournalLocation::S3 { .. } =
        super::store::JournalLocation::from_path(&path)?
    {
        return Err(Error::invalid_input(format!(
            "{} is an S3 journal: read it with load_journal (async), or `dynoshift cutover \
             status --journal {}`",
            path.display(),
            path.display()
        )));
    }
    let f = JournalFile::new(path);
    f.load()?.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("no journal at {}", f.path().display()),
        )
    })
}

enum Flow {
    Continue,
    Rollback(String, RollbackMode),
    Promote,
    Stop(Outcome),
}

struct Engine {
    run: Run,
    run_id: String,
    controls_open: bool,
    /// The listing read at the start of a fresh run, reused by the first write.
    cached_listing: Option<Vec<RecordSet>>,
    /// The next pause (approval, inconclusive soak) is already approved.
    pre_approved: bool,
}

fn new_run_id(now_ms: u64) -> String {
    format!("run-{now_ms:x}-{:08x}", fastrand::u32(..))
}

impl Engine {
    fn emit(&self, event: CutoverEvent) {
        let rec = EventRecord {
            run_id: self.run_id.clone(),
            at_ms: self.run.clock.now_ms(),
            event,
        };
        log_event(&rec);
        for o in &self.run.observers {
            o.on_event(&rec);
        }
    }

    async fn save(&self, j: &mut Journal) -> Result<()> {
        j.updated_at_ms = self.run.clock.now_ms();
        self.run.journal.save_next(j).await
    }

    fn now_secs(&self) -> u64 {
        self.run.clock.now_ms() / 1000
    }

    async fn load_for_resume(&mut self) -> Result<Journal> {
        let j = self.run.journal.load().await?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "no journal at {}: nothing to resume (start with run)",
                    self.run.journal.name()
                ),
            )
        })?;
        if j.version != JOURNAL_VERSION {
            return Err(Error::invalid_input(format!(
                "journal version {} is not supported (expected {JOURNAL_VERSION})",
                j.version
            )));
        }
        let digest = self.run.plan.digest();
        if j.plan_digest != digest {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "the plan changed since run {} started (journal digest {}, plan digest \
                     {digest}): resume with the original plan",
                    j.run_id, j.plan_digest
                ),
            ));
        }
        self.run_id = j.run_id.clone();
        Ok(j)
    }

    async fn start(&mut self) -> Result<Outcome> {
        if let Some(old) = self.run.journal.load().await? {
            if !old.finished() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "journal {} holds unfinished run {}: resume it or roll it back first",
                        self.run.journal.name(),
                        old.run_id
                    ),
                ));
            }
            self.run.journal.archive(&old.run_id).await?;
        }
        let zone = self.run.provider.zone(&self.run.plan.zone).await?;
        let records = self.run.provider.list_records(&zone.id).await?;
        let report = check_records(&self.run.plan, &zone, &records, self.now_secs());
        report.into_result()?;
        let heroku_dynos_at_start = self.heroku_dynos_at_start().await?;
        let now = self.run.clock.now_ms();
        self.run_id = new_run_id(now);
        let original: Vec<RecordSet> = records
            .iter()
            .filter(|r| r.rtype == "CNAME" && self.run.plan.has_host(&r.name))
            .cloned()
            .collect();
        let mut j = Journal {
            version: JOURNAL_VERSION,
            revision: 0,
            writer: String::new(),
            run_id: self.run_id.clone(),
            plan_digest: self.run.plan.digest(),
            plan: self.run.plan.redacted(),
            zone_id: zone.id.clone(),
            zone_name: zone.name.clone(),
            started_at_ms: now,
            updated_at_ms: now,
            original,
            lock: None,
            mode: RunMode::Forward,
            promote_requested: false,
            steps: Vec::new(),
            verdicts: Vec::new(),
            callback_gates: self.run.callback_gates.clone(),
            heroku_dynos_at_start,
            warmup: None,
            outcome: None,
        };
        self.emit(CutoverEvent::RunStarted {
            run_id: self.run_id.clone(),
            hostnames: self.run.plan.names(),
            stages: self.run.plan.stages.clone(),
            resumed: false,
        });
        j.updated_at_ms = self.run.clock.now_ms();
        self.run.journal.create(&j).await?;
        self.emit(CutoverEvent::Snapshot {
            records: j.original.len(),
        });
        if let Err(e) = self.take_lock(&mut j, Some(records.clone())).await {
            // Nothing but (part of) the lock was written: undo it and forget this run.
            let _ = lock::release(self.run.provider.as_ref(), &j.zone_id, &j.run_id, None).await;
            // Only our own journal: a run started at the same moment with the same journal
            // path (which then holds the lock) may have written its journal there since.
            self.run.journal.remove_if_run(&j.run_id).await;
            return Err(e);
        }
        self.cached_listing = Some(records);
        self.drive_guarded(j, true).await
    }

    async fn continue_run(&mut self, mut j: Journal) -> Result<Outcome> {
        if j.finished() {
            // finish() journals the outcome before it releases the lock: a run stopped in
            // between is over but still holds it, which would block the next run
            lock::release(self.run.provider.as_ref(), &j.zone_id, &j.run_id, None).await?;
            return Ok(j.outcome.clone().unwrap_or(Outcome::Promoted));
        }
        j.outcome = None;
        self.emit(CutoverEvent::RunStarted {
            run_id: self.run_id.clone(),
            hostnames: j.plan.names(),
            stages: j.plan.stages.clone(),
            resumed: true,
        });
        let missing: Vec<&String> = j
            .callback_gates
            .iter()
            .filter(|g| !self.run.callback_gates.contains(g))
            .collect();
        if !missing.is_empty() {
            let names = missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            self.emit(CutoverEvent::Warning {
                message: format!(
                    "run {} was started with callback gates ({names}) that this resume was not \
                     given: they no longer judge the stages (only the plan's gates and the \
                     callbacks given now do)",
                    j.run_id
                ),
            });
        }
        self.take_lock(&mut j, None).await?;
        if let RunMode::RollingBack { reason, rollback } = &j.mode
            && !j
                .steps
                .iter()
                .any(|s| matches!(s.kind, StepKind::RollbackStep | StepKind::Restore))
        {
            self.emit(CutoverEvent::RollbackStarted {
                reason: reason.clone(),
                mode: *rollback,
            });
        }
        self.drive_guarded(j, false).await
    }

    /// Drives the run; on an error, says what state it left behind. When no record was
    /// changed (the zone still holds the original records), the lock is released (and the
    /// journal of a run that never wrote is removed, so the next `run` starts clean); when
    /// records were written, the error says how to resume or roll back, and the lock stays so
    /// that no other run interferes.
    async fn drive_guarded(&mut self, mut j: Journal, fresh: bool) -> Result<Outcome> {
        let err = match self.drive(&mut j).await {
            Ok(o) => return Ok(o),
            Err(e) => e,
        };
        if err.message().starts_with(super::journal::FENCED) {
            // another process owns the run now: touch neither its records nor its lock
            return Err(err);
        }
        // untouched: no batch was accepted and the zone holds exactly the original records
        let untouched = j.steps.iter().all(|s| s.change_ids.is_empty())
            && matches!(
                self.landed(&j, &j.plan.names(), (StepKind::Restore, Target::Original))
                    .await,
                Ok(true)
            );
        if untouched {
            let released = lock::release(
                self.run.provider.as_ref(),
                &j.zone_id,
                &j.run_id,
                j.lock.as_ref(),
            )
            .await;
            if released.is_ok() {
                self.emit(CutoverEvent::LockReleased);
                if fresh {
                    self.run.journal.remove_if_run(&j.run_id).await;
                }
                return Err(Error::new(
                    err.kind(),
                    format!(
                        "{} (nothing was changed: the records are the originals and the lock \
                         is released{})",
                        err.message(),
                        if fresh {
                            "; fix the cause and run again"
                        } else {
                            "; fix the cause and resume"
                        }
                    ),
                ));
            }
        }
        let at = j
            .current_percent()
            .map(|p| format!("{p}% to AWS"))
            .unwrap_or_else(|| "the original records".into());
        let lock = j
            .lock
            .as_ref()
            .map(|l| format!("; its lock is held until {}", lock_expiry(l.expires_at)))
            .unwrap_or_default();
        Err(Error::new(
            err.kind(),
            format!(
                "{} — run {} stopped with the records at {at} and is journaled at {}{lock}: \
                 resume it (cutover resume, same plan and journal) or restore the original \
                 records (cutover rollback)",
                err.message(),
                j.run_id,
                self.run.journal.name()
            ),
        ))
    }

    fn planned_seconds(&self) -> u64 {
        let p = &self.run.plan;
        let per_stage = p.soak_seconds + p.max_extension() + p.ttl.max(0) as u64 + 120;
        let warmup = p.warmup.as_ref().map_or(0, |w| {
            // at most the routes × hostnames × requests, at the rate (and each timing out)
            let routes = w.max_routes_per_host();
            routes
                * p.hostnames.len() as u64
                * u64::from(w.requests_per_path)
                * super::warmup::interval_ms(w.rate_per_second)
                / 1000
                + routes * p.hostnames.len() as u64 * u64::from(w.requests_per_path) * w.timeout_ms
                    / 1000
        });
        per_stage * (p.stages.len() as u64 + 1) + p.pre_soak_seconds.unwrap_or(0) + warmup
    }

    async fn take_lock(&mut self, j: &mut Journal, records: Option<Vec<RecordSet>>) -> Result<()> {
        let records = match records {
            Some(r) => r,
            None => self.run.provider.list_records(&j.zone_id).await?,
        };
        // keep the journaled expiry while our lock record still holds it; a lock written anew
        // (first time, or after it was released) gets a fresh expiry, so its value is new too
        let expires_at = match &j.lock {
            Some(l)
                if l.expires_at > self.now_secs() + self.run.plan.lock_ttl_seconds / 2
                    && records
                        .iter()
                        .any(|r| r.rtype == "TXT" && r.values.first() == Some(&l.value)) =>
            {
                l.expires_at
            }
            _ => self.now_secs() + self.planned_seconds() + self.run.plan.lock_ttl_seconds,
        };
        let mine = LockValue {
            run_id: j.run_id.clone(),
            expires_at,
        };
        let (names, taken_from) = lock::acquire(
            self.run.provider.as_ref(),
            &j.zone_id,
            &j.plan.names(),
            &mine,
            &records,
            self.now_secs(),
            self.run.options.take_over_stale_lock,
        )
        .await?;
        if let Some(prev) = taken_from {
            self.emit(CutoverEvent::LockTakenOver {
                previous_run_id: prev,
            });
        }
        j.lock = Some(LockRecord {
            names: names.clone(),
            value: mine.render(),
            expires_at,
        });
        self.save(j).await?;
        self.emit(CutoverEvent::LockAcquired { names, expires_at });
        Ok(())
    }

    async fn finish(&mut self, j: &mut Journal, outcome: Outcome) -> Result<Outcome> {
        j.outcome = Some(outcome.clone());
        self.save(j).await?;
        if !matches!(outcome, Outcome::Paused { .. }) {
            lock::release(
                self.run.provider.as_ref(),
                &j.zone_id,
                &j.run_id,
                j.lock.as_ref(),
            )
            .await?;
            self.emit(CutoverEvent::LockReleased);
        }
        match &outcome {
            Outcome::Promoted => self.emit(CutoverEvent::Promoted),
            Outcome::RolledBack { reason } => self.emit(CutoverEvent::RolledBack {
                reason: reason.clone(),
            }),
            Outcome::Paused { .. } => {}
        }
        Ok(outcome)
    }

    /// Applies one pending control without waiting; pauses wait for release.
    async fn poll_controls(&mut self, j: &mut Journal) -> Result<Flow> {
        loop {
            let c = match self.run.rx.try_recv() {
                Ok(c) => c,
                Err(mpsc::error::TryRecvError::Empty) => return Ok(Flow::Continue),
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.controls_open = false;
                    return Ok(Flow::Continue);
                }
            };
            match c {
                Control::Pause => {
                    return self
                        .paused(j, "paused by the operator".into(), PauseKind::Operator)
                        .await;
                }
                Control::Resume | Control::Approve => continue,
                other => return Ok(self.flow_of(other, j)),
            }
        }
    }

    fn flow_of(&self, c: Control, j: &Journal) -> Flow {
        match c {
            Control::Abort => Flow::Rollback("aborted by the operator".into(), j.plan.rollback),
            Control::Rollback(m) => Flow::Rollback(
                "rollback requested by the operator".into(),
                m.unwrap_or(j.plan.rollback),
            ),
            Control::Promote => Flow::Promote,
            _ => Flow::Continue,
        }
    }

    /// Waits for resume/approve (or a rollback/promote). With no controller left, with
    /// `no_wait`, or when the pause waits for evidence rather than an operator, the run stops
    /// with `Outcome::Paused` (records at the stage's planned weight; `resume` continues).
    async fn paused(&mut self, j: &mut Journal, reason: String, kind: PauseKind) -> Result<Flow> {
        if self.pre_approved {
            self.pre_approved = false;
            self.emit(CutoverEvent::Continued);
            return Ok(Flow::Continue);
        }
        self.emit(CutoverEvent::Paused {
            reason: reason.clone(),
        });
        let wait = kind == PauseKind::Operator && !self.run.options.no_wait;
        loop {
            let c = if self.controls_open && wait {
                self.run.rx.recv().await
            } else {
                None
            };
            match c {
                None => {
                    self.controls_open = false;
                    let _ = j;
                    return Ok(Flow::Stop(Outcome::Paused { reason }));
                }
                Some(Control::Pause) => continue,
                Some(Control::Resume) | Some(Control::Approve) => {
                    self.emit(CutoverEvent::Continued);
                    return Ok(Flow::Continue);
                }
                Some(other) => return Ok(self.flow_of(other, j)),
            }
        }
    }

    async fn apply_flow(&mut self, j: &mut Journal, flow: Flow) -> Result<Option<Outcome>> {
        match flow {
            Flow::Continue => Ok(None),
            Flow::Stop(o) => self.finish(j, o).await.map(Some),
            Flow::Rollback(reason, mode) => {
                if matches!(j.mode, RunMode::Forward) {
                    self.emit(CutoverEvent::RollbackStarted {
                        reason: reason.clone(),
                        mode,
                    });
                    j.mode = RunMode::RollingBack {
                        reason,
                        rollback: mode,
                    };
                    self.save(j).await?;
                }
                Ok(None)
            }
            Flow::Promote => {
                if matches!(j.mode, RunMode::Forward) {
                    j.promote_requested = true;
                    self.save(j).await?;
                }
                Ok(None)
            }
        }
    }

    /// The next step to take, or the outcome when there is none.
    fn next_step(&self, j: &Journal) -> std::result::Result<(StepKind, Target), Outcome> {
        let last = j.steps.last();
        match &j.mode {
            RunMode::Forward => {
                let last_stage = j.plan.stages.len() - 1;
                match last.map(|s| s.kind) {
                    None => {
                        if self.already_weighted(j) {
                            let cur = self.original_aws_percent(j);
                            let idx = j
                                .plan
                                .stages
                                .iter()
                                .position(|p| *p > cur)
                                .unwrap_or(last_stage);
                            Ok(self.stage_step(j, idx))
                        } else {
                            Ok((StepKind::Convert, Target::Weighted { percent: 0 }))
                        }
                    }
                    Some(StepKind::Convert) => Ok(self.stage_step(j, 0)),
                    Some(StepKind::Stage { index }) if index >= last_stage => {
                        if j.plan.restore_ttl.is_some_and(|t| t != j.plan.ttl) {
                            Ok((StepKind::RestoreTtl, Target::Weighted { percent: 100 }))
                        } else {
                            Err(Outcome::Promoted)
                        }
                    }
                    Some(StepKind::RestoreTtl) => Err(Outcome::Promoted),
                    Some(StepKind::Stage { index }) => Ok(self.stage_step(j, index + 1)),
                    Some(StepKind::RollbackStep) | Some(StepKind::Restore) => {
                        Err(Outcome::RolledBack {
                            reason: "rolled back".into(),
                        })
                    }
                }
            }
            RunMode::RollingBack { reason, rollback } => {
                if matches!(last.map(|s| s.kind), Some(StepKind::Restore)) {
                    return Err(Outcome::RolledBack {
                        reason: reason.clone(),
                    });
                }
                if *rollback == RollbackMode::Graduated
                    && let Some(cur) = j.current_percent()
                    && let Some(p) = j.plan.stages.iter().rev().find(|p| **p < cur)
                {
                    return Ok((StepKind::RollbackStep, Target::Weighted { percent: *p }));
                }
                Ok((StepKind::Restore, Target::Original))
            }
        }
    }

    fn stage_step(&self, j: &Journal, index: usize) -> (StepKind, Target) {
        let index = if j.promote_requested {
            j.plan.stages.len() - 1
        } else {
            index
        };
        (
            StepKind::Stage { index },
            Target::Weighted {
                percent: j.plan.stages[index],
            },
        )
    }

    fn already_weighted(&self, j: &Journal) -> bool {
        !j.original.is_empty() && j.original.iter().all(|r| r.is_weighted())
    }

    fn original_aws_percent(&self, j: &Journal) -> u8 {
        let mut total = 0i64;
        let mut aws = 0i64;
        for r in j
            .original
            .iter()
            .filter(|r| r.name == j.plan.hostnames[0].name)
        {
            total += r.weight.unwrap_or(0);
            if r.set_identifier.as_deref() == Some(j.plan.aws_set_identifier.as_str()) {
                aws += r.weight.unwrap_or(0);
            }
        }
        if total == 0 {
            0
        } else {
            (aws * 100 / total) as u8
        }
    }

    async fn drive(&mut self, j: &mut Journal) -> Result<Outcome> {
        loop {
            if let Some(o) = j.outcome.clone() {
                return Ok(o);
            }
            let unfinished = j.steps.last().is_some_and(|s| s.status != StepStatus::Done);
            if unfinished {
                self.advance_step(j).await?;
                continue;
            }
            let flow = self.poll_controls(j).await?;
            if let Some(o) = self.apply_flow(j, flow).await? {
                return Ok(o);
            }
            let (kind, target) = match self.next_step(j) {
                Ok(next) => next,
                Err(outcome) => return self.finish(j, outcome).await,
            };
            if matches!(kind, StepKind::RollbackStep | StepKind::Restore) {
                self.heroku_before_rollback(j, target).await;
            }
            if matches!(kind, StepKind::Stage { .. })
                && let Some(failure) = self.warm_up_once(j).await?
            {
                if let Some(o) = self
                    .apply_flow(j, Flow::Rollback(failure, j.plan.rollback))
                    .await?
                {
                    return Ok(o);
                }
                continue;
            }
            if let StepKind::Stage { index } = kind
                && index > 0
                && j.plan.require_approval
                && !j.promote_requested
            {
                self.emit(CutoverEvent::AwaitingApproval {
                    next_stage: index,
                    percent: j.plan.stages[index],
                });
                let flow = self
                    .paused(
                        j,
                        format!("waiting for approval of stage {index}"),
                        PauseKind::Operator,
                    )
                    .await?;
                let stop = matches!(flow, Flow::Stop(_) | Flow::Rollback(..) | Flow::Promote);
                if let Some(o) = self.apply_flow(j, flow).await? {
                    return Ok(o);
                }
                if stop {
                    continue;
                }
            }
            j.steps.push(StepRecord {
                kind,
                target,
                status: StepStatus::Intent,
                change_ids: Vec::new(),
                ttl_wait_seconds: 0,
                intent_at_ms: self.run.clock.now_ms(),
                written_at_ms: None,
                insync_at_ms: None,
                settled_at_ms: None,
                done_at_ms: None,
            });
            self.save(j).await?;
        }
    }

    /// Stage 0's warm-up (plan `warmup`), before the first stage's weight is written (after
    /// the pre-soak, which runs on the convert step) and only once per run: the baseline is
    /// journaled and sent as an event. Some(reason) when it failed badly (the run then rolls
    /// back, nothing moved).
    async fn warm_up_once(&mut self, j: &mut Journal) -> Result<Option<String>> {
        let Some(config) = j.plan.warmup.clone() else {
            return Ok(None);
        };
        if j.warmup.is_some()
            || !matches!(j.mode, RunMode::Forward)
            || j.steps
                .iter()
                .any(|s| matches!(s.kind, StepKind::Stage { .. }))
        {
            return Ok(None);
        }
        let baseline = super::warmup::warm_up(&j.plan, &config, self.run.clock.clone()).await;
        let failure = baseline.failure.clone();
        j.warmup = Some(baseline.clone());
        self.save(j).await?;
        self.emit(CutoverEvent::WarmupBaseline(baseline));
        Ok(failure)
    }
}

/// A lock's expiry (Unix seconds) as people read it: `2026-12-07T13:05:00.000Z`.
pub fn lock_expiry(unix_secs: u64) -> String {
    crate::heroku::logs::time::format_rfc3339_ms(
        i64::try_from(unix_secs).unwrap_or(i64::MAX / 1000) * 1000,
    )
}

/// Every event as a `tracing` event too: milestones (writes, stage results, rollback, outcome)
/// at info, a failing gate or drift at warn, the rest at debug. Plans and events hold no
/// secrets, so the sentence can be logged as it is.
fn log_event(rec: &EventRecord) {
    use CutoverEvent as E;
    let run = rec.run_id.as_str();
    match &rec.event {
        E::GateVerdict { verdict, .. }
            if matches!(verdict.status, VerdictStatus::Fail | VerdictStatus::Error) =>
        {
            tracing::warn!(run, "cutover: {}", rec.event.describe())
        }
        E::WarmupBaseline(b) if b.failure.is_some() => {
            tracing::warn!(run, "cutover: {}", rec.event.describe())
        }
        E::HerokuFormation(check) if check.dynos < check.needed => {
            tracing::warn!(run, "cutover: {}", rec.event.describe())
        }
        E::DriftDetected { .. }
        | E::RollbackStarted { .. }
        | E::NotifyFailed { .. }
        | E::Warning { .. } => {
            tracing::warn!(run, "cutover: {}", rec.event.describe())
        }
        E::RunStarted { .. }
        | E::Writing { .. }
        | E::StagePassed { .. }
        | E::AwaitingApproval { .. }
        | E::Paused { .. }
        | E::RolledBack { .. }
        | E::HerokuFormation(_)
        | E::WarmupBaseline(_)
        | E::Promoted => tracing::info!(run, "cutover: {}", rec.event.describe()),
        // Every other variant by name, so that a new one has to choose its level here.
        E::GateVerdict { .. }
        | E::LockAcquired { .. }
        | E::LockTakenOver { .. }
        | E::LockReleased
        | E::Snapshot { .. }
        | E::ChangeSubmitted { .. }
        | E::InSync { .. }
        | E::TtlWait { .. }
        | E::SoakStarted { .. }
        | E::SoakExtended { .. }
        | E::Continued => tracing::debug!(run, "cutover: {}", rec.event.describe()),
    }
}

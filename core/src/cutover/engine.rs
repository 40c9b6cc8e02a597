//! The cutover state machine (see DESIGN.md): snapshot → lock → convert → for each stage
//! (write → INSYNC → TTL → soak with gates) → promote, or rollback (full or graduated).
//! Every transition is journaled before the next action, so [`Cutover::resume`] continues a
//! crashed run exactly where it stopped.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::events::{CutoverEvent, EventRecord, Observer};
use super::gate::{Gate, GateContext, Verdict, VerdictStatus};
use super::journal::{
    JOURNAL_VERSION, Journal, JournalFile, JournalHandle, LockRecord, Outcome, RunMode, StepKind,
    StepRecord, StepStatus, Target, VerdictRecord,
};
use super::lock::{self, LockValue};
use super::plan::{CutoverPlan, RollbackMode};
use super::preflight::check_records;
use crate::dns::{
    Change, ChangeAction, ChangeStatus, Clock, DnsProvider, RecordSet, SystemClock, pack_batches,
};
use crate::{Error, ErrorKind, Result};

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
    plan: CutoverPlan,
    provider: Arc<dyn DnsProvider>,
    journal: JournalHandle,
    clock: Arc<dyn Clock>,
    gates: Vec<Arc<dyn Gate>>,
    callback_gates: Vec<String>,
    observers: Vec<Arc<dyn Observer>>,
    options: RunOptions,
    heroku: Option<crate::heroku::api::HerokuClient>,
    tx: mpsc::UnboundedSender<Control>,
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
            plan: plan.normalized(),
            provider,
            journal: JournalHandle::new(store),
            clock: Arc::new(SystemClock),
            gates: Vec::new(),
            callback_gates: Vec::new(),
            observers: Vec::new(),
            options: RunOptions::default(),
            heroku: None,
            tx,
            rx,
        })
    }

    /// Keeps the journal (and its control and live records) in `store`.
    pub fn with_journal_store(mut self, store: Arc<dyn super::store::JournalStore>) -> Self {
        self.journal = JournalHandle::new(store);
        self
    }

    /// Uses `clock` for every wait (a [`crate::dns::VirtualClock`] makes runs instant).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Adds a gate asked every tick of every soak.
    pub fn with_gate(mut self, gate: Arc<dyn Gate>) -> Self {
        self.gates.push(gate);
        self
    }

    /// Adds a gate given as a callback (not described by the plan): the journal records its
    /// name, and a resume without it warns that it no longer takes part.
    pub fn with_callback_gate(mut self, gate: Arc<dyn Gate>) -> Self {
        self.callback_gates.push(gate.name());
        self.gates.push(gate);
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

    /// The Platform API client for the plan's `heroku` section (without it, one is built from
    /// `heroku.api_url` and `HEROKU_API_KEY` when first needed).
    pub fn with_heroku_client(mut self, client: crate::heroku::api::HerokuClient) -> Self {
        self.heroku = Some(client);
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
        &self.plan
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
        let Cutover {
            plan,
            provider,
            journal,
            clock,
            gates,
            callback_gates,
            observers,
            options,
            heroku,
            tx,
            rx,
        } = self;
        drop(tx);
        Engine {
            plan,
            provider,
            journal,
            clock,
            gates,
            callback_gates,
            observers,
            options,
            heroku,
            rx,
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
            at_ms: self.clock.now_ms(),
            event,
        };
        log_event(&rec);
        for o in &self.observers {
            o.on_event(&rec);
        }
    }

    async fn save(&self, j: &mut Journal) -> Result<()> {
        j.updated_at_ms = self.clock.now_ms();
        self.journal.save_next(j).await
    }

    fn now_secs(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    async fn load_for_resume(&mut self) -> Result<Journal> {
        let j = self.journal.load().await?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "no journal at {}: nothing to resume (start with run)",
                    self.journal.name()
                ),
            )
        })?;
        if j.version != JOURNAL_VERSION {
            return Err(Error::invalid_input(format!(
                "journal version {} is not supported (expected {JOURNAL_VERSION})",
                j.version
            )));
        }
        let digest = self.plan.digest();
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
        if let Some(old) = self.journal.load().await? {
            if !old.finished() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "journal {} holds unfinished run {}: resume it or roll it back first",
                        self.journal.name(),
                        old.run_id
                    ),
                ));
            }
            self.journal.archive(&old.run_id).await?;
        }
        let zone = self.provider.zone(&self.plan.zone).await?;
        let records = self.provider.list_records(&zone.id).await?;
        let report = check_records(&self.plan, &zone, &records, self.now_secs());
        report.into_result()?;
        let heroku_dynos_at_start = self.heroku_dynos_at_start().await?;
        let now = self.clock.now_ms();
        self.run_id = new_run_id(now);
        let original: Vec<RecordSet> = records
            .iter()
            .filter(|r| r.rtype == "CNAME" && self.plan.has_host(&r.name))
            .cloned()
            .collect();
        let mut j = Journal {
            version: JOURNAL_VERSION,
            revision: 0,
            writer: String::new(),
            run_id: self.run_id.clone(),
            plan_digest: self.plan.digest(),
            plan: self.plan.redacted(),
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
            callback_gates: self.callback_gates.clone(),
            heroku_dynos_at_start,
            warmup: None,
            outcome: None,
        };
        self.emit(CutoverEvent::RunStarted {
            run_id: self.run_id.clone(),
            hostnames: self.plan.names(),
            stages: self.plan.stages.clone(),
            resumed: false,
        });
        j.updated_at_ms = self.clock.now_ms();
        self.journal.create(&j).await?;
        self.emit(CutoverEvent::Snapshot {
            records: j.original.len(),
        });
        if let Err(e) = self.take_lock(&mut j, Some(records.clone())).await {
            // Nothing but (part of) the lock was written: undo it and forget this run.
            let _ = lock::release(self.provider.as_ref(), &j.zone_id, &j.run_id, None).await;
            // Only our own journal: a run started at the same moment with the same journal
            // path (which then holds the lock) may have written its journal there since.
            self.journal.remove_if_run(&j.run_id).await;
            return Err(e);
        }
        self.cached_listing = Some(records);
        self.drive_guarded(j, true).await
    }

    async fn continue_run(&mut self, mut j: Journal) -> Result<Outcome> {
        if j.finished() {
            // finish() journals the outcome before it releases the lock: a run stopped in
            // between is over but still holds it, which would block the next run
            lock::release(self.provider.as_ref(), &j.zone_id, &j.run_id, None).await?;
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
            .filter(|g| !self.callback_gates.contains(g))
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
                self.provider.as_ref(),
                &j.zone_id,
                &j.run_id,
                j.lock.as_ref(),
            )
            .await;
            if released.is_ok() {
                self.emit(CutoverEvent::LockReleased);
                if fresh {
                    self.journal.remove_if_run(&j.run_id).await;
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
                self.journal.name()
            ),
        ))
    }

    fn planned_seconds(&self) -> u64 {
        let p = &self.plan;
        let per_stage = p.soak_seconds + p.max_extension() + p.ttl.max(0) as u64 + 120;
        let warmup = p.warmup.as_ref().map_or(0, |w| {
            // at most top (or the listed paths) × hostnames × requests, at the rate
            let routes = if w.paths.is_empty() {
                w.top
            } else {
                w.paths.len()
            } as u64;
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
            None => self.provider.list_records(&j.zone_id).await?,
        };
        // keep the journaled expiry while our lock record still holds it; a lock written anew
        // (first time, or after it was released) gets a fresh expiry, so its value is new too
        let expires_at = match &j.lock {
            Some(l)
                if l.expires_at > self.now_secs() + self.plan.lock_ttl_seconds / 2
                    && records
                        .iter()
                        .any(|r| r.rtype == "TXT" && r.values.first() == Some(&l.value)) =>
            {
                l.expires_at
            }
            _ => self.now_secs() + self.planned_seconds() + self.plan.lock_ttl_seconds,
        };
        let mine = LockValue {
            run_id: j.run_id.clone(),
            expires_at,
        };
        let (names, taken_from) = lock::acquire(
            self.provider.as_ref(),
            &j.zone_id,
            &j.plan.names(),
            &mine,
            &records,
            self.now_secs(),
            self.options.take_over_stale_lock,
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
                self.provider.as_ref(),
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
            let c = match self.rx.try_recv() {
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
        let wait = kind == PauseKind::Operator && !self.options.no_wait;
        loop {
            let c = if self.controls_open && wait {
                self.rx.recv().await
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
                intent_at_ms: self.clock.now_ms(),
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
        let baseline = super::warmup::warm_up(&j.plan, &config, self.clock.clone()).await;
        let failure = baseline.failure.clone();
        j.warmup = Some(baseline.clone());
        self.save(j).await?;
        self.emit(CutoverEvent::WarmupBaseline(baseline));
        Ok(failure)
    }

    fn heroku_client(&self) -> Result<crate::heroku::api::HerokuClient> {
        match (&self.heroku, &self.plan.heroku) {
            (Some(c), _) => Ok(c.clone()),
            (None, Some(h)) => h.client(),
            (None, None) => Err(Error::internal("the plan has no heroku section")),
        }
    }

    /// Dynos of the plan's Heroku process type now (at the start of a fresh run), when the
    /// plan names an app without `dynos_at_100`: what 100% of traffic needs on the way back.
    async fn heroku_dynos_at_start(&self) -> Result<Option<u32>> {
        let Some(h) = self
            .plan
            .heroku
            .as_ref()
            .filter(|h| h.dynos_at_100.is_none())
        else {
            return Ok(None);
        };
        let formation = match self.heroku_client() {
            Ok(c) => c.formation(&h.app).await,
            Err(e) => Err(e),
        };
        match formation {
            Ok(f) => Ok(Some(f.process(&h.process_type).map_or(0, |p| p.quantity))),
            Err(e) => Err(Error::new(
                e.kind(),
                format!(
                    "cannot read the formation of Heroku app {} (what 100% of the traffic needs                      if a rollback sends it back): {}; fix that, or set heroku.dynos_at_100 in                      the plan (nothing was written)",
                    h.app,
                    e.message()
                ),
            )),
        }
    }

    /// Before a rollback step gives traffic back to Heroku: reads the formation and scales it
    /// up when the plan allows (see [`super::heroku_scale`]). Never fails the rollback.
    async fn heroku_before_rollback(&self, j: &Journal, target: Target) {
        let Some(config) = j.plan.heroku.clone() else {
            return;
        };
        let Some(aws_now) = j.current_percent() else {
            return; // nothing moved: Heroku still has what it had
        };
        let aws_after = match target {
            Target::Weighted { percent } => percent,
            Target::Original => self.original_aws_percent(j),
        };
        if aws_after >= aws_now {
            return;
        }
        let heroku_percent = 100 - aws_after.min(100);
        let checked = match self.heroku_client() {
            Ok(c) => {
                super::heroku_scale::check_and_scale(
                    &c,
                    &config,
                    j.heroku_dynos_at_start,
                    heroku_percent,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match checked {
            Ok(check) => self.emit(CutoverEvent::HerokuFormation(check)),
            Err(e) => self.emit(CutoverEvent::Warning {
                message: format!(
                    "could not read the formation of Heroku app {} before giving it {heroku_percent}%                      of the traffic back ({e}); rolling back anyway: check `heroku ps -a {}`",
                    config.app, config.app
                ),
            }),
        }
    }

    fn desired(&self, j: &Journal, host: &str, at: (StepKind, Target)) -> Vec<RecordSet> {
        desired_records(&j.plan, &j.original, host, at.0, at.1)
    }

    /// Where the records should be before the last step (the previous written step, or the
    /// originals).
    fn previous_target(&self, j: &Journal) -> (StepKind, Target) {
        let n = j.steps.len();
        j.steps[..n.saturating_sub(1)]
            .iter()
            .rev()
            .find(|s| s.status >= StepStatus::Written)
            .map(|s| (s.kind, s.target))
            .unwrap_or((StepKind::Restore, Target::Original))
    }

    async fn advance_step(&mut self, j: &mut Journal) -> Result<()> {
        let idx = j.steps.len() - 1;
        let step = j.steps[idx].clone();
        if matches!(j.mode, RunMode::RollingBack { .. })
            && matches!(step.kind, StepKind::Stage { .. })
            && step.status >= StepStatus::Written
        {
            // A rollback was requested: a forward stage already written needs no INSYNC,
            // TTL or soak wait before going back.
            j.steps[idx].status = StepStatus::Done;
            j.steps[idx].done_at_ms = Some(self.clock.now_ms());
            return self.save(j).await;
        }
        if matches!(j.mode, RunMode::RollingBack { .. })
            && matches!(step.kind, StepKind::Stage { .. } | StepKind::Convert)
            && step.status == StepStatus::Intent
        {
            // A forward step only journaled as intent when the rollback was asked for (the
            // run stopped between the intent and the write's answer): never push traffic
            // further to AWS on the way back. If the write did land, the step counts as
            // done (the rollback starts from there); if not, it never happened.
            if self
                .landed(j, &j.plan.names(), (step.kind, step.target))
                .await?
            {
                let now = self.clock.now_ms();
                let s = &mut j.steps[idx];
                s.status = StepStatus::Done;
                s.written_at_ms = Some(now);
                s.done_at_ms = Some(now);
            } else {
                j.steps.pop();
            }
            return self.save(j).await;
        }
        match step.status {
            StepStatus::Intent => self.write_step(j, idx).await,
            StepStatus::Written => {
                let started = self.clock.now_ms();
                self.wait_insync(&step.change_ids, &j.plan).await?;
                let now = self.clock.now_ms();
                j.steps[idx].status = StepStatus::InSync;
                j.steps[idx].insync_at_ms = Some(now);
                self.save(j).await?;
                self.emit(CutoverEvent::InSync {
                    change_ids: step.change_ids.clone(),
                    waited_seconds: (now.saturating_sub(started)) as f64 / 1000.0,
                });
                Ok(())
            }
            StepStatus::InSync => {
                let since = self
                    .clock
                    .now_ms()
                    .saturating_sub(step.insync_at_ms.unwrap_or(0))
                    / 1000;
                let left = step.ttl_wait_seconds.saturating_sub(since);
                if left > 0 {
                    self.emit(CutoverEvent::TtlWait { seconds: left });
                    self.clock.sleep(Duration::from_secs(left)).await;
                }
                j.steps[idx].status = StepStatus::Settled;
                j.steps[idx].settled_at_ms = Some(self.clock.now_ms());
                self.save(j).await
            }
            StepStatus::Settled => {
                let forward = matches!(j.mode, RunMode::Forward) && !j.promote_requested;
                let pre_soak = j.plan.pre_soak_seconds.unwrap_or(0);
                // (stage, percent, seconds, next percent, a stage that passes)
                let soak = match (step.kind, step.target) {
                    // stage 0: before the first weight, the gates judge the AWS target for
                    // the plan's pre-soak (the records are weighted, 0% to AWS)
                    (StepKind::Convert, _) if forward && pre_soak > 0 && !self.gates.is_empty() => {
                        Some((0, 0, pre_soak, Some(j.plan.stages[0]), false))
                    }
                    (StepKind::Stage { index }, Target::Weighted { percent }) if forward => Some((
                        index,
                        percent,
                        j.plan.soak_seconds,
                        j.plan.stages.get(index + 1).copied(),
                        true,
                    )),
                    _ => None,
                };
                if let Some((stage, percent, seconds, next, is_stage)) = soak {
                    match self.soak(j, stage, percent, seconds, next).await? {
                        Flow::Continue => {}
                        Flow::Stop(o) => {
                            self.finish(j, o).await?;
                            return Ok(());
                        }
                        flow => {
                            // the step is over (its records stay written); the flow decides next
                            j.steps[idx].status = StepStatus::Done;
                            j.steps[idx].done_at_ms = Some(self.clock.now_ms());
                            self.save(j).await?;
                            self.apply_flow(j, flow).await?;
                            return Ok(());
                        }
                    }
                    if is_stage {
                        self.emit(CutoverEvent::StagePassed { stage, percent });
                    }
                }
                j.steps[idx].status = StepStatus::Done;
                j.steps[idx].done_at_ms = Some(self.clock.now_ms());
                self.save(j).await
            }
            StepStatus::Done => Ok(()),
        }
    }

    async fn write_step(&mut self, j: &mut Journal, idx: usize) -> Result<()> {
        let step = j.steps[idx].clone();
        let before = self.previous_target(j);
        let records = match self.cached_listing.take() {
            Some(r) => r,
            None => self.provider.list_records(&j.zone_id).await?,
        };
        let mut by_host: BTreeMap<&str, Vec<&RecordSet>> = BTreeMap::new();
        for r in records.iter().filter(|r| r.rtype == "CNAME") {
            by_host.entry(r.name.as_str()).or_default().push(r);
        }
        let mut groups = Vec::new();
        let mut old_ttl = 0i64;
        let mut new_ttl = 0i64;
        let mut drift = Vec::new();
        for host in &j.plan.names() {
            let current: Vec<RecordSet> = by_host
                .get(host.as_str())
                .map(|v| v.iter().map(|r| (*r).clone()).collect())
                .unwrap_or_default();
            let want = self.desired(j, host, (step.kind, step.target));
            let expected = self.desired(j, host, before);
            new_ttl = new_ttl.max(want.iter().filter_map(|r| r.ttl).max().unwrap_or(0));
            if same_set(&current, &want) {
                continue; // already there (written before a crash)
            }
            if !same_set(&current, &expected) {
                drift.push(format!(
                    "{host}: expected {}, found {}",
                    describe(&expected),
                    describe(&current)
                ));
            }
            old_ttl = old_ttl.max(current.iter().filter_map(|r| r.ttl).max().unwrap_or(0));
            groups.push(diff(&current, &want, step.target == Target::Original));
        }
        if !drift.is_empty() {
            let detail = drift.join("; ");
            self.emit(CutoverEvent::DriftDetected {
                detail: detail.clone(),
                forced: self.options.force,
            });
            if !self.options.force {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "the records changed outside dynoshift since the last step ({detail}); \
                         check who changed them, then resume with force to adopt their state \
                         or roll back"
                    ),
                ));
            }
        }
        let batches = pack_batches(groups);
        // A step whose records equal those of the step before (e.g. a rollback of a run that
        // never changed a record) writes nothing and has nothing to wait for. (A step found
        // already in place for another reason was written before a crash: its propagation
        // is still waited for below.)
        let noop = j.plan.names().iter().all(|h| {
            same_set(
                &self.desired(j, h, before),
                &self.desired(j, h, (step.kind, step.target)),
            )
        });
        if batches.is_empty() && noop && j.steps[idx].change_ids.is_empty() {
            let now = self.clock.now_ms();
            let s = &mut j.steps[idx];
            s.status = StepStatus::InSync;
            s.written_at_ms = Some(now);
            s.insync_at_ms = Some(now);
            s.ttl_wait_seconds = 0;
            return self.save(j).await;
        }
        let percent = match step.target {
            Target::Weighted { percent } => Some(percent),
            Target::Original => None,
        };
        self.emit(CutoverEvent::Writing {
            step: step.kind.label().into(),
            percent,
            batches: batches.len(),
        });
        let comment = format!(
            "dynoshift {} {} {}",
            j.run_id,
            step.kind.label(),
            percent
                .map(|p| format!("{p}%"))
                .unwrap_or_else(|| "original".into())
        );
        let mut ids = Vec::new();
        for batch in batches {
            let mut hosts: Vec<String> = batch.iter().map(|c| c.record.name.clone()).collect();
            hosts.dedup();
            match self.provider.apply(&j.zone_id, batch, &comment).await {
                Ok(info) => {
                    ids.push(info.id.clone());
                    j.steps[idx].change_ids.push(info.id);
                    self.save(j).await?;
                }
                // A retried batch refused as "already exists" / "not found": an earlier
                // attempt whose answer was lost (timeout, dropped connection) may have landed.
                // If the records are exactly what this batch writes, it did.
                Err(e)
                    if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::NotFound)
                        && self.landed(j, &hosts, (step.kind, step.target)).await? => {}
                Err(e) => return Err(e),
            }
        }
        let s = &mut j.steps[idx];
        s.status = StepStatus::Written;
        s.written_at_ms = Some(self.clock.now_ms());
        // raising the TTL once promoted needs no wait: nothing is judged afterwards
        s.ttl_wait_seconds = if step.kind == StepKind::RestoreTtl {
            0
        } else {
            old_ttl.max(new_ttl).max(0) as u64
        };
        self.save(j).await?;
        self.emit(CutoverEvent::ChangeSubmitted { change_ids: ids });
        Ok(())
    }

    /// Whether every host of `hosts` already holds the records of `at` (read fresh).
    async fn landed(&self, j: &Journal, hosts: &[String], at: (StepKind, Target)) -> Result<bool> {
        let records = self.provider.list_records(&j.zone_id).await?;
        Ok(hosts.iter().all(|h| {
            let current: Vec<RecordSet> = records
                .iter()
                .filter(|r| r.rtype == "CNAME" && &r.name == h)
                .cloned()
                .collect();
            same_set(&current, &self.desired(j, h, at))
        }))
    }

    async fn wait_insync(&self, ids: &[String], plan: &CutoverPlan) -> Result<()> {
        let deadline = self.clock.now_ms() + plan.insync_timeout_seconds * 1000;
        if ids.is_empty() {
            // Written before a crash, change id lost: allow Route53's usual propagation time.
            self.clock
                .sleep(Duration::from_secs(60.min(plan.insync_timeout_seconds)))
                .await;
            return Ok(());
        }
        for id in ids {
            loop {
                if self.provider.change_status(id).await? == ChangeStatus::Insync {
                    break;
                }
                if self.clock.now_ms() >= deadline {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "change {id} was not INSYNC after {} s; the run is journaled: resume \
                             it later",
                            plan.insync_timeout_seconds
                        ),
                    ));
                }
                self.clock
                    .sleep(Duration::from_secs(plan.poll_seconds))
                    .await;
            }
        }
        Ok(())
    }

    async fn soak(
        &mut self,
        j: &mut Journal,
        stage: usize,
        percent: u8,
        seconds: u64,
        next_percent: Option<u8>,
    ) -> Result<Flow> {
        let plan = j.plan.clone();
        self.emit(CutoverEvent::SoakStarted {
            stage,
            percent,
            seconds,
        });
        let tick = plan.tick_seconds;
        let mut end = seconds;
        let mut extension = 0u64;
        let mut elapsed = 0u64;
        let mut tick_no = 0u64;
        // per-gate counters for this stage: fails so far, consecutive errors
        let mut fails = vec![0u32; self.gates.len()];
        let mut errors = vec![0u32; self.gates.len()];
        loop {
            match self.poll_controls(j).await? {
                Flow::Continue => {}
                other => return Ok(other),
            }
            let mut inconclusive = false;
            // the tightest extension limit among the gates still inconclusive this tick
            let mut max_extension = plan.max_extension();
            if !self.gates.is_empty() {
                let ctx = GateContext {
                    run_id: j.run_id.clone(),
                    stage,
                    percent,
                    tick: tick_no,
                    elapsed_seconds: elapsed,
                    hostnames: plan.names(),
                    targets: plan.targets(),
                    next_percent,
                };
                let mut error_pause = None;
                let mut failed = None;
                // every gate is asked at once; verdicts are handled as they arrive, and the
                // first counted fail rolls back without waiting for slower gates
                let gates = self.gates.clone();
                let mut pending: Vec<Option<crate::dns::BoxFuture<'static, Verdict>>> =
                    gates.iter().map(|g| Some(g.check(ctx.clone()))).collect();
                while let Some((i, mut v)) = next_ready(&mut pending).await {
                    let g = &gates[i];
                    if v.gate.is_empty() {
                        v.gate = g.name();
                    }
                    let policy = g.policy();
                    apply_policy(&mut v, &policy, &mut fails[i]);
                    j.verdicts.push(VerdictRecord {
                        stage,
                        at_ms: self.clock.now_ms(),
                        verdict: v.clone(),
                    });
                    self.emit(CutoverEvent::GateVerdict {
                        stage,
                        verdict: v.clone(),
                    });
                    errors[i] = if v.status == VerdictStatus::Error {
                        errors[i] + 1
                    } else {
                        0
                    };
                    match v.status {
                        VerdictStatus::Pass => {}
                        VerdictStatus::Fail => {
                            failed = Some(format!(
                                "gate {} failed at {percent}%: {}",
                                v.gate, v.reason
                            ));
                            break;
                        }
                        VerdictStatus::Inconclusive | VerdictStatus::Error => {
                            inconclusive = true;
                            if let Some(limit) = policy.max_soak_extension_seconds {
                                max_extension = max_extension.min(limit);
                            }
                        }
                    }
                    let limit = policy
                        .max_consecutive_errors
                        .unwrap_or(plan.max_consecutive_errors)
                        .max(1);
                    if errors[i] >= limit && error_pause.is_none() {
                        error_pause = Some(format!(
                            "{} consecutive errors of gate {} at {percent}% (last: {})",
                            errors[i], v.gate, v.reason
                        ));
                    }
                }
                self.save(j).await?;
                if let Some(reason) = failed {
                    return Ok(Flow::Rollback(reason, plan.rollback));
                }
                if let Some(reason) = error_pause {
                    let flow = self.paused(j, reason, PauseKind::Evidence).await?;
                    if !matches!(flow, Flow::Continue) {
                        return Ok(flow);
                    }
                    errors.iter_mut().for_each(|e| *e = 0);
                }
            }
            if elapsed >= end {
                if !inconclusive {
                    return Ok(Flow::Continue);
                }
                if extension + tick <= max_extension {
                    extension += tick;
                    end += tick;
                    self.emit(CutoverEvent::SoakExtended {
                        extension_seconds: extension,
                    });
                } else {
                    let flow = self
                        .paused(
                            j,
                            format!(
                                "gates still inconclusive at {percent}% after a {extension} s \
                                 extension: approve to continue"
                            ),
                            PauseKind::Evidence,
                        )
                        .await?;
                    if !matches!(flow, Flow::Continue) {
                        return Ok(flow);
                    }
                    return Ok(Flow::Continue);
                }
            }
            let step = tick.min(end - elapsed).max(1);
            self.clock.sleep(Duration::from_secs(step)).await;
            elapsed += step;
            tick_no += 1;
        }
    }
}

/// A lock's expiry (Unix seconds) as people read it: `2026-12-07T13:05:00.000Z`.
pub fn lock_expiry(unix_secs: u64) -> String {
    crate::heroku::logs::time::format_rfc3339_ms(
        i64::try_from(unix_secs).unwrap_or(i64::MAX / 1000) * 1000,
    )
}

/// Waits for the next gate to answer: (its index, its verdict), or None when all have.
async fn next_ready(
    pending: &mut [Option<crate::dns::BoxFuture<'static, Verdict>>],
) -> Option<(usize, Verdict)> {
    std::future::poll_fn(|cx| {
        let mut left = false;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
                    *slot = None;
                    return std::task::Poll::Ready(Some((i, v)));
                }
                left = true;
            }
        }
        if left {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(None)
        }
    })
    .await
}

/// Applies a gate's policy to its verdict: a pass below `min_samples` and a fail within
/// `failure_limit` become inconclusive (the reason says why).
fn apply_policy(v: &mut Verdict, policy: &super::gate::GatePolicy, fails: &mut u32) {
    match v.status {
        VerdictStatus::Pass if policy.min_samples > 0 => {
            let samples = v.samples().unwrap_or(0);
            if samples < policy.min_samples {
                v.status = VerdictStatus::Inconclusive;
                v.reason = format!(
                    "{samples} samples, the policy needs {} before a pass ({})",
                    policy.min_samples, v.reason
                );
            }
        }
        VerdictStatus::Fail => {
            *fails += 1;
            if *fails <= policy.failure_limit {
                v.status = VerdictStatus::Inconclusive;
                v.reason = format!(
                    "fail {} of {} tolerated by the failure limit: {}",
                    fails, policy.failure_limit, v.reason
                );
            }
        }
        _ => {}
    }
}

/// The records a hostname should have at `target` (written by a step of `kind`).
pub(crate) fn desired_records(
    plan: &CutoverPlan,
    original: &[RecordSet],
    host: &str,
    kind: StepKind,
    target: Target,
) -> Vec<RecordSet> {
    let ttl = match kind {
        StepKind::RestoreTtl => plan.restore_ttl.unwrap_or(plan.ttl),
        _ => plan.ttl,
    };
    match target {
        Target::Original => original
            .iter()
            .filter(|r| r.name == host)
            .cloned()
            .collect(),
        Target::Weighted { percent } => {
            let (hw, aw) = CutoverPlan::weights(percent);
            let p = plan;
            let aws_target = p.aws_target_of(host);
            let mut aws =
                RecordSet::weighted_cname(host, &p.aws_set_identifier, aw, ttl, aws_target);
            aws.health_check_id = p.aws_health_check_id.clone();
            let heroku_target = p.heroku_target_of(host);
            vec![
                RecordSet::weighted_cname(host, &p.heroku_set_identifier, hw, ttl, heroku_target),
                aws,
            ]
        }
    }
}

fn same_set(a: &[RecordSet], b: &[RecordSet]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.same_as(y)))
}

fn describe(rs: &[RecordSet]) -> String {
    if rs.is_empty() {
        return "no CNAME".into();
    }
    rs.iter()
        .map(|r| match (&r.set_identifier, r.weight) {
            (Some(id), Some(w)) => {
                format!("{id}={w}→{} ttl {}", r.values.join(","), r.ttl.unwrap_or(0))
            }
            _ => format!("CNAME {} ttl {}", r.values.join(","), r.ttl.unwrap_or(0)),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The changes that turn `current` into `want` for one hostname: DELETE what goes away
/// (exact current values), UPSERT what changes, CREATE what is new — one atomic group. A
/// restore re-creates the originals with UPSERT (same effect when absent; some Route53
/// implementations check CREATE against the state before the batch's DELETEs).
pub(crate) fn diff(current: &[RecordSet], want: &[RecordSet], restore: bool) -> Vec<Change> {
    let mut out = Vec::new();
    for c in current {
        if !want.iter().any(|w| w.key() == c.key()) {
            out.push(Change::new(ChangeAction::Delete, c.clone()));
        }
    }
    for w in want {
        match current.iter().find(|c| c.key() == w.key()) {
            Some(c) if c.same_as(w) => {}
            Some(_) => out.push(Change::new(ChangeAction::Upsert, w.clone())),
            None if restore => out.push(Change::new(ChangeAction::Upsert, w.clone())),
            None => out.push(Change::new(ChangeAction::Create, w.clone())),
        }
    }
    out
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

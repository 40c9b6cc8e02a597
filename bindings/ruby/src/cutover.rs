//! The staged Route53 cutover: plan, DNS targets (`Route53`, `MemoryZone`), preflight, dry run,
//! the run itself with its event listener, gates written in Ruby and sync controls, and the
//! journal.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dynoshift as core;
use dynoshift::cutover::{
    CallbackGate, Control, DnsTarget, GateContext, Operation, RollbackMode, RunOptions, Verdict,
};
use dynoshift::dns::route53::Route53Options;

use crate::errors::Result;
use crate::heroku_api::HerokuClient;

dynoshift::result_type!(CutoverPlan => rb_result {
    /// Parses and validates a JSON plan (`InvalidInputError` names the field at fault).
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<CutoverPlan>> {
        Ok(Arc::new(CutoverPlan {
            inner: core::CutoverPlan::from_json(&text)?,
        }))
    }
    /// The plan as JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Route53 (or an API-compatible endpoint such as moto_server). Without keys the standard AWS
/// credential chain is used. The secret key is never shown.
#[derive(uniffi::Object)]
pub struct Route53 {
    target: DnsTarget,
}

impl fmt::Debug for Route53 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Route53Options' own Debug redacts the credentials.
        write!(f, "Route53({:?})", self.target)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Route53 {
    /// `endpoint_url` points elsewhere (e.g. `http://127.0.0.1:5000` for moto_server); give
    /// both keys or neither.
    #[uniffi::constructor(default(
        endpoint_url = None,
        region = None,
        access_key_id = None,
        secret_access_key = None
    ))]
    pub fn new(
        endpoint_url: Option<String>,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    ) -> Result<Arc<Route53>> {
        let options =
            Route53Options::from_parts(endpoint_url, region, access_key_id, secret_access_key)?;
        Ok(Arc::new(Route53 {
            target: DnsTarget::Route53(options),
        }))
    }

    /// The endpoint, if not AWS's.
    pub fn endpoint_url(&self) -> Option<String> {
        self.target.endpoint_url().map(str::to_owned)
    }

    /// Every record set of the zone (name or id), as the core's JSON array.
    pub async fn records_json(&self, zone: String) -> Result<String> {
        let (provider, _) = self.target.connect().await;
        let zone = provider.zone(&zone).await?;
        let records = provider.list_records(&zone.id).await?;
        Ok(serde_json::to_string(&records).unwrap_or_default())
    }
}

/// An in-memory zone seeded for `plan` (its hostnames as simple CNAMEs to the Heroku target):
/// the embedded default for rehearsals. With `virtual_time` (default) every wait passes at once.
#[derive(Debug, uniffi::Object)]
pub struct MemoryZone {
    target: DnsTarget,
    zone: String,
}

#[uniffi::export]
impl MemoryZone {
    /// `insync_delay_seconds`: how long a change stays PENDING.
    #[uniffi::constructor(default(insync_delay_seconds = 0.0, virtual_time = true))]
    pub fn new(
        plan: Arc<CutoverPlan>,
        insync_delay_seconds: f64,
        virtual_time: bool,
    ) -> Result<Arc<MemoryZone>> {
        let delay = core::units::seconds(insync_delay_seconds, "insync_delay_seconds")?;
        Ok(Arc::new(MemoryZone {
            target: DnsTarget::rehearsal(&plan.inner, delay, virtual_time)?,
            zone: plan.inner.zone.clone(),
        }))
    }

    /// The zone's records now, as the core's JSON array.
    pub fn records_json(&self) -> Result<String> {
        Ok(self.target.records_json(&self.zone)?.unwrap_or_default())
    }
}

/// `Route53 | MemoryZone` as an argument. UniFFI has no unions: `lib/dynoshift.rb` wraps the
/// object the caller passes into this enum, so Ruby callers never see it.
#[derive(Debug, uniffi::Enum)]
pub enum Dns {
    /// Route53.
    Route53 {
        /// The target.
        target: Arc<Route53>,
    },
    /// An in-memory zone.
    Memory {
        /// The zone.
        zone: Arc<MemoryZone>,
    },
}

impl Dns {
    pub(crate) fn target(&self) -> DnsTarget {
        match self {
            Dns::Route53 { target } => target.target.clone(),
            Dns::Memory { zone } => zone.target.clone(),
        }
    }
}

dynoshift::result_type!(Finding => rb_record {});

dynoshift::result_type!(PreflightReport => rb_result {
    /// The core's JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

dynoshift::result_type!(DryRunStep => rb_record {});

dynoshift::result_type!(DryRunReport => rb_result {
    /// The core's JSON (every change batch).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Read-only preflight of `plan` against `dns`.
#[uniffi::export(async_runtime = "tokio")]
pub async fn preflight(plan: Arc<CutoverPlan>, dns: Dns) -> Result<Arc<PreflightReport>> {
    let (provider, _) = dns.target().connect().await;
    let inner = core::cutover::preflight(plan.inner.clone(), provider).await?;
    Ok(Arc::new(PreflightReport { inner }))
}

dynoshift::result_type!(AppPlans => rb_result {
    /// The core's JSON: `plans` (each with its zone), `skipped` and `warnings` with reasons.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// The plans written from `app`'s domains, each hostname's zone found in `dns`; `options_json`
/// is a JSON object of `InitOptions` fields. `lib/dynoshift.rb` offers it as
/// `CutoverPlan.from_heroku_app(client, app, dns, options)` (a Hash).
#[uniffi::export(async_runtime = "tokio")]
pub async fn plans_from_heroku_app(
    client: Arc<HerokuClient>,
    app: String,
    dns: Dns,
    options_json: String,
) -> Result<Arc<AppPlans>> {
    let options = core::cutover::InitOptions::from_json(&options_json)?;
    let (provider, _) = dns.target().connect().await;
    let inner = core::cutover::plans_from_app(&client.inner, &app, options, provider).await?;
    Ok(Arc::new(AppPlans { inner }))
}

/// The dry run of `plan`, assuming every hostname is a simple CNAME to the Heroku target.
#[uniffi::export]
pub fn dry_run(plan: Arc<CutoverPlan>) -> Result<Arc<DryRunReport>> {
    let inner = core::cutover::dry_run(&plan.inner, None, None)?;
    Ok(Arc::new(DryRunReport { inner }))
}

dynoshift::result_type!(CutoverOutcome => rb_result {
    /// The core's JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// One event of a run.
#[derive(Debug, uniffi::Record)]
pub struct CutoverEventRecord {
    /// Run id.
    pub run_id: String,
    /// Unix milliseconds.
    pub at_ms: u64,
    /// The event's type, e.g. "stage_passed".
    pub event_type: String,
    /// One plain sentence for people.
    pub description: String,
    /// The whole event as the core's JSON.
    pub json: String,
}

impl From<&core::EventRecord> for CutoverEventRecord {
    fn from(e: &core::EventRecord) -> Self {
        CutoverEventRecord {
            run_id: e.run_id.clone(),
            at_ms: e.at_ms,
            event_type: e.event.type_name(),
            description: e.event.describe(),
            json: e.to_json(),
        }
    }
}

/// Receives every event of a run, in order, on the thread driving the run. Any Ruby object
/// with an `on_event(event)` method will do (`lib/dynoshift.rb` also accepts a block or proc).
/// It must return quickly; if it raises, the error is reported on stderr, counted in
/// `Cutover#callback_errors`, and the run goes on (a run must not stop half-way with its lock
/// held).
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// Called for each event.
    fn on_event(&self, event: CutoverEventRecord) -> Result<()>;
}

struct ListenerObserver {
    listener: Arc<dyn EventListener>,
    errors: Arc<AtomicU64>,
}

impl fmt::Debug for ListenerObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ListenerObserver")
    }
}

impl core::Observer for ListenerObserver {
    fn on_event(&self, event: &core::EventRecord) {
        let record = CutoverEventRecord::from(event);
        let failure = match catch_unwind(AssertUnwindSafe(|| self.listener.on_event(record))) {
            Ok(Ok(())) => return,
            Ok(Err(e)) => format!("the event listener raised ({e})"),
            Err(_) => "the event listener failed".to_owned(),
        };
        self.errors.fetch_add(1, Ordering::Relaxed);
        core::cutover::events::callback_failed("on_event", &failure);
    }
}

/// A gate written in Ruby. `lib/dynoshift.rb` turns each callable of `Cutover.new(gates:)`
/// (context Hash in, `{status:, reason:}` out) into one of these. `check_json` receives the
/// gate context as JSON (run_id, stage, percent, tick, elapsed_seconds, hostnames, next_percent) and returns
/// the verdict as JSON (`{"status": "pass"|"fail"|"inconclusive"|"error", "reason": ...}`); a
/// raise or a malformed verdict becomes an "error" verdict.
#[uniffi::export(with_foreign)]
pub trait GateCallback: Send + Sync {
    /// Name shown in events and the journal.
    fn name(&self) -> String;
    /// Judges the stage now.
    fn check_json(&self, context_json: String) -> Result<String>;
}

fn ruby_gate(name: String, callback: Arc<dyn GateCallback>) -> CallbackGate {
    CallbackGate::new(name, move |ctx: GateContext| {
        let callback = callback.clone();
        async move {
            let ctx_json = serde_json::to_string(&ctx).unwrap_or_default();
            match catch_unwind(AssertUnwindSafe(|| callback.check_json(ctx_json))) {
                Ok(Ok(text)) => Verdict::from_answer_json(&text),
                Ok(Err(e)) => Verdict::error(format!("the gate raised: {e}")),
                Err(_) => Verdict::error("the gate failed"),
            }
        }
    })
}

/// A cutover of `plan` on `dns`, journaled at `journal_path`. Each of `run`, `resume`,
/// `rollback` and `promote` drives the engine to an outcome (one at a time per object); while
/// one is running, the sync controls (`pause`, `unpause`, `approve`, `abort`, `promote_now`,
/// `rollback_now`) steer it from another thread or a callback. Because this object holds the
/// controls, a pause (or a stage awaiting approval) waits for `unpause`/`approve` instead of
/// ending the run as "paused".
#[derive(uniffi::Object)]
pub struct Cutover {
    session: core::cutover::Session,
    callback_errors: Arc<AtomicU64>,
}

impl fmt::Debug for Cutover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cutover")
            .field("session", &self.session)
            .finish()
    }
}

impl Cutover {
    async fn start(&self, op: Operation) -> Result<Arc<CutoverOutcome>> {
        let inner = self.session.start(op)?.await?;
        Ok(Arc::new(CutoverOutcome { inner }))
    }

    fn control(&self, c: Control) -> Result<()> {
        Ok(self.session.send(c)?)
    }
}

fn mode_of(mode: Option<String>) -> Result<Option<RollbackMode>> {
    Ok(mode.as_deref().map(RollbackMode::parse).transpose()?)
}

#[uniffi::export(async_runtime = "tokio")]
impl Cutover {
    /// `on_event`: an `EventListener`; `gates`: `GateCallback`s; `force`: continue over records
    /// changed by someone else; `take_over_stale_lock`: take over a lock whose expiry has passed.
    #[uniffi::constructor(default(
        on_event = None,
        gates = None,
        force = false,
        take_over_stale_lock = false,
        gates_json = None,
        no_wait = false
    ))]
    // One parameter per keyword argument of the Python and Node constructors (api-surface.json).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: Arc<CutoverPlan>,
        dns: Dns,
        journal_path: String,
        on_event: Option<Arc<dyn EventListener>>,
        gates: Option<Vec<Arc<dyn GateCallback>>>,
        force: bool,
        take_over_stale_lock: bool,
        gates_json: Option<String>,
        no_wait: bool,
    ) -> Result<Arc<Cutover>> {
        let callback_errors: Arc<AtomicU64> = Arc::default();
        let mut session =
            core::cutover::Session::new(plan.inner.clone(), dns.target(), journal_path)?
                .with_options(RunOptions {
                    force,
                    take_over_stale_lock,
                    no_wait,
                });
        if let Some(json) = &gates_json {
            for g in dynoshift::health::gates_from_json(json)? {
                session = session.with_callback_gate(g);
            }
        }
        for g in gates.unwrap_or_default() {
            session = session.with_callback_gate(Arc::new(ruby_gate(g.name(), g)));
        }
        if let Some(l) = on_event {
            session = session.with_observer(Arc::new(ListenerObserver {
                listener: l,
                errors: callback_errors.clone(),
            }));
        }
        Ok(Arc::new(Cutover {
            session,
            callback_errors,
        }))
    }

    /// The journal file.
    pub fn journal_path(&self) -> String {
        self.session.journal_path().display().to_string()
    }

    /// Starts a new run: preflight, snapshot, lock, then the stages.
    pub async fn run(&self) -> Result<Arc<CutoverOutcome>> {
        self.start(Operation::Run).await
    }

    /// Continues the run recorded in the journal.
    pub async fn resume(&self) -> Result<Arc<CutoverOutcome>> {
        self.start(Operation::Resume).await
    }

    /// Restores the original records (`mode`: "full" or "graduated"; default the plan's).
    #[uniffi::method(default(mode = None))]
    pub async fn rollback(&self, mode: Option<String>) -> Result<Arc<CutoverOutcome>> {
        let mode = mode_of(mode)?;
        self.start(Operation::Rollback(mode)).await
    }

    /// Goes to 100% AWS now for the journaled run, skipping the remaining stages.
    pub async fn promote(&self) -> Result<Arc<CutoverOutcome>> {
        self.start(Operation::Promote).await
    }

    /// Pauses the running run at the next step boundary or tick.
    pub fn pause(&self) -> Result<()> {
        self.control(Control::Pause)
    }
    /// Lets a paused run continue.
    pub fn unpause(&self) -> Result<()> {
        self.control(Control::Resume)
    }
    /// Lets the next stage start (plans with `require_approval`); also ends a pause.
    pub fn approve(&self) -> Result<()> {
        self.control(Control::Approve)
    }
    /// Rolls the running run back with the plan's mode ("aborted by the operator").
    pub fn abort(&self) -> Result<()> {
        self.control(Control::Abort)
    }
    /// Skips the remaining stages of the running run: 100% AWS now, then promoted.
    pub fn promote_now(&self) -> Result<()> {
        self.control(Control::Promote)
    }
    /// Rolls the running run back now (`mode` "full" or "graduated"; default the plan's).
    #[uniffi::method(default(mode = None))]
    pub fn rollback_now(&self, mode: Option<String>) -> Result<()> {
        let mode = mode_of(mode)?;
        self.control(Control::Rollback(mode))
    }

    /// True while a run, resume, rollback or promote of this object is in progress.
    pub fn running(&self) -> bool {
        self.session.controls().busy()
    }
    /// How many times the event listener raised (each is logged as a warning).
    pub fn callback_errors(&self) -> u64 {
        self.callback_errors.load(Ordering::Relaxed)
    }
}

/// A run's journal.
#[derive(Debug, uniffi::Object)]
pub struct Journal {
    inner: core::cutover::Journal,
}

#[uniffi::export]
impl Journal {
    /// Run id.
    pub fn run_id(&self) -> String {
        self.inner.run_id.clone()
    }
    /// Hosted zone name.
    pub fn zone_name(&self) -> String {
        self.inner.zone_name.clone()
    }
    /// AWS share now (nil: the original records).
    pub fn current_percent(&self) -> Option<u32> {
        self.inner.current_percent().map(u32::from)
    }
    /// True once the run ended (promoted or rolled back).
    pub fn finished(&self) -> bool {
        self.inner.finished()
    }
    /// How the run ended, if it did.
    pub fn outcome(&self) -> Option<Arc<CutoverOutcome>> {
        self.inner
            .outcome
            .as_ref()
            .map(|o| Arc::new(CutoverOutcome { inner: o.clone() }))
    }
    /// Steps written so far ("stage", "rollback", ...), in order.
    pub fn steps(&self) -> Vec<String> {
        self.inner
            .steps
            .iter()
            .map(|s| s.kind.label().to_owned())
            .collect()
    }
    /// The journal as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.inner).unwrap_or_default()
    }
}

/// Reads the journal at `path` (`NotFoundError` if there is none).
#[uniffi::export]
pub fn read_journal(path: String) -> Result<Arc<Journal>> {
    Ok(Arc::new(Journal {
        inner: core::cutover::read_journal(path)?,
    }))
}

/// Checks a gate config (`http`, `prometheus`, `baseline` gates, as JSON text) and returns the
/// gates' names; `InvalidInputError` names the gate and field at fault.
#[uniffi::export]
pub fn validate_gates(json_text: String) -> Result<Vec<String>> {
    Ok(dynoshift::health::gates_from_json(&json_text)?
        .iter()
        .map(|g| g.name())
        .collect())
}

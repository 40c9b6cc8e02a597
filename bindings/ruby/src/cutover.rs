//! The staged Route53 cutover: plan, DNS target (in-memory rehearsal zone or Route53), preflight,
//! dry run, the run itself with its event listener, and the journal.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use dynoshift as core;
use dynoshift::dns::route53::{Route53Options, StaticCredentials};

use crate::errors::Result;

/// A validated cutover plan.
#[derive(Debug, uniffi::Object)]
pub struct CutoverPlan {
    pub(crate) inner: core::CutoverPlan,
}

#[uniffi::export]
impl CutoverPlan {
    /// Parses and validates a JSON plan (`InvalidInputError` names the field at fault).
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<CutoverPlan>> {
        Ok(Arc::new(CutoverPlan {
            inner: core::CutoverPlan::from_json(&text)?,
        }))
    }
    /// Hostnames to move (normalised).
    pub fn hostnames(&self) -> Vec<String> {
        self.inner.hostnames.clone()
    }
    /// Hosted zone name or id.
    pub fn zone(&self) -> String {
        self.inner.zone.clone()
    }
    /// Stages in percent to AWS (integers; uniffi would hand a `Vec<u8>` to Ruby as bytes).
    pub fn stages(&self) -> Vec<u32> {
        self.inner.stages.iter().map(|&s| u32::from(s)).collect()
    }
    /// SHA-256 of the plan's canonical JSON.
    pub fn digest(&self) -> String {
        self.inner.digest()
    }
    /// The plan as JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

enum Backend {
    Memory {
        provider: core::MemoryProvider,
        clock: Arc<core::VirtualClock>,
    },
    Route53(Route53Options),
}

/// Where the records live: an in-process rehearsal zone on virtual time, or Route53 (or an
/// endpoint that speaks its API, such as moto_server).
#[derive(uniffi::Object)]
pub struct DnsTarget {
    backend: Backend,
}

impl fmt::Debug for DnsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.backend {
            Backend::Memory { .. } => f.write_str("DnsTarget(memory)"),
            Backend::Route53(o) => write!(f, "DnsTarget(route53, {o:?})"),
        }
    }
}

impl DnsTarget {
    async fn provider(&self) -> (Arc<dyn core::DnsProvider>, Arc<dyn core::Clock>) {
        match &self.backend {
            Backend::Memory { provider, clock } => (Arc::new(provider.clone()), clock.clone()),
            Backend::Route53(options) => (
                Arc::new(core::Route53Provider::connect(options.clone()).await),
                Arc::new(core::SystemClock),
            ),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl DnsTarget {
    /// An in-process zone seeded with the plan's hostnames as CNAMEs to Heroku; waits run on
    /// virtual time, so a rehearsal finishes at once.
    #[uniffi::constructor]
    pub fn memory(plan: Arc<CutoverPlan>) -> Result<Arc<DnsTarget>> {
        let clock = Arc::new(core::VirtualClock::new());
        let provider = core::cutover::rehearsal_provider(
            &plan.inner,
            core::MemoryOptions::default(),
            clock.clone(),
        )?;
        Ok(Arc::new(DnsTarget {
            backend: Backend::Memory { provider, clock },
        }))
    }

    /// Route53 through the standard AWS credential chain, or the given keys; `endpoint_url`
    /// points elsewhere (e.g. `http://127.0.0.1:5000` for moto_server).
    #[uniffi::constructor(default(
        endpoint_url = None,
        region = None,
        access_key_id = None,
        secret_access_key = None
    ))]
    pub fn route53(
        endpoint_url: Option<String>,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    ) -> Result<Arc<DnsTarget>> {
        let credentials = match (access_key_id, secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => Some(StaticCredentials {
                access_key_id,
                secret_access_key,
                session_token: None,
            }),
            (None, None) => None,
            _ => {
                return Err(core::Error::invalid_input(
                    "give both access_key_id and secret_access_key, or neither (standard chain)",
                )
                .into());
            }
        };
        Ok(Arc::new(DnsTarget {
            backend: Backend::Route53(Route53Options {
                endpoint_url,
                region,
                credentials,
            }),
        }))
    }

    /// "memory" or "route53".
    pub fn kind(&self) -> String {
        match self.backend {
            Backend::Memory { .. } => "memory".into(),
            Backend::Route53(_) => "route53".into(),
        }
    }

    /// Every record set of the zone (name or id), as the core's JSON array.
    pub async fn records(&self, zone: String) -> Result<String> {
        let (provider, _) = self.provider().await;
        let zone = provider.zone(&zone).await?;
        let records = provider.list_records(&zone.id).await?;
        Ok(serde_json::to_string(&records).unwrap_or_default())
    }
}

/// Read-only checks of the zone and records.
#[derive(Debug, uniffi::Object)]
pub struct PreflightReport {
    inner: core::PreflightReport,
}

#[uniffi::export]
impl PreflightReport {
    /// True when nothing blocks a run.
    pub fn ok(&self) -> bool {
        self.inner.ok
    }
    /// One line per host and finding, for people.
    pub fn summary(&self) -> Vec<String> {
        self.inner.summary()
    }
    /// The core's JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Every change batch, share, wait and API call a plan would make.
#[derive(Debug, uniffi::Object)]
pub struct DryRunReport {
    inner: core::DryRunReport,
}

#[uniffi::export]
impl DryRunReport {
    /// The least wall time the run takes (TTL waits and soaks).
    pub fn minimum_seconds(&self) -> u64 {
        self.inner.minimum_seconds
    }
    /// One line per step, for people.
    pub fn summary(&self) -> Vec<String> {
        self.inner.summary()
    }
    /// The core's JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Read-only preflight of `plan` against `target`.
#[uniffi::export(async_runtime = "tokio")]
pub async fn preflight(
    plan: Arc<CutoverPlan>,
    target: Arc<DnsTarget>,
) -> Result<Arc<PreflightReport>> {
    let (provider, _) = target.provider().await;
    let inner = core::cutover::preflight(plan.inner.clone(), provider).await?;
    Ok(Arc::new(PreflightReport { inner }))
}

/// The dry run of `plan`, assuming every hostname is a simple CNAME to the Heroku target.
#[uniffi::export]
pub fn dry_run(plan: Arc<CutoverPlan>) -> Result<Arc<DryRunReport>> {
    let inner = core::cutover::dry_run(&plan.inner, None, None)?;
    Ok(Arc::new(DryRunReport { inner }))
}

/// How a run ended: `outcome` is "promoted", "rolled_back" or "paused".
#[derive(Debug, uniffi::Record)]
pub struct Outcome {
    /// "promoted", "rolled_back" or "paused".
    pub outcome: String,
    /// Why (rolled back or paused).
    pub reason: Option<String>,
}

impl From<&core::Outcome> for Outcome {
    fn from(o: &core::Outcome) -> Self {
        let reason = match o {
            core::Outcome::Promoted => None,
            core::Outcome::RolledBack { reason } | core::Outcome::Paused { reason } => {
                Some(reason.clone())
            }
        };
        let outcome = serde_json::to_value(o)
            .ok()
            .and_then(|v| v.get("outcome").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        Outcome { outcome, reason }
    }
}

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
        let event_type = serde_json::to_value(&e.event)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        CutoverEventRecord {
            run_id: e.run_id.clone(),
            at_ms: e.at_ms,
            event_type,
            description: e.event.describe(),
            json: e.to_json(),
        }
    }
}

/// Receives every event of a run, in order, on the thread driving the run. Any Ruby object
/// with an `on_event(event)` method will do. It must return quickly; if it raises, the error is
/// reported on stderr and the run goes on (a run must not stop half-way with its lock held).
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// Called for each event.
    fn on_event(&self, event: CutoverEventRecord) -> Result<()>;
}

struct ListenerObserver(Arc<dyn EventListener>);

impl fmt::Debug for ListenerObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ListenerObserver")
    }
}

impl core::Observer for ListenerObserver {
    fn on_event(&self, event: &core::EventRecord) {
        let record = CutoverEventRecord::from(event);
        match catch_unwind(AssertUnwindSafe(|| self.0.on_event(record))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("dynoshift: the event listener raised ({e}); the run goes on"),
            Err(_) => eprintln!("dynoshift: the event listener failed; the run goes on"),
        }
    }
}

/// A cutover of `plan` on `target`, journaled at `journal_path`. Each of `run`, `resume`,
/// `rollback` and `promote` drives the engine to an outcome.
#[derive(uniffi::Object)]
pub struct Cutover {
    plan: core::CutoverPlan,
    target: Arc<DnsTarget>,
    journal_path: String,
    listener: Option<Arc<dyn EventListener>>,
    options: core::RunOptions,
}

impl fmt::Debug for Cutover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cutover")
            .field("target", &self.target)
            .field("journal_path", &self.journal_path)
            .field("listener", &self.listener.is_some())
            .field("options", &self.options)
            .finish()
    }
}

impl Cutover {
    async fn engine(&self) -> Result<core::Cutover> {
        let (provider, clock) = self.target.provider().await;
        let mut cut = core::Cutover::new(self.plan.clone(), provider, &self.journal_path)?
            .with_clock(clock)
            .with_options(self.options);
        if let Some(l) = &self.listener {
            cut = cut.with_observer(Arc::new(ListenerObserver(l.clone())));
        }
        Ok(cut)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Cutover {
    /// `force`: continue over records changed by someone else; `take_over_stale_lock`: take
    /// over a lock whose expiry has passed.
    #[uniffi::constructor(default(listener = None, force = false, take_over_stale_lock = false))]
    pub fn new(
        plan: Arc<CutoverPlan>,
        target: Arc<DnsTarget>,
        journal_path: String,
        listener: Option<Arc<dyn EventListener>>,
        force: bool,
        take_over_stale_lock: bool,
    ) -> Result<Arc<Cutover>> {
        if journal_path.trim().is_empty() {
            return Err(core::Error::invalid_input("give a journal path").into());
        }
        Ok(Arc::new(Cutover {
            plan: plan.inner.clone(),
            target,
            journal_path,
            listener,
            options: core::RunOptions {
                force,
                take_over_stale_lock,
            },
        }))
    }

    /// The journal file.
    pub fn journal_path(&self) -> String {
        self.journal_path.clone()
    }

    /// Starts a new run: preflight, snapshot, lock, then the stages.
    pub async fn run(&self) -> Result<Outcome> {
        Ok((&self.engine().await?.run().await?).into())
    }

    /// Continues the run recorded in the journal.
    pub async fn resume(&self) -> Result<Outcome> {
        Ok((&self.engine().await?.resume().await?).into())
    }

    /// Restores the original records (`mode`: "full" or "graduated"; default the plan's).
    #[uniffi::method(default(mode = None))]
    pub async fn rollback(&self, mode: Option<String>) -> Result<Outcome> {
        let mode = mode
            .map(|m| {
                serde_json::from_value::<core::RollbackMode>(serde_json::Value::String(m.clone()))
                    .map_err(|_| {
                        core::Error::invalid_input(format!(
                            "rollback mode {m:?} is not \"full\" or \"graduated\""
                        ))
                        .at("mode")
                    })
            })
            .transpose()?;
        Ok((&self.engine().await?.rollback(mode).await?).into())
    }

    /// Goes to 100% AWS now, skipping the remaining stages.
    pub async fn promote(&self) -> Result<Outcome> {
        Ok((&self.engine().await?.promote().await?).into())
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
    pub fn outcome(&self) -> Option<Outcome> {
        self.inner.outcome.as_ref().map(Into::into)
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

//! The staged Route53 cutover as Promises: plan, DNS targets, preflight, dry run, the run itself
//! (events to a JS callback as plain objects, sync controls), journal reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dynoshift as core;
use dynoshift::cutover::{
    CallbackGate, Control, DnsTarget, EventRecord, GateContext, Observer, Operation, RollbackMode,
    RunOptions, Verdict,
};
use dynoshift::dns::route53::Route53Options;
use napi::Env;
use napi::bindgen_prelude::{Either, Function, Object, Promise, PromiseRaw, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::convert::{Options, json_value};
use crate::errors::{IntoJs, Result, promise};
use crate::heroku_api::HerokuClient;

dynoshift::result_type!(CutoverPlan => js_result {});

#[napi]
impl CutoverPlan {
    /// Parses and validates a JSON plan; errors have `code === 'invalid_input'`.
    #[napi(factory)]
    pub fn from_json(text: String) -> Result<CutoverPlan> {
        Ok(CutoverPlan {
            inner: core::CutoverPlan::from_json(&text).js_err()?,
        })
    }
    /// The plan as the core's JSON (defaults filled in).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// Resolves to the plans written from a Heroku app's custom domains (one per hosted zone,
    /// each hostname with its own Heroku DNS target), finding each hostname's zone in `dns`;
    /// read-only on both sides. `options` holds `InitOptions` fields in snake_case
    /// (`aws_target`, `aws_targets`, `zone`, `stages`, `ttl`, `soak_seconds`, `health_path`,
    /// `gates`, `allow_failed_certificates`); an unknown key rejects with
    /// `code === 'invalid_input'` naming it.
    #[napi(
        ts_args_type = "client: HerokuClient, app: string, dns: Route53 | MemoryZone, options: { aws_target?: string; aws_targets?: Record<string, string>; zone?: string; stages?: Array<number>; ttl?: number; soak_seconds?: number; health_path?: string; gates?: boolean; allow_failed_certificates?: boolean }",
        ts_return_type = "Promise<AppPlans>"
    )]
    pub fn from_heroku_app<'env>(
        env: &'env Env,
        client: &HerokuClient,
        app: String,
        dns: Either<&Route53, &MemoryZone>,
        options: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, AppPlans>> {
        let options = json_value(env, options, "options")
            .and_then(|o| core::cutover::InitOptions::from_json(&o.to_string()));
        let client = client.inner.clone();
        let connect = target_of(&dns).connect();
        promise(
            env,
            async move {
                let options = options?;
                let (provider, _clock) = connect.await;
                core::cutover::plans_from_app(&client, &app, options, provider).await
            },
            |inner| AppPlans { inner },
        )
    }
}

dynoshift::result_type!(AppPlans => js_result {});

#[napi]
impl AppPlans {
    /// The core's JSON: `plans` (each with its zone), `skipped` and `warnings` with reasons.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Options for `new Route53(options)`.
#[napi(object)]
#[derive(Default)]
pub struct Route53Config {
    /// Send requests here instead of AWS (e.g. moto_server's URL).
    pub endpoint_url: Option<String>,
    /// Signing region (default `us-east-1`).
    pub region: Option<String>,
    /// Static access key id (with `secretAccessKey`); otherwise the standard chain.
    pub access_key_id: Option<String>,
    /// Static secret key; never shown by `util.inspect`, errors or logs.
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for Route53Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route53Config")
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Route53 (or an API-compatible endpoint such as moto_server). Without keys the standard AWS
/// credential chain is used.
#[napi]
#[derive(Debug)]
pub struct Route53 {
    target: DnsTarget,
}

#[napi]
impl Route53 {
    /// Builds the target; no network call is made until a Promise-returning call.
    #[napi(constructor, ts_args_type = "options?: Route53Config")]
    pub fn new(options: Option<Object>) -> Result<Self> {
        let o = Options::check(
            options,
            "new Route53(options)",
            &["endpointUrl", "region", "accessKeyId", "secretAccessKey"],
        )?;
        let options = Route53Options::from_parts(
            o.get("endpointUrl")?,
            o.get("region")?,
            o.get("accessKeyId")?,
            o.get("secretAccessKey")?,
        )
        .js_err()?;
        Ok(Route53 {
            target: DnsTarget::Route53(options),
        })
    }
    /// The endpoint, if not AWS's.
    #[napi(getter)]
    pub fn endpoint_url(&self) -> Option<String> {
        self.target.endpoint_url().map(str::to_owned)
    }
}

/// Options for `new MemoryZone(plan, options)`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct MemoryZoneOptions {
    /// Seconds from a change to INSYNC (default 0).
    pub insync_delay_seconds: Option<f64>,
    /// Every wait passes at once (default true).
    pub virtual_time: Option<bool>,
}

/// An in-memory zone seeded for `plan` (its hostnames as simple CNAMEs to the Heroku target):
/// the embedded default for rehearsals.
#[napi]
#[derive(Debug)]
pub struct MemoryZone {
    target: DnsTarget,
    zone: String,
}

#[napi]
impl MemoryZone {
    /// Creates the zone and its records.
    #[napi(
        constructor,
        ts_args_type = "plan: CutoverPlan, options?: MemoryZoneOptions"
    )]
    pub fn new(plan: &CutoverPlan, options: Option<Object>) -> Result<Self> {
        let o = Options::check(
            options,
            "new MemoryZone(plan, options)",
            &["insyncDelaySeconds", "virtualTime"],
        )?;
        let delay = core::units::seconds(
            o.get::<f64>("insyncDelaySeconds")?.unwrap_or(0.0),
            "insyncDelaySeconds",
        )
        .js_err()?;
        let virtual_time = o.get::<bool>("virtualTime")?.unwrap_or(true);
        Ok(MemoryZone {
            target: DnsTarget::rehearsal(&plan.inner, delay, virtual_time).js_err()?,
            zone: plan.inner.zone.clone(),
        })
    }
    /// The zone's records now, as JSON (a list of record sets).
    #[napi]
    pub fn records_json(&self) -> Result<String> {
        Ok(self
            .target
            .records_json(&self.zone)
            .js_err()?
            .unwrap_or_default())
    }
}

pub(crate) fn target_of(dns: &Either<&Route53, &MemoryZone>) -> DnsTarget {
    match dns {
        Either::A(r) => r.target.clone(),
        Either::B(m) => m.target.clone(),
    }
}

dynoshift::result_type!(PreflightReport => js_result {});
dynoshift::result_type!(Finding => js_record {});
dynoshift::result_type!(DryRunStep => js_record {});
dynoshift::result_type!(DryRunReport => js_result {});

#[napi]
impl PreflightReport {
    /// The core's JSON (with each hostname's current state and the live checks).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

#[napi]
impl DryRunReport {
    /// The core's JSON (every change batch).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

dynoshift::result_type!(CutoverOutcome => js_result {});

#[napi]
impl CutoverOutcome {
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Resolves to the read-only `PreflightReport` of `plan` against `dns`.
#[napi(ts_return_type = "Promise<PreflightReport>")]
pub fn preflight<'env>(
    env: &'env Env,
    plan: &CutoverPlan,
    dns: Either<&Route53, &MemoryZone>,
) -> napi::Result<PromiseRaw<'env, PreflightReport>> {
    let plan = plan.inner.clone();
    let connect = target_of(&dns).connect();
    promise(
        env,
        async move {
            let (provider, _clock) = connect.await;
            core::cutover::preflight(plan, provider).await
        },
        |inner| PreflightReport { inner },
    )
}

/// Every change batch `plan` would write, assuming simple CNAMEs to the Heroku target now.
#[napi]
pub fn dry_run(plan: &CutoverPlan) -> Result<DryRunReport> {
    Ok(DryRunReport {
        inner: core::cutover::dry_run(&plan.inner, None, None).js_err()?,
    })
}

/// The journal at `path` as JSON text (`code === 'not_found'` if there is none).
#[napi]
pub fn read_journal(path: String) -> Result<String> {
    let journal = core::cutover::read_journal(path).js_err()?;
    Ok(serde_json::to_string(&journal).unwrap_or_default())
}

type EventFn = ThreadsafeFunction<
    serde_json::Value,
    Unknown<'static>,
    serde_json::Value,
    napi::Status,
    false,
    true,
>;

/// Forwards events to the JS callback as plain objects, in order. A callback that throws is
/// counted (`callbackErrors`); the run goes on. The Promise of a run settles only after every
/// event has been handed to the callback.
#[derive(Clone)]
struct JsObserver {
    tsfn: Arc<EventFn>,
    sent: Arc<AtomicU64>,
    delivered: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
}

impl std::fmt::Debug for JsObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsObserver")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl Observer for JsObserver {
    fn on_event(&self, event: &EventRecord) {
        let value = serde_json::to_value(event).unwrap_or_default();
        let delivered = self.delivered.clone();
        let errors = self.errors.clone();
        self.sent.fetch_add(1, Ordering::SeqCst);
        let status = self.tsfn.call_with_return_value(
            value,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |result, _env| {
                if result.is_err() {
                    errors.fetch_add(1, Ordering::SeqCst);
                    core::cutover::events::callback_failed("onEvent", "it threw");
                }
                delivered.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        );
        if status != napi::Status::Ok {
            // the environment is going away: nobody is left to tell
            self.delivered.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl JsObserver {
    /// Waits (up to 5 s) until the callback has seen every event sent so far.
    async fn flush(&self) {
        for _ in 0..5000 {
            if self.delivered.load(Ordering::SeqCst) >= self.sent.load(Ordering::SeqCst) {
                return;
            }
            napi::tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// A gate's answer (`reason` optional).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct GateVerdict {
    /// `pass`, `fail`, `inconclusive` or `error`.
    #[napi(ts_type = "'pass' | 'fail' | 'inconclusive' | 'error'")]
    pub status: String,
    /// Why.
    pub reason: Option<String>,
}

/// Options for `new Cutover(...)`.
#[napi(object)]
pub struct CutoverOptions<'a> {
    /// Called with every event as a plain object (`{type, run_id, at_ms, ...}`).
    #[napi(
        ts_type = "(event: { type: string; run_id: string; at_ms: number; [key: string]: unknown }) => void"
    )]
    pub on_event: Option<Function<'a, serde_json::Value, Unknown<'static>>>,
    /// Gates asked every soak tick: sync or async functions of a context object
    /// (`run_id, stage, percent, tick, elapsed_seconds, hostnames, next_percent`) returning a verdict
    /// `{status: 'pass'|'fail'|'inconclusive'|'error', reason}`. A throw, a rejection or a
    /// malformed verdict is an `error` verdict.
    #[napi(
        ts_type = "Array<(ctx: { run_id: string; stage: number; percent: number; tick: number; elapsed_seconds: number; hostnames: string[]; next_percent?: number | null }) => GateVerdict | Promise<GateVerdict>>"
    )]
    pub gates: Option<Vec<Function<'a, serde_json::Value, Unknown<'a>>>>,
    /// Gates described as data: JSON text of a list of `http`, `prometheus` and `baseline`
    /// gate configs (or `{gates: [...]}`), asked next to `gates`. An invalid config throws
    /// with `code === 'invalid_input'` here.
    pub gates_json: Option<String>,
    /// Continue although someone else changed the weighted records.
    pub force: Option<bool>,
    /// Take over a lock whose expiry has passed.
    pub take_over_stale_lock: Option<bool>,
    /// End the run as `paused` at a pause that waits for an operator (an approval) instead
    /// of waiting for `approve()`.
    pub no_wait: Option<bool>,
}

impl std::fmt::Debug for CutoverOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CutoverOptions")
            .field("on_event", &self.on_event.is_some())
            .field("gates", &self.gates.as_ref().map(Vec::len))
            .field("gates_json", &self.gates_json.is_some())
            .field("force", &self.force)
            .field("take_over_stale_lock", &self.take_over_stale_lock)
            .field("no_wait", &self.no_wait)
            .finish()
    }
}

type GateFn = ThreadsafeFunction<
    serde_json::Value,
    Promise<serde_json::Value>,
    serde_json::Value,
    napi::Status,
    false,
    true,
>;

/// Turns a JS function into a gate: it is wrapped in an `async` function (so a sync result, a
/// throw and a Promise all become a Promise) and called on the JS thread every tick.
fn js_gate(
    env: &Env,
    index: usize,
    f: Function<'_, serde_json::Value, Unknown<'_>>,
) -> napi::Result<CallbackGate> {
    let name = f
        .name()
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("gate{index}"));
    let wrap: Function<
        '_,
        Function<'_, serde_json::Value, Unknown<'_>>,
        Function<'_, serde_json::Value, Promise<serde_json::Value>>,
    > = env.run_script("(gate) => async (ctx) => gate(ctx)")?;
    let tsfn: GateFn = wrap
        .call(f)?
        .build_threadsafe_function::<serde_json::Value>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(|ctx| Ok(ctx.value))?;
    let tsfn = Arc::new(tsfn);
    Ok(CallbackGate::new(name, move |ctx: GateContext| {
        let tsfn = tsfn.clone();
        async move {
            let ctx = serde_json::to_value(&ctx).unwrap_or_default();
            let answer = match tsfn.call_async(ctx).await {
                Ok(pending) => pending.await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(value) => Verdict::from_answer(value),
                Err(e) => Verdict::error(format!("the gate threw: {}", e.reason)),
            }
        }
    }))
}

/// A cutover: plan + DNS target + journal path. `run()`, `resume()`, `rollback()` and
/// `promote()` return Promises of a `CutoverOutcome`; while one is pending, the sync controls
/// (`pause`, `unpause`, `approve`, `abort`, `promoteNow`, `rollbackNow`) steer it. The plan's
/// own gates always run; `gates` and `gatesJson` add to them. A pause that waits for an
/// operator waits for `unpause()`/`approve()`; one that waits for evidence (gates erroring or
/// inconclusive past their limits) settles the Promise with `paused`.
#[napi]
#[derive(Debug)]
pub struct Cutover {
    session: core::cutover::Session,
    observer: Option<JsObserver>,
}

impl Cutover {
    fn start<'env>(
        &self,
        env: &'env Env,
        op: core::Result<Operation>,
    ) -> napi::Result<PromiseRaw<'env, CutoverOutcome>> {
        let observer = self.observer.clone();
        let fut = op.and_then(|op| self.session.start(op));
        promise(
            env,
            async move {
                let result = fut?.await;
                if let Some(o) = &observer {
                    o.flush().await;
                }
                result
            },
            |inner| CutoverOutcome { inner },
        )
    }

    fn control(&self, c: Control) -> Result<()> {
        self.session.send(c).js_err()
    }
}

fn mode_of(mode: Option<String>) -> Result<Option<RollbackMode>> {
    mode.as_deref()
        .map(RollbackMode::parse)
        .transpose()
        .js_err()
}

#[napi]
impl Cutover {
    /// Validates the plan; nothing is read or written until a Promise-returning call.
    #[napi(
        constructor,
        ts_args_type = "plan: CutoverPlan, dns: Route53 | MemoryZone, journalPath: string, options?: CutoverOptions"
    )]
    pub fn new(
        env: &Env,
        plan: &CutoverPlan,
        dns: Either<&Route53, &MemoryZone>,
        journal_path: String,
        options: Option<Object>,
    ) -> Result<Self> {
        let o = Options::check(
            options,
            "new Cutover(plan, dns, journalPath, options)",
            &[
                "onEvent",
                "gates",
                "gatesJson",
                "force",
                "takeOverStaleLock",
                "noWait",
            ],
        )?;
        let on_event: Option<Function<'_, serde_json::Value, Unknown<'static>>> =
            o.get("onEvent")?;
        let gates: Vec<Function<'_, serde_json::Value, Unknown<'_>>> =
            o.get("gates")?.unwrap_or_default();
        let gates_json: Option<String> = o.get("gatesJson")?;
        let force = o.get::<bool>("force")?.unwrap_or(false);
        let take_over_stale_lock = o.get::<bool>("takeOverStaleLock")?.unwrap_or(false);
        let no_wait = o.get::<bool>("noWait")?.unwrap_or(false);
        let mut session =
            core::cutover::Session::new(plan.inner.clone(), target_of(&dns), journal_path)
                .js_err()?
                .with_options(RunOptions {
                    force,
                    take_over_stale_lock,
                    no_wait,
                });
        if let Some(json) = &gates_json {
            for g in core::health::gates_from_json(json).js_err()? {
                session = session.with_callback_gate(g);
            }
        }
        for (i, f) in gates.into_iter().enumerate() {
            let gate = js_gate(env, i, f)
                .map_err(|e| core::Error::internal(format!("gates: {}", e.reason)))
                .js_err()?;
            session = session.with_callback_gate(Arc::new(gate));
        }
        let observer = match on_event {
            Some(f) => {
                let tsfn: EventFn = f
                    .build_threadsafe_function::<serde_json::Value>()
                    .weak::<true>()
                    .callee_handled::<false>()
                    .build_callback(|ctx| Ok(ctx.value))
                    .map_err(|e| core::Error::internal(format!("onEvent: {}", e.reason)))
                    .js_err()?;
                Some(JsObserver {
                    tsfn: Arc::new(tsfn),
                    sent: Arc::default(),
                    delivered: Arc::default(),
                    errors: Arc::default(),
                })
            }
            None => None,
        };
        if let Some(o) = &observer {
            session = session.with_observer(Arc::new(o.clone()));
        }
        Ok(Cutover { session, observer })
    }

    /// Preflight, snapshot, lock, then every stage.
    #[napi(ts_return_type = "Promise<CutoverOutcome>")]
    pub fn run<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, CutoverOutcome>> {
        self.start(env, Ok(Operation::Run))
    }
    /// Continues the run recorded in the journal.
    #[napi(ts_return_type = "Promise<CutoverOutcome>")]
    pub fn resume<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, CutoverOutcome>> {
        self.start(env, Ok(Operation::Resume))
    }
    /// Restores the original records of the journaled run (`mode`: `full` or `graduated`;
    /// default the plan's).
    #[napi(ts_return_type = "Promise<CutoverOutcome>")]
    pub fn rollback<'env>(
        &self,
        env: &'env Env,
        mode: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, CutoverOutcome>> {
        let mode = mode.as_deref().map(RollbackMode::parse).transpose();
        self.start(env, mode.map(Operation::Rollback))
    }
    /// Writes 100% AWS for the journaled run now, without further soaks.
    #[napi(ts_return_type = "Promise<CutoverOutcome>")]
    pub fn promote<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, CutoverOutcome>> {
        self.start(env, Ok(Operation::Promote))
    }

    /// Pauses the pending run at the next step boundary or tick.
    #[napi]
    pub fn pause(&self) -> Result<()> {
        self.control(Control::Pause)
    }
    /// Lets a paused run continue.
    #[napi]
    pub fn unpause(&self) -> Result<()> {
        self.control(Control::Resume)
    }
    /// Lets the next stage start (plans with `require_approval`); also ends a pause.
    #[napi]
    pub fn approve(&self) -> Result<()> {
        self.control(Control::Approve)
    }
    /// Rolls the pending run back with the plan's mode ("aborted by the operator").
    #[napi]
    pub fn abort(&self) -> Result<()> {
        self.control(Control::Abort)
    }
    /// Skips the remaining stages of the pending run: 100% AWS now, then promoted.
    #[napi]
    pub fn promote_now(&self) -> Result<()> {
        self.control(Control::Promote)
    }
    /// Rolls the pending run back now (`mode`: `full` or `graduated`; default the plan's).
    #[napi]
    pub fn rollback_now(&self, mode: Option<String>) -> Result<()> {
        let mode = mode_of(mode)?;
        self.control(Control::Rollback(mode))
    }

    /// True while a Promise of this object is pending.
    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.session.controls().busy()
    }
    /// How many times `onEvent` threw (the run goes on).
    #[napi(getter)]
    pub fn callback_errors(&self) -> f64 {
        self.observer
            .as_ref()
            .map(|o| o.errors.load(Ordering::SeqCst) as f64)
            .unwrap_or(0.0)
    }
    /// The journal's path.
    #[napi(getter)]
    pub fn journal_path(&self) -> String {
        self.session.journal_path().display().to_string()
    }
}

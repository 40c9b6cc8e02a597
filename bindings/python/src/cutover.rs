//! The staged Route53 cutover as asyncio awaitables: plan, DNS targets, preflight, dry run, the
//! run itself (with events to a Python callable, gates written in Python and sync controls),
//! journal reading.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::aio::future_into_py;
use dynoshift as core;
use dynoshift::cutover::{
    CallbackGate, Control, DnsTarget, EventRecord, Gate, GateContext, Observer, Operation,
    RollbackMode, RunOptions, Verdict,
};
use dynoshift::dns::route53::Route53Options;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert::json_text;
use crate::errors::IntoPy;
use crate::heroku_api::HerokuClient;

dynoshift::result_type!(CutoverPlan => py_result {
    /// Parses and validates a JSON plan; `InvalidInputError` names the field at fault.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<CutoverPlan> {
        Ok(CutoverPlan {
            inner: core::CutoverPlan::from_json(text).py_err()?,
        })
    }
    /// The plan as the core's JSON (defaults filled in).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Route53 (or an API-compatible endpoint such as moto_server). Without keys the standard AWS
/// credential chain is used. The secret key is never shown by `repr`, errors or logs.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct Route53 {
    target: DnsTarget,
}

#[pymethods]
impl Route53 {
    #[new]
    #[pyo3(signature = (endpoint_url=None, region=None, access_key_id=None, secret_access_key=None))]
    fn new(
        endpoint_url: Option<String>,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    ) -> PyResult<Self> {
        let options =
            Route53Options::from_parts(endpoint_url, region, access_key_id, secret_access_key)
                .py_err()?;
        Ok(Route53 {
            target: DnsTarget::Route53(options),
        })
    }
    /// The endpoint, if not AWS's.
    #[getter]
    fn endpoint_url(&self) -> Option<String> {
        self.target.endpoint_url().map(str::to_owned)
    }
    fn __repr__(&self) -> String {
        match &self.target {
            DnsTarget::Route53(o) => format!(
                "Route53(endpoint_url={:?}, region={:?}, credentials={})",
                o.endpoint_url,
                o.region,
                if o.credentials.is_some() {
                    "static (redacted)"
                } else {
                    "standard chain"
                }
            ),
            DnsTarget::Memory { .. } => "Route53()".into(),
        }
    }
}

/// An in-memory zone seeded for `plan` (its hostnames as simple CNAMEs to the Heroku target):
/// the embedded default for rehearsals. With `virtual_time` (default) every wait passes at once.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct MemoryZone {
    target: DnsTarget,
    zone: String,
}

#[pymethods]
impl MemoryZone {
    #[new]
    #[pyo3(signature = (plan, insync_delay_seconds=0.0, virtual_time=true))]
    fn new(plan: &CutoverPlan, insync_delay_seconds: f64, virtual_time: bool) -> PyResult<Self> {
        let delay = core::units::seconds(insync_delay_seconds, "insync_delay_seconds").py_err()?;
        Ok(MemoryZone {
            target: DnsTarget::rehearsal(&plan.inner, delay, virtual_time).py_err()?,
            zone: plan.inner.zone.clone(),
        })
    }
    /// The zone's records now, as JSON (a list of record sets).
    fn records_json(&self) -> PyResult<String> {
        Ok(self
            .target
            .records_json(&self.zone)
            .py_err()?
            .unwrap_or_default())
    }
    fn __repr__(&self) -> String {
        format!("MemoryZone(zone={:?})", self.zone)
    }
}

/// `Route53 | MemoryZone` as an argument.
#[derive(FromPyObject)]
pub(crate) enum Dns<'py> {
    Route53(PyRef<'py, Route53>),
    Memory(PyRef<'py, MemoryZone>),
}

impl Dns<'_> {
    pub(crate) fn target(&self) -> DnsTarget {
        match self {
            Dns::Route53(r) => r.target.clone(),
            Dns::Memory(m) => m.target.clone(),
        }
    }
}

dynoshift::result_type!(Finding => py_result {});

dynoshift::result_type!(PreflightReport => py_result {
    /// The core's JSON (with each hostname's current state and the live checks).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

dynoshift::result_type!(DryRunStep => py_result {});

dynoshift::result_type!(DryRunReport => py_result {
    /// The core's JSON (every change batch).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

dynoshift::result_type!(CutoverOutcome => py_result {
    /// The core's JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// `await dynoshift.preflight(plan, dns)` → `PreflightReport` (read-only).
#[pyfunction]
pub fn preflight<'py>(
    py: Python<'py>,
    plan: &CutoverPlan,
    dns: Dns<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let plan = plan.inner.clone();
    let connect = dns.target().connect();
    future_into_py(py, async move {
        let (provider, _clock) = connect.await;
        let inner = core::cutover::preflight(plan, provider).await.py_err()?;
        Ok(PreflightReport { inner })
    })
}

dynoshift::result_type!(AppPlans => py_result {
    /// The core's JSON: `plans` (each with its zone), `skipped` and `warnings` with reasons.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// The native awaitable behind `CutoverPlan.from_heroku_app` (a coroutine attached by
/// dynoshift/_aio.py): the app's domains from the Platform API, each hostname's zone from
/// `dns`, `options` (a mapping of `InitOptions` fields) parsed by the core.
#[pyfunction]
#[pyo3(name = "_plans_from_heroku_app")]
pub fn plans_from_heroku_app<'py>(
    py: Python<'py>,
    client: &HerokuClient,
    app: &str,
    dns: Dns<'py>,
    options: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let text = json_text(py, Some(options))?.unwrap_or_else(|| "null".to_owned());
    let options = core::cutover::InitOptions::from_json(&text).py_err()?;
    let client = client.inner.clone();
    let app = app.to_owned();
    let connect = dns.target().connect();
    future_into_py(py, async move {
        let (provider, _clock) = connect.await;
        let inner = core::cutover::plans_from_app(&client, &app, options, provider)
            .await
            .py_err()?;
        Ok(AppPlans { inner })
    })
}

/// Every change batch `plan` would write, assuming simple CNAMEs to the Heroku target now.
#[pyfunction]
pub fn dry_run(plan: &CutoverPlan) -> PyResult<DryRunReport> {
    Ok(DryRunReport {
        inner: core::cutover::dry_run(&plan.inner, None, None).py_err()?,
    })
}

/// The journal at `path` as JSON text (`NotFoundError` if there is none).
#[pyfunction]
pub fn read_journal(path: PathBuf) -> PyResult<String> {
    let journal = core::cutover::read_journal(path).py_err()?;
    Ok(serde_json::to_string(&journal).unwrap_or_default())
}

/// Forwards events to a Python callable as dicts. An exception in the callable is logged on the
/// `dynoshift` logger and counted; the run goes on.
#[derive(Debug)]
struct PyObserver {
    callback: Py<PyAny>,
    errors: Arc<AtomicU64>,
}

impl Observer for PyObserver {
    fn on_event(&self, event: &EventRecord) {
        Python::attach(|py| {
            let call = || -> PyResult<()> {
                let dict = py
                    .import("json")?
                    .call_method1("loads", (event.to_json(),))?;
                self.callback.call1(py, (dict,))?;
                Ok(())
            };
            if let Err(err) = call() {
                self.errors.fetch_add(1, Ordering::Relaxed);
                log_callback_error(py, "on_event", err);
            }
        })
    }
}

fn log_callback_error(py: Python<'_>, what: &str, err: PyErr) {
    let log = || -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("dynoshift",))?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("exc_info", err.value(py))?;
        logger.call_method(
            "error",
            (format!(
                "dynoshift: the {what} callback raised; the cutover goes on"
            ),),
            Some(&kwargs),
        )?;
        Ok(())
    };
    if let Err(e) = log() {
        e.write_unraisable(py, None);
    }
}

/// Turns a Python callable (sync, or `async def`) into a gate. It receives a context dict
/// (run_id, stage, percent, tick, elapsed_seconds, hostnames, next_percent) and returns a verdict dict
/// `{"status": "pass"|"fail"|"inconclusive"|"error", "reason": str}`; an exception or a
/// malformed verdict becomes an "error" verdict.
fn py_gate(
    name: String,
    callable: Py<PyAny>,
    locals: Arc<pyo3_async_runtimes::TaskLocals>,
) -> CallbackGate {
    let callable = Arc::new(callable);
    CallbackGate::new(name, move |ctx: GateContext| {
        let callable = callable.clone();
        let locals = locals.clone();
        async move {
            let ctx_json = serde_json::to_string(&ctx).unwrap_or_default();
            // Call it; an awaitable result is awaited on the caller's event loop.
            let started = Python::attach(|py| -> PyResult<Result<Py<PyAny>, _>> {
                let json = py.import("json")?;
                let arg = json.call_method1("loads", (ctx_json,))?;
                let result = callable.bind(py).call1((arg,))?;
                if py
                    .import("inspect")?
                    .call_method1("isawaitable", (&result,))?
                    .is_truthy()?
                {
                    let fut = pyo3_async_runtimes::into_future_with_locals(&locals, result)?;
                    Ok(Err(fut))
                } else {
                    Ok(Ok(result.unbind()))
                }
            });
            let value = match started {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(fut)) => fut.await,
                Err(e) => Err(e),
            };
            Python::attach(|py| match value {
                Err(e) => Verdict::error(format!("the gate raised: {e}")),
                Ok(v) => verdict_from_py(py, v.bind(py)),
            })
        }
    })
}

fn verdict_from_py(py: Python<'_>, v: &Bound<'_, PyAny>) -> Verdict {
    let text = (|| -> PyResult<String> {
        let dumps = py.import("json")?.getattr("dumps")?;
        let obj = if v.hasattr("status")? && !v.is_instance_of::<pyo3::types::PyDict>() {
            let d = pyo3::types::PyDict::new(py);
            d.set_item("status", v.getattr("status")?)?;
            d.set_item("reason", v.getattr("reason").ok())?;
            d.into_any()
        } else {
            v.clone()
        };
        dumps.call1((obj,))?.extract()
    })();
    match text {
        Ok(text) => Verdict::from_answer_json(&text),
        Err(e) => Verdict::error(format!("the gate's verdict could not be read: {e}")),
    }
}

/// A cutover: plan + DNS target + journal path. `run()`, `resume()`, `rollback()` and
/// `promote()` are awaitables returning a `CutoverOutcome`; while one of them is running, the
/// sync controls (`pause`, `unpause`, `approve`, `abort`, `promote_now`, `rollback_now`) steer
/// it. The plan's own gates always run; `gates` (callables) and `gates_json` add to them. A
/// pause that waits for an operator waits for `unpause()`/`approve()`; a pause that waits for
/// evidence (gates erroring or inconclusive past their limits) settles as "paused".
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct Cutover {
    session: core::cutover::Session,
    on_event: Option<Py<PyAny>>,
    gates: Vec<Py<PyAny>>,
    callback_errors: Arc<AtomicU64>,
}

impl Cutover {
    fn start<'py>(&self, py: Python<'py>, op: Operation) -> PyResult<Bound<'py, PyAny>> {
        let locals = Arc::new(pyo3_async_runtimes::tokio::get_current_locals(py)?);
        let observers: Vec<Arc<dyn Observer>> = self
            .on_event
            .iter()
            .map(|cb| {
                Arc::new(PyObserver {
                    callback: cb.clone_ref(py),
                    errors: self.callback_errors.clone(),
                }) as Arc<dyn Observer>
            })
            .collect();
        let gates: Vec<Arc<dyn Gate>> = self
            .gates
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let name = g
                    .bind(py)
                    .getattr("__name__")
                    .and_then(|n| n.extract::<String>())
                    .unwrap_or_else(|_| format!("gate{i}"));
                Arc::new(py_gate(name, g.clone_ref(py), locals.clone())) as Arc<dyn Gate>
            })
            .collect();
        let fut = self.session.start_with(op, gates, observers).py_err()?;
        future_into_py(py, async move {
            Ok(CutoverOutcome {
                inner: fut.await.py_err()?,
            })
        })
    }

    fn control(&self, c: Control) -> PyResult<()> {
        self.session.send(c).py_err()
    }
}

fn mode_of(mode: Option<&str>) -> PyResult<Option<RollbackMode>> {
    mode.map(RollbackMode::parse).transpose().py_err()
}

#[pymethods]
impl Cutover {
    #[new]
    #[pyo3(signature = (plan, dns, journal_path, on_event=None, gates=None, force=false, take_over_stale_lock=false, gates_json=None, no_wait=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        plan: &CutoverPlan,
        dns: Dns<'_>,
        journal_path: PathBuf,
        on_event: Option<Py<PyAny>>,
        gates: Option<Vec<Py<PyAny>>>,
        force: bool,
        take_over_stale_lock: bool,
        gates_json: Option<String>,
        no_wait: bool,
    ) -> PyResult<Self> {
        Python::attach(|py| {
            for g in gates.iter().flatten().chain(on_event.iter()) {
                if !g.bind(py).is_callable() {
                    return Err(PyTypeError::new_err(
                        "on_event and every gate must be callable",
                    ));
                }
            }
            Ok(())
        })?;
        let mut session =
            core::cutover::Session::new(plan.inner.clone(), dns.target(), journal_path)
                .py_err()?
                .with_options(RunOptions {
                    force,
                    take_over_stale_lock,
                    no_wait,
                });
        if let Some(json) = &gates_json {
            for g in crate::health::build(json)? {
                session = session.with_callback_gate(g);
            }
        }
        Ok(Cutover {
            session,
            on_event,
            gates: gates.unwrap_or_default(),
            callback_errors: Arc::default(),
        })
    }

    /// `await run()`: preflight, snapshot, lock, then every stage → `CutoverOutcome`.
    fn run<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.start(py, Operation::Run)
    }
    /// `await resume()`: continues the run recorded in the journal.
    fn resume<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.start(py, Operation::Resume)
    }
    /// `await rollback(mode=None)`: restores the original records of the journaled run
    /// (`mode` "full" or "graduated"; default the plan's).
    #[pyo3(signature = (mode=None))]
    fn rollback<'py>(&self, py: Python<'py>, mode: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let mode = mode_of(mode)?;
        self.start(py, Operation::Rollback(mode))
    }
    /// `await promote()`: writes 100% AWS for the journaled run now, without further soaks.
    fn promote<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.start(py, Operation::Promote)
    }

    /// Pauses the running run at the next step boundary or tick.
    fn pause(&self) -> PyResult<()> {
        self.control(Control::Pause)
    }
    /// Lets a paused run continue.
    fn unpause(&self) -> PyResult<()> {
        self.control(Control::Resume)
    }
    /// Lets the next stage start (plans with `require_approval`); also ends a pause.
    fn approve(&self) -> PyResult<()> {
        self.control(Control::Approve)
    }
    /// Rolls the running run back with the plan's mode ("aborted by the operator").
    fn abort(&self) -> PyResult<()> {
        self.control(Control::Abort)
    }
    /// Skips the remaining stages of the running run: 100% AWS now, then promoted.
    fn promote_now(&self) -> PyResult<()> {
        self.control(Control::Promote)
    }
    /// Rolls the running run back now (`mode` "full" or "graduated"; default the plan's).
    #[pyo3(signature = (mode=None))]
    fn rollback_now(&self, mode: Option<&str>) -> PyResult<()> {
        let mode = mode_of(mode)?;
        self.control(Control::Rollback(mode))
    }

    /// True while an awaitable of this object is running.
    #[getter]
    fn running(&self) -> bool {
        self.session.controls().busy()
    }
    /// How many times `on_event` raised (each is logged on the "dynoshift" logger).
    #[getter]
    fn callback_errors(&self) -> u64 {
        self.callback_errors.load(Ordering::Relaxed)
    }
    /// The journal's path.
    #[getter]
    fn journal_path(&self) -> String {
        self.session.journal_path().display().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "Cutover(hostnames={:?}, journal_path={:?})",
            self.session.plan().names(),
            self.session.journal_path()
        )
    }
}

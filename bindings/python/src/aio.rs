//! Rust futures as asyncio futures, safe at interpreter exit.
//!
//! `pyo3_async_runtimes::tokio::future_into_py` settles its asyncio future from a blocking
//! thread inside `Python::attach`; the caller's `asyncio.run` can return — and the interpreter
//! start finalising — while that thread is still inside `attach` (dropping its references,
//! releasing its thread state), which crashed the process at exit (SIGSEGV, or SIGABRT with
//! "PyGILState_Release ... finalizing") after a successful cutover. Here every future is
//! counted from its creation until the thread that settled it has left `attach`, and an
//! `atexit` hook (registered at import) waits, with the GIL released, until none is in flight.
//! The runtime, the task locals and `into_future` stay pyo3-async-runtimes'.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

/// Futures created and not yet settled (or settled by a thread still inside `attach`).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How long interpreter exit waits for futures still in flight.
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// Counts one future in flight until dropped.
struct InFlight;

impl InFlight {
    fn new() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `settle(fut, ok, value)`: sets the result or exception unless the future is done
/// (cancelled). Called on the event loop through `call_soon_threadsafe`.
fn settle_function(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static SETTLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    SETTLE
        .get_or_try_init(py, || {
            let module = PyModule::from_code(
                py,
                c"def settle(fut, ok, value):\n    if not fut.done():\n        (fut.set_result if ok else fut.set_exception)(value)\n",
                c"dynoshift_aio.py",
                c"dynoshift_aio",
            )?;
            Ok(module.getattr("settle")?.unbind())
        })
        .map(|f| f.bind(py))
}

/// Runs `fut` on the runtime and returns an asyncio future of the caller's running loop that
/// settles with its result (cancelling the asyncio future aborts the task).
pub(crate) fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
    let event_loop = locals.event_loop(py);
    let py_fut = event_loop.call_method0("create_future")?;
    let settle = settle_function(py)?.clone().unbind();
    let loop_ref = event_loop.unbind();
    let fut_ref = py_fut.clone().unbind();
    let in_flight = InFlight::new();
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    let task = runtime.spawn(pyo3_async_runtimes::tokio::scope(locals, fut));
    let abort = task.abort_handle();
    runtime.spawn(async move {
        let result = match task.await {
            Ok(r) => r,
            Err(e) if e.is_cancelled() => return, // the asyncio future was cancelled
            Err(e) => Err(PyRuntimeError::new_err(format!(
                "dynoshift: the Rust task failed ({e}); please report it"
            ))),
        };
        // Settled from a blocking thread (no runtime worker waits for the GIL); the count
        // drops only once that thread has left `attach`.
        let _ = pyo3_async_runtimes::tokio::get_runtime()
            .spawn_blocking(move || {
                Python::attach(|py| {
                    let (ok, value) = match result.and_then(|v| v.into_py_any(py)) {
                        Ok(v) => (true, v),
                        Err(e) => (false, e.into_value(py).into_any()),
                    };
                    let call = loop_ref.bind(py).call_method1(
                        "call_soon_threadsafe",
                        (settle.bind(py), fut_ref.bind(py), ok, value),
                    );
                    if let Err(e) = call {
                        // the loop is closed: nobody is waiting any more
                        e.write_unraisable(py, None);
                    }
                    drop((loop_ref, fut_ref, settle));
                });
                drop(in_flight);
            })
            .await;
    });
    let on_done = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
            if args.get_item(0)?.call_method0("cancelled")?.is_truthy()? {
                abort.abort();
            }
            Ok(())
        },
    )?;
    py_fut.call_method1("add_done_callback", (on_done,))?;
    Ok(py_fut)
}

/// The `atexit` hook: waits (GIL released, at most [`EXIT_WAIT`]) until no future is in
/// flight, so that no runtime thread is inside `Python::attach` while the interpreter ends.
#[pyfunction]
pub(crate) fn _wait_for_tasks(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    });
}

/// Registers [`_wait_for_tasks`] with `atexit` (module init).
pub(crate) fn register_exit_hook(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_wait_for_tasks, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}

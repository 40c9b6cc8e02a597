//! The core's log events in Python: by default they go to the standard `logging` module
//! (logger `dynoshift`); `set_logger(callback)` sends them to a callable instead.

use std::sync::Arc;

use dynoshift::logging::{self as core_log, LogLevel, LogRecord};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::errors::IntoPy;

/// `logging`'s number for a level (TRACE has none there: 5, below DEBUG).
fn py_level(level: LogLevel) -> i32 {
    match level {
        LogLevel::Error => 40,
        LogLevel::Warn => 30,
        LogLevel::Info => 20,
        LogLevel::Debug => 10,
        LogLevel::Trace => 5,
    }
}

/// The most verbose core level a `logging` level lets through.
fn from_py_level(level: i32) -> LogLevel {
    match level {
        l if l >= 40 => LogLevel::Error,
        l if l >= 30 => LogLevel::Warn,
        l if l >= 20 => LogLevel::Info,
        l if l >= 10 => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("logging")?
                    .call_method1("getLogger", ("dynoshift",))?
                    .unbind(),
            )
        })
        .map(|l| l.bind(py))
}

/// Sends a record to `logging.getLogger("dynoshift")` if that logger wants its level.
/// Nothing is raised into the core: a failing handler is Python's to report.
fn to_logging(record: &LogRecord) {
    Python::try_attach(|py| {
        let Ok(logger) = logger(py) else { return };
        let level = py_level(record.level);
        let wanted = logger
            .call_method1("isEnabledFor", (level,))
            .and_then(|v| v.extract::<bool>())
            .unwrap_or(false);
        if wanted {
            let msg = format!("{} ({})", record.message, record.target);
            if let Err(e) = logger.call_method1("log", (level, msg)) {
                e.write_unraisable(py, None);
            }
        }
    });
}

fn logging_level(py: Python<'_>) -> PyResult<LogLevel> {
    let level: i32 = logger(py)?.call_method0("getEffectiveLevel")?.extract()?;
    Ok(from_py_level(level))
}

/// Installed at import: the core's events at the `dynoshift` logger's effective level (WARNING
/// unless configured) and above go to `logging`.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let level = logging_level(py)?;
    core_log::set_log_sink(Some(Arc::new(to_logging)), level).py_err()
}

/// Where the core's log events go. `callback(level, target, message)` receives them (level is
/// "error", "warn", "info", "debug" or "trace"); with no callback they go to the standard
/// `logging` module, logger "dynoshift". `level` is the most verbose level sent (default: the
/// `dynoshift` logger's effective level, so call `set_logger()` again after changing it).
#[pyfunction]
#[pyo3(signature = (callback=None, level=None))]
pub fn set_logger(
    py: Python<'_>,
    callback: Option<Py<PyAny>>,
    level: Option<&str>,
) -> PyResult<()> {
    let level = match level {
        Some(l) => LogLevel::parse(l).py_err()?,
        None => logging_level(py)?,
    };
    let sink: core_log::LogSink = match callback {
        None => Arc::new(to_logging),
        Some(cb) => Arc::new(move |r: &LogRecord| {
            Python::try_attach(|py| {
                if let Err(e) = cb.call1(
                    py,
                    (r.level.as_str(), r.target.as_str(), r.message.as_str()),
                ) {
                    e.write_unraisable(py, None);
                }
            });
        }),
    };
    core_log::set_log_sink(Some(sink), level).py_err()
}

//! The core's log events in Ruby: `Dynoshift.set_logger(listener_or_block, level)`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use dynoshift::logging::{self as core_log, LogLevel, LogRecord};

use crate::Result;

/// Receives the core's log events. Any Ruby object with a `log(level, target, message)` method
/// will do (`lib/dynoshift.rb` also accepts a block or proc). `level` is "error", "warn",
/// "info", "debug" or "trace". It is called on the thread that emitted the event and must return
/// quickly; if it raises, the event is dropped.
#[uniffi::export(with_foreign)]
pub trait LogListener: Send + Sync {
    /// Called for each event at or above the chosen level.
    fn log(&self, level: String, target: String, message: String) -> Result<()>;
}

/// Sends the core's log events at `level` ("info" if not given) and above to `listener`, or
/// nowhere with nil.
#[uniffi::export(default(level = None))]
pub fn set_logger(listener: Option<Arc<dyn LogListener>>, level: Option<String>) -> Result<()> {
    let level = LogLevel::parse(level.as_deref().unwrap_or("info"))?;
    let sink: Option<core_log::LogSink> = listener.map(|l| {
        Arc::new(move |r: &LogRecord| {
            let (level, target, message) = (
                r.level.as_str().to_owned(),
                r.target.clone(),
                r.message.clone(),
            );
            let _ = catch_unwind(AssertUnwindSafe(|| l.log(level, target, message)));
        }) as core_log::LogSink
    });
    Ok(core_log::set_log_sink(sink, level)?)
}

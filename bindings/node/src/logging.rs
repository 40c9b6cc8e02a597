//! The core's log events in Node: `setLogger((level, target, message) => ..., level)`.

use std::sync::Arc;

use dynoshift::logging::{self as core_log, LogLevel, LogRecord};
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::errors::{IntoJs, Result};

type Args = FnArgs<(String, String, String)>;
type LogFn = ThreadsafeFunction<Args, Unknown<'static>, Args, napi::Status, false, true>;

/// Sends the core's log events to `callback(level, target, message)` (level is "error",
/// "warn", "info", "debug" or "trace"; `level` is the most verbose sent, default "info"), or
/// nowhere with `null`. Calls arrive on the JS thread shortly after the event; the callback does
/// not keep the process alive, and an exception in it is ignored.
#[napi(
    ts_args_type = "callback: ((level: string, target: string, message: string) => void) | null, level?: string"
)]
pub fn set_logger(
    callback: Option<Function<'_, Args, Unknown<'static>>>,
    level: Option<String>,
) -> Result<()> {
    let level = LogLevel::parse(level.as_deref().unwrap_or("info")).js_err()?;
    let sink: Option<core_log::LogSink> = match callback {
        None => None,
        Some(f) => {
            let tsfn: LogFn = f
                .build_threadsafe_function::<Args>()
                .weak::<true>()
                .callee_handled::<false>()
                .build()
                .map_err(|e| dynoshift::Error::internal(format!("setLogger: {}", e.reason)))
                .js_err()?;
            Some(Arc::new(move |r: &LogRecord| {
                let args = FnArgs::from((
                    r.level.as_str().to_owned(),
                    r.target.clone(),
                    r.message.clone(),
                ));
                let _ = tsfn.call_with_return_value(
                    args,
                    ThreadsafeFunctionCallMode::NonBlocking,
                    |_, _| Ok(()),
                );
            }))
        }
    };
    core_log::set_log_sink(sink, level).js_err()
}

//! Forwarding the library's `tracing` events to a host language's logger.
//!
//! The core emits `tracing` events (ingest start and finish, cutover writes, gate verdicts,
//! rollbacks, Heroku API calls; never tokens, keys or Authorization headers). A Rust program
//! installs any `tracing` subscriber it likes (the CLI uses `tracing-subscriber`). The Python,
//! Node and Ruby bindings have no subscriber of their own, so they call [`set_log_sink`]: it
//! installs, once per process, a small global subscriber that hands each event of this crate,
//! as a [`LogRecord`], to the sink given last.
//!
//! Only events whose target starts with `dynoshift` are forwarded (the AWS SDK, hyper and
//! reqwest emit many events of their own). With no sink, or above the sink's level, an event
//! costs one atomic load.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Serialize};
use tracing::field::{Field, Visit};
use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::{Error, ErrorKind, Result};

/// Severity of a forwarded event, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Something failed.
    Error = 1,
    /// Something looks wrong but the work goes on.
    Warn = 2,
    /// Milestones: an ingest finished, a stage was written, a rollback started.
    Info = 3,
    /// Details: API calls, gate verdicts, waits.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LogLevel {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// Parses a level name (case-insensitive; `warning` is accepted for `warn`).
    pub fn parse(text: &str) -> Result<LogLevel> {
        match text.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(LogLevel::Error),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            "trace" => Ok(LogLevel::Trace),
            other => Err(Error::invalid_input(format!(
                "{other:?} is not a log level; use error, warn, info, debug or trace"
            ))),
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

/// One forwarded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Its severity.
    pub level: LogLevel,
    /// The module that emitted it, e.g. `dynoshift::telemetry`.
    pub target: String,
    /// The message followed by the event's fields as `key=value`.
    pub message: String,
}

/// Where forwarded events go. Called on whichever thread emitted the event; it should return
/// quickly.
pub type LogSink = Arc<dyn Fn(&LogRecord) + Send + Sync>;

/// 0: nothing is forwarded; otherwise the most verbose [`LogLevel`] forwarded.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<LogSink>> = RwLock::new(None);
static INSTALLED: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Set while a sink runs on this thread, so that a sink which itself ends up emitting an
    /// event (through the core) does not recurse.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// Sends this crate's events at `max_level` and above to `sink` from now on (`None`: to
/// nowhere). The first call installs the forwarding subscriber as the process's global
/// `tracing` default; when the process already has another global subscriber, that is a
/// `conflict` (use that subscriber instead).
pub fn set_log_sink(sink: Option<LogSink>, max_level: LogLevel) -> Result<()> {
    let installed =
        *INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(Forwarder).is_ok());
    if !installed {
        return Err(Error::new(
            ErrorKind::Conflict,
            "another tracing subscriber is already installed in this process, so dynoshift \
             cannot forward its log events; read them through that subscriber instead",
        ));
    }
    let on = sink.is_some();
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
    MAX_LEVEL.store(if on { max_level as u8 } else { 0 }, Ordering::Release);
    Ok(())
}

/// Changes the most verbose level forwarded to the current sink (no effect without a sink).
pub fn set_log_level(max_level: LogLevel) {
    if SINK.read().unwrap_or_else(|p| p.into_inner()).is_some() {
        MAX_LEVEL.store(max_level as u8, Ordering::Release);
    }
}

/// Formats an event's fields: the message first, then `key=value` pairs.
#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }
}

#[derive(Debug)]
struct Forwarder;

fn ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("dynoshift")
}

impl Subscriber for Forwarder {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if ours(meta) {
            // the level can change at run time: ask `enabled` each time
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.is_event()
            && ours(meta)
            && LogLevel::of(meta.level()) as u8 <= MAX_LEVEL.load(Ordering::Acquire)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        if IN_SINK.with(Cell::get) {
            return;
        }
        let Some(sink) = SINK.read().unwrap_or_else(|p| p.into_inner()).clone() else {
            return;
        };
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let record = LogRecord {
            level: LogLevel::of(meta.level()),
            target: meta.target().to_owned(),
            message: fields.message + &fields.rest,
        };
        IN_SINK.with(|f| f.set(true));
        sink(&record);
        IN_SINK.with(|f| f.set(false));
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!(LogLevel::parse("WARNING").unwrap(), LogLevel::Warn);
        assert_eq!(LogLevel::parse("debug").unwrap().as_str(), "debug");
        assert_eq!(
            LogLevel::parse("loud").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(LogLevel::Error < LogLevel::Trace);
    }
}

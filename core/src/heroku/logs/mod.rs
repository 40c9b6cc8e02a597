//! Heroku log parsing: runtime metrics (`log-runtime-metrics`), router lines, `Process running
//! mem=` and R14/R15 errors, in any of the three framings Heroku produces — `heroku logs` text
//! (`TIMESTAMP SOURCE[PROCESS]: MESSAGE`), RFC 5424 log-drain frames with octet counting
//! (`<len> <pri>1 TIMESTAMP HOST APP PROC - MESSAGE`), and bare messages.
//!
//! The hot path ([`crate::telemetry::Ingest`]) parses borrowed bytes without allocating;
//! [`parse_line`] is the owned, serialisable view of the same parser, used by the
//! language-neutral vectors and the bindings.

mod line;
pub mod time;

use serde::Serialize;

pub use line::Framing;
pub(crate) use line::{
    Framed, Msg, Reason, frame as frame_record, frame_cached as frame_record_cached, parse_message,
    process_type,
};

/// Records longer than this are refused as unparsed (Heroku itself splits lines at 10,000
/// bytes, so anything this long is not a Heroku log record).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Splits one physical line (without its `\n`) into records: the octet-counted frames of a
/// log-drain body, or the line itself. A line whose octet counts do not add up is one unparsed
/// record, so a wrong count never shifts the parse of the frames around it.
pub(crate) fn for_each_record<'a>(line: &'a [u8], mut f: impl FnMut(Result<&'a [u8], Reason>)) {
    if !starts_octet_frame(line) {
        f(Ok(line));
        return;
    }
    // First pass: check every count; second pass: hand out the frames.
    let mut frames = 0usize;
    let mut rest = line;
    loop {
        match next_frame(rest) {
            Ok((_, tail)) => {
                frames += 1;
                rest = tail;
                if rest.is_empty() {
                    break;
                }
            }
            Err(reason) => {
                f(Err(reason));
                return;
            }
        }
    }
    let mut rest = line;
    for _ in 0..frames {
        if let Ok((frame, tail)) = next_frame(rest) {
            f(Ok(frame));
            rest = tail;
        }
    }
}

fn starts_octet_frame(s: &[u8]) -> bool {
    let mut n = 0;
    while n < 10 && n < s.len() && s[n].is_ascii_digit() {
        n += 1;
    }
    n > 0 && s.get(n) == Some(&b' ') && s.get(n + 1) == Some(&b'<')
}

/// One `LEN SP FRAME` off the front; the rest has leading whitespace removed.
fn next_frame(s: &[u8]) -> Result<(&[u8], &[u8]), Reason> {
    if !starts_octet_frame(s) {
        return Err("bytes after an octet-counted frame are not another frame");
    }
    let n = line::leading_digits(s);
    // At most 10 digits (see starts_octet_frame): no overflow.
    let len = s[..n]
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    let body = &s[n + 1..];
    if len > body.len() {
        // The count may include the line terminator the line splitter removed.
        if len <= body.len() + 2 {
            return Ok((body, &[]));
        }
        return Err("octet count is larger than the frame");
    }
    let mut frame = &body[..len];
    while let [head @ .., b'\n' | b'\r'] = frame {
        frame = head;
    }
    let mut tail = &body[len..];
    while let [b' ' | b'\t' | b'\r', t @ ..] = tail {
        tail = t;
    }
    Ok((frame, tail))
}

/// Where and when a record was logged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    /// How the record was framed.
    pub framing: Framing,
    /// When it was logged, in unix milliseconds (absent for bare messages).
    pub timestamp_ms: Option<i64>,
    /// The emitting process as the framing names it (`web.1`, `router`), if any.
    pub process: Option<String>,
}

/// One parsed log record: the owned, serialisable result of [`parse_line`]. JSON form:
/// `{"kind": "runtime_metrics", "framing": "text", "timestamp_ms": ..., ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParsedLine {
    /// A `log-runtime-metrics` line (load or memory samples, or one old `measure=` value).
    /// Memory is in MB (Heroku's MB are MiB), pgpgin/pgpgout in pages.
    RuntimeMetrics {
        /// Envelope.
        #[serde(flatten)]
        envelope: Envelope,
        /// `source=` (`web.1`).
        source: Option<String>,
        /// `dyno=` (changes on every restart).
        dyno: Option<String>,
        /// `sample#load_avg_1m`.
        load_avg_1m: Option<f64>,
        /// `sample#load_avg_5m`.
        load_avg_5m: Option<f64>,
        /// `sample#load_avg_15m`.
        load_avg_15m: Option<f64>,
        /// `sample#memory_total` in MB.
        memory_total_mb: Option<f64>,
        /// `sample#memory_rss` in MB.
        memory_rss_mb: Option<f64>,
        /// `sample#memory_cache` in MB.
        memory_cache_mb: Option<f64>,
        /// `sample#memory_swap` in MB.
        memory_swap_mb: Option<f64>,
        /// `sample#memory_quota` in MB.
        memory_quota_mb: Option<f64>,
        /// `sample#memory_pgpgin` in pages.
        memory_pgpgin_pages: Option<f64>,
        /// `sample#memory_pgpgout` in pages.
        memory_pgpgout_pages: Option<f64>,
    },
    /// A router line (`at=info`, or `at=error code=H..`).
    Router {
        /// Envelope.
        #[serde(flatten)]
        envelope: Envelope,
        /// `true` for `at=error` / `at=warning`.
        error: bool,
        /// `code=` (`H12`).
        code: Option<String>,
        /// `desc=`.
        desc: Option<String>,
        /// `method=`.
        method: Option<String>,
        /// `path=`.
        path: Option<String>,
        /// `host=`.
        host: Option<String>,
        /// `dyno=` (empty on some errors).
        dyno: Option<String>,
        /// `connect=` in ms.
        connect_ms: Option<f64>,
        /// `service=` in ms.
        service_ms: Option<f64>,
        /// `status=`.
        status: Option<u16>,
        /// `bytes=`.
        bytes: Option<u64>,
        /// `protocol=`.
        protocol: Option<String>,
    },
    /// `Process running mem=1028MB(103.3%)`.
    ProcessMemory {
        /// Envelope.
        #[serde(flatten)]
        envelope: Envelope,
        /// Memory in MB.
        memory_mb: f64,
        /// Percent of the dyno's quota.
        quota_percent: Option<f64>,
    },
    /// `Error R14 (Memory quota exceeded)`.
    R14 {
        /// Envelope.
        #[serde(flatten)]
        envelope: Envelope,
    },
    /// `Error R15 (Memory quota vastly exceeded)`: the dyno was killed.
    R15 {
        /// Envelope.
        #[serde(flatten)]
        envelope: Envelope,
    },
    /// A well-framed record that carries no telemetry (app output, state changes, add-on
    /// metrics): counted, not used.
    Other {
        /// Envelope.
        #[serde(flatten)]
        envelope: Envelope,
    },
    /// Not a Heroku log record, or a telemetry record with an invalid value.
    Unparsed {
        /// Why.
        reason: String,
    },
}

fn text(b: Option<&[u8]>) -> Option<String> {
    b.map(|b| String::from_utf8_lossy(b).into_owned())
}

/// Parses one log line in any framing. A log-drain line holding several octet-counted frames
/// yields its first frame. Never panics; anything unrecognised is [`ParsedLine::Unparsed`].
pub fn parse_line(line: &str) -> ParsedLine {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
    if line.len() > MAX_RECORD_BYTES {
        return ParsedLine::Unparsed {
            reason: "record longer than 65536 bytes".into(),
        };
    }
    let mut first: Option<Result<&[u8], Reason>> = None;
    for_each_record(line, |r| {
        if first.is_none() {
            first = Some(r);
        }
    });
    let record = match first {
        Some(Ok(r)) => r,
        Some(Err(reason)) => return unparsed(reason),
        None => return unparsed("empty line"),
    };
    parse_record_owned(record)
}

fn unparsed(reason: &str) -> ParsedLine {
    ParsedLine::Unparsed {
        reason: reason.to_owned(),
    }
}

fn parse_record_owned(record: &[u8]) -> ParsedLine {
    if record.is_empty() {
        return unparsed("empty line");
    }
    let framed = match line::frame(record) {
        Ok(f) => f,
        Err(r) => return unparsed(r),
    };
    let msg = match parse_message(&framed) {
        Ok(m) => m,
        Err(r) => return unparsed(r),
    };
    let envelope = Envelope {
        framing: framed.framing,
        timestamp_ms: framed.ts_ms,
        process: text(framed.process),
    };
    match msg {
        Msg::Metrics(m) => ParsedLine::RuntimeMetrics {
            envelope,
            source: text(m.source),
            dyno: text(m.dyno),
            load_avg_1m: m.load_1m,
            load_avg_5m: m.load_5m,
            load_avg_15m: m.load_15m,
            memory_total_mb: m.total,
            memory_rss_mb: m.rss,
            memory_cache_mb: m.cache,
            memory_swap_mb: m.swap,
            memory_quota_mb: m.quota,
            memory_pgpgin_pages: m.pgpgin,
            memory_pgpgout_pages: m.pgpgout,
        },
        Msg::Router(r) => ParsedLine::Router {
            envelope,
            error: r.error,
            code: text(r.code),
            desc: text(r.desc),
            method: text(r.method),
            path: text(r.path),
            host: text(r.host),
            dyno: text(r.dyno),
            connect_ms: r.connect_ms,
            service_ms: r.service_ms,
            status: r.status,
            bytes: r.bytes,
            protocol: text(r.protocol),
        },
        Msg::ProcessMem { mb, percent } => ParsedLine::ProcessMemory {
            envelope,
            memory_mb: mb,
            quota_percent: percent,
        },
        Msg::R14 => ParsedLine::R14 { envelope },
        Msg::R15 => ParsedLine::R15 { envelope },
        Msg::Other => ParsedLine::Other { envelope },
    }
}

impl ParsedLine {
    /// The record as JSON (what the vectors compare).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a parsed line always serialises")
    }

    /// `true` for [`ParsedLine::Unparsed`].
    pub fn is_unparsed(&self) -> bool {
        matches!(self, ParsedLine::Unparsed { .. })
    }
}

#[cfg(test)]
mod tests;

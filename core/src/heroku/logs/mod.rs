//! Heroku log parsing: runtime metrics (`log-runtime-metrics`), router lines, `Process running
//! mem=` and R14/R15 errors, in any of the three framings Heroku produces — `heroku logs` text
//! (`TIMESTAMP SOURCE[PROCESS]: MESSAGE`), RFC 5424 log-drain frames with octet counting
//! (`<len> <pri>1 TIMESTAMP HOST APP PROC - MESSAGE`), and bare messages.
//!
//! The hot path ([`crate::telemetry::Ingest`]) parses borrowed bytes without allocating;
//! [`parse_line`] is the owned, serialisable view of the same parser, used by the
//! language-neutral vectors and the bindings.

mod line;
mod papertrail;
pub mod time;

use serde::Serialize;

use crate::telemetry::Repairs;

pub use line::Framing;
pub(crate) use line::{
    Assumed, Framed, Msg, Reason, frame as frame_record, frame_cached as frame_record_cached,
    parse_message, process_type,
};

/// Records longer than this are refused as unparsed (Heroku itself splits lines at 10,000
/// bytes, so anything this long is not a Heroku log record).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Splits one physical line (without its `\n`) into records: the octet-counted frames of a
/// log-drain body, or the line itself. Real drain bodies are not always well counted, so:
/// a count off by one (the trailing line feed counted but missing, or the reverse) is
/// corrected; frames glued on one line are split; and when the counts of a line cannot be
/// trusted at all, its frames are found by their `<PRI>1 ` headers instead. Every such repair
/// is added to `repairs`; a line with no frame to be found is one unparsed record.
pub(crate) fn for_each_record<'a>(
    line: &'a [u8],
    repairs: &mut Repairs,
    mut f: impl FnMut(Result<&'a [u8], Reason>),
) {
    if !starts_octet_frame(line) {
        f(Ok(line));
        return;
    }
    // The common case, one frame counted to the end of the line (give or take the line
    // terminator the splitter removed), is taken as it is.
    let (len, body) = octet_count(line);
    if len >= body.len() && len - body.len() <= 2 {
        f(Ok(trim_end(body)));
        return;
    }
    let Some(chain) = best_chain(line, readings(line, 0)) else {
        let reason = if len > body.len() {
            "octet count is larger than the frame"
        } else {
            "bytes after an octet-counted frame are not another frame"
        };
        by_headers(line, reason, repairs, f);
        return;
    };
    repairs.octet_count_off_by_one += chain.iter().filter(|r| r.corrected).count() as u64;
    repairs.glued_frames += chain.len() as u64 - 1;
    for reading in chain {
        f(Ok(&line[reading.frame.0..reading.frame.1]));
    }
}

/// One way to read the frame at some offset of a line: its bytes, where the next frame starts
/// (none: the line ends), whether its count was taken one off, and what the reading costs.
#[derive(Clone, Copy, Debug)]
struct Reading {
    frame: (usize, usize),
    next: Option<usize>,
    corrected: bool,
    cost: u32,
}

/// Every reading of the frame at `at`: the count as written, one less (a counted line feed that
/// is missing: frames glued together) and one more (a line feed that was not counted), each
/// kept only if blanks, the end of the line or another frame's `LEN <PRI>1 ` follows it. A
/// corrected count costs 1; a last frame whose count runs 2 bytes past the line (a counted
/// `\r\n` the splitter removed) costs 2. A frame with another frame's header inside is no reading.
fn readings(line: &[u8], at: usize) -> Vec<Reading> {
    let s = &line[at..];
    if !starts_octet_frame(s) {
        return Vec::new();
    }
    let (len, body) = octet_count(s);
    let body_at = line.len() - body.len();
    let framed = |end: usize| {
        let kept = trim_end(&body[..end]).len();
        (body_at, body_at + kept)
    };
    // In a line of glued frames, a frame that holds another frame's `LEN <PRI>1 ` header has
    // most likely swallowed it (its count took a digit of the message before it): not a reading.
    // (A single frame counted to the line's end is taken as it is, before any of this.)
    let swallows = |end: usize| hidden_headers(&body[..end]) > 0;
    if len >= body.len() {
        let over = len - body.len();
        return if over <= 2 && !swallows(body.len()) {
            vec![Reading {
                frame: framed(body.len()),
                next: None,
                corrected: false,
                // two bytes past the line: costs as much as two corrections, so a chain that reads
                // a count one off (and so finds one more frame) is not beaten by it
                cost: if over == 2 { 2 } else { 0 },
            }]
        } else {
            Vec::new()
        };
    }
    let mut found = Vec::with_capacity(3);
    for (end, corrected) in [(len, false), (len.wrapping_sub(1), true), (len + 1, true)] {
        if end == usize::MAX || end > body.len() || (corrected && end == 0) {
            continue;
        }
        let tail = skip_blanks(&body[end..]);
        if swallows(end) {
            continue;
        }
        let next = if tail.is_empty() {
            None
        } else if frame_start(tail) {
            Some(line.len() - tail.len())
        } else {
            continue;
        };
        found.push(Reading {
            frame: framed(end),
            next,
            corrected,
            cost: u32::from(corrected),
        });
    }
    found
}

/// How many frame headers (`LEN <PRI>1 ` and a timestamp) sit inside `frame` after its own.
fn hidden_headers(frame: &[u8]) -> u32 {
    memchr::memchr_iter(b'<', frame)
        .filter(|&q| {
            q >= 2
                && frame[q - 1] == b' '
                && frame[q - 2].is_ascii_digit()
                && syslog_header(&frame[q..])
        })
        .count() as u32
}

/// The reading of a whole line of glued frames with the fewest repairs and, among those, the
/// most frames. Which count is off cannot be told frame by frame: a count one short that ends on
/// a message's last digit makes the next count look a digit longer (`...=0.0` + `185 <`), and
/// a count as written can be the one that hides a frame. So every reading of every frame is
/// followed to the end of the line (each offset once), and the chain that explains the line
/// best wins. None when no chain of counts reaches the end of the line.
fn best_chain(line: &[u8], first: Vec<Reading>) -> Option<Vec<Reading>> {
    use std::collections::HashMap;
    // Every frame offset reachable from the start, with its readings.
    let mut at_offset: HashMap<usize, Vec<Reading>> = HashMap::new();
    let mut todo: Vec<usize> = first.iter().filter_map(|r| r.next).collect();
    at_offset.insert(0, first);
    while let Some(at) = todo.pop() {
        if at_offset.contains_key(&at) {
            continue;
        }
        let found = readings(line, at);
        todo.extend(found.iter().filter_map(|r| r.next));
        at_offset.insert(at, found);
    }
    // Best (cost, frames, reading) from each offset to the end, latest offsets first: fewest
    // repairs, then most frames.
    let mut offsets: Vec<usize> = at_offset.keys().copied().collect();
    offsets.sort_unstable_by_key(|&o| std::cmp::Reverse(o));
    let mut best: HashMap<usize, (u32, u32, Reading)> = HashMap::with_capacity(offsets.len());
    for at in offsets {
        let mut choice: Option<(u32, u32, Reading)> = None;
        for r in &at_offset[&at] {
            let rest = match r.next {
                None => Some((0, 0)),
                Some(next) => best.get(&next).map(|&(c, n, _)| (c, n)),
            };
            if let Some((cost, frames)) = rest {
                let (c, n) = (cost + r.cost, frames + 1);
                if choice.is_none_or(|(bc, bn, _)| {
                    (c, std::cmp::Reverse(n)) < (bc, std::cmp::Reverse(bn))
                }) {
                    choice = Some((c, n, *r));
                }
            }
        }
        if let Some(choice) = choice {
            best.insert(at, choice);
        }
    }
    let mut chain = Vec::new();
    let mut at = Some(0);
    while let Some(offset) = at {
        let (_, _, reading) = *best.get(&offset)?;
        chain.push(reading);
        at = reading.next;
    }
    Some(chain)
}

/// Whether a line starts like an octet-counted frame (`LEN <`).
#[inline]
pub(crate) fn starts_octet_frame(s: &[u8]) -> bool {
    let mut n = 0;
    while n < 10 && n < s.len() && s[n].is_ascii_digit() {
        n += 1;
    }
    n > 0 && s.get(n) == Some(&b' ') && s.get(n + 1) == Some(&b'<')
}

/// Whether `s` starts with an RFC 5424 header as Logplex writes it: `<PRI>1 ` followed by a
/// timestamp (a digit) or the nil value `-`.
fn syslog_header(s: &[u8]) -> bool {
    let Some(rest) = s.strip_prefix(b"<") else {
        return false;
    };
    let n = line::leading_digits(rest);
    (1..=3).contains(&n)
        && rest[n..].starts_with(b">1 ")
        && matches!(rest.get(n + 3), Some(b'0'..=b'9' | b'-'))
}

/// Whether `s` starts a whole frame: `LEN <PRI>1 ` and a timestamp.
fn frame_start(s: &[u8]) -> bool {
    let n = line::leading_digits(s);
    (1..=10).contains(&n) && s.get(n) == Some(&b' ') && syslog_header(&s[n + 1..])
}

fn skip_blanks(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r' | b'\n', t @ ..] = s {
        s = t;
    }
    s
}

/// A frame without the line terminator its count may include (and without trailing blanks: a
/// count that includes a terminator the sender replaced by a space ends on that space).
fn trim_end(mut frame: &[u8]) -> &[u8] {
    while let [head @ .., b'\n' | b'\r' | b' ' | b'\t'] = frame {
        frame = head;
    }
    frame
}

/// The octet count a frame starts with and the bytes after the space that ends it (`s` starts
/// with a frame: at most 10 digits, see `starts_octet_frame`, so no overflow).
fn octet_count(s: &[u8]) -> (usize, &[u8]) {
    let n = line::leading_digits(s);
    let len = s[..n]
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    (len, &s[n + 1..])
}

/// The fallback when a line's octet counts cannot be trusted: its frames are the stretches
/// that start at a `<PRI>1 ` header preceded by `LEN `, up to the next such `LEN `. Where a
/// length is glued to the end of the previous message (`...bytes=1383 <40>1`), the digits that
/// match the frame's real length are taken as its count. Bytes before the first frame are one
/// unparsed record; a line without any header is one unparsed record (`reason`).
fn by_headers<'a>(
    line: &'a [u8],
    reason: Reason,
    repairs: &mut Repairs,
    mut f: impl FnMut(Result<&'a [u8], Reason>),
) {
    let headers: Vec<usize> = memchr::memchr_iter(b'<', line)
        .filter(|&q| {
            q >= 2
                && line[q - 1] == b' '
                && line[q - 2].is_ascii_digit()
                && syslog_header(&line[q..])
        })
        .collect();
    if headers.is_empty() {
        f(Err(reason));
        return;
    }
    // Where each header's length starts: first right to left, each frame ending where the next
    // one's length starts (a length glued to a message's digits is told apart by the frame's
    // real length); then left to right, where the previous frame's own count (give or take the
    // line feed) points inside the digits before a header, that count decides.
    let n = headers.len();
    let runs: Vec<(usize, usize)> = headers
        .iter()
        .map(|&q| {
            let digits_end = q - 1;
            let mut digits_start = digits_end;
            while digits_start > 0 && line[digits_start - 1].is_ascii_digit() {
                digits_start -= 1;
            }
            (digits_start, digits_end)
        })
        .collect();
    let mut starts = vec![0usize; n];
    let mut end = line.len();
    for i in (0..n).rev() {
        let (ds, de) = runs[i];
        let frame_len = trim_end(&line[headers[i]..end]).len();
        let glued = ds > 0 && !line[ds - 1].is_ascii_whitespace();
        starts[i] = if glued {
            glued_count_start(&line[ds..de], frame_len) + ds
        } else {
            ds
        };
        end = starts[i];
    }
    for i in 1..n {
        let count = line[starts[i - 1]..runs[i - 1].1]
            .iter()
            .take(10)
            .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
        let (ds, de) = runs[i];
        let declared = headers[i - 1] + count;
        let fits = |at: &usize| ds <= *at && *at < de;
        let candidates = [declared, declared.wrapping_sub(1), declared + 1];
        // Where both readings are possible, the one that agrees with the right-to-left pass.
        if !candidates.contains(&starts[i])
            && let Some(at) = candidates.into_iter().find(fits)
        {
            starts[i] = at;
        }
    }
    let frames: Vec<&[u8]> = (0..n)
        .map(|i| {
            let end = if i + 1 < n { starts[i + 1] } else { line.len() };
            trim_end(&line[headers[i]..end.max(headers[i])])
        })
        .collect();
    if !skip_blanks(&line[..starts[0]]).is_empty() {
        f(Err(
            "bytes before the first frame header of a line whose octet counts do not add up",
        ));
    }
    repairs.frames_found_by_header += frames.len() as u64;
    for frame in frames {
        f(Ok(frame));
    }
}

/// Where, in `digits` glued to the end of a message, the count of a frame of `len` bytes
/// starts: the shortest ending whose value is the length (give or take a line feed), or else
/// all of them (a stale count).
fn glued_count_start(digits: &[u8], len: usize) -> usize {
    let n = digits.len();
    let mut value = 0usize;
    let mut scale = 1usize;
    for k in 1..=n.min(10) {
        value += usize::from(digits[n - k] - b'0') * scale;
        scale = scale.saturating_mul(10);
        if digits[n - k] != b'0' && (len.saturating_sub(1)..=len + 2).contains(&value) {
            return n - k;
        }
    }
    0
}

/// The line without its terminal escape codes (ANSI colours: `ESC [ ... m`, and any other
/// `ESC [` control sequence; a lone `ESC` is dropped with the byte after it), or `None` when it
/// has none (the common case: one `memchr`, no copy).
pub(crate) fn strip_ansi(line: &[u8]) -> Option<Vec<u8>> {
    let first = memchr::memchr(0x1b, line)?;
    let mut out = Vec::with_capacity(line.len());
    out.extend_from_slice(&line[..first]);
    let mut i = first;
    while i < line.len() {
        let b = line[i];
        if b != 0x1b {
            out.push(b);
            i += 1;
            continue;
        }
        if line.get(i + 1) == Some(&b'[') {
            // CSI: parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, one final byte
            // 0x40-0x7E (`m` for colours).
            let mut j = i + 2;
            while j < line.len() && (0x20..=0x3f).contains(&line[j]) {
                j += 1;
            }
            i = if j < line.len() && (0x40..=0x7e).contains(&line[j]) {
                j + 1
            } else {
                j
            };
        } else {
            i += 2;
        }
    }
    Some(out)
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
/// yields its first frame (see [`parse_line_records`] for all). Never panics; anything
/// unrecognised is [`ParsedLine::Unparsed`].
pub fn parse_line(line: &str) -> ParsedLine {
    let mut first = None;
    parse_line_records(line, |p| {
        if first.is_none() {
            first = Some(p);
        }
    });
    first.unwrap_or_else(|| unparsed("empty line"))
}

/// [`parse_line`] for every record of the line: each octet-counted frame of a log-drain line
/// (frames glued on one line included) is parsed and passed to `f` in order.
pub(crate) fn parse_line_records(line: &str, mut f: impl FnMut(ParsedLine)) {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
    let stripped = strip_ansi(line);
    let line = stripped.as_deref().unwrap_or(line);
    if line.len() > MAX_RECORD_BYTES {
        f(ParsedLine::Unparsed {
            reason: "record longer than 65536 bytes".into(),
        });
        return;
    }
    let mut repairs = Repairs::default();
    for_each_record(line, &mut repairs, |r| {
        f(match r {
            Ok(record) => parse_record_owned(record),
            Err(reason) => unparsed(reason),
        })
    });
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

//! The zero-copy parser: one record (a line, or one octet-counted frame) in, borrowed fields out.
//! No allocation happens here; [`super::parse_line`] turns the result into an owned value.

mod fast;
mod numbers;
mod scan;

use super::time::{MinuteCache, parse_rfc3339_ms_cached};
use fast::{metrics_fast, router_fast};
use numbers::{megabytes, number, number_unit, pages, scale_megabytes, small_uint};
pub(crate) use scan::find;
use scan::{PAIR_BATCH, Pairs, eq16, find_from};

/// How a record was framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// `heroku logs` text: `TIMESTAMP SOURCE[PROCESS]: MESSAGE`.
    Text,
    /// RFC 5424 syslog (a log-drain frame, with or without its octet count).
    Syslog,
    /// The message alone, with no prefix.
    Bare,
    /// A row of a Papertrail archive (`.tsv`, `.tsv.gz`): 10 tab-separated columns.
    PapertrailArchive,
    /// Papertrail's display form: `Mon DD HH:MM:SS SOURCE PROGRAM: MESSAGE`.
    PapertrailDisplay,
}

/// What the framing had to assume to place a record in time (counted as a repair).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assumed {
    /// Nothing.
    Nothing,
    /// A Papertrail `generated_at` without zone, hours from `received_at`: the offset between
    /// them was taken as its zone.
    ZoneOffset,
    /// A Papertrail display line has no year: the latest one not in the future was taken.
    Year,
}

/// A record's envelope and message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framed<'a> {
    pub framing: Framing,
    pub ts_ms: Option<i64>,
    /// `web.1`, `router`, ... (the text prefix's `[PROCESS]`, or the syslog procid).
    pub process: Option<&'a [u8]>,
    pub msg: &'a [u8],
    /// What had to be assumed about the time.
    pub assumed: Assumed,
}

/// Runtime-metrics samples (new `sample#` form or one old `measure=` value).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Metrics<'a> {
    pub source: Option<&'a [u8]>,
    pub dyno: Option<&'a [u8]>,
    pub load_1m: Option<f64>,
    pub load_5m: Option<f64>,
    pub load_15m: Option<f64>,
    pub total: Option<f64>,
    pub rss: Option<f64>,
    pub cache: Option<f64>,
    pub swap: Option<f64>,
    pub pgpgin: Option<f64>,
    pub pgpgout: Option<f64>,
    pub quota: Option<f64>,
    /// The old one-value form (`measure=NAME val=V`): a line is one metric, not one sample.
    pub measure: bool,
}

impl Metrics<'_> {
    pub fn has_load(&self) -> bool {
        self.load_1m.is_some() || self.load_5m.is_some() || self.load_15m.is_some()
    }
    pub fn has_memory(&self) -> bool {
        self.total.is_some()
            || self.rss.is_some()
            || self.cache.is_some()
            || self.swap.is_some()
            || self.pgpgin.is_some()
            || self.pgpgout.is_some()
            || self.quota.is_some()
    }
}

/// A router line's fields.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Router<'a> {
    pub error: bool,
    pub code: Option<&'a [u8]>,
    pub desc: Option<&'a [u8]>,
    pub method: Option<&'a [u8]>,
    pub path: Option<&'a [u8]>,
    pub host: Option<&'a [u8]>,
    pub dyno: Option<&'a [u8]>,
    pub connect_ms: Option<f64>,
    pub service_ms: Option<f64>,
    pub status: Option<u16>,
    pub bytes: Option<u64>,
    pub protocol: Option<&'a [u8]>,
}

/// What a message says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Msg<'a> {
    Metrics(Metrics<'a>),
    Router(Router<'a>),
    /// `Process running mem=1028MB(103.3%)`.
    ProcessMem {
        mb: f64,
        percent: Option<f64>,
    },
    /// `Error R14 (Memory quota exceeded)`.
    R14,
    /// `Error R15 (Memory quota vastly exceeded)`.
    R15,
    /// A well-framed line that carries no telemetry (app output, state changes, ...).
    Other,
}

/// Why a record could not be parsed (a short, stable reason).
pub(crate) type Reason = &'static str;

/// Splits off the envelope.
pub(crate) fn frame(line: &[u8]) -> Result<Framed<'_>, Reason> {
    frame_cached(line, &mut MinuteCache::default())
}

/// [`frame`] with a timestamp cache carried from record to record (same result).
pub(crate) fn frame_cached<'a>(
    line: &'a [u8],
    cache: &mut MinuteCache,
) -> Result<Framed<'a>, Reason> {
    match line.first() {
        Some(b'<') => syslog(line, cache),
        Some(b'0'..=b'9') => {
            // Either an octet count (`123 <40>1 ...`) or a text timestamp (`2012-...`).
            let n = leading_digits(line);
            match line.get(n) {
                Some(b' ') => Err("an octet-counted frame must be split by the framing layer"),
                Some(b'-') if n == 4 => text(line, cache),
                Some(b'\t') => super::papertrail::archive_row(line),
                _ => Err("not a Heroku log line (unknown prefix)"),
            }
        }
        Some(b'A'..=b'S') if super::papertrail::looks_like_display(line) => {
            super::papertrail::display_line(line, cache.now_ms())
        }
        _ => Ok(Framed {
            framing: Framing::Bare,
            ts_ms: None,
            process: None,
            msg: line,
            assumed: Assumed::Nothing,
        }),
    }
}

/// The number of ASCII digits `s` starts with.
#[inline]
pub(crate) fn leading_digits(s: &[u8]) -> usize {
    let mut n = 0;
    while n < s.len() && s[n].is_ascii_digit() {
        n += 1;
    }
    n
}

fn text<'a>(line: &'a [u8], cache: &mut MinuteCache) -> Result<Framed<'a>, Reason> {
    let sp = find(line, b' ').ok_or("text line has no space after the timestamp")?;
    let ts = parse_rfc3339_ms_cached(&line[..sp], cache).ok_or("invalid timestamp")?;
    let rest = &line[sp + 1..];
    let (process, msg) = match source_process_window(rest) {
        Some(found) => found,
        None => match source_process(rest) {
            Ok(found) => found,
            // Papertrail's display form with a full timestamp: `SOURCE PROGRAM: MESSAGE`.
            Err(e) => super::papertrail::source_program(rest).ok_or(e)?,
        },
    };
    Ok(Framed {
        framing: Framing::Text,
        ts_ms: Some(ts),
        process: Some(process),
        msg,
        assumed: Assumed::Nothing,
    })
}

/// `SOURCE[PROCESS]: MESSAGE` (the colon's space optional): the process and the message.
fn source_process(rest: &[u8]) -> Result<(&[u8], &[u8]), Reason> {
    let open = find(rest, b'[').ok_or("text line has no SOURCE[PROCESS]: prefix")?;
    let src = &rest[..open];
    if src.is_empty() || find(src, b' ').is_some() {
        return Err("text line has no SOURCE[PROCESS]: prefix");
    }
    let after = &rest[open + 1..];
    let close = find(after, b']').ok_or("text line has no SOURCE[PROCESS]: prefix")?;
    let process = &after[..close];
    let tail = &after[close + 1..];
    let msg = tail
        .strip_prefix(b": ")
        .or_else(|| tail.strip_prefix(b":"))
        .ok_or("text line has no ': ' after SOURCE[PROCESS]")?;
    if process.is_empty() || process.contains(&b' ') {
        return Err("text line has an invalid [PROCESS]");
    }
    Ok((process, msg))
}

/// The common case of `SOURCE[PROCESS]: MESSAGE` (`heroku[router]: ...`), with the brackets in
/// the first 16 bytes: three byte compares over those 16 bytes find and check both names.
/// `None` means "use the general code", which gives the same result for anything this accepts.
#[inline(always)]
fn source_process_window(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    if rest.len() < 16 {
        return None;
    }
    let open = eq16(rest, 0, b'[');
    let o = open.trailing_zeros() as usize;
    // Nothing after the first `[` in the window means no `]` there either.
    let close = eq16(rest, 0, b']') & (!1u64 << o.min(15));
    let c = close.trailing_zeros() as usize;
    if open == 0 || close == 0 || o == 0 || c == o + 1 {
        return None;
    }
    // No space in the source or the process.
    if eq16(rest, 0, b' ') & ((1u64 << c) - 1) != 0 {
        return None;
    }
    let tail = &rest[c + 1..];
    let msg = tail
        .strip_prefix(b": ")
        .or_else(|| tail.strip_prefix(b":"))?;
    Some((&rest[o + 1..c], msg))
}

/// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID MSG`.
fn syslog<'a>(line: &'a [u8], cache: &mut MinuteCache) -> Result<Framed<'a>, Reason> {
    const BAD: Reason = "malformed RFC 5424 header (expected <PRI>1 TIMESTAMP HOST APP PROC - MSG)";
    let close = line.iter().take(6).position(|&b| b == b'>').ok_or(BAD)?;
    if close < 2 || !line[1..close].iter().all(u8::is_ascii_digit) {
        return Err(BAD);
    }
    let mut rest = line[close + 1..].strip_prefix(b"1 ").ok_or(BAD)?;
    let mut fields: [&[u8]; 5] = [&[]; 5];
    for f in &mut fields {
        let sp = find(rest, b' ');
        match sp {
            Some(i) => {
                *f = &rest[..i];
                rest = &rest[i + 1..];
            }
            None => {
                *f = rest;
                rest = &[];
            }
        }
        if f.is_empty() {
            return Err(BAD);
        }
    }
    let ts = parse_rfc3339_ms_cached(fields[0], cache).ok_or("invalid timestamp")?;
    // Heroku puts the process in PROCID (`host app web.3 -`), but its own documentation also
    // shows `heroku web.3 d.<drain-token> -`: a drain token is never a process name.
    let process = if fields[3].starts_with(b"d.") && fields[3].len() >= 30 {
        fields[2]
    } else {
        fields[3]
    };
    Ok(Framed {
        framing: Framing::Syslog,
        ts_ms: Some(ts),
        process: Some(process),
        msg: without_structured_data(rest),
        assumed: Assumed::Nothing,
    })
}

/// Logplex writes no STRUCTURED-DATA field, but tools that re-export drains as strict RFC 5424
/// add one: a nil `- ` or `[id k="v"]` elements before the message. They are skipped.
fn without_structured_data(msg: &[u8]) -> &[u8] {
    if let Some(rest) = msg.strip_prefix(b"- ") {
        return rest;
    }
    if msg == b"-" {
        return &[];
    }
    let mut rest = msg;
    while let [b'[', inner @ ..] = rest {
        // An element ends at the first `]` not escaped by a backslash.
        let mut i = 0;
        let end = loop {
            match inner.get(i) {
                None => return msg,
                Some(b'\\') => i += 2,
                Some(b']') => break i,
                Some(_) => i += 1,
            }
        };
        rest = &inner[end + 1..];
    }
    if rest.len() == msg.len() {
        return msg;
    }
    rest.strip_prefix(b" ").unwrap_or(rest)
}

/// Decides what a message is.
pub(crate) fn parse_message<'a>(framed: &Framed<'a>) -> Result<Msg<'a>, Reason> {
    let msg = framed.msg;
    let bare = framed.framing == Framing::Bare;
    // Router lines come from the router (`heroku[router]`, PROCID `router`, program
    // `heroku/router`) or bare; an app's own logfmt line (`app[web.1]: at=info ...`) is not one.
    let from_router = matches!(framed.process, None | Some(b"router"));
    match msg.first() {
        Some(b's') if msg.starts_with(b"source=") || msg.starts_with(b"sample#") => metrics(msg),
        Some(b's') if from_router && msg.starts_with(b"sock=") => router(msg),
        Some(b'm') if msg.starts_with(b"measure=") => metrics(msg),
        Some(b'a') if from_router && msg.starts_with(b"at=") => router(msg),
        Some(b'P') if msg.starts_with(b"Process running mem=") => process_mem(msg),
        Some(b'E') if msg.starts_with(b"Error R14") => Ok(Msg::R14),
        Some(b'E') if msg.starts_with(b"Error R15") => Ok(Msg::R15),
        _ if framed.process == Some(b"router") => router(msg),
        _ if bare => Err("not a Heroku log line (no timestamp prefix and no known message)"),
        _ => Ok(Msg::Other),
    }
}

/// How a runtime-metrics sample's value reads.
#[derive(Debug, Clone, Copy)]
enum SampleKind {
    /// A plain number (load averages).
    Number,
    /// A memory amount, in MB unless a unit says otherwise.
    Memory,
    /// A page count.
    Pages,
}

/// Where a sample goes in [`Metrics`].
type Slot = for<'m, 'a> fn(&'m mut Metrics<'a>) -> &'m mut Option<f64>;

/// The dyno samples this crate reads (`sample#NAME=` or `measure=NAME`), for the general and the
/// fast parser alike.
const SAMPLES: [(&[u8], SampleKind, Slot); 12] = [
    (b"memory_total", SampleKind::Memory, |m| &mut m.total),
    (b"memory_rss", SampleKind::Memory, |m| &mut m.rss),
    (b"memory_cache", SampleKind::Memory, |m| &mut m.cache),
    (b"memory_swap", SampleKind::Memory, |m| &mut m.swap),
    (b"memory_quota", SampleKind::Memory, |m| &mut m.quota),
    (b"load_avg_1m", SampleKind::Number, |m| &mut m.load_1m),
    (b"load_avg_5m", SampleKind::Number, |m| &mut m.load_5m),
    (b"load_avg_15m", SampleKind::Number, |m| &mut m.load_15m),
    (b"memory_pgpgin", SampleKind::Pages, |m| &mut m.pgpgin),
    (b"memory_pgpgout", SampleKind::Pages, |m| &mut m.pgpgout),
    // Older lines' names for the same two counters.
    (b"memory_pgin", SampleKind::Pages, |m| &mut m.pgpgin),
    (b"memory_pgout", SampleKind::Pages, |m| &mut m.pgpgout),
];

/// A sample's value; `units` is the old form's `units=` (memory only).
#[inline(always)]
fn sample_value(kind: SampleKind, value: &[u8], units: Option<&[u8]>) -> Option<f64> {
    match (kind, units) {
        (SampleKind::Number, _) => number(value),
        (SampleKind::Pages, _) => pages(value),
        (SampleKind::Memory, Some(u)) => scale_megabytes(number(value)?, u),
        (SampleKind::Memory, None) => megabytes(value),
    }
}

/// Sets the sample `key` (unknown samples are ignored).
fn set_metric(
    m: &mut Metrics<'_>,
    key: &[u8],
    value: &[u8],
    units: Option<&[u8]>,
) -> Result<(), Reason> {
    if let Some(&(_, kind, slot)) = SAMPLES.iter().find(|(name, _, _)| *name == key) {
        *slot(m) = Some(sample_value(kind, value, units).ok_or("invalid runtime-metrics value")?);
    }
    Ok(())
}

fn metrics(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    match metrics_fast(msg) {
        Some(m) => Ok(m),
        None => metrics_general(msg),
    }
}

/// Any runtime-metrics line: the pairs in any order, unknown samples ignored, the old
/// `measure= val= units=` form.
fn metrics_general(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    let mut m = Metrics::default();
    let mut measure: Option<&[u8]> = None;
    let mut val: Option<&[u8]> = None;
    let mut units: Option<&[u8]> = None;
    for pair in Pairs::new(msg) {
        let (k, v) = pair?;
        match key_word(k) {
            K_SOURCE => m.source = Some(v),
            K_DYNO => m.dyno = Some(v),
            K_MEASURE => measure = Some(v),
            K_VAL => val = Some(v),
            K_UNITS => units = Some(v),
            _ => {
                if let Some(key) = k.strip_prefix(b"sample#") {
                    set_metric(&mut m, key, v, None)?;
                }
            }
        }
    }
    match (measure, val) {
        (Some(name), Some(v)) => {
            m.measure = true;
            set_metric(&mut m, name, v, units)?;
        }
        (Some(_), None) => return Err("measure= without val="),
        _ => {}
    }
    Ok(metrics_result(m))
}

fn metrics_result(mut m: Metrics<'_>) -> Msg<'_> {
    if let Some((process, full)) = m.source.and_then(old_source) {
        m.source = Some(process);
        m.dyno = m.dyno.or(Some(full));
    }
    if !m.has_load() && !m.has_memory() {
        // e.g. Heroku Postgres / Redis metrics lines: well-formed, not dyno telemetry.
        return Msg::Other;
    }
    Msg::Metrics(m)
}

/// The oldest runtime metrics name their dyno `source=heroku.<app id>.<process>.<uuid>`
/// (`heroku.6041702.web.1.dabb0da6-d9d5-4627-a299-0b218adf1d3e`): the process (`web.1`) and
/// the whole name, or `None` for any other source.
fn old_source(source: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = source.strip_prefix(b"heroku.")?;
    let id = leading_digits(rest);
    let rest = rest[id..].strip_prefix(b".").filter(|_| id > 0)?;
    let dot = memchr::memrchr(b'.', rest)?;
    let (process, uuid) = (&rest[..dot], &rest[dot + 1..]);
    let uuid_like = uuid.len() >= 8 && uuid.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    (uuid_like && !process.is_empty()).then_some((process, source))
}

/// A key of 1..=8 bytes as (length, its bytes as a little-endian integer), so that matching
/// a key is two integer compares; longer or empty keys are `(0, 0)`, which no known key is.
#[inline(always)]
fn key_word(k: &[u8]) -> (usize, u64) {
    if k.is_empty() || k.len() > 8 {
        return (0, 0);
    }
    let mut w = 0u64;
    for (i, &b) in k.iter().enumerate() {
        w |= u64::from(b) << (8 * i);
    }
    (k.len(), w)
}

const fn kw(k: &[u8]) -> (usize, u64) {
    let mut b = [0u8; 8];
    let mut i = 0;
    while i < k.len() {
        b[i] = k[i];
        i += 1;
    }
    (k.len(), u64::from_le_bytes(b))
}

const K_AT: (usize, u64) = kw(b"at");
const K_CODE: (usize, u64) = kw(b"code");
const K_DESC: (usize, u64) = kw(b"desc");
const K_METHOD: (usize, u64) = kw(b"method");
const K_PATH: (usize, u64) = kw(b"path");
const K_HOST: (usize, u64) = kw(b"host");
const K_DYNO: (usize, u64) = kw(b"dyno");
const K_CONNECT: (usize, u64) = kw(b"connect");
const K_SERVICE: (usize, u64) = kw(b"service");
const K_STATUS: (usize, u64) = kw(b"status");
const K_BYTES: (usize, u64) = kw(b"bytes");
const K_PROTOCOL: (usize, u64) = kw(b"protocol");
const K_SOURCE: (usize, u64) = kw(b"source");
const K_MEASURE: (usize, u64) = kw(b"measure");
const K_VAL: (usize, u64) = kw(b"val");
const K_UNITS: (usize, u64) = kw(b"units");

fn opt(v: &[u8]) -> Option<&[u8]> {
    if v.is_empty() { None } else { Some(v) }
}

fn router(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    match router_fast(msg) {
        Some(r) => Ok(Msg::Router(r)),
        None => router_general(msg),
    }
}

const BAD_ROUTER: Reason = "invalid router field value";

/// `connect=` / `service=`: milliseconds, empty for none.
#[inline(always)]
fn router_ms(v: &[u8]) -> Result<Option<f64>, Reason> {
    if v.is_empty() {
        return Ok(None);
    }
    if let Some((x, unit)) = small_uint(v)
        && matches!(unit, b"ms" | b"")
    {
        return Ok(Some(x as f64));
    }
    match number_unit(v) {
        Some((x, b"ms" | b"")) if x >= 0.0 => Ok(Some(x)),
        _ => Err(BAD_ROUTER),
    }
}

/// `status=`: 100..=999, empty for none.
#[inline(always)]
fn router_status(v: &[u8]) -> Result<Option<u16>, Reason> {
    if v.is_empty() {
        return Ok(None);
    }
    if let Some((s, [])) = small_uint(v) {
        if !(100..=999).contains(&s) {
            return Err(BAD_ROUTER);
        }
        return Ok(Some(s as u16));
    }
    let s = number(v).filter(|s| s.fract() == 0.0 && (100.0..=999.0).contains(s));
    Ok(Some(s.ok_or(BAD_ROUTER)? as u16))
}

/// `bytes=`: a whole number, empty for none.
#[inline(always)]
fn router_bytes(v: &[u8]) -> Result<Option<u64>, Reason> {
    if v.is_empty() {
        return Ok(None);
    }
    if let Some((b, [])) = small_uint(v) {
        return Ok(Some(b));
    }
    let b = number(v).filter(|b| b.fract() == 0.0 && *b >= 0.0);
    Ok(Some(b.ok_or(BAD_ROUTER)? as u64))
}

/// Any router line: the pairs in any order, unknown keys ignored, the last of a repeated key
/// kept.
fn router_general(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    let mut r = Router::default();
    let mut at = false;
    // Split first, then interpret: the splitting loop stays small (no router state live in
    // it), and a splitting error is reported only after the fields before it, as before.
    let mut pairs = Pairs::new(msg);
    let mut batch: [(&[u8], &[u8]); PAIR_BATCH] = [(&[], &[]); PAIR_BATCH];
    loop {
        let (n, split_error) = pairs.batch(&mut batch);
        for &(k, v) in &batch[..n] {
            // Keys are compared as one integer (every router key is at most 8 bytes).
            match key_word(k) {
                K_AT => {
                    at = true;
                    r.error = match v {
                        b"info" => false,
                        b"error" | b"warning" => true,
                        _ => return Err("router at= must be info, warning or error"),
                    }
                }
                K_CODE => r.code = opt(v),
                K_DESC => r.desc = opt(v),
                K_METHOD => r.method = opt(v),
                K_PATH => r.path = Some(v),
                K_HOST => r.host = opt(v),
                K_DYNO => r.dyno = opt(v),
                K_CONNECT => r.connect_ms = router_ms(v)?,
                K_SERVICE => r.service_ms = router_ms(v)?,
                K_STATUS if !v.is_empty() => r.status = router_status(v)?,
                K_BYTES if !v.is_empty() => r.bytes = router_bytes(v)?,
                K_PROTOCOL => r.protocol = opt(v),
                _ => {}
            }
        }
        if let Some(e) = split_error {
            return Err(e);
        }
        if n < PAIR_BATCH {
            break;
        }
    }
    if !at {
        return Err("router line without at=");
    }
    Ok(Msg::Router(r))
}

fn process_mem(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    const BAD: Reason = "invalid 'Process running mem=' value";
    let rest = &msg[b"Process running mem=".len()..];
    let end = rest
        .iter()
        .position(|&b| b == b'(' || b == b' ')
        .unwrap_or(rest.len());
    let mb = megabytes(&rest[..end]).ok_or(BAD)?;
    let percent = match rest[end..].strip_prefix(b"(") {
        Some(p) => {
            let close = memchr::memchr(b')', p).ok_or(BAD)?;
            let pct = p[..close].strip_suffix(b"%").ok_or(BAD)?;
            Some(number(pct).ok_or(BAD)?)
        }
        None => None,
    };
    Ok(Msg::ProcessMem { mb, percent })
}

/// The process type of a dyno source: `web.1` → `web`, `worker` → `worker`, and a Fir dyno
/// (a Kubernetes pod name, `web-1234abcde44-123ab`) → `web`.
pub(crate) fn process_type(source: &[u8]) -> &[u8] {
    match memchr::memrchr(b'.', source) {
        Some(i) if i > 0 => &source[..i],
        _ => fir_process_type(source).unwrap_or(source),
    }
}

/// `TYPE-HASH-SUFFIX` with a HASH of 5 to 16 and a SUFFIX of 5 lowercase letters or digits:
/// the TYPE of a Fir dyno name.
fn fir_process_type(name: &[u8]) -> Option<&[u8]> {
    let alnum = |s: &[u8]| {
        s.iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let last = memchr::memrchr(b'-', name)?;
    let (head, suffix) = (&name[..last], &name[last + 1..]);
    let mid = memchr::memrchr(b'-', head)?;
    let (ty, hash) = (&head[..mid], &head[mid + 1..]);
    (suffix.len() == 5
        && (5..=16).contains(&hash.len())
        && alnum(suffix)
        && alnum(hash)
        && !ty.is_empty())
    .then_some(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reject_nan_inf_and_garbage() {
        assert_eq!(number(b"21.00"), Some(21.0));
        assert_eq!(number(b"2.46"), Some(2.46));
        assert_eq!(number(b"-0.5"), Some(-0.5));
        assert_eq!(
            number(b"123456789012345678901"),
            Some(123456789012345678901.0)
        );
        for bad in [&b"NaN"[..], b"inf", b"", b".", b"1e5", b"1.2.3", b"-"] {
            assert_eq!(number(bad), None);
        }
        assert_eq!(megabytes(b"NaNMB"), None);
        assert_eq!(megabytes(b"1.5GB"), Some(1536.0));
    }

    #[test]
    fn small_uints_agree_with_number_unit() {
        for s in [
            &b"0"[..],
            b"007ms",
            b"200",
            b"2963",
            b"999999999999999",
            b"9999999999999999",
            b"123456789012345678901ms",
            b"1.5ms",
            b"12.",
            b"-5ms",
            b"ms",
            b"",
            b"30000ms",
            b"5x",
        ] {
            if let Some((v, unit)) = small_uint(s) {
                assert_eq!(number_unit(s), Some((v as f64, unit)), "{s:?}");
            }
        }
        assert_eq!(small_uint(b"30000ms"), Some((30000, &b"ms"[..])));
        assert_eq!(small_uint(b"9999999999999999"), None);
        assert_eq!(small_uint(b"1.5"), None);
    }

    #[test]
    fn pairs_handle_quoted_bare_and_empty() {
        let got: Vec<_> = Pairs::new(br#"a="x y" b=1 c= d="""#)
            .map(|p| p.unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"a"[..], &b"x y"[..]),
                (b"b", b"1"),
                (b"c", b""),
                (b"d", b"")
            ]
        );
        assert!(Pairs::new(br#"a="x"#).next().unwrap().is_err());
    }

    #[test]
    fn process_types() {
        assert_eq!(process_type(b"web.1"), b"web");
        assert_eq!(process_type(b"run.worker.12"), b"run.worker");
        assert_eq!(process_type(b"worker"), b"worker");
    }
}

#[cfg(test)]
mod swar_tests {
    use super::scan::Delims;
    use super::*;
    use proptest::prelude::*;

    type Owned = Result<(Vec<u8>, Vec<u8>), Reason>;

    /// The straightforward definition the word-wise iterator must agree with.
    fn reference(mut rest: &[u8]) -> Vec<Owned> {
        let mut out = Vec::new();
        loop {
            while let [b' ', tail @ ..] = rest {
                rest = tail;
            }
            if rest.is_empty() {
                return out;
            }
            let eq = rest.iter().position(|&b| b == b'=' || b == b' ');
            let Some(eq) = eq.filter(|&i| rest[i] == b'=' && i > 0) else {
                out.push(Err("a field has no '='"));
                return out;
            };
            let key = rest[..eq].to_vec();
            let v = &rest[eq + 1..];
            if let [b'"', inner @ ..] = v {
                let close = (0..inner.len())
                    .find(|&i| inner[i] == b'"' && (i + 1 == inner.len() || inner[i + 1] == b' '));
                match close {
                    Some(c) => {
                        out.push(Ok((key, inner[..c].to_vec())));
                        rest = &inner[c + 1..];
                    }
                    None => {
                        out.push(Err("an unterminated quoted value"));
                        return out;
                    }
                }
                continue;
            }
            let end = v.iter().position(|&b| b == b' ').unwrap_or(v.len());
            out.push(Ok((key, v[..end].to_vec())));
            rest = &v[end..];
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn pairs_agree_with_the_reference(
            msg in proptest::collection::vec(
                prop_oneof![Just(b' '), Just(b'='), Just(b'"'), Just(b'a'), Just(b'\xa0'), any::<u8>()],
                0..300,
            )
        ) {
            let got: Vec<_> = Pairs::new(&msg)
                .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
                .collect();
            prop_assert_eq!(got, reference(&msg));
        }
    }

    const ROUTER_ORDER: [&str; 14] = [
        "at",
        "code",
        "desc",
        "method",
        "path",
        "host",
        "request_id",
        "fwd",
        "dyno",
        "connect",
        "service",
        "status",
        "bytes",
        "protocol",
    ];
    /// Values Heroku could write, per key of `ROUTER_ORDER`.
    const ROUTER_GOOD: [&[&str]; 14] = [
        &["info", "error", "warning"],
        &["H12", "", "H10"],
        &["\"Request timeout\"", "", "x"],
        &["GET", ""],
        &["\"/a b\"", "/", "\"\"", "\"say \"hi\" there\""],
        &["myapp.herokuapp.com", ""],
        &["fe81f26e-b26d-4072-a979-e979b560315c", ""],
        &["\"1.2.3.4\"", "1.2.3.4"],
        &["web.1", "", "run.12"],
        &["0ms", "", "1.5ms", "12"],
        &["30000ms", "", "18ms"],
        &["200", "503", ""],
        &["0", "2963", ""],
        &["https", ""],
    ];
    const METRIC_KEYS: [&str; 16] = [
        "source",
        "dyno",
        "sample#memory_total",
        "sample#memory_rss",
        "sample#memory_cache",
        "sample#memory_swap",
        "sample#memory_quota",
        "sample#load_avg_1m",
        "sample#load_avg_5m",
        "sample#load_avg_15m",
        "sample#memory_pgpgin",
        "sample#memory_pgpgout",
        "sample#db_size",
        "measure",
        "val",
        "units",
    ];
    const MEMORY_GOOD: &[&str] = &["474.91MB", "1.5GB", "12kB", "\"1.0MB\"", "7"];
    const METRIC_GOOD: [&[&str]; 16] = [
        &["web.1", ""],
        &["heroku.2808254.d97d0ea7"],
        MEMORY_GOOD,
        MEMORY_GOOD,
        MEMORY_GOOD,
        MEMORY_GOOD,
        MEMORY_GOOD,
        &["0.10", "2", "\"1.5\""],
        &["0.10", "2"],
        &["0.10", "2"],
        &["348836pages", "12"],
        &["348836pages", "12"],
        &["12bytes"],
        &["memory_total"],
        &["2.5"],
        &["MB"],
    ];
    /// Values that test the edges: bad numbers, quotes, `=` and spaces inside values.
    const WILD: [&str; 20] = [
        "", "\"x\"\"", "\"open", "-1ms", "99", "1000", "abc", "200.0", "1e3", "\"\"", "a=b",
        "x\"y", "NaNms", "NaNMB", "-3", "\"1 2\"", "1.5.5", "info", "0.10", "\"a\" b",
    ];

    /// A message from `(key, value, separator)` picks: a value below 16 is one of the key's
    /// good values, otherwise a wild one; a separator of 0 means two spaces.
    fn message(
        keys: &[&str],
        good: &[&[&str]],
        picks: &[(usize, usize, u8)],
        tail: bool,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &(k, v, sep)) in picks.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(if sep == 0 { b"  " } else { b" " });
            }
            let k = k % keys.len();
            out.extend_from_slice(keys[k].as_bytes());
            out.push(b'=');
            let value = if v < 16 {
                good[k][v % good[k].len()]
            } else {
                WILD[v % WILD.len()]
            };
            out.extend_from_slice(value.as_bytes());
        }
        if tail {
            out.push(b' ');
        }
        out
    }

    fn check_router(msg: &[u8]) -> bool {
        match router_fast(msg) {
            Some(r) => {
                assert_eq!(
                    router_general(msg),
                    Ok(Msg::Router(r)),
                    "{:?}",
                    String::from_utf8_lossy(msg)
                );
                true
            }
            None => false,
        }
    }

    fn check_metrics(msg: &[u8]) -> bool {
        match metrics_fast(msg) {
            Some(m) => {
                assert_eq!(
                    metrics_general(msg),
                    Ok(m),
                    "{:?}",
                    String::from_utf8_lossy(msg)
                );
                true
            }
            None => false,
        }
    }

    /// Whenever a fast path accepts a message, the general parser gives the same result: on
    /// pairs in Heroku's order with some left out (the fast paths' home ground), on pairs in any
    /// order with repeats, and on either with one byte changed. At the end, each kind of message
    /// must have been accepted by a fast path often enough for the agreement to mean something.
    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
        use proptest::test_runner::{Config, TestRunner};
        use std::cell::RefCell;
        let hits = RefCell::new([0u32; 8]);
        let cases = 1024;
        let mut runner = TestRunner::new(Config {
            failure_persistence: None,
            ..Config::with_cases(cases)
        });
        let strategy = (
            proptest::collection::vec((any::<bool>(), 0..20usize, 0..8u8), 16),
            proptest::collection::vec((0..20usize, 0..20usize, 0..8u8), 0..18),
            any::<bool>(),
            (any::<usize>(), any::<u8>()),
        );
        runner
            .run(&strategy, |(in_order, shuffled, tail, flip)| {
                let ordered = |n: usize| -> Vec<(usize, usize, u8)> {
                    in_order[..n]
                        .iter()
                        .enumerate()
                        .filter(|(i, (keep, _, _))| *i == 0 || *keep)
                        .map(|(i, &(_, v, sep))| (i, v, sep))
                        .collect()
                };
                let mut msgs = vec![
                    message(&ROUTER_ORDER, &ROUTER_GOOD, &ordered(14), tail),
                    message(&ROUTER_ORDER, &ROUTER_GOOD, &shuffled, tail),
                    message(&METRIC_KEYS, &METRIC_GOOD, &ordered(12), tail),
                    message(&METRIC_KEYS, &METRIC_GOOD, &shuffled, tail),
                ];
                for i in 0..4 {
                    let mut m = msgs[i].clone();
                    if !m.is_empty() {
                        let at = flip.0 % m.len();
                        m[at] = [b' ', b'=', b'"', flip.1][usize::from(flip.1 % 4)];
                    }
                    msgs.push(m);
                }
                for (i, msg) in msgs.iter().enumerate() {
                    let hit = check_router(msg) | check_metrics(msg);
                    hits.borrow_mut()[i] += u32::from(hit);
                }
                Ok(())
            })
            .unwrap();
        let hits = hits.into_inner();
        // In order: most messages; shuffled or changed: some.
        assert!(hits[0] > cases / 8 && hits[2] > cases / 8, "{hits:?}");
        assert!(hits.iter().all(|&h| h > 0), "{hits:?}");
    }

    /// The fast paths take the lines Heroku writes (so the agreement above is not vacuous).
    #[test]
    fn fast_paths_take_herokus_own_layout() {
        for line in [
            &br#"at=info method=GET path="/api/items" host=myapp.herokuapp.com request_id=fe81f26e-b26d-4072-a979-e979b560315c fwd="92.49.96.181" dyno=web.2 connect=0ms service=73ms status=200 bytes=2963 protocol=https"#[..],
            br#"at=error code=H12 desc="Request timeout" method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.1 connect= service=30000ms status=503 bytes=0"#,
            br#"at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes="#,
        ] {
            assert!(check_router(line), "{}", String::from_utf8_lossy(line));
        }
        for line in [
            &b"source=web.2 dyno=heroku.7867045.12278575 sample#load_avg_1m=0.10 sample#load_avg_5m=0.09 sample#load_avg_15m=0.08"[..],
            b"source=web.1 dyno=heroku.2808254.d97d0ea7 sample#memory_total=21.00MB sample#memory_rss=21.22MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB",
        ] {
            assert!(check_metrics(line), "{}", String::from_utf8_lossy(line));
        }
        // And leave the rest to the general parsers.
        assert!(!check_router(b"method=GET at=info"));
        assert!(!check_router(br#"at=info path="/open"#));
        assert!(!check_metrics(b"measure=memory_total val=12.0 units=MB"));
        assert!(!check_metrics(b"source=postgres sample#db_size=12bytes"));
    }

    #[test]
    fn delimiter_bitmaps_are_exact_at_every_length_and_offset() {
        let alphabet = [b' ', b'=', b'"', b'a', 0x00, 0x20 ^ 0x80, 0xff, b'<'];
        let mut rng = crate::heroku::synth::SplitMix64::new(7);
        for len in 0..200 {
            let hay = rng.draw(&alphabet, len);
            let mut d = Delims::new(&hay);
            for pos in 0..=len + 1 {
                let want = hay
                    .iter()
                    .skip(pos)
                    .position(|&b| matches!(b, b' ' | b'=' | b'"'))
                    .map(|p| p + pos);
                assert_eq!(d.next_from(pos), want, "len {len} pos {pos}");
            }
        }
    }

    /// The 16-byte window for `SOURCE[PROCESS]: ` agrees with the general code wherever it
    /// answers, and answers for Heroku's own prefixes.
    #[test]
    fn source_process_window_agrees_with_the_general_code() {
        let alphabet = [b'[', b']', b' ', b':', b'a', b'.', b'1'];
        let mut rng = crate::heroku::synth::SplitMix64::new(3);
        let mut answered = 0;
        for _ in 0..200_000 {
            let len = rng.below(28) as usize;
            let rest = rng.draw(&alphabet, len);
            if let Some(got) = source_process_window(&rest) {
                assert_eq!(
                    Some(got),
                    source_process(&rest).ok(),
                    "{}",
                    String::from_utf8_lossy(&rest)
                );
                answered += 1;
            }
        }
        assert!(answered > 100, "{answered}");
        for rest in [
            &b"heroku[router]: at=info"[..],
            b"heroku[worker.1]: Error R14 (Memory quota exceeded)",
            b"app[web.1]: Started GET",
        ] {
            assert_eq!(source_process_window(rest), source_process(rest).ok());
            assert!(source_process_window(rest).is_some());
        }
    }

    #[test]
    fn find_agrees_with_a_plain_scan() {
        let hay =
            b"at=info method=GET path=\"/a b\" dyno=web.1 \x80\xff= x connect=0ms service=12ms";
        for end in 0..=hay.len() {
            for start in 0..=end {
                let h = &hay[start..end];
                for needle in [b' ', b'=', b'"', b'\xff', b'z', b's'] {
                    assert_eq!(find(h, needle), h.iter().position(|&b| b == needle));
                    for from in 0..=h.len() {
                        let want = h[from..].iter().position(|&b| b == needle);
                        assert_eq!(
                            find_from(h, from, needle),
                            want.map_or(h.len(), |p| from + p)
                        );
                    }
                }
            }
        }
    }
}

//! Streaming aggregation of Heroku log records into per-process-type profiles.
//!
//! [`Ingest`] takes bytes in any chunking (lines split across chunks are joined), readers
//! (gzip detected by its magic bytes), and merges with other ingests; [`Ingest::finish`] gives
//! [`Profiles`]. [`ingest_paths`] does all of that for files on every core (big plain files in
//! segments the threads share). Memory use is bounded by the number of dynos and the covered
//! time span, never by the input size.

mod agg;
#[doc(hidden)]
pub mod bench_stages;
mod bulk;
pub mod otlp;
mod profile;
pub mod s3input;
pub mod sketch;
mod state;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

pub use bulk::{
    IngestProgress, MAX_INGEST_THREADS, SEGMENT_BYTES, THREADS_LIMIT, ingest_file,
    ingest_file_with_progress, ingest_paths, ingest_paths_on, ingest_paths_unfinished,
    ingest_paths_with_progress,
};
pub use profile::{
    Concurrency, Distribution, DynoProfile, InputIssue, IntervalPeak, LineCounts, MemoryErrors,
    MemoryEvent, MemoryProfile, ProcessProfile, Profiles, Repairs, RouterProfile, TimeSpan,
    UnparsedExample,
};
pub use sketch::{RELATIVE_ERROR, Sketch};
pub use state::{STATE_MAGIC, STATE_VERSION};

use crate::error::{Error, Result};
use crate::heroku::logs::time::{MinuteCache, format_rfc3339_ms};
use crate::heroku::logs::{self, Assumed, Framed, MAX_RECORD_BYTES, Msg};
use agg::{DynoAgg, FxMap, SourceCache, TypeAgg, max_opt, span_add, span_merge, type_profile};
use bench_stages::{Stage, stops_after};

/// Physical lines longer than this are counted as one unparsed record and skipped without
/// being held in memory (a log-drain line may carry many frames, hence larger than a record).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// How many unparsed records are kept as examples.
pub const MAX_EXAMPLES: usize = 5;
/// How many bytes of an unparsed record an example keeps.
pub const EXAMPLE_BYTES: usize = 200;
/// How many R14/R15 events are listed per process type (all are counted).
pub const MAX_EVENTS: usize = 1000;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// An incremental ingest. Feed it bytes ([`Ingest::feed`]) or readers ([`Ingest::feed_reader`]),
/// merge others into it, and [`Ingest::finish`] it into [`Profiles`].
///
/// ```
/// use dynoshift::telemetry::Ingest;
/// let mut ingest = Ingest::new();
/// ingest.feed(b"2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R1");
/// ingest.feed(b"4 (Memory quota exceeded)\n");
/// let profiles = ingest.finish();
/// assert_eq!(profiles.process_types["worker"].memory_errors.r14, 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    carry: Vec<u8>,
    skipping: bool,
    counts: LineCounts,
    input: Option<String>,
    input_records: u64,
    examples: Vec<UnparsedExample>,
    issues: Vec<InputIssue>,
    types: Vec<TypeAgg>,
    type_index: FxMap<Box<[u8]>, usize>,
    /// dyno source -> (type index, dyno index in that type)
    source_index: FxMap<Box<[u8]>, (usize, usize)>,
    /// Recently looked-up sources in front of `source_index` (a speed-up only).
    source_cache: SourceCache,
    span: Option<(i64, i64)>,
    /// The last timestamp minute parsed (a speed-up only: it never changes a result).
    minute_cache: MinuteCache,
}

impl Ingest {
    /// An empty ingest.
    pub fn new() -> Ingest {
        Ingest::default()
    }

    /// Names the input the next records come from (shown in unparsed examples and issues) and
    /// restarts record numbering.
    pub fn begin_input(&mut self, name: impl Into<String>) {
        self.end_input();
        self.input = Some(name.into());
        self.input_records = 0;
    }

    /// Feeds a chunk of log text. Chunks may split lines anywhere; the tail of an unfinished line
    /// waits for the next chunk (or [`Ingest::end_input`] / [`Ingest::finish`]). The bytes must
    /// be uncompressed: gzip is detected by [`Ingest::feed_reader`] and [`ingest_paths`].
    pub fn feed(&mut self, mut data: &[u8]) {
        self.counts.bytes += data.len() as u64;
        if self.skipping || !self.carry.is_empty() {
            match memchr::memchr(b'\n', data) {
                None => {
                    if !self.skipping {
                        self.carry.extend_from_slice(data);
                        if self.carry.len() > MAX_LINE_BYTES {
                            let carry = std::mem::take(&mut self.carry);
                            self.overlong(&carry);
                            self.skipping = true;
                        }
                    }
                    return;
                }
                Some(i) => {
                    if self.skipping {
                        self.skipping = false;
                    } else {
                        let mut carry = std::mem::take(&mut self.carry);
                        carry.extend_from_slice(&data[..i]);
                        self.line(&carry);
                        carry.clear();
                        self.carry = carry;
                    }
                    data = &data[i + 1..];
                }
            }
        }
        let mut start = 0;
        for i in memchr::memchr_iter(b'\n', data) {
            self.line(&data[start..i]);
            start = i + 1;
        }
        data = &data[start..];
        if data.len() > MAX_LINE_BYTES {
            self.overlong(data);
            self.skipping = true;
        } else {
            self.carry.extend_from_slice(data);
        }
    }

    /// Marks the end of an input: a last line without a trailing newline is parsed now rather
    /// than joined with the next input's first line.
    pub fn end_input(&mut self) {
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            self.line(&carry);
        }
        self.skipping = false;
        for t in &mut self.types {
            t.flush_hour();
            t.router.flush_minute();
        }
    }

    /// Reads a whole input (plain or gzip, detected by its magic bytes) and ends it.
    ///
    /// A gzip stream that is truncated or corrupt keeps every line decoded before the break and
    /// records an [`InputIssue`]; that is not an error. A read error of the underlying reader is
    /// `invalid_input`.
    pub fn feed_reader(&mut self, reader: impl Read) -> Result<()> {
        self.feed_reader_with_progress(reader, &mut |_| {})
    }

    /// [`Ingest::feed_reader`], calling `progress` with the bytes of this input read so far
    /// (decompressed) about every [`PROGRESS_EVERY_BYTES`] and once at the end. The check is one
    /// comparison per 256 KiB chunk, so the parsing loop runs as fast as without it.
    pub fn feed_reader_with_progress(
        &mut self,
        reader: impl Read,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let mut reader = BufReader::with_capacity(256 * 1024, reader);
        let start = self.counts.bytes;
        let head = reader.fill_buf().map_err(|e| self.read_error(&e, start))?;
        let gzip = head.starts_with(&GZIP_MAGIC);
        let mut report = throttled(start, progress);
        let result = if gzip {
            let mut dec = flate2::bufread::MultiGzDecoder::new(reader);
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                match dec.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        self.feed(&buf[..n]);
                        report(self.counts.bytes);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            }
        } else {
            self.feed_plain(&mut reader, &mut report)
        };
        drop(report);
        self.end_input();
        progress(self.counts.bytes - start);
        match result {
            Ok(()) => Ok(()),
            Err(e)
                if gzip
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::InvalidData
                            | std::io::ErrorKind::InvalidInput
                    ) =>
            {
                let bytes_read = self.counts.bytes - start;
                self.issues.push(InputIssue {
                    input: self.input.clone(),
                    bytes_read,
                    message: format!(
                        "the gzip stream is truncated or corrupt after {bytes_read} decompressed \
                         bytes ({e}); the lines before the break were ingested, the rest is \
                         missing — re-download the archive for complete profiles"
                    ),
                });
                Ok(())
            }
            Err(e) => Err(self.read_error(&e, start)),
        }
    }

    /// Feeds everything `reader` holds, as plain text (no gzip detection), calling `report`
    /// with the running byte count after each chunk.
    fn feed_plain(
        &mut self,
        reader: &mut impl BufRead,
        report: &mut impl FnMut(u64),
    ) -> std::io::Result<()> {
        loop {
            let n = match reader.fill_buf() {
                Ok([]) => return Ok(()),
                Ok(buf) => {
                    let n = buf.len();
                    self.feed(buf);
                    report(self.counts.bytes);
                    n
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            reader.consume(n);
        }
    }

    /// Whether the last line fed is unfinished (no `\n` yet).
    fn mid_line(&self) -> bool {
        self.skipping || !self.carry.is_empty()
    }

    /// Renumbers the unparsed examples as if `before` records of the same input came first
    /// (for the later segments of a file read in segments).
    fn shift_records(&mut self, before: u64) {
        for e in &mut self.examples {
            e.record += before;
        }
    }

    fn read_error(&self, e: &std::io::Error, start: u64) -> Error {
        let name = self.input.as_deref().unwrap_or("the input");
        Error::invalid_input(format!(
            "reading {name} failed after {} bytes: {e}; check that it is a readable log file",
            self.counts.bytes - start
        ))
    }

    /// Adds everything another ingest has seen (as if its inputs had been fed after this one's).
    pub fn merge(&mut self, mut other: Ingest) {
        self.end_input();
        other.end_input();
        let c = &other.counts;
        self.counts.bytes += c.bytes;
        self.counts.records += c.records;
        self.counts.telemetry += c.telemetry;
        self.counts.other += c.other;
        self.counts.unparsed += c.unparsed;
        self.counts.blank += c.blank;
        self.counts.repairs.add(&c.repairs);
        for e in other.examples {
            if self.examples.len() < MAX_EXAMPLES {
                self.examples.push(e);
            }
        }
        self.issues.extend(other.issues);
        span_merge(&mut self.span, other.span);
        for t in other.types {
            let ti = self.type_idx(t.name.as_bytes());
            for (name, d) in &t.dynos {
                let (tj, di) = self.source_idx(name.as_bytes());
                self.types[tj].dynos[di].1.merge(d);
            }
            let mine = &mut self.types[ti];
            for (h, iv) in &t.hours {
                mine.hours.entry(*h).or_default().merge(iv);
            }
            mine.router.merge(&t.router);
            for ev in t.events {
                if mine.events.len() < MAX_EVENTS {
                    mine.events.push(ev);
                } else {
                    mine.events_not_listed += 1;
                }
            }
            mine.events_not_listed += t.events_not_listed;
            span_merge(&mut mine.span, t.span);
        }
    }

    /// Ends the input and computes the profiles.
    pub fn finish(mut self) -> Profiles {
        self.end_input();
        let mut process_types = BTreeMap::new();
        for t in &self.types {
            process_types.insert(t.name.clone(), type_profile(t));
        }
        Profiles {
            relative_error: RELATIVE_ERROR,
            lines: self.counts,
            unparsed_examples: self.examples,
            input_issues: self.issues,
            span: self.span.map(|(a, b)| TimeSpan::new(a, b)),
            process_types,
        }
    }

    fn type_idx(&mut self, name: &[u8]) -> usize {
        if let Some(&i) = self.type_index.get(name) {
            return i;
        }
        if std::str::from_utf8(name).is_err() {
            // Only valid UTF-8 names are stored, so names never collide once made printable.
            return self.type_idx(String::from_utf8_lossy(name).as_bytes());
        }
        let i = self.types.len();
        self.types.push(TypeAgg {
            name: String::from_utf8_lossy(name).into_owned(),
            ..TypeAgg::default()
        });
        self.type_index.insert(name.into(), i);
        i
    }

    #[inline]
    fn source_idx(&mut self, source: &[u8]) -> (usize, usize) {
        let key = SourceCache::key(source);
        if let Some(ix) = key.and_then(|k| self.source_cache.get(k)) {
            return ix;
        }
        let ix = self.source_idx_slow(source);
        if let Some(k) = key {
            self.source_cache.put(k, ix);
        }
        ix
    }

    fn source_idx_slow(&mut self, source: &[u8]) -> (usize, usize) {
        if let Some(&ix) = self.source_index.get(source) {
            return ix;
        }
        if std::str::from_utf8(source).is_err() {
            return self.source_idx_slow(String::from_utf8_lossy(source).as_bytes());
        }
        let ti = self.type_idx(logs::process_type(source));
        let t = &mut self.types[ti];
        let di = t.dynos.len();
        t.dynos.push((
            String::from_utf8_lossy(source).into_owned(),
            DynoAgg::default(),
        ));
        self.source_index.insert(source.into(), (ti, di));
        (ti, di)
    }

    fn overlong(&mut self, prefix: &[u8]) {
        self.counts.records += 1;
        self.input_records += 1;
        self.unparsed(prefix, "line longer than 1 MiB");
    }

    /// One physical line without its `\n`.
    fn line(&mut self, line: &[u8]) {
        if line.len() > MAX_LINE_BYTES {
            self.overlong(line);
            return;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            self.counts.blank += 1;
            return;
        }
        let stripped;
        let line = match logs::strip_ansi(line) {
            None => line,
            Some(s) => {
                self.counts.repairs.ansi_stripped += 1;
                stripped = s;
                if stripped.is_empty() {
                    self.counts.blank += 1;
                    return;
                }
                &stripped[..]
            }
        };
        if !logs::starts_octet_frame(line) {
            // One record (the common case): no framing to split or repair.
            self.counts.records += 1;
            self.input_records += 1;
            self.record(line);
            return;
        }
        let mut repairs = Repairs::default();
        logs::for_each_record(line, &mut repairs, |r| {
            self.counts.records += 1;
            self.input_records += 1;
            match r {
                Ok(rec) => self.record(rec),
                Err(reason) => self.unparsed(line, reason),
            }
        });
        if repairs != Repairs::default() {
            self.counts.repairs.add(&repairs);
        }
    }

    fn unparsed(&mut self, rec: &[u8], reason: &str) {
        self.counts.unparsed += 1;
        if self.examples.len() < MAX_EXAMPLES {
            let mut end = rec.len().min(EXAMPLE_BYTES);
            // Do not cut a UTF-8 sequence in half (it would show as a replacement character).
            while end < rec.len() && end > 0 && (rec[end] & 0xC0) == 0x80 {
                end -= 1;
            }
            self.examples.push(UnparsedExample {
                input: self.input.clone(),
                record: self.input_records,
                reason: reason.to_owned(),
                text: String::from_utf8_lossy(&rec[..end]).into_owned(),
            });
        }
    }

    fn record(&mut self, rec: &[u8]) {
        if rec.len() > MAX_RECORD_BYTES {
            self.unparsed(rec, "record longer than 65536 bytes");
            return;
        }
        if stops_after(Stage::Split) {
            return;
        }
        let framed = match logs::frame_record_cached(rec, &mut self.minute_cache) {
            Ok(f) => f,
            Err(reason) => return self.unparsed(rec, reason),
        };
        match framed.assumed {
            Assumed::Nothing => {}
            Assumed::ZoneOffset => self.counts.repairs.zone_offsets_inferred += 1,
            Assumed::Year => self.counts.repairs.years_inferred += 1,
        }
        if stops_after(Stage::Envelope) {
            std::hint::black_box(&framed);
            return;
        }
        let msg = match logs::parse_message(&framed) {
            Ok(m) => m,
            Err(reason) => return self.unparsed(rec, reason),
        };
        if stops_after(Stage::Message) {
            std::hint::black_box(&msg);
            return;
        }
        if let Some(ts) = framed.ts_ms {
            span_add(&mut self.span, ts);
        }
        self.apply(&framed, msg);
    }

    fn apply(&mut self, framed: &Framed<'_>, msg: Msg<'_>) {
        let ts = framed.ts_ms;
        match msg {
            Msg::Other => self.counts.other += 1,
            Msg::Metrics(m) => {
                self.counts.telemetry += 1;
                let src = m.source.or(framed.process).unwrap_or(b"unknown");
                let (ti, di) = self.source_idx(src);
                let t = &mut self.types[ti];
                let d = &mut t.dynos[di].1;
                if let Some(ts) = ts {
                    span_add(&mut d.span, ts);
                    span_add(&mut t.span, ts);
                }
                // One memory sample per line, but an old `measure=` line holds a single metric:
                // there, only its `memory_total` lines count as samples.
                if (m.has_memory() && !m.measure) || (m.measure && m.total.is_some()) {
                    d.mem.samples += 1;
                }
                if let Some(v) = m.total {
                    d.mem.total.add(v);
                }
                if let Some(v) = m.rss {
                    d.mem.rss.add(v);
                }
                if let Some(v) = m.swap {
                    d.mem.swap.add(v);
                }
                if let Some(v) = m.cache {
                    d.mem.cache.add(v);
                }
                d.mem.quota = max_opt(d.mem.quota, m.quota);
                if let Some(v) = m.load_1m {
                    d.load.add(v);
                    d.load_samples += 1;
                }
                if let Some(iv) = t.hour(ts) {
                    iv.mem_max = max_opt(iv.mem_max, m.total);
                    iv.load_max = max_opt(iv.load_max, m.load_1m);
                }
            }
            Msg::Router(r) => {
                self.counts.telemetry += 1;
                let ti = match r.dyno {
                    Some(src) => {
                        let (ti, di) = self.source_idx(src);
                        let d = &mut self.types[ti].dynos[di].1;
                        d.requests += 1;
                        ti
                    }
                    None => self.type_idx(b"web"),
                };
                let t = &mut self.types[ti];
                let ra = &mut t.router;
                ra.requests += 1;
                if r.error {
                    ra.error_lines += 1;
                }
                if let Some(s) = r.service_ms {
                    ra.service.add(s);
                }
                if let Some(c) = r.connect_ms {
                    ra.connect.add(c);
                }
                let class = match r.status {
                    None => 0,
                    Some(s @ 100..=599) => usize::from(s / 100),
                    Some(_) => 6,
                };
                ra.status[class] += 1;
                if let Some(code) = r.code {
                    match ra.h_codes.get_mut(code) {
                        Some(n) => *n += 1,
                        None => {
                            ra.h_codes.insert(code.to_vec(), 1);
                        }
                    }
                }
                if let Some(ts) = ts {
                    let m = ra.minute(ts.div_euclid(MINUTE_MS));
                    m.requests += 1;
                    m.service_ms += r.service_ms.unwrap_or(0.0);
                    span_add(&mut t.span, ts);
                    if let Some(iv) = t.hour(Some(ts)) {
                        iv.requests += 1;
                    }
                }
            }
            Msg::ProcessMem { mb, .. } => {
                self.counts.telemetry += 1;
                let (ti, di) = self.source_idx(framed.process.unwrap_or(b"unknown"));
                let t = &mut self.types[ti];
                t.dynos[di].1.mem.process_running.add(mb);
                if let Some(ts) = ts {
                    span_add(&mut t.span, ts);
                    span_add(&mut t.dynos[di].1.span, ts);
                }
            }
            Msg::R14 | Msg::R15 => {
                self.counts.telemetry += 1;
                let r15 = matches!(msg, Msg::R15);
                let src = framed.process.unwrap_or(b"unknown");
                let (ti, di) = self.source_idx(src);
                let t = &mut self.types[ti];
                let d = &mut t.dynos[di].1;
                if r15 {
                    d.r15 += 1;
                } else {
                    d.r14 += 1;
                }
                if let Some(ts) = ts {
                    span_add(&mut d.span, ts);
                    span_add(&mut t.span, ts);
                }
                if let Some(iv) = t.hour(ts) {
                    iv.memory_errors += 1;
                }
                if t.events.len() < MAX_EVENTS {
                    t.events.push(MemoryEvent {
                        code: if r15 { "R15" } else { "R14" }.to_owned(),
                        source: String::from_utf8_lossy(src).into_owned(),
                        time_ms: ts,
                        time: ts.map(format_rfc3339_ms),
                    });
                } else {
                    t.events_not_listed += 1;
                }
            }
        }
    }
}

/// How often (in decompressed bytes) a reader reports its progress.
pub const PROGRESS_EVERY_BYTES: u64 = 4 << 20;

/// A reporter of a running byte count that started at `start`: it passes `bytes - start` on to
/// `progress` about every [`PROGRESS_EVERY_BYTES`] (one comparison per call otherwise).
pub(super) fn throttled(start: u64, progress: &mut dyn FnMut(u64)) -> impl FnMut(u64) + '_ {
    let mut next = start + PROGRESS_EVERY_BYTES;
    move |bytes| {
        if bytes >= next {
            next = bytes + PROGRESS_EVERY_BYTES;
            progress(bytes - start);
        }
    }
}

/// The first two bytes of every gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[cfg(test)]
mod tests;

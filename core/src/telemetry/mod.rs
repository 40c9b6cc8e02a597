//! Streaming aggregation of Heroku log records into per-process-type profiles.
//!
//! [`Ingest`] takes bytes in any chunking (lines split across chunks are joined), readers
//! (gzip detected by its magic bytes), and merges with other ingests; [`Ingest::finish`] gives
//! [`Profiles`]. [`ingest_paths`] does all of that for files on every core (big plain files in
//! segments the threads share). Memory use is bounded by the number of dynos and the covered
//! time span, never by the input size.

#[doc(hidden)]
pub mod bench_stages;
pub mod otlp;
mod profile;
pub mod s3input;
pub mod sketch;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// FxHash: a fast non-cryptographic hash for the small keys (dyno names, minutes) of the hot path.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        // Eight bytes per round (only byte-string keys come here, and no map keyed by them is
        // ever iterated, so the hash values themselves never reach an output).
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

fn span_add(span: &mut Option<(i64, i64)>, ts: i64) {
    *span = Some(match *span {
        None => (ts, ts),
        Some((a, b)) => (a.min(ts), b.max(ts)),
    });
}

fn span_merge(a: &mut Option<(i64, i64)>, b: Option<(i64, i64)>) {
    if let Some((s, e)) = b {
        span_add(a, s);
        span_add(a, e);
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[derive(Debug, Clone, Default)]
struct MemAgg {
    samples: u64,
    total: Sketch,
    rss: Sketch,
    swap: Sketch,
    cache: Sketch,
    quota: Option<f64>,
    process_running: Sketch,
}

impl MemAgg {
    fn merge(&mut self, o: &MemAgg) {
        self.samples += o.samples;
        self.total.merge(&o.total);
        self.rss.merge(&o.rss);
        self.swap.merge(&o.swap);
        self.cache.merge(&o.cache);
        self.quota = max_opt(self.quota, o.quota);
        self.process_running.merge(&o.process_running);
    }

    fn profile(&self) -> MemoryProfile {
        MemoryProfile {
            samples: self.samples,
            total_mb: Distribution::from_sketch(&self.total),
            rss_mb: Distribution::from_sketch(&self.rss),
            swap_mb: Distribution::from_sketch(&self.swap),
            cache_mb: Distribution::from_sketch(&self.cache),
            quota_mb: self.quota,
            process_running_mb: Distribution::from_sketch(&self.process_running),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct DynoAgg {
    mem: MemAgg,
    load: Sketch,
    load_samples: u64,
    r14: u64,
    r15: u64,
    requests: u64,
    span: Option<(i64, i64)>,
}

impl DynoAgg {
    fn merge(&mut self, o: &DynoAgg) {
        self.mem.merge(&o.mem);
        self.load.merge(&o.load);
        self.load_samples += o.load_samples;
        self.r14 += o.r14;
        self.r15 += o.r15;
        self.requests += o.requests;
        span_merge(&mut self.span, o.span);
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Interval {
    mem_max: Option<f64>,
    load_max: Option<f64>,
    requests: u64,
    memory_errors: u64,
}

impl Interval {
    fn merge(&mut self, o: &Interval) {
        self.mem_max = max_opt(self.mem_max, o.mem_max);
        self.load_max = max_opt(self.load_max, o.load_max);
        self.requests += o.requests;
        self.memory_errors += o.memory_errors;
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Minute {
    requests: u64,
    service_ms: f64,
}

#[derive(Debug, Clone, Default)]
struct RouterAgg {
    requests: u64,
    error_lines: u64,
    service: Sketch,
    connect: Sketch,
    /// Index: status / 100 for 1..=5; 0 = none; 6 = other.
    status: [u64; 7],
    h_codes: BTreeMap<Vec<u8>, u64>,
    /// Complete only after [`RouterAgg::flush_minute`] (see `current_minute`).
    minutes: FxMap<i64, Minute>,
    /// The minute being counted, written back to `minutes` when another minute comes or the
    /// input ends (as `TypeAgg::current_hour`): one map look-up per minute, not per request.
    current_minute: Option<(i64, Minute)>,
}

impl RouterAgg {
    #[inline]
    fn minute(&mut self, minute: i64) -> &mut Minute {
        if !matches!(self.current_minute, Some((k, _)) if k == minute) {
            self.flush_minute();
            let m = self.minutes.get(&minute).copied().unwrap_or_default();
            self.current_minute = Some((minute, m));
        }
        &mut self.current_minute.as_mut().expect("set above").1
    }

    fn flush_minute(&mut self) {
        if let Some((k, m)) = self.current_minute.take() {
            self.minutes.insert(k, m);
        }
    }

    fn merge(&mut self, o: &RouterAgg) {
        self.requests += o.requests;
        self.error_lines += o.error_lines;
        self.service.merge(&o.service);
        self.connect.merge(&o.connect);
        for (a, b) in self.status.iter_mut().zip(o.status) {
            *a += b;
        }
        for (k, v) in &o.h_codes {
            *self.h_codes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.minutes {
            let m = self.minutes.entry(*k).or_default();
            m.requests += v.requests;
            m.service_ms += v.service_ms;
        }
    }
}

#[derive(Debug, Clone, Default)]
struct TypeAgg {
    name: String,
    dynos: Vec<(String, DynoAgg)>,
    /// Complete only after [`TypeAgg::flush_hour`] (see `current_hour`).
    hours: BTreeMap<i64, Interval>,
    /// The hour being updated, taken out of `hours` and written back when another hour comes
    /// or the input ends: the same updates in the same order, one map look-up per hour
    /// instead of one per record.
    current_hour: Option<(i64, Interval)>,
    router: RouterAgg,
    events: Vec<MemoryEvent>,
    events_not_listed: u64,
    span: Option<(i64, i64)>,
}

impl TypeAgg {
    fn hour(&mut self, ts: Option<i64>) -> Option<&mut Interval> {
        let h = ts?.div_euclid(HOUR_MS);
        if !matches!(self.current_hour, Some((k, _)) if k == h) {
            self.flush_hour();
            let iv = self.hours.get(&h).copied().unwrap_or_default();
            self.current_hour = Some((h, iv));
        }
        self.current_hour.as_mut().map(|(_, iv)| iv)
    }

    fn flush_hour(&mut self) {
        if let Some((h, iv)) = self.current_hour.take() {
            self.hours.insert(h, iv);
        }
    }
}

/// A small direct-mapped cache of dyno sources (`web.1`) to their indexes, in front of the hash
/// map: a source of up to 16 bytes is packed into two words, so a hit is three compares and no
/// hashing of bytes. Indexes never change once given, so an entry never goes stale.
#[derive(Debug, Clone, Default)]
struct SourceCache {
    slots: [Option<(SourceKey, (usize, usize))>; 16],
}

/// A source of up to 16 bytes, exactly: its length and its bytes in two (overlapping) words.
type SourceKey = (u64, u64, usize);

impl SourceCache {
    #[inline(always)]
    fn key(s: &[u8]) -> Option<SourceKey> {
        let n = s.len();
        let load = |at: usize, w: usize| {
            s[at..at + w]
                .iter()
                .rev()
                .fold(0u64, |a, &b| a << 8 | u64::from(b))
        };
        match n {
            8..=16 => Some((load(0, 8), load(n - 8, 8), n)),
            4..=7 => Some((load(0, 4) | load(n - 4, 4) << 32, 0, n)),
            1..=3 => Some((load(0, n), 0, n)),
            _ => None,
        }
    }

    #[inline(always)]
    fn slot(k: SourceKey) -> usize {
        let h = (k.0 ^ k.1.rotate_left(29) ^ k.2 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 60) as usize
    }

    #[inline(always)]
    fn get(&self, k: SourceKey) -> Option<(usize, usize)> {
        match self.slots[Self::slot(k)] {
            Some((key, ix)) if key == k => Some(ix),
            _ => None,
        }
    }

    fn put(&mut self, k: SourceKey, ix: (usize, usize)) {
        self.slots[Self::slot(k)] = Some((k, ix));
    }
}

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

fn intervals(hours: &BTreeMap<i64, Interval>, per: i64) -> Vec<IntervalPeak> {
    let mut out: BTreeMap<i64, Interval> = BTreeMap::new();
    for (h, iv) in hours {
        let start = (h * HOUR_MS).div_euclid(per) * per;
        out.entry(start).or_default().merge(iv);
    }
    out.into_iter()
        .map(|(start, iv)| IntervalPeak {
            start_ms: start,
            start: format_rfc3339_ms(start),
            memory_total_mb_max: iv.mem_max,
            load_avg_1m_max: iv.load_max,
            requests: iv.requests,
            memory_errors: iv.memory_errors,
        })
        .collect()
}

fn router_profile(r: &RouterAgg) -> Option<RouterProfile> {
    if r.requests == 0 {
        return None;
    }
    let first = r.minutes.keys().min().copied();
    let last = r.minutes.keys().max().copied();
    let minutes = match (first, last) {
        (Some(a), Some(b)) => (b - a + 1) as u64,
        _ => 0,
    };
    let mut rpm = Sketch::new();
    let mut inflight = Sketch::new();
    let mut timed = 0u64;
    // In minute order: a hash map's order depends on its history, and the sums below must not.
    let mut by_minute: Vec<(&i64, &Minute)> = r.minutes.iter().collect();
    by_minute.sort_unstable_by_key(|(k, _)| **k);
    for (_, m) in by_minute {
        timed += m.requests;
        rpm.add(m.requests as f64);
        inflight.add(m.service_ms / MINUTE_MS as f64);
    }
    let empty = minutes - r.minutes.len() as u64;
    rpm.add_n(0.0, empty);
    inflight.add_n(0.0, empty);
    // Dynos that served requests: count distinct from status/service data is not available, so
    // use the dyno table of the type (filled by router `dyno=` fields).
    let mut status_classes = BTreeMap::new();
    for (i, n) in r.status.iter().enumerate() {
        if *n > 0 {
            let key = match i {
                0 => "none".to_owned(),
                6 => "other".to_owned(),
                c => format!("{c}xx"),
            };
            status_classes.insert(key, *n);
        }
    }
    let h_codes = r
        .h_codes
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), *v))
        .collect();
    Some(RouterProfile {
        requests: r.requests,
        error_lines: r.error_lines,
        minutes,
        mean_rps: if minutes > 0 {
            timed as f64 / (minutes as f64 * 60.0)
        } else {
            0.0
        },
        requests_per_minute: Distribution::from_sketch(&rpm),
        service_ms: Distribution::from_sketch(&r.service),
        connect_ms: Distribution::from_sketch(&r.connect),
        status_classes,
        h_codes,
        concurrency: Concurrency {
            method: "Little's law per minute: sum of router service times in the minute / 60 s \
                     = mean requests in flight; per dyno = divided by the dynos that served \
                     requests"
                .to_owned(),
            dynos: 0,
            total: Distribution::from_sketch(&inflight),
            per_dyno_mean: 0.0,
            per_dyno_p95: 0.0,
            per_dyno_max: 0.0,
        },
    })
}

fn type_profile(t: &TypeAgg) -> ProcessProfile {
    let mut mem = MemAgg::default();
    let mut load = Sketch::new();
    let mut load_samples = 0;
    let mut r14 = 0;
    let mut r15 = 0;
    let mut serving = 0u64;
    let mut dynos = BTreeMap::new();
    for (name, d) in &t.dynos {
        mem.merge(&d.mem);
        load.merge(&d.load);
        load_samples += d.load_samples;
        r14 += d.r14;
        r15 += d.r15;
        if d.requests > 0 {
            serving += 1;
        }
        dynos.insert(
            name.clone(),
            DynoProfile {
                span: d.span.map(|(a, b)| TimeSpan::new(a, b)),
                memory: d.mem.profile(),
                load_avg_1m: Distribution::from_sketch(&d.load),
                load_samples: d.load_samples,
                r14: d.r14,
                r15: d.r15,
                requests: d.requests,
            },
        );
    }
    let router = router_profile(&t.router).map(|mut r| {
        let n = serving.max(1);
        r.concurrency.dynos = serving;
        if let Some(total) = &r.concurrency.total {
            r.concurrency.per_dyno_mean = total.mean / n as f64;
            r.concurrency.per_dyno_p95 = total.p95 / n as f64;
            r.concurrency.per_dyno_max = total.max / n as f64;
        }
        r
    });
    ProcessProfile {
        span: t.span.map(|(a, b)| TimeSpan::new(a, b)),
        memory: mem.profile(),
        load_avg_1m: Distribution::from_sketch(&load),
        load_samples,
        memory_errors: MemoryErrors {
            r14,
            r15,
            events: t.events.clone(),
            events_not_listed: t.events_not_listed,
        },
        router,
        hourly: intervals(&t.hours, HOUR_MS),
        daily: intervals(&t.hours, DAY_MS),
        dynos,
    }
}

/// How often (in decompressed bytes) a reader reports its progress.
pub const PROGRESS_EVERY_BYTES: u64 = 4 << 20;

/// A reporter of a running byte count that started at `start`: it passes `bytes - start` on to
/// `progress` about every [`PROGRESS_EVERY_BYTES`] (one comparison per call otherwise).
fn throttled(start: u64, progress: &mut dyn FnMut(u64)) -> impl FnMut(u64) + '_ {
    let mut next = start + PROGRESS_EVERY_BYTES;
    move |bytes| {
        if bytes >= next {
            next = bytes + PROGRESS_EVERY_BYTES;
            progress(bytes - start);
        }
    }
}

/// How far a bulk ingest has come (see [`ingest_paths_with_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestProgress {
    /// Bytes read so far over all files (after gzip decompression).
    pub bytes: u64,
    /// Files finished.
    pub files_done: usize,
    /// Files in the ingest.
    pub files: usize,
}

/// Ingests one file (plain or gzip).
pub fn ingest_file(path: &Path) -> Result<Ingest> {
    ingest_file_with_progress(path, &mut |_| {})
}

/// Ingests one file (plain or gzip), calling `progress` with the bytes read so far (see
/// [`Ingest::feed_reader_with_progress`]).
pub fn ingest_file_with_progress(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Ingest> {
    let file = std::fs::File::open(path).map_err(|e| crate::files::io_error(&e, path))?;
    let mut ingest = Ingest::new();
    ingest.begin_input(path.display().to_string());
    ingest.feed_reader_with_progress(file, progress)?;
    Ok(ingest)
}

/// The first two bytes of every gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Plain files larger than this are read in segments of this size (cut at line ends), which
/// the ingest threads share, so one big file uses every thread. The segments depend only on the
/// file, never on the number of threads, so neither does the result.
pub const SEGMENT_BYTES: u64 = 64 << 20;

/// The most threads a bulk ingest uses by default.
pub const MAX_INGEST_THREADS: usize = 8;

/// Ingests files (plain or gzip, detected per file) on every core (up to
/// [`MAX_INGEST_THREADS`]): gzip files one per thread, plain files over [`SEGMENT_BYTES`] in
/// segments several threads share. The results are merged in the order of `paths` (and of the
/// segments in a file), so they do not depend on scheduling or on the number of threads. A
/// missing file is `not_found`, an unreadable one `invalid_input`, both naming the path.
///
/// A file read in segments gives the same counts, maxima, quantiles and examples as one read
/// from start to end; only sums of fractional values (behind the means) are added in another
/// order, which can change their last binary digit.
pub fn ingest_paths(paths: &[PathBuf]) -> Result<Profiles> {
    ingest_paths_with_progress(paths, &|_| {})
}

/// [`ingest_paths`], calling `progress` (from the ingest threads, one call at a time) about every
/// [`PROGRESS_EVERY_BYTES`] per thread and when a file is done. The callback should return
/// quickly: the thread that calls it waits.
pub fn ingest_paths_with_progress(
    paths: &[PathBuf],
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Profiles> {
    ingest_paths_on(paths, None, progress)
}

/// The most threads an ingest may be asked for.
pub const THREADS_LIMIT: i64 = 256;

/// [`ingest_paths_with_progress`] on `threads` threads (1 to [`THREADS_LIMIT`]; `None`: the
/// cores available, at most [`MAX_INGEST_THREADS`]). The result is the same for any number.
/// Another number of threads is `invalid_input`.
pub fn ingest_paths_on(
    paths: &[PathBuf],
    threads: Option<i64>,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Profiles> {
    ingest_paths_unfinished(paths, threads, progress).map(Ingest::finish)
}

/// [`ingest_paths_on`] without the final [`Ingest::finish`]: the ingest, to merge other inputs
/// (S3 objects, see [`s3input`]) into before finishing.
pub fn ingest_paths_unfinished(
    paths: &[PathBuf],
    threads: Option<i64>,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Ingest> {
    let threads = match threads {
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_INGEST_THREADS)),
        Some(n @ 1..=THREADS_LIMIT) => n as usize,
        Some(n) => {
            return Err(Error::invalid_input(format!(
                "threads must be between 1 and {THREADS_LIMIT}, got {n}; leave it out to use \
                 every core"
            )));
        }
    };
    ingest_pieces(paths, threads, SEGMENT_BYTES, progress)
}

/// One piece of an ingest's work: a whole file, or one segment `[start, end)` of a plain file
/// (the lines that start in it).
#[derive(Debug, Clone, Copy)]
struct Piece {
    file: usize,
    segment: Option<(u64, u64)>,
}

/// Splits the files into pieces: plain files over `segment` bytes into segments, the rest
/// whole. A file that cannot be looked at is one whole piece, so reading it reports the error.
fn plan_pieces(paths: &[PathBuf], segment: u64) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (file, path) in paths.iter().enumerate() {
        let whole = Piece {
            file,
            segment: None,
        };
        let len = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m.len(),
            _ => {
                pieces.push(whole);
                continue;
            }
        };
        let mut magic = [0u8; 2];
        let gzip = std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .map_or(true, |()| magic == GZIP_MAGIC);
        if len <= segment || gzip {
            pieces.push(whole);
            continue;
        }
        for k in 0..len.div_ceil(segment) {
            pieces.push(Piece {
                file,
                segment: Some((k * segment, ((k + 1) * segment).min(len))),
            });
        }
    }
    pieces
}

/// Ingests the lines of a plain file that start in `[start, end)`: the first line taken is the
/// one after the line crossing `start`, the last one is read to its end past `end`.
fn ingest_segment(
    path: &Path,
    start: u64,
    end: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Ingest> {
    use std::io::{Seek, SeekFrom};
    let io = |e: std::io::Error| crate::files::io_error(&e, path);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut ingest = Ingest::new();
    ingest.begin_input(path.display().to_string());
    let mut begin = start;
    if start > 0 {
        // Skip to just after the first `\n` at or after `start - 1`. A `\n` at `end - 1` or
        // later means no line starts in this segment (a line that started in an earlier one
        // covers it), so the search stops there: never a scan to the end of a file without
        // line breaks from every segment.
        file.seek(SeekFrom::Start(start - 1)).map_err(io)?;
        let mut r = BufReader::with_capacity(64 * 1024, &mut file);
        let mut at = start - 1;
        loop {
            let buf = r.fill_buf().map_err(io)?;
            let limit = buf
                .len()
                .min(usize::try_from(end - 1 - at).unwrap_or(usize::MAX));
            if limit == 0 {
                return Ok(ingest);
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..limit]) {
                begin = at + i as u64 + 1;
                break;
            }
            at += limit as u64;
            r.consume(limit);
        }
    }
    file.seek(SeekFrom::Start(begin)).map_err(io)?;
    let mut report = throttled(0, progress);
    let mut body = BufReader::with_capacity(256 * 1024, (&mut file).take(end - begin));
    ingest.feed_plain(&mut body, &mut report).map_err(io)?;
    drop((body, report));
    // The last line goes on to its `\n` (or the end of the file).
    let mut rest = BufReader::with_capacity(64 * 1024, &mut file);
    while ingest.mid_line() {
        let buf = rest.fill_buf().map_err(io)?;
        if buf.is_empty() {
            break;
        }
        let n = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
        ingest.feed(&buf[..n]);
        rest.consume(n);
    }
    ingest.end_input();
    progress(ingest.counts.bytes);
    Ok(ingest)
}

/// Merges finished pieces in their order as soon as it can, so that only pieces finished ahead of
/// a slower one wait in memory, never every segment of a big file.
struct InOrder<'p> {
    pieces: &'p [Piece],
    /// The next piece to merge.
    next: usize,
    waiting: BTreeMap<usize, Result<Ingest>>,
    total: Ingest,
    /// The file being merged and its records so far, to number the examples of its later
    /// segments.
    file_records: (usize, u64),
    /// The first error, in the order of the pieces.
    error: Option<Error>,
}

impl InOrder<'_> {
    fn done(&mut self, i: usize, r: Result<Ingest>) {
        self.waiting.insert(i, r);
        while let Some(r) = self.waiting.remove(&self.next) {
            let piece = self.pieces[self.next];
            self.next += 1;
            match r {
                Ok(mut ingest) if self.error.is_none() => {
                    if self.file_records.0 != piece.file {
                        self.file_records = (piece.file, 0);
                    }
                    ingest.shift_records(self.file_records.1);
                    self.file_records.1 += ingest.input_records;
                    self.total.merge(ingest);
                }
                Ok(_) => {}
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
    }
}

fn ingest_pieces(
    paths: &[PathBuf],
    threads: usize,
    segment: u64,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Ingest> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

    if paths.is_empty() {
        return Err(Error::invalid_input(
            "no log files given; pass one or more files (plain or .gz)",
        ));
    }
    let pieces = plan_pieces(paths, segment);
    let threads = threads.max(1).min(pieces.len());
    tracing::info!(
        files = paths.len(),
        pieces = pieces.len(),
        threads,
        "ingest: started"
    );
    let started = std::time::Instant::now();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // Pieces left per file (a file is done when its last piece is), bytes of finished pieces,
    // and one reporter at a time so the counts never go backwards.
    let left: Vec<AtomicUsize> = (0..paths.len()).map(|_| AtomicUsize::new(0)).collect();
    for p in &pieces {
        left[p.file].fetch_add(1, Ordering::Relaxed);
    }
    let done_bytes = AtomicU64::new(0);
    let done_files = AtomicUsize::new(0);
    let reporter = Mutex::new(vec![0u64; threads]);
    let report = |thread: usize, piece_bytes: u64, finished: Option<usize>| {
        let mut live = reporter.lock().unwrap_or_else(|p| p.into_inner());
        live[thread] = if finished.is_some() { 0 } else { piece_bytes };
        if let Some(file) = finished {
            done_bytes.fetch_add(piece_bytes, Ordering::Relaxed);
            if left[file].fetch_sub(1, Ordering::Relaxed) == 1 {
                done_files.fetch_add(1, Ordering::Relaxed);
            }
        }
        progress(IngestProgress {
            bytes: done_bytes.load(Ordering::Relaxed) + live.iter().sum::<u64>(),
            files_done: done_files.load(Ordering::Relaxed),
            files: paths.len(),
        });
    };
    let merged = Mutex::new(InOrder {
        pieces: &pieces,
        next: 0,
        waiting: BTreeMap::new(),
        total: Ingest::new(),
        file_records: (usize::MAX, 0),
        error: None,
    });
    std::thread::scope(|s| {
        for t in 0..threads {
            let (next, failed, merged, report, pieces) =
                (&next, &failed, &merged, &report, &pieces);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= pieces.len() || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let piece = pieces[i];
                    let path = &paths[piece.file];
                    let mut last = 0;
                    let mut live = |b| {
                        last = b;
                        report(t, b, None);
                    };
                    let r = match piece.segment {
                        None => ingest_file_with_progress(path, &mut live),
                        Some((start, end)) => ingest_segment(path, start, end, &mut live),
                    };
                    report(t, last, Some(piece.file));
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    merged.lock().unwrap_or_else(|p| p.into_inner()).done(i, r);
                }
            });
        }
    });
    let merged = merged.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = merged.error {
        tracing::warn!(kind = %e.kind(), error = %e, "ingest: failed");
        return Err(e);
    }
    if merged.next != pieces.len() {
        return Err(Error::internal(
            "an ingest thread stopped before its work was done; please report this",
        ));
    }
    let mut total = merged.total;
    total.end_input();
    let c = &total.counts;
    tracing::info!(
        files = paths.len(),
        bytes = c.bytes,
        records = c.records,
        telemetry = c.telemetry,
        unparsed = c.unparsed,
        process_types = total.types.len(),
        seconds = started.elapsed().as_secs_f64(),
        "ingest: finished"
    );
    Ok(total)
}

#[cfg(test)]
mod tests;

//! The saved form of an in-progress [`Ingest`]: what the drain receiver checkpoints and what
//! lets many workers (processes, machines, a Ray/Dask/Spark job) each ingest part of an archive
//! and merge their partial states into one.
//!
//! Layout (version 1), all integers little-endian:
//!
//! ```text
//! "dynoshift-ingest"  16 bytes of magic
//! version             u32 (1)
//! body length         u64
//! checksum            u64, FNV-1a of the body (a flipped bit is refused, not loaded)
//! body                LEB128 varints, zigzag for signed values, f64 as their exact bits
//! ```
//!
//! The state keeps everything [`Ingest::finish`] and [`Ingest::merge`] need, exactly: the
//! sketches' buckets, the hourly and per-minute tables, the examples and events, and the
//! unfinished last line, so feeding can go on after a reload. Two equal ingests give the same
//! bytes. Decoding never panics: anything that is not a state this version wrote is
//! `invalid_input`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Ingest;
use super::agg::{DynoAgg, Interval, MemAgg, Minute, RouterAgg, TypeAgg};
use super::sketch::{MAX_INDEX, MIN_INDEX, Sketch};
use crate::error::{Error, Result};

/// The first bytes of every saved ingest state.
pub const STATE_MAGIC: &[u8; 16] = b"dynoshift-ingest";
/// The format version this build writes (and the only one it reads).
pub const STATE_VERSION: u32 = 1;
const HEADER_BYTES: usize = 16 + 4 + 8 + 8;

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Ingest {
    /// The state of this ingest as bytes (see the module docs for the format): load it with
    /// [`Ingest::from_bytes`] to go on feeding, or to [`Ingest::merge`] it with others. An
    /// unfinished last line is kept, so a reloaded ingest continues exactly where this one is.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(4096));
        write_ingest(&mut w, self);
        let body = w.0;
        let mut out = Vec::with_capacity(HEADER_BYTES + body.len());
        out.extend_from_slice(STATE_MAGIC);
        out.extend_from_slice(&STATE_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&fnv1a(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// The record counts so far (what the drain receiver reports per app).
    pub fn lines(&self) -> &super::LineCounts {
        &self.counts
    }

    /// The first and last timestamp parsed so far, in unix milliseconds.
    pub fn span_ms(&self) -> Option<(i64, i64)> {
        self.span
    }

    /// Loads a state written by [`Ingest::to_bytes`]. Bytes that are not such a state, are cut
    /// short, altered, or come from another format version are `invalid_input` (never a panic).
    pub fn from_bytes(bytes: &[u8]) -> Result<Ingest> {
        if bytes.len() < HEADER_BYTES || &bytes[..16] != STATE_MAGIC {
            return Err(Error::invalid_input(
                "these bytes are not a saved dynoshift ingest state (no \"dynoshift-ingest\" \
                 header); pass what Ingest::to_bytes / Ingest.dumps() produced",
            ));
        }
        let word = |at: usize, n: usize| {
            bytes[at..at + n]
                .iter()
                .rev()
                .fold(0u64, |a, &b| a << 8 | u64::from(b))
        };
        let version = word(16, 4);
        if version != u64::from(STATE_VERSION) {
            return Err(Error::invalid_input(format!(
                "this ingest state has format version {version}, and this dynoshift reads \
                 version {STATE_VERSION} only; load it with the dynoshift release that wrote it"
            )));
        }
        let len = word(20, 8);
        let sum = word(28, 8);
        let body = &bytes[HEADER_BYTES..];
        if body.len() as u64 != len {
            return Err(Error::invalid_input(format!(
                "the ingest state is cut short or has trailing bytes: its header announces \
                 {len} bytes of body, {} are there; save it again",
                body.len()
            )));
        }
        if fnv1a(body) != sum {
            return Err(Error::invalid_input(
                "the ingest state is corrupt (its checksum does not match); save it again from \
                 the ingest that produced it",
            ));
        }
        decode_body(body)
    }
}

/// Decodes a body without looking at the header (the fuzz tests call it directly, past the
/// checksum).
pub(super) fn decode_body(body: &[u8]) -> Result<Ingest> {
    let mut r = Reader { buf: body, at: 0 };
    let ingest = read_ingest(&mut r).map_err(|what| {
        Error::invalid_input(format!(
            "the ingest state is corrupt ({what} at byte {} of its body); save it again",
            r.at
        ))
    })?;
    if r.at != body.len() {
        return Err(Error::invalid_input(
            "the ingest state is corrupt (bytes left after its end); save it again",
        ));
    }
    Ok(ingest)
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    fn u64(&mut self, mut n: u64) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn i64(&mut self, n: i64) {
        self.u64(((n << 1) ^ (n >> 63)) as u64);
    }
    fn f64(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    fn opt_f64(&mut self, x: Option<f64>) {
        match x {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                self.f64(x);
            }
        }
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.bytes(s.as_bytes());
            }
        }
    }
    fn span(&mut self, s: Option<(i64, i64)>) {
        match s {
            None => self.u8(0),
            Some((a, b)) => {
                self.u8(1);
                self.i64(a);
                self.i64(b);
            }
        }
    }
    /// A record of the result types as JSON, so fields added to them later travel too.
    fn json(&mut self, v: &impl Serialize) {
        let text = serde_json::to_vec(v).expect("result records always serialise");
        self.bytes(&text);
    }
    fn sketch(&mut self, s: &Sketch) {
        let Sketch {
            count,
            sum,
            min,
            max,
            zeros,
            offset,
            bins,
        } = s;
        self.u64(*count);
        self.f64(*sum);
        self.f64(*min);
        self.f64(*max);
        self.u64(*zeros);
        self.i64(i64::from(*offset));
        self.len(bins.len());
        for &b in bins {
            self.u64(b);
        }
    }
}

type Decoded<T> = std::result::Result<T, &'static str>;

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> Decoded<u8> {
        let b = *self.buf.get(self.at).ok_or("unexpected end")?;
        self.at += 1;
        Ok(b)
    }
    fn u64(&mut self) -> Decoded<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err("a number too large");
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a number too long")
    }
    fn i64(&mut self) -> Decoded<i64> {
        let z = self.u64()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }
    fn f64(&mut self) -> Decoded<f64> {
        let end = self.at.checked_add(8).ok_or("unexpected end")?;
        let b = self.buf.get(self.at..end).ok_or("unexpected end")?;
        self.at = end;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        let x = f64::from_bits(u64::from_le_bytes(w));
        if x.is_nan() {
            return Err("a NaN value");
        }
        Ok(x)
    }
    fn bool(&mut self) -> Decoded<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err("a flag that is neither 0 nor 1"),
        }
    }
    /// A count of items that each take at least `min_bytes`: never more than the bytes left
    /// can hold, so a corrupt count cannot make a huge allocation.
    fn len(&mut self, min_bytes: usize) -> Decoded<usize> {
        let n = self.u64()?;
        let left = (self.buf.len() - self.at) as u64;
        if n.saturating_mul(min_bytes.max(1) as u64) > left {
            return Err("a length longer than the state");
        }
        Ok(n as usize)
    }
    fn bytes(&mut self) -> Decoded<&[u8]> {
        let n = self.len(1)?;
        let b = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(b)
    }
    fn string(&mut self) -> Decoded<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| "text that is not UTF-8")
    }
    fn opt_f64(&mut self) -> Decoded<Option<f64>> {
        Ok(if self.bool()? {
            Some(self.f64()?)
        } else {
            None
        })
    }
    fn opt_str(&mut self) -> Decoded<Option<String>> {
        Ok(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn span(&mut self) -> Decoded<Option<(i64, i64)>> {
        if !self.bool()? {
            return Ok(None);
        }
        let (a, b) = (self.i64()?, self.i64()?);
        if a > b {
            return Err("a time span that ends before it starts");
        }
        Ok(Some((a, b)))
    }
    fn json<T: DeserializeOwned>(&mut self) -> Decoded<T> {
        serde_json::from_slice(self.bytes()?).map_err(|_| "a record that does not read")
    }
    fn sketch(&mut self) -> Decoded<Sketch> {
        let count = self.u64()?;
        let sum = self.f64()?;
        let min = self.f64()?;
        let max = self.f64()?;
        let zeros = self.u64()?;
        let offset = self.i64()?;
        let n = self.len(1)?;
        let mut bins = Vec::with_capacity(n);
        let mut total = zeros;
        for _ in 0..n {
            let b = self.u64()?;
            total = total.checked_add(b).ok_or("a sketch count too large")?;
            bins.push(b);
        }
        let span = i64::from(MAX_INDEX) - i64::from(MIN_INDEX) + 1;
        let in_range = n == 0
            || (offset >= i64::from(MIN_INDEX)
                && n as i64 <= span
                && offset + n as i64 - 1 <= i64::from(MAX_INDEX));
        if !in_range {
            return Err("a sketch with buckets out of range");
        }
        if total != count || min > max {
            return Err("a sketch whose counts do not add up");
        }
        Ok(Sketch {
            count,
            sum,
            min,
            max,
            zeros,
            offset: if n == 0 { 0 } else { offset as i32 },
            bins,
        })
    }
}

fn write_ingest(w: &mut Writer, i: &Ingest) {
    // Every field is named, so a field added to `Ingest` does not compile until it is saved
    // here too (or listed as a speed-up that need not be).
    let Ingest {
        carry,
        skipping,
        counts,
        input,
        input_records,
        examples,
        issues,
        types,
        type_index: _,
        source_index: _,
        source_cache: _,
        span,
        minute_cache: _,
    } = i;
    w.bytes(carry);
    w.u8(u8::from(*skipping));
    w.json(counts);
    w.opt_str(input.as_deref());
    w.u64(*input_records);
    w.len(examples.len());
    for e in examples {
        w.json(e);
    }
    w.len(issues.len());
    for e in issues {
        w.json(e);
    }
    w.span(*span);
    w.len(types.len());
    for t in types {
        write_type(w, t);
    }
}

fn read_ingest(r: &mut Reader<'_>) -> Decoded<Ingest> {
    let mut ingest = Ingest::new();
    ingest.carry = r.bytes()?.to_vec();
    ingest.skipping = r.bool()?;
    ingest.counts = r.json()?;
    ingest.input = r.opt_str()?;
    ingest.input_records = r.u64()?;
    for _ in 0..r.len(1)? {
        ingest.examples.push(r.json()?);
    }
    for _ in 0..r.len(1)? {
        ingest.issues.push(r.json()?);
    }
    ingest.span = r.span()?;
    let n = r.len(1)?;
    for ti in 0..n {
        let t = read_type(r)?;
        if ingest
            .type_index
            .insert(t.name.as_bytes().into(), ti)
            .is_some()
        {
            return Err("a process type listed twice");
        }
        for (di, (name, _)) in t.dynos.iter().enumerate() {
            if ingest
                .source_index
                .insert(name.as_bytes().into(), (ti, di))
                .is_some()
            {
                return Err("a dyno listed twice");
            }
        }
        ingest.types.push(t);
    }
    Ok(ingest)
}

fn write_type(w: &mut Writer, t: &TypeAgg) {
    let TypeAgg {
        name,
        dynos,
        hours,
        current_hour,
        router,
        events,
        events_not_listed,
        span,
    } = t;
    w.bytes(name.as_bytes());
    w.len(dynos.len());
    for (name, d) in dynos {
        w.bytes(name.as_bytes());
        write_dyno(w, d);
    }
    // The hour being updated holds the newest figures of its hour (it is written back to
    // `hours` when the input ends): save the table as it will be then.
    let mut hours = hours.clone();
    if let Some((h, iv)) = current_hour {
        hours.insert(*h, *iv);
    }
    w.len(hours.len());
    for (h, iv) in &hours {
        w.i64(*h);
        let Interval {
            mem_max,
            load_max,
            requests,
            memory_errors,
        } = iv;
        w.opt_f64(*mem_max);
        w.opt_f64(*load_max);
        w.u64(*requests);
        w.u64(*memory_errors);
    }
    write_router(w, router);
    w.len(events.len());
    for e in events {
        w.json(e);
    }
    w.u64(*events_not_listed);
    w.span(*span);
}

fn read_type(r: &mut Reader<'_>) -> Decoded<TypeAgg> {
    let mut t = TypeAgg {
        name: r.string()?,
        ..TypeAgg::default()
    };
    for _ in 0..r.len(2)? {
        let name = r.string()?;
        t.dynos.push((name, read_dyno(r)?));
    }
    let mut hours = BTreeMap::new();
    for _ in 0..r.len(5)? {
        let h = r.i64()?;
        let iv = Interval {
            mem_max: r.opt_f64()?,
            load_max: r.opt_f64()?,
            requests: r.u64()?,
            memory_errors: r.u64()?,
        };
        if hours.insert(h, iv).is_some() {
            return Err("an hour listed twice");
        }
    }
    t.hours = hours;
    t.router = read_router(r)?;
    for _ in 0..r.len(1)? {
        t.events.push(r.json()?);
    }
    t.events_not_listed = r.u64()?;
    t.span = r.span()?;
    Ok(t)
}

fn write_mem(w: &mut Writer, m: &MemAgg) {
    let MemAgg {
        samples,
        total,
        rss,
        swap,
        cache,
        quota,
        process_running,
    } = m;
    w.u64(*samples);
    for s in [total, rss, swap, cache] {
        w.sketch(s);
    }
    w.opt_f64(*quota);
    w.sketch(process_running);
}

fn read_mem(r: &mut Reader<'_>) -> Decoded<MemAgg> {
    Ok(MemAgg {
        samples: r.u64()?,
        total: r.sketch()?,
        rss: r.sketch()?,
        swap: r.sketch()?,
        cache: r.sketch()?,
        quota: r.opt_f64()?,
        process_running: r.sketch()?,
    })
}

fn write_dyno(w: &mut Writer, d: &DynoAgg) {
    let DynoAgg {
        mem,
        load,
        load_samples,
        r14,
        r15,
        requests,
        span,
    } = d;
    write_mem(w, mem);
    w.sketch(load);
    w.u64(*load_samples);
    w.u64(*r14);
    w.u64(*r15);
    w.u64(*requests);
    w.span(*span);
}

fn read_dyno(r: &mut Reader<'_>) -> Decoded<DynoAgg> {
    Ok(DynoAgg {
        mem: read_mem(r)?,
        load: r.sketch()?,
        load_samples: r.u64()?,
        r14: r.u64()?,
        r15: r.u64()?,
        requests: r.u64()?,
        span: r.span()?,
    })
}

fn write_router(w: &mut Writer, ra: &RouterAgg) {
    let RouterAgg {
        requests,
        error_lines,
        service,
        connect,
        status,
        h_codes,
        minutes,
        current_minute,
    } = ra;
    w.u64(*requests);
    w.u64(*error_lines);
    w.sketch(service);
    w.sketch(connect);
    for s in status {
        w.u64(*s);
    }
    w.len(h_codes.len());
    for (code, n) in h_codes {
        w.bytes(code);
        w.u64(*n);
    }
    // In minute order (the map's own order is a hash order), with the minute being counted
    // as it will be written back.
    let mut all: BTreeMap<i64, Minute> = minutes.iter().map(|(k, v)| (*k, *v)).collect();
    if let Some((k, m)) = current_minute {
        all.insert(*k, *m);
    }
    w.len(all.len());
    for (k, m) in &all {
        let Minute {
            requests,
            service_ms,
        } = m;
        w.i64(*k);
        w.u64(*requests);
        w.f64(*service_ms);
    }
}

fn read_router(r: &mut Reader<'_>) -> Decoded<RouterAgg> {
    let mut ra = RouterAgg {
        requests: r.u64()?,
        error_lines: r.u64()?,
        service: r.sketch()?,
        connect: r.sketch()?,
        ..RouterAgg::default()
    };
    for s in &mut ra.status {
        *s = r.u64()?;
    }
    for _ in 0..r.len(2)? {
        let code = r.bytes()?.to_vec();
        let n = r.u64()?;
        if ra.h_codes.insert(code, n).is_some() {
            return Err("an error code listed twice");
        }
    }
    for _ in 0..r.len(10)? {
        let k = r.i64()?;
        let m = Minute {
            requests: r.u64()?,
            service_ms: r.f64()?,
        };
        if ra.minutes.insert(k, m).is_some() {
            return Err("a minute listed twice");
        }
    }
    Ok(ra)
}

#[cfg(test)]
mod tests;

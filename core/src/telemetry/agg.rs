//! The per-process-type aggregates an [`Ingest`](super::Ingest) keeps while it reads (memory,
//! load, router minutes, hourly intervals, per dyno), how two of them merge, and how they
//! become the [`ProcessProfile`]s of [`Profiles`](super::Profiles).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use super::{
    Concurrency, Distribution, DynoProfile, IntervalPeak, MemoryErrors, MemoryEvent, MemoryProfile,
    ProcessProfile, RouterProfile, Sketch, TimeSpan,
};
use super::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::heroku::logs::time::format_rfc3339_ms;

/// FxHash: a fast non-cryptographic hash for the small keys (dyno names, minutes) of the hot path.
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

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

pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

#[inline]
pub(super) fn span_add(span: &mut Option<(i64, i64)>, ts: i64) {
    *span = Some(match *span {
        None => (ts, ts),
        Some((a, b)) => (a.min(ts), b.max(ts)),
    });
}

pub(super) fn span_merge(a: &mut Option<(i64, i64)>, b: Option<(i64, i64)>) {
    if let Some((s, e)) = b {
        span_add(a, s);
        span_add(a, e);
    }
}

#[inline]
pub(super) fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct MemAgg {
    pub(super) samples: u64,
    pub(super) total: Sketch,
    pub(super) rss: Sketch,
    pub(super) swap: Sketch,
    pub(super) cache: Sketch,
    pub(super) quota: Option<f64>,
    pub(super) process_running: Sketch,
}

impl MemAgg {
    pub(super) fn merge(&mut self, o: &MemAgg) {
        self.samples += o.samples;
        self.total.merge(&o.total);
        self.rss.merge(&o.rss);
        self.swap.merge(&o.swap);
        self.cache.merge(&o.cache);
        self.quota = max_opt(self.quota, o.quota);
        self.process_running.merge(&o.process_running);
    }

    pub(super) fn profile(&self) -> MemoryProfile {
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
pub(super) struct DynoAgg {
    pub(super) mem: MemAgg,
    pub(super) load: Sketch,
    pub(super) load_samples: u64,
    pub(super) r14: u64,
    pub(super) r15: u64,
    pub(super) requests: u64,
    pub(super) span: Option<(i64, i64)>,
}

impl DynoAgg {
    pub(super) fn merge(&mut self, o: &DynoAgg) {
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
pub(super) struct Interval {
    pub(super) mem_max: Option<f64>,
    pub(super) load_max: Option<f64>,
    pub(super) requests: u64,
    pub(super) memory_errors: u64,
}

impl Interval {
    pub(super) fn merge(&mut self, o: &Interval) {
        self.mem_max = max_opt(self.mem_max, o.mem_max);
        self.load_max = max_opt(self.load_max, o.load_max);
        self.requests += o.requests;
        self.memory_errors += o.memory_errors;
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Minute {
    pub(super) requests: u64,
    pub(super) service_ms: f64,
}

#[derive(Debug, Clone, Default)]
pub(super) struct RouterAgg {
    pub(super) requests: u64,
    pub(super) error_lines: u64,
    pub(super) service: Sketch,
    pub(super) connect: Sketch,
    /// Index: status / 100 for 1..=5; 0 = none; 6 = other.
    pub(super) status: [u64; 7],
    pub(super) h_codes: BTreeMap<Vec<u8>, u64>,
    /// Complete only after [`RouterAgg::flush_minute`] (see `current_minute`).
    pub(super) minutes: FxMap<i64, Minute>,
    /// The minute being counted, written back to `minutes` when another minute comes or the
    /// input ends (as `TypeAgg::current_hour`): one map look-up per minute, not per request.
    pub(super) current_minute: Option<(i64, Minute)>,
}

impl RouterAgg {
    #[inline]
    pub(super) fn minute(&mut self, minute: i64) -> &mut Minute {
        if !matches!(self.current_minute, Some((k, _)) if k == minute) {
            self.flush_minute();
            let m = self.minutes.get(&minute).copied().unwrap_or_default();
            self.current_minute = Some((minute, m));
        }
        &mut self.current_minute.as_mut().expect("set above").1
    }

    pub(super) fn flush_minute(&mut self) {
        if let Some((k, m)) = self.current_minute.take() {
            self.minutes.insert(k, m);
        }
    }

    pub(super) fn merge(&mut self, o: &RouterAgg) {
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
pub(super) struct TypeAgg {
    pub(super) name: String,
    pub(super) dynos: Vec<(String, DynoAgg)>,
    /// Complete only after [`TypeAgg::flush_hour`] (see `current_hour`).
    pub(super) hours: BTreeMap<i64, Interval>,
    /// The hour being updated, taken out of `hours` and written back when another hour comes
    /// or the input ends: the same updates in the same order, one map look-up per hour
    /// instead of one per record.
    pub(super) current_hour: Option<(i64, Interval)>,
    pub(super) router: RouterAgg,
    pub(super) events: Vec<MemoryEvent>,
    pub(super) events_not_listed: u64,
    pub(super) span: Option<(i64, i64)>,
}

impl TypeAgg {
    #[inline]
    pub(super) fn hour(&mut self, ts: Option<i64>) -> Option<&mut Interval> {
        let h = ts?.div_euclid(HOUR_MS);
        if !matches!(self.current_hour, Some((k, _)) if k == h) {
            self.flush_hour();
            let iv = self.hours.get(&h).copied().unwrap_or_default();
            self.current_hour = Some((h, iv));
        }
        self.current_hour.as_mut().map(|(_, iv)| iv)
    }

    pub(super) fn flush_hour(&mut self) {
        if let Some((h, iv)) = self.current_hour.take() {
            self.hours.insert(h, iv);
        }
    }
}

/// A small direct-mapped cache of dyno sources (`web.1`) to their indexes, in front of the hash
/// map: a source of up to 16 bytes is packed into two words, so a hit is three compares and no
/// hashing of bytes. Indexes never change once given, so an entry never goes stale.
#[derive(Debug, Clone, Default)]
pub(super) struct SourceCache {
    pub(super) slots: [Option<(SourceKey, (usize, usize))>; 16],
}

/// A source of up to 16 bytes, exactly: its length and its bytes in two (overlapping) words.
pub(super) type SourceKey = (u64, u64, usize);

impl SourceCache {
    #[inline(always)]
    pub(super) fn key(s: &[u8]) -> Option<SourceKey> {
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
    pub(super) fn slot(k: SourceKey) -> usize {
        let h = (k.0 ^ k.1.rotate_left(29) ^ k.2 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 60) as usize
    }

    #[inline(always)]
    pub(super) fn get(&self, k: SourceKey) -> Option<(usize, usize)> {
        match self.slots[Self::slot(k)] {
            Some((key, ix)) if key == k => Some(ix),
            _ => None,
        }
    }

    pub(super) fn put(&mut self, k: SourceKey, ix: (usize, usize)) {
        self.slots[Self::slot(k)] = Some((k, ix));
    }
}

pub(super) fn intervals(hours: &BTreeMap<i64, Interval>, per: i64) -> Vec<IntervalPeak> {
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

pub(super) fn router_profile(r: &RouterAgg) -> Option<RouterProfile> {
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

pub(super) fn type_profile(t: &TypeAgg) -> ProcessProfile {
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

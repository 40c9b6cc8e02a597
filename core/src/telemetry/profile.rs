//! The serialisable result of an ingest: per-process-type (and per-dyno) profiles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sketch::{RELATIVE_ERROR, Sketch};
use crate::heroku::logs::time::format_rfc3339_ms;

/// A distribution summarised from a [`Sketch`]: exact count/min/max/mean, quantiles within
/// `relative_error`, and the sketch itself so callers can ask for any other quantile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Number of values.
    pub count: u64,
    /// Exact minimum.
    pub min: f64,
    /// Exact maximum.
    pub max: f64,
    /// Exact mean.
    pub mean: f64,
    /// Median (within `relative_error`).
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Relative error bound of the quantiles (0.01 = 1%).
    pub relative_error: f64,
    /// The underlying sketch (mergeable).
    pub sketch: Sketch,
}

impl Distribution {
    /// Summarises a sketch; `None` if it is empty.
    pub fn from_sketch(sketch: &Sketch) -> Option<Distribution> {
        let q = |p| sketch.quantile(p).unwrap_or(0.0);
        Some(Distribution {
            count: sketch.count,
            min: sketch.min,
            max: sketch.max,
            mean: sketch.mean()?,
            p50: q(0.5),
            p90: q(0.9),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            relative_error: RELATIVE_ERROR,
            sketch: sketch.clone(),
        })
    }

    /// Any quantile (0..=1), within `relative_error`.
    pub fn quantile(&self, q: f64) -> f64 {
        self.sketch.quantile(q).unwrap_or(0.0)
    }
}

/// A covered time range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSpan {
    /// First timestamp, unix ms.
    pub start_ms: i64,
    /// Last timestamp, unix ms.
    pub end_ms: i64,
    /// First timestamp, RFC 3339 UTC.
    pub start: String,
    /// Last timestamp, RFC 3339 UTC.
    pub end: String,
    /// `end - start` in seconds.
    pub seconds: f64,
}

impl TimeSpan {
    pub(crate) fn new(start_ms: i64, end_ms: i64) -> TimeSpan {
        TimeSpan {
            start_ms,
            end_ms,
            start: format_rfc3339_ms(start_ms),
            end: format_rfc3339_ms(end_ms),
            seconds: (end_ms - start_ms) as f64 / 1000.0,
        }
    }
}

/// Memory use seen in runtime metrics (MB = MiB).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemoryProfile {
    /// Memory samples (runtime-metrics memory lines).
    pub samples: u64,
    /// `memory_total` — the signal to size from (rss + swap; swap must become RAM on Kubernetes).
    pub total_mb: Option<Distribution>,
    /// `memory_rss`.
    pub rss_mb: Option<Distribution>,
    /// `memory_swap`.
    pub swap_mb: Option<Distribution>,
    /// `memory_cache`.
    pub cache_mb: Option<Distribution>,
    /// The largest `memory_quota` reported.
    pub quota_mb: Option<f64>,
    /// `Process running mem=` values (logged with R14).
    pub process_running_mb: Option<Distribution>,
}

/// One R14/R15 occurrence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryEvent {
    /// `R14` or `R15`.
    pub code: String,
    /// The dyno (`web.1`).
    pub source: String,
    /// Unix ms, when the line had a timestamp.
    pub time_ms: Option<i64>,
    /// RFC 3339 UTC.
    pub time: Option<String>,
}

/// Memory-quota errors of a process type.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemoryErrors {
    /// `Error R14` lines (memory quota exceeded: demand was at least the quota).
    pub r14: u64,
    /// `Error R15` lines (the dyno was killed).
    pub r15: u64,
    /// The first events, in input order (at most 1,000).
    pub events: Vec<MemoryEvent>,
    /// Events not listed because the list is full (they are still counted above).
    pub events_not_listed: u64,
}

/// Peaks of one hour or one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalPeak {
    /// Interval start, unix ms.
    pub start_ms: i64,
    /// Interval start, RFC 3339 UTC.
    pub start: String,
    /// Highest `memory_total` of any dyno of the type.
    pub memory_total_mb_max: Option<f64>,
    /// Highest `load_avg_1m` of any dyno of the type.
    pub load_avg_1m_max: Option<f64>,
    /// Router requests in the interval.
    pub requests: u64,
    /// R14 + R15 lines in the interval.
    pub memory_errors: u64,
}

/// In-flight requests estimated by Little's law: for each minute, the sum of router service
/// times divided by 60 s is the mean number of requests in flight during that minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concurrency {
    /// How the numbers were computed.
    pub method: String,
    /// Distinct dynos that served requests (the per-dyno figures divide by this).
    pub dynos: u64,
    /// In flight across the process type, per minute (zeros for minutes without traffic).
    pub total: Option<Distribution>,
    /// Mean in flight per dyno.
    pub per_dyno_mean: f64,
    /// 95th percentile per dyno.
    pub per_dyno_p95: f64,
    /// Highest minute per dyno.
    pub per_dyno_max: f64,
}

/// What the router saw for a process type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterProfile {
    /// Router lines attributed to this type (`dyno=web.1`; errors with an empty `dyno=` count
    /// for `web`, the only type the router sends to).
    pub requests: u64,
    /// Lines with `at=error` or `at=warning`.
    pub error_lines: u64,
    /// Minutes from the first to the last timed request, inclusive.
    pub minutes: u64,
    /// Timed requests / (minutes × 60).
    pub mean_rps: f64,
    /// Requests per minute, one value per minute of the span (zeros included).
    pub requests_per_minute: Option<Distribution>,
    /// `service=` in ms.
    pub service_ms: Option<Distribution>,
    /// `connect=` in ms.
    pub connect_ms: Option<Distribution>,
    /// `1xx` .. `5xx`, `other`, `none` (no status).
    pub status_classes: BTreeMap<String, u64>,
    /// Heroku error codes (`H12`: request timeout, ...).
    pub h_codes: BTreeMap<String, u64>,
    /// In-flight estimate.
    pub concurrency: Concurrency,
}

/// One dyno (a `source` such as `web.1`; stable across restarts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynoProfile {
    /// First and last telemetry timestamps of this dyno.
    pub span: Option<TimeSpan>,
    /// Memory.
    pub memory: MemoryProfile,
    /// `load_avg_1m` (a run-queue length, not CPU seconds).
    pub load_avg_1m: Option<Distribution>,
    /// Load samples.
    pub load_samples: u64,
    /// R14 lines.
    pub r14: u64,
    /// R15 lines.
    pub r15: u64,
    /// Router requests served.
    pub requests: u64,
}

/// One process type (`web`, `worker`, ...): all of its dynos together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessProfile {
    /// First and last telemetry timestamps.
    pub span: Option<TimeSpan>,
    /// Memory of all dynos of the type, pooled.
    pub memory: MemoryProfile,
    /// `load_avg_1m` of all dynos, pooled.
    pub load_avg_1m: Option<Distribution>,
    /// Load samples.
    pub load_samples: u64,
    /// R14/R15.
    pub memory_errors: MemoryErrors,
    /// Router traffic (only for types that receive HTTP).
    pub router: Option<RouterProfile>,
    /// Peaks per hour (UTC), in time order.
    pub hourly: Vec<IntervalPeak>,
    /// Peaks per day (UTC), in time order.
    pub daily: Vec<IntervalPeak>,
    /// Per dyno source.
    pub dynos: BTreeMap<String, DynoProfile>,
}

/// Record counts of the input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LineCounts {
    /// Bytes read (after gzip decompression).
    pub bytes: u64,
    /// Records: lines, or octet-counted frames.
    pub records: u64,
    /// Records used as telemetry (runtime metrics, router, R14/R15, `Process running`).
    pub telemetry: u64,
    /// Well-framed records without telemetry (app output, state changes).
    pub other: u64,
    /// Records that could not be parsed (see `unparsed_examples`).
    pub unparsed: u64,
    /// Empty lines (not counted as records).
    pub blank: u64,
    /// What was repaired or assumed on the way from the bytes to the records (absent in
    /// profiles written before it existed, read as zeros).
    #[serde(default)]
    pub repairs: Repairs,
}

/// Repairs made to real-world input so that its records could be read, each counted (a record
/// that could not be repaired is unparsed, never dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Repairs {
    /// Octet-counted frames whose count was off by one (the trailing line feed counted but
    /// missing, or not counted but present) and was corrected.
    pub octet_count_off_by_one: u64,
    /// Octet-counted frames that followed another frame on the same line (no line feed between
    /// them) and were split off.
    pub glued_frames: u64,
    /// Frames found by their `<PRI>1 ` header because the octet counts of their line could not
    /// be trusted (re-exported drains keep a count that no longer matches).
    pub frames_found_by_header: u64,
    /// Lines whose ANSI colour (SGR) and other terminal escape codes were removed.
    pub ansi_stripped: u64,
    /// Papertrail archive rows whose zone-less `generated_at` was hours away from the UTC
    /// `received_at`: the whole quarter hours between them were taken as its zone offset.
    pub zone_offsets_inferred: u64,
    /// Papertrail display lines (`Mon DD HH:MM:SS`, no year): the year was taken as the most
    /// recent one in which that date is not in the future.
    pub years_inferred: u64,
}

impl Repairs {
    /// Adds another count.
    pub fn add(&mut self, o: &Repairs) {
        self.octet_count_off_by_one += o.octet_count_off_by_one;
        self.glued_frames += o.glued_frames;
        self.frames_found_by_header += o.frames_found_by_header;
        self.ansi_stripped += o.ansi_stripped;
        self.zone_offsets_inferred += o.zone_offsets_inferred;
        self.years_inferred += o.years_inferred;
    }

    /// The repairs made, in all.
    pub fn total(&self) -> u64 {
        self.octet_count_off_by_one
            + self.glued_frames
            + self.frames_found_by_header
            + self.ansi_stripped
            + self.zone_offsets_inferred
            + self.years_inferred
    }
}

/// An unparsed record kept as an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnparsedExample {
    /// The input it came from, if known.
    pub input: Option<String>,
    /// Its record number in that input (1-based).
    pub record: u64,
    /// Why it was not parsed.
    pub reason: String,
    /// The first 200 bytes (invalid UTF-8 replaced).
    pub text: String,
}

/// A problem with an input as a whole (e.g. a truncated gzip): what was read before it is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputIssue {
    /// The input, if known.
    pub input: Option<String>,
    /// Decompressed bytes read before the problem.
    pub bytes_read: u64,
    /// What went wrong.
    pub message: String,
}

impl InputIssue {
    /// The issue in one line, naming the input (what results built from the profiles carry in
    /// their `warnings`).
    pub fn warning(&self) -> String {
        format!(
            "damaged input {}: {}",
            self.input.as_deref().unwrap_or("(unnamed)"),
            self.message.replace('\n', " ")
        )
    }
}

/// The result of an ingest: per-process-type utilisation profiles plus an account of every
/// input record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profiles {
    /// Relative error of every quantile in this result.
    pub relative_error: f64,
    /// Record counts.
    pub lines: LineCounts,
    /// The first few unparsed records.
    pub unparsed_examples: Vec<UnparsedExample>,
    /// Truncated or corrupt inputs.
    pub input_issues: Vec<InputIssue>,
    /// First and last timestamp of any parsed record.
    pub span: Option<TimeSpan>,
    /// Profiles by process type.
    pub process_types: BTreeMap<String, ProcessProfile>,
}

impl Profiles {
    /// The profiles as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("profiles always serialise")
    }

    /// The profiles as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("profiles always serialise")
    }
}

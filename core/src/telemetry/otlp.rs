//! OpenTelemetry metrics (OTLP) into the same profiles as Heroku's log lines: what Fir apps
//! send to a telemetry drain instead of `log-runtime-metrics`.
//!
//! A [`MetricMap`] says which metric names feed which series of the profile:
//!
//! - **memory** (MiB, from the metric's unit: `By`, `KiBy`, `MiBy`, ...): a gauge or an
//!   up-down counter, one sample per export (the points of one time summed over their
//!   attributes, e.g. the pools of `process.runtime.jvm.memory.usage`); it lands where a
//!   runtime-metrics `memory_total` does.
//! - **cpu** (cores busy, where a runtime-metrics `load_avg_1m` lands): a gauge counted in
//!   CPUs (`container.cpu.usage`), a cumulative or delta CPU time in seconds
//!   (`process.cpu.time`: its rate), or a utilization (`process.cpu.utilization`, a fraction of
//!   the CPUs: set `scale` to the dyno's CPU count).
//! - **requests**: a histogram of server durations (`http.server.request.duration`): request
//!   counts per minute, their latency distribution (from the buckets) and status classes
//!   (`http.response.status_code`), where router lines land.
//!
//! The defaults follow the OpenTelemetry semantic conventions; a JSON file overrides them
//! ([`MetricMap::from_json`]). For each dyno and series, only the first entry of the table the
//! export carries is used, so a dyno that sends both `container.memory.usage` and
//! `process.memory.usage` is not counted twice.
//!
//! Cumulative series (CPU time, histograms) are turned into deltas against the previous point
//! of the same series ([`CumulativeState`], part of the receiver's saved state): a point at or
//! before the last one seen adds nothing (a resent export is not counted again); a value that
//! went down is a restart, counted from its start time. The first point of a series counts
//! from its start time only when that is at most [`FRESH_START_MS`] earlier (a process that
//! just started); otherwise it is only the baseline for the next one.

use std::collections::BTreeMap;
use std::io::Read;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    metric::Data, number_data_point,
};
use prost::Message;
use serde::{Deserialize, Serialize};

use super::agg::{max_opt, span_add};
use super::{Ingest, MINUTE_MS};
use crate::error::{Error, Result};

/// A cumulative series' first point counts from its start time only if that is this recent.
pub const FRESH_START_MS: i64 = 5 * 60_000;
/// Cumulative series remembered per app; past this, those not updated for the longest go.
pub const MAX_SERIES: usize = 100_000;

/// Which profile series a metric feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// Memory in use (MiB).
    Memory,
    /// CPU busy, in cores.
    Cpu,
    /// Server requests: counts, latency, status classes.
    Requests,
}

/// One row of the mapping table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricRule {
    /// The metric name; `*` matches any run of characters (`process.runtime.*.memory*`).
    pub name: String,
    /// The series it feeds.
    pub series: Series,
    /// The unit to read values in when the metric carries none (`By`, `MiBy`, `s`, `ms`, `1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// A factor applied after the unit (e.g. the CPU count for a utilization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// Only points whose attributes have these values (compared as text).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// The mapping from OTLP metrics and resources to profiles (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricMap {
    /// The rules, in priority order within each series.
    pub metrics: Vec<MetricRule>,
    /// Resource attributes naming the app (the first present wins) when the URL names none.
    pub app_attributes: Vec<String>,
    /// Resource attributes naming the dyno (the first present wins).
    pub dyno_attributes: Vec<String>,
    /// Resource attributes naming the process type; without one, the type comes from the dyno
    /// name (`web.1`, `web-1234abcde44-123ab`) as for log lines.
    pub process_type_attributes: Vec<String>,
}

fn rule(name: &str, series: Series) -> MetricRule {
    MetricRule {
        name: name.to_owned(),
        series,
        unit: None,
        scale: None,
        attributes: BTreeMap::new(),
    }
}

impl Default for MetricMap {
    /// The OpenTelemetry semantic conventions' names (none verified against a real Fir
    /// export: no public one exists).
    fn default() -> MetricMap {
        use Series::{Cpu, Memory, Requests};
        MetricMap {
            metrics: vec![
                rule("container.memory.usage", Memory),
                rule("process.memory.usage", Memory),
                rule("process.runtime.*.memory*", Memory),
                rule("jvm.memory.used", Memory),
                rule("container.cpu.usage", Cpu),
                rule("container.cpu.time", Cpu),
                rule("process.cpu.time", Cpu),
                rule("container.cpu.utilization", Cpu),
                rule("process.cpu.utilization", Cpu),
                MetricRule {
                    unit: Some("s".into()),
                    ..rule("http.server.request.duration", Requests)
                },
                MetricRule {
                    unit: Some("ms".into()),
                    ..rule("http.server.duration", Requests)
                },
            ],
            app_attributes: vec!["heroku.app.name".into(), "service.name".into()],
            dyno_attributes: vec![
                "heroku.dyno.name".into(),
                "dyno".into(),
                "host.name".into(),
                "k8s.pod.name".into(),
                "service.instance.id".into(),
            ],
            process_type_attributes: vec!["heroku.process.type".into()],
        }
    }
}

/// An override file: any of the [`MetricMap`] fields; `metrics` rules come before the defaults
/// unless `replace_defaults` is true.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    replace_defaults: bool,
    #[serde(default)]
    metrics: Vec<MetricRule>,
    app_attributes: Option<Vec<String>>,
    dyno_attributes: Option<Vec<String>>,
    process_type_attributes: Option<Vec<String>>,
}

impl MetricMap {
    /// Reads an override file's JSON: `{"metrics": [{"name": "...", "series":
    /// "memory|cpu|requests", "unit": "...", "scale": 1.0, "attributes": {"k": "v"}}],
    /// "replace_defaults": false, "app_attributes": [...], "dyno_attributes": [...],
    /// "process_type_attributes": [...]}`. Its rules come first (they win over the defaults for
    /// the same series); anything else is `invalid_input` naming the place.
    pub fn from_json(text: &str) -> Result<MetricMap> {
        let mut de = serde_json::Deserializer::from_str(text);
        let file: MapFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            Error::invalid_input(format!(
                "the OTLP metric map does not read at {}: {}; see `dynoshift drain serve --help` \
                 for its form",
                e.path(),
                e.inner()
            ))
        })?;
        let mut map = MetricMap::default();
        for r in &file.metrics {
            if r.name.is_empty() || r.scale.is_some_and(|s| !s.is_finite() || s <= 0.0) {
                return Err(Error::invalid_input(format!(
                    "the OTLP metric map rule {:?} needs a name and a positive scale",
                    r.name
                )));
            }
            if let Some(u) = &r.unit
                && unit_factor(r.series, u).is_none()
            {
                return Err(Error::invalid_input(format!(
                    "the OTLP metric map rule {:?} has unit {u:?}, which is not one of By KiBy \
                     MiBy GiBy kBy MBy GBy (memory), s ms us ns (requests, CPU time) or 1 \
                     {{cpu}} (CPU)",
                    r.name
                )));
            }
        }
        if file.replace_defaults {
            map.metrics = file.metrics;
        } else {
            let mut rules = file.metrics;
            rules.append(&mut map.metrics);
            map.metrics = rules;
        }
        if let Some(a) = file.app_attributes {
            map.app_attributes = a;
        }
        if let Some(a) = file.dyno_attributes {
            map.dyno_attributes = a;
        }
        if let Some(a) = file.process_type_attributes {
            map.process_type_attributes = a;
        }
        Ok(map)
    }

    /// [`MetricMap::from_json`] of a file.
    pub fn from_file(path: &std::path::Path) -> Result<MetricMap> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::files::io_error(&e, path))?;
        MetricMap::from_json(&text).map_err(|e| e.at(path.display().to_string()))
    }

    /// The first rule (in table order) matching a metric name and one of its points.
    fn rule_for(&self, name: &str) -> Option<(usize, &MetricRule)> {
        self.metrics
            .iter()
            .enumerate()
            .find(|(_, r)| glob(&r.name, name))
    }
}

/// Whether `name` matches `pattern`, where `*` is any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut name) = name.strip_prefix(head) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('*').collect();
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            return name.ends_with(part);
        }
        match name.find(part) {
            Some(at) => name = &name[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// How many of the series' unit one of `unit` is: MiB for memory, milliseconds for requests,
/// seconds (CPU time) or CPUs (gauges) for CPU. `None`: not a unit of that series.
fn unit_factor(series: Series, unit: &str) -> Option<f64> {
    const MIB: f64 = 1_048_576.0;
    match series {
        Series::Memory => Some(match unit {
            "" | "By" | "bytes" | "{byte}" => 1.0 / MIB,
            "KiBy" => 1024.0 / MIB,
            "MiBy" => 1.0,
            "GiBy" => 1024.0,
            "kBy" | "KBy" => 1e3 / MIB,
            "MBy" => 1e6 / MIB,
            "GBy" => 1e9 / MIB,
            _ => return None,
        }),
        Series::Requests => Some(match unit {
            "" | "ms" => 1.0,
            "s" => 1e3,
            "us" => 1e-3,
            "ns" => 1e-6,
            _ => return None,
        }),
        Series::Cpu => Some(match unit {
            "" | "1" | "{cpu}" | "s" | "{cpus}" => 1.0,
            "ms" => 1e-3,
            "us" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        }),
    }
}

/// The previous point of a cumulative series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Prev {
    start_ns: u64,
    time_ns: u64,
    /// The value (sums) or count (histograms).
    value: f64,
    sum: f64,
    buckets: Vec<u64>,
}

/// The last point of each cumulative series an app sent, to turn the next into a delta. It is
/// saved with the receiver's state (see [`CumulativeState::to_bytes`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CumulativeState {
    series: BTreeMap<String, Prev>,
}

impl CumulativeState {
    /// The state as bytes (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.series).unwrap_or_default()
    }

    /// Reads [`CumulativeState::to_bytes`]; damaged bytes are `invalid_input`.
    pub fn from_bytes(bytes: &[u8]) -> Result<CumulativeState> {
        if bytes.is_empty() {
            return Ok(CumulativeState::default());
        }
        serde_json::from_slice(bytes)
            .map(|series| CumulativeState { series })
            .map_err(|e| Error::invalid_input(format!("damaged OTLP series state: {e}")))
    }

    /// Forgets the series updated longest ago when there are more than [`MAX_SERIES`].
    fn prune(&mut self) {
        if self.series.len() <= MAX_SERIES {
            return;
        }
        let mut times: Vec<u64> = self.series.values().map(|p| p.time_ns).collect();
        let cut = times.len() - MAX_SERIES;
        let (_, nth, _) = times.select_nth_unstable(cut);
        let nth = *nth;
        self.series.retain(|_, p| p.time_ns >= nth);
    }
}

/// What an export added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Data points that fed a series.
    pub used: u64,
    /// Data points of no mapped metric, of an unsupported kind, or not usable (no time, a
    /// first cumulative point taken as the baseline, a point resent).
    pub ignored: u64,
}

/// The OTLP/HTTP body encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json` (OTLP/JSON).
    Json,
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// It inflates past the limit.
    TooLarge,
    /// It is not an export in the encoding it claims (the message says what is wrong).
    Invalid(String),
}

/// Decodes an OTLP/HTTP metrics body (gunzipped first when `gzip`, to at most `max_bytes`).
pub fn decode_request(
    body: &[u8],
    encoding: Encoding,
    gzip: bool,
    max_bytes: usize,
) -> std::result::Result<ExportMetricsServiceRequest, DecodeError> {
    let inflated;
    let bytes = if gzip {
        let mut out = Vec::new();
        let mut dec = flate2::read::MultiGzDecoder::new(body).take(max_bytes as u64 + 1);
        dec.read_to_end(&mut out)
            .map_err(|e| DecodeError::Invalid(format!("the body is not valid gzip ({e})")))?;
        if out.len() > max_bytes {
            return Err(DecodeError::TooLarge);
        }
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    match encoding {
        Encoding::Protobuf => ExportMetricsServiceRequest::decode(bytes).map_err(|e| {
            DecodeError::Invalid(format!(
                "the body is not an OTLP ExportMetricsServiceRequest in protobuf ({e})"
            ))
        }),
        Encoding::Json => serde_json::from_slice(bytes).map_err(|e| {
            DecodeError::Invalid(format!(
                "the body is not an OTLP ExportMetricsServiceRequest in JSON ({e})"
            ))
        }),
    }
}

/// An attribute's value as text (numbers in decimal), `None` for empty, arrays and maps.
fn text(v: &AnyValue) -> Option<String> {
    match v.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(text)
        .filter(|s| !s.is_empty())
}

fn first_attr(attrs: &[KeyValue], keys: &[String]) -> Option<String> {
    keys.iter().find_map(|k| attr(attrs, k))
}

/// An app key made of what a receiver accepts (A-Z a-z 0-9 . _ - :, at most 128 bytes).
fn app_key(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':') {
                c
            } else {
                '_'
            }
        })
        .take(128)
        .collect()
}

/// Splits an export by app: the URL's app if it names one, else each resource's app
/// attribute (see [`MetricMap::app_attributes`]), else `default`. In the order first seen.
pub fn split_by_app(
    req: ExportMetricsServiceRequest,
    url_app: Option<&str>,
    map: &MetricMap,
    default: &str,
) -> Vec<(String, ExportMetricsServiceRequest)> {
    if let Some(app) = url_app {
        return vec![(app.to_owned(), req)];
    }
    let mut out: Vec<(String, ExportMetricsServiceRequest)> = Vec::new();
    for rm in req.resource_metrics {
        let attrs = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        let key = first_attr(attrs, &map.app_attributes)
            .map(|s| app_key(&s))
            .unwrap_or_else(|| default.to_owned());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, r)) => r.resource_metrics.push(rm),
            None => out.push((
                key,
                ExportMetricsServiceRequest {
                    resource_metrics: vec![rm],
                },
            )),
        }
    }
    out
}

fn ms(ns: u64) -> i64 {
    i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX)
}

fn number(p: &NumberDataPoint) -> Option<f64> {
    match p.value? {
        number_data_point::Value::AsDouble(d) if d.is_finite() => Some(d),
        number_data_point::Value::AsInt(i) => Some(i as f64),
        _ => None,
    }
}

fn attrs_key(attrs: &[KeyValue]) -> String {
    let mut kv: Vec<(&str, String)> = attrs
        .iter()
        .map(|a| {
            (
                a.key.as_str(),
                a.value.as_ref().and_then(text).unwrap_or_default(),
            )
        })
        .collect();
    kv.sort();
    let mut out = String::new();
    for (k, v) in kv {
        out.push_str(k);
        out.push('=');
        out.push_str(&v);
        out.push('\u{1f}');
    }
    out
}

fn wanted(rule: &MetricRule, attrs: &[KeyValue]) -> bool {
    rule.attributes
        .iter()
        .all(|(k, v)| attr(attrs, k).as_deref() == Some(v.as_str()))
}

/// What one cumulative point adds: `(value delta, sum delta, bucket deltas, seconds)`.
type Delta = (f64, f64, Vec<u64>, f64);

/// The delta of a cumulative point against the series' previous one (see the module docs).
fn cumulative(
    state: &mut CumulativeState,
    key: String,
    start_ns: u64,
    time_ns: u64,
    value: f64,
    sum: f64,
    buckets: &[u64],
) -> Option<Delta> {
    let from_start = || {
        let fresh =
            start_ns > 0 && start_ns < time_ns && ms(time_ns) - ms(start_ns) <= FRESH_START_MS;
        fresh.then(|| {
            (
                value,
                sum,
                buckets.to_vec(),
                (time_ns - start_ns) as f64 / 1e9,
            )
        })
    };
    let delta = match state.series.get(&key) {
        Some(p) if time_ns <= p.time_ns => return None,
        Some(p)
            if value < p.value
                || (start_ns > p.start_ns && start_ns >= p.time_ns)
                || buckets.len() != p.buckets.len() =>
        {
            // A restart (or new bucket bounds): count from the new start.
            from_start()
        }
        Some(p) => Some((
            value - p.value,
            sum - p.sum,
            buckets
                .iter()
                .zip(&p.buckets)
                .map(|(a, b)| a.saturating_sub(*b))
                .collect(),
            (time_ns - p.time_ns) as f64 / 1e9,
        )),
        None => from_start(),
    };
    state.series.insert(
        key,
        Prev {
            start_ns,
            time_ns,
            value,
            sum,
            buckets: buckets.to_vec(),
        },
    );
    delta
}

/// A sample to add to a dyno.
enum Sample {
    Memory(f64),
    Cpu(f64),
    Requests {
        count: u64,
        service_ms: f64,
        /// (latency in ms, requests) per histogram bucket.
        latencies: Vec<(f64, u64)>,
        status: Option<u16>,
    },
}

/// The representative latency of each histogram bucket (its middle; the first bucket's is half
/// its upper bound, the overflow bucket's its lower bound or the point's max).
fn bucket_values(bounds: &[f64], counts: &[u64], max: Option<f64>, factor: f64) -> Vec<(f64, u64)> {
    let mut out = Vec::new();
    for (i, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let v = match (i.checked_sub(1).and_then(|j| bounds.get(j)), bounds.get(i)) {
            (None, Some(hi)) => hi / 2.0,
            (Some(lo), Some(hi)) => (lo + hi) / 2.0,
            (Some(lo), None) => max.filter(|m| m > lo).unwrap_or(*lo),
            (None, None) => max.unwrap_or(0.0),
        };
        if v.is_finite() {
            out.push((v.max(0.0) * factor, n));
        }
    }
    out
}

impl Ingest {
    /// The dyno a resource's points go to (created on first use).
    fn otlp_dyno(&mut self, process_type: Option<&str>, dyno: &str) -> (usize, usize) {
        match process_type {
            None => self.source_idx(dyno.as_bytes()),
            Some(t) => {
                if let Some(&ix) = self.source_index.get(dyno.as_bytes()) {
                    return ix;
                }
                let ti = self.type_idx(t.as_bytes());
                let tt = &mut self.types[ti];
                let di = tt.dynos.len();
                tt.dynos.push((dyno.to_owned(), super::DynoAgg::default()));
                self.source_index.insert(dyno.as_bytes().into(), (ti, di));
                (ti, di)
            }
        }
    }

    fn otlp_sample(&mut self, (ti, di): (usize, usize), ts: i64, sample: Sample) {
        span_add(&mut self.span, ts);
        let t = &mut self.types[ti];
        span_add(&mut t.span, ts);
        span_add(&mut t.dynos[di].1.span, ts);
        match sample {
            Sample::Memory(mb) => {
                let d = &mut t.dynos[di].1;
                d.mem.samples += 1;
                d.mem.total.add(mb);
                if let Some(iv) = t.hour(Some(ts)) {
                    iv.mem_max = max_opt(iv.mem_max, Some(mb));
                }
            }
            Sample::Cpu(cores) => {
                let d = &mut t.dynos[di].1;
                d.load.add(cores);
                d.load_samples += 1;
                if let Some(iv) = t.hour(Some(ts)) {
                    iv.load_max = max_opt(iv.load_max, Some(cores));
                }
            }
            Sample::Requests {
                count,
                service_ms,
                latencies,
                status,
            } => {
                t.dynos[di].1.requests += count;
                let ra = &mut t.router;
                ra.requests += count;
                for (v, n) in latencies {
                    ra.service.add_n(v, n);
                }
                let class = match status {
                    None => 0,
                    Some(s @ 100..=599) => usize::from(s / 100),
                    Some(_) => 6,
                };
                ra.status[class] += count;
                let m = ra.minute(ts.div_euclid(MINUTE_MS));
                m.requests += count;
                m.service_ms += service_ms;
                if let Some(iv) = t.hour(Some(ts)) {
                    iv.requests += count;
                }
            }
        }
    }

    /// Adds an OTLP metrics export (see the module docs), keeping the cumulative series'
    /// last points in `state`.
    pub fn feed_otlp(
        &mut self,
        req: &ExportMetricsServiceRequest,
        map: &MetricMap,
        state: &mut CumulativeState,
    ) -> Applied {
        let mut applied = Applied::default();
        for rm in &req.resource_metrics {
            self.otlp_resource(rm, map, state, &mut applied);
        }
        self.end_input();
        state.prune();
        applied
    }

    fn otlp_resource(
        &mut self,
        rm: &ResourceMetrics,
        map: &MetricMap,
        state: &mut CumulativeState,
        applied: &mut Applied,
    ) {
        let attrs = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        let dyno = first_attr(attrs, &map.dyno_attributes).unwrap_or_else(|| "unknown".into());
        let ptype = first_attr(attrs, &map.process_type_attributes);
        // Per series, the rule (by its place in the table) this resource's export uses.
        let mut best: [Option<usize>; 3] = [None; 3];
        let metrics = rm.scope_metrics.iter().flat_map(|s| &s.metrics);
        for m in metrics.clone() {
            if let Some((i, r)) = map.rule_for(&m.name) {
                let b = &mut best[r.series as usize];
                *b = Some(b.map_or(i, |j| j.min(i)));
            }
        }
        if best == [None; 3] {
            // Nothing this resource sends is mapped: no dyno is made for it.
            applied.ignored += metrics.map(points_of).sum::<u64>();
            return;
        }
        let ix = self.otlp_dyno(ptype.as_deref(), &dyno);
        for m in metrics {
            let points = points_of(m);
            let rule = map
                .rule_for(&m.name)
                .filter(|(i, r)| best[r.series as usize] == Some(*i))
                .map(|(_, r)| r);
            let Some(rule) = rule else {
                applied.ignored += points;
                continue;
            };
            let unit = if m.unit.is_empty() {
                rule.unit.as_deref().unwrap_or("")
            } else {
                &m.unit
            };
            let Some(factor) = unit_factor(rule.series, unit) else {
                applied.ignored += points;
                continue;
            };
            let factor = factor * rule.scale.unwrap_or(1.0);
            let key = format!("{dyno}\u{1e}{}\u{1e}", m.name);
            let used = match (&m.data, rule.series) {
                (Some(Data::Gauge(g)), Series::Memory | Series::Cpu) => {
                    self.otlp_levels(ix, rule, &g.data_points, factor)
                }
                (Some(Data::Sum(s)), Series::Memory) => {
                    self.otlp_levels(ix, rule, &s.data_points, factor)
                }
                (Some(Data::Sum(s)), Series::Cpu) if !s.is_monotonic => {
                    self.otlp_levels(ix, rule, &s.data_points, factor)
                }
                (Some(Data::Sum(s)), Series::Cpu) => self.otlp_rates(
                    ix,
                    rule,
                    &s.data_points,
                    s.aggregation_temporality,
                    factor,
                    state,
                    &key,
                ),
                (Some(Data::Histogram(h)), Series::Requests) => self.otlp_histograms(
                    ix,
                    rule,
                    &h.data_points,
                    h.aggregation_temporality,
                    factor,
                    state,
                    &key,
                ),
                _ => 0,
            };
            applied.used += used;
            applied.ignored += points - used.min(points);
        }
    }

    /// Gauge-like points: one sample per time, summed over the attribute sets.
    fn otlp_levels(
        &mut self,
        ix: (usize, usize),
        rule: &MetricRule,
        points: &[NumberDataPoint],
        factor: f64,
    ) -> u64 {
        let mut by_time: BTreeMap<u64, f64> = BTreeMap::new();
        let mut used = 0;
        for p in points {
            if p.time_unix_nano == 0 || !wanted(rule, &p.attributes) {
                continue;
            }
            if let Some(v) = number(p) {
                *by_time.entry(p.time_unix_nano).or_default() += v * factor;
                used += 1;
            }
        }
        for (t, v) in by_time {
            let s = match rule.series {
                Series::Memory => Sample::Memory(v),
                _ => Sample::Cpu(v),
            };
            self.otlp_sample(ix, ms(t), s);
        }
        used
    }

    /// Monotonic sums (CPU time): their rate, summed over the attribute sets of one time.
    #[allow(clippy::too_many_arguments)]
    fn otlp_rates(
        &mut self,
        ix: (usize, usize),
        rule: &MetricRule,
        points: &[NumberDataPoint],
        temporality: i32,
        factor: f64,
        state: &mut CumulativeState,
        key: &str,
    ) -> u64 {
        let mut by_time: BTreeMap<u64, f64> = BTreeMap::new();
        let mut used = 0;
        for p in points {
            let Some(v) = number(p).filter(|_| p.time_unix_nano > 0 && wanted(rule, &p.attributes))
            else {
                continue;
            };
            let delta = if temporality == AggregationTemporality::Delta as i32 {
                start_ok(p).then(|| {
                    (
                        v,
                        0.0,
                        Vec::new(),
                        (p.time_unix_nano - p.start_time_unix_nano) as f64 / 1e9,
                    )
                })
            } else {
                let k = format!("{key}{}", attrs_key(&p.attributes));
                cumulative(
                    state,
                    k,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    v,
                    0.0,
                    &[],
                )
            };
            if let Some((dv, _, _, secs)) = delta.filter(|d| d.3 > 0.0) {
                *by_time.entry(p.time_unix_nano).or_default() += dv * factor / secs;
                used += 1;
            }
        }
        for (t, cores) in by_time {
            self.otlp_sample(ix, ms(t), Sample::Cpu(cores.max(0.0)));
        }
        used
    }

    /// Histograms of request durations: counts, latencies and status classes.
    #[allow(clippy::too_many_arguments)]
    fn otlp_histograms(
        &mut self,
        ix: (usize, usize),
        rule: &MetricRule,
        points: &[HistogramDataPoint],
        temporality: i32,
        factor: f64,
        state: &mut CumulativeState,
        key: &str,
    ) -> u64 {
        let mut used = 0;
        for p in points {
            if p.time_unix_nano == 0 || !wanted(rule, &p.attributes) {
                continue;
            }
            let delta = if temporality == AggregationTemporality::Delta as i32 {
                Some((
                    p.count as f64,
                    p.sum.unwrap_or(0.0),
                    p.bucket_counts.clone(),
                    0.0,
                ))
            } else {
                let k = format!("{key}{}", attrs_key(&p.attributes));
                cumulative(
                    state,
                    k,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    p.count as f64,
                    p.sum.unwrap_or(0.0),
                    &p.bucket_counts,
                )
            };
            let Some((count, sum, buckets, _)) = delta else {
                continue;
            };
            used += 1;
            let count = count.max(0.0) as u64;
            if count == 0 {
                continue;
            }
            let max = (temporality == AggregationTemporality::Delta as i32)
                .then_some(p.max)
                .flatten();
            let status = attr(&p.attributes, "http.response.status_code")
                .or_else(|| attr(&p.attributes, "http.status_code"))
                .and_then(|s| s.parse().ok());
            let sample = Sample::Requests {
                count,
                service_ms: (sum * factor).max(0.0),
                latencies: bucket_values(&p.explicit_bounds, &buckets, max, factor),
                status,
            };
            self.otlp_sample(ix, ms(p.time_unix_nano), sample);
        }
        used
    }
}

fn points_of(m: &Metric) -> u64 {
    (match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }) as u64
}

/// Whether a delta point has the start time its rate needs.
fn start_ok(p: &NumberDataPoint) -> bool {
    p.start_time_unix_nano > 0 && p.start_time_unix_nano < p.time_unix_nano
}

/// The canonical bytes of an export (protobuf), which the receiver logs and hashes.
pub fn encode_request(req: &ExportMetricsServiceRequest) -> Vec<u8> {
    req.encode_to_vec()
}

/// Reads [`encode_request`]'s bytes back.
pub fn decode_canonical(bytes: &[u8]) -> Result<ExportMetricsServiceRequest> {
    ExportMetricsServiceRequest::decode(bytes)
        .map_err(|e| Error::invalid_input(format!("a logged OTLP export does not decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_runs() {
        assert!(glob(
            "process.runtime.*.memory*",
            "process.runtime.jvm.memory.usage"
        ));
        assert!(glob(
            "process.runtime.*.memory*",
            "process.runtime.go.memory"
        ));
        assert!(!glob(
            "process.runtime.*.memory*",
            "process.runtime.jvm.cpu"
        ));
        assert!(glob("a", "a"));
        assert!(!glob("a", "ab"));
        assert!(glob("*", "anything"));
    }

    #[test]
    fn cumulative_points_become_deltas_once() {
        let mut s = CumulativeState::default();
        let min = 60_000_000_000u64;
        // A long-running series: the first point is only the baseline.
        assert_eq!(
            cumulative(&mut s, "k".into(), 1, 100 * min, 50.0, 0.0, &[]),
            None
        );
        let d = cumulative(&mut s, "k".into(), 1, 101 * min, 80.0, 0.0, &[]).unwrap();
        assert_eq!((d.0, d.3), (30.0, 60.0));
        // Resent: nothing.
        assert_eq!(
            cumulative(&mut s, "k".into(), 1, 101 * min, 80.0, 0.0, &[]),
            None
        );
        // A restart one minute ago counts from its start.
        let d = cumulative(&mut s, "k".into(), 102 * min, 103 * min, 5.0, 0.0, &[]).unwrap();
        assert_eq!((d.0, d.3), (5.0, 60.0));
        let bytes = s.to_bytes();
        assert_eq!(CumulativeState::from_bytes(&bytes).unwrap(), s);
        assert!(CumulativeState::from_bytes(b"{").is_err());
    }

    #[test]
    fn map_files_override_and_refuse_mistakes() {
        let m = MetricMap::from_json(
            r#"{"metrics": [{"name": "app.mem", "series": "memory", "unit": "MiBy"}],
                "dyno_attributes": ["my.dyno"]}"#,
        )
        .unwrap();
        assert_eq!(m.metrics[0].name, "app.mem");
        assert!(m.metrics.len() > 1, "defaults kept after the file's rules");
        assert_eq!(m.dyno_attributes, ["my.dyno"]);
        let only = MetricMap::from_json(
            r#"{"replace_defaults": true, "metrics": [{"name": "x", "series": "cpu"}]}"#,
        )
        .unwrap();
        assert_eq!(only.metrics.len(), 1);
        for bad in [
            r#"{"metrics": [{"name": "x", "series": "disk"}]}"#,
            r#"{"metrics": [{"name": "x", "series": "memory", "unit": "parsecs"}]}"#,
            r#"{"metrics": [{"name": "x", "series": "cpu", "scale": -1}]}"#,
            r#"{"metricz": []}"#,
        ] {
            let e = MetricMap::from_json(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn buckets_have_representative_values() {
        let v = bucket_values(&[10.0, 20.0], &[1, 2, 3], Some(50.0), 1.0);
        assert_eq!(v, vec![(5.0, 1), (15.0, 2), (50.0, 3)]);
        let v = bucket_values(&[0.1], &[0, 4], None, 1000.0);
        assert_eq!(v, vec![(100.0, 4)]);
    }
}

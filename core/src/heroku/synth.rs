//! A deterministic synthetic Heroku log generator: runtime metrics for every dyno of a
//! formation, router lines for `web` with a daily load curve, H12 timeouts, an optional memory
//! leak (dynos are cycled daily, as Heroku does), R14 episodes and R15 kills.
//!
//! Output streams to any [`Write`] (gigabytes without holding them), and the generator returns
//! the parameters it injected ([`SynthReport`]) so that tests can check an ingest of its output
//! reproduces them.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::io::{BufWriter, Write};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::heroku::formation::Formation;
use crate::heroku::logs::time::civil_from_days;

/// SplitMix64: a tiny, fast, well-mixed PRNG (deterministic from its seed).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }

    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// `len` items drawn uniformly from `items` (none if `items` is empty).
    pub fn draw<T: Copy>(&mut self, items: &[T], len: usize) -> Vec<T> {
        if items.is_empty() {
            return Vec::new();
        }
        (0..len)
            .map(|_| items[self.below(items.len() as u64) as usize])
            .collect()
    }
}

/// How the generated lines are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynthFraming {
    /// `heroku logs` text.
    Text,
    /// Log-drain RFC 5424 frames with octet counts, one per line.
    Drain,
}

/// Generator options (all have defaults; JSON field names as below).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthOptions {
    /// PRNG seed: the same seed, formation and options give the same bytes.
    pub seed: u64,
    /// Length of the log in seconds.
    pub duration_s: u64,
    /// Start, unix seconds (default 2026-11-02T00:00:00Z).
    pub start_unix_s: i64,
    /// Seconds between runtime-metrics samples of a dyno (Heroku: about 20).
    pub metrics_interval_s: u64,
    /// Mean requests per second across all `web` dynos.
    pub web_rps: f64,
    /// Daily swing of the load curve: rate = mean × (1 + swing × cos(...)), 0..1.
    pub daily_swing: f64,
    /// Hour of day (UTC) of the daily peak.
    pub peak_hour_utc: f64,
    /// Mean router service time in ms (log-normal).
    pub mean_service_ms: f64,
    /// Baseline memory as a fraction of the dyno's quota.
    pub memory_fraction: f64,
    /// Leak rate in MB per hour since the dyno's last restart (dynos are cycled every 24 h).
    pub leak_mb_per_hour: f64,
    /// Process types that leak (empty: all).
    pub leak_types: Vec<String>,
    /// Ten-minute episodes where one dyno runs above its quota (R14).
    pub r14_episodes: u32,
    /// H12 (30 s timeout) responses per hour.
    pub h12_per_hour: f64,
    /// App output lines per request (noise the ingest must skip).
    pub app_lines_per_request: f64,
    /// Text or drain framing.
    pub framing: SynthFraming,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 1,
            duration_s: 86_400,
            start_unix_s: 1_793_577_600,
            metrics_interval_s: 20,
            web_rps: 5.0,
            daily_swing: 0.6,
            peak_hour_utc: 15.0,
            mean_service_ms: 80.0,
            memory_fraction: 0.45,
            leak_mb_per_hour: 0.0,
            leak_types: Vec::new(),
            r14_episodes: 0,
            h12_per_hour: 0.5,
            app_lines_per_request: 0.1,
            framing: SynthFraming::Text,
        }
    }
}

impl SynthOptions {
    /// Options from JSON: any subset of the fields above, the rest at their defaults. Unknown
    /// fields or wrong types are `invalid_input`.
    pub fn from_json(text: &str) -> Result<SynthOptions> {
        serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!(
                "options are not valid SynthOptions JSON ({}); e.g. {{\"daily_swing\": 0.5}}",
                crate::jsonerr::describe(&e, text)
            ))
        })
    }
}

/// What the generator put into the log for one process type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthTruth {
    /// Dynos of this type.
    pub dynos: u32,
    /// Memory quota of the dyno size, MB.
    pub quota_mb: f64,
    /// Memory lines written.
    pub memory_samples: u64,
    /// The highest `memory_total` written (exact, as printed).
    pub peak_memory_total_mb: f64,
    /// Mean of the `memory_total` values written.
    pub mean_memory_total_mb: f64,
    /// The highest `load_avg_1m` written.
    pub peak_load_avg_1m: f64,
    /// `Error R14` lines.
    pub r14: u64,
    /// `Error R15` lines (each followed by a restart).
    pub r15: u64,
    /// Router lines for this type (H12 included).
    pub requests: u64,
    /// H12 lines.
    pub h12: u64,
    /// `requests / duration`.
    pub mean_rps: f64,
    /// Mean `service=` of the router lines written, ms.
    pub mean_service_ms: f64,
    /// Leak rate applied, MB per hour.
    pub leak_mb_per_hour: f64,
}

/// The known parameters of a generated log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    /// The options used.
    pub options: SynthOptions,
    /// Lines written.
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Per process type.
    pub process_types: BTreeMap<String, SynthTruth>,
}

impl SynthReport {
    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a synth report always serialises")
    }
}

struct Dyno {
    type_idx: usize,
    source: String,
    dyno_id: String,
    quota: f64,
    hard_limit: f64,
    base: f64,
    phase_s: u64,
    restart_s: u64,
    leak: f64,
    episode_until: u64,
}

struct Writer<W: Write> {
    out: BufWriter<W>,
    framing: SynthFraming,
    line: Vec<u8>,
    stamp: Vec<u8>,
    lines: u64,
    bytes: u64,
}

impl<W: Write> Writer<W> {
    /// Writes `stamp + process prefix + msg` for the current line buffer (`self.line` = msg).
    fn emit(&mut self, micros: u32, app: &str, process: &str) -> std::io::Result<()> {
        let mut head = Vec::with_capacity(96);
        let ts = |head: &mut Vec<u8>, stamp: &[u8]| {
            head.extend_from_slice(stamp);
            let _ = write!(head, ".{micros:06}+00:00");
        };
        match self.framing {
            SynthFraming::Text => {
                ts(&mut head, &self.stamp);
                let _ = write!(head, " {app}[{process}]: ");
                self.out.write_all(&head)?;
                self.out.write_all(&self.line)?;
                self.out.write_all(b"\n")?;
                self.bytes += (head.len() + self.line.len() + 1) as u64;
            }
            SynthFraming::Drain => {
                let pri = if app == "app" { "<190>1 " } else { "<158>1 " };
                head.extend_from_slice(pri.as_bytes());
                ts(&mut head, &self.stamp);
                let _ = write!(head, " host {app} {process} - ");
                let len = head.len() + self.line.len() + 1;
                let prefix = format!("{len} ");
                self.out.write_all(prefix.as_bytes())?;
                self.out.write_all(&head)?;
                self.out.write_all(&self.line)?;
                self.out.write_all(b"\n")?;
                self.bytes += (prefix.len() + len) as u64;
            }
        }
        self.lines += 1;
        self.line.clear();
        Ok(())
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

const PATHS: [&str; 6] = [
    "/",
    "/api/items",
    "/login",
    "/assets/app.js",
    "/search",
    "/cart",
];

/// Generates a synthetic log for `formation` into `out` and returns what it injected.
/// Invalid options are `invalid_input`; a write failure is `invalid_input` naming the cause.
pub fn generate(
    formation: &Formation,
    options: &SynthOptions,
    out: impl Write,
) -> Result<SynthReport> {
    let o = options;
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(Error::invalid_input(what.to_owned()))
        }
    };
    check(o.duration_s > 0, "duration must be at least one second")?;
    check(
        o.duration_s <= 400 * 86_400,
        "duration must be at most 400 days",
    )?;
    check(
        (1..=3600).contains(&o.metrics_interval_s),
        "metrics_interval_s must be 1..=3600",
    )?;
    check(
        o.web_rps.is_finite() && (0.0..=100_000.0).contains(&o.web_rps),
        "web_rps must be 0..=100000",
    )?;
    check(
        (0.0..=1.0).contains(&o.daily_swing),
        "daily_swing must be between 0 and 1",
    )?;
    check(
        o.mean_service_ms.is_finite() && o.mean_service_ms > 0.0 && o.mean_service_ms < 30_000.0,
        "mean_service_ms must be between 0 and 30000",
    )?;
    check(
        o.memory_fraction > 0.0 && o.memory_fraction < 1.0,
        "memory_fraction must be between 0 and 1",
    )?;
    check(
        o.leak_mb_per_hour.is_finite() && o.leak_mb_per_hour >= 0.0,
        "leak_mb_per_hour must be 0 or more",
    )?;
    check(
        o.h12_per_hour.is_finite() && o.h12_per_hour >= 0.0,
        "h12_per_hour must be 0 or more",
    )?;
    check(
        o.app_lines_per_request.is_finite() && (0.0..=10.0).contains(&o.app_lines_per_request),
        "app_lines_per_request must be 0..=10",
    )?;
    check(
        o.start_unix_s >= 0 && o.start_unix_s < 253_402_300_799 - 400 * 86_400,
        "start_unix_s must be a date between 1970 and 9999",
    )?;
    for t in &o.leak_types {
        if formation.process(t).is_none() {
            return Err(Error::invalid_input(format!(
                "leak type {t:?} is not in the formation; use one of its process types"
            )));
        }
    }

    let mut rng = SplitMix64::new(o.seed);
    let mut truths: Vec<(String, SynthTruth, f64, f64)> = Vec::new(); // + sums of memory, service
    let mut dynos: Vec<Dyno> = Vec::new();
    for p in &formation.processes {
        let leak = if o.leak_types.is_empty() || o.leak_types.contains(&p.process_type) {
            o.leak_mb_per_hour
        } else {
            0.0
        };
        let quota = p.size.memory_mb;
        let idx = truths.len();
        truths.push((
            p.process_type.clone(),
            SynthTruth {
                dynos: p.quantity,
                quota_mb: quota,
                memory_samples: 0,
                peak_memory_total_mb: 0.0,
                mean_memory_total_mb: 0.0,
                peak_load_avg_1m: 0.0,
                r14: 0,
                r15: 0,
                requests: 0,
                h12: 0,
                mean_rps: 0.0,
                mean_service_ms: 0.0,
                leak_mb_per_hour: leak,
            },
            0.0,
            0.0,
        ));
        for n in 1..=p.quantity {
            let base = quota * o.memory_fraction * (0.9 + 0.2 * rng.uniform());
            dynos.push(Dyno {
                type_idx: idx,
                source: format!("{}.{n}", p.process_type),
                dyno_id: format!(
                    "heroku.{}.{:08x}",
                    1_000_000 + rng.below(9_000_000),
                    rng.next_u64() as u32
                ),
                quota,
                hard_limit: p.size.hard_limit_mb().unwrap_or(quota * 2.0),
                base,
                phase_s: rng.below(o.metrics_interval_s),
                restart_s: rng.below(86_400),
                leak,
                episode_until: 0,
            });
        }
    }
    let web_dynos: Vec<usize> = dynos
        .iter()
        .enumerate()
        .filter(|(_, d)| d.source.starts_with("web."))
        .map(|(i, _)| i)
        .collect();
    // R14 episodes: (start second, dyno).
    let mut episodes: Vec<(u64, usize)> = (0..o.r14_episodes)
        .filter(|_| !dynos.is_empty())
        .map(|_| {
            (
                rng.below(o.duration_s),
                rng.below(dynos.len() as u64) as usize,
            )
        })
        .collect();
    episodes.sort_unstable();
    let mut next_episode = 0;

    let sigma = 0.6f64;
    let median_service = o.mean_service_ms / (sigma * sigma / 2.0).exp();
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, out),
        framing: o.framing,
        line: Vec::with_capacity(512),
        stamp: Vec::with_capacity(32),
        lines: 0,
        bytes: 0,
    };
    let io = |e: std::io::Error| {
        Error::invalid_input(format!(
            "cannot write the synthetic log: {e}; check the output path and free disk space"
        ))
    };
    let mut since_cycle = vec![0u64; dynos.len()];
    for t in 0..o.duration_s {
        let abs = o.start_unix_s + t as i64;
        let (y, mo, d) = civil_from_days(abs.div_euclid(86_400));
        let sod = abs.rem_euclid(86_400);
        w.stamp.clear();
        let _ = write!(
            w.stamp,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        );
        let hour = sod as f64 / 3600.0;
        let curve = 1.0 + o.daily_swing * (2.0 * PI * (hour - o.peak_hour_utc) / 24.0).cos();

        while next_episode < episodes.len() && episodes[next_episode].0 <= t {
            let di = episodes[next_episode].1;
            dynos[di].episode_until = t + 600;
            next_episode += 1;
        }

        // Runtime metrics, R14/R15 and daily cycling.
        for (di, dy) in dynos.iter_mut().enumerate() {
            since_cycle[di] += 1;
            if (t + dy.restart_s) % 86_400 == 0 && t > 0 {
                since_cycle[di] = 0;
                let _ = write!(w.line, "Cycling");
                w.emit(0, "heroku", &dy.source).map_err(io)?;
                let _ = write!(w.line, "State changed from up to starting");
                w.emit(1000, "heroku", &dy.source).map_err(io)?;
            }
            if (t + dy.phase_s) % o.metrics_interval_s != 0 {
                continue;
            }
            let is_web = dy.source.starts_with("web.");
            let per_dyno_rps = if is_web && !web_dynos.is_empty() {
                o.web_rps * curve / web_dynos.len() as f64
            } else {
                0.0
            };
            let load = if is_web {
                per_dyno_rps * o.mean_service_ms / 1000.0 * 1.3 + 0.05 * rng.uniform()
            } else {
                0.2 + 0.4 * curve + 0.1 * rng.normal().abs()
            };
            let load = round2(load.max(0.0));
            let hours = since_cycle[di] as f64 / 3600.0;
            let mut total = dy.base * (1.0 + 0.08 * (curve - 1.0))
                + dy.leak * hours
                + dy.quota * 0.01 * rng.normal();
            if t < dy.episode_until {
                total = total.max(dy.quota * (1.02 + 0.1 * rng.uniform()));
            }
            let total = round2(total.max(1.0));
            let swap = round2((total - dy.quota * 0.98).max(0.0));
            let rss = round2(total - swap);
            let cache = round2(dy.quota * 0.02 * rng.uniform());
            let micros = rng.below(1_000_000) as u32;
            let _ = write!(
                w.line,
                "source={} dyno={} sample#load_avg_1m={load:.2} sample#load_avg_5m={:.2} sample#load_avg_15m={:.2}",
                dy.source,
                dy.dyno_id,
                round2(load * 0.9),
                round2(load * 0.8)
            );
            w.emit(micros, "heroku", &dy.source).map_err(io)?;
            let _ = write!(
                w.line,
                "source={} dyno={} sample#memory_total={total:.2}MB sample#memory_rss={rss:.2}MB sample#memory_cache={cache:.2}MB sample#memory_swap={swap:.2}MB sample#memory_pgpgin={}pages sample#memory_pgpgout={}pages sample#memory_quota={:.2}MB",
                dy.source,
                dy.dyno_id,
                rng.below(1_000_000),
                rng.below(1_000_000),
                dy.quota
            );
            w.emit(micros, "heroku", &dy.source).map_err(io)?;
            let (_, truth, mem_sum, _) = &mut truths[dy.type_idx];
            truth.memory_samples += 1;
            truth.peak_memory_total_mb = truth.peak_memory_total_mb.max(total);
            truth.peak_load_avg_1m = truth.peak_load_avg_1m.max(load);
            *mem_sum += total;
            if total > dy.hard_limit {
                let _ = write!(w.line, "Error R15 (Memory quota vastly exceeded)");
                w.emit(micros, "heroku", &dy.source).map_err(io)?;
                truth.r15 += 1;
                let _ = write!(w.line, "Stopping process with SIGKILL");
                w.emit(micros, "heroku", &dy.source).map_err(io)?;
                since_cycle[di] = 0;
                dy.episode_until = 0;
            } else if total > dy.quota {
                let _ = write!(
                    w.line,
                    "Process running mem={:.0}MB({:.1}%)",
                    total,
                    total / dy.quota * 100.0
                );
                w.emit(micros, "heroku", &dy.source).map_err(io)?;
                let _ = write!(w.line, "Error R14 (Memory quota exceeded)");
                w.emit(micros, "heroku", &dy.source).map_err(io)?;
                truth.r14 += 1;
            }
        }

        // Router traffic for web.
        if web_dynos.is_empty() {
            continue;
        }
        let rate = o.web_rps * curve;
        let n = (rate + rng.uniform()).floor() as u64;
        let h12 = rng.uniform() < o.h12_per_hour / 3600.0;
        let total_n = n + u64::from(h12);
        for k in 0..total_n {
            let micros = (((k as f64 + rng.uniform()) / total_n as f64) * 1e6) as u32;
            let di = web_dynos[rng.below(web_dynos.len() as u64) as usize];
            let dy = &dynos[di];
            let path = PATHS[rng.below(PATHS.len() as u64) as usize];
            let rid = rng.next_u64();
            let ip = rng.next_u64();
            let fwd = format!(
                "{}.{}.{}.{}",
                ip & 255,
                (ip >> 8) & 255,
                (ip >> 16) & 255,
                (ip >> 24) & 255
            );
            let request_id = format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                rid as u32,
                (rid >> 32) as u16,
                (rid >> 48) & 0xfff,
                (ip >> 32) & 0xfff,
                ip & 0xffff_ffff_ffff
            );
            let truth_idx = dy.type_idx;
            let (service, line_is_h12) = if h12 && k == total_n - 1 {
                let _ = write!(
                    w.line,
                    "at=error code=H12 desc=\"Request timeout\" method=GET path=\"{path}\" host=myapp.herokuapp.com request_id={request_id} fwd=\"{fwd}\" dyno={} connect=0ms service=30000ms status=503 bytes=0 protocol=https",
                    dy.source
                );
                (30_000.0, true)
            } else {
                let service = (median_service * (sigma * rng.normal()).exp())
                    .round()
                    .clamp(1.0, 29_999.0);
                let r = rng.uniform();
                let status = if r < 0.90 {
                    200
                } else if r < 0.94 {
                    304
                } else if r < 0.97 {
                    302
                } else if r < 0.99 {
                    404
                } else {
                    500
                };
                let _ = write!(
                    w.line,
                    "at=info method=GET path=\"{path}\" host=myapp.herokuapp.com request_id={request_id} fwd=\"{fwd}\" dyno={} connect={}ms service={service:.0}ms status={status} bytes={} protocol=https",
                    dy.source,
                    rng.below(3),
                    200 + rng.below(20_000)
                );
                (service, false)
            };
            let source = dy.source.clone();
            w.emit(micros, "heroku", "router").map_err(io)?;
            let (_, truth, _, service_sum) = &mut truths[truth_idx];
            truth.requests += 1;
            *service_sum += service;
            if line_is_h12 {
                truth.h12 += 1;
            }
            if rng.uniform() < o.app_lines_per_request {
                let _ = write!(w.line, "Started GET \"{path}\" for {fwd}");
                w.emit(micros, "app", &source).map_err(io)?;
            }
        }
    }
    w.out.flush().map_err(io)?;
    let mut process_types = BTreeMap::new();
    for (name, mut truth, mem_sum, service_sum) in truths {
        if truth.memory_samples > 0 {
            truth.mean_memory_total_mb = mem_sum / truth.memory_samples as f64;
        }
        if truth.requests > 0 {
            truth.mean_service_ms = service_sum / truth.requests as f64;
        }
        truth.mean_rps = truth.requests as f64 / o.duration_s as f64;
        process_types.insert(name, truth);
    }
    Ok(SynthReport {
        options: o.clone(),
        lines: w.lines,
        bytes: w.bytes,
        process_types,
    })
}

/// Generates a synthetic log for `formation` into the file at `path` (gzip-compressed when the
/// name ends in `.gz`) and returns what it injected. A file that cannot be created or written is
/// `invalid_input` naming the path.
pub fn generate_file(
    formation: &Formation,
    options: &SynthOptions,
    path: &std::path::Path,
) -> Result<SynthReport> {
    let io_error = |what: &str, e: &std::io::Error| {
        Error::invalid_input(format!(
            "cannot {what} {}: {e}; check the path and permissions",
            path.display()
        ))
    };
    let file = std::fs::File::create(path).map_err(|e| io_error("create", &e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let report = generate(formation, options, &mut gz)?;
        gz.finish().map_err(|e| io_error("write", &e))?;
        Ok(report)
    } else {
        generate(formation, options, file)
    }
}

/// Parses a duration such as `14d`, `36h`, `90m`, `45s` or `3600` (seconds).
pub fn parse_duration(text: &str) -> Result<u64> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'd')) => (&t[..i], 86_400),
        Some((i, 'h')) => (&t[..i], 3600),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 's')) => (&t[..i], 1),
        _ => (t, 1),
    };
    match num.parse::<u64>() {
        Ok(n) if n > 0 && n.checked_mul(mult).is_some() => Ok(n * mult),
        _ => Err(Error::invalid_input(format!(
            "duration {text:?} is not valid; use a whole number with d, h, m or s, e.g. 14d"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formation() -> Formation {
        Formation::from_json(
            r#"{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}"#,
        )
        .unwrap()
    }

    #[test]
    fn options_from_json_and_generate_file() {
        let o = SynthOptions::from_json(r#"{"duration_s": 600, "seed": 3}"#).unwrap();
        assert_eq!((o.duration_s, o.seed, o.web_rps), (600, 3, 5.0));
        let err = SynthOptions::from_json(r#"{"durations": 1}"#).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        let dir = std::env::temp_dir();
        let plain = dir.join(format!("dynoshift-synth-{}.log", std::process::id()));
        let gz = dir.join(format!("dynoshift-synth-{}.log.gz", std::process::id()));
        let r = generate_file(&formation(), &o, &plain).unwrap();
        assert_eq!(std::fs::metadata(&plain).unwrap().len(), r.bytes);
        let rz = generate_file(&formation(), &o, &gz).unwrap();
        assert_eq!(rz, r);
        assert_eq!(std::fs::read(&gz).unwrap()[..2], [0x1f, 0x8b]);
        std::fs::remove_file(&plain).unwrap();
        std::fs::remove_file(&gz).unwrap();
        let missing = dir.join("dynoshift-no-such-dir/x.log");
        let err = generate_file(&formation(), &o, &missing).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.message().contains("dynoshift-no-such-dir"));
    }

    #[test]
    fn deterministic_from_the_seed() {
        let opts = SynthOptions {
            duration_s: 600,
            ..SynthOptions::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = generate(&formation(), &opts, &mut a).unwrap();
        generate(&formation(), &opts, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(ra.bytes, a.len() as u64);
        assert_eq!(ra.lines, a.iter().filter(|&&c| c == b'\n').count() as u64);
        let other = SynthOptions { seed: 2, ..opts };
        let mut c = Vec::new();
        generate(&formation(), &other, &mut c).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn every_line_parses() {
        for framing in [SynthFraming::Text, SynthFraming::Drain] {
            let opts = SynthOptions {
                duration_s: 900,
                framing,
                r14_episodes: 3,
                h12_per_hour: 100.0,
                ..SynthOptions::default()
            };
            let mut out = Vec::new();
            let report = generate(&formation(), &opts, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            for line in text.lines() {
                let parsed = crate::heroku::logs::parse_line(line);
                assert!(!parsed.is_unparsed(), "{line} -> {parsed:?}");
            }
            assert!(report.process_types["web"].requests > 0);
            assert!(report.process_types["web"].h12 > 0);
        }
    }

    #[test]
    fn durations_and_bad_options() {
        assert_eq!(parse_duration("14d").unwrap(), 14 * 86_400);
        assert_eq!(parse_duration("90m").unwrap(), 5400);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("0d").is_err());
        let bad = SynthOptions {
            duration_s: 0,
            ..SynthOptions::default()
        };
        assert!(generate(&formation(), &bad, std::io::sink()).is_err());
        let bad = SynthOptions {
            leak_types: vec!["clock".into()],
            ..SynthOptions::default()
        };
        let err = generate(&formation(), &bad, std::io::sink()).unwrap_err();
        assert!(err.message().contains("clock"));
    }
}

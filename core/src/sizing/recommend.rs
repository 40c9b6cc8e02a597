//! The recommender: formation + profiles + policy → [`SizingReport`].

use crate::error::Result;
use crate::heroku::dynos::Cpu;
use crate::heroku::formation::{Formation, Process};
use crate::telemetry::{Distribution, ProcessProfile, Profiles};

use super::policy::{SizingPolicy, Strategy};
use super::{
    Confidence, Explained, Explanation, HpaSizing, ProcessSizing, SizingReport, human_duration,
};

/// Heroku emits runtime metrics about every 20 s; VPA assumes one sample a minute.
pub const HEROKU_SAMPLE_INTERVAL_S: f64 = 20.0;
/// VPA's default minimum CPU per pod, millicores.
pub const VPA_CPU_MIN_MILLICORES: u32 = 25;
/// VPA's default minimum memory per pod, MiB.
pub const VPA_MEMORY_MIN_MIB: u32 = 250;
/// VPA's safety margin.
const VPA_MARGIN: f64 = 1.15;
/// VPA histograms: buckets grow 5%; CPU's first bucket is 0.01 core, memory's 1e7 bytes.
const VPA_BUCKET_RATIO: f64 = 1.05;
const VPA_CPU_FIRST_BUCKET_CORES: f64 = 0.01;
const VPA_MEMORY_FIRST_BUCKET_MIB: f64 = 1e7 / 1_048_576.0;
/// VPA keeps 8 days of daily memory peaks.
const VPA_MEMORY_DAYS: usize = 8;
/// KRR's buffer and its buffer after an OOM kill.
const KRR_MEMORY_BUFFER: f64 = 1.15;
const KRR_OOM_BUFFER: f64 = 1.25;
const KRR_CPU_MIN_MILLICORES: u32 = 10;
const KRR_MEMORY_MIN_MIB: u32 = 100;
const KRR_MIN_POINTS: u64 = 100;
const KRR_MIN_HOURS: f64 = 3.0;
/// The history after which a recommendation is called confident.
const CONFIDENT_DAYS: f64 = 7.0;

/// VPA's confidence in days of history: `min(days covered, samples / 1440)`, where the sample
/// count is first normalised from Heroku's 20 s interval to VPA's one sample a minute (VPA would
/// otherwise count three days of samples for every day of Heroku data).
pub fn vpa_confidence(span_days: f64, samples: u64) -> f64 {
    let per_minute = 60.0 / HEROKU_SAMPLE_INTERVAL_S;
    span_days.min(samples as f64 / per_minute / 1440.0).max(0.0)
}

/// VPA's `ExponentialHistogramOptions`: bucket `i` starts at `first × (ratio^i − 1)/(ratio − 1)`;
/// a percentile reads as the end of its bucket (so up to 5% high).
pub(super) fn vpa_bucket_end(value: f64, first: f64) -> f64 {
    if value <= 0.0 {
        return first;
    }
    let r = VPA_BUCKET_RATIO;
    let start = |i: f64| first * (r.powf(i) - 1.0) / (r - 1.0);
    let mut i = (value * (r - 1.0) / first + 1.0).ln() / r.ln();
    i = i.floor();
    // Guard the floating point at bucket edges.
    while start(i) > value {
        i -= 1.0;
    }
    while start(i + 1.0) <= value {
        i += 1.0;
    }
    start(i + 1.0)
}

fn ceil_to(x: f64, step: u32) -> u32 {
    let step = f64::from(step.max(1));
    let v = ((x / step) - 1e-9).ceil().max(0.0) * step;
    v.min(f64::from(u32::MAX)) as u32
}

fn fmt(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

/// What the data behind one process type is worth.
struct Data<'a> {
    prof: Option<&'a ProcessProfile>,
    window: Option<String>,
    seconds: f64,
    confidence: Confidence,
    warnings: Vec<String>,
}

impl<'a> Data<'a> {
    fn new(prof: Option<&'a ProcessProfile>) -> Data<'a> {
        let Some(prof) = prof else {
            return Data {
                prof: None,
                window: None,
                seconds: 0.0,
                confidence: Confidence::Low,
                warnings: vec![],
            };
        };
        let seconds = prof.span.as_ref().map_or(0.0, |s| s.seconds);
        let window = prof
            .span
            .as_ref()
            .map(|s| format!("{} .. {} ({})", s.start, s.end, human_duration(s.seconds)));
        let samples = prof.memory.samples.max(prof.load_samples);
        let mut warnings = vec![];
        // Samples come every ~20 s, so a window "of 7 days" is a little short of it: an hour of
        // tolerance keeps a full week a week.
        let days = (seconds + 3600.0) / 86_400.0;
        if days < CONFIDENT_DAYS {
            warnings.push(format!(
                "only {} of data — collect 7 days for a confident recommendation",
                human_duration(seconds)
            ));
        }
        let confidence = if days < 1.0 || samples < 100 {
            Confidence::Low
        } else if days < CONFIDENT_DAYS {
            Confidence::Medium
        } else {
            Confidence::High
        };
        Data {
            prof: Some(prof),
            window,
            seconds,
            confidence,
            warnings,
        }
    }

    fn explain(&self, rule: String, statistic: &str, value: Option<f64>, samples: u64) -> Expl {
        Expl(Explanation {
            rule,
            statistic: statistic.to_owned(),
            value,
            samples,
            window: self.window.clone(),
            confidence: if samples == 0 {
                Confidence::Low
            } else {
                self.confidence
            },
            warnings: if samples == 0 {
                vec![]
            } else {
                self.warnings.clone()
            },
        })
    }
}

/// An explanation under construction.
struct Expl(Explanation);

impl Expl {
    fn warn(mut self, w: impl Into<String>) -> Expl {
        self.0.warnings.push(w.into());
        self
    }
    fn warn_all(mut self, ws: &[String]) -> Expl {
        self.0.warnings.extend(ws.iter().cloned());
        self
    }
    fn low(mut self) -> Expl {
        self.0.confidence = Confidence::Low;
        self
    }
    fn of<T>(self, value: T, unit: &str) -> Explained<T> {
        Explained {
            value,
            unit: unit.to_owned(),
            explanation: self.0,
        }
    }
}

/// The dyno's CPU in cores, and how it was derived.
fn dyno_cores(p: &Process, policy: &SizingPolicy) -> (f64, String) {
    match p.size.cpu {
        Cpu::Shared(n) => {
            let c = f64::from(n) * policy.shared_cores_per_unit;
            (
                c,
                format!(
                    "{} has a shared CPU ({n}x share ≈ {} cores at shared_cores_per_unit {})",
                    p.size.name,
                    fmt(c),
                    fmt(policy.shared_cores_per_unit)
                ),
            )
        }
        Cpu::Dedicated(v) => (v, format!("{} has {} dedicated vCPU", p.size.name, fmt(v))),
    }
}

const LOAD_NOTE: &str = "an estimate: Heroku reports load average (run-queue length), not CPU \
                         seconds, so cores used ≈ min(load_avg_1m, the dyno's CPU)";

/// Sizes every process type of `formation` from `profiles` under `policy`.
///
/// An invalid policy is `invalid_input`. Process types without telemetry get fallbacks (the
/// dyno's quota and CPU) with low confidence and a warning; profiles of types that are not in
/// the formation (one-off `run` dynos, ...) are listed in the report's warnings and not sized.
pub fn recommend(
    formation: &Formation,
    profiles: &Profiles,
    policy: &SizingPolicy,
) -> Result<SizingReport> {
    policy.validate()?;
    let mut warnings: Vec<String> = profiles
        .input_issues
        .iter()
        .map(|i| {
            format!(
                "{}; every size here comes only from the data before the break and may be too low",
                i.warning()
            )
        })
        .collect();
    for name in profiles.process_types.keys() {
        if formation.process(name).is_none() {
            warnings.push(format!(
                "telemetry for {name:?} was ignored: it is not a process type of the formation \
                 (one-off or removed dynos)"
            ));
        }
    }
    for name in policy.replicas.keys() {
        if formation.process(name).is_none() {
            warnings.push(format!(
                "policy.replicas names {name:?}, which is not a process type of the formation; \
                 it was not used"
            ));
        }
    }
    let processes = formation
        .processes
        .iter()
        .map(|p| size_process(p, profiles.process_types.get(&p.process_type), policy))
        .collect();
    Ok(SizingReport {
        strategy: policy.strategy,
        policy: policy.clone(),
        window: profiles.span.clone(),
        processes,
        warnings,
        input_issues: profiles.input_issues.clone(),
    })
}

fn size_process(
    p: &Process,
    prof: Option<&ProcessProfile>,
    policy: &SizingPolicy,
) -> ProcessSizing {
    let data = Data::new(prof);
    let (cpu_req, memory) = match policy.strategy {
        Strategy::Dynoshift => (
            cpu_dynoshift(p, &data, policy),
            memory_dynoshift(p, &data, policy),
        ),
        Strategy::Vpa => (cpu_vpa(p, &data, policy), memory_vpa(p, &data)),
        Strategy::Krr => (cpu_krr(p, &data, policy), memory_krr(p, &data)),
    };
    let cpu_limit = match (policy.strategy, policy.cpu_limit_factor) {
        (Strategy::Dynoshift, Some(f)) => {
            let v = ceil_to(f64::from(cpu_req.value) * f, policy.cpu_rounding_millicores);
            Some(
                Expl(Explanation {
                    rule: format!(
                        "CPU request {}m × cpu_limit_factor {} = {v}m (rounded up to {}m)",
                        cpu_req.value,
                        fmt(f),
                        policy.cpu_rounding_millicores
                    ),
                    statistic: "CPU request".into(),
                    value: Some(f64::from(cpu_req.value)),
                    samples: cpu_req.explanation.samples,
                    window: cpu_req.explanation.window.clone(),
                    confidence: cpu_req.explanation.confidence,
                    warnings: vec![],
                })
                .of(v, "millicores"),
            )
        }
        _ => None,
    };
    let limit_rule = match policy.strategy {
        Strategy::Dynoshift => {
            "memory limit = request: memory cannot be taken back without killing the process, \
             so the pod is sized for its peak and never overcommits the node"
        }
        Strategy::Vpa => {
            "memory limit = VPA target (Guaranteed QoS for memory, as Goldilocks does)"
        }
        Strategy::Krr => "memory limit = request (KRR's simple strategy)",
    };
    let mut memory_limit = memory.clone();
    memory_limit.explanation.rule = format!("{limit_rule}; {}", memory.explanation.rule);
    let (replicas, hpa) = replicas(p, &data, policy);
    ProcessSizing {
        process_type: p.process_type.clone(),
        dyno_size: p.size.name.clone(),
        quantity: p.quantity,
        command: p.command.clone(),
        cpu_request_millicores: cpu_req,
        cpu_limit_millicores: cpu_limit,
        memory_request_mib: memory,
        memory_limit_mib: memory_limit,
        replicas,
        hpa,
    }
}

// ---- CPU -------------------------------------------------------------------------------------

fn load_of<'a>(data: &Data<'a>) -> Option<&'a Distribution> {
    data.prof.and_then(|p| p.load_avg_1m.as_ref())
}

/// The warning of a fallback: no `what` samples for the process type, and how to get them.
fn no_samples_warning(what: &str, p: &Process) -> String {
    format!(
        "no {what} samples for {}: enable log-runtime-metrics (heroku labs:enable \
         log-runtime-metrics) and collect 7 days",
        p.process_type
    )
}

fn cpu_fallback(p: &Process, data: &Data<'_>, policy: &SizingPolicy) -> Explained<u32> {
    let (cores, how) = dyno_cores(p, policy);
    let v = ceil_to(cores * 1000.0, policy.cpu_rounding_millicores);
    data.explain(
        format!("no load samples: CPU request = the dyno's CPU; {how}"),
        "dyno CPU",
        Some(cores),
        0,
    )
    .warn(no_samples_warning("load_avg_1m", p))
    .low()
    .of(v, "millicores")
}

fn cpu_dynoshift(p: &Process, data: &Data<'_>, policy: &SizingPolicy) -> Explained<u32> {
    let Some(load) = load_of(data) else {
        return cpu_fallback(p, data, policy);
    };
    let q = policy.cpu_percentile;
    let load_q = load.quantile(q);
    let (cap, how) = dyno_cores(p, policy);
    let cores = load_q.min(cap);
    let raw = cores * 1000.0;
    let v = ceil_to(
        raw.max(f64::from(policy.min_cpu_millicores)),
        policy.cpu_rounding_millicores,
    );
    let label = format!("load_avg_1m p{}", fmt(q * 100.0));
    let mut e = data.explain(
        format!(
            "cores ≈ min({label} {}, dyno CPU {}) = {} → {}m, at least {}m, rounded up to {}m \
             = {v}m; {how}; {LOAD_NOTE}",
            fmt(load_q),
            fmt(cap),
            fmt(cores),
            fmt(raw),
            policy.min_cpu_millicores,
            policy.cpu_rounding_millicores
        ),
        &label,
        Some(load_q),
        load.count,
    );
    if load_q > cap {
        e = e.warn(format!(
            "{label} {} is above the dyno's CPU (≈{} cores): the dyno was CPU-bound, so the real \
             demand may be higher than this estimate — watch throttling after the move",
            fmt(load_q),
            fmt(cap)
        ));
    }
    e.of(v, "millicores")
}

fn cpu_vpa(p: &Process, data: &Data<'_>, policy: &SizingPolicy) -> Explained<u32> {
    let Some(load) = load_of(data) else {
        return cpu_fallback(p, data, policy);
    };
    let (cap, how) = dyno_cores(p, policy);
    let conf = vpa_confidence(data.seconds / 86_400.0, load.count);
    let at = |q: f64| vpa_bucket_end(load.quantile(q).min(cap), VPA_CPU_FIRST_BUCKET_CORES);
    let target = at(0.9) * VPA_MARGIN;
    let lower = at(0.5) * VPA_MARGIN * (1.0 + 0.001 / conf.max(1e-9)).powi(-2);
    let upper = at(0.95) * VPA_MARGIN * (1.0 + 1.0 / conf.max(1e-9));
    let v = ceil_to(target * 1000.0, 1).max(VPA_CPU_MIN_MILLICORES);
    data.explain(
        format!(
            "VPA: p90 of estimated cores (bucket end {}) × 1.15 = {}m, at least {}m = {v}m; \
             bounds {}m .. {}m at confidence {} days (samples normalised from 20 s to one a \
             minute); no time decay applied to CPU samples; {how}; {LOAD_NOTE}",
            fmt(at(0.9)),
            fmt(target * 1000.0),
            VPA_CPU_MIN_MILLICORES,
            fmt((lower * 1000.0).max(f64::from(VPA_CPU_MIN_MILLICORES))),
            fmt((upper * 1000.0).max(f64::from(VPA_CPU_MIN_MILLICORES))),
            fmt(conf)
        ),
        "load_avg_1m p90",
        Some(load.p90),
        load.count,
    )
    .of(v, "millicores")
}

fn cpu_krr(p: &Process, data: &Data<'_>, policy: &SizingPolicy) -> Explained<u32> {
    let Some(load) = load_of(data) else {
        return cpu_fallback(p, data, policy);
    };
    let (cap, how) = dyno_cores(p, policy);
    // KRR: p95 per pod, the highest pod wins.
    let prof = data.prof.expect("load implies a profile");
    let (dyno, per_dyno) = prof
        .dynos
        .iter()
        .filter_map(|(n, d)| d.load_avg_1m.as_ref().map(|l| (n.as_str(), l.p95)))
        .fold(("all dynos", load.p95), |best, (n, v)| {
            if v > best.1 || best.0 == "all dynos" {
                (n, v)
            } else {
                best
            }
        });
    let cores = per_dyno.min(cap);
    let v = ceil_to(cores * 1000.0, 1).max(KRR_CPU_MIN_MILLICORES);
    let mut e = data.explain(
        format!(
            "KRR: p95 of estimated cores of the busiest dyno ({dyno}: {}) = {}m, at least {}m \
             = {v}m, no CPU limit; {how}; {LOAD_NOTE}",
            fmt(cores),
            fmt(cores * 1000.0),
            KRR_CPU_MIN_MILLICORES
        ),
        "load_avg_1m p95 (busiest dyno)",
        Some(per_dyno),
        load.count,
    );
    if load.count < KRR_MIN_POINTS || data.seconds < KRR_MIN_HOURS * 3600.0 {
        e = e
            .warn("KRR itself would not recommend yet: it needs ≥ 100 points and ≥ 3 h of history");
    }
    e.of(v, "millicores")
}

// ---- memory ----------------------------------------------------------------------------------

fn memory_fallback(p: &Process, data: &Data<'_>, min: u32, step: u32) -> Explained<u32> {
    let v = ceil_to(p.size.memory_mb.max(f64::from(min)), step);
    data.explain(
        format!(
            "no memory samples: memory = the dyno's quota {} MiB ({})",
            fmt(p.size.memory_mb),
            p.size.name
        ),
        "dyno memory quota",
        Some(p.size.memory_mb),
        0,
    )
    .warn(no_samples_warning("memory", p))
    .low()
    .of(v, "MiB")
}

/// The observed demand and why: (MiB, statistic label, statistic value, samples, warnings).
fn observed_demand(
    p: &Process,
    prof: &ProcessProfile,
    q: f64,
    label: &str,
) -> Option<(f64, String, f64, u64, Vec<String>)> {
    let total = prof.memory.total_mb.as_ref()?;
    let stat = |d: &Distribution| if q >= 1.0 { d.max } else { d.quantile(q) };
    let total_q = stat(total);
    let mut demand = total_q;
    let mut why = format!("memory_total {label} {} MiB (rss + swap)", fmt(total_q));
    let mut warnings = vec![];
    if let Some(rss) = &prof.memory.rss_mb {
        let r = stat(rss);
        if r > demand {
            demand = r;
            why = format!("memory_rss {label} {} MiB (above memory_total)", fmt(r));
        }
    }
    if let Some(swap) = &prof.memory.swap_mb
        && swap.max > 0.0
    {
        warnings.push(format!(
            "swap up to {} MiB was in use on Heroku: Kubernetes has no swap, so it is counted as \
             RAM (memory_total includes it)",
            fmt(swap.max)
        ));
    }
    let quota = prof.memory.quota_mb.unwrap_or(p.size.memory_mb);
    let errs = &prof.memory_errors;
    if errs.r14 > 0 {
        if quota > demand {
            demand = quota;
            why = format!(
                "the quota {} MiB (R14: demand was at least the quota)",
                fmt(quota)
            );
        }
        let first = errs
            .events
            .iter()
            .find(|e| e.code == "R14")
            .and_then(|e| e.time.clone())
            .map_or(String::new(), |t| format!(", first at {t}"));
        warnings.push(format!(
            "R14 (memory quota exceeded) logged {} time(s){first}: demand was at least the {} MiB quota, \
             so the recommendation is above it",
            errs.r14,
            fmt(quota)
        ));
    }
    if errs.r15 > 0 {
        let hard = p.size.hard_limit_mb().unwrap_or(quota);
        if hard > demand {
            demand = hard;
            why = format!(
                "the R15 kill line {} MiB (the dyno was killed above it)",
                fmt(hard)
            );
        }
        warnings.push(format!(
            "R15 (memory quota vastly exceeded) logged {} time(s): the dyno was killed, so demand was at \
             least {} MiB and may be higher — check for a leak",
            errs.r15,
            fmt(hard)
        ));
    }
    Some((demand, why, total_q, total.count, warnings))
}

fn memory_dynoshift(p: &Process, data: &Data<'_>, policy: &SizingPolicy) -> Explained<u32> {
    let stat = policy.memory_statistic;
    let Some((demand, why, value, samples, warnings)) = data
        .prof
        .and_then(|prof| observed_demand(p, prof, stat.quantile(), stat.label()))
    else {
        return memory_fallback(p, data, policy.min_memory_mib, policy.memory_rounding_mib);
    };
    let (scale, why_scale) = match data.confidence {
        Confidence::High => (1.0, "7 days of data or more"),
        Confidence::Medium => (2.0, "doubled: under 7 days of data"),
        Confidence::Low => (4.0, "quadrupled: under a day of data"),
    };
    let margin = policy.memory_margin * scale;
    let with_margin = demand * (1.0 + margin);
    let v = ceil_to(
        with_margin.max(f64::from(policy.min_memory_mib)),
        policy.memory_rounding_mib,
    );
    data.explain(
        format!(
            "demand = {why} → × (1 + margin {} ({why_scale})) = {} MiB, at least {} MiB, rounded \
             up to {} MiB = {v} MiB; never below the observed demand",
            fmt(margin),
            fmt(with_margin),
            policy.min_memory_mib,
            policy.memory_rounding_mib
        ),
        &format!("memory_total {}", stat.label()),
        Some(value),
        samples,
    )
    .warn_all(&warnings)
    .of(v, "MiB")
}

fn memory_vpa(p: &Process, data: &Data<'_>) -> Explained<u32> {
    let Some(prof) = data.prof.filter(|pr| pr.memory.total_mb.is_some()) else {
        return memory_fallback(p, data, VPA_MEMORY_MIN_MIB, 1);
    };
    // One peak per day, the last 8 days, weights halving every 24 h back from the last day.
    let days: Vec<f64> = prof
        .daily
        .iter()
        .filter_map(|d| d.memory_total_mb_max)
        .collect();
    let mut peaks: Vec<(f64, f64)> = days
        .iter()
        .rev()
        .take(VPA_MEMORY_DAYS)
        .enumerate()
        .map(|(age, v)| (*v, 0.5f64.powi(age as i32)))
        .collect();
    let mut oom_note = String::new();
    if prof.memory_errors.r15 > 0 {
        // VPA after an OOM kill: a sample of max(used + 100 MiB, used × 1.2).
        let used = p.size.hard_limit_mb().unwrap_or(p.size.memory_mb);
        let bumped = (used + 100.0).max(used * 1.2);
        peaks.push((bumped, 1.0));
        oom_note = format!(
            "; R15 counted as an OOM: a peak of {} MiB added",
            fmt(bumped)
        );
    }
    peaks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total_w: f64 = peaks.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    let mut p90 = peaks.last().map_or(0.0, |x| x.0);
    for (v, w) in &peaks {
        acc += w;
        if acc >= 0.9 * total_w {
            p90 = *v;
            break;
        }
    }
    let bucket = vpa_bucket_end(p90, VPA_MEMORY_FIRST_BUCKET_MIB);
    let target = bucket * VPA_MARGIN;
    let v = ceil_to(target, 1).max(VPA_MEMORY_MIN_MIB);
    let samples = prof.memory.total_mb.as_ref().map_or(0, |d| d.count);
    let conf = vpa_confidence(data.seconds / 86_400.0, samples);
    data.explain(
        format!(
            "VPA: weighted p90 of {} daily memory_total peaks (24 h half-life, last 8 days) {} MiB \
             → bucket end {} × 1.15 = {} MiB, at least {} MiB = {v} MiB; upper bound × (1 + 1/{} \
             days of confidence){oom_note}",
            peaks.len(),
            fmt(p90),
            fmt(bucket),
            fmt(target),
            VPA_MEMORY_MIN_MIB,
            fmt(conf)
        ),
        "memory_total daily peaks p90",
        Some(p90),
        samples,
    )
    .of(v, "MiB")
}

fn memory_krr(p: &Process, data: &Data<'_>) -> Explained<u32> {
    let Some(prof) = data.prof.filter(|pr| pr.memory.total_mb.is_some()) else {
        return memory_fallback(p, data, KRR_MEMORY_MIN_MIB, 1);
    };
    let total = prof.memory.total_mb.as_ref().expect("checked above");
    let killed = prof.memory_errors.r15 > 0;
    let buffer = if killed {
        KRR_OOM_BUFFER
    } else {
        KRR_MEMORY_BUFFER
    };
    let raw = total.max * buffer;
    let v = ceil_to(raw, 1).max(KRR_MEMORY_MIN_MIB);
    let mut e = data.explain(
        format!(
            "KRR: max memory_total {} MiB × {} = {} MiB, at least {} MiB = {v} MiB{}",
            fmt(total.max),
            fmt(buffer),
            fmt(raw),
            KRR_MEMORY_MIN_MIB,
            if killed {
                " (× 1.25: the dyno was killed, R15)"
            } else {
                ""
            }
        ),
        "memory_total max",
        Some(total.max),
        total.count,
    );
    if total.count < KRR_MIN_POINTS || data.seconds < KRR_MIN_HOURS * 3600.0 {
        e = e
            .warn("KRR itself would not recommend yet: it needs ≥ 100 points and ≥ 3 h of history");
    }
    e.of(v, "MiB")
}

// ---- replicas and HPA ------------------------------------------------------------------------

fn pods(n: u32) -> &'static str {
    if n == 1 { "pod" } else { "pods" }
}

fn replicas(
    p: &Process,
    data: &Data<'_>,
    policy: &SizingPolicy,
) -> (Explained<u32>, Option<HpaSizing>) {
    let fixed = |rule: String, v: u32, warn: Option<String>| {
        let mut e = Expl(Explanation {
            rule,
            statistic: "formation quantity".into(),
            value: Some(f64::from(p.quantity)),
            samples: 0,
            window: data.window.clone(),
            confidence: Confidence::High,
            warnings: vec![],
        });
        if let Some(w) = warn {
            e = e.warn(w);
        }
        e.of(v, "pods")
    };
    if let Some(&n) = policy.replicas.get(&p.process_type) {
        return (
            fixed(
                format!("given by the policy: {n} {}; no autoscaling", pods(n)),
                n,
                None,
            ),
            None,
        );
    }
    if p.quantity == 0 {
        return (
            fixed(
                "scaled to 0 on Heroku: 0 pods".into(),
                0,
                Some(format!(
                    "{} is scaled to 0 on Heroku; the Deployment is created with 0 replicas",
                    p.process_type
                )),
            ),
            None,
        );
    }
    if p.process_type != "web" {
        return (
            fixed(
                format!(
                    "keeps the formation's quantity ({} {}): only web receives router traffic \
                     to size from; set policy.replicas to change it; no autoscaling",
                    p.quantity,
                    pods(p.quantity)
                ),
                p.quantity,
                None,
            ),
            None,
        );
    }
    let u = policy.target_utilization;
    let target = Expl(Explanation {
        rule: format!(
            "policy target_utilization {}: the HPA adds pods when mean CPU use passes {}% of the \
             request",
            fmt(u),
            fmt((u * 100.0).round())
        ),
        statistic: "policy".into(),
        value: Some(u),
        samples: 0,
        window: None,
        confidence: Confidence::High,
        warnings: vec![],
    })
    .of((u * 100.0).round() as u32, "percent");
    let router = data.prof.and_then(|pr| pr.router.as_ref().map(|r| (pr, r)));
    let inflight = router
        .and_then(|(pr, r)| Some((pr, r, r.concurrency.total.as_ref()?, r.service_ms.as_ref()?)));
    let Some((prof, router, total, service)) = inflight.filter(|x| x.2.max > 0.0) else {
        let n = p.quantity.max(policy.min_web_replicas);
        let warn = "no router data for web: replicas from the formation; HPA bounds are the \
                    formation's quantity and twice it"
            .to_owned();
        let rep = fixed(
            format!(
                "max(formation quantity {}, min_web_replicas {}) = {n}",
                p.quantity, policy.min_web_replicas
            ),
            n,
            Some(warn.clone()),
        );
        let hpa = HpaSizing {
            min_replicas: fixed(format!("= replicas {n}"), n, Some(warn.clone())),
            max_replicas: fixed(format!("2 × {n}"), n * 2, Some(warn)),
            target_cpu_utilization_percent: target,
        };
        return (rep, Some(hpa));
    };
    // Per-pod concurrency: given, or what the busiest dyno carried at the peak minute.
    let (conc, conc_why) = match policy.web_concurrency {
        Some(c) => (c, format!("policy web_concurrency {}", fmt(c))),
        None => {
            let served: u64 = prof.dynos.values().map(|d| d.requests).sum();
            let (busiest, top) = prof
                .dynos
                .iter()
                .map(|(n, d)| (n.as_str(), d.requests))
                .max_by_key(|x| x.1)
                .unwrap_or(("web", 0));
            let share = if served > 0 {
                top as f64 / served as f64
            } else {
                1.0
            };
            (
                total.max * share,
                format!(
                    "concurrency inferred from the busiest dyno ({busiest}: {:.0}% of requests) at \
                     the peak minute ({} in flight across web) = {} per pod",
                    share * 100.0,
                    fmt(total.max),
                    fmt(total.max * share)
                ),
            )
        }
    };
    let per_pod = conc * u;
    let need = |l: f64| ((l / per_pod) - 1e-9).ceil().max(0.0) as u32;
    let service_s = service.mean / 1000.0;
    // Hourly in-flight from full hours (the first and last may be partial).
    let hours: Vec<f64> = {
        let h = &prof.hourly;
        let inner = if h.len() > 2 {
            &h[1..h.len() - 1]
        } else {
            &h[..]
        };
        inner
            .iter()
            .map(|iv| iv.requests as f64 / 3600.0 * service_s)
            .collect()
    };
    let trough = hours.iter().copied().fold(f64::INFINITY, f64::min);
    let trough = if trough.is_finite() {
        trough
    } else {
        total.p50
    };
    let min_n = need(trough).max(policy.min_web_replicas);
    let max_n = need(total.max).max(min_n);
    let steady = need(total.p95).clamp(min_n, max_n);
    let samples = router.requests;
    let mk = |rule: String, stat: &str, value: f64, v: u32| {
        data.explain(
            format!("{rule}; Little's law: in flight = arrival rate × service time; {conc_why}, planned at {}% = {} per pod", fmt((u * 100.0).round()), fmt(per_pod)),
            stat,
            Some(value),
            samples,
        )
        .of(v, "pods")
    };
    let rep = mk(
        format!(
            "p95 minute in flight {} / {} per pod → {}, kept within the HPA bounds {min_n}..{max_n} = {steady}",
            fmt(total.p95),
            fmt(per_pod),
            need(total.p95)
        ),
        "in-flight requests p95 (per minute)",
        total.p95,
        steady,
    );
    let hpa = HpaSizing {
        min_replicas: mk(
            format!(
                "quietest full hour: {} in flight / {} per pod → {}, at least min_web_replicas {} = {min_n}",
                fmt(trough),
                fmt(per_pod),
                need(trough),
                policy.min_web_replicas
            ),
            "in-flight requests, quietest hour",
            trough,
            min_n,
        ),
        max_replicas: mk(
            format!(
                "peak minute: {} in flight / {} per pod = {max_n}",
                fmt(total.max),
                fmt(per_pod)
            ),
            "in-flight requests, peak minute",
            total.max,
            max_n,
        ),
        target_cpu_utilization_percent: target,
    };
    (rep, Some(hpa))
}

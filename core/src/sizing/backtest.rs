//! Backtest: fit a recommendation on the first part of a log, replay the rest against it.
//!
//! The log is split by time with [`LogSplitter`] (a [`Write`] sink, so the synthetic generator
//! can stream into it): records before the cutoff go to an [`Ingest`] (the fit profiles),
//! runtime-metrics samples from the cutoff on are kept in time order as an [`EvalSet`]. Each
//! physical line goes to the side of its first record's timestamp; lines without a timestamp go
//! to the fit side.
//!
//! Per process type and strategy the backtest reports:
//! - **memory slack** = 1 − mean(`memory_total`) / memory request: the unused share of what the
//!   pod reserves (Autopilot's measure; its target is ≤ 25%);
//! - **memory exceedances** = evaluation samples above the memory limit (each would be an OOM
//!   kill on Kubernetes);
//! - **CPU slack** = mean(max(0, request − cores used)) / request, with cores used estimated as
//!   min(load_avg_1m, the dyno's CPU);
//! - **CPU minutes above request** = distinct dyno-minutes with a sample above the request (CPU
//!   is compressible: those minutes are throttled only if the node is busy).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::heroku::dynos::Cpu;
use crate::heroku::formation::Formation;
use crate::heroku::logs::{self, Msg};
use crate::heroku::synth::{SynthOptions, SynthReport, generate};
use crate::telemetry::{Ingest, Profiles, Repairs, TimeSpan};

use super::policy::{SizingPolicy, Strategy};
use super::recommend::recommend;

/// One runtime-metrics sample of the evaluation part (a load line or a memory line).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalSample {
    /// Index into [`EvalSet::sources`].
    pub source: u32,
    /// Unix ms.
    pub time_ms: i64,
    /// `memory_total`, MiB.
    pub memory_total_mb: Option<f64>,
    /// `load_avg_1m`.
    pub load_avg_1m: Option<f64>,
}

/// The evaluation part of a split log: per process type, its samples in time order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalSet {
    /// Dyno sources (`web.1`) that samples point to.
    pub sources: Vec<String>,
    /// Samples by process type, sorted by time.
    pub samples: BTreeMap<String, Vec<EvalSample>>,
    /// First and last sample.
    pub span: Option<TimeSpan>,
}

/// Splits a log stream at a time: the part before feeds an [`Ingest`], the part after becomes
/// an [`EvalSet`]. Feed it with [`LogSplitter::feed`] or as an [`std::io::Write`].
#[derive(Debug)]
pub struct LogSplitter {
    cutoff_ms: i64,
    fit: Ingest,
    eval: EvalSet,
    index: HashMap<String, u32>,
    carry: Vec<u8>,
    bounds: Option<(i64, i64)>,
}

impl LogSplitter {
    /// A splitter at `cutoff_ms` (unix ms; records at or after it are evaluation data).
    pub fn new(cutoff_ms: i64) -> LogSplitter {
        LogSplitter {
            cutoff_ms,
            fit: Ingest::new(),
            eval: EvalSet::default(),
            index: HashMap::new(),
            carry: Vec::new(),
            bounds: None,
        }
    }

    /// Feeds uncompressed log bytes in any chunking.
    pub fn feed(&mut self, mut data: &[u8]) {
        if !self.carry.is_empty() {
            match memchr::memchr(b'\n', data) {
                None => {
                    self.carry.extend_from_slice(data);
                    return;
                }
                Some(i) => {
                    let mut line = std::mem::take(&mut self.carry);
                    line.extend_from_slice(&data[..=i]);
                    self.line(&line);
                    data = &data[i + 1..];
                }
            }
        }
        while let Some(i) = memchr::memchr(b'\n', data) {
            self.line(&data[..=i]);
            data = &data[i + 1..];
        }
        self.carry.extend_from_slice(data);
    }

    /// Names the next input (for the fit side's unparsed examples).
    pub fn begin_input(&mut self, name: impl Into<String>) {
        self.end_input();
        self.fit.begin_input(name);
    }

    fn end_input(&mut self) {
        if !self.carry.is_empty() {
            let mut line = std::mem::take(&mut self.carry);
            line.push(b'\n');
            self.line(&line);
        }
    }

    /// One physical line, with its `\n`.
    fn line(&mut self, line: &[u8]) {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let stripped = logs::strip_ansi(body);
        let body = stripped.as_deref().unwrap_or(body);
        let mut first_ts = None;
        logs::for_each_record(body, &mut Repairs::default(), |r| {
            if first_ts.is_none()
                && let Ok(rec) = r
                && let Ok(f) = logs::frame_record(rec)
            {
                first_ts = f.ts_ms;
            }
        });
        match first_ts {
            Some(ts) if ts >= self.cutoff_ms => self.eval_line(body),
            _ => self.fit.feed(line),
        }
    }

    fn eval_line(&mut self, body: &[u8]) {
        let mut found = Vec::new();
        logs::for_each_record(body, &mut Repairs::default(), |r| {
            let Ok(rec) = r else { return };
            let Ok(framed) = logs::frame_record(rec) else {
                return;
            };
            let (Some(ts), Ok(Msg::Metrics(m))) = (framed.ts_ms, logs::parse_message(&framed))
            else {
                return;
            };
            if m.total.is_none() && m.load_1m.is_none() {
                return;
            }
            let src = m.source.or(framed.process).unwrap_or(b"unknown");
            found.push((
                String::from_utf8_lossy(src).into_owned(),
                ts,
                m.total,
                m.load_1m,
            ));
        });
        for (src, ts, total, load) in found {
            let next = self.eval.sources.len() as u32;
            let idx = *self.index.entry(src.clone()).or_insert_with(|| {
                self.eval.sources.push(src.clone());
                next
            });
            let ty = String::from_utf8_lossy(logs::process_type(src.as_bytes())).into_owned();
            self.eval.samples.entry(ty).or_default().push(EvalSample {
                source: idx,
                time_ms: ts,
                memory_total_mb: total,
                load_avg_1m: load,
            });
            self.bounds = Some(match self.bounds {
                None => (ts, ts),
                Some((a, b)) => (a.min(ts), b.max(ts)),
            });
        }
    }

    /// Ends the input and returns the fit profiles and the evaluation samples.
    pub fn finish(mut self) -> (Profiles, EvalSet) {
        self.end_input();
        for v in self.eval.samples.values_mut() {
            v.sort_by_key(|s| s.time_ms);
        }
        self.eval.span = self.bounds.map(|(a, b)| TimeSpan::new(a, b));
        (self.fit.finish(), self.eval)
    }
}

impl Write for LogSplitter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.feed(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn read_all(path: &std::path::Path, mut f: impl FnMut(&[u8])) -> Result<()> {
    let mut reader = crate::files::open_maybe_gzip(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => f(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Error::invalid_input(format!(
                    "reading {} failed: {e}",
                    path.display()
                )));
            }
        }
    }
}

/// The timestamp of a line's first record, if it has one.
fn first_timestamp(line: &[u8]) -> Option<i64> {
    let mut ts = None;
    logs::for_each_record(line, &mut Repairs::default(), |r| {
        if ts.is_none()
            && let Ok(rec) = r
            && let Ok(f) = logs::frame_record(rec)
        {
            ts = f.ts_ms;
        }
    });
    ts
}

fn check_fit_fraction(fit_fraction: f64) -> Result<()> {
    if fit_fraction.is_finite() && fit_fraction > 0.0 && fit_fraction < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "fit fraction {fit_fraction} must be between 0 and 1 (e.g. 0.5: fit on the first half)"
        ))
        .at("fit_fraction"))
    }
}

/// The cutoff at `fit_fraction` of the span `bounds`.
fn cutoff(bounds: Option<(i64, i64)>, fit_fraction: f64) -> Result<i64> {
    let Some((start, end)) = bounds.filter(|(a, b)| b > a) else {
        return Err(Error::invalid_input(
            "the logs have no time span to split (no timestamps, or a single instant); a \
             backtest needs timestamped logs covering several days",
        ));
    };
    Ok(start + ((end - start) as f64 * fit_fraction) as i64)
}

fn widen(bounds: &mut Option<(i64, i64)>, t: i64) {
    *bounds = Some(match *bounds {
        None => (t, t),
        Some((a, b)) => (a.min(t), b.max(t)),
    });
}

/// Splits log files (plain or gzip) at `fit_fraction` of their time span: a first pass finds the
/// span, a second splits. `fit_fraction` must be in (0, 1).
pub fn split_paths(paths: &[PathBuf], fit_fraction: f64) -> Result<(Profiles, EvalSet)> {
    check_fit_fraction(fit_fraction)?;
    if paths.is_empty() {
        return Err(Error::invalid_input("no log files given for the backtest"));
    }
    let mut bounds: Option<(i64, i64)> = None;
    for path in paths {
        let mut carry: Vec<u8> = Vec::new();
        let mut scan = |line: &[u8]| {
            if let Some(t) = first_timestamp(line) {
                widen(&mut bounds, t);
            }
        };
        read_all(path, |chunk| {
            let mut data = chunk;
            while let Some(i) = memchr::memchr(b'\n', data) {
                if carry.is_empty() {
                    scan(&data[..i]);
                } else {
                    carry.extend_from_slice(&data[..i]);
                    scan(&carry);
                    carry.clear();
                }
                data = &data[i + 1..];
            }
            carry.extend_from_slice(data);
        })?;
        if !carry.is_empty() {
            scan(&carry);
        }
    }
    let mut splitter = LogSplitter::new(cutoff(bounds, fit_fraction)?);
    for path in paths {
        splitter.begin_input(path.display().to_string());
        read_all(path, |chunk| splitter.feed(chunk))?;
    }
    Ok(splitter.finish())
}

/// Splits log lines held in memory at `fit_fraction` of their time span, as [`split_paths`]
/// does for files.
pub fn split_lines<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    fit_fraction: f64,
) -> Result<(Profiles, EvalSet)> {
    check_fit_fraction(fit_fraction)?;
    let lines: Vec<&str> = lines.into_iter().collect();
    if lines.is_empty() {
        return Err(Error::invalid_input("no log lines given for the backtest"));
    }
    let mut bounds: Option<(i64, i64)> = None;
    for line in &lines {
        if let Some(t) = first_timestamp(line.as_bytes()) {
            widen(&mut bounds, t);
        }
    }
    let mut splitter = LogSplitter::new(cutoff(bounds, fit_fraction)?);
    for line in lines {
        splitter.feed(line.as_bytes());
        splitter.feed(b"\n");
    }
    Ok(splitter.finish())
}

/// The policies a backtest compares: `policy` once per strategy (its own `strategy` replaced);
/// no strategies means every one ([`Strategy::ALL`]). The policy is validated first.
fn policies_for(policy: &SizingPolicy, strategies: &[Strategy]) -> Result<Vec<SizingPolicy>> {
    policy.validate()?;
    let strategies: &[Strategy] = if strategies.is_empty() {
        &Strategy::ALL
    } else {
        strategies
    };
    let mut out: Vec<SizingPolicy> = Vec::new();
    for s in strategies {
        if out.iter().all(|p| p.strategy != *s) {
            out.push(SizingPolicy {
                strategy: *s,
                ..policy.clone()
            });
        }
    }
    Ok(out)
}

/// The share of the logs' time span fitted on when a caller gives none (the rest is evaluated).
pub const DEFAULT_FIT_FRACTION: f64 = 0.5;

/// Backtests log files (what `dynoshift backtest --formation --logs` does): split at
/// `fit_fraction` of their time span, fit `policy` under each of `strategies` (empty: all) on
/// the first part, replay the rest. A bad policy, fraction or strategy list is `invalid_input`,
/// a missing file `not_found`.
pub fn backtest_paths(
    formation: &Formation,
    paths: &[PathBuf],
    policy: &SizingPolicy,
    strategies: &[Strategy],
    fit_fraction: f64,
) -> Result<BacktestReport> {
    let policies = policies_for(policy, strategies)?;
    let (fit, eval) = split_paths(paths, fit_fraction)?;
    backtest(formation, &fit, &eval, &policies)
}

/// [`backtest_paths`] on log lines held in memory (the shared vectors and the bindings).
pub fn backtest_lines<'a>(
    formation: &Formation,
    lines: impl IntoIterator<Item = &'a str>,
    policy: &SizingPolicy,
    strategies: &[Strategy],
    fit_fraction: f64,
) -> Result<BacktestReport> {
    let policies = policies_for(policy, strategies)?;
    let (fit, eval) = split_lines(lines, fit_fraction)?;
    backtest(formation, &fit, &eval, &policies)
}

/// A backtest's arguments as every binding receives them (a policy as JSON text or none, strategy
/// names, a fit fraction or none), with the defaults applied here once: the default policy, every
/// strategy, [`DEFAULT_FIT_FRACTION`].
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestArgs {
    /// The policy fitted under each strategy.
    pub policy: SizingPolicy,
    /// The strategies (every one when none was named).
    pub strategies: Vec<Strategy>,
    /// The share of the time span fitted on.
    pub fit_fraction: f64,
}

impl BacktestArgs {
    /// Parses and checks the loose arguments (`invalid_input` naming what is wrong).
    pub fn from_parts<S: AsRef<str>>(
        policy_json: Option<&str>,
        strategies: &[S],
        fit_fraction: Option<f64>,
    ) -> Result<BacktestArgs> {
        Ok(BacktestArgs {
            policy: SizingPolicy::from_json_or_default(policy_json)?,
            strategies: Strategy::parse_all(strategies)?,
            fit_fraction: fit_fraction.unwrap_or(DEFAULT_FIT_FRACTION),
        })
    }

    /// [`backtest_paths`] with these arguments.
    pub fn run_paths(&self, formation: &Formation, paths: &[PathBuf]) -> Result<BacktestReport> {
        backtest_paths(
            formation,
            paths,
            &self.policy,
            &self.strategies,
            self.fit_fraction,
        )
    }

    /// [`backtest_lines`] with these arguments.
    pub fn run_lines<'a>(
        &self,
        formation: &Formation,
        lines: impl IntoIterator<Item = &'a str>,
    ) -> Result<BacktestReport> {
        backtest_lines(
            formation,
            lines,
            &self.policy,
            &self.strategies,
            self.fit_fraction,
        )
    }
}

/// Backtest figures of one strategy for one process type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRow {
    /// Strategy.
    pub strategy: Strategy,
    /// Process type.
    pub process_type: String,
    /// Recommended CPU request, millicores.
    pub cpu_request_millicores: u32,
    /// Recommended memory request, MiB.
    pub memory_request_mib: u32,
    /// Recommended memory limit, MiB.
    pub memory_limit_mib: u32,
    /// Evaluation memory samples.
    pub memory_samples: u64,
    /// Highest evaluation `memory_total`, MiB.
    pub memory_max_mib: f64,
    /// Samples above the memory limit (OOM kills on Kubernetes).
    pub memory_exceedances: u64,
    /// 1 − mean usage / request.
    pub memory_slack: f64,
    /// Evaluation load samples.
    pub cpu_samples: u64,
    /// Dyno-minutes with a sample above the CPU request.
    pub cpu_minutes_above_request: u64,
    /// Mean unused share of the CPU request.
    pub cpu_slack: f64,
}

/// Totals of one strategy over the process types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategySummary {
    /// Strategy.
    pub strategy: Strategy,
    /// Memory exceedances, all process types.
    pub memory_exceedances: u64,
    /// Mean memory slack over the process types with samples.
    pub mean_memory_slack: f64,
    /// Mean CPU slack over the process types with samples.
    pub mean_cpu_slack: f64,
    /// CPU minutes above request, all process types.
    pub cpu_minutes_above_request: u64,
    /// Memory exceedances 0 and mean memory slack ≤ 25% (the Autopilot-level target).
    pub meets_target: bool,
}

/// The target on mean memory slack.
pub const SLACK_TARGET: f64 = 0.25;

/// The result of [`backtest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// The time the recommendation was fitted on.
    pub fit_window: Option<TimeSpan>,
    /// The time it was evaluated on.
    pub eval_window: Option<TimeSpan>,
    /// Per strategy and process type.
    pub rows: Vec<BacktestRow>,
    /// Per strategy.
    pub summary: Vec<StrategySummary>,
}

impl BacktestReport {
    /// Parses a report written by [`BacktestReport::to_json`]; anything else is `invalid_input`.
    pub fn from_json(text: &str) -> Result<BacktestReport> {
        serde_json::from_str(text)
            .map_err(|e| Error::invalid_input(format!("not a dynoshift backtest report ({e})")))
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a backtest report always serialises")
    }

    /// The summary of one strategy.
    pub fn summary_of(&self, strategy: Strategy) -> Option<&StrategySummary> {
        self.summary.iter().find(|s| s.strategy == strategy)
    }

    /// A readable table: one line per process type and strategy, then the totals.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let w = |s: &TimeSpan| format!("{} .. {}", s.start, s.end);
        if let (Some(f), Some(e)) = (&self.fit_window, &self.eval_window) {
            out.push_str(&format!("fit  {}\neval {}\n", w(f), w(e)));
        }
        out.push_str(&format!(
            "{:<10} {:<10} {:>7} {:>8} {:>8} {:>8} {:>6} {:>7} {:>8} {:>7}\n",
            "process",
            "strategy",
            "cpu m",
            "mem Mi",
            "mem max",
            "samples",
            "OOMs",
            "mem sl",
            "cpu min>",
            "cpu sl"
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "{:<10} {:<10} {:>7} {:>8} {:>8.1} {:>8} {:>6} {:>6.1}% {:>8} {:>6.1}%\n",
                r.process_type,
                r.strategy.as_str(),
                r.cpu_request_millicores,
                r.memory_limit_mib,
                r.memory_max_mib,
                r.memory_samples,
                r.memory_exceedances,
                r.memory_slack * 100.0,
                r.cpu_minutes_above_request,
                r.cpu_slack * 100.0
            ));
        }
        for s in &self.summary {
            out.push_str(&format!(
                "{:<10} {:<10} {:>7} {:>8} {:>8} {:>8} {:>6} {:>6.1}% {:>8} {:>6.1}%  {}\n",
                "all",
                s.strategy.as_str(),
                "",
                "",
                "",
                "",
                s.memory_exceedances,
                s.mean_memory_slack * 100.0,
                s.cpu_minutes_above_request,
                s.mean_cpu_slack * 100.0,
                if s.meets_target {
                    "target met"
                } else {
                    "target missed"
                }
            ));
        }
        out
    }
}

fn cores_cap(formation: &Formation, ty: &str, policy: &SizingPolicy) -> f64 {
    match formation.process(ty).map(|p| p.size.cpu) {
        Some(Cpu::Shared(n)) => f64::from(n) * policy.shared_cores_per_unit,
        Some(Cpu::Dedicated(v)) => v,
        None => f64::INFINITY,
    }
}

/// Fits each policy on `fit` and replays `eval` against the recommendation.
pub fn backtest(
    formation: &Formation,
    fit: &Profiles,
    eval: &EvalSet,
    policies: &[SizingPolicy],
) -> Result<BacktestReport> {
    if policies.is_empty() {
        return Err(Error::invalid_input(
            "no strategies to backtest; give at least one",
        ));
    }
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    for policy in policies {
        let rec = recommend(formation, fit, policy)?;
        let mut mine = Vec::new();
        for p in &rec.processes {
            let Some(samples) = eval.samples.get(&p.process_type) else {
                continue;
            };
            let cap = cores_cap(formation, &p.process_type, policy);
            let limit = f64::from(p.memory_limit_mib.value);
            let request = f64::from(p.memory_request_mib.value).max(1e-9);
            let cpu_req = f64::from(p.cpu_request_millicores.value) / 1000.0;
            let (mut mem_n, mut mem_sum, mut mem_max, mut exceed) = (0u64, 0.0, 0.0f64, 0u64);
            let (mut cpu_n, mut cpu_unused) = (0u64, 0.0);
            let mut minutes = BTreeSet::new();
            for s in samples {
                if let Some(m) = s.memory_total_mb {
                    mem_n += 1;
                    mem_sum += m;
                    mem_max = mem_max.max(m);
                    if m > limit {
                        exceed += 1;
                    }
                }
                if let Some(l) = s.load_avg_1m {
                    let used = l.min(cap);
                    cpu_n += 1;
                    if cpu_req > 0.0 {
                        cpu_unused += (cpu_req - used).max(0.0) / cpu_req;
                    }
                    if used > cpu_req {
                        minutes.insert((s.source, s.time_ms.div_euclid(60_000)));
                    }
                }
            }
            let row = BacktestRow {
                strategy: policy.strategy,
                process_type: p.process_type.clone(),
                cpu_request_millicores: p.cpu_request_millicores.value,
                memory_request_mib: p.memory_request_mib.value,
                memory_limit_mib: p.memory_limit_mib.value,
                memory_samples: mem_n,
                memory_max_mib: mem_max,
                memory_exceedances: exceed,
                memory_slack: if mem_n > 0 {
                    1.0 - mem_sum / mem_n as f64 / request
                } else {
                    0.0
                },
                cpu_samples: cpu_n,
                cpu_minutes_above_request: minutes.len() as u64,
                cpu_slack: if cpu_n > 0 {
                    cpu_unused / cpu_n as f64
                } else {
                    0.0
                },
            };
            mine.push(row);
        }
        summary.push(summarize(policy.strategy, &mine));
        rows.extend(mine);
    }
    // Group the table by process type, strategies side by side.
    let order: Vec<String> = formation
        .processes
        .iter()
        .map(|p| p.process_type.clone())
        .collect();
    rows.sort_by_key(|r| (order.iter().position(|t| *t == r.process_type), r.strategy));
    Ok(BacktestReport {
        fit_window: fit.span.clone(),
        eval_window: eval.span.clone(),
        rows,
        summary,
    })
}

fn summarize(strategy: Strategy, rows: &[BacktestRow]) -> StrategySummary {
    let mine: Vec<&BacktestRow> = rows.iter().filter(|r| r.strategy == strategy).collect();
    let mean = |f: &dyn Fn(&BacktestRow) -> (bool, f64)| {
        let v: Vec<f64> = mine
            .iter()
            .map(|r| f(r))
            .filter(|x| x.0)
            .map(|x| x.1)
            .collect();
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let exceed: u64 = mine.iter().map(|r| r.memory_exceedances).sum();
    let mem_slack = mean(&|r| (r.memory_samples > 0, r.memory_slack));
    StrategySummary {
        strategy,
        memory_exceedances: exceed,
        mean_memory_slack: mem_slack,
        mean_cpu_slack: mean(&|r| (r.cpu_samples > 0, r.cpu_slack)),
        cpu_minutes_above_request: mine.iter().map(|r| r.cpu_minutes_above_request).sum(),
        meets_target: exceed == 0 && mem_slack <= SLACK_TARGET,
    }
}

/// Totals per strategy over several backtests (e.g. every scenario): every process type of every
/// report counts once in the mean slack, as jobs do in Autopilot's average.
pub fn overall(reports: &[&BacktestReport]) -> Vec<StrategySummary> {
    let rows: Vec<BacktestRow> = reports.iter().flat_map(|r| r.rows.clone()).collect();
    let mut strategies: Vec<Strategy> = rows.iter().map(|r| r.strategy).collect();
    strategies.sort();
    strategies.dedup();
    strategies
        .into_iter()
        .map(|s| summarize(s, &rows))
        .collect()
}

/// The built-in backtest scenarios.
pub const SCENARIOS: [&str; 5] = [
    "steady-web",
    "spiky-web",
    "leaking-worker",
    "r14-episode",
    "swap-use",
];

/// A synthetic app: a formation and generator options.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name (one of [`SCENARIOS`]).
    pub name: String,
    /// What it models.
    pub description: String,
    /// The formation.
    pub formation: Formation,
    /// The generator options.
    pub options: SynthOptions,
}

impl Scenario {
    /// A built-in scenario over `duration_s` seconds from `seed`.
    pub fn named(name: &str, duration_s: u64, seed: u64) -> Result<Scenario> {
        let base = SynthOptions {
            seed,
            duration_s,
            web_rps: 0.2,
            mean_service_ms: 500.0,
            app_lines_per_request: 0.0,
            h12_per_hour: 0.2,
            ..SynthOptions::default()
        };
        let (description, formation, options) = match name {
            "steady-web" => (
                "web ×2 Standard-2X with a flat daily curve, worker ×1 Standard-1X",
                r#"{"web": {"size": "standard-2x", "quantity": 2, "command": "bundle exec puma -C config/puma.rb"}, "worker": {"size": "standard-1x", "quantity": 1, "command": "bundle exec sidekiq"}}"#,
                SynthOptions {
                    daily_swing: 0.15,
                    ..base
                },
            ),
            "spiky-web" => (
                "web ×3 Standard-2X whose traffic swings from 0 to 2× the mean every day",
                r#"{"web": {"size": "standard-2x", "quantity": 3, "command": "bin/web"}}"#,
                SynthOptions {
                    daily_swing: 1.0,
                    web_rps: 0.4,
                    mean_service_ms: 600.0,
                    ..base
                },
            ),
            "leaking-worker" => (
                "worker ×1 Standard-2X leaking 2 MB/h between daily restarts, web ×2 Standard-1X",
                r#"{"web": {"size": "standard-1x", "quantity": 2, "command": "bin/web"}, "worker": {"size": "standard-2x", "quantity": 1, "command": "bin/worker"}}"#,
                SynthOptions {
                    leak_mb_per_hour: 2.0,
                    leak_types: vec!["worker".into()],
                    ..base
                },
            ),
            "r14-episode" => (
                "web ×1 Performance-M running near its quota, with ten-minute R14 episodes",
                r#"{"web": {"size": "performance-m", "quantity": 1, "command": "bin/web"}}"#,
                SynthOptions {
                    memory_fraction: 0.9,
                    r14_episodes: 6,
                    ..base
                },
            ),
            "swap-use" => (
                "worker ×1 Standard-1X at its quota: part of its memory is in swap",
                r#"{"worker": {"size": "standard-1x", "quantity": 1, "command": "bin/worker"}}"#,
                SynthOptions {
                    memory_fraction: 0.96,
                    ..base
                },
            ),
            other => {
                return Err(Error::invalid_input(format!(
                    "unknown scenario {other:?}; use one of {}",
                    SCENARIOS.join(", ")
                )));
            }
        };
        Ok(Scenario {
            name: name.to_owned(),
            description: description.to_owned(),
            formation: Formation::from_json(formation)?,
            options,
        })
    }
}

/// A scenario's backtest and what the generator injected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// What it models.
    pub description: String,
    /// The backtest.
    pub report: BacktestReport,
    /// The generator's report.
    pub truth: SynthReport,
}

/// Generates a scenario's log straight into a [`LogSplitter`] (nothing on disk), fits on the
/// first `fit_fraction` of the time and evaluates on the rest, for each strategy.
pub fn run_scenario(
    scenario: &Scenario,
    fit_fraction: f64,
    strategies: &[Strategy],
) -> Result<ScenarioResult> {
    if !(fit_fraction.is_finite() && fit_fraction > 0.0 && fit_fraction < 1.0) {
        return Err(Error::invalid_input(format!(
            "fit fraction {fit_fraction} must be between 0 and 1"
        ))
        .at("fit_fraction"));
    }
    let o = &scenario.options;
    let cutoff = o.start_unix_s * 1000 + (o.duration_s as f64 * 1000.0 * fit_fraction) as i64;
    let mut splitter = LogSplitter::new(cutoff);
    let truth = generate(&scenario.formation, o, &mut splitter)?;
    let (fit, eval) = splitter.finish();
    let policies: Vec<SizingPolicy> = strategies
        .iter()
        .map(|s| SizingPolicy::with_strategy(*s))
        .collect();
    let report = backtest(&scenario.formation, &fit, &eval, &policies)?;
    Ok(ScenarioResult {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        report,
        truth,
    })
}

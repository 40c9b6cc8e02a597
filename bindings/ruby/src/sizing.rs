//! Container sizing, backtest and Kubernetes manifests. The reports are objects over the core's
//! values with typed records inside (every number an `Explained` with its `Explanation`) and
//! `to_json` (the core's JSON). Policies and manifest options arrive as JSON text;
//! `lib/dynoshift.rb` writes them from Hashes.

use std::path::PathBuf;
use std::sync::Arc;

use dynoshift as core;
use dynoshift::sizing as sz;

use crate::Formation;
use crate::errors::Result;
use crate::ingest::TimeSpan;

fn time_span(s: &core::telemetry::TimeSpan) -> TimeSpan {
    TimeSpan {
        start_ms: s.start_ms,
        end_ms: s.end_ms,
        start: s.start.clone(),
        end: s.end.clone(),
        seconds: s.seconds,
    }
}

/// Why a number is what it is.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Explanation {
    pub rule: String,
    pub statistic: String,
    pub value: Option<f64>,
    pub samples: u64,
    pub window: Option<String>,
    /// `low`, `medium` or `high`.
    pub confidence: String,
    pub warnings: Vec<String>,
}

/// A recommended number with its unit and explanation.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Explained {
    pub value: u32,
    pub unit: String,
    pub explanation: Explanation,
}

/// HorizontalPodAutoscaler bounds and target.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HpaSizing {
    pub min_replicas: Explained,
    pub max_replicas: Explained,
    pub target_cpu_utilization_percent: Explained,
}

/// The recommendation for one process type.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProcessSizing {
    pub process_type: String,
    pub dyno_size: String,
    pub quantity: u32,
    pub command: Option<String>,
    pub cpu_request_millicores: Explained,
    pub cpu_limit_millicores: Option<Explained>,
    pub memory_request_mib: Explained,
    pub memory_limit_mib: Explained,
    pub replicas: Explained,
    pub hpa: Option<HpaSizing>,
}

fn explained(v: &sz::Explained<u32>) -> Explained {
    let e = &v.explanation;
    Explained {
        value: v.value,
        unit: v.unit.clone(),
        explanation: Explanation {
            rule: e.rule.clone(),
            statistic: e.statistic.clone(),
            value: e.value,
            samples: e.samples,
            window: e.window.clone(),
            confidence: dynoshift::units::wire_name(&e.confidence),
            warnings: e.warnings.clone(),
        },
    }
}

fn process_sizing(p: &sz::ProcessSizing) -> ProcessSizing {
    ProcessSizing {
        process_type: p.process_type.clone(),
        dyno_size: p.dyno_size.clone(),
        quantity: p.quantity,
        command: p.command.clone(),
        cpu_request_millicores: explained(&p.cpu_request_millicores),
        cpu_limit_millicores: p.cpu_limit_millicores.as_ref().map(explained),
        memory_request_mib: explained(&p.memory_request_mib),
        memory_limit_mib: explained(&p.memory_limit_mib),
        replicas: explained(&p.replicas),
        hpa: p.hpa.as_ref().map(|h| HpaSizing {
            min_replicas: explained(&h.min_replicas),
            max_replicas: explained(&h.max_replicas),
            target_cpu_utilization_percent: explained(&h.target_cpu_utilization_percent),
        }),
    }
}

/// The result of `recommend_sizing` / `recommend_lines`.
#[derive(Debug, uniffi::Object)]
pub struct SizingReport {
    inner: sz::SizingReport,
}

#[uniffi::export]
impl SizingReport {
    /// Parses a report written by `to_json` (or `dynoshift size --json`).
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<SizingReport>> {
        Ok(Arc::new(SizingReport {
            inner: sz::SizingReport::from_json(&text)?,
        }))
    }
    /// The strategy used (`dynoshift`, `vpa`, `krr`).
    pub fn strategy(&self) -> String {
        self.inner.strategy.as_str().to_owned()
    }
    /// The full policy (defaults filled in) as JSON; `policy` gives it as a Hash.
    pub fn policy_json(&self) -> String {
        self.inner.policy.to_json()
    }
    /// The pods to place on EC2 nodes as JSON (the node planner's keys); `pods` gives them as
    /// an Array of Hashes for `Dynoshift.plan_nodes({ 'pods' => report.pods })`.
    pub fn pods_json(&self) -> String {
        self.inner.pod_groups_json()
    }
    /// The time the profiles cover.
    pub fn window(&self) -> Option<TimeSpan> {
        self.inner.window.as_ref().map(time_span)
    }
    /// One entry per process type, `web` first.
    pub fn processes(&self) -> Vec<ProcessSizing> {
        self.inner.processes.iter().map(process_sizing).collect()
    }
    /// Report-level notes.
    pub fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The entry of a process type (nil when the formation has no such type).
    pub fn process(&self, process_type: String) -> Option<ProcessSizing> {
        self.inner.process(&process_type).map(process_sizing)
    }
    /// The core's JSON (the same as `dynoshift size --json`).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Backtest figures of one strategy for one process type.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BacktestRow {
    pub strategy: String,
    pub process_type: String,
    pub cpu_request_millicores: u32,
    pub memory_request_mib: u32,
    pub memory_limit_mib: u32,
    pub memory_samples: u64,
    pub memory_max_mib: f64,
    pub memory_exceedances: u64,
    pub memory_slack: f64,
    pub cpu_samples: u64,
    pub cpu_minutes_above_request: u64,
    pub cpu_slack: f64,
}

/// Totals of one strategy over the process types.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StrategySummary {
    pub strategy: String,
    pub memory_exceedances: u64,
    pub mean_memory_slack: f64,
    pub mean_cpu_slack: f64,
    pub cpu_minutes_above_request: u64,
    pub meets_target: bool,
}

/// The result of `backtest` / `backtest_lines`.
#[derive(Debug, uniffi::Object)]
pub struct BacktestReport {
    inner: sz::BacktestReport,
}

#[uniffi::export]
impl BacktestReport {
    /// The time the recommendation was fitted on.
    pub fn fit_window(&self) -> Option<TimeSpan> {
        self.inner.fit_window.as_ref().map(time_span)
    }
    /// The time it was evaluated on.
    pub fn eval_window(&self) -> Option<TimeSpan> {
        self.inner.eval_window.as_ref().map(time_span)
    }
    /// Per strategy and process type.
    pub fn rows(&self) -> Vec<BacktestRow> {
        self.inner
            .rows
            .iter()
            .map(|r| BacktestRow {
                strategy: r.strategy.as_str().to_owned(),
                process_type: r.process_type.clone(),
                cpu_request_millicores: r.cpu_request_millicores,
                memory_request_mib: r.memory_request_mib,
                memory_limit_mib: r.memory_limit_mib,
                memory_samples: r.memory_samples,
                memory_max_mib: r.memory_max_mib,
                memory_exceedances: r.memory_exceedances,
                memory_slack: r.memory_slack,
                cpu_samples: r.cpu_samples,
                cpu_minutes_above_request: r.cpu_minutes_above_request,
                cpu_slack: r.cpu_slack,
            })
            .collect()
    }
    /// Per strategy.
    pub fn summary(&self) -> Vec<StrategySummary> {
        self.inner
            .summary
            .iter()
            .map(|s| StrategySummary {
                strategy: s.strategy.as_str().to_owned(),
                memory_exceedances: s.memory_exceedances,
                mean_memory_slack: s.mean_memory_slack,
                mean_cpu_slack: s.mean_cpu_slack,
                cpu_minutes_above_request: s.cpu_minutes_above_request,
                meets_target: s.meets_target,
            })
            .collect()
    }
    /// The readable table `dynoshift backtest` prints.
    pub fn table(&self) -> String {
        self.inner.table()
    }
    /// The core's JSON (the same as `dynoshift backtest --json`).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

fn policy(policy_json: Option<String>) -> Result<sz::SizingPolicy> {
    Ok(sz::SizingPolicy::from_json_or_default(
        policy_json.as_deref(),
    )?)
}

/// Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
#[uniffi::export(default(policy_json = None))]
pub fn recommend_sizing(
    formation: Arc<Formation>,
    log_paths: Vec<String>,
    policy_json: Option<String>,
) -> Result<Arc<SizingReport>> {
    let policy = policy(policy_json)?;
    let paths: Vec<PathBuf> = log_paths.into_iter().map(PathBuf::from).collect();
    Ok(Arc::new(SizingReport {
        inner: sz::recommend_paths(&formation.inner, &paths, &policy)?,
    }))
}

/// Sizes every process type of `formation` from log lines held in memory.
#[uniffi::export(default(policy_json = None))]
pub fn recommend_lines(
    formation: Arc<Formation>,
    lines: Vec<String>,
    policy_json: Option<String>,
) -> Result<Arc<SizingReport>> {
    let policy = policy(policy_json)?;
    Ok(Arc::new(SizingReport {
        inner: sz::recommend_lines(&formation.inner, lines.iter().map(String::as_str), &policy)?,
    }))
}

/// Backtests log files: split at `fit_fraction` of their time span, fit the policy under each
/// strategy (none: all) on the first part, replay the rest.
#[uniffi::export]
pub fn backtest(
    formation: Arc<Formation>,
    log_paths: Vec<String>,
    policy_json: Option<String>,
    strategies: Vec<String>,
    fit_fraction: Option<f64>,
) -> Result<Arc<BacktestReport>> {
    let args = sz::BacktestArgs::from_parts(policy_json.as_deref(), &strategies, fit_fraction)?;
    let paths: Vec<PathBuf> = log_paths.into_iter().map(PathBuf::from).collect();
    Ok(Arc::new(BacktestReport {
        inner: args.run_paths(&formation.inner, &paths)?,
    }))
}

/// `backtest` on log lines held in memory.
#[uniffi::export]
pub fn backtest_lines(
    formation: Arc<Formation>,
    lines: Vec<String>,
    policy_json: Option<String>,
    strategies: Vec<String>,
    fit_fraction: Option<f64>,
) -> Result<Arc<BacktestReport>> {
    let args = sz::BacktestArgs::from_parts(policy_json.as_deref(), &strategies, fit_fraction)?;
    Ok(Arc::new(BacktestReport {
        inner: args.run_lines(&formation.inner, lines.iter().map(String::as_str))?,
    }))
}

/// Kubernetes manifests for `report` as multi-document YAML (warnings first, as comments);
/// `options_json` holds the `ManifestOptions` (`image` required; `namespace`, `app`, `port`,
/// `health_path`, `liveness_probe`, `pre_stop_seconds`, `domains`, `certificate_arn`,
/// `config_vars`, `addon_config_vars`, `include_values`).
#[uniffi::export]
pub fn manifests(report: Arc<SizingReport>, options_json: String) -> Result<String> {
    let options = core::ManifestOptions::from_json(&options_json)?;
    Ok(core::manifests::render(&report.inner, &options)?)
}

/// Parses manifests YAML back into the objects, as a JSON array (Kubernetes field names).
#[uniffi::export]
pub fn parse_manifests(yaml: String) -> Result<String> {
    Ok(core::manifests::from_yaml_to_json(&yaml)?)
}

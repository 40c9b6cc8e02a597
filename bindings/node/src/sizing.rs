//! Container sizing, backtest and Kubernetes manifests. Results are classes with read-only
//! getters over the core's values (every number an `Explained` with its `Explanation`) and
//! `toJson()` (the core's JSON). Sizing from lines and manifests are pure compute, so sync;
//! `backtest` over files is a Promise computed on libuv's thread pool.

use std::path::PathBuf;

use dynoshift as core;
use dynoshift::sizing as sz;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi::{Env, Task};
use napi_derive::napi;

use crate::Formation;
use crate::convert::json_arg;
use crate::errors::{IntoJs, Result, js_error_object};
use crate::ingest::TimeSpan;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("the core's values always serialise")
}

/// Why a number is what it is.
#[napi]
#[derive(Debug, Clone)]
pub struct Explanation {
    inner: sz::Explanation,
}

#[napi]
impl Explanation {
    /// The rule, with the arithmetic that was done.
    #[napi(getter)]
    pub fn rule(&self) -> String {
        self.inner.rule.clone()
    }
    /// The input statistic the rule started from (`memory_total max`, `load_avg_1m p90`).
    #[napi(getter)]
    pub fn statistic(&self) -> String {
        self.inner.statistic.clone()
    }
    /// The statistic's value in its own unit (null: no data, a fallback).
    #[napi(getter)]
    pub fn value(&self) -> Option<f64> {
        self.inner.value
    }
    /// Samples behind the statistic.
    #[napi(getter)]
    pub fn samples(&self) -> f64 {
        self.inner.samples as f64
    }
    /// The time window the samples cover, when known.
    #[napi(getter)]
    pub fn window(&self) -> Option<String> {
        self.inner.window.clone()
    }
    /// `low`, `medium` or `high`.
    #[napi(getter, ts_return_type = "'low' | 'medium' | 'high'")]
    pub fn confidence(&self) -> String {
        dynoshift::units::wire_name(&self.inner.confidence)
    }
    /// What the user should know (short data, R14, swap, ...).
    #[napi(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

/// A recommended number with its unit and explanation.
#[napi]
#[derive(Debug, Clone)]
pub struct Explained {
    inner: sz::Explained<u32>,
}

#[napi]
impl Explained {
    /// The number.
    #[napi(getter)]
    pub fn value(&self) -> u32 {
        self.inner.value
    }
    /// Its unit (`millicores`, `MiB`, `pods`, `percent`).
    #[napi(getter)]
    pub fn unit(&self) -> String {
        self.inner.unit.clone()
    }
    /// How it was obtained.
    #[napi(getter)]
    pub fn explanation(&self) -> Explanation {
        Explanation {
            inner: self.inner.explanation.clone(),
        }
    }
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

fn explained(v: &sz::Explained<u32>) -> Explained {
    Explained { inner: v.clone() }
}

/// HorizontalPodAutoscaler bounds and target.
#[napi]
#[derive(Debug, Clone)]
pub struct HpaSizing {
    inner: sz::HpaSizing,
}

#[napi]
impl HpaSizing {
    /// `minReplicas`.
    #[napi(getter)]
    pub fn min_replicas(&self) -> Explained {
        explained(&self.inner.min_replicas)
    }
    /// `maxReplicas`.
    #[napi(getter)]
    pub fn max_replicas(&self) -> Explained {
        explained(&self.inner.max_replicas)
    }
    /// CPU `averageUtilization` target, percent of the request.
    #[napi(getter)]
    pub fn target_cpu_utilization_percent(&self) -> Explained {
        explained(&self.inner.target_cpu_utilization_percent)
    }
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

/// The recommendation for one process type.
#[napi]
#[derive(Debug, Clone)]
pub struct ProcessSizing {
    inner: sz::ProcessSizing,
}

#[napi]
impl ProcessSizing {
    /// Process type (`web`, `worker`).
    #[napi(getter)]
    pub fn process_type(&self) -> String {
        self.inner.process_type.clone()
    }
    /// The dyno size it ran on.
    #[napi(getter)]
    pub fn dyno_size(&self) -> String {
        self.inner.dyno_size.clone()
    }
    /// Dynos in the formation.
    #[napi(getter)]
    pub fn quantity(&self) -> u32 {
        self.inner.quantity
    }
    /// The dyno's command, when the formation had one.
    #[napi(getter)]
    pub fn command(&self) -> Option<String> {
        self.inner.command.clone()
    }
    /// CPU request, millicores.
    #[napi(getter)]
    pub fn cpu_request_millicores(&self) -> Explained {
        explained(&self.inner.cpu_request_millicores)
    }
    /// CPU limit, millicores (null: no limit).
    #[napi(getter)]
    pub fn cpu_limit_millicores(&self) -> Option<Explained> {
        self.inner.cpu_limit_millicores.as_ref().map(explained)
    }
    /// Memory request, MiB.
    #[napi(getter)]
    pub fn memory_request_mib(&self) -> Explained {
        explained(&self.inner.memory_request_mib)
    }
    /// Memory limit, MiB.
    #[napi(getter)]
    pub fn memory_limit_mib(&self) -> Explained {
        explained(&self.inner.memory_limit_mib)
    }
    /// Deployment replicas.
    #[napi(getter)]
    pub fn replicas(&self) -> Explained {
        explained(&self.inner.replicas)
    }
    /// Autoscaling (null: a fixed replica count).
    #[napi(getter)]
    pub fn hpa(&self) -> Option<HpaSizing> {
        self.inner.hpa.clone().map(|inner| HpaSizing { inner })
    }
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

/// The result of `recommendSizing` / `recommendLines`: one `ProcessSizing` per process type of
/// the formation (`web` first), the policy used and report-level warnings.
#[napi]
#[derive(Debug, Clone)]
pub struct SizingReport {
    pub(crate) inner: sz::SizingReport,
}

#[napi]
impl SizingReport {
    /// Parses a report written by `toJson()` (or `dynoshift size --json`).
    #[napi(factory)]
    pub fn from_json(text: String) -> Result<SizingReport> {
        Ok(SizingReport {
            inner: sz::SizingReport::from_json(&text).js_err()?,
        })
    }
    /// The strategy used (`dynoshift`, `vpa`, `krr`).
    #[napi(getter)]
    pub fn strategy(&self) -> String {
        self.inner.strategy.as_str().to_owned()
    }
    /// The full policy (defaults filled in): the `SizingPolicy` fields, snake_case.
    #[napi(getter, ts_return_type = "Record<string, unknown>")]
    pub fn policy(&self) -> serde_json::Value {
        serde_json::to_value(&self.inner.policy).expect("a policy always serialises")
    }
    /// The pods to place on EC2 nodes, one group per process type, in the node planner's own
    /// keys: `planNodes({ pods: report.pods })` (process types scaled to 0 left out).
    #[napi(
        getter,
        ts_return_type = "Array<{ process_type: string; replicas: number; cpu_millis: number; memory_mib: number }>"
    )]
    pub fn pods(&self) -> serde_json::Value {
        serde_json::from_str(&self.inner.pod_groups_json()).unwrap_or_default()
    }
    /// The time the profiles cover.
    #[napi(getter)]
    pub fn window(&self) -> Option<TimeSpan> {
        self.inner.window.clone().map(|inner| TimeSpan { inner })
    }
    /// One entry per process type, `web` first.
    #[napi(getter)]
    pub fn processes(&self) -> Vec<ProcessSizing> {
        self.inner
            .processes
            .iter()
            .map(|p| ProcessSizing { inner: p.clone() })
            .collect()
    }
    /// Report-level notes.
    #[napi(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// The entry of a process type (null when the formation has no such type).
    #[napi]
    pub fn process(&self, process_type: String) -> Option<ProcessSizing> {
        self.inner
            .process(&process_type)
            .map(|p| ProcessSizing { inner: p.clone() })
    }
    /// The core's JSON (the same as `dynoshift size --json`).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Backtest figures of one strategy for one process type.
#[napi]
#[derive(Debug, Clone)]
pub struct BacktestRow {
    inner: sz::BacktestRow,
}

#[napi]
impl BacktestRow {
    /// Strategy.
    #[napi(getter)]
    pub fn strategy(&self) -> String {
        self.inner.strategy.as_str().to_owned()
    }
    /// Process type.
    #[napi(getter)]
    pub fn process_type(&self) -> String {
        self.inner.process_type.clone()
    }
    /// Recommended CPU request, millicores.
    #[napi(getter)]
    pub fn cpu_request_millicores(&self) -> u32 {
        self.inner.cpu_request_millicores
    }
    /// Recommended memory request, MiB.
    #[napi(getter)]
    pub fn memory_request_mib(&self) -> u32 {
        self.inner.memory_request_mib
    }
    /// Recommended memory limit, MiB.
    #[napi(getter)]
    pub fn memory_limit_mib(&self) -> u32 {
        self.inner.memory_limit_mib
    }
    /// Evaluation memory samples.
    #[napi(getter)]
    pub fn memory_samples(&self) -> f64 {
        self.inner.memory_samples as f64
    }
    /// Highest evaluation `memory_total`, MiB.
    #[napi(getter)]
    pub fn memory_max_mib(&self) -> f64 {
        self.inner.memory_max_mib
    }
    /// Samples above the memory limit (OOM kills on Kubernetes).
    #[napi(getter)]
    pub fn memory_exceedances(&self) -> f64 {
        self.inner.memory_exceedances as f64
    }
    /// 1 − mean usage / request.
    #[napi(getter)]
    pub fn memory_slack(&self) -> f64 {
        self.inner.memory_slack
    }
    /// Evaluation load samples.
    #[napi(getter)]
    pub fn cpu_samples(&self) -> f64 {
        self.inner.cpu_samples as f64
    }
    /// Dyno-minutes with a sample above the CPU request.
    #[napi(getter)]
    pub fn cpu_minutes_above_request(&self) -> f64 {
        self.inner.cpu_minutes_above_request as f64
    }
    /// Mean unused share of the CPU request.
    #[napi(getter)]
    pub fn cpu_slack(&self) -> f64 {
        self.inner.cpu_slack
    }
}

/// Totals of one strategy over the process types.
#[napi]
#[derive(Debug, Clone)]
pub struct StrategySummary {
    inner: sz::StrategySummary,
}

#[napi]
impl StrategySummary {
    /// Strategy.
    #[napi(getter)]
    pub fn strategy(&self) -> String {
        self.inner.strategy.as_str().to_owned()
    }
    /// Memory exceedances, all process types.
    #[napi(getter)]
    pub fn memory_exceedances(&self) -> f64 {
        self.inner.memory_exceedances as f64
    }
    /// Mean memory slack over the process types with samples.
    #[napi(getter)]
    pub fn mean_memory_slack(&self) -> f64 {
        self.inner.mean_memory_slack
    }
    /// Mean CPU slack over the process types with samples.
    #[napi(getter)]
    pub fn mean_cpu_slack(&self) -> f64 {
        self.inner.mean_cpu_slack
    }
    /// CPU minutes above request, all process types.
    #[napi(getter)]
    pub fn cpu_minutes_above_request(&self) -> f64 {
        self.inner.cpu_minutes_above_request as f64
    }
    /// No memory exceedance and mean memory slack ≤ 25%.
    #[napi(getter)]
    pub fn meets_target(&self) -> bool {
        self.inner.meets_target
    }
}

/// The result of `backtest` / `backtestLines`.
#[napi]
#[derive(Debug, Clone)]
pub struct BacktestReport {
    inner: sz::BacktestReport,
}

#[napi]
impl BacktestReport {
    /// The time the recommendation was fitted on.
    #[napi(getter)]
    pub fn fit_window(&self) -> Option<TimeSpan> {
        self.inner
            .fit_window
            .clone()
            .map(|inner| TimeSpan { inner })
    }
    /// The time it was evaluated on.
    #[napi(getter)]
    pub fn eval_window(&self) -> Option<TimeSpan> {
        self.inner
            .eval_window
            .clone()
            .map(|inner| TimeSpan { inner })
    }
    /// Per strategy and process type.
    #[napi(getter)]
    pub fn rows(&self) -> Vec<BacktestRow> {
        self.inner
            .rows
            .iter()
            .map(|r| BacktestRow { inner: r.clone() })
            .collect()
    }
    /// Per strategy.
    #[napi(getter)]
    pub fn summary(&self) -> Vec<StrategySummary> {
        self.inner
            .summary
            .iter()
            .map(|s| StrategySummary { inner: s.clone() })
            .collect()
    }
    /// The readable table `dynoshift backtest` prints.
    #[napi]
    pub fn table(&self) -> String {
        self.inner.table()
    }
    /// The core's JSON (the same as `dynoshift backtest --json`).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// A policy argument as JSON (NaN and ±Infinity are `invalid_input` naming the field).
fn policy_arg(env: &Env, policy: Option<Unknown<'_>>) -> Result<Option<serde_json::Value>> {
    policy.map(|p| json_arg(env, p, "policy")).transpose()
}

/// A policy argument as the core's JSON text (`null` is none).
fn policy_text(policy: Option<serde_json::Value>) -> Option<String> {
    policy.filter(|p| !p.is_null()).map(|p| p.to_string())
}

fn policy(policy: Option<serde_json::Value>) -> core::Result<sz::SizingPolicy> {
    sz::SizingPolicy::from_json_or_default(policy_text(policy).as_deref())
}

fn backtest_args(
    policy: Option<serde_json::Value>,
    strategies: Option<Vec<String>>,
    fit_fraction: Option<f64>,
) -> core::Result<sz::BacktestArgs> {
    sz::BacktestArgs::from_parts(
        policy_text(policy).as_deref(),
        &strategies.unwrap_or_default(),
        fit_fraction,
    )
}

/// Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
#[napi(
    ts_args_type = "formation: Formation, logPaths: Array<string>, policy?: Record<string, unknown> | null"
)]
pub fn recommend_sizing(
    env: Env,
    formation: &Formation,
    log_paths: Vec<String>,
    policy: Option<Unknown<'_>>,
) -> Result<SizingReport> {
    let paths: Vec<PathBuf> = log_paths.into_iter().map(Into::into).collect();
    let policy = self::policy(policy_arg(&env, policy)?).js_err()?;
    Ok(SizingReport {
        inner: sz::recommend_paths(&formation.inner, &paths, &policy).js_err()?,
    })
}

/// Sizes every process type of `formation` from log lines held in memory.
#[napi(
    ts_args_type = "formation: Formation, lines: Array<string>, policy?: Record<string, unknown> | null"
)]
pub fn recommend_lines(
    env: Env,
    formation: &Formation,
    lines: Vec<String>,
    policy: Option<Unknown<'_>>,
) -> Result<SizingReport> {
    let policy = self::policy(policy_arg(&env, policy)?).js_err()?;
    Ok(SizingReport {
        inner: sz::recommend_lines(&formation.inner, lines.iter().map(String::as_str), &policy)
            .js_err()?,
    })
}

/// The work of `backtest(...)` on a libuv pool thread.
#[derive(Debug)]
pub struct BacktestTask {
    formation: core::Formation,
    paths: Vec<PathBuf>,
    args: core::Result<sz::BacktestArgs>,
}

impl Task for BacktestTask {
    type Output = core::Result<sz::BacktestReport>;
    type JsValue = BacktestReport;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self
            .args
            .clone()
            .and_then(|args| args.run_paths(&self.formation, &self.paths)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<BacktestReport> {
        match output {
            Ok(inner) => Ok(BacktestReport { inner }),
            Err(err) => Err(js_error_object(&env, err)),
        }
    }
}

/// Backtests log files off the JS thread (what `dynoshift backtest --formation --logs` does):
/// split at `fitFraction` (default 0.5) of their time span, fit `policy` under each of
/// `strategies` (default all) on the first part, replay the rest. Rejects with `code`
/// `invalid_input` (bad policy, fraction, strategy) or `not_found` (missing file).
#[napi(
    ts_args_type = "formation: Formation, logPaths: Array<string>, policy?: Record<string, unknown> | null, strategies?: Array<string> | null, fitFraction?: number | null",
    ts_return_type = "Promise<BacktestReport>"
)]
pub fn backtest(
    env: Env,
    formation: &Formation,
    log_paths: Vec<String>,
    policy: Option<Unknown<'_>>,
    strategies: Option<Vec<String>>,
    fit_fraction: Option<f64>,
) -> Result<AsyncTask<BacktestTask>> {
    Ok(AsyncTask::new(BacktestTask {
        formation: formation.inner.clone(),
        paths: log_paths.into_iter().map(PathBuf::from).collect(),
        args: backtest_args(policy_arg(&env, policy)?, strategies, fit_fraction),
    }))
}

/// `backtest` on log lines held in memory (sync).
#[napi(
    ts_args_type = "formation: Formation, lines: Array<string>, policy?: Record<string, unknown> | null, strategies?: Array<string> | null, fitFraction?: number | null"
)]
pub fn backtest_lines(
    env: Env,
    formation: &Formation,
    lines: Vec<String>,
    policy: Option<Unknown<'_>>,
    strategies: Option<Vec<String>>,
    fit_fraction: Option<f64>,
) -> Result<BacktestReport> {
    let args = backtest_args(policy_arg(&env, policy)?, strategies, fit_fraction).js_err()?;
    Ok(BacktestReport {
        inner: args
            .run_lines(&formation.inner, lines.iter().map(String::as_str))
            .js_err()?,
    })
}

/// Kubernetes manifests for `report` as multi-document YAML (warnings first, as `# dynoshift:
/// warning:` comments): per process type with dynos a Deployment, an HPA where it autoscales
/// and a PodDisruptionBudget; for web a Service and an ALB Ingress; the config Secret; the
/// release Job. `options`: `image` (required), `namespace`, `app` (objects are named
/// `<app>-<process type>`), `port`, `health_path`, `liveness_probe`, `pre_stop_seconds`,
/// `domains`, `certificate_arn`, `config_vars` (name -> value), `addon_config_vars`,
/// `include_values` (see `dynoshift manifests --help`).
#[napi(
    ts_args_type = "report: SizingReport, options: { image: string; namespace?: string; app?: string; port?: number; health_path?: string; liveness_probe?: boolean; pre_stop_seconds?: number; domains?: Array<string>; certificate_arn?: string; config_vars?: Record<string, string>; addon_config_vars?: Array<string>; include_values?: boolean }"
)]
pub fn manifests(env: Env, report: &SizingReport, options: Unknown<'_>) -> Result<String> {
    let options = json_arg(&env, options, "options")?;
    let options = core::ManifestOptions::from_json(&options.to_string()).js_err()?;
    core::manifests::render(&report.inner, &options).js_err()
}

/// Parses manifests YAML (as `manifests` writes it) back into the objects, with the Kubernetes
/// field names (`kind`, `apiVersion`, `metadata`, `spec`).
#[napi(ts_return_type = "Array<Record<string, any>>")]
pub fn parse_manifests(yaml: String) -> Result<serde_json::Value> {
    let text = core::manifests::from_yaml_to_json(&yaml).js_err()?;
    Ok(serde_json::from_str(&text).expect("the core's JSON parses"))
}

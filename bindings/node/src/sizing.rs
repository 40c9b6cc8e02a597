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
use crate::convert::{json, json_arg};
use crate::errors::{IntoJs, Result, js_error_object};

// The binding's own methods are in impl blocks of their own (see `js_result`).
dynoshift::result_type!(Explanation => js_result {});
dynoshift::result_type!(Explained => js_result {});
dynoshift::result_type!(HpaSizing => js_result {});
dynoshift::result_type!(ProcessSizing => js_result {});
dynoshift::result_type!(SizingReport => js_result {});
dynoshift::result_type!(BacktestRow => js_result {});
dynoshift::result_type!(StrategySummary => js_result {});
dynoshift::result_type!(BacktestReport => js_result {});

#[napi]
impl Explanation {
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

#[napi]
impl Explained {
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

#[napi]
impl HpaSizing {
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

#[napi]
impl ProcessSizing {
    /// The core's JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
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
    /// The entry of a process type (null when the formation has no such type).
    #[napi]
    pub fn process(&self, process_type: String) -> Option<ProcessSizing> {
        self.inner.process(&process_type).map(Into::into)
    }
    /// The core's JSON (the same as `dynoshift size --json`).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

#[napi]
impl BacktestReport {
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

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

dynoshift::result_type!(Explanation => rb_record {});
dynoshift::result_type!(Explained => rb_record {});
dynoshift::result_type!(HpaSizing => rb_record {});
dynoshift::result_type!(ProcessSizing => rb_record {});
dynoshift::result_type!(BacktestRow => rb_record {});
dynoshift::result_type!(StrategySummary => rb_record {});

dynoshift::result_type!(SizingReport => rb_result {
    /// Parses a report written by `to_json` (or `dynoshift size --json`).
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<SizingReport>> {
        Ok(Arc::new(SizingReport {
            inner: sz::SizingReport::from_json(&text)?,
        }))
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
    /// The entry of a process type (nil when the formation has no such type).
    pub fn process(&self, process_type: String) -> Option<ProcessSizing> {
        self.inner.process(&process_type).map(Into::into)
    }
    /// The core's JSON (the same as `dynoshift size --json`).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

dynoshift::result_type!(BacktestReport => rb_result {
    /// The readable table `dynoshift backtest` prints.
    pub fn table(&self) -> String {
        self.inner.table()
    }
    /// The core's JSON (the same as `dynoshift backtest --json`).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

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

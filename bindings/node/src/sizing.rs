//! Container sizing: plain objects out (the core's JSON shape, every number with its
//! explanation). Pure compute, so sync.

use dynoshift as core;
use napi_derive::napi;

use napi::Env;
use napi::bindgen_prelude::Unknown;

use crate::Formation;
use crate::convert::json_arg;
use crate::errors::{IntoJs, Result};

fn policy(env: &Env, policy: Option<Unknown<'_>>) -> Result<core::sizing::SizingPolicy> {
    match policy.map(|p| json_arg(env, p, "policy")).transpose()? {
        Some(p) if !p.is_null() => core::sizing::SizingPolicy::from_json(&p.to_string()).js_err(),
        _ => Ok(core::sizing::SizingPolicy::default()),
    }
}

fn plain(report: &core::sizing::SizingReport) -> serde_json::Value {
    serde_json::from_str(&report.to_json()).expect("the core's JSON parses")
}

/// Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
#[napi(
    ts_args_type = "formation: Formation, logPaths: Array<string>, policy?: Record<string, unknown> | null",
    ts_return_type = "{ strategy: string; processes: Array<Record<string, unknown>>; warnings: string[]; [key: string]: unknown }"
)]
pub fn recommend_sizing(
    env: Env,
    formation: &Formation,
    log_paths: Vec<String>,
    policy: Option<Unknown<'_>>,
) -> Result<serde_json::Value> {
    let paths: Vec<std::path::PathBuf> = log_paths.into_iter().map(Into::into).collect();
    let report =
        core::sizing::recommend_paths(&formation.inner, &paths, &self::policy(&env, policy)?)
            .js_err()?;
    Ok(plain(&report))
}

/// Sizes every process type of `formation` from log lines held in memory.
#[napi(
    ts_args_type = "formation: Formation, lines: Array<string>, policy?: Record<string, unknown> | null",
    ts_return_type = "{ strategy: string; processes: Array<Record<string, unknown>>; warnings: string[]; [key: string]: unknown }"
)]
pub fn recommend_lines(
    env: Env,
    formation: &Formation,
    lines: Vec<String>,
    policy: Option<Unknown<'_>>,
) -> Result<serde_json::Value> {
    let policy = self::policy(&env, policy)?;
    let report =
        core::sizing::recommend_lines(&formation.inner, lines.iter().map(String::as_str), &policy)
            .js_err()?;
    Ok(plain(&report))
}

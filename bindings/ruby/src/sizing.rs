//! Container sizing: plain data out (the core's JSON report, every number with its
//! explanation). `policy` is the `SizingPolicy` as JSON; `lib/dynoshift.rb` writes it from a
//! Hash and parses the report into a Hash.

use std::path::PathBuf;
use std::sync::Arc;

use dynoshift as core;

use crate::Formation;
use crate::errors::Result;

fn policy(policy_json: Option<String>) -> Result<core::sizing::SizingPolicy> {
    Ok(match policy_json {
        Some(text) => core::sizing::SizingPolicy::from_json(&text)?,
        None => core::sizing::SizingPolicy::default(),
    })
}

/// Sizes every process type of `formation` from Heroku log files (text, drain frames, .gz).
#[uniffi::export(default(policy_json = None))]
pub fn recommend_sizing(
    formation: Arc<Formation>,
    log_paths: Vec<String>,
    policy_json: Option<String>,
) -> Result<String> {
    let policy = policy(policy_json)?;
    let paths: Vec<PathBuf> = log_paths.into_iter().map(PathBuf::from).collect();
    Ok(core::sizing::recommend_paths(&formation.inner, &paths, &policy)?.to_json())
}

/// Sizes every process type of `formation` from log lines held in memory.
#[uniffi::export(default(policy_json = None))]
pub fn recommend_lines(
    formation: Arc<Formation>,
    lines: Vec<String>,
    policy_json: Option<String>,
) -> Result<String> {
    let policy = policy(policy_json)?;
    Ok(
        core::sizing::recommend_lines(&formation.inner, lines.iter().map(String::as_str), &policy)?
            .to_json(),
    )
}

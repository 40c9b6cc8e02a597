//! `dynoshift cutover fleet PLAN...`: several apps' cutovers at once under one Route53 request
//! budget; thin over the core's [`run_fleet`].

use std::path::{Path, PathBuf};

use clap::Args;
use dynoshift::cutover::fleet::{FleetApp, check_apart, fleet_failed, run_fleet};
use dynoshift::cutover::store::JournalLocation;
use dynoshift::cutover::{CutoverPlan, DnsTarget, RunOptions};
use dynoshift::dns::budget::{DEFAULT_BURST, ROUTE53_RATE};
use dynoshift::dns::route53::Route53Options;
use dynoshift::{Error, RequestBudget};

use crate::cutover::{EXIT_PAUSED, EXIT_ROLLED_BACK};
use crate::output::line;

#[derive(Args, Debug)]
pub struct FleetArgs {
    /// The plans, one per app; each app is named after its plan file (without the extension)
    /// and no hostname may be in two plans.
    #[arg(required = true, value_name = "PLAN")]
    plans: Vec<PathBuf>,
    /// Keep each app's journal in this directory as APP.journal.json (default: beside each
    /// plan, as `cutover run` does).
    #[arg(long, conflicts_with = "journal_prefix")]
    journal_dir: Option<PathBuf>,
    /// Keep each app's journal in S3 as PREFIX + APP.journal.json, e.g.
    /// s3://my-bucket/cutovers/ (any runner can then resume an app with cutover resume).
    #[arg(long)]
    journal_prefix: Option<String>,
    /// Route53 requests per second shared by every app (the account allows 5).
    #[arg(long, default_value_t = ROUTE53_RATE, value_name = "RPS")]
    budget: f64,
    /// Requests let through at once after a quiet spell.
    #[arg(long, default_value_t = DEFAULT_BURST, value_name = "N")]
    burst: u32,
    /// Route53 (and S3 journal) endpoint (e.g. http://127.0.0.1:5000 for moto_server).
    /// Credentials and region come from the standard AWS chain.
    #[arg(long, conflicts_with = "memory")]
    endpoint_url: Option<String>,
    /// Rehearse each app on its own in-process zone, on virtual time (instant).
    #[arg(long)]
    memory: bool,
    /// At a pause that waits for an operator, end that app as paused instead of waiting for
    /// `cutover approve --plan ...` from another shell.
    #[arg(long)]
    no_wait: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The app's name: the plan's file name without `.json`, `.yaml` or `.yml`.
fn app_name(plan: &Path) -> String {
    let name = plan
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| plan.display().to_string());
    for ext in [".json", ".yaml", ".yml"] {
        if let Some(stem) = name.strip_suffix(ext)
            && !stem.is_empty()
        {
            return stem.to_owned();
        }
    }
    name
}

fn journal_of(a: &FleetArgs, plan: &Path, app: &str) -> Result<PathBuf, Error> {
    if let Some(dir) = &a.journal_dir {
        return Ok(dir.join(format!("{app}.journal.json")));
    }
    if let Some(prefix) = &a.journal_prefix {
        let sep = if prefix.ends_with('/') { "" } else { "/" };
        let url = format!("{prefix}{sep}{app}.journal.json");
        if !JournalLocation::parse(&url)?.is_s3() {
            return Err(Error::invalid_input(format!(
                "--journal-prefix {prefix:?} is not an S3 prefix: give s3://BUCKET/PREFIX/ (or \
                 --journal-dir for local files)"
            )));
        }
        return Ok(PathBuf::from(url));
    }
    let mut p = plan.to_owned().into_os_string();
    p.push(".journal.json");
    Ok(PathBuf::from(p))
}

fn target(a: &FleetArgs, plan: &CutoverPlan) -> Result<DnsTarget, Error> {
    if a.memory {
        return DnsTarget::rehearsal(plan, std::time::Duration::ZERO, true);
    }
    Ok(DnsTarget::Route53(Route53Options::from_parts(
        a.endpoint_url.clone(),
        None,
        None,
        None,
    )?))
}

/// Runs the fleet; 0 when every app promoted, 6 when one rolled back, 75 when one paused (and
/// none rolled back), or the error of the first app that failed.
pub fn run(a: FleetArgs) -> Result<u8, Error> {
    let budget = RequestBudget::new(a.budget, a.burst)?;
    let mut apps = Vec::with_capacity(a.plans.len());
    for path in &a.plans {
        let plan = crate::cutover::load_plan(path)?;
        let name = app_name(path);
        let journal = journal_of(&a, path, &name)?;
        let target = target(&a, &plan)?;
        apps.push(FleetApp::new(name, plan, target, journal)?);
    }
    check_apart(&apps)?;
    if let Some(dir) = &a.journal_dir {
        std::fs::create_dir_all(dir).map_err(|e| dynoshift::files::io_error(&e, dir))?;
    }
    if !a.json {
        line(format!(
            "fleet: {} apps, Route53 budget {} req/s (burst {})",
            apps.len(),
            budget.rate(),
            budget.burst()
        ));
    }
    let options = RunOptions {
        no_wait: a.no_wait,
        ..RunOptions::default()
    };
    let report = crate::cutover::runtime()?.block_on(run_fleet(apps, budget, options))?;
    if a.json {
        line(report.to_json());
    } else {
        report.table().iter().for_each(line);
    }
    if fleet_failed(&report).is_none() {
        return Ok(0);
    }
    if let Some(e) = report.apps.iter().find(|r| r.outcome == "error") {
        let kind = dynoshift::ErrorKind::ALL
            .into_iter()
            .find(|k| Some(k.as_str()) == e.error_kind.as_deref())
            .unwrap_or(dynoshift::ErrorKind::Internal);
        return Err(Error::new(
            kind,
            format!(
                "app {} failed: {}",
                e.app,
                e.reason.as_deref().unwrap_or("no detail")
            ),
        ));
    }
    let rolled_back = report.apps.iter().any(|r| r.outcome == "rolled_back");
    Ok(if rolled_back {
        EXIT_ROLLED_BACK
    } else {
        EXIT_PAUSED
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_named_after_their_plan_files() {
        assert_eq!(app_name(Path::new("plans/shop.yaml")), "shop");
        assert_eq!(app_name(Path::new("api.json")), "api");
        assert_eq!(app_name(Path::new("dir/blog")), "blog");
        assert_eq!(app_name(Path::new(".json")), ".json");
    }
}

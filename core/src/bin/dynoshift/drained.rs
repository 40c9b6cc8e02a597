//! `dynoshift cutover drained --plan P (--logs FILE... | --profiles URL|FILE) [--now T]`: is
//! Heroku really drained after promotion? Thin over [`dynoshift::cutover::drained`].

use std::path::PathBuf;

use clap::Args;
use dynoshift::Error;
use dynoshift::cutover::drained::judge_time;
use dynoshift::cutover::{DrainInput, drained};
use dynoshift::files::read_text;

use crate::output::line;

/// Exit status when Heroku is not drained yet (or the input cannot tell): try again later.
pub const EXIT_NOT_DRAINED: u8 = 75;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["logs", "profiles"])))]
pub struct DrainedArgs {
    /// The plan (its hostnames, and `drained: {max_rpm, window_seconds, bucket_seconds}`;
    /// default 1 rpm for 24 h in 10-minute buckets).
    #[arg(long)]
    plan: PathBuf,
    /// Heroku log files (plain text, any framing `ingest` reads) covering the window: router
    /// lines give the residual requests per hostname, any timestamped line proves the logs
    /// were recording.
    #[arg(long, num_args = 1..)]
    logs: Vec<PathBuf>,
    /// The drain receiver's profiles: `http(s)://[user:password@]host/profiles/APP`, or a
    /// file saved from it or from `dynoshift ingest --json` (hourly, every hostname together).
    #[arg(long)]
    profiles: Option<String>,
    /// Judge at this time (RFC 3339) instead of now, e.g. for archived logs.
    #[arg(long)]
    now: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Buckets of the tail to show per hostname.
    #[arg(long, default_value_t = 12)]
    tail: usize,
}

/// Exit status 0 when drained, 75 when not (yet).
pub fn run(a: DrainedArgs) -> Result<u8, Error> {
    let plan = crate::cutover::load_plan(&a.plan)?;
    let now_ms = judge_time(a.now.as_deref())?;
    let report = match &a.profiles {
        Some(arg) => {
            let profiles = crate::drain::load_profiles(arg)?;
            drained(&plan, DrainInput::Profiles(&profiles), now_ms)?
        }
        None => {
            let mut text = String::new();
            for path in &a.logs {
                text.push_str(&read_text(path)?);
                text.push('\n');
            }
            let lines: Vec<&str> = text.lines().collect();
            drained(&plan, DrainInput::Lines(&lines), now_ms)?
        }
    };
    if a.json {
        line(report.to_json());
    } else {
        line(format!(
            "residual traffic to Heroku from {}, {} to {} ({} s buckets, threshold {} rpm):",
            report.source, report.window_start, report.now, report.bucket_seconds, report.max_rpm
        ));
        for h in &report.hosts {
            line(format!(
                "  {}: {} request(s) in the window, peak {:.2} rpm{}",
                h.hostname,
                h.requests_in_window,
                h.peak_rpm,
                h.last_over
                    .as_deref()
                    .map(|t| format!(", last over the threshold until {t}"))
                    .unwrap_or_default()
            ));
        }
        for (host, n) in &report.other_hosts {
            line(format!(
                "  ({host}: {n} request(s), not in the plan, not judged)"
            ));
        }
        line("tail:");
        for t in report.tail(a.tail) {
            line(format!("  {t}"));
        }
        line(report.reason);
    }
    Ok(if report.drained { 0 } else { EXIT_NOT_DRAINED })
}

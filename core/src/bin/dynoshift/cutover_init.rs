//! `dynoshift cutover init`: writes the cutover plan(s) from a Heroku app's domains.
//!
//! The token comes from `HEROKU_API_KEY` only (a flag would show it in `ps` and shell history);
//! Route53 credentials and region from the standard AWS chain. Read-only on both sides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use dynoshift::cutover::{InitOptions, InitReport, ZonePlan, plans_from_app};
use dynoshift::dns::DnsProvider;
use dynoshift::dns::route53::{Route53Options, Route53Provider};
use dynoshift::files::read_text;
use dynoshift::{Error, HerokuApiOptions, HerokuClient};

use crate::output::{eout, out};

/// Write the cutover plan(s) from a Heroku app's custom domains.
///
/// Each custom domain becomes a hostname with its own Heroku DNS target (its `cname`) and the
/// given AWS target, in the plan of its hosted zone (found in Route53: one plan per zone), with
/// one HTTP gate per hostname that probes the AWS target directly with the hostname as Host.
/// Domains that cannot move (the herokuapp.com name, a zone apex, a wildcard, no DNS target, a
/// failed certificate, no hosted zone) are listed on stderr with the reason. Read-only.
///
/// Example: dynoshift cutover init --app shop --aws-target my-alb-123.us-east-1.elb.amazonaws.com -o plan.yaml
///
/// (token from HEROKU_API_KEY, e.g. `export HEROKU_API_KEY=$(heroku auth:token)`)
#[derive(Args, Debug)]
pub struct InitArgs {
    /// The Heroku app's name or id (token from HEROKU_API_KEY).
    #[arg(long)]
    app: String,
    /// DNS name of the AWS load balancer the hostnames move to.
    #[arg(
        long,
        value_name = "ALB_DNS_NAME",
        required_unless_present = "aws_target_file"
    )]
    aws_target: Option<String>,
    /// File with the AWS target: the DNS name alone (e.g. `terraform output -raw alb_dns_name`),
    /// a JSON string, or a JSON object of hostname -> target ("*" for every other hostname).
    #[arg(long, value_name = "FILE")]
    aws_target_file: Option<PathBuf>,
    /// Platform API base URL [default: https://api.heroku.com].
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Give up on a Platform API request after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    api_timeout: u64,
    /// Route53 endpoint (e.g. http://127.0.0.1:5000 for moto_server).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Put every hostname in this hosted zone (name or id) instead of finding each one's zone.
    #[arg(long, value_name = "ZONE")]
    zone: Option<String>,
    /// Percent of traffic to AWS at each stage [default: 10,25,50,100].
    #[arg(long, value_name = "PERCENTS", value_delimiter = ',')]
    stages: Option<Vec<u8>>,
    /// TTL of the weighted records, seconds [default: 60].
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<i64>,
    /// Soak per stage, seconds [default: 300].
    #[arg(long, value_name = "SECONDS")]
    soak_seconds: Option<u64>,
    /// Path the HTTP gates probe on the AWS target.
    #[arg(long, value_name = "PATH", default_value = "/")]
    health_path: String,
    /// Write no gates into the plan.
    #[arg(long)]
    no_gates: bool,
    /// Plan hostnames whose Heroku ACM certificate failed (a rollback would meet broken TLS).
    #[arg(long)]
    allow_failed_certificates: bool,
    /// Write the plan here (.json, .yaml or .yml) instead of JSON on stdout; with several
    /// hosted zones, one file per zone named after it (plan.shop.com.json, ...).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite existing plan files.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Json,
    Yaml,
}

fn format_of(path: &Path) -> Result<Format, Error> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Ok(Format::Json),
        Some("yaml" | "yml") => Ok(Format::Yaml),
        _ => Err(Error::invalid_input(format!(
            "-o {}: name the plan file .json, .yaml or .yml (the format follows the extension)",
            path.display()
        ))),
    }
}

/// `plan.json` + `shop.com` -> `plan.shop.com.json`.
fn per_zone_path(path: &Path, zone: &str) -> PathBuf {
    let safe: String = zone
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.{safe}{ext}"))
}

/// The AWS targets from `--aws-target` and `--aws-target-file`: (default, per hostname).
fn aws_targets(args: &InitArgs) -> Result<(String, BTreeMap<String, String>), Error> {
    let mut default = args
        .aws_target
        .clone()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut own = BTreeMap::new();
    if let Some(path) = &args.aws_target_file {
        let text = read_text(path)?;
        let body = text.trim();
        let bad = |why: String| {
            Error::invalid_input(format!(
                "--aws-target-file {}: {why}; give the load balancer's DNS name alone, a JSON \
                 string, or a JSON object of hostname -> target (\"*\" for the rest)",
                path.display()
            ))
        };
        let from_file = if body.starts_with('{') {
            let map: BTreeMap<String, String> = serde_json::from_str(body)
                .map_err(|e| bad(format!("not a JSON object of names ({e})")))?;
            let mut rest = None;
            for (host, target) in map {
                if host == "*" {
                    rest = Some(target);
                } else {
                    own.insert(host, target);
                }
            }
            rest
        } else if body.starts_with('"') {
            Some(serde_json::from_str::<String>(body).map_err(|e| bad(format!("{e}")))?)
        } else {
            let names: Vec<&str> = body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            match names.as_slice() {
                [one] => Some((*one).to_owned()),
                [] => return Err(bad("it is empty".into())),
                _ => return Err(bad("it holds several lines".into())),
            }
        };
        if let Some(t) = from_file {
            let t = t.trim().to_owned();
            if default.is_empty() {
                default = t;
            } else if !default.eq_ignore_ascii_case(&t) {
                return Err(Error::invalid_input(format!(
                    "--aws-target {default} and the target in {} ({t}) differ: give one",
                    path.display()
                )));
            }
        }
    }
    Ok((default, own))
}

fn render(plan: &ZonePlan, format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = plan.plan.to_json();
            text.push('\n');
            text
        }
        Format::Yaml => plan.plan.to_yaml(),
    }
}

fn exists(path: &Path) -> Error {
    Error::new(
        dynoshift::ErrorKind::Conflict,
        format!(
            "{} exists: a plan in use is tied to its journal; pass --force to overwrite it, or \
             choose another -o",
            path.display()
        ),
    )
}

fn write_new(path: &Path, text: &str, force: bool) -> Result<(), Error> {
    if path.exists() && !force {
        return Err(exists(path));
    }
    std::fs::write(path, text)
        .map_err(|e| Error::invalid_input(format!("cannot write {}: {e}", path.display())))
}

fn report_to_stderr(report: &InitReport) {
    for s in &report.skipped {
        eout!("skipped {} [{}]: {}", s.hostname, s.code, s.reason);
    }
    for w in &report.warnings {
        let host = w
            .hostname
            .as_deref()
            .map(|h| format!(" {h}"))
            .unwrap_or_default();
        eout!("warning [{}]{host}: {}", w.code, w.message);
    }
}

pub fn run(args: InitArgs) -> Result<(), Error> {
    let format = args.output.as_deref().map(format_of).transpose()?;
    let (aws_target, own_targets) = aws_targets(&args)?;
    let options = InitOptions {
        aws_target,
        aws_targets: own_targets,
        zone: args.zone.clone(),
        stages: args.stages.clone(),
        ttl: args.ttl,
        soak_seconds: args.soak_seconds,
        health_path: args.health_path.clone(),
        gates: !args.no_gates,
        allow_failed_certificates: args.allow_failed_certificates,
    };
    let client = HerokuClient::new(HerokuApiOptions {
        token: None,
        base_url: args.api_url.clone(),
        timeout: Some(Duration::from_secs(args.api_timeout)),
        danger_accept_invalid_certs: false,
    })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("starting the async runtime: {e}")))?;
    let report = rt.block_on(async {
        let provider: Arc<dyn DnsProvider> = Arc::new(
            Route53Provider::connect(Route53Options {
                endpoint_url: args.endpoint_url.clone(),
                ..Default::default()
            })
            .await,
        );
        plans_from_app(&client, &args.app, options, provider).await
    })?;

    report_to_stderr(&report);
    match (&args.output, format) {
        (Some(path), Some(format)) => {
            let several = report.spans_zones();
            let targets: Vec<(PathBuf, &ZonePlan)> = report
                .plans
                .iter()
                .map(|p| {
                    let file = if several {
                        per_zone_path(path, &p.zone.name)
                    } else {
                        path.clone()
                    };
                    (file, p)
                })
                .collect();
            // refuse before writing anything, so a run never leaves half the files
            if !args.force
                && let Some((file, _)) = targets.iter().find(|(f, _)| f.exists())
            {
                return Err(exists(file));
            }
            if several {
                eout!(
                    "the hostnames span {} hosted zones: writing one plan per zone",
                    targets.len()
                );
            }
            for (file, p) in &targets {
                write_new(file, &render(p, format), args.force)?;
                eout!(
                    "wrote {}: zone {} ({}), {} hostname(s): {}",
                    file.display(),
                    p.zone.name,
                    p.zone.id,
                    p.plan.hostnames.len(),
                    p.plan.names().join(", ")
                );
            }
            for (file, _) in &targets {
                eout!(
                    "next: dynoshift cutover preflight --plan {}",
                    file.display()
                );
            }
        }
        _ => {
            if let [one] = report.plans.as_slice() {
                print!("{}", render(one, Format::Json));
            } else {
                let plans: Vec<&dynoshift::CutoverPlan> =
                    report.plans.iter().map(|p| &p.plan).collect();
                out!(
                    "{}",
                    serde_json::to_string_pretty(&plans).unwrap_or_default()
                );
                eout!(
                    "the hostnames span {} hosted zones ({}): stdout holds a JSON list of {} \
                     plans; pass -o plan.json to write one plan file per zone",
                    report.plans.len(),
                    report
                        .plans
                        .iter()
                        .map(|p| p.zone.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    report.plans.len()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_zone_file_names_keep_the_extension() {
        assert_eq!(
            per_zone_path(Path::new("out/plan.json"), "shop.com"),
            PathBuf::from("out/plan.shop.com.json")
        );
        assert_eq!(
            per_zone_path(Path::new("plan.yaml"), "a/b"),
            PathBuf::from("plan.a_b.yaml")
        );
        assert_eq!(format_of(Path::new("p.YML")).unwrap(), Format::Yaml);
        assert!(format_of(Path::new("p.txt")).is_err());
    }
}

//! The `dynoshift` command line: one thin subcommand per capability of the library.

mod catalog;
mod cutover;
mod cutover_init;
mod drain;
mod drained;
mod fleet;
mod heroku;
mod ingest;
mod inputs;
mod manifests;
mod output;
mod plan;
mod rehearse;
mod report;
mod size;
mod synth_logs;

use std::path::PathBuf;

use dynoshift::files::read_json_arg as json_arg;
use output::{eout, out};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dynoshift::{CostReport, Error, ErrorKind, Formation, Prices};

#[derive(Parser)]
#[command(
    name = "dynoshift",
    version,
    about = "Move a live Heroku app onto Kubernetes on EC2 without dropping requests"
)]
struct Cli {
    /// More log output on stderr: -v info, -vv debug, -vvv trace (default: warnings).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Staged Route53 cutover, gated by the plan's own gates: init (the plan from the Heroku
    /// app), preflight, dry-run, run, resume, rollback, promote, status; approve|pause|unpause|
    /// abort steer a live run from another shell.
    ///
    /// Example: dynoshift cutover preflight --plan plan.json   (read-only checks of zone and records)
    ///
    /// Example: dynoshift cutover dry-run --plan core/tests/fixtures/cutover-plan.json --memory
    ///
    /// Example: dynoshift cutover run --plan plan.json --journal cutover.journal.json
    ///
    /// Example: dynoshift cutover status --plan plan.json
    ///
    /// Example: dynoshift cutover init --app my-app --aws-target my-alb.elb.amazonaws.com -o plan.yaml
    ///
    /// Run exit status: 0 promoted, 6 rolled back, 75 paused. Add --memory to rehearse on an
    /// in-process zone on virtual time. `dynoshift cutover <action> --help` for each action.
    Cutover {
        #[command(subcommand)]
        command: cutover::CutoverCommand,
    },
    /// What a formation costs on Heroku per month.
    ///
    /// Example: dynoshift cost --formation tests/fixtures/formation-sample.json
    /// or inline: dynoshift cost --formation '{"web": {"size": "standard-2x", "quantity": 4}}'
    /// or, from the Platform API (token in HEROKU_API_KEY): dynoshift cost --app my-app
    #[command(group(clap::ArgGroup::new("source").required(true).args(["formation", "app"])))]
    Cost {
        /// Formation JSON, a file or inline: the Platform API's formation array or
        /// {"web": {"size": ..., "quantity": ...}}.
        #[arg(long)]
        formation: Option<PathBuf>,
        /// Fetch the formation of this Heroku app instead (token from HEROKU_API_KEY).
        #[arg(long)]
        app: Option<String>,
        #[command(flatten)]
        api: heroku::ApiArgs,
        /// Price overrides JSON, a file or inline, e.g. --prices '{"private-m": 600}' (USD per
        /// dyno per month).
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Read from the Heroku Platform API (token from HEROKU_API_KEY).
    ///
    /// Example: HEROKU_API_KEY=$(heroku auth:token) dynoshift heroku formation --app my-app --json
    Heroku {
        #[command(subcommand)]
        command: heroku::HerokuCommand,
    },
    /// A Heroku log-drain receiver that sizes as it listens (`drain serve`).
    ///
    /// Example: dynoshift drain serve --listen 0.0.0.0:8080 --state /var/lib/dynoshift --auth-file drain.auth
    /// then: heroku drains:add https://user:password@HOST/drain -a APP
    /// and later: dynoshift size --formation f.json --profiles https://user:password@HOST/profiles/APP
    Drain {
        #[command(subcommand)]
        command: drain::DrainCommand,
    },
    /// Heroku logs (text, log-drain frames, gzip archives) -> per-process-type profiles.
    ///
    /// Example: dynoshift ingest logs/2026-11-*.log.gz drain.log --json > profiles.json
    Ingest(ingest::IngestArgs),
    /// Writes a deterministic synthetic Heroku log for a formation (tests, benchmarks, demos).
    ///
    /// Example: dynoshift synth-logs --formation formation.json --duration 14d --seed 7 --leak worker:15 -o app.log.gz
    SynthLogs(synth_logs::SynthLogsArgs),
    /// The cheapest EC2 worker mix for the pods, its optimality gap, and the bill vs Heroku.
    ///
    /// The pods are sized from the logs (--logs, as `dynoshift size` does), or given as JSON
    /// (--pods): an array of {"process_type": "web", "replicas": 4, "cpu_millis": 500,
    /// "memory_mib": 1024}, or {"pods": [...], "options": {...}} with the library's PlanOptions.
    ///
    /// Example: dynoshift plan --formation formation.json --logs app.log.gz --karpenter nodepool.yaml
    Plan(plan::PlanArgs),
    /// The EC2 catalog: list the built-in types, or import AWS's offer file.
    ///
    /// Example: dynoshift catalog list --region us-east-1
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Formation + logs -> CPU/memory requests and limits, replicas and HPA per process type,
    /// each number with its rule (table), or --json, or Kubernetes manifests with --yaml.
    ///
    /// Example: dynoshift size --formation formation.json --logs app.log.gz --yaml --image registry/app:v1
    Size(size::SizeArgs),
    /// The whole app as Kubernetes objects: Deployments (the Procfile commands, the sized
    /// resources, Heroku's 30 s shutdown and 60 s boot window, probes), HPA, PDB, the web
    /// Service and an ALB Ingress with the custom domains, the config Secret (names; values
    /// only with --include-values) and the release Job; one YAML stream or a kustomize
    /// directory (-o DIR). Every number taken from Heroku is explained in an annotation.
    ///
    /// Example: dynoshift manifests --app shop --logs app.log.gz --image registry/shop:v42 --health-path /healthz -o k8s/
    Manifests(manifests::ManifestsArgs),
    /// Fit a sizing on the first part of the logs, replay the rest: slack and exceedances per
    /// strategy (dynoshift, vpa, krr). Without --logs, runs the built-in 14-day scenarios.
    ///
    /// Example: dynoshift backtest            or: dynoshift backtest --formation f.json --logs app.log.gz
    Backtest(size::BacktestArgs),
    /// Render the self-contained HTML report (charts, no scripts, readable offline) from the
    /// rehearsal.json that `dynoshift rehearse` writes.
    ///
    /// Example: dynoshift report --input target/rehearsal/rehearsal.json -o report.html
    Report(report::ReportArgs),
    /// The whole migration rehearsed here, with no AWS account and no network: two weeks of
    /// synthetic logs for the sample app (or --formation) ingested, sized, planned and billed;
    /// then two staged cutovers on an in-memory Route53 zone against two local HTTP apps, the
    /// second with a fault injected at 25% that the gates must catch and roll back.
    ///
    /// Example: dynoshift rehearse --out target/rehearsal        (--fast: a quick one)
    Rehearse(rehearse::RehearseArgs),
}

fn print_table(report: &CostReport) {
    out!(
        "{:<12} {:<18} {:>5} {:>12} {:>12}  source",
        "process",
        "dyno size",
        "qty",
        "$/dyno/mo",
        "$/month"
    );
    for l in &report.lines {
        let source = serde_json::to_value(l.price_source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out!(
            "{:<12} {:<18} {:>5} {:>12.2} {:>12.2}  {source}",
            l.process_type,
            l.size,
            l.quantity,
            l.unit_monthly_usd,
            l.monthly_usd
        );
    }
    out!(
        "{:<12} {:<18} {:>5} {:>12} {:>12.2}",
        "total",
        "",
        "",
        "",
        report.total_monthly_usd
    );
    for l in &report.lines {
        if let Some(note) = &l.note {
            out!("note ({}): {note}", l.process_type);
        }
    }
    for note in &report.notes {
        out!("note: {note}");
    }
}

/// Runs the command; its exit status (0 unless a cutover ended rolled back or paused).
fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Cutover { command } => return cutover::run(command),
        Command::Cost {
            formation,
            app,
            api,
            prices,
            json,
        } => {
            let formation = match (formation, app) {
                (Some(path), _) => Formation::from_json(&json_arg(&path)?)?,
                (None, Some(app)) => heroku::fetch_formation(&app, &api)?,
                (None, None) => {
                    return Err(Error::invalid_input("give --formation FILE or --app NAME"));
                }
            };
            let prices = match prices {
                Some(p) => Prices::from_json(&json_arg(&p)?)?,
                None => Prices::list(),
            };
            let report = formation.monthly_cost(&prices)?;
            if json {
                out!("{}", report.to_json());
            } else {
                print_table(&report);
            }
        }
        Command::Heroku { command } => heroku::run(command)?,
        Command::Drain { command } => drain::run(command)?,
        Command::Ingest(args) => ingest::run(args)?,
        Command::SynthLogs(args) => synth_logs::run(args)?,
        Command::Plan(args) => plan::run(args)?,
        Command::Catalog(cmd) => catalog::run(cmd)?,
        Command::Size(args) => size::run_size(args)?,
        Command::Manifests(args) => manifests::run(args)?,
        Command::Backtest(args) => size::run_backtest(args)?,
        Command::Report(args) => report::run(args)?,
        Command::Rehearse(args) => rehearse::run(args)?,
    }
    Ok(0)
}

/// The exit code of each error kind: 0 is success, 1 a bug (internal), and every other kind
/// has its own code so scripts can branch on it. 2 is also what clap uses for usage errors.
/// The README's table is this one; a test checks them against each other.
const EXIT_CODES: [(ErrorKind, u8); 10] = [
    (ErrorKind::Internal, 1),
    (ErrorKind::InvalidInput, 2),
    (ErrorKind::NotFound, 3),
    (ErrorKind::Conflict, 4),
    (ErrorKind::Infeasible, 5),
    (ErrorKind::Unhealthy, 6),
    (ErrorKind::Unauthorized, 7),
    (ErrorKind::Throttled, 8),
    (ErrorKind::Timeout, 9),
    (ErrorKind::Unavailable, 10),
];

fn exit_code(kind: ErrorKind) -> u8 {
    EXIT_CODES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(1, |(_, code)| *code)
}

/// Log events to stderr: the library's at the level the flags ask for, other crates' (HTTP,
/// AWS SDK) only when they warn, or at -vvv. The AWS SDK's config loader warns about every
/// credential provider that had nothing (a multi-line dump when there is no instance metadata
/// service): the error the command ends with says what to do, so those warnings show from -v.
fn init_logging(cli: &Cli) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let ours = match (cli.quiet, cli.verbose) {
        (true, _) => LevelFilter::ERROR,
        (_, 0) => LevelFilter::WARN,
        (_, 1) => LevelFilter::INFO,
        (_, 2) => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let others = if cli.verbose >= 3 {
        LevelFilter::DEBUG
    } else {
        ours.min(LevelFilter::WARN)
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let aws_config = if cli.verbose >= 1 {
        others
    } else {
        LevelFilter::ERROR
    };
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(
            Targets::new()
                .with_target("dynoshift", ours)
                .with_target("aws_config", aws_config)
                .with_default(others),
        )
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let result = run(cli).and_then(|code| match output::failure() {
        Some(message) => Err(Error::new(ErrorKind::Unavailable, message)),
        None => Ok(code),
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eout!("dynoshift: error [{}]: {e}", e.kind());
            ExitCode::from(exit_code(e.kind()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_exit_code() {
        let mut codes: Vec<u8> = ErrorKind::ALL.iter().map(|k| exit_code(*k)).collect();
        assert!(codes.iter().all(|c| *c != 0), "0 is success only");
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(
            codes.len(),
            ErrorKind::ALL.len(),
            "codes are distinct per kind"
        );
        for kind in ErrorKind::ALL {
            assert!(
                EXIT_CODES.iter().any(|(k, _)| *k == kind),
                "{kind} is missing from EXIT_CODES"
            );
        }
        assert_eq!(exit_code(ErrorKind::InvalidInput), 2, "clap's usage code");
    }

    #[test]
    fn the_readme_lists_the_same_exit_codes() {
        let readme = include_str!("../../../../README.md");
        for (kind, code) in EXIT_CODES {
            let row = format!("| {code} | `{kind}` |");
            assert!(readme.contains(&row), "README lacks the row {row:?}");
        }
    }
}

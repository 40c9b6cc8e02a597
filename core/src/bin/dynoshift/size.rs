//! `dynoshift size` (formation + logs → requests, limits, replicas, HPA; table, JSON or YAML)
//! and `dynoshift backtest` (fit on the first part of the logs, evaluate on the rest).

use std::path::PathBuf;

use crate::output::{eout, out};
use clap::Args;
use dynoshift::files::read_json_arg as json_arg;
use dynoshift::manifests::{self, ManifestOptions};
use dynoshift::sizing::{
    self, BacktestReport, Explained, SCENARIOS, Scenario, SizingPolicy, SizingReport, Strategy,
};
use dynoshift::{Error, Formation};

/// Arguments of `dynoshift size`.
#[derive(Args, Debug)]
pub struct SizeArgs {
    /// Formation JSON, a file or inline: the Platform API's formation array or
    /// {"web": {"size": ..., "quantity": ...}}.
    #[arg(long)]
    formation: PathBuf,
    /// Log files (plain or gzip) or s3://bucket/prefix URLs: `heroku logs` output, drain
    /// bodies, Papertrail archives.
    #[arg(long, num_args = 1.., required_unless_present = "profiles", conflicts_with = "profiles")]
    logs: Vec<PathBuf>,
    #[command(flatten)]
    s3: crate::inputs::S3Args,
    /// Saved profiles instead of logs: a file of `dynoshift ingest --json`, or a drain
    /// receiver's URL (http(s)://[user:password@]host/profiles/APP).
    #[arg(long)]
    profiles: Option<String>,
    /// Strategy: dynoshift (default), vpa or krr.
    #[arg(long)]
    strategy: Option<String>,
    /// Policy JSON, a file or inline (any subset of the SizingPolicy fields; the rest take their
    /// defaults).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Print the full report (with every explanation) as JSON.
    #[arg(long, conflicts_with = "yaml")]
    json: bool,
    /// Print Kubernetes manifests (Deployment, HPA, PodDisruptionBudget) as YAML; needs --image.
    #[arg(long, requires = "image")]
    yaml: bool,
    /// Container image for --yaml.
    #[arg(long)]
    image: Option<String>,
    /// Namespace for --yaml.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// App name for --yaml: objects are named <app>-<process type>.
    #[arg(long, default_value = "app")]
    app_name: String,
    /// Size from logs that are truncated or corrupt (a broken .gz) anyway: the sizes then come
    /// from the part before the break and may be too low, and every output carries a warning.
    /// Without this flag such logs are refused (exit 2).
    #[arg(long)]
    allow_damaged_input: bool,
}

/// Warns on stderr about every damaged input of `report`, and refuses the report
/// (`invalid_input`) unless `allow` (`--allow-damaged-input`).
pub(crate) fn check_damaged_input(report: &SizingReport, allow: bool) -> Result<(), Error> {
    let warnings = report.input_warnings();
    for w in &warnings {
        eout!("dynoshift: warning: {w}");
    }
    if warnings.is_empty() || allow {
        return Ok(());
    }
    Err(Error::invalid_input(format!(
        "{} log input(s) are truncated or corrupt, so every size would come from partial data; \
         re-download or repair them, or pass --allow-damaged-input to size from what could be read",
        warnings.len()
    )))
}

pub(crate) fn policy(
    path: &Option<PathBuf>,
    strategy: &Option<String>,
) -> Result<SizingPolicy, Error> {
    let mut p = match path {
        Some(path) => SizingPolicy::from_json(&json_arg(path)?)?,
        None => SizingPolicy::default(),
    };
    if let Some(s) = strategy {
        p.strategy = Strategy::parse(s)?;
    }
    p.validate()?;
    Ok(p)
}

fn line<T: std::fmt::Display>(what: &str, v: &Explained<T>) {
    out!(
        "    {what:<15} {} {}: {}",
        v.value,
        v.unit,
        v.explanation.rule
    );
}

fn print_report(r: &SizingReport) {
    out!("strategy {}", r.strategy);
    if let Some(w) = &r.window {
        out!("window   {} .. {}", w.start, w.end);
    }
    out!(
        "\n{:<12} {:<16} {:>4} {:>8} {:>8} {:>9} {:>9} {:>8} {:>13}",
        "process",
        "heroku",
        "qty",
        "cpu req",
        "cpu lim",
        "mem req",
        "mem lim",
        "replicas",
        "hpa"
    );
    for p in &r.processes {
        out!(
            "{:<12} {:<16} {:>4} {:>8} {:>8} {:>9} {:>9} {:>8} {:>13}",
            p.process_type,
            p.dyno_size,
            p.quantity,
            format!("{}m", p.cpu_request_millicores.value),
            p.cpu_limit_millicores
                .as_ref()
                .map_or("-".to_owned(), |l| format!("{}m", l.value)),
            format!("{}Mi", p.memory_request_mib.value),
            format!("{}Mi", p.memory_limit_mib.value),
            p.replicas.value,
            p.hpa.as_ref().map_or("-".to_owned(), |h| format!(
                "{}..{} @{}%",
                h.min_replicas.value, h.max_replicas.value, h.target_cpu_utilization_percent.value
            )),
        );
    }
    for p in &r.processes {
        out!("\n{} — why:", p.process_type);
        line("cpu request", &p.cpu_request_millicores);
        if let Some(l) = &p.cpu_limit_millicores {
            line("cpu limit", l);
        }
        line("memory", &p.memory_limit_mib);
        line("replicas", &p.replicas);
        if let Some(h) = &p.hpa {
            line("hpa min", &h.min_replicas);
            line("hpa max", &h.max_replicas);
            line("hpa target", &h.target_cpu_utilization_percent);
        }
        let e = &p.memory_limit_mib.explanation;
        out!(
            "    {:<15} {} samples, confidence {:?}",
            "data",
            e.samples.max(p.cpu_request_millicores.explanation.samples),
            e.confidence
        );
        let mut warnings: Vec<&String> = p
            .cpu_request_millicores
            .explanation
            .warnings
            .iter()
            .chain(&p.memory_limit_mib.explanation.warnings)
            .chain(&p.replicas.explanation.warnings)
            .collect();
        warnings.sort();
        warnings.dedup();
        for w in warnings {
            out!("    warning: {w}");
        }
    }
    for w in &r.warnings {
        out!("\nwarning: {w}");
    }
}

/// Runs `dynoshift size`.
pub fn run_size(args: SizeArgs) -> Result<(), Error> {
    let formation = Formation::from_json(&json_arg(&args.formation)?)?;
    let policy = policy(&args.policy, &args.strategy)?;
    let profiles = match &args.profiles {
        Some(p) => crate::drain::load_profiles(p)?,
        None => crate::inputs::ingest(&args.logs, None, &args.s3)?,
    };
    let report = sizing::recommend(&formation, &profiles, &policy)?;
    check_damaged_input(&report, args.allow_damaged_input)?;
    if args.json {
        out!("{}", report.to_json_pretty());
    } else if args.yaml {
        let options = ManifestOptions {
            image: args.image.unwrap_or_default(),
            namespace: args.namespace,
            app: args.app_name,
            ..ManifestOptions::default()
        };
        crate::output::emit(&manifests::render(&report, &options)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Arguments of `dynoshift backtest`.
#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// Built-in synthetic scenario(s): steady-web, spiky-web, leaking-worker, r14-episode,
    /// swap-use, or all (the default when no --logs are given).
    #[arg(long, conflicts_with_all = ["logs", "formation"])]
    scenario: Option<String>,
    /// Days of synthetic log per scenario.
    #[arg(long, default_value_t = 14)]
    days: u64,
    /// Generator seed for the scenarios.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Formation JSON (a file or inline) of the app whose --logs are backtested.
    #[arg(long, requires = "logs")]
    formation: Option<PathBuf>,
    /// Log files to split by time (plain or gzip), or s3://bucket/prefix URLs (downloaded to a
    /// temporary directory first: the backtest reads its input twice).
    #[arg(long, num_args = 1.., requires = "formation")]
    logs: Vec<PathBuf>,
    #[command(flatten)]
    s3: crate::inputs::S3Args,
    /// Share of the time span to fit on; the rest is evaluated.
    #[arg(long, default_value_t = sizing::DEFAULT_FIT_FRACTION)]
    fit_fraction: f64,
    /// Strategies to compare (repeatable); default all: dynoshift, vpa, krr.
    #[arg(long)]
    strategy: Vec<String>,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
}

fn print_overall(reports: &[&BacktestReport]) {
    out!("\nall scenarios (mean memory slack over every process type; target: 0 OOMs, ≤ 25%)");
    out!(
        "{:<10} {:>6} {:>9} {:>9} {:>9}",
        "strategy",
        "OOMs",
        "mem slack",
        "cpu min>",
        "cpu slack"
    );
    for s in sizing::overall(reports) {
        out!(
            "{:<10} {:>6} {:>8.1}% {:>9} {:>8.1}%  {}",
            s.strategy.as_str(),
            s.memory_exceedances,
            s.mean_memory_slack * 100.0,
            s.cpu_minutes_above_request,
            s.mean_cpu_slack * 100.0,
            if s.meets_target {
                "target met"
            } else {
                "target missed"
            }
        );
    }
}

/// Runs `dynoshift backtest`.
pub fn run_backtest(args: BacktestArgs) -> Result<(), Error> {
    let strategies: Vec<Strategy> = if args.strategy.is_empty() {
        Strategy::ALL.to_vec()
    } else {
        args.strategy
            .iter()
            .map(|s| Strategy::parse(s))
            .collect::<Result<_, _>>()?
    };
    if let Some(path) = &args.formation {
        let formation = Formation::from_json(&json_arg(path)?)?;
        let copies = crate::inputs::local_copies(&args.logs, &args.s3)?;
        let (fit, eval) = sizing::split_paths(&copies.paths, args.fit_fraction)?;
        let policies: Vec<SizingPolicy> = strategies
            .iter()
            .map(|s| SizingPolicy::with_strategy(*s))
            .collect();
        let report = sizing::backtest(&formation, &fit, &eval, &policies)?;
        if args.json {
            out!("{}", report.to_json());
        } else {
            crate::output::emit(&report.table());
        }
        return Ok(());
    }
    if args.days == 0 || args.days > 400 {
        return Err(Error::invalid_input("--days must be 1..=400"));
    }
    let names: Vec<&str> = match args.scenario.as_deref() {
        None | Some("all") => SCENARIOS.to_vec(),
        Some(one) => vec![one],
    };
    let mut results = vec![];
    for name in names {
        let scenario = Scenario::named(name, args.days * 86_400, args.seed)?;
        let result = sizing::run_scenario(&scenario, args.fit_fraction, &strategies)?;
        if !args.json {
            out!("== {name}: {}", scenario.description);
            out!("{}", result.report.table());
        }
        results.push(result);
    }
    if args.json {
        out!(
            "{}",
            serde_json::to_string(&results).expect("backtest results serialise")
        );
    } else {
        print_overall(&results.iter().map(|r| &r.report).collect::<Vec<_>>());
    }
    Ok(())
}

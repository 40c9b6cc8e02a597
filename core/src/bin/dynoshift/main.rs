//! The `dynoshift` command line: one thin subcommand per capability of the library.

mod catalog;
mod output;
mod plan;

use std::path::PathBuf;
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// What a formation costs on Heroku per month.
    ///
    /// Example: dynoshift cost --formation tests/fixtures/formation-sample.json
    Cost {
        /// Formation JSON: the Platform API's formation array or {"web": {"size": ..., "quantity": ...}}.
        #[arg(long)]
        formation: PathBuf,
        /// Price overrides JSON, e.g. {"private-m": 600} (USD per dyno per month).
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The cheapest EC2 worker mix for the pods, its optimality gap, and the bill vs Heroku.
    ///
    /// Until `dynoshift size` lands, the pods come from a JSON file (--pods): an array of
    /// {"process_type": "web", "replicas": 4, "cpu_millis": 500, "memory_mib": 1024}, or
    /// {"pods": [...], "options": {...}} with the library's PlanOptions.
    ///
    /// Example: dynoshift plan --pods pods.json --formation formation.json --karpenter nodepool.yaml
    Plan(plan::PlanArgs),
    /// The EC2 catalog: list the built-in types, or import AWS's offer file.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
}

fn read(path: &PathBuf) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::InvalidInput
        };
        Error::new(kind, format!("cannot read {}: {e}", path.display()))
    })
}

fn print_table(report: &CostReport) {
    println!(
        "{:<12} {:<18} {:>5} {:>12} {:>12}  source",
        "process", "dyno size", "qty", "$/dyno/mo", "$/month"
    );
    for l in &report.lines {
        let source = serde_json::to_value(l.price_source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:<12} {:<18} {:>5} {:>12.2} {:>12.2}  {source}",
            l.process_type, l.size, l.quantity, l.unit_monthly_usd, l.monthly_usd
        );
    }
    println!(
        "{:<12} {:<18} {:>5} {:>12} {:>12.2}",
        "total", "", "", "", report.total_monthly_usd
    );
    for l in &report.lines {
        if let Some(note) = &l.note {
            println!("note ({}): {note}", l.process_type);
        }
    }
    for note in &report.notes {
        println!("note: {note}");
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Cost {
            formation,
            prices,
            json,
        } => {
            let formation = Formation::from_json(&read(&formation)?)?;
            let prices = match prices {
                Some(p) => Prices::from_json(&read(&p)?)?,
                None => Prices::list(),
            };
            let report = formation.monthly_cost(&prices)?;
            if json {
                println!("{}", report.to_json());
            } else {
                print_table(&report);
            }
        }
        Command::Plan(args) => plan::run(args, read)?,
        Command::Catalog(cmd) => catalog::run(cmd)?,
    }
    Ok(())
}

/// Exit codes: 0 success, 2 invalid input or usage, 3 not found, 4 conflict, 5 unhealthy or
/// infeasible, 1 anything else.
fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => 2,
        ErrorKind::NotFound => 3,
        ErrorKind::Conflict => 4,
        ErrorKind::Unhealthy | ErrorKind::Infeasible => 5,
        _ => 1,
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dynoshift: error [{}]: {e}", e.kind());
            ExitCode::from(exit_code(e.kind()))
        }
    }
}

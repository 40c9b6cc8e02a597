//! `dynoshift synth-logs`: a deterministic synthetic Heroku log for a formation.

use std::path::PathBuf;

use clap::Args;
use dynoshift::heroku::synth::{
    SynthFraming, SynthOptions, generate, generate_file, parse_duration,
};
use dynoshift::{Error, Formation};

/// Arguments of `dynoshift synth-logs`.
#[derive(Args, Debug)]
pub struct SynthLogsArgs {
    /// Formation: a JSON file, or inline JSON such as '{"web":{"size":"standard-2x","quantity":2}}'.
    #[arg(long)]
    formation: String,
    /// Length of the log: 14d, 36h, 90m, 45s [default: 1d].
    #[arg(long)]
    duration: Option<String>,
    /// PRNG seed: same seed, same bytes [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Memory leak in MB per hour since the last daily restart: `20` (every process type) or
    /// `worker:20` (one type).
    #[arg(long)]
    leak: Option<String>,
    /// Mean router requests per second across the web dynos [default: 5].
    #[arg(long)]
    rps: Option<f64>,
    /// Ten-minute episodes of one dyno above its memory quota (R14) [default: 0].
    #[arg(long)]
    r14_episodes: Option<u32>,
    /// H12 request timeouts per hour [default: 0.5].
    #[arg(long)]
    h12_per_hour: Option<f64>,
    /// Generator options as JSON (any fields of SynthOptions, e.g. '{"start_unix_s": 1793577600,
    /// "daily_swing": 0.4}'); the flags given on the command line override them.
    #[arg(long)]
    options: Option<String>,
    /// Write log-drain frames (RFC 5424 with octet counts) instead of `heroku logs` text.
    #[arg(long)]
    drain: bool,
    /// Output file (a name ending in .gz is gzip-compressed); standard output if absent.
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Where to write the known parameters as JSON (default: standard error).
    #[arg(long)]
    report: Option<PathBuf>,
}

fn io_error(what: &str, path: &std::path::Path, e: &std::io::Error) -> Error {
    Error::invalid_input(format!(
        "cannot {what} {}: {e}; check the path and permissions",
        path.display()
    ))
}

fn formation(text: &str) -> Result<Formation, Error> {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return Formation::from_json(t);
    }
    let body = dynoshift::files::read_text(std::path::Path::new(text))?;
    Formation::from_json(&body)
}

/// Runs `dynoshift synth-logs`.
pub fn run(args: SynthLogsArgs) -> Result<(), Error> {
    let formation = formation(&args.formation)?;
    let mut o: SynthOptions = match &args.options {
        Some(json) => SynthOptions::from_json(json)
            .map_err(|e| Error::invalid_input(format!("--options: {}", e.message())))?,
        None => SynthOptions::default(),
    };
    if let Some(seed) = args.seed {
        o.seed = seed;
    }
    if let Some(d) = &args.duration {
        o.duration_s = parse_duration(d)?;
    }
    if let Some(rps) = args.rps {
        o.web_rps = rps;
    }
    if let Some(n) = args.r14_episodes {
        o.r14_episodes = n;
    }
    if let Some(h) = args.h12_per_hour {
        o.h12_per_hour = h;
    }
    if args.drain {
        o.framing = SynthFraming::Drain;
    }
    if let Some(leak) = &args.leak {
        let (types, rate) = match leak.split_once(':') {
            Some((t, r)) => (vec![t.to_owned()], r),
            None => (Vec::new(), leak.as_str()),
        };
        o.leak_mb_per_hour = rate.trim().parse().map_err(|_| {
            Error::invalid_input(format!(
                "--leak {leak:?} is not valid; give MB per hour, e.g. 20 or worker:20"
            ))
        })?;
        o.leak_types = types;
    }
    let report = match &args.output {
        // A reader that stops early (`synth-logs ... | head`) ends the generation, quietly.
        None => match generate(&formation, &o, crate::output::Stdout) {
            Err(_) if crate::output::stdout_gone() => return Ok(()),
            other => other?,
        },
        Some(path) => generate_file(&formation, &o, path)?,
    };
    match &args.report {
        Some(path) => std::fs::write(path, report.to_json() + "\n")
            .map_err(|e| io_error("write", path, &e))?,
        None => {
            crate::output::eline(report.to_json());
        }
    }
    Ok(())
}

//! `dynoshift report --input rehearsal.json [-o report.html]`: renders the self-contained HTML
//! report from the JSON `dynoshift rehearse` writes.

use std::path::{Path, PathBuf};

use crate::output::{eout, out};
use clap::Args;
use dynoshift::Error;
use dynoshift::files::io_error;
use dynoshift::report::{ReportInput, render_html};

const WHAT_TO_PASS: &str = "pass --input with the rehearsal.json written by `dynoshift rehearse`";

/// Render the rehearsal report: one self-contained HTML file (inline CSS and SVG charts, no
/// scripts, nothing fetched) with the sizing, node plan, bill and cutover timelines.
///
/// Example: dynoshift report --input target/rehearsal/rehearsal.json -o report.html
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The report input: the rehearsal.json written by `dynoshift rehearse`.
    #[arg(long, short = 'i', value_name = "FILE")]
    input: PathBuf,
    /// Where to write the HTML (default: report.html beside the input; `-` for stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// The live preflight to show: the output of `dynoshift cutover preflight --json`.
    #[arg(long, value_name = "FILE")]
    preflight: Option<PathBuf>,
    /// The drain curve to show: the output of `dynoshift cutover drained --json`.
    #[arg(long, value_name = "FILE")]
    drained: Option<PathBuf>,
    /// A run's journal whose warm-up baseline to show (repeat for several runs).
    #[arg(long, value_name = "FILE")]
    journal: Vec<PathBuf>,
}

/// Reads the JSON `what` wrote into a `T`; a wrong file says which command writes it.
fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    flag: &str,
    what: &str,
) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            io_error(&e, path).kind(),
            format!(
                "cannot read {}: {e}; pass {flag} with the output of `{what}`",
                path.display()
            ),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::invalid_input(format!(
            "{} is not the output of `{what}` ({e}); pass {flag} with what that command prints",
            path.display()
        ))
    })
}

fn read_input(path: &Path) -> Result<ReportInput, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            io_error(&e, path).kind(),
            format!("cannot read {}: {e}; {WHAT_TO_PASS}", path.display()),
        )
    })?;
    ReportInput::from_json(&text).map_err(|e| e.at(path.display().to_string()))
}

pub fn run(args: ReportArgs) -> Result<(), Error> {
    let mut input = read_input(&args.input)?;
    if let Some(p) = &args.preflight {
        input.preflight = Some(read_json(
            p,
            "--preflight",
            "dynoshift cutover preflight --plan P --json",
        )?);
    }
    if let Some(p) = &args.drained {
        input.drained = Some(read_json(
            p,
            "--drained",
            "dynoshift cutover drained --plan P --json",
        )?);
    }
    for p in &args.journal {
        let j = dynoshift::cutover::read_journal(p)?;
        match j.warmup {
            Some(b) => input.warmups.push(b),
            None => eout!(
                "{}: run {} had no warm-up (its plan has no warmup section)",
                p.display(),
                j.run_id
            ),
        }
    }
    let html = render_html(&input);
    let output = args
        .output
        .unwrap_or_else(|| args.input.with_file_name("report.html"));
    if output.as_os_str() == "-" {
        crate::output::emit(&html);
        return Ok(());
    }
    std::fs::write(&output, &html).map_err(|e| {
        Error::invalid_input(format!(
            "cannot write the report to {}: {e}; pass -o with a writable path",
            output.display()
        ))
    })?;
    let charts = html.matches("<svg ").count();
    out!(
        "wrote {} ({} KiB, {charts} charts, {} cutover run(s)); open it in any browser, offline",
        output.display(),
        html.len().div_ceil(1024),
        input.cutovers.len()
    );
    Ok(())
}

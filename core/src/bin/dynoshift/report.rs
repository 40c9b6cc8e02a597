//! `dynoshift report --input rehearsal.json [-o report.html]`: renders the self-contained HTML
//! report from the JSON `dynoshift rehearse` writes.

use std::path::{Path, PathBuf};

use crate::output::out;
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
    let input = read_input(&args.input)?;
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

//! `dynoshift ingest FILES... [--json]`: Heroku logs → per-process-type profiles.

use std::path::PathBuf;

use crate::output::{eout, out};
use clap::Args;
use dynoshift::Error;
use dynoshift::telemetry::{Distribution, Profiles};

/// Arguments of `dynoshift ingest`.
#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Log files or s3://bucket/prefix URLs: `heroku logs` output, log-drain bodies,
    /// Papertrail archives (.tsv.gz); gzip is detected per file or object.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the full profiles as JSON instead of the summary tables.
    #[arg(long)]
    json: bool,
    /// Threads to read with, 1 to 256 (default: the cores available, at most 8). Plain files
    /// over 64 MiB are read in segments the threads share; the result is the same for any
    /// number.
    #[arg(long, allow_negative_numbers = true)]
    threads: Option<i64>,
    #[command(flatten)]
    s3: crate::inputs::S3Args,
}

fn q(d: &Option<Distribution>, f: impl Fn(&Distribution) -> f64) -> String {
    d.as_ref()
        .map_or("-".to_owned(), |d| format!("{:.1}", f(d)))
}

fn q2(d: &Option<Distribution>, f: impl Fn(&Distribution) -> f64) -> String {
    d.as_ref()
        .map_or("-".to_owned(), |d| format!("{:.2}", f(d)))
}

fn print_summary(p: &Profiles) {
    let l = &p.lines;
    out!(
        "records {}  telemetry {}  other {}  unparsed {}  ({} bytes)",
        l.records,
        l.telemetry,
        l.other,
        l.unparsed,
        l.bytes
    );
    let r = &l.repairs;
    if r.total() > 0 {
        out!(
            "repairs {}  (octet count off by one {}, glued frames {}, frames found by header {}, \
             ANSI stripped {}, zone offsets inferred {}, years inferred {})",
            r.total(),
            r.octet_count_off_by_one,
            r.glued_frames,
            r.frames_found_by_header,
            r.ansi_stripped,
            r.zone_offsets_inferred,
            r.years_inferred
        );
    }
    if let Some(s) = &p.span {
        out!(
            "span    {} .. {} ({:.1} h)",
            s.start,
            s.end,
            s.seconds / 3600.0
        );
    }
    out!(
        "quantiles within {:.0}% (DDSketch); max values are exact\n",
        p.relative_error * 100.0
    );
    out!("memory_total MB (swap counts: Kubernetes has none)");
    out!(
        "{:<12} {:>5} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>5} {:>4}",
        "process",
        "dynos",
        "samples",
        "p50",
        "p95",
        "p99",
        "max",
        "swap max",
        "quota",
        "load p95",
        "R14",
        "R15"
    );
    for (name, t) in &p.process_types {
        let m = &t.memory;
        out!(
            "{:<12} {:>5} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>5} {:>4}",
            name,
            t.dynos.len(),
            m.samples,
            q(&m.total_mb, |d| d.p50),
            q(&m.total_mb, |d| d.p95),
            q(&m.total_mb, |d| d.p99),
            q(&m.total_mb, |d| d.max),
            q(&m.swap_mb, |d| d.max),
            m.quota_mb.map_or("-".to_owned(), |v| format!("{v:.0}")),
            q2(&t.load_avg_1m, |d| d.p95),
            t.memory_errors.r14,
            t.memory_errors.r15
        );
    }
    let routed: Vec<_> = p
        .process_types
        .iter()
        .filter_map(|(n, t)| t.router.as_ref().map(|r| (n, r)))
        .collect();
    if !routed.is_empty() {
        out!("\nrouter (service ms; in flight per dyno by Little's law)");
        out!(
            "{:<12} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}  status / H codes",
            "process",
            "requests",
            "mean rps",
            "peak rpm",
            "svc p50",
            "svc p95",
            "svc p99",
            "infl p95",
            "infl max",
        );
        for (name, r) in routed {
            let codes: Vec<String> = r
                .status_classes
                .iter()
                .chain(r.h_codes.iter())
                .map(|(k, v)| format!("{k}:{v}"))
                .collect();
            out!(
                "{:<12} {:>10} {:>8.2} {:>8} {:>8} {:>8} {:>8} {:>9.2} {:>9.2}  {}",
                name,
                r.requests,
                r.mean_rps,
                q(&r.requests_per_minute, |d| d.max),
                q(&r.service_ms, |d| d.p50),
                q(&r.service_ms, |d| d.p95),
                q(&r.service_ms, |d| d.p99),
                r.concurrency.per_dyno_p95,
                r.concurrency.per_dyno_max,
                codes.join(" ")
            );
        }
    }
    if !p.unparsed_examples.is_empty() {
        out!("\nunparsed examples (first {}):", p.unparsed_examples.len());
        for e in &p.unparsed_examples {
            out!(
                "  {}#{}: {}: {:?}",
                e.input.as_deref().unwrap_or("-"),
                e.record,
                e.reason,
                e.text
            );
        }
    }
    for i in &p.input_issues {
        out!(
            "\nwarning: {}: {}",
            i.input.as_deref().unwrap_or("input"),
            i.message
        );
    }
}

/// Runs `dynoshift ingest`.
pub fn run(args: IngestArgs) -> Result<(), Error> {
    let profiles = crate::inputs::ingest(&args.files, args.threads, &args.s3)?;
    for issue in &profiles.input_issues {
        eout!("dynoshift: warning: {}", issue.warning());
    }
    if args.json {
        out!("{}", profiles.to_json());
    } else {
        print_summary(&profiles);
    }
    Ok(())
}

//! `dynoshift rehearse`: the whole migration on the embedded default (see
//! `dynoshift::rehearse`), with a progress bar for the ingest and a stage timeline for the
//! cutovers, or JSON lines with `--json`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::output::out;
use clap::Args;
use dynoshift::cutover::{CutoverEvent, EventRecord, VerdictStatus};
use dynoshift::files::read_json_arg as json_arg;
use dynoshift::rehearse::{self, AnalysisStep, RehearsalOptions, Scenario};
use dynoshift::report::ReportInput;
use dynoshift::{Error, Formation};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

/// Arguments of `dynoshift rehearse`.
#[derive(Args, Debug)]
#[command(after_long_help = JSON_HELP)]
pub struct RehearseArgs {
    /// Formation JSON, a file or inline (Platform API array or {"web": {"size": ...,
    /// "quantity": ...}}).
    /// Default: the built-in sample app (web x4 Standard-2X, worker x2 Standard-1X).
    #[arg(long)]
    formation: Option<PathBuf>,
    /// Where the outputs go (created if missing): heroku-app.log.gz, rehearsal.json and the
    /// two cutover journals.
    #[arg(long, default_value = "dynoshift-rehearsal")]
    out: PathBuf,
    /// Small and quick (for tests): 2 days of logs instead of 14, and 1 s soaks instead of 3.
    #[arg(long)]
    fast: bool,
    /// Print JSON lines on stdout instead of text (schema below).
    #[arg(long)]
    json: bool,
    /// Inject no fault into the second run (it then promotes, so the rehearsal must fail:
    /// proves that the check can fail).
    #[arg(long, hide = true)]
    no_fault: bool,
}

const JSON_HELP: &str = "\
With --json, stdout is one JSON object per line, each with a \"kind\":
  {\"kind\": \"step\", \"type\": \"logs_generating\"|\"logs_generated\"|\"ingest_progress\"|\"ingested\"|\"planned\", ...}
      ingest_progress has \"bytes\" and \"total_bytes\" (uncompressed)
  {\"kind\": \"cutover\", \"run\": 1, \"scenario\": \"healthy\", ...EventRecord}
      an engine event: \"run_id\", \"at_ms\", \"type\" (run_started, writing, soak_started,
      gate_verdict, stage_passed, rollback_started, rolled_back, promoted, ...) and its fields
  {\"kind\": \"summary\", \"ok\": true, \"runs\": [{\"scenario\", \"expected\", \"outcome\",
      \"rollback_at_percent\"}], \"out_dir\": ..., \"files\": [...], \"error\": null|\"...\"}
Exit status: 0 when the healthy run was promoted and the faulty run rolled back at 25%;
6 (unhealthy) when a run ended otherwise; 2 for bad input.";

/// Writes `rehearsal.json` (the `ReportInput`) and `report.html` (rendered from it) into `dir`
/// and returns their paths.
fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>, Error> {
    let json = dir.join("rehearsal.json");
    let html = dir.join("report.html");
    for (path, text) in [
        (&json, input.to_json()),
        (&html, dynoshift::report::render_html(input)),
    ] {
        std::fs::write(path, text).map_err(|e| {
            Error::invalid_input(format!(
                "cannot write {} ({e}); pass --out with a writable folder",
                path.display()
            ))
        })?;
    }
    Ok(vec![json, html])
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Text output: progress bars on a terminal (stderr), plain lines on stdout either way.
struct Text {
    tty: bool,
    ingest: Mutex<Option<ProgressBar>>,
}

impl Text {
    fn bar(&self, len: Option<u64>, template: &str) -> ProgressBar {
        let pb = match len {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        };
        if !self.tty {
            pb.set_draw_target(ProgressDrawTarget::hidden());
        }
        if let Ok(style) = ProgressStyle::with_template(template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb
    }

    fn step(&self, step: &AnalysisStep) {
        let mut ingest = self.ingest.lock().unwrap_or_else(|p| p.into_inner());
        match step {
            AnalysisStep::LogsGenerating { duration_s, path } => out!(
                "== Generating {} days of synthetic Heroku logs -> {path}",
                duration_s / 86_400
            ),
            AnalysisStep::LogsGenerated { lines, bytes } => {
                out!("   {lines} lines, {} uncompressed", mb(*bytes));
                out!("== Ingesting");
                let pb = self.bar(
                    Some(*bytes),
                    "   [{bar:40}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
                );
                *ingest = Some(pb);
            }
            AnalysisStep::IngestProgress { bytes, .. } => {
                if let Some(pb) = ingest.as_ref() {
                    pb.set_position(*bytes);
                }
            }
            AnalysisStep::Ingested {
                records,
                telemetry,
                unparsed,
            } => {
                if let Some(pb) = ingest.take() {
                    pb.finish_and_clear();
                }
                out!("   {records} records: {telemetry} telemetry, {unparsed} unparsed");
            }
            AnalysisStep::Planned { .. } => {}
        }
    }
}

/// The stage timeline of one cutover: a spinner while a stage soaks (terminal only), then one
/// line per stage: weights, soak, verdicts, result.
struct Timeline {
    text: Arc<Text>,
    state: Mutex<StageState>,
}

#[derive(Default)]
struct StageState {
    pb: Option<ProgressBar>,
    percent: Option<u8>,
    soak: u64,
    verdicts: [u32; 4],
    last_reason: String,
}

impl StageState {
    fn verdicts(&self) -> String {
        let names = ["pass", "fail", "inconclusive", "error"];
        let parts: Vec<String> = names
            .iter()
            .zip(self.verdicts)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    fn finish(&mut self, result: &str) -> Option<String> {
        let percent = self.percent.take()?;
        if let Some(pb) = self.pb.take() {
            pb.finish_and_clear();
        }
        let line = format!(
            "   stage {percent:>3}%: weights aws {percent:>3} / heroku {:>3}  soak {} s  verdicts: {}  -> {result}",
            100 - u32::from(percent),
            self.soak,
            self.verdicts()
        );
        self.verdicts = [0; 4];
        Some(line)
    }
}

impl Timeline {
    fn on_event(&self, e: &EventRecord) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &e.event {
            CutoverEvent::Writing {
                step,
                percent: Some(p),
                ..
            } if step == "stage" => {
                st.percent = Some(*p);
                st.soak = 0;
                let pb = self.text.bar(None, "   {spinner} {msg} {elapsed}");
                pb.enable_steady_tick(Duration::from_millis(120));
                pb.set_message(format!("stage {p}%: writing weights"));
                st.pb = Some(pb);
            }
            CutoverEvent::SoakStarted {
                percent, seconds, ..
            } => {
                st.soak = *seconds;
                if let Some(pb) = &st.pb {
                    pb.set_message(format!("stage {percent}%: soaking {seconds} s"));
                }
            }
            CutoverEvent::GateVerdict { verdict, .. } => {
                let i = match verdict.status {
                    VerdictStatus::Pass => 0,
                    VerdictStatus::Fail => 1,
                    VerdictStatus::Inconclusive => 2,
                    VerdictStatus::Error => 3,
                };
                st.verdicts[i] += 1;
                st.last_reason = verdict.reason.clone();
                let summary = st.verdicts();
                if let (Some(pb), Some(p)) = (&st.pb, st.percent) {
                    pb.set_message(format!(
                        "stage {p}%: soaking {} s, verdicts: {summary}",
                        st.soak
                    ));
                }
            }
            CutoverEvent::StagePassed { .. } => {
                if let Some(line) = st.finish("passed") {
                    out!("{line}");
                }
            }
            CutoverEvent::RollbackStarted { reason, .. } => {
                if let Some(line) = st.finish("FAILED") {
                    out!("{line}");
                }
                out!("   rollback: {reason}");
            }
            CutoverEvent::Writing { step, .. } if step == "convert" => {
                out!("   convert: the simple CNAME becomes weighted records (0% AWS)");
            }
            CutoverEvent::Writing { step, .. } if step == "restore" => {
                out!("   restore: the original records are written back");
            }
            CutoverEvent::Promoted | CutoverEvent::RolledBack { .. } => {
                out!("   {}", e.event.describe());
            }
            _ => {}
        }
    }
}

pub fn run(args: RehearseArgs) -> Result<(), Error> {
    let formation = match &args.formation {
        Some(path) => Formation::from_json(&json_arg(path)?)?,
        None => rehearse::sample_formation(),
    };
    let options = if args.fast {
        RehearsalOptions::fast()
    } else {
        RehearsalOptions::standard()
    };
    let mut scenarios = rehearse::scenarios();
    if args.no_fault {
        scenarios.iter_mut().for_each(|s| s.fault_at_percent = None);
    }
    let dir = args.out.clone();
    let text = Arc::new(Text {
        tty: std::io::stderr().is_terminal(),
        ingest: Mutex::new(None),
    });
    let json = args.json;

    let analysis = {
        let text = text.clone();
        rehearse::analyse(&formation, &options, &dir, &move |step: &AnalysisStep| {
            if json {
                let mut v = serde_json::to_value(step).unwrap_or_default();
                v["kind"] = "step".into();
                out!("{v}");
            } else {
                text.step(step);
            }
        })?
    };
    if !json {
        out!();
        out!("== Heroku bill vs the cheapest EC2 nodes for the recommended pods");
        for p in &analysis.sizing.processes {
            out!(
                "   {:<8} {} x {:<12} -> {} pods of {}m CPU / {} MiB",
                p.process_type,
                p.quantity,
                p.dyno_size,
                p.replicas.value,
                p.cpu_request_millicores.value,
                p.memory_request_mib.value
            );
        }
        let mut o = String::new();
        crate::plan::print_bill(&mut o, &analysis.bill);
        for line in o.lines() {
            out!("   {line}");
        }
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("starting the async runtime: {e}")))?;
    let mut runs = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let observer = cutover_observer(json, i, scenario, &text, &options);
        let run = rt.block_on(rehearse::run_cutover(scenario, i, &options, &dir, observer))?;
        runs.push(run);
    }

    let summary_runs: Vec<_> = scenarios
        .iter()
        .zip(&runs)
        .map(|(s, r)| {
            json!({
                "scenario": s.name,
                "expected": r.expected,
                "outcome": r.outcome.status(),
                "rollback_at_percent": rehearse::rollback_stage(&r.events),
            })
        })
        .collect();
    let input = rehearse::report_input(&analysis, runs.clone(), now_ms());
    let mut files = vec![analysis.log_path.clone()];
    files.extend(write_report(&dir, &input)?);
    files.extend((1..=runs.len()).map(|i| dir.join(format!("cutover-{i}.journal.json"))));
    let verdict = rehearse::check(&scenarios, &runs);
    if json {
        let out = json!({
            "kind": "summary",
            "ok": verdict.is_ok(),
            "runs": summary_runs,
            "out_dir": dir.display().to_string(),
            "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "error": verdict.as_ref().err().map(|e| e.to_string()),
        });
        out!("{out}");
    } else {
        out!();
        out!("Written to {}:", dir.display());
        for f in &files {
            out!("   {}", f.display());
        }
        if verdict.is_ok() {
            out!(
                "Rehearsal passed: the healthy run was promoted, the faulty one rolled back at 25%."
            );
        }
    }
    verdict
}

fn cutover_observer(
    json: bool,
    index: usize,
    scenario: &Scenario,
    text: &Arc<Text>,
    options: &RehearsalOptions,
) -> Arc<dyn Fn(&EventRecord) + Send + Sync> {
    let name = scenario.name.clone();
    if json {
        return Arc::new(move |e: &EventRecord| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["kind"] = "cutover".into();
            v["run"] = (index + 1).into();
            v["scenario"] = name.clone().into();
            out!("{v}");
        });
    }
    out!();
    out!(
        "== Cutover {} ({name}): stages 10/25/50/100 on an in-memory zone, {} s soaks, HTTP gate on the local aws app{}",
        index + 1,
        options.soak_seconds,
        match scenario.fault_at_percent {
            Some(p) => format!(", fault injected at {p}%"),
            None => String::new(),
        }
    );
    let timeline = Timeline {
        text: text.clone(),
        state: Mutex::new(StageState::default()),
    };
    Arc::new(move |e: &EventRecord| timeline.on_event(e))
}

//! `dynoshift cutover preflight|dry-run|run|resume|rollback|promote|status|approve|pause|
//! unpause|abort --plan FILE`: thin over the core's [`Session`], which runs the plan's gates,
//! notifies its sinks and listens to the control record beside the journal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use dynoshift::cutover::control::{live_run, send_control};
use dynoshift::cutover::journal::RunMode;
use dynoshift::cutover::store::{self, JournalStore};
use dynoshift::cutover::{
    Control, CutoverPlan, DnsTarget, EventRecord, FnObserver, Journal, Operation, Outcome,
    RollbackMode, RunOptions, Session, StepStatus, Target, dry_run, load_journal, preflight,
};
use dynoshift::dns::RecordSet;
use dynoshift::dns::route53::Route53Options;
use dynoshift::files::read_text as read;
use dynoshift::{Error, ErrorKind};

use crate::output::{eout, line};

/// Exit status of a run that stopped paused (waiting for an approval or for evidence).
pub const EXIT_PAUSED: u8 = 75;
/// Exit status of a run that rolled back.
pub const EXIT_ROLLED_BACK: u8 = 6;

#[derive(Subcommand, Debug)]
pub enum CutoverCommand {
    /// Write the plan from the Heroku app: its custom domains, each with its own Heroku DNS
    /// target (GET /apps/{app}/domains, token from HEROKU_API_KEY), the hosted zone of each
    /// through Route53, and an HTTP gate per hostname at the AWS target. One plan per zone;
    /// skipped domains are listed with the reason on stderr.
    ///
    /// Example: dynoshift cutover init --app my-app --aws-target my-alb-123.us-east-1.elb.amazonaws.com -o plan.yaml
    Init(crate::cutover_init::InitArgs),
    /// Read-only checks of the zone and the records (errors and warnings).
    ///
    /// Example: dynoshift cutover preflight --plan plan.json --endpoint-url http://127.0.0.1:5000
    Preflight(Common),
    /// Every change batch, share, timer and API call the plan would make, without writing.
    ///
    /// Example: dynoshift cutover dry-run --plan core/tests/fixtures/cutover-plan.json --memory
    DryRun(Common),
    /// Start a run: preflight, snapshot, lock, then every stage judged by the plan's gates.
    ///
    /// Exit status: 0 promoted, 6 rolled back, 75 paused (waiting for an approval or for
    /// evidence: `cutover resume` continues, `cutover rollback` goes back). Another shell
    /// steers the live run with `cutover approve|pause|unpause|abort|promote|rollback`.
    ///
    /// Example: dynoshift cutover run --plan plan.json --journal cutover.journal.json
    Run(RunArgs),
    /// Continue a crashed or paused run from its journal (resuming a paused run approves it).
    ///
    /// Same exit statuses as `run`. Example: dynoshift cutover resume --plan plan.json
    Resume(RunArgs),
    /// Restore the original records (also after a promotion). A run live in another process
    /// is asked to roll back itself, and this waits for it.
    ///
    /// Example: dynoshift cutover rollback --plan plan.json --mode graduated
    Rollback(RollbackArgs),
    /// Go to 100% AWS now, skipping the remaining stages (of the live run, or the journaled).
    ///
    /// Example: dynoshift cutover promote --plan plan.json
    Promote(RunArgs),
    /// Show the journal: run, direction, share now, steps, lock and its expiry, live process.
    ///
    /// Example: dynoshift cutover status --plan plan.json --json
    Status(Common),
    /// Let the live run start its next stage (plans with require_approval), or end a pause.
    ///
    /// Example: dynoshift cutover approve --plan plan.json
    Approve(ControlArgs),
    /// Pause the live run at its next step boundary or gate tick.
    ///
    /// Example: dynoshift cutover pause --plan plan.json
    Pause(ControlArgs),
    /// Let a paused live run continue.
    ///
    /// Example: dynoshift cutover unpause --plan plan.json
    Unpause(ControlArgs),
    /// Roll the live run back with the plan's mode ("aborted by the operator").
    ///
    /// Example: dynoshift cutover abort --plan plan.json
    Abort(ControlArgs),
    /// Run several apps' plans at once in this process, each with its own journal, lock, gates
    /// and outcome, every Route53 call drawn from one shared request budget. Prints a table per
    /// app; exit status 0 only when every app promoted (6 one rolled back, 75 one paused).
    ///
    /// Example: dynoshift cutover fleet shop.json blog.json --journal-dir journals
    Fleet(crate::fleet::FleetArgs),
    /// After promotion: the requests per minute still reaching Heroku per hostname, from
    /// router logs or the drain receiver's profiles. Exit status 0 only when every hostname
    /// stayed at or under the plan's drained.max_rpm for drained.window_seconds (default 1 rpm,
    /// 24 h) and the input covers that window; 75 otherwise (not yet: try again later).
    ///
    /// Example: dynoshift cutover drained --plan plan.json --logs heroku.log
    Drained(crate::drained::DrainedArgs),
}

/// Where the plan, the journal and the DNS are.
#[derive(Args, Debug)]
pub struct Common {
    /// Plan, JSON or YAML (hostnames, zone, heroku_target, aws_target, stages, gates, notify...).
    #[arg(long)]
    plan: PathBuf,
    /// Journal file, or an S3 object `s3://bucket/key` that any runner can resume from
    /// (default: the plan path with `.journal.json`).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Route53 (and S3 journal) endpoint (e.g. http://127.0.0.1:5000 for moto_server).
    /// Credentials and region come from the standard AWS chain.
    #[arg(long, conflicts_with = "memory")]
    endpoint_url: Option<String>,
    /// Time limit of one Route53 API attempt, seconds (then retried); default 20.
    #[arg(long, conflicts_with = "memory")]
    api_timeout_seconds: Option<f64>,
    /// Rehearse on an in-process zone seeded with the plan's hostnames as CNAMEs to their
    /// Heroku targets, on virtual time (instant).
    #[arg(long)]
    memory: bool,
    /// Print results and events as JSON lines.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Continue over records changed by someone else (adopt their state).
    #[arg(long)]
    force: bool,
    /// Take over a lock whose expiry has passed.
    #[arg(long)]
    take_over_stale_lock: bool,
    /// At a pause that waits for an operator (an approval), exit 75 instead of waiting for
    /// `cutover approve` from another shell.
    #[arg(long)]
    no_wait: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Rollback mode (default: the plan's).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
}

#[derive(Args, Debug)]
pub struct ControlArgs {
    /// The plan of the live run.
    #[arg(long)]
    plan: PathBuf,
    /// Its journal, a file or `s3://bucket/key` (default: the plan path with `.journal.json`).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// S3 endpoint of an `s3://` journal (e.g. http://127.0.0.1:5000 for moto_server).
    #[arg(long)]
    endpoint_url: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    Full,
    Graduated,
}

fn journal_path(plan: &Path, journal: &Option<PathBuf>) -> PathBuf {
    journal.clone().unwrap_or_else(|| {
        let mut p = plan.to_owned().into_os_string();
        p.push(".journal.json");
        PathBuf::from(p)
    })
}

/// The store of `journal` (a file, or S3 reached through `endpoint_url` and the AWS chain).
fn journal_store(
    journal: &Path,
    endpoint_url: Option<String>,
) -> Result<Arc<dyn JournalStore>, Error> {
    let options = Route53Options::from_parts(endpoint_url, None, None, None)?;
    store::open_path(journal, &options)
}

fn say(text: &str) {
    line(text);
}

fn print_report(json: bool, as_json: &str, summary: &[String]) {
    if json {
        say(as_json);
    } else {
        summary.iter().for_each(|line| say(line));
    }
}

/// A timeline line: time since the first event, then the event in words.
fn timeline_printer() -> impl Fn(&EventRecord) + Send + Sync + 'static {
    let start = std::sync::OnceLock::new();
    move |e: &EventRecord| {
        let t0 = *start.get_or_init(|| e.at_ms);
        let secs = e.at_ms.saturating_sub(t0) / 1000;
        say(&format!(
            "[+{:02}:{:02}:{:02}] {}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            e.event.describe()
        ));
    }
}

pub(crate) fn load_plan(path: &Path) -> Result<CutoverPlan, Error> {
    CutoverPlan::from_text(&read(path)?).map_err(|e| {
        let msg = format!("{}: {}", path.display(), e.message());
        match e.context() {
            Some(at) => Error::new(e.kind(), msg).at(at),
            None => Error::new(e.kind(), msg),
        }
    })
}

fn dns_target(c: &Common, plan: &CutoverPlan) -> Result<DnsTarget, Error> {
    if c.memory {
        return DnsTarget::rehearsal(plan, std::time::Duration::ZERO, true);
    }
    let attempt_timeout = match c.api_timeout_seconds {
        Some(s) if s.is_finite() && s > 0.0 => Some(std::time::Duration::from_secs_f64(s)),
        Some(s) => {
            return Err(Error::invalid_input(format!(
                "--api-timeout-seconds {s} must be a positive number of seconds"
            )));
        }
        None => None,
    };
    let mut options = Route53Options::from_parts(c.endpoint_url.clone(), None, None, None)?;
    options.attempt_timeout = attempt_timeout;
    Ok(DnsTarget::Route53(options))
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("starting the async runtime: {e}")))
}

/// Runs `command`; the exit status (0 on success) or an error.
pub fn run(command: CutoverCommand) -> Result<u8, Error> {
    match command {
        CutoverCommand::Init(a) => crate::cutover_init::run(a).map(|()| 0),
        CutoverCommand::Preflight(c) => inspect(c, false).map(|()| 0),
        CutoverCommand::DryRun(c) => inspect(c, true).map(|()| 0),
        CutoverCommand::Status(c) => status(&c).map(|()| 0),
        CutoverCommand::Run(a) => drive(a, Operation::Run),
        CutoverCommand::Resume(a) => drive(a, Operation::Resume),
        CutoverCommand::Promote(a) => drive(a, Operation::Promote),
        CutoverCommand::Rollback(a) => {
            let mode = a.mode.map(|m| match m {
                Mode::Full => RollbackMode::Full,
                Mode::Graduated => RollbackMode::Graduated,
            });
            drive(a.run, Operation::Rollback(mode))
        }
        CutoverCommand::Approve(a) => control(a, Control::Approve),
        CutoverCommand::Pause(a) => control(a, Control::Pause),
        CutoverCommand::Unpause(a) => control(a, Control::Resume),
        CutoverCommand::Abort(a) => control(a, Control::Abort),
        CutoverCommand::Fleet(a) => crate::fleet::run(a),
        CutoverCommand::Drained(a) => crate::drained::run(a),
    }
}

fn inspect(c: Common, dry: bool) -> Result<(), Error> {
    let plan = load_plan(&c.plan)?;
    if dry && !c.memory && c.endpoint_url.is_none() {
        let report = dry_run(&plan, None, None)?;
        print_report(c.json, &report.to_json(), &report.summary());
        return Ok(());
    }
    let target = dns_target(&c, &plan)?;
    runtime()?.block_on(async move {
        let (provider, _clock) = target.connect().await;
        let report = preflight(plan.clone(), provider.clone()).await?;
        if !dry {
            print_report(c.json, &report.to_json(), &report.summary());
            return report.into_result();
        }
        report.into_result()?;
        let zone = report
            .zone
            .clone()
            .ok_or_else(|| Error::internal("preflight found no zone"))?;
        let records = provider.list_records(&zone.id).await?;
        let original: Vec<RecordSet> = records
            .iter()
            .filter(|r| r.rtype == "CNAME" && plan.has_host(&r.name))
            .cloned()
            .collect();
        let dry = dry_run(&plan, Some(&original), Some(records.len()))?;
        print_report(c.json, &dry.to_json(), &dry.summary());
        Ok(())
    })
}

fn drive(a: RunArgs, op: Operation) -> Result<u8, Error> {
    let plan = load_plan(&a.common.plan)?;
    let journal = journal_path(&a.common.plan, &a.common.journal);
    let target = dns_target(&a.common, &plan)?;
    let json = a.common.json;
    let printer: Arc<dyn Fn(&EventRecord) + Send + Sync> = if json {
        Arc::new(|e: &EventRecord| say(&e.to_json()))
    } else {
        Arc::new(timeline_printer())
    };
    let session = Session::new(plan, target, &journal)?
        .with_options(RunOptions {
            force: a.force,
            take_over_stale_lock: a.take_over_stale_lock,
            no_wait: a.no_wait,
        })
        .with_observer(Arc::new(FnObserver(printer)));
    let fut = session.start(op)?;
    let outcome = runtime()?.block_on(fut)?;
    if json {
        say(&outcome.to_json());
    } else {
        say(&format!("outcome: {}", describe_outcome(&outcome)));
    }
    let plan_arg = a.common.plan.display().to_string();
    Ok(match &outcome {
        Outcome::Promoted => 0,
        Outcome::RolledBack { reason } => {
            if matches!(op, Operation::Rollback(_)) {
                0
            } else {
                eout!("dynoshift: rolled back: {reason}");
                EXIT_ROLLED_BACK
            }
        }
        Outcome::Paused { reason } => {
            eout!(
                "dynoshift: paused: {reason}. The records stay at the stage's planned weight. \
                 `dynoshift cutover resume --plan {plan_arg}` approves and continues; \
                 `dynoshift cutover rollback --plan {plan_arg}` restores the original records."
            );
            EXIT_PAUSED
        }
    })
}

fn control(a: ControlArgs, c: Control) -> Result<u8, Error> {
    let journal = journal_path(&a.plan, &a.journal);
    let store = journal_store(&journal, a.endpoint_url.clone())?;
    let record = runtime()?
        .block_on(send_control(store.as_ref(), c))
        .map_err(|e| {
            if e.kind() != ErrorKind::Conflict {
                return e;
            }
            let hint = match c {
                Control::Approve | Control::Resume => {
                    "; a stopped (paused) run is approved by resuming it: dynoshift cutover resume"
                }
                Control::Abort => "; a stopped run is rolled back with: dynoshift cutover rollback",
                _ => "",
            };
            Error::new(e.kind(), format!("{}{hint}", e.message()))
        })?;
    say(&format!(
        "sent {} (#{}) to run {}; the live run acts on it within a second",
        record.command,
        record.seq,
        record.run_id.unwrap_or_default()
    ));
    Ok(0)
}

fn describe_outcome(o: &Outcome) -> String {
    match o {
        Outcome::Promoted => "promoted".into(),
        Outcome::RolledBack { reason } => format!("rolled back: {reason}"),
        Outcome::Paused { reason } => format!("paused: {reason}"),
    }
}

fn describe_mode(m: &RunMode) -> String {
    match m {
        RunMode::Forward => "forward (towards AWS)".into(),
        RunMode::RollingBack { reason, rollback } => {
            format!("rolling back ({}): {reason}", rollback.as_str())
        }
    }
}

fn describe_target(t: &Target) -> String {
    match t {
        Target::Weighted { percent } => format!("{percent}% AWS"),
        Target::Original => "original records".into(),
    }
}

fn describe_status(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Intent => "intent (not known to be written)",
        StepStatus::Written => "written",
        StepStatus::InSync => "in sync",
        StepStatus::Settled => "settled (TTL over)",
        StepStatus::Done => "done",
    }
}

fn status(c: &Common) -> Result<(), Error> {
    let journal = journal_path(&c.plan, &c.journal);
    let store = journal_store(&journal, c.endpoint_url.clone())?;
    let (j, live) = runtime()?.block_on(async {
        let j: Journal = load_journal(store.clone()).await?;
        let live = live_run(store.as_ref()).await.ok().flatten();
        Ok::<_, Error>((j, live))
    })?;
    if c.json {
        let mut v = serde_json::to_value(&j).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert(
                "live".into(),
                serde_json::to_value(&live).unwrap_or_default(),
            );
        }
        say(&serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    say(&format!(
        "run {} on zone {} ({})",
        j.run_id, j.zone_name, j.zone_id
    ));
    say(&format!("direction: {}", describe_mode(&j.mode)));
    say(&format!(
        "AWS share now: {}",
        j.current_percent()
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "original records".into())
    ));
    for s in &j.steps {
        say(&format!(
            "  {:<9} {:<17} {:<32} changes {}",
            s.kind.label(),
            describe_target(&s.target),
            describe_status(s.status),
            if s.change_ids.is_empty() {
                "-".to_owned()
            } else {
                s.change_ids.join(", ")
            }
        ));
    }
    say(&format!("verdicts: {}", j.verdicts.len()));
    if let Some(w) = &j.warmup {
        say(&w.describe());
        for r in &w.routes {
            say(&format!(
                "  {} {}{}: {} request(s), {}{}, {} error(s), p50 {} ms, p95 {} ms",
                r.method,
                r.hostname,
                r.path,
                r.requests,
                r.status_classes
                    .iter()
                    .map(|(c, n)| format!("{n}x {c}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                if r.heroku_classes.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (on Heroku: {})",
                        r.heroku_classes
                            .iter()
                            .map(|(c, n)| format!("{n}x {c}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                },
                r.errors,
                r.p50_ms.map_or("-".into(), |v| v.to_string()),
                r.p95_ms.map_or("-".into(), |v| v.to_string())
            ));
        }
    }
    match (&j.lock, &j.outcome) {
        (Some(l), None) | (Some(l), Some(Outcome::Paused { .. })) => say(&format!(
            "lock: held on {} until {} (released when the run ends)",
            l.names.join(", "),
            dynoshift::cutover::engine::lock_expiry(l.expires_at)
        )),
        _ => say("lock: released"),
    }
    match &live {
        Some(l) => say(&format!(
            "live: process {} on {} is driving this run (steer it with cutover approve|pause|\
             unpause|abort|promote|rollback)",
            l.pid,
            if l.host.is_empty() {
                "this host"
            } else {
                &l.host
            }
        )),
        None if !j.finished() => say(
            "live: no process is driving this run: cutover resume continues it, cutover \
             rollback restores the original records",
        ),
        None => {}
    }
    say(&format!(
        "outcome: {}",
        j.outcome
            .as_ref()
            .map(describe_outcome)
            .unwrap_or_else(|| "none yet".into())
    ));
    Ok(())
}

//! `dynoshift cutover preflight|dry-run|run|status|resume|rollback|promote --plan FILE`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use dynoshift::cutover::{
    Cutover, CutoverPlan, EventRecord, FnObserver, RollbackMode, RunOptions, dry_run, preflight,
    read_journal, rehearsal_provider,
};
use dynoshift::dns::route53::{Route53Options, Route53Provider};
use dynoshift::dns::{Clock, DnsProvider, RecordSet, VirtualClock};
use dynoshift::files::read_text as read;
use dynoshift::{Error, MemoryOptions, SystemClock};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Action {
    /// Read-only checks of the zone and the records (errors and warnings).
    Preflight,
    /// Every change batch, share, timer and API call the plan would make, without writing.
    DryRun,
    /// Start a run (preflight, snapshot, lock, stages).
    Run,
    /// Show the journal of the run.
    Status,
    /// Continue a crashed or paused run from its journal.
    Resume,
    /// Restore the original records (also after a promotion).
    Rollback,
    /// Go to 100% AWS now, skipping the remaining stages.
    Promote,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    Full,
    Graduated,
}

/// `dynoshift cutover init ...` or `dynoshift cutover ACTION --plan FILE ...` (minimal wiring of
/// `init`, to be folded into the subcommand restructuring).
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CutoverCommand {
    #[command(subcommand)]
    pub init: Option<InitCommand>,
    #[command(flatten)]
    pub args: Option<CutoverArgs>,
}

#[derive(clap::Subcommand, Debug)]
pub enum InitCommand {
    Init(crate::cutover_init::InitArgs),
}

pub fn dispatch(command: CutoverCommand) -> Result<(), Error> {
    match (command.init, command.args) {
        (Some(InitCommand::Init(args)), _) => crate::cutover_init::run(args),
        (None, Some(args)) => run(args),
        (None, None) => Err(Error::invalid_input(
            "give an action and --plan, or `init` (see dynoshift cutover --help)",
        )),
    }
}

/// Staged Route53 cutover from Heroku to AWS.
///
/// Example: dynoshift cutover dry-run --plan tests/fixtures/cutover-plan.json --memory
#[derive(Args, Debug)]
pub struct CutoverArgs {
    /// What to do.
    #[arg(value_enum)]
    action: Action,
    /// Plan JSON (hostnames, zone, heroku_target, aws_target, stages, soak_seconds, ttl, ...).
    #[arg(long)]
    plan: PathBuf,
    /// Journal file (default: the plan path with `.journal.json`).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Route53 endpoint (e.g. http://127.0.0.1:5000 for moto_server). Credentials and region
    /// come from the standard AWS chain.
    #[arg(long, conflicts_with = "memory")]
    endpoint_url: Option<String>,
    /// Time limit of one Route53 API attempt, seconds (then retried); default 20.
    #[arg(long, conflicts_with = "memory")]
    api_timeout_seconds: Option<f64>,
    /// Rehearse on an in-process zone seeded with the plan's hostnames as CNAMEs to Heroku, on
    /// virtual time (instant).
    #[arg(long)]
    memory: bool,
    /// Continue over records changed by someone else (adopt their state).
    #[arg(long)]
    force: bool,
    /// Take over a lock whose expiry has passed.
    #[arg(long)]
    take_over_stale_lock: bool,
    /// Rollback mode for `rollback` (default: the plan's).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Print results as JSON.
    #[arg(long)]
    json: bool,
}

fn journal_path(args: &CutoverArgs) -> PathBuf {
    args.journal.clone().unwrap_or_else(|| {
        let mut p = args.plan.clone().into_os_string();
        p.push(".journal.json");
        PathBuf::from(p)
    })
}

fn print_report(json: bool, as_json: &str, summary: &[String]) {
    if json {
        println!("{as_json}");
    } else {
        summary.iter().for_each(|line| println!("{line}"));
    }
}

fn print_event(e: &EventRecord) {
    println!("{}", e.to_json());
}

/// A timeline line: time since the first event, then the event in words.
fn timeline_printer() -> impl Fn(&EventRecord) + Send + Sync + 'static {
    let start = std::sync::OnceLock::new();
    move |e: &EventRecord| {
        let t0 = *start.get_or_init(|| e.at_ms);
        let secs = e.at_ms.saturating_sub(t0) / 1000;
        println!(
            "[+{:02}:{:02}:{:02}] {}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            e.event.describe()
        );
    }
}

pub fn run(args: CutoverArgs) -> Result<(), Error> {
    let plan = CutoverPlan::from_text(&read(&args.plan)?)?;
    let journal = journal_path(&args);
    if let Action::Status = args.action {
        let j = read_journal(&journal)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
        } else {
            println!("run {} on zone {} ({})", j.run_id, j.zone_name, j.zone_id);
            println!("mode: {:?}", j.mode);
            println!(
                "AWS share now: {}",
                j.current_percent()
                    .map(|p| format!("{p}%"))
                    .unwrap_or_else(|| "original records".into())
            );
            for s in &j.steps {
                println!(
                    "  {:<9} {:<22} {:?} changes {:?}",
                    s.kind.label(),
                    format!("{:?}", s.target),
                    s.status,
                    s.change_ids
                );
            }
            println!("verdicts: {}", j.verdicts.len());
            println!("outcome: {:?}", j.outcome);
        }
        return Ok(());
    }
    if let Action::DryRun = args.action
        && !args.memory
        && args.endpoint_url.is_none()
    {
        let report = dry_run(&plan, None, None)?;
        print_report(args.json, &report.to_json(), &report.summary());
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("starting the async runtime: {e}")))?;
    rt.block_on(async move {
        let (provider, clock): (Arc<dyn DnsProvider>, Arc<dyn Clock>) = if args.memory {
            let clock: Arc<dyn Clock> = Arc::new(VirtualClock::new());
            (
                Arc::new(rehearsal_provider(
                    &plan,
                    MemoryOptions::default(),
                    clock.clone(),
                )?),
                clock,
            )
        } else {
            let attempt_timeout = match args.api_timeout_seconds {
                Some(s) if s.is_finite() && s > 0.0 => Some(std::time::Duration::from_secs_f64(s)),
                Some(s) => {
                    return Err(Error::invalid_input(format!(
                        "--api-timeout-seconds {s} must be a positive number of seconds"
                    )));
                }
                None => None,
            };
            let opts = Route53Options {
                endpoint_url: args.endpoint_url.clone(),
                attempt_timeout,
                ..Default::default()
            };
            (
                Arc::new(Route53Provider::connect(opts).await),
                Arc::new(SystemClock),
            )
        };
        match args.action {
            Action::Preflight => {
                let report = preflight(plan, provider).await?;
                print_report(args.json, &report.to_json(), &report.summary());
                report.into_result()
            }
            Action::DryRun => {
                let report = preflight(plan.clone(), provider.clone()).await?;
                report.into_result()?;
                let zone = report
                    .zone
                    .clone()
                    .ok_or_else(|| Error::internal("no zone"))?;
                let records = provider.list_records(&zone.id).await?;
                let original: Vec<RecordSet> = records
                    .iter()
                    .filter(|r| r.rtype == "CNAME" && plan.has_host(&r.name))
                    .cloned()
                    .collect();
                let dry = dry_run(&plan, Some(&original), Some(records.len()))?;
                print_report(args.json, &dry.to_json(), &dry.summary());
                Ok(())
            }
            action => {
                let cut = Cutover::new(plan, provider, &journal)?
                    .with_clock(clock)
                    .with_options(RunOptions {
                        force: args.force,
                        take_over_stale_lock: args.take_over_stale_lock,
                    })
                    .with_observer(if args.json {
                        Arc::new(FnObserver(Arc::new(print_event)))
                    } else {
                        Arc::new(FnObserver(Arc::new(timeline_printer())))
                    });
                let outcome = match action {
                    Action::Run => cut.run().await?,
                    Action::Resume => cut.resume().await?,
                    Action::Rollback => {
                        cut.rollback(args.mode.map(|m| match m {
                            Mode::Full => RollbackMode::Full,
                            Mode::Graduated => RollbackMode::Graduated,
                        }))
                        .await?
                    }
                    _ => cut.promote().await?,
                };
                if args.json {
                    println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
                } else {
                    println!(
                        "outcome: {}",
                        serde_json::to_string(&outcome).unwrap_or_default()
                    );
                }
                Ok(())
            }
        }
    })
}

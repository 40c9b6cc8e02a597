//! The rehearsal: the whole migration on the embedded default, with no network and no AWS
//! account (what `dynoshift rehearse` and `make demo` run).
//!
//! 1. [`analyse`]: synthetic Heroku logs for a formation (two weeks by default), ingested with
//!    progress, sized, planned onto EC2 nodes and billed against Heroku.
//! 2. [`run_cutover`], once per [`Scenario`]: two [`LocalApp`]s on 127.0.0.1 ("heroku" and
//!    "aws"), a staged cutover on an in-memory Route53 zone in real time, judged by a real HTTP
//!    probe gate against the "aws" app. The second scenario breaks the "aws" app when its 25%
//!    stage starts, so the gate fails and the engine rolls back by itself.
//! 3. [`check`]: each run ended as its scenario expects; [`report_input`] gathers everything
//!    for the report (`rehearsal.json`).

pub mod app;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use app::LocalApp;

use crate::cutover::{
    Cutover, CutoverEvent, CutoverPlan, EventLog, EventRecord, FnObserver, Outcome,
    rehearsal_provider,
};
use crate::dns::SystemClock;
use crate::dns::memory::MemoryOptions;
use crate::health::{HttpGateConfig, HttpProbeGate, JsonMatch};
use crate::heroku::cost::{CostReport, Prices};
use crate::heroku::formation::Formation;
use crate::heroku::synth::{self, SynthOptions, SynthReport};
use crate::nodes::{AwsCostOptions, Bill, Catalog, Plan, PlanOptions, compare_bill, plan_nodes};
use crate::report::{CutoverRun, ReportInput};
use crate::sizing::{SizingPolicy, SizingReport, recommend};
use crate::telemetry::{IngestProgress, Profiles, ingest_paths_with_progress};
use crate::{Error, ErrorKind, Result};

/// The sample app's formation (web ×4 Standard-2X, worker ×2 Standard-1X), built in so that a
/// rehearsal needs no file.
pub const SAMPLE_FORMATION_JSON: &str = include_str!("../../data/formation-sample.json");

/// The built-in sample formation.
pub fn sample_formation() -> Formation {
    Formation::from_json(SAMPLE_FORMATION_JSON).expect("the built-in sample formation parses")
}

/// How big and how long a rehearsal is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsalOptions {
    /// Length of the synthetic log, seconds.
    pub log_duration_s: u64,
    /// Mean requests per second across the web dynos in the log.
    pub web_rps: f64,
    /// Seconds between runtime-metrics samples of a dyno in the log.
    pub metrics_interval_s: u64,
    /// Seed of the synthetic log (same seed, same log).
    pub seed: u64,
    /// Soak per cutover stage, seconds of real time.
    pub soak_seconds: u64,
    /// Gate tick, seconds.
    pub tick_seconds: u64,
    /// TTL of the weighted records (waited out after every write), seconds.
    pub ttl: i64,
    /// Probes per gate tick.
    pub probes_per_tick: usize,
}

impl RehearsalOptions {
    /// Two weeks of logs (0.5 request/s, a metrics sample a minute per dyno), 3 s soaks: about
    /// a minute in all.
    pub fn standard() -> Self {
        RehearsalOptions {
            log_duration_s: 14 * 86_400,
            web_rps: 0.5,
            metrics_interval_s: 60,
            seed: 7,
            soak_seconds: 3,
            tick_seconds: 1,
            ttl: 1,
            probes_per_tick: 20,
        }
    }

    /// Two days of logs, 1 s soaks: for tests (well under 30 s in a debug build).
    pub fn fast() -> Self {
        RehearsalOptions {
            log_duration_s: 2 * 86_400,
            soak_seconds: 1,
            ..RehearsalOptions::standard()
        }
    }
}

/// One step of [`analyse`], for progress displays (JSON: `{"type": "ingest_progress", ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnalysisStep {
    /// The synthetic log is being written.
    LogsGenerating {
        /// Its length, seconds.
        duration_s: u64,
        /// Where.
        path: String,
    },
    /// The synthetic log is written.
    LogsGenerated {
        /// Lines.
        lines: u64,
        /// Uncompressed bytes (what the ingest will read).
        bytes: u64,
    },
    /// The ingest read this far.
    IngestProgress {
        /// Bytes read (uncompressed).
        bytes: u64,
        /// Bytes in all.
        total_bytes: u64,
    },
    /// The ingest is done.
    Ingested {
        /// Records read.
        records: u64,
        /// Records used as telemetry.
        telemetry: u64,
        /// Records that could not be parsed.
        unparsed: u64,
    },
    /// Sizing, node plan and bill are done.
    Planned {
        /// Worker nodes.
        nodes: u32,
        /// Heroku, USD per month.
        heroku_monthly_usd: f64,
        /// AWS, USD per month.
        aws_monthly_usd: f64,
    },
}

/// What [`analyse`] found.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The formation analysed.
    pub formation: Formation,
    /// The synthetic log and what it holds.
    pub synth: SynthReport,
    /// The log file.
    pub log_path: PathBuf,
    /// Profiles from the log.
    pub profiles: Profiles,
    /// The recommended sizing.
    pub sizing: SizingReport,
    /// Heroku's monthly cost.
    pub heroku_cost: CostReport,
    /// The EC2 node plan.
    pub node_plan: Plan,
    /// The bill against Heroku's.
    pub bill: Bill,
}

/// Writes the synthetic log to `dir/heroku-app.log.gz`, ingests it (calling `progress` as it
/// goes), sizes the formation with the default policy, plans the nodes on the built-in
/// us-east-1 catalog and bills them against Heroku's list prices.
pub fn analyse(
    formation: &Formation,
    options: &RehearsalOptions,
    dir: &Path,
    progress: &(dyn Fn(&AnalysisStep) + Sync),
) -> Result<Analysis> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::invalid_input(format!(
            "cannot create the output folder {} ({e}); pass --out with a writable folder",
            dir.display()
        ))
    })?;
    let log_path = dir.join("heroku-app.log.gz");
    progress(&AnalysisStep::LogsGenerating {
        duration_s: options.log_duration_s,
        path: log_path.display().to_string(),
    });
    let synth_options = SynthOptions {
        seed: options.seed,
        duration_s: options.log_duration_s,
        web_rps: options.web_rps,
        metrics_interval_s: options.metrics_interval_s,
        r14_episodes: 2,
        ..SynthOptions::default()
    };
    let synth = synth::generate_file(formation, &synth_options, &log_path)?;
    progress(&AnalysisStep::LogsGenerated {
        lines: synth.lines,
        bytes: synth.bytes,
    });
    let total = synth.bytes;
    let profiles = ingest_paths_with_progress(std::slice::from_ref(&log_path), &|p| {
        let IngestProgress { bytes, .. } = p;
        progress(&AnalysisStep::IngestProgress {
            bytes,
            total_bytes: total.max(bytes),
        })
    })?;
    progress(&AnalysisStep::Ingested {
        records: profiles.lines.records,
        telemetry: profiles.lines.telemetry,
        unparsed: profiles.lines.unparsed,
    });
    let sizing = recommend(formation, &profiles, &SizingPolicy::default())?;
    let heroku_cost = formation.monthly_cost(&Prices::list())?;
    let node_plan = plan_nodes(
        &sizing.pod_groups(),
        &Catalog::builtin("us-east-1")?,
        &PlanOptions::default(),
    )?;
    let bill = compare_bill(&heroku_cost, &node_plan, &AwsCostOptions::default())?;
    progress(&AnalysisStep::Planned {
        nodes: node_plan.node_count,
        heroku_monthly_usd: bill.heroku_monthly_usd,
        aws_monthly_usd: bill.aws_monthly_usd,
    });
    Ok(Analysis {
        formation: formation.clone(),
        synth,
        log_path,
        profiles,
        sizing,
        heroku_cost,
        node_plan,
        bill,
    })
}

/// How a cutover scenario should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// 100% AWS.
    Promoted,
    /// Back on Heroku, rolled back at this stage (percent to AWS).
    RolledBack {
        /// The stage whose gate must fail.
        at_percent: u8,
    },
}

impl Expected {
    /// `promoted` or `rolled_back` (as [`CutoverRun::expected`] says it).
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Promoted => "promoted",
            Expected::RolledBack { .. } => "rolled_back",
        }
    }
}

/// One cutover to rehearse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Short name, e.g. `healthy`.
    pub name: String,
    /// Break the "aws" app (every answer HTTP 500) when the soak of this stage starts.
    pub fault_at_percent: Option<u8>,
    /// How it must end.
    pub expected: Expected,
}

/// The two standard scenarios: a healthy run that must promote, and a run whose "aws" app
/// breaks when the 25% stage starts, which must roll back in that stage.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "healthy".into(),
            fault_at_percent: None,
            expected: Expected::Promoted,
        },
        Scenario {
            name: "fault at 25%".into(),
            fault_at_percent: Some(25),
            expected: Expected::RolledBack { at_percent: 25 },
        },
    ]
}

/// The public name the rehearsal moves.
pub const REHEARSAL_HOST: &str = "www.rehearsal.test";

/// The rehearsal's plan: one hostname in the zone `rehearsal.test`, stages 10/25/50/100, the
/// options' soak, tick and TTL, full rollback.
pub fn rehearsal_plan(options: &RehearsalOptions) -> CutoverPlan {
    let mut plan = CutoverPlan::new(
        vec![REHEARSAL_HOST.into()],
        "rehearsal.test",
        "sample-app-1a2b.herokudns.com",
        "sample-lb-1.us-east-1.elb.amazonaws.com",
    );
    plan.soak_seconds = options.soak_seconds;
    plan.tick_seconds = options.tick_seconds;
    plan.poll_seconds = 1;
    plan.ttl = options.ttl;
    plan
}

/// Runs one scenario: starts fresh "heroku" and "aws" [`LocalApp`]s, and a staged cutover of
/// [`rehearsal_plan`] on an in-memory zone in real time (its journal at
/// `dir/cutover-<n>.journal.json`, replaced if there), with an HTTP probe gate on the "aws"
/// app's `/healthz` (public Host header, JSON `app` must be `aws`). Every event goes to
/// `observer` as it happens and into the returned run.
pub fn run_cutover(
    scenario: &Scenario,
    index: usize,
    options: &RehearsalOptions,
    dir: &Path,
    observer: Arc<dyn Fn(&EventRecord) + Send + Sync>,
) -> impl std::future::Future<Output = Result<CutoverRun>> + Send + 'static {
    let scenario = scenario.clone();
    let options = options.clone();
    let journal = dir.join(format!("cutover-{}.journal.json", index + 1));
    async move {
        let heroku = LocalApp::start("heroku")?;
        let aws = Arc::new(LocalApp::start("aws")?);
        let plan = rehearsal_plan(&options);
        let clock = Arc::new(SystemClock);
        let provider = rehearsal_provider(&plan, MemoryOptions::default(), clock.clone())?;
        let _ = std::fs::remove_file(&journal);
        let mut gate = HttpGateConfig::new(aws.url("/healthz"));
        gate.name = Some("aws-http".into());
        gate.probe.host = Some(REHEARSAL_HOST.into());
        gate.probe.json_pointer = Some(JsonMatch {
            pointer: "/app".into(),
            equals: Some("aws".into()),
        });
        gate.samples_per_check = options.probes_per_tick;
        gate.min_samples = options.probes_per_tick as u64;
        gate.max_p95_ms = Some(500.0);
        let gate = HttpProbeGate::new(gate)?;
        let log = Arc::new(EventLog::default());
        let fault = scenario.fault_at_percent;
        let breaker = aws.clone();
        let cut = Cutover::new(plan, Arc::new(provider), &journal)?
            .with_clock(clock)
            .with_gate(Arc::new(gate))
            .with_observer(log.clone())
            .with_observer(Arc::new(FnObserver(Arc::new(move |e: &EventRecord| {
                if let CutoverEvent::SoakStarted { percent, .. } = e.event
                    && Some(percent) == fault
                {
                    tracing::info!(percent, "rehearsal: injecting a fault into the aws app");
                    breaker.set_failing(true);
                }
            }))))
            .with_observer(Arc::new(FnObserver(observer)));
        let outcome = cut.run().await?;
        // the heroku app answers nothing in this rehearsal (DNS is in memory); it runs so that
        // the setup has both sides, as a real migration does
        drop(heroku);
        Ok(CutoverRun {
            name: scenario.name.clone(),
            expected: scenario.expected.as_str().into(),
            outcome,
            events: log.events(),
        })
    }
}

/// The stage (percent to AWS) in which a run rolled back: the percent of the last soak started
/// before the rollback.
pub fn rollback_stage(events: &[EventRecord]) -> Option<u8> {
    let mut soaking = None;
    for e in events {
        match &e.event {
            CutoverEvent::SoakStarted { percent, .. } => soaking = Some(*percent),
            CutoverEvent::RollbackStarted { .. } => return soaking,
            _ => {}
        }
    }
    None
}

/// Checks that every run ended as its scenario expects (`scenarios` and `runs` in the same
/// order). A run that did not is `unhealthy`, saying which and how it ended.
pub fn check(scenarios: &[Scenario], runs: &[CutoverRun]) -> Result<()> {
    if scenarios.len() != runs.len() {
        return Err(Error::internal(format!(
            "{} scenarios but {} runs; please report this",
            scenarios.len(),
            runs.len()
        )));
    }
    let mut problems = Vec::new();
    for (s, r) in scenarios.iter().zip(runs) {
        let how = match &r.outcome {
            Outcome::Promoted => "promoted".to_owned(),
            Outcome::RolledBack { reason } => format!("rolled back ({reason})"),
            Outcome::Paused { reason } => format!("paused ({reason})"),
        };
        match (s.expected, &r.outcome) {
            (Expected::Promoted, Outcome::Promoted) => {}
            (Expected::RolledBack { at_percent }, Outcome::RolledBack { .. }) => {
                let at = rollback_stage(&r.events);
                if at != Some(at_percent) {
                    problems.push(format!(
                        "run '{}' rolled back at {} instead of the {at_percent}% stage",
                        s.name,
                        at.map_or("no stage".into(), |p| format!("{p}%"))
                    ));
                }
            }
            (Expected::Promoted, _) => problems.push(format!(
                "run '{}' should have been promoted but {how}: the healthy local app did not \
                 pass the gates (is the machine overloaded? try again, or run with -v)",
                s.name
            )),
            (Expected::RolledBack { at_percent }, _) => problems.push(format!(
                "run '{}' should have rolled back at {at_percent}% but {how}: the gates did not \
                 catch the injected fault",
                s.name
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Unhealthy,
            format!(
                "the rehearsal did not go as expected: {}",
                problems.join("; ")
            ),
        ))
    }
}

/// Everything the report shows, from an analysis and the cutover runs.
pub fn report_input(
    analysis: &Analysis,
    runs: Vec<CutoverRun>,
    generated_at_ms: u64,
) -> ReportInput {
    let processes: Vec<String> = analysis
        .formation
        .processes
        .iter()
        .map(|p| format!("{} x{} {}", p.process_type, p.quantity, p.size.name))
        .collect();
    ReportInput {
        title: format!("dynoshift rehearsal — {}", processes.join(", ")),
        generated_at: crate::heroku::logs::time::format_rfc3339_ms(generated_at_ms as i64),
        formation: analysis.formation.clone(),
        profiles: analysis.profiles.clone(),
        sizing: analysis.sizing.clone(),
        heroku_cost: analysis.heroku_cost.clone(),
        node_plan: analysis.node_plan.clone(),
        bill: analysis.bill.clone(),
        cutovers: runs,
        preflight: None,
        warmups: Vec::new(),
        drained: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_formation_is_the_sample_fixture() {
        let fixture = include_str!("../../../tests/fixtures/formation-sample.json");
        assert_eq!(
            sample_formation(),
            Formation::from_json(fixture).unwrap(),
            "core/data/formation-sample.json and tests/fixtures/formation-sample.json differ"
        );
        let f = sample_formation();
        assert_eq!(f.processes.len(), 2);
    }

    #[test]
    fn the_plan_is_valid_and_fast() {
        for o in [RehearsalOptions::standard(), RehearsalOptions::fast()] {
            let p = rehearsal_plan(&o);
            p.validate().unwrap();
            assert_eq!(p.stages, vec![10, 25, 50, 100]);
        }
    }

    fn rec(event: CutoverEvent) -> EventRecord {
        EventRecord {
            run_id: "r".into(),
            at_ms: 0,
            event,
        }
    }

    #[test]
    fn check_names_the_run_that_went_wrong() {
        let soak = |percent| {
            rec(CutoverEvent::SoakStarted {
                stage: 0,
                percent,
                seconds: 1,
            })
        };
        let rollback = rec(CutoverEvent::RollbackStarted {
            reason: "x".into(),
            mode: crate::cutover::RollbackMode::Full,
        });
        let run = |outcome, events| CutoverRun {
            name: "n".into(),
            expected: String::new(),
            outcome,
            events,
        };
        let back = || Outcome::RolledBack { reason: "x".into() };
        let s = scenarios();
        let good = vec![
            run(Outcome::Promoted, vec![soak(10)]),
            run(back(), vec![soak(10), soak(25), rollback.clone()]),
        ];
        check(&s, &good).unwrap();
        let wrong_stage = vec![
            run(Outcome::Promoted, vec![]),
            run(back(), vec![soak(10), rollback.clone()]),
        ];
        let e = check(&s, &wrong_stage).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unhealthy);
        assert!(e.message().contains("at 10% instead of the 25%"), "{e}");
        let promoted = vec![
            run(Outcome::Promoted, vec![]),
            run(Outcome::Promoted, vec![]),
        ];
        let e = check(&s, &promoted).unwrap_err();
        assert!(
            e.message()
                .contains("'fault at 25%' should have rolled back"),
            "{e}"
        );
    }
}

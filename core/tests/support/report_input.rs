//! A realistic report input from real core calls, shared by `tests/report.rs` and the
//! `report_sample` example (which `tests/e2e/render-report.sh` renders to a PNG): synthetic
//! Heroku logs of a sample formation → ingest → sizing → node plan and bill → two staged
//! cutovers on the in-memory Route53 zone on virtual time, the second with a gate that fails
//! at 25%.

use std::sync::Arc;

use dynoshift::cutover::{CallbackGate, EventLog, Verdict, rehearsal_provider};
use dynoshift::heroku::synth::{SynthOptions, generate};
use dynoshift::nodes::{AwsCostOptions, Catalog, PlanOptions, compare_bill, plan_nodes};
use dynoshift::report::{CutoverRun, ReportInput};
use dynoshift::telemetry::Ingest;
use dynoshift::{
    Cutover, CutoverPlan, Formation, MemoryOptions, Prices, SizingPolicy, VirtualClock, recommend,
};

const FORMATION: &str = r#"{"web": {"size": "standard-2x", "quantity": 2},
                            "worker": {"size": "standard-1x", "quantity": 1}}"#;

/// One staged cutover on a fresh in-memory zone; `fail_at` makes the gate fail at that share.
async fn cutover_run(name: &str, expected: &str, fail_at: Option<u8>) -> CutoverRun {
    let mut plan = CutoverPlan::new(
        vec!["www.example.test".into()],
        "example.test",
        "shop-1a2b.herokudns.com",
        "shop-lb-123.us-east-1.elb.amazonaws.com",
    );
    plan.soak_seconds = 120;
    plan.tick_seconds = 30;
    let clock = Arc::new(VirtualClock::new());
    let provider =
        rehearsal_provider(&plan, MemoryOptions::default(), clock.clone()).expect("zone");
    let events = Arc::new(EventLog::default());
    let gate = Arc::new(CallbackGate::new("error-rate", move |ctx| async move {
        if Some(ctx.percent) == fail_at {
            Verdict::fail(format!("5xx ratio 0.21 > 0.05 at {}%", ctx.percent))
        } else {
            Verdict::pass("5xx ratio 0.002 <= 0.05")
        }
    }));
    let journal = std::env::temp_dir().join(format!(
        "dynoshift-report-input-{}-{}.journal.json",
        std::process::id(),
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    ));
    let outcome = Cutover::new(plan, Arc::new(provider), &journal)
        .expect("cutover")
        .with_clock(clock)
        .with_gate(gate)
        .with_observer(events.clone())
        .run()
        .await
        .expect("the run ends");
    let _ = std::fs::remove_file(&journal);
    CutoverRun {
        name: name.into(),
        expected: expected.into(),
        outcome,
        events: events.events(),
    }
}

/// The report input of the sample app: real ingest, sizing, plan, bill and two cutovers.
pub fn build() -> ReportInput {
    let formation = Formation::from_json(FORMATION).unwrap();
    let options = SynthOptions {
        seed: 11,
        duration_s: 2 * 86_400,
        web_rps: 0.5,
        leak_mb_per_hour: 6.0,
        leak_types: vec!["worker".into()],
        r14_episodes: 1,
        ..SynthOptions::default()
    };
    let mut log = Vec::new();
    generate(&formation, &options, &mut log).unwrap();
    let mut ingest = Ingest::new();
    ingest.feed(&log);
    let profiles = ingest.finish();
    let sizing = recommend(&formation, &profiles, &SizingPolicy::default()).unwrap();
    let heroku_cost = formation.monthly_cost(&Prices::list()).unwrap();
    let node_plan = plan_nodes(
        &sizing.pod_groups(),
        &Catalog::builtin("us-east-1").unwrap(),
        &PlanOptions::default(),
    )
    .unwrap();
    let bill = compare_bill(&heroku_cost, &node_plan, &AwsCostOptions::default()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cutovers = rt.block_on(async {
        vec![
            cutover_run("healthy", "promoted", None).await,
            cutover_run("fault at 25%", "rolled_back", Some(25)).await,
        ]
    });
    ReportInput {
        title: "dynoshift rehearsal — <sample> & \"shop\"".into(),
        generated_at: "2026-11-26T12:00:00Z".into(),
        formation,
        profiles,
        sizing,
        heroku_cost,
        node_plan,
        bill,
        cutovers,
        preflight: None,
        warmups: Vec::new(),
        drained: None,
    }
}

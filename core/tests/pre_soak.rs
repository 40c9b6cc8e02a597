//! Stage 0: with `pre_soak_seconds`, the plan's gates judge the AWS target before the first
//! weight is written (records converted to weighted, 0% to AWS). A fail there rolls back with
//! nothing moved; a pass goes on to the first stage. Real engine runs on the in-memory zone,
//! on virtual time.

use std::sync::{Arc, Mutex};

use dynoshift::cutover::{CallbackGate, CutoverEvent, Outcome};
use dynoshift::{CutoverPlan, Verdict};

use crate::support::zone::{self, AWS, Backend, HEROKU, writes};

async fn run(
    pre_soak: Option<u64>,
    fail_at_zero: bool,
) -> (Outcome, Vec<CutoverEvent>, Vec<(u8, Option<u8>)>) {
    let env = zone::env(Backend::Memory).await;
    let mut plan = CutoverPlan::new(vec!["www.example.test".into()], "example.test", HEROKU, AWS);
    plan.soak_seconds = 30;
    plan.pre_soak_seconds = pre_soak;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let gate = Arc::new(CallbackGate::new("aws-health", move |ctx| {
        log.lock().unwrap().push((ctx.percent, ctx.next_percent));
        async move {
            if fail_at_zero && ctx.percent == 0 {
                Verdict::fail("AWS answers 502 on /healthz")
            } else {
                Verdict::pass("ok")
            }
        }
    }));
    let (outcome, events) = env.run_gated(plan, gate).await;
    let _ = std::fs::remove_dir_all(&env.dir);
    let seen = seen.lock().unwrap().clone();
    (outcome, events, seen)
}

#[tokio::test]
async fn a_failing_pre_soak_rolls_back_before_any_weight() {
    let (outcome, events, seen) = run(Some(120), true).await;
    match &outcome {
        Outcome::RolledBack { reason } => assert!(reason.contains("at 0%"), "{reason}"),
        o => panic!("expected a rollback, got {o:?}"),
    }
    assert_eq!(
        writes(&events),
        [Some(0), None],
        "convert, then restore: no weight moved"
    );
    assert_eq!(
        seen[0],
        (0, Some(10)),
        "the gate knows the first stage comes next"
    );
}

#[tokio::test]
async fn a_passing_pre_soak_goes_on_to_the_first_stage() {
    let (outcome, events, seen) = run(Some(120), false).await;
    assert!(matches!(outcome, Outcome::Promoted), "{outcome:?}");
    let soaks: Vec<(u8, u64)> = events
        .iter()
        .filter_map(|e| match e {
            CutoverEvent::SoakStarted {
                percent, seconds, ..
            } => Some((*percent, *seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(soaks, [(0, 120), (10, 30), (25, 30), (50, 30), (100, 30)]);
    // 120 s at a 10 s tick: 13 checks at 0% before the first weight
    assert_eq!(seen.iter().filter(|(p, _)| *p == 0).count(), 13);
    // without a pre-soak, the first judgement is at 10%
    let (_, events, seen) = run(None, true).await;
    assert_eq!(seen[0].0, 10);
    assert_eq!(writes(&events)[..2], [Some(0), Some(10)]);
}

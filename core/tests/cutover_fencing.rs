//! A run whose journal another actor moved on (a rollback from a second shell) never writes
//! the journal again, and never touches the records or the lock (issue: "a second-shell
//! rollback corrupts the journal").

use std::time::Duration;

use dynoshift::ErrorKind;
use dynoshift::cutover::journal::FENCED;
use dynoshift::cutover::{Cutover, CutoverPlan, DnsTarget, Outcome, read_journal};

#[tokio::test]
async fn a_run_whose_journal_moved_on_stops_without_writing() {
    let mut plan = CutoverPlan::new(
        vec!["www.example.test".into(), "api.example.test".into()],
        "example.test",
        "x.herokudns.com",
        "lb.example.test",
    );
    plan.require_approval = true;
    plan.soak_seconds = 10;
    let target = DnsTarget::rehearsal(&plan, Duration::ZERO, true).unwrap();
    let dir = std::env::temp_dir().join(format!("dynoshift-fence-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.json");

    // A: the live run, waiting for the approval of stage 1 (its controls are held here)
    let (provider, clock) = target.connect().await;
    let a = Cutover::new(plan.clone(), provider, &journal)
        .unwrap()
        .with_clock(clock);
    let controls = a.controls();
    let live = tokio::spawn(a.run());
    for _ in 0..500 {
        let waiting = read_journal(&journal)
            .map(|j| j.steps.len() == 2 && j.outcome.is_none())
            .unwrap_or(false);
        if waiting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // B: a second actor rolls the same run back directly
    let (provider, clock) = target.connect().await;
    let b = Cutover::new(plan.clone(), provider, &journal)
        .unwrap()
        .with_clock(clock);
    let outcome = b.rollback(None).await.unwrap();
    assert!(matches!(outcome, Outcome::RolledBack { .. }));
    let after_b = std::fs::read_to_string(&journal).unwrap();
    let records_after_b = target.records_json("example.test").unwrap();

    // A is approved: it finds the journal moved on and stops, writing nothing
    controls.approve().unwrap();
    let err = live.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.message().starts_with(FENCED), "{err}");
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        after_b,
        "the fenced run rewrote the journal"
    );
    assert_eq!(
        target.records_json("example.test").unwrap(),
        records_after_b
    );
    let j = read_journal(&journal).unwrap();
    assert_eq!(j.outcome.map(|o| o.status()), Some("rolled_back"));
}

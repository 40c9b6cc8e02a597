//! Second actors and no-op steps. A run whose journal another actor moved on (a rollback from
//! a second shell) never writes the journal again, nor touches the records or the lock; a
//! rollback with nothing to restore writes nothing and waits for nothing.

use std::sync::Arc;
use std::time::Duration;

use dynoshift::dns::{
    ApiCalls, BoxFuture, Change, ChangeInfo, ChangeStatus, DnsProvider, RecordSet, ZoneInfo,
};

use dynoshift::ErrorKind;
use dynoshift::cutover::journal::FENCED;
use dynoshift::cutover::{Cutover, CutoverPlan, DnsTarget, Outcome, StepStatus, read_journal};

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
            // stage 0 done, nothing journaled after it: A waits for the approval of stage 1
            .map(|j| {
                j.steps.len() == 2 && j.steps[1].status == StepStatus::Done && j.outcome.is_none()
            })
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

/// The memory zone, except that the first change batch never gets an answer (the process is
/// killed while Route53 holds the request).
#[derive(Debug)]
struct HangsOnFirstWrite {
    inner: Arc<dyn DnsProvider>,
    writes: std::sync::atomic::AtomicUsize,
}

impl DnsProvider for HangsOnFirstWrite {
    fn zone<'a>(&'a self, n: &'a str) -> BoxFuture<'a, dynoshift::Result<ZoneInfo>> {
        self.inner.zone(n)
    }
    fn list_records<'a>(&'a self, z: &'a str) -> BoxFuture<'a, dynoshift::Result<Vec<RecordSet>>> {
        self.inner.list_records(z)
    }
    fn apply<'a>(
        &'a self,
        z: &'a str,
        changes: Vec<Change>,
        comment: &'a str,
    ) -> BoxFuture<'a, dynoshift::Result<ChangeInfo>> {
        if self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            // the lock is write 0; the conversion (write 1) hangs
            return Box::pin(std::future::pending());
        }
        self.inner.apply(z, changes, comment)
    }
    fn change_status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, dynoshift::Result<ChangeStatus>> {
        self.inner.change_status(id)
    }
    fn api_calls(&self) -> ApiCalls {
        self.inner.api_calls()
    }
}

#[tokio::test]
async fn a_rollback_with_nothing_to_restore_writes_nothing_and_waits_for_nothing() {
    let plan = CutoverPlan::new(
        vec!["www.example.test".into()],
        "example.test",
        "x.herokudns.com",
        "lb.example.test",
    );
    let target = DnsTarget::rehearsal(&plan, Duration::ZERO, true).unwrap();
    let (provider, clock) = target.connect().await;
    let dir = std::env::temp_dir().join(format!("dynoshift-noop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.json");
    let hanging = Arc::new(HangsOnFirstWrite {
        inner: provider.clone(),
        writes: Default::default(),
    });
    // the run is "killed" while its first record change is in flight
    let run = Cutover::new(plan.clone(), hanging, &journal)
        .unwrap()
        .with_clock(clock.clone())
        .run();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), run)
            .await
            .is_err()
    );
    let before = read_journal(&journal).unwrap();
    assert_eq!(
        before.steps.len(),
        1,
        "only the conversion's intent: {:?}",
        before.steps
    );
    let records_before = target.records_json("example.test").unwrap().unwrap();

    // rolling back writes nothing (the records are the originals) and waits for nothing
    let t0 = clock.now_ms();
    let outcome = Cutover::new(plan, provider.clone(), &journal)
        .unwrap()
        .with_clock(clock.clone())
        .rollback(None)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::RolledBack { .. }));
    let waited_ms = clock.now_ms() - t0;
    assert!(
        waited_ms < 1000,
        "a no-op rollback waited {waited_ms} ms (virtual)"
    );
    let after = target.records_json("example.test").unwrap().unwrap();
    let cnames = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == "CNAME")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(cnames(&after), cnames(&records_before));
    let j = read_journal(&journal).unwrap();
    assert!(
        j.steps.iter().all(|s| s.change_ids.is_empty()),
        "{:?}",
        j.steps
    );
}

//! Second actors and no-op steps. A run whose journal another actor moved on (a rollback from
//! a second shell) never writes the journal again, nor touches the records or the lock; a
//! rollback with nothing to restore writes nothing and waits for nothing.

use std::sync::Arc;
use std::time::Duration;

use dynoshift::dns::{
    ApiCalls, BoxFuture, Change, ChangeInfo, ChangeStatus, DnsProvider, RecordSet, ZoneInfo,
};

use dynoshift::ErrorKind;
use dynoshift::cutover::JournalHandle;
use dynoshift::cutover::journal::FENCED;
use dynoshift::cutover::store::{
    FileStore, JournalLocation, JournalStore, RecordKind, Stored, Version,
};
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

/// A file store whose next update is answered with a precondition failure: either without
/// writing (a spurious refusal) or after writing (the answer of a write that landed was lost
/// and its retry found the condition changed — by itself).
#[derive(Debug)]
struct Refuses {
    inner: FileStore,
    next: std::sync::Mutex<Option<bool>>, // Some(landed)
}

impl JournalStore for Refuses {
    fn location(&self) -> &JournalLocation {
        self.inner.location()
    }
    fn load(&self, r: RecordKind) -> BoxFuture<'_, dynoshift::Result<Option<Stored>>> {
        self.inner.load(r)
    }
    fn create(&self, r: RecordKind, b: Vec<u8>) -> BoxFuture<'_, dynoshift::Result<Version>> {
        self.inner.create(r, b)
    }
    fn update(
        &self,
        r: RecordKind,
        b: Vec<u8>,
        v: Version,
    ) -> BoxFuture<'_, dynoshift::Result<Version>> {
        let refusal = self.next.lock().unwrap().take();
        Box::pin(async move {
            match refusal {
                None => self.inner.update(r, b, v).await,
                Some(landed) => {
                    if landed {
                        self.inner.update(r, b, v).await?;
                    }
                    Err(dynoshift::Error::new(
                        ErrorKind::Conflict,
                        "PreconditionFailed (injected)",
                    ))
                }
            }
        })
    }
    fn put(&self, r: RecordKind, b: Vec<u8>) -> BoxFuture<'_, dynoshift::Result<Version>> {
        self.inner.put(r, b)
    }
    fn delete(&self, r: RecordKind) -> BoxFuture<'_, dynoshift::Result<()>> {
        self.inner.delete(r)
    }
    fn archive<'a>(&'a self, id: &'a str) -> BoxFuture<'a, dynoshift::Result<String>> {
        self.inner.archive(id)
    }
}

#[tokio::test]
async fn a_refused_write_is_fenced_only_when_the_journal_really_moved() {
    let plan = CutoverPlan::new(
        vec!["www.example.test".into()],
        "example.test",
        "x.herokudns.com",
        "lb.example.test",
    );
    let (provider, clock) = DnsTarget::rehearsal(&plan, Duration::ZERO, true)
        .unwrap()
        .connect()
        .await;
    let dir = std::env::temp_dir().join(format!("dynoshift-refused-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal.json");
    Cutover::new(plan, provider, &path)
        .unwrap()
        .with_clock(clock)
        .run()
        .await
        .unwrap();
    let store = Arc::new(Refuses {
        inner: FileStore::new(&path),
        next: Default::default(),
    });
    let handle = JournalHandle::new(store.clone());
    let mut j = handle.load().await.unwrap().unwrap();
    let rev = j.revision;
    // refused, nothing written, nobody moved it: tried again, written
    *store.next.lock().unwrap() = Some(false);
    handle.save_next(&mut j).await.unwrap();
    assert_eq!(read_journal(&path).unwrap().revision, rev + 1);
    // written, then refused on the retry: the bytes are this handle's, so it was its write
    *store.next.lock().unwrap() = Some(true);
    handle.save_next(&mut j).await.unwrap();
    assert_eq!(read_journal(&path).unwrap().revision, rev + 2);
    handle.save_next(&mut j).await.unwrap();
    // another writer moved it on: fenced, naming who
    let other = JournalHandle::new(Arc::new(FileStore::new(&path)));
    let mut theirs = other.load().await.unwrap().unwrap();
    other.save_next(&mut theirs).await.unwrap();
    let err = handle.save_next(&mut j).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().starts_with(FENCED), "{err}");
    assert!(err.message().contains("written by "), "{err}");
    assert_eq!(j.revision, rev + 3, "a fenced write leaves the revision");
    assert_eq!(read_journal(&path).unwrap().revision, rev + 4);
    let _ = std::fs::remove_dir_all(&dir);
}

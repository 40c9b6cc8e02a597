//! Regression tests for what `make reliability` (tests/e2e/reliability) found: lost answers to
//! batches that landed, a rollback asked for over an unwritten forward stage, two runs racing
//! for the lock or the journal, re-locking after a release on moto, and a Route53 answer that
//! never comes. Memory provider and moto_server on loopback; virtual time.

use crate::support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynoshift::cutover::{JournalFile, read_journal};
use dynoshift::dns::route53::{
    RetryPolicy, Route53Options, Route53Provider, StaticCredentials, connect,
};
use dynoshift::dns::{
    ApiCalls, BoxFuture, Change, ChangeAction, ChangeInfo, ChangeStatus, DnsProvider, RecordSet,
    ZoneInfo,
};
use dynoshift::{
    Cutover, CutoverPlan, ErrorKind, MemoryOptions, MemoryProvider, Outcome, Result, RollbackMode,
    VirtualClock,
};
use support::moto::Moto;

const HEROKU: &str = "shop-1a2b.herokudns.com";
const AWS: &str = "shop-lb-123.us-east-1.elb.amazonaws.com";
const HOST: &str = "www.example.test";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn journal_path() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "dynoshift-reliability-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.join("journal.json")
}

/// What a wrapped `apply` does with a batch whose comment contains the trigger.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    /// Apply it twice and answer with the second attempt (the first answer was lost).
    Twice,
    /// Fail before applying (once).
    FailBefore,
    /// Apply, then fail (once): the answer is lost.
    FailAfter,
    /// Before applying the lock, another run creates its lock record (once).
    RivalLock,
    /// Fail before applying, every time.
    FailAlways,
}

/// A provider that records every accepted batch's comment and acts on one kind of batch.
#[derive(Debug)]
struct Hooked {
    inner: Arc<dyn DnsProvider>,
    trigger: &'static str,
    act: Act,
    done: AtomicBool,
    comments: Mutex<Vec<String>>,
}

impl Hooked {
    fn new(inner: Arc<dyn DnsProvider>, trigger: &'static str, act: Act) -> Arc<Hooked> {
        Arc::new(Hooked {
            inner,
            trigger,
            act,
            done: AtomicBool::new(false),
            comments: Mutex::new(Vec::new()),
        })
    }
    fn comments(&self) -> Vec<String> {
        self.comments.lock().unwrap().clone()
    }
}

fn lost() -> dynoshift::Error {
    dynoshift::Error::new(ErrorKind::Unavailable, "connection dropped (simulated)")
}

impl DnsProvider for Hooked {
    fn zone<'a>(&'a self, n: &'a str) -> BoxFuture<'a, Result<ZoneInfo>> {
        self.inner.zone(n)
    }
    fn list_records<'a>(&'a self, z: &'a str) -> BoxFuture<'a, Result<Vec<RecordSet>>> {
        self.inner.list_records(z)
    }
    fn apply<'a>(
        &'a self,
        z: &'a str,
        changes: Vec<Change>,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<ChangeInfo>> {
        Box::pin(async move {
            let hit = comment.contains(self.trigger)
                && (matches!(self.act, Act::Twice | Act::FailAlways)
                    || !self.done.swap(true, Ordering::SeqCst));
            let act = if hit { Some(self.act) } else { None };
            if matches!(act, Some(Act::FailBefore | Act::FailAlways)) {
                return Err(lost());
            }
            if act == Some(Act::RivalLock) {
                let rival = RecordSet::simple(
                    &format!("_dynoshift-lock.{HOST}"),
                    "TXT",
                    60,
                    vec!["\"dynoshift run=run-rival expires=99999999999\"".into()],
                );
                self.inner
                    .apply(z, vec![Change::new(ChangeAction::Create, rival)], "rival")
                    .await
                    .expect("the rival's lock");
            }
            let mut r = self.inner.apply(z, changes.clone(), comment).await;
            if r.is_ok() {
                self.comments.lock().unwrap().push(comment.to_owned());
            }
            if act == Some(Act::Twice) {
                r = self.inner.apply(z, changes, comment).await;
            }
            if act == Some(Act::FailAfter) {
                return Err(lost());
            }
            r
        })
    }
    fn change_status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ChangeStatus>> {
        self.inner.change_status(id)
    }
    fn api_calls(&self) -> ApiCalls {
        self.inner.api_calls()
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Memory,
    Moto,
}

/// `www.example.test` a simple CNAME to Heroku (TTL 300), on the memory zone or on moto.
async fn zone(b: Backend, clock: Arc<VirtualClock>) -> (Arc<dyn DnsProvider>, Option<Moto>) {
    let (p, moto): (Arc<dyn DnsProvider>, Option<Moto>) = match b {
        Backend::Memory => {
            let p = MemoryProvider::new(MemoryOptions::default()).with_clock(clock);
            p.create_zone("example.test");
            (Arc::new(p), None)
        }
        Backend::Moto => {
            let moto = Moto::start();
            let client = connect(&moto.route53_options()).await;
            client
                .create_hosted_zone()
                .name("example.test.")
                .caller_reference("reliability")
                .send()
                .await
                .expect("moto creates the zone");
            (
                Arc::new(Route53Provider::from_client(client).with_clock(clock)),
                Some(moto),
            )
        }
    };
    let z = p.zone("example.test").await.unwrap();
    p.apply(
        &z.id,
        vec![Change::new(
            ChangeAction::Create,
            RecordSet::simple(HOST, "CNAME", 300, vec![HEROKU.into()]),
        )],
        "seed",
    )
    .await
    .unwrap();
    (p, moto)
}

fn plan(rollback: RollbackMode) -> CutoverPlan {
    let mut p = CutoverPlan::new(vec![HOST.into()], "example.test", HEROKU, AWS);
    p.stages = vec![10, 25, 50, 100];
    p.soak_seconds = 20;
    p.tick_seconds = 10;
    p.rollback = rollback;
    p
}

async fn cnames(p: &dyn DnsProvider) -> Vec<RecordSet> {
    let z = p.zone("example.test").await.unwrap();
    let mut v: Vec<RecordSet> = p
        .list_records(&z.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.rtype == "CNAME")
        .collect();
    v.sort_by(|a, b| a.set_identifier.cmp(&b.set_identifier));
    v
}

async fn locks(p: &dyn DnsProvider) -> Vec<String> {
    let z = p.zone("example.test").await.unwrap();
    p.list_records(&z.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.rtype == "TXT")
        .flat_map(|r| r.values)
        .collect()
}

fn cutover(p: Arc<dyn DnsProvider>, path: &std::path::Path, clock: &Arc<VirtualClock>) -> Cutover {
    Cutover::new(plan(RollbackMode::Graduated), p, path)
        .unwrap()
        .with_clock(clock.clone())
}

/// A batch that landed but whose answer was lost is retried; Route53 refuses the retry
/// (CREATE exists / DELETE not found). The run must see that the records are already there
/// instead of failing with `conflict` (lock, convert and restore batches).
async fn lost_answer_to_a_landed_batch(b: Backend) {
    for trigger in [" convert ", "dynoshift lock", " restore "] {
        let clock = Arc::new(VirtualClock::new());
        let (inner, _moto) = zone(b, clock.clone()).await;
        let before = cnames(inner.as_ref()).await;
        let p = Hooked::new(inner.clone(), trigger, Act::Twice);
        let path = journal_path();
        let out = cutover(p.clone(), &path, &clock).run().await;
        assert_eq!(out.unwrap(), Outcome::Promoted, "{b:?} {trigger}");
        let out = cutover(p.clone(), &path, &clock).rollback(None).await;
        assert!(
            matches!(out, Ok(Outcome::RolledBack { .. })),
            "{b:?} {trigger}: {out:?}"
        );
        assert_eq!(cnames(inner.as_ref()).await, before, "{b:?} {trigger}");
        assert!(locks(inner.as_ref()).await.is_empty(), "{b:?} {trigger}");
    }
}

#[tokio::test]
async fn lost_answer_to_a_landed_batch_memory() {
    lost_answer_to_a_landed_batch(Backend::Memory).await;
}

#[tokio::test]
async fn lost_answer_to_a_landed_batch_moto() {
    lost_answer_to_a_landed_batch(Backend::Moto).await;
}

/// The run stops with the 50% stage journaled as intent; the operator rolls back. The engine
/// must not write 50% on the way back: if the batch never landed, the rollback starts from 25%;
/// if it did, from 50% — either way no second "stage 50%" batch.
#[tokio::test]
async fn rollback_over_a_forward_intent_never_pushes_traffic_forward() {
    for (act, downs) in [
        (Act::FailBefore, vec!["rollback 10%", "restore original"]),
        (
            Act::FailAfter,
            vec!["rollback 25%", "rollback 10%", "restore original"],
        ),
    ] {
        let clock = Arc::new(VirtualClock::new());
        let (inner, _moto) = zone(Backend::Memory, clock.clone()).await;
        let before = cnames(inner.as_ref()).await;
        let p = Hooked::new(inner.clone(), "stage 50%", act);
        let path = journal_path();
        let err = cutover(p.clone(), &path, &clock).run().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        let j = read_journal(&path).unwrap();
        assert_eq!(
            format!("{:?}", j.steps.last().unwrap().status),
            "Intent",
            "{act:?}"
        );
        let out = cutover(p.clone(), &path, &clock)
            .rollback(Some(RollbackMode::Graduated))
            .await;
        assert!(matches!(out, Ok(Outcome::RolledBack { .. })), "{out:?}");
        let comments = p.comments();
        let stage50 = comments.iter().filter(|c| c.ends_with("stage 50%")).count();
        assert_eq!(
            stage50,
            usize::from(act == Act::FailAfter),
            "{act:?}: {comments:?}"
        );
        let tail: Vec<&str> = comments
            .iter()
            .filter(|c| c.contains(" rollback ") || c.contains(" restore "))
            .map(|c| c.splitn(3, ' ').nth(2).unwrap())
            .collect();
        assert_eq!(tail, downs, "{act:?}: {comments:?}");
        assert_eq!(cnames(inner.as_ref()).await, before);
    }
}

/// Another run creates its lock between our listing and our CREATE. On Route53 (and the
/// memory zone) our CREATE is refused; moto 5.2 lets it through as a second record. Either way
/// this run stops with `conflict` naming the holder, writes no CNAME, leaves the holder's lock
/// in place and removes its own journal.
async fn lock_race_names_the_holder(b: Backend) {
    let clock = Arc::new(VirtualClock::new());
    let (inner, _moto) = zone(b, clock.clone()).await;
    let before = cnames(inner.as_ref()).await;
    let p = Hooked::new(inner.clone(), "dynoshift lock", Act::RivalLock);
    let path = journal_path();
    let err = cutover(p.clone(), &path, &clock).run().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{b:?}: {err}");
    assert!(err.to_string().contains("locked by run run-rival"), "{err}");
    assert_eq!(cnames(inner.as_ref()).await, before);
    let l = locks(inner.as_ref()).await;
    assert!(
        l.iter().any(|v| v.contains("run-rival")),
        "{b:?}: the holder's lock is gone: {l:?}"
    );
    assert!(!path.exists(), "{b:?}: journal left behind");
}

#[tokio::test]
async fn lock_race_names_the_holder_memory() {
    lock_race_names_the_holder(Backend::Memory).await;
}

#[tokio::test]
async fn lock_race_names_the_holder_moto() {
    lock_race_names_the_holder(Backend::Moto).await;
}

/// `rollback` after a promotion takes the (released) lock again. moto refuses a CREATE that
/// repeats an earlier one word for word (when records sort after its name), so the lock value
/// must be new.
#[tokio::test]
async fn rollback_after_promotion_on_moto() {
    let clock = Arc::new(VirtualClock::new());
    let (p, _moto) = zone(Backend::Moto, clock.clone()).await;
    let z = p.zone("example.test").await.unwrap();
    let other = RecordSet::simple("zz.example.test", "CNAME", 300, vec![HEROKU.into()]);
    p.apply(
        &z.id,
        vec![Change::new(ChangeAction::Create, other)],
        "seed",
    )
    .await
    .unwrap();
    let before = cnames(p.as_ref()).await;
    let path = journal_path();
    let out = cutover(p.clone(), &path, &clock).run().await.unwrap();
    assert_eq!(out, Outcome::Promoted);
    let out = cutover(p.clone(), &path, &clock).rollback(None).await;
    assert!(matches!(out, Ok(Outcome::RolledBack { .. })), "{out:?}");
    assert_eq!(cnames(p.as_ref()).await, before);
    assert!(locks(p.as_ref()).await.is_empty());
}

/// Two runs started at once with one journal path: the second cannot overwrite the first's
/// journal, and its `conflict` names the first run.
#[tokio::test]
async fn a_new_journal_never_overwrites_another() {
    let clock = Arc::new(VirtualClock::new());
    let (p, _) = zone(Backend::Memory, clock.clone()).await;
    let path = journal_path();
    cutover(p, &path, &clock).run().await.unwrap();
    let j = read_journal(&path).unwrap();
    let mut other = j.clone();
    other.run_id = "run-other".into();
    let err = JournalFile::new(&path).create(&other).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains(&j.run_id), "{err}");
    assert_eq!(read_journal(&path).unwrap().run_id, j.run_id);
    let fresh = path.with_file_name("fresh.json");
    JournalFile::new(&fresh).create(&other).unwrap();
    assert_eq!(read_journal(&fresh).unwrap().run_id, "run-other");
}

/// An endpoint that accepts the connection and never answers: one attempt gives up after the
/// attempt timeout with `timeout` instead of hanging the cutover.
#[tokio::test]
async fn an_answer_that_never_comes_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h = held.clone();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            h.lock().unwrap().push(c); // keep it open, say nothing
        }
    });
    let opts = Route53Options {
        endpoint_url: Some(format!("http://{addr}")),
        region: Some("us-east-1".into()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
        attempt_timeout: Some(Duration::from_millis(500)),
    };
    let p = Route53Provider::connect(opts)
        .await
        .with_retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        });
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(20), p.zone("example.test"))
        .await
        .expect("the call must give up by itself");
    let err = r.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// The run stops after journaling its outcome but before its lock is released (here: every
/// unlock batch fails). Resuming the finished run releases the lock, so the next run on these
/// hostnames is not blocked until the lock expires.
#[tokio::test]
async fn resuming_a_finished_run_releases_a_leftover_lock() {
    let clock = Arc::new(VirtualClock::new());
    let (inner, _moto) = zone(Backend::Memory, clock.clone()).await;
    let p = Hooked::new(inner.clone(), "dynoshift unlock", Act::FailAlways);
    let path = journal_path();
    let err = cutover(p.clone(), &path, &clock).run().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(
        read_journal(&path).unwrap().outcome,
        Some(Outcome::Promoted)
    );
    assert_eq!(locks(inner.as_ref()).await.len(), 1);
    let out = cutover(inner.clone(), &path, &clock)
        .resume()
        .await
        .unwrap();
    assert_eq!(out, Outcome::Promoted);
    assert!(locks(inner.as_ref()).await.is_empty());
}

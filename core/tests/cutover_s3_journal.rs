//! The journal in S3 (moto_server on loopback): conditional writes (`If-None-Match: *` on
//! create, `If-Match: <etag>` on update) fence a stale writer with `conflict`; a run killed on
//! "runner A" is resumed by "runner B" — another working directory, another process, only the
//! S3 URL and the plan in common — to the same outcome; two runners racing on one S3 journal:
//! exactly one advances, the other exits `conflict`.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use dynoshift::cutover::journal::FENCED;
use dynoshift::cutover::store::{JournalLocation, JournalStore, RecordKind, S3Store};
use dynoshift::cutover::{
    Cutover, CutoverPlan, DnsTarget, JournalHandle, Outcome, StepKind, load_journal,
};
use dynoshift::dns::{Change, ChangeAction, DnsProvider, RecordSet};
use dynoshift::{ErrorKind, Route53Provider};
use support::aws_cli::{cli, spawn};
use support::moto::Moto;

const HEROKU: &str = "shop-1a2b.herokudns.com";
/// Exit status of a `conflict`.
const EXIT_CONFLICT: i32 = 4;
/// Exit status of a run stopped paused (waiting for an approval, `--no-wait`).
const EXIT_PAUSED: i32 = 75;

fn s3_store(moto: &Moto, url: &str) -> Arc<dyn JournalStore> {
    Arc::new(S3Store::new(
        JournalLocation::parse(url).unwrap(),
        moto.route53_options(),
    ))
}

/// The journal object as S3 holds it: readable JSON.
async fn raw_journal(moto: &Moto, bucket: &str, key: &str) -> Option<serde_json::Value> {
    let got = moto
        .s3_client()
        .await
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = got.body.collect().await.unwrap().into_bytes();
    Some(serde_json::from_slice(&bytes).expect("the journal object is JSON"))
}

/// A whole run of `plan` on a fresh in-memory zone (virtual time), journaled at `url` in S3.
async fn rehearse(moto: &Moto, plan: &CutoverPlan, url: &str) -> Outcome {
    let target = DnsTarget::rehearsal(plan, Duration::ZERO, true).unwrap();
    let (provider, clock) = target.connect().await;
    Cutover::new(plan.clone(), provider, url)
        .unwrap()
        .with_journal_store(s3_store(moto, url))
        .with_clock(clock)
        .run()
        .await
        .unwrap()
}

#[tokio::test]
async fn s3_writes_are_conditional_and_a_stale_writer_is_fenced() {
    let moto = Moto::start();
    let bucket = moto.bucket("journals").await;

    // the store: create only if absent, update only at the ETag read
    let store = s3_store(&moto, &format!("s3://{bucket}/raw.json"));
    assert!(store.load(RecordKind::Journal).await.unwrap().is_none());
    let v1 = store
        .create(RecordKind::Journal, b"{\"a\":1}".to_vec())
        .await
        .unwrap();
    let again = store
        .create(RecordKind::Journal, b"{\"a\":2}".to_vec())
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again}");
    let v2 = store
        .update(RecordKind::Journal, b"{\"a\":3}".to_vec(), v1.clone())
        .await
        .unwrap();
    assert_ne!(v1, v2);
    let stale = store
        .update(RecordKind::Journal, b"{\"a\":4}".to_vec(), v1)
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Conflict, "{stale}");
    let got = store.load(RecordKind::Journal).await.unwrap().unwrap();
    assert_eq!((got.bytes, got.version), (b"{\"a\":3}".to_vec(), v2));
    // a missing bucket says so
    let nowhere = s3_store(&moto, "s3://no-such-bucket/j.json");
    let e = nowhere
        .create(RecordKind::Journal, b"{}".to_vec())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("no-such-bucket does not exist"), "{e}");

    // a whole run (memory zone, virtual time) journaled in S3
    let plan = CutoverPlan::new(
        vec!["www.example.test".into()],
        "example.test",
        HEROKU,
        "lb.example.test",
    );
    let url = format!("s3://{bucket}/runs/www.journal.json");
    assert_eq!(rehearse(&moto, &plan, &url).await, Outcome::Promoted);
    let raw = raw_journal(&moto, &bucket, "runs/www.journal.json")
        .await
        .unwrap();
    assert_eq!(raw["outcome"]["outcome"], "promoted");
    let j = load_journal(s3_store(&moto, &url)).await.unwrap();
    assert_eq!(raw["run_id"], j.run_id.as_str());

    // two writers that read the same version: exactly one writes, the other is fenced and
    // told which run and revision it lost to
    let a = JournalHandle::new(s3_store(&moto, &url));
    let b = JournalHandle::new(s3_store(&moto, &url));
    let mut ja = a.load().await.unwrap().unwrap();
    let mut jb = b.load().await.unwrap().unwrap();
    let (ra, rb) = tokio::join!(a.save_next(&mut ja), b.save_next(&mut jb));
    let (won, lost) = match (ra, rb) {
        (Ok(()), Err(e)) | (Err(e), Ok(())) => ((), e),
        other => panic!("exactly one writer must win: {other:?}"),
    };
    let () = won;
    assert_eq!(lost.kind(), ErrorKind::Conflict, "{lost}");
    assert!(lost.message().starts_with(FENCED), "{lost}");
    assert!(
        lost.message()
            .contains(&format!("run {} at revision {}", j.run_id, j.revision + 1)),
        "{lost}"
    );
    let after = load_journal(s3_store(&moto, &url)).await.unwrap();
    assert_eq!(after.revision, j.revision + 1);

    // a new run on the finished journal archives it beside the key
    rehearse(&moto, &plan, &url).await;
    let archived = raw_journal(
        &moto,
        &bucket,
        &format!("runs/www.journal.json.{}.json", j.run_id),
    )
    .await
    .expect("the finished journal is archived beside the key");
    assert_eq!(archived["run_id"], j.run_id.as_str());
}

// ---- the CLI, runner A and runner B ---------------------------------------------------------

/// A fresh zone on moto with `www` and `api` as plain CNAMEs (TTL 1) to Heroku.
async fn zone(moto: &Moto, name: &str) -> (Route53Provider, String) {
    let (provider, id) = moto.hosted_zone(name).await;
    let seed = ["www", "api"]
        .iter()
        .map(|h| {
            Change::new(
                ChangeAction::Create,
                RecordSet::simple(&format!("{h}.{name}"), "CNAME", 1, vec![HEROKU.into()]),
            )
        })
        .collect();
    provider.apply(&id, seed, "seed").await.unwrap();
    (provider, id)
}

/// A runner's own working directory with its own copy of the plan.
fn runner_dir(tag: &str, plan: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dynoshift-s3-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("plan.json"), plan).unwrap();
    d
}

fn plan_json(zone: &str, require_approval: bool) -> String {
    serde_json::json!({
        "hostnames": [format!("www.{zone}"), format!("api.{zone}")],
        "zone": zone,
        "heroku_target": HEROKU,
        "aws_target": "lb-1.elb.example.test",
        "stages": [10, 50, 100],
        "soak_seconds": 2,
        "tick_seconds": 1,
        "ttl": 1,
        "poll_seconds": 1,
        "require_approval": require_approval,
    })
    .to_string()
}

/// `dynoshift cutover OP --plan plan.json --journal URL EXTRA... --endpoint-url MOTO`, run in
/// `dir` (each runner has its own copy of the plan there).
fn cutover(moto: &Moto, dir: &Path, op: &str, url: &str, extra: &[&str]) -> Command {
    let mut args = vec!["cutover", op, "--plan", "plan.json", "--journal", url];
    args.extend_from_slice(extra);
    let mut c = cli(moto, &args);
    c.current_dir(dir);
    c
}

/// Reads JSON events until `pred` holds for one (panics after 60 s without one).
fn wait_for(
    rx: &mpsc::Receiver<String>,
    what: &str,
    mut pred: impl FnMut(&serde_json::Value) -> bool,
) {
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no {what} within 60 s: {seen:?}"));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        seen.push(line);
        if pred(&v) {
            return;
        }
    }
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The final state every finished run must show: promoted, each stage journaled once and in
/// order, 100% AWS on both hostnames, no lock record left, no heartbeat left.
async fn promoted_exactly_once(
    moto: &Moto,
    url: &str,
    r53: &Route53Provider,
    zone_id: &str,
    run_id: &str,
) {
    let j = load_journal(s3_store(moto, url)).await.unwrap();
    assert_eq!(j.run_id, run_id, "the same run");
    assert_eq!(j.outcome, Some(Outcome::Promoted));
    let stages: Vec<usize> = j
        .steps
        .iter()
        .filter_map(|s| match s.kind {
            StepKind::Stage { index } => Some(index),
            _ => None,
        })
        .collect();
    assert_eq!(stages, vec![0, 1, 2], "no stage repeated or skipped");
    let records = r53.list_records(zone_id).await.unwrap();
    let locks: Vec<&RecordSet> = records
        .iter()
        .filter(|r| r.name.starts_with("_dynoshift-lock."))
        .collect();
    assert!(locks.is_empty(), "lock left: {locks:?}");
    let weights = |side: &str| -> Vec<i64> {
        records
            .iter()
            .filter(|r| {
                r.set_identifier
                    .as_deref()
                    .is_some_and(|s| s.contains(side))
            })
            .filter_map(|r| r.weight)
            .collect()
    };
    assert_eq!(weights("aws").len(), 2, "{records:?}");
    let heroku = weights("heroku");
    assert_eq!(heroku, vec![0, 0], "{records:?}");
    let store = s3_store(moto, url);
    assert!(
        store.load(RecordKind::Live).await.unwrap().is_none(),
        "the heartbeat of the finished run is removed"
    );
}

/// moto with a bucket `name` and a zone `name.test`, and a plan (approval before 50% and
/// 100%) whose journal is `s3://name/key`.
struct Scene {
    moto: Moto,
    bucket: String,
    r53: Route53Provider,
    zone_id: String,
    plan: String,
    url: String,
}

async fn scene(name: &str, key: &str) -> Scene {
    let moto = Moto::start();
    let bucket = moto.bucket(name).await;
    let zone_name = format!("{name}.test");
    let (r53, zone_id) = zone(&moto, &zone_name).await;
    Scene {
        plan: plan_json(&zone_name, true),
        url: format!("s3://{bucket}/{key}"),
        moto,
        bucket,
        r53,
        zone_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_on_runner_a_is_resumed_by_runner_b() {
    let Scene {
        moto,
        bucket,
        r53,
        zone_id,
        plan,
        url,
    } = scene("killed", "shop/www.journal.json").await;
    let a = runner_dir("runner-a", &plan);
    let ops = runner_dir("operator", &plan);
    let b = runner_dir("runner-b", &plan);

    // runner A starts; it waits for the approval of stage 1 (50%)
    let (mut child, rx) = spawn(cutover(&moto, &a, "run", &url, &["--json"]));
    wait_for(&rx, "awaiting approval of 50%", |v| {
        v["type"] == "awaiting_approval" && v["percent"] == 50
    });
    // an operator elsewhere sees it live through S3 and approves it through the control record
    let mut status = cutover(&moto, &ops, "status", &url, &["--json"]);
    let (code, out, err) = output(&mut status);
    assert_eq!(code, 0, "{err}");
    let st: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(st["live"]["pid"], child.id(), "{out}");
    let run_id = st["run_id"].as_str().unwrap().to_owned();
    let (code, out, err) = output(&mut cutover(&moto, &ops, "approve", &url, &[]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&run_id), "{out}");
    // A goes on to 50%; it is killed once the 50% change is submitted
    wait_for(&rx, "the 50% change", |v| v["type"] == "change_submitted");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let mid = raw_journal(&moto, &bucket, "shop/www.journal.json")
        .await
        .unwrap();
    assert!(mid["outcome"].is_null(), "killed mid-run: {mid}");
    drop(rx);
    std::fs::remove_dir_all(&a).unwrap(); // runner A is recycled: its disk is gone

    // runner B: another directory, another process, the S3 URL and the plan in common; it
    // finishes 50% and waits for the approval of 100%, which the operator sends through S3
    let (child, rx) = spawn(cutover(&moto, &b, "resume", &url, &["--json"]));
    let mut seen = Vec::new();
    wait_for(&rx, "awaiting approval of 100%", |v| {
        seen.push(v.clone());
        v["type"] == "awaiting_approval" && v["percent"] == 100
    });
    let (code, _, err) = output(&mut cutover(&moto, &ops, "approve", &url, &[]));
    assert_eq!(code, 0, "{err}");
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr).into_owned();
    assert_eq!(done.status.code(), Some(0), "{err}");
    let rest: Vec<String> = rx.iter().collect();
    let out = rest.join("\n");
    let events: Vec<serde_json::Value> = seen
        .into_iter()
        .chain(rest.iter().filter_map(|l| serde_json::from_str(l).ok()))
        .collect();
    let started = events
        .iter()
        .find(|v| v["type"] == "run_started")
        .expect("run_started");
    assert_eq!(started["resumed"], true, "{out}");
    assert_eq!(started["run_id"], run_id.as_str(), "{out}");
    assert!(
        !events
            .iter()
            .any(|v| v["type"] == "stage_passed" && v["percent"] == 10),
        "stage 10% was not passed again: {out}"
    );
    assert!(
        out.lines().last().unwrap().contains("\"promoted\""),
        "{out}"
    );
    promoted_exactly_once(&moto, &url, &r53, &zone_id, &run_id).await;
    for d in [ops, b] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_racing_on_one_s3_journal_one_advances_the_other_conflicts() {
    let Scene {
        moto,
        r53,
        zone_id,
        plan,
        url,
        ..
    } = scene("race", "www.journal.json").await;
    let first = runner_dir("race-0", &plan);
    // the run stops paused after 10% (no one to approve it)
    let (code, _, err) = output(&mut cutover(&moto, &first, "run", &url, &["--no-wait"]));
    assert_eq!(code, 75, "{err}");
    let run_id = load_journal(s3_store(&moto, &url)).await.unwrap().run_id;

    // two runners resume it at once, each from its own directory (resuming approves 50%;
    // the one that advances stops again before 100%)
    let dirs = [runner_dir("race-1", &plan), runner_dir("race-2", &plan)];
    let resume = ["--json", "--no-wait"];
    let children: Vec<Child> = dirs
        .iter()
        .map(|d| {
            cutover(&moto, d, "resume", &url, &resume)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let results: Vec<(i32, String, String)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    let mut codes: Vec<i32> = results.iter().map(|r| r.0).collect();
    codes.sort();
    assert_eq!(codes, vec![EXIT_CONFLICT, EXIT_PAUSED], "{results:#?}");
    let (winner, loser) = if results[0].0 == EXIT_PAUSED {
        (&results[0], &results[1])
    } else {
        (&results[1], &results[0])
    };
    let passed = |out: &str| -> Vec<u64> {
        out.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "stage_passed")
            .filter_map(|v| v["percent"].as_u64())
            .collect()
    };
    assert_eq!(passed(&winner.1), vec![50], "{winner:?}");
    assert!(loser.2.contains("conflict"), "{loser:?}");
    assert!(passed(&loser.1).is_empty(), "the loser advanced: {loser:?}");
    // the run then finishes from a third runner
    let third = runner_dir("race-3", &plan);
    let (code, out, err) = output(&mut cutover(&moto, &third, "resume", &url, &resume));
    assert_eq!(code, 0, "{err}\n{out}");
    let _ = std::fs::remove_dir_all(third);
    promoted_exactly_once(&moto, &url, &r53, &zone_id, &run_id).await;
    for d in dirs.iter().chain([&first]) {
        let _ = std::fs::remove_dir_all(d);
    }
}

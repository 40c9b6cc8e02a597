//! A gated cutover from bash alone: the `dynoshift cutover` CLI against moto_server (Route53)
//! and a loopback HTTP app, with the plan (YAML) carrying two hostnames of different Heroku
//! targets and an HTTP gate. Promotes with exit 0 when the app is healthy; rolls both
//! hostnames back to their exact original records with exit 6 when it fails at 25%; a run
//! killed with SIGKILL mid-soak is resumed and the plan's gate judges the rest; controls from
//! a second shell reach the live run.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use dynoshift::Route53Provider;
use dynoshift::dns::{Change, ChangeAction, DnsProvider, RecordSet};
use dynoshift::rehearse::LocalApp;
use support::aws_cli::{cli, spawn};
use support::hook_server::HookServer;
use support::moto::Moto;

const WWW_TARGET: &str = "sushi-1a2b.herokudns.com";
const API_TARGET: &str = "tokyo-9z8y.herokudns.com";

struct Zone {
    provider: Route53Provider,
    id: String,
    name: String,
}

/// A fresh zone (moto refuses a second CNAME→weighted conversion of a name it rolled back)
/// with `www` and `api` as plain CNAMEs to their own Heroku targets.
async fn zone(moto: &Moto, name: &str) -> Zone {
    let (provider, id) = moto.hosted_zone(name).await;
    let seed = vec![
        Change::new(
            ChangeAction::Create,
            RecordSet::simple(&format!("www.{name}"), "CNAME", 1, vec![WWW_TARGET.into()]),
        ),
        Change::new(
            ChangeAction::Create,
            RecordSet::simple(&format!("api.{name}"), "CNAME", 1, vec![API_TARGET.into()]),
        ),
    ];
    provider.apply(&id, seed, "seed").await.unwrap();
    Zone {
        provider,
        id,
        name: name.to_owned(),
    }
}

/// The plan as a deploy script would keep it: YAML, per-hostname Heroku targets, an HTTP gate.
fn write_plan(dir: &Path, zone: &str, app: &LocalApp) -> PathBuf {
    let plan = format!(
        "# written by hand, as `cutover init` would\n\
         zone: {zone}\n\
         aws_target: lb-1.elb.example.test\n\
         hostnames:\n\
         \x20 - name: www.{zone}\n\
         \x20   heroku_target: {WWW_TARGET}\n\
         \x20 - name: api.{zone}\n\
         \x20   heroku_target: {API_TARGET}\n\
         stages: [10, 25, 50, 100]\n\
         soak_seconds: 3\n\
         tick_seconds: 1\n\
         ttl: 1\n\
         poll_seconds: 1\n\
         gates:\n\
         \x20 - type: http\n\
         \x20   name: aws-app\n\
         \x20   probe:\n\
         \x20     url: {url}\n\
         \x20     host: www.{zone}\n\
         \x20     timeout_ms: 500\n\
         \x20   min_samples: 10\n",
        url = app.url("/healthz")
    );
    let path = dir.join(format!("{zone}.plan.yaml"));
    std::fs::write(&path, plan).unwrap();
    path
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dynoshift-gated-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Reads events until one of `event_type` at `percent` arrives (panics after 60 s).
fn wait_for(rx: &mpsc::Receiver<String>, event_type: &str, percent: u64) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no {event_type} at {percent}% within 60 s: {seen:?}"));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        seen.push(line);
        if v["type"] == event_type && v["percent"].as_u64() == Some(percent) {
            return seen;
        }
    }
}

fn finish(mut child: Child, rx: mpsc::Receiver<String>) -> (i32, Vec<String>, String) {
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let lines: Vec<String> = rx.iter().collect();
    (status.code().unwrap_or(-1), lines, err)
}

/// `cutover rollback` from another shell exits 0.
fn rollback_succeeds(moto: &Moto, plan: &str, journal: &str) {
    let out = cli(
        moto,
        &["cutover", "rollback", "--plan", plan, "--journal", journal],
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// The weights now: (host, set id, weight, target), sorted.
async fn weighted(z: &Zone) -> Vec<(String, String, i64, String)> {
    let mut out: Vec<_> = z
        .provider
        .list_records(&z.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.rtype == "CNAME" && r.is_weighted())
        .map(|r| {
            (
                r.name.clone(),
                r.set_identifier.clone().unwrap_or_default(),
                r.weight.unwrap_or(-1),
                r.values.join(","),
            )
        })
        .collect();
    out.sort();
    out
}

async fn no_lock_left(z: &Zone) {
    let left: Vec<String> = z
        .provider
        .list_records(&z.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.name.starts_with("_dynoshift-lock."))
        .map(|r| r.name)
        .collect();
    assert!(left.is_empty(), "locks left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_app_promotes_with_exit_0() {
    let moto = Moto::start();
    let app = LocalApp::start("aws").unwrap();
    let z = zone(&moto, "promote.example.test").await;
    let dir = scratch("promote");
    let plan = write_plan(&dir, &z.name, &app);
    // every event also goes to a webhook on loopback, with a secret header
    let hook = HookServer::start();
    let text = std::fs::read_to_string(&plan).unwrap()
        + &format!(
            "notify:\n  - type: webhook\n    url: {}/events/HOOKPATHSECRET\n    headers:\n      \
             Authorization: Bearer HOOKHEADERSECRET\n",
            hook.base()
        );
    std::fs::write(&plan, text).unwrap();
    let journal = dir.join("journal.json");
    let (p, j) = (plan.to_str().unwrap(), journal.to_str().unwrap());

    let out = cli(&moto, &["cutover", "preflight", "--plan", p])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (child, rx) = spawn(cli(
        &moto,
        &["cutover", "run", "--plan", p, "--journal", j, "--json"],
    ));
    let (code, lines, err) = finish(child, rx);
    assert_eq!(code, 0, "{err}\n{lines:?}");
    // the plan's gate judged every stage
    for stage in 0..4 {
        assert!(
            lines.iter().any(|l| l.contains("\"gate_verdict\"")
                && l.contains(&format!("\"stage\":{stage}"))
                && l.contains("aws-app")),
            "no verdict of the plan's gate at stage {stage}: {lines:?}"
        );
    }
    assert_eq!(
        weighted(&z).await,
        vec![
            (
                format!("api.{}", z.name),
                "aws".into(),
                100,
                "lb-1.elb.example.test".into()
            ),
            (
                format!("api.{}", z.name),
                "heroku".into(),
                0,
                API_TARGET.into()
            ),
            (
                format!("www.{}", z.name),
                "aws".into(),
                100,
                "lb-1.elb.example.test".into()
            ),
            (
                format!("www.{}", z.name),
                "heroku".into(),
                0,
                WWW_TARGET.into()
            ),
        ]
    );
    no_lock_left(&z).await;
    assert!(app.counts().0 > 0, "the gate never probed the app");
    // the webhook received every event, in order, with its header
    let events: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("type").is_some() && v.get("run_id").is_some())
        .collect();
    let posted: Vec<serde_json::Value> = hook
        .seen()
        .iter()
        .map(|s| {
            assert_eq!(s.method, "POST");
            assert_eq!(s.target, "/events/HOOKPATHSECRET");
            assert_eq!(
                s.headers.get("authorization").map(String::as_str),
                Some("Bearer HOOKHEADERSECRET")
            );
            serde_json::from_str(&s.body).unwrap()
        })
        .collect();
    assert!(events.len() > 10, "{events:?}");
    assert_eq!(
        posted, events,
        "the webhook got other events than --json printed"
    );
    // the sink's secrets stay out of the journal and the output
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    for secret in ["HOOKPATHSECRET", "HOOKHEADERSECRET"] {
        assert!(!journal_text.contains(secret), "journal leaks {secret}");
        assert!(!err.contains(secret) && !lines.concat().contains(secret));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_at_25_percent_rolls_both_hostnames_back_with_exit_6() {
    let moto = Moto::start();
    let app = LocalApp::start("aws").unwrap();
    let z = zone(&moto, "rollback.example.test").await;
    let before: Vec<RecordSet> = z.provider.list_records(&z.id).await.unwrap();
    let dir = scratch("rollback");
    let plan = write_plan(&dir, &z.name, &app);
    let journal = dir.join("journal.json");
    let (p, j) = (plan.to_str().unwrap(), journal.to_str().unwrap());
    let (child, rx) = spawn(cli(
        &moto,
        &["cutover", "run", "--plan", p, "--journal", j, "--json"],
    ));
    wait_for(&rx, "soak_started", 25);
    app.set_failing(true);
    let (code, lines, err) = finish(child, rx);
    assert_eq!(code, 6, "{err}\n{lines:?}");
    assert!(
        err.contains("rolled back: gate aws-app failed at 25%"),
        "{err}"
    );
    let after: Vec<RecordSet> = z.provider.list_records(&z.id).await.unwrap();
    let cnames = |rs: &[RecordSet]| {
        let mut v: Vec<RecordSet> = rs.iter().filter(|r| r.rtype == "CNAME").cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    let (b, a) = (cnames(&before), cnames(&after));
    assert_eq!(a.len(), 2, "{a:?}");
    assert!(
        b.iter().zip(&a).all(|(x, y)| x.same_as(y)),
        "not the original records: {a:?} vs {b:?}"
    );
    no_lock_left(&z).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_soak_resumes_with_the_plans_gates_and_obeys_a_second_shell() {
    let moto = Moto::start();
    let app = LocalApp::start("aws").unwrap();
    let z = zone(&moto, "resume.example.test").await;
    let dir = scratch("resume");
    let plan = write_plan(&dir, &z.name, &app);
    let journal = dir.join("journal.json");
    let (p, j) = (plan.to_str().unwrap(), journal.to_str().unwrap());
    let (mut child, rx) = spawn(cli(
        &moto,
        &["cutover", "run", "--plan", p, "--journal", j, "--json"],
    ));
    wait_for(&rx, "soak_started", 10);
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind
    let _ = child.wait();

    // a second shell: nothing is live any more, so a control is refused with a hint
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["cutover", "approve", "--plan", p, "--journal", j])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "conflict expected");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cutover resume"));

    // resume with nothing re-supplied: the plan's gate judges the remaining stages; meanwhile
    // a second shell asks the live run to roll back, and it does so itself
    let (child, rx) = spawn(cli(
        &moto,
        &["cutover", "resume", "--plan", p, "--journal", j, "--json"],
    ));
    let seen = wait_for(&rx, "soak_started", 25);
    assert!(
        seen.iter()
            .any(|l| l.contains("\"gate_verdict\"") && l.contains("aws-app")),
        "the resumed run did not run the plan's gate: {seen:?}"
    );
    rollback_succeeds(&moto, p, j);
    let (code, lines, err) = finish(child, rx);
    assert_eq!(code, 6, "the live run rolled back: {err}\n{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rollback requested by the operator")),
        "{lines:?}"
    );
    assert!(weighted(&z).await.is_empty(), "records not restored");
    no_lock_left(&z).await;
    let j = dynoshift::cutover::read_journal(&journal).unwrap();
    assert_eq!(j.outcome.map(|o| o.status()), Some("rolled_back"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_exits_75_and_a_run_refused_after_its_lock_leaves_no_lock() {
    // moto 5.2.5 refuses a second CNAME→weighted conversion of a name it has rolled back
    // (real Route53 accepts it): here that refusal is the first batch of a run failing after
    // the run took its lock.
    let moto = Moto::start();
    let app = LocalApp::start("aws").unwrap();
    let z = zone(&moto, "refused.example.test").await;
    let dir = scratch("refused");
    let plan = write_plan(&dir, &z.name, &app);
    let text = std::fs::read_to_string(&plan).unwrap() + "require_approval: true\n";
    std::fs::write(&plan, text).unwrap();
    let journal = dir.join("journal.json");
    let (p, j) = (plan.to_str().unwrap(), journal.to_str().unwrap());

    // stage 10% passes, then the run would wait for an approval: --no-wait exits 75
    let out = cli(
        &moto,
        &["cutover", "run", "--plan", p, "--journal", j, "--no-wait"],
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(
        err.contains("paused: waiting for approval of stage 1"),
        "{err}"
    );
    assert!(err.contains("cutover resume --plan"), "{err}");
    let out = cli(&moto, &["cutover", "status", "--plan", p, "--journal", j])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(status.contains("AWS share now: 10%"), "{status}");
    assert!(status.contains("lock: held on"), "{status}");
    // the expiry as a time people read, not Unix seconds
    assert!(
        status.contains("Z (released when the run ends)"),
        "{status}"
    );
    assert!(
        !status.contains("Some("),
        "Debug output in status: {status}"
    );

    rollback_succeeds(&moto, p, j);
    assert!(weighted(&z).await.is_empty());

    let out = cli(&moto, &["cutover", "run", "--plan", p, "--journal", j])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "conflict expected: {err}");
    assert!(err.contains("the lock is released"), "{err}");
    no_lock_left(&z).await;
    assert!(
        !journal.exists(),
        "the journal of a run that wrote nothing is removed"
    );
}

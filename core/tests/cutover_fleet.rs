//! A fleet of cutovers under one Route53 request budget, on moto_server behind a proxy that
//! plays Route53's account-wide limit (5 requests per second, then `Throttling`):
//!
//! - 20 apps at once at the default budget: every Route53 call goes through the budget (the
//!   proxy sees exactly the calls the budget counted), none is throttled, one app whose gate
//!   fails rolls back while the 19 others promote, and its rollback leaves their records alone;
//! - the same proxy with a budget above the account's limit: throttling appears and is counted;
//! - the wall time of the fleet against single runs, printed (no timed assertion);
//! - `dynoshift cutover fleet` with S3 journals: the table, the JSON report, the exit status.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dynoshift::cutover::fleet::{FleetApp, fleet_failed, run_fleet};
use dynoshift::cutover::{
    CallbackGate, CutoverPlan, DnsTarget, Operation, Outcome, RunOptions, Session, StepKind,
    Verdict, load_journal,
};
use dynoshift::dns::{Change, ChangeAction, DnsProvider, RecordSet};
use dynoshift::{RequestBudget, Route53Provider};
use support::aws_cli::cli;
use support::moto::Moto;
use support::throttle::ThrottleProxy;

const HEROKU: &str = "fleet-1a2b.herokudns.com";
const AWS: &str = "lb-1.elb.example.test";
const APPS: usize = 20;
/// The app whose gate fails.
const FAILING: usize = 7;
/// Single runs timed one after another (the sum over the fleet is extrapolated from them).
const SINGLES: usize = 4;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dynoshift-fleet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn hosts(zone: &str) -> Vec<String> {
    vec![format!("www.{zone}"), format!("api.{zone}")]
}

/// A plan of two hostnames in `zone`, stages 50 and 100, one-second soaks and TTLs.
fn plan(zone: &str) -> CutoverPlan {
    let mut p = CutoverPlan::new(hosts(zone), zone, HEROKU, AWS);
    p.stages = vec![50, 100];
    p.soak_seconds = 1;
    p.tick_seconds = 1;
    p.poll_seconds = 1;
    p.ttl = 1;
    p
}

/// A new zone on moto holding each hostname of `zone` as a simple CNAME to Heroku.
async fn seed(moto: &Moto, zone: &str) -> (Route53Provider, String) {
    let (provider, id) = moto.hosted_zone(zone).await;
    let changes = hosts(zone)
        .iter()
        .map(|h| {
            Change::new(
                ChangeAction::Create,
                RecordSet::simple(h, "CNAME", 1, vec![HEROKU.into()]),
            )
        })
        .collect();
    provider.apply(&id, changes, "seed").await.unwrap();
    (provider, id)
}

/// The zone's records, sorted, lock records and the apex's SOA/NS left out.
async fn app_records(provider: &Route53Provider, zone_id: &str) -> Vec<RecordSet> {
    let mut r: Vec<RecordSet> = provider
        .list_records(zone_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.rtype == "CNAME" || r.name.starts_with("_dynoshift-lock."))
        .collect();
    r.sort_by_key(|r| r.key());
    r
}

fn promoted_records(zone: &str) -> Vec<RecordSet> {
    let mut r = Vec::new();
    for h in hosts(zone) {
        r.push(RecordSet::weighted_cname(&h, "aws", 100, 1, AWS));
        r.push(RecordSet::weighted_cname(&h, "heroku", 0, 1, HEROKU));
    }
    r.sort_by_key(|r| r.key());
    r
}

fn same(a: &[RecordSet], b: &[RecordSet]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
}

fn failing_gate() -> Arc<CallbackGate> {
    Arc::new(CallbackGate::new("error-rate", |_ctx| async {
        Verdict::fail("error rate 9% over the 1% limit")
    }))
}

#[tokio::test]
async fn twenty_apps_share_one_budget_and_one_rollback_touches_only_its_own_records() {
    let moto = Moto::start();
    let proxy = ThrottleProxy::start(moto.addr());
    let mut options = moto.route53_options();
    options.endpoint_url = Some(proxy.endpoint_url());
    let dir = scratch("twenty");

    let zones: Vec<String> = (0..APPS).map(|i| format!("app{i:02}.fleet.test")).collect();
    let mut seeded = Vec::new();
    for z in &zones {
        seeded.push(seed(&moto, z).await);
    }
    let before: Vec<Vec<RecordSet>> = {
        let mut v = Vec::new();
        for (p, id) in &seeded {
            v.push(app_records(p, id).await);
        }
        v
    };

    // the account's limit, played by the proxy from now on
    proxy.limit_rate(5.0, 5);
    let seen_before = proxy.route53_seen();
    let apps: Vec<FleetApp> = zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let mut s = Session::new(
                plan(z),
                DnsTarget::Route53(options.clone()),
                dir.join(format!("app{i:02}.journal.json")),
            )
            .unwrap();
            if i == FAILING {
                s = s.with_callback_gate(failing_gate());
            }
            FleetApp::from_session(format!("app{i:02}"), s)
        })
        .collect();
    let budget = RequestBudget::default();
    let t0 = Instant::now();
    let report = run_fleet(apps, budget.clone(), RunOptions::default())
        .await
        .unwrap();
    let fleet_wall = t0.elapsed();
    for l in report.table() {
        println!("{l}");
    }

    // outcomes: the failing app rolled back, every other promoted
    assert_eq!(report.apps.len(), APPS);
    for (i, a) in report.apps.iter().enumerate() {
        assert_eq!(a.app, format!("app{i:02}"), "in the order given");
        if i == FAILING {
            assert_eq!(a.outcome, "rolled_back", "{a:?}");
            assert!(a.reason.as_deref().unwrap().contains("error rate"), "{a:?}");
        } else {
            assert_eq!(a.outcome, "promoted", "{a:?}");
            assert_eq!((a.stages, a.planned_stages), (2, 2), "{a:?}");
        }
        assert!(a.route53.calls > 0, "{a:?}");
    }
    assert_eq!(
        fleet_failed(&report).unwrap().app,
        format!("app{FAILING:02}")
    );

    // every Route53 call went through the one budget: the proxy saw exactly those
    let per_app: u64 = report.apps.iter().map(|a| a.route53.calls).sum();
    assert_eq!(report.total.calls, per_app);
    assert_eq!(
        (proxy.route53_seen() - seen_before) as u64,
        report.total.calls,
        "the proxy saw a Route53 call the budget did not count (or the reverse)"
    );
    // at the default budget the account's limit is never hit
    assert_eq!(report.total.throttles, 0, "{:?}", report.table());
    assert_eq!(proxy.rate_limited(), 0);

    // the rollback restored its own records and left every other app's alone
    for (i, ((provider, id), z)) in seeded.iter().zip(&zones).enumerate() {
        let now = app_records(provider, id).await;
        let journal = load_journal(
            Session::new(
                plan(z),
                DnsTarget::Route53(options.clone()),
                dir.join(format!("app{i:02}.journal.json")),
            )
            .unwrap()
            .journal_store(),
        )
        .await
        .unwrap();
        assert!(
            journal
                .original
                .iter()
                .all(|r| r.name.ends_with(z.as_str())),
            "app{i:02}'s journal names only its own records"
        );
        if i == FAILING {
            assert!(same(&now, &before[i]), "restored exactly: {now:?}");
            assert!(
                journal
                    .steps
                    .iter()
                    .any(|s| matches!(s.kind, StepKind::Restore))
            );
        } else {
            assert!(
                same(&now, &promoted_records(z)),
                "app{i:02} untouched by the rollback: {now:?}"
            );
            assert!(
                !journal
                    .steps
                    .iter()
                    .any(|s| matches!(s.kind, StepKind::Restore | StepKind::RollbackStep)),
                "app{i:02} never rolled back"
            );
        }
    }

    // single runs, one after another, each with a budget of its own
    let mut singles = Vec::new();
    for i in 0..SINGLES {
        let z = format!("single{i}.fleet.test");
        seed(&moto, &z).await;
        let session = Session::new(
            plan(&z),
            DnsTarget::Route53(options.clone()),
            dir.join(format!("single{i}.journal.json")),
        )
        .unwrap();
        let t = Instant::now();
        let outcome = session.start(Operation::Run).unwrap().await.unwrap();
        singles.push(t.elapsed());
        assert_eq!(outcome, Outcome::Promoted);
    }
    let mean = singles.iter().sum::<Duration>() / SINGLES as u32;
    println!(
        "fleet of {APPS}: {:.1} s wall, {} Route53 calls ({:.1} per app), {} throttled, {:.1} s \
         waited for the budget; single runs: {:.1} s each (mean of {SINGLES}), so {APPS} one \
         after another ≈ {:.1} s; fleet/sequential = {:.2}",
        fleet_wall.as_secs_f64(),
        report.total.calls,
        report.total.calls as f64 / APPS as f64,
        report.total.throttles,
        report.total.waited_ms as f64 / 1000.0,
        mean.as_secs_f64(),
        mean.as_secs_f64() * APPS as f64,
        fleet_wall.as_secs_f64() / (mean.as_secs_f64() * APPS as f64)
    );

    // the same account limit with a budget far above it: the fleet now meets throttling,
    // and the budget counts every throttled answer the proxy gave
    let limited_before = proxy.rate_limited();
    let zones: Vec<String> = (0..6).map(|i| format!("over{i}.fleet.test")).collect();
    for z in &zones {
        seed(&moto, z).await;
    }
    proxy.limit_rate(5.0, 5);
    let apps: Vec<FleetApp> = zones
        .iter()
        .map(|z| {
            FleetApp::new(
                z.clone(),
                plan(z),
                DnsTarget::Route53(options.clone()),
                dir.join(format!("{z}.journal.json")),
            )
            .unwrap()
        })
        .collect();
    let over = run_fleet(
        apps,
        RequestBudget::new(100.0, 100).unwrap(),
        RunOptions::default(),
    )
    .await
    .unwrap();
    for l in over.table() {
        println!("over budget: {l}");
    }
    let limited = proxy.rate_limited() - limited_before;
    assert!(
        limited > 0,
        "6 apps at 100 req/s must meet the 5 req/s limit"
    );
    assert_eq!(over.total.throttles, limited as u64);
    let _ = std::fs::remove_dir_all(&dir);
}

fn write_plan(dir: &Path, name: &str, zone: &str) -> String {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, plan(zone).to_json()).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_cli_runs_a_fleet_with_s3_journals_and_prints_its_table() {
    let moto = Moto::start();
    let bucket = moto.bucket("fleet-journals").await;
    let dir = scratch("cli");
    seed(&moto, "shop.cli.test").await;
    seed(&moto, "blog.cli.test").await;
    let shop = write_plan(&dir, "shop", "shop.cli.test");
    let blog = write_plan(&dir, "blog", "blog.cli.test");
    let prefix = format!("s3://{bucket}/fleet/");
    let out = cli(
        &moto,
        &[
            "cutover",
            "fleet",
            &shop,
            &blog,
            "--journal-prefix",
            &prefix,
            "--budget",
            "5",
            "--burst",
            "2",
        ],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains("2 apps") && lines[0].contains("burst 2"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("app") && lines[1].contains("route53"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("shop ") && lines[2].contains("promoted"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("blog ") && lines[3].contains("promoted"),
        "{stdout}"
    );
    assert!(lines[4].starts_with("total: 2/2 promoted"), "{stdout}");
    // each app's journal is its own object under the prefix
    for app in ["shop", "blog"] {
        let got = moto
            .s3_client()
            .await
            .get_object()
            .bucket(&bucket)
            .key(format!("fleet/{app}.journal.json"))
            .send()
            .await
            .unwrap();
        let bytes = got.body.collect().await.unwrap().into_bytes();
        let j: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(j["outcome"]["outcome"], "promoted", "{app}");
        assert!(j["zone_name"].as_str().unwrap().starts_with(app));
    }

    // JSON, and a fleet that is refused before anything runs: one hostname in two plans
    let again = write_plan(&dir, "shop-again", "shop.cli.test");
    let out = cli(
        &moto,
        &[
            "cutover",
            "fleet",
            &shop,
            &again,
            "--journal-dir",
            "x",
            "--json",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "invalid_input");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("both move www.shop.cli.test"), "{err}");

    // a fleet rehearsed in memory, as JSON
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["cutover", "fleet", &shop, &blog, "--memory", "--json"])
        .args(["--journal-dir", &dir.join("mem").display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["apps"][0]["app"], "shop");
    assert_eq!(v["apps"][1]["outcome"], "promoted");
    assert_eq!(v["total"]["calls"], 0, "no Route53 in memory");
    let _ = std::fs::remove_dir_all(&dir);
}

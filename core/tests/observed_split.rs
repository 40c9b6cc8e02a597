//! The observed-split gate against real parts: the memory zone served over real UDP DNS on
//! loopback, the gate's own DNS client, loopback HTTP apps behind a weighted forwarder, and
//! the cutover engine on the memory provider (virtual clock; queries and requests are real).

#[allow(dead_code)]
#[path = "support/forwarder.rs"]
mod forwarder;
#[allow(dead_code)]
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use dynoshift::cutover::{
    CutoverEvent, EventLog, EventRecord, HostEntry, Outcome, read_journal, rehearsal_provider,
};
use dynoshift::dns::client::{self, AnswerTally, QueryOptions};
use dynoshift::dns::memory::{DnsLookup, weighted_choice};
use dynoshift::dns::serve::respond;
use dynoshift::dns::wire::{self, TYPE_A, TYPE_AAAA};
use dynoshift::dns::{Change, ChangeAction, RecordSet};
use dynoshift::health::{
    Gate, GateContext, ObservedSplitGate, ObservedSplitGateConfig, VerdictStatus,
    binomial_two_sided, gates_from_json,
};
use dynoshift::rehearse::LocalApp;
use dynoshift::{
    Cutover, CutoverPlan, DnsProvider, ErrorKind, MemoryOptions, MemoryProvider, VirtualClock,
};
use forwarder::WeightedForwarder;
use proptest::prelude::*;

const HEROKU: &str = "app-1a2b.herokudns.com";
const AWS: &str = "lb-1.elb.amazonaws.com";
const HOST: &str = "www.example.test";

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn quick() -> QueryOptions {
    QueryOptions {
        timeout: Duration::from_millis(500),
        retries: 1,
    }
}

async fn ask(server: SocketAddr, name: &str, qtype: u16, n: usize) -> AnswerTally {
    client::tally(vec![server], name.into(), qtype, n, 8, quick()).await
}

/// Asserts `k` of `n` is a plausible binomial draw at share `p` (two-sided p ≥ 1e-4), and
/// within 4 standard deviations.
fn assert_binomial(k: u64, n: u64, p: f64) {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let dev = (k as f64 - n as f64 * p).abs();
    assert!(
        dev <= 4.0 * sd && binomial_two_sided(k, n, p) >= 1e-4,
        "{k} of {n} is not a plausible draw at {p} (sd {sd:.1})"
    );
}

#[tokio::test]
async fn weighted_answers_over_udp_converge_to_the_weights() {
    let p = MemoryProvider::new(MemoryOptions {
        reject_all_zero_weights: false,
        ..MemoryOptions::default()
    });
    let z = p.create_zone("example.test");
    let w = |name: &str, id: &str, weight, target: &str| {
        Change::new(
            ChangeAction::Create,
            RecordSet::weighted_cname(name, id, weight, 60, target),
        )
    };
    p.apply_now(
        &z.id,
        vec![
            w(HOST, "heroku", 75, HEROKU),
            w(HOST, "aws", 25, AWS),
            w("zero.example.test", "heroku", 0, HEROKU),
            w("zero.example.test", "aws", 0, AWS),
            w("only.example.test", "heroku", 0, HEROKU),
            w("only.example.test", "aws", 100, AWS),
            Change::new(
                ChangeAction::Create,
                RecordSet::simple(
                    "v4.example.test",
                    "A",
                    30,
                    vec!["192.0.2.2".into(), "192.0.2.1".into()],
                ),
            ),
            Change::new(
                ChangeAction::Create,
                RecordSet::simple("v6.example.test", "AAAA", 30, vec!["2001:db8::1".into()]),
            ),
        ],
        "",
    )
    .unwrap();
    let server = p.serve_dns_seeded(loopback(), 7).unwrap();
    assert_eq!(p.name_servers(&z.id).await.unwrap(), [server.addr()]);

    // 25/75: 4000 queries land on AWS about 1000 times
    let t = ask(server.addr(), HOST, TYPE_A, 4000).await;
    assert_eq!(
        (t.queries, t.answered(), t.unanswered),
        (4000, 4000, 0),
        "{t:?}"
    );
    assert_eq!(t.not_authoritative, 0, "every answer is authoritative");
    assert_eq!(t.by_answer.len(), 2, "{t:?}");
    assert_binomial(t.by_answer[AWS], 4000, 0.25);
    // all weights 0: Route53 splits equally
    let t = ask(server.addr(), "zero.example.test", TYPE_A, 2000).await;
    assert_binomial(t.by_answer[AWS], 2000, 0.5);
    // a zero weight next to a non-zero one never answers
    let t = ask(server.addr(), "only.example.test", TYPE_A, 300).await;
    assert_eq!(t.by_answer.get(AWS), Some(&300), "{t:?}");
    // simple records answer with every value; AAAA; no data; NXDOMAIN; REFUSED
    let t = ask(server.addr(), "v4.example.test", TYPE_A, 5).await;
    assert_eq!(t.by_answer.get("192.0.2.1,192.0.2.2"), Some(&5), "{t:?}");
    let t = ask(server.addr(), "v6.example.test", TYPE_AAAA, 5).await;
    assert_eq!(t.by_answer.get("2001:db8::1"), Some(&5), "{t:?}");
    assert_eq!(
        ask(server.addr(), "v6.example.test", TYPE_A, 3)
            .await
            .nodata,
        3
    );
    assert_eq!(
        ask(server.addr(), "nope.example.test", TYPE_A, 3)
            .await
            .nxdomain,
        3
    );
    assert_eq!(
        ask(server.addr(), "www.other.test", TYPE_A, 3)
            .await
            .refused,
        3
    );
    assert!(server.queries() >= 6300, "{}", server.queries());

    // the same choice in process, seeded: reproducible
    let picks = |seed| {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..50)
            .map(|_| match p.answer(HOST, "A", &mut rng) {
                DnsLookup::Records(r) => r[0].values[0].clone(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(3), picks(3));
    assert_ne!(picks(3), picks(4));
    let mut rng = fastrand::Rng::with_seed(1);
    assert_eq!(weighted_choice(&[0, 0, 9], &mut rng), 2);

    // a stopped server: the provider has no name servers, queries go unanswered
    let addr = server.addr();
    drop(server);
    let err = p.name_servers(&z.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let err = client::query(&[addr], 0, HOST, TYPE_A, quick())
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
        "{err}"
    );
}

// ---- the gate in cutovers on the memory provider ------------------------------------------

fn plan() -> CutoverPlan {
    let mut p = CutoverPlan::new(vec![HOST.into()], "example.test", HEROKU, AWS);
    p.soak_seconds = 30;
    p.tick_seconds = 10;
    p
}

struct Run {
    outcome: Outcome,
    events: Vec<EventRecord>,
    journal: std::path::PathBuf,
}

async fn run(provider: MemoryProvider, clock: Arc<VirtualClock>, gate: Arc<dyn Gate>) -> Run {
    run_plan(plan(), provider, clock, gate).await
}

async fn run_plan(
    plan: CutoverPlan,
    provider: MemoryProvider,
    clock: Arc<VirtualClock>,
    gate: Arc<dyn Gate>,
) -> Run {
    let dir = std::env::temp_dir().join(format!(
        "dynoshift-split-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.json");
    let log = Arc::new(EventLog::default());
    let outcome = Cutover::new(plan, Arc::new(provider), &journal)
        .unwrap()
        .with_clock(clock)
        .with_observer(log.clone())
        .with_gate(gate)
        .run()
        .await
        .unwrap();
    Run {
        outcome,
        events: log.events(),
        journal,
    }
}

fn rehearsal(clock: &Arc<VirtualClock>) -> MemoryProvider {
    rehearsal_provider(&plan(), MemoryOptions::default(), clock.clone()).unwrap()
}

#[tokio::test]
async fn the_dns_split_gate_passes_a_real_cutover() {
    let clock = Arc::new(VirtualClock::new());
    let provider = rehearsal(&clock);
    let server = provider.serve_dns_seeded(loopback(), 11).unwrap();
    // built from JSON, as every binding builds it
    let json = format!(
        r#"[{{"type": "observed_split", "name": "split", "method": "dns",
             "name_servers": ["{}"], "aws_target": "{AWS}.", "samples_per_check": 500}}]"#,
        server.addr()
    );
    let gate = gates_from_json(&json).unwrap().remove(0);
    let r = run(provider, clock, gate).await;
    assert_eq!(r.outcome, Outcome::Promoted, "{:?}", r.events);
    let j = read_journal(&r.journal).unwrap();
    assert_eq!(j.verdicts.len(), 16, "4 stages × 4 ticks");
    // the last verdict of every stage passes, and its measurements tell the split
    for (stage, percent) in [(0, 10u8), (1, 25), (2, 50), (3, 100)] {
        let v = &j
            .verdicts
            .iter()
            .rfind(|v| v.stage == stage)
            .unwrap()
            .verdict;
        assert_eq!(v.status, VerdictStatus::Pass, "{v:?}");
        let m = &v.measurements;
        assert_eq!(m["samples"], 2000, "{m}");
        assert_eq!(m["expected_share"], f64::from(percent) / 100.0);
        let observed = m["observed_share"].as_f64().unwrap();
        assert!((observed - f64::from(percent) / 100.0).abs() < 0.03, "{m}");
        let interval = m["interval"].as_array().unwrap();
        assert!(interval[0].as_f64().unwrap() <= observed);
        assert!(interval[1].as_f64().unwrap() >= observed);
        assert_eq!(m["method"], "dns");
    }
    assert!(
        j.verdicts
            .iter()
            .all(|v| v.verdict.status != VerdictStatus::Fail)
    );
    assert!(server.queries() >= 16 * 500);
}

#[tokio::test]
async fn a_stale_name_server_fails_the_gate_and_rolls_back() {
    // the engine writes the weights to one zone, but the name server clients ask still serves
    // the old answer (a name server that never got the change): clients stay on Heroku
    let clock = Arc::new(VirtualClock::new());
    let provider = rehearsal(&clock);
    let stale = rehearsal(&clock);
    let server = stale.serve_dns_seeded(loopback(), 5).unwrap();
    let config = ObservedSplitGateConfig::dns_for_zone(&stale, "example.test", AWS)
        .await
        .unwrap();
    assert_eq!(config.name_servers, [server.addr().to_string()]);
    let gate = Arc::new(ObservedSplitGate::new(config).unwrap());
    let r = run(provider.clone(), clock, gate).await;
    let Outcome::RolledBack { reason } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(reason.contains("failed at 10%"), "{reason}");
    assert!(reason.contains("0 of 200 answers went to AWS"), "{reason}");
    assert!(
        reason.contains("clients do not get the intended split"),
        "{reason}"
    );
    let v = &read_journal(&r.journal).unwrap().verdicts[0].verdict;
    assert_eq!(v.status, VerdictStatus::Fail);
    assert_eq!(v.measurements["observed_share"], 0.0);
    assert_eq!(v.measurements["expected_share"], 0.1);
    assert_eq!(v.measurements["last_check"]["by_answer"][HEROKU], 200);
    assert!(v.measurements["p_value"].as_f64().unwrap() < 1e-6);
    // rolled back in the first tick at 10%: the zone is back to the simple CNAME
    assert!(
        r.events
            .iter()
            .any(|e| matches!(&e.event, CutoverEvent::Writing { step, .. } if step == "restore"))
    );
    let z = provider.zone_named("example.test").unwrap();
    let www: Vec<RecordSet> = provider
        .records(&z.id)
        .unwrap()
        .into_iter()
        .filter(|r| r.name == HOST)
        .collect();
    assert_eq!(www.len(), 1);
    assert!(!www[0].is_weighted());
}

#[tokio::test]
async fn the_dns_gate_reports_refused_and_silent_servers_as_errors() {
    let p = MemoryProvider::default();
    p.create_zone("other.test");
    let server = p.serve_dns(loopback()).unwrap();
    let gate = ObservedSplitGate::new(ObservedSplitGateConfig {
        samples_per_check: 5,
        ..ObservedSplitGateConfig::dns(vec![server.addr().to_string()], AWS)
    })
    .unwrap();
    let v = gate.check(ctx(0, 10)).await;
    assert_eq!(v.status, VerdictStatus::Error, "{v:?}");
    assert!(v.reason.contains("REFUSED"), "{}", v.reason);
    // nobody listening
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let gate = ObservedSplitGate::new(ObservedSplitGateConfig {
        samples_per_check: 3,
        timeout_ms: 50,
        retries: 0,
        ..ObservedSplitGateConfig::dns(vec![silent.local_addr().unwrap().to_string()], AWS)
    })
    .unwrap();
    let v = gate.check(ctx(0, 10)).await;
    assert_eq!(v.status, VerdictStatus::Error, "{v:?}");
    assert!(
        v.reason.contains("no answer could be counted"),
        "{}",
        v.reason
    );
}

#[tokio::test]
async fn without_aws_target_the_dns_split_gate_counts_each_hostnames_own_target() {
    // two hostnames with different AWS targets (a real app's domains); the gate names none,
    // so each hostname's answers are counted against its own target from the plan
    let clock = Arc::new(VirtualClock::new());
    let mut p = plan();
    p.hostnames = vec![
        HostEntry::named(HOST),
        HostEntry {
            name: "api.example.test".into(),
            heroku_target: Some("api-9z8y.herokudns.com".into()),
            aws_target: Some("lb-2.elb.amazonaws.com".into()),
        },
    ];
    let provider = rehearsal_provider(&p, MemoryOptions::default(), clock.clone()).unwrap();
    let server = provider.serve_dns_seeded(loopback(), 11).unwrap();
    let json = format!(
        r#"[{{"type": "observed_split", "name": "split", "method": "dns",
             "name_servers": ["{}"], "samples_per_check": 500}}]"#,
        server.addr()
    );
    let gate = gates_from_json(&json).unwrap().remove(0);
    let r = run_plan(p, provider, clock, gate).await;
    assert_eq!(r.outcome, Outcome::Promoted, "{:?}", r.events);
    let j = read_journal(&r.journal).unwrap();
    for stage in 0..4 {
        let v = &j
            .verdicts
            .iter()
            .rfind(|v| v.stage == stage)
            .unwrap()
            .verdict;
        assert_eq!(v.status, VerdictStatus::Pass, "{v:?}");
    }
}

fn ctx(stage: usize, percent: u8) -> GateContext {
    GateContext {
        run_id: "run-split".into(),
        stage,
        percent,
        tick: 0,
        elapsed_seconds: 0,
        hostnames: vec![HOST.into()],
        targets: Default::default(),
        next_percent: None,
    }
}

// ---- the header method: real apps behind a weighted forwarder -----------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_gate_counts_backend_identity_through_the_public_name() {
    let heroku = LocalApp::start("heroku").expect("start a loopback app");
    let aws = LocalApp::start("aws").expect("start a loopback app");
    let backends = HashMap::from([(HEROKU.to_owned(), heroku.addr), (AWS.to_owned(), aws.addr)]);
    let clock = Arc::new(VirtualClock::new());
    let zone = rehearsal(&clock);
    let z = zone.zone_named("example.test").unwrap();
    // the zone at 25/75, as the engine writes it
    zone.apply_now(
        &z.id,
        vec![
            Change::new(
                ChangeAction::Delete,
                RecordSet::simple(HOST, "CNAME", plan().ttl, vec![HEROKU.into()]),
            ),
            Change::new(
                ChangeAction::Create,
                RecordSet::weighted_cname(HOST, "heroku", 75, 60, HEROKU),
            ),
            Change::new(
                ChangeAction::Create,
                RecordSet::weighted_cname(HOST, "aws", 25, 60, AWS),
            ),
        ],
        "",
    )
    .unwrap();
    let fwd = WeightedForwarder::start(zone.clone(), HOST, backends.clone(), 3);
    let gate = |fwd: &WeightedForwarder| {
        let mut c =
            ObservedSplitGateConfig::header(format!("http://{HOST}:{}/healthz", fwd.addr.port()));
        c.resolve = Some(fwd.addr.to_string());
        c.samples_per_check = 150;
        c.min_samples = 300;
        c.concurrency = 4;
        ObservedSplitGate::new(c).unwrap()
    };
    let g = gate(&fwd);
    let v = g.check(ctx(1, 25)).await;
    assert_eq!(v.status, VerdictStatus::Inconclusive, "{v:?}");
    let v = g.check(ctx(1, 25)).await;
    assert_eq!(v.status, VerdictStatus::Pass, "{v:?}");
    assert_eq!(v.measurements["samples"], 300);
    let (aws_ok, _) = aws.counts();
    let (heroku_ok, _) = heroku.counts();
    assert_eq!(aws_ok + heroku_ok, 300, "every request reached one app");
    assert_eq!(v.measurements["aws"], aws_ok, "{v:?}");
    assert_binomial(aws_ok, 300, 0.25);
    // a failing AWS app still says who answered: the split is a fact about routing
    aws.set_failing(true);
    let v = g.check(ctx(1, 25)).await;
    assert_ne!(v.status, VerdictStatus::Fail, "{v:?}");
    aws.set_failing(false);

    // the same gate's view when every connection still lands on Heroku (a forwarder reading
    // a zone that never got the weights): fail at once
    let stale = rehearsal(&clock);
    let stuck = WeightedForwarder::start(stale, HOST, backends, 3);
    let v = gate(&stuck).check(ctx(1, 25)).await;
    assert_eq!(v.status, VerdictStatus::Fail, "{v:?}");
    assert_eq!(v.measurements["last_check"]["by_answer"]["heroku"], 150);
    assert!(
        v.reason.contains("0 of 150 answers went to AWS"),
        "{}",
        v.reason
    );

    // nothing reachable: an error, never a pass
    drop(stuck);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let mut c = ObservedSplitGateConfig::header(format!("http://{HOST}:{}/", addr.port()));
    c.resolve = Some(addr.to_string());
    c.samples_per_check = 3;
    let v = ObservedSplitGate::new(c).unwrap().check(ctx(0, 10)).await;
    assert_eq!(v.status, VerdictStatus::Error, "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_gate_in_a_cutover_passes_live_weights_and_rolls_back_stuck_ones() {
    let heroku = LocalApp::start("heroku").expect("start a loopback app");
    let aws = LocalApp::start("aws").expect("start a loopback app");
    let backends = HashMap::from([(HEROKU.to_owned(), heroku.addr), (AWS.to_owned(), aws.addr)]);
    let header_gate = |fwd: &WeightedForwarder| -> Arc<dyn Gate> {
        let json = format!(
            r#"[{{"type": "observed_split", "name": "split", "method": "header",
                 "url": "http://{HOST}:{port}/", "resolve": "{addr}",
                 "samples_per_check": 100, "min_samples": 300, "tolerance": 0.08}}]"#,
            port = fwd.addr.port(),
            addr = fwd.addr
        );
        gates_from_json(&json).unwrap().remove(0)
    };
    // clients resolving the zone the engine writes: every stage's split is what it intends
    let clock = Arc::new(VirtualClock::new());
    let provider = rehearsal(&clock);
    let fwd = WeightedForwarder::start(provider.clone(), HOST, backends.clone(), 21);
    let r = run(provider, clock, header_gate(&fwd)).await;
    assert_eq!(r.outcome, Outcome::Promoted, "{:?}", r.events);
    let j = read_journal(&r.journal).unwrap();
    assert!(
        j.verdicts
            .iter()
            .all(|v| v.verdict.status != VerdictStatus::Fail)
    );
    let last = &j.verdicts.last().unwrap().verdict;
    assert_eq!(last.measurements["observed_share"], 1.0, "{last:?}");
    assert_eq!(last.measurements["method"], "header");
    assert_eq!(aws.counts().0 + heroku.counts().0, 1600);

    // clients resolving a zone that never changes: rolled back at the first stage
    let clock = Arc::new(VirtualClock::new());
    let provider = rehearsal(&clock);
    let stuck = WeightedForwarder::start(rehearsal(&clock), HOST, backends, 21);
    let r = run(provider, clock, header_gate(&stuck)).await;
    assert!(
        matches!(&r.outcome, Outcome::RolledBack { reason } if reason.contains("split failed at 10%")),
        "{:?}",
        r.outcome
    );
}

// ---- configs ------------------------------------------------------------------------------

#[test]
fn split_gate_configs_are_checked() {
    let gates = gates_from_json(
        r#"[{"type": "observed_split", "method": "dns", "name_servers": ["ns-1.awsdns-01.org",
              "192.0.2.53", "[2001:db8::53]:5353"], "aws_target": "lb.example.com",
              "hostnames": ["www.example.com"], "record_type": "AAAA",
              "policy": {"failure_limit": 1}},
            {"type": "observed_split", "method": "header", "url": "https://www.example.com/",
             "header": "x-served-by", "aws_value": "eks"}]"#,
    )
    .unwrap();
    assert_eq!(gates[0].name(), "observed split (dns)");
    assert_eq!(gates[0].policy().failure_limit, 1);
    assert_eq!(
        gates[1].name(),
        "observed split (header, https://www.example.com/)"
    );
    let cases = [
        (
            r#"{"method": "dns", "aws_target": "lb"}"#,
            "gates[0].name_servers",
        ),
        (
            r#"{"method": "dns", "name_servers": ["1.2.3.4", "bad name"], "aws_target": "lb"}"#,
            "gates[0].name_servers[1]",
        ),
        (
            r#"{"method": "dns", "name_servers": ["1.2.3.4"], "aws_target": "lb", "url": "http://a/"}"#,
            "gates[0].url",
        ),
        (
            r#"{"method": "dns", "name_servers": ["1.2.3.4"], "aws_target": "lb", "record_type": "MX"}"#,
            "gates[0].record_type",
        ),
        (
            r#"{"method": "dns", "name_servers": ["1.2.3.4"], "aws_target": "lb", "tolerance": 0.7}"#,
            "gates[0].tolerance",
        ),
        (
            r#"{"method": "dns", "name_servers": ["1.2.3.4"], "aws_target": "lb", "hostnames": ["a..b"]}"#,
            "gates[0].hostnames[0]",
        ),
        (r#"{"method": "header"}"#, "gates[0].url"),
        (r#"{"method": "header", "url": "ftp://x/"}"#, "gates[0].url"),
        (
            r#"{"method": "header", "url": "http://x/", "aws_target": "lb"}"#,
            "gates[0].aws_target",
        ),
        (
            r#"{"method": "header", "url": "http://x/", "header": "bad header"}"#,
            "gates[0].header",
        ),
        (
            r#"{"method": "header", "url": "http://x/", "resolve": "nowhere"}"#,
            "gates[0].resolve",
        ),
        (
            r#"{"method": "header", "url": "http://x/", "samples_per_check": 0}"#,
            "gates[0].samples_per_check",
        ),
        (r#"{"method": "smtp"}"#, "gates[0]"),
        (r#"{"method": "dns", "surprise": 1}"#, "gates[0]"),
    ];
    // without aws_target, each hostname's AWS target comes from the plan (GateContext)
    assert!(
        gates_from_json(
            r#"[{"type": "observed_split", "method": "dns", "name_servers": ["ns.example"]}]"#
        )
        .is_ok()
    );
    for (body, at) in cases {
        let json = format!(
            r#"[{{"type": "observed_split", {}]"#,
            body.trim_start_matches('{')
        );
        let err = gates_from_json(&json).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{json}: {err}");
        assert_eq!(err.context(), Some(at), "{json}: {err}");
    }
}

// ---- malformed DNS traffic ----------------------------------------------------------------

/// A loopback "name server" that answers every query with the `bad` datagrams made from a
/// lying answer (the name pointing at AWS) first, then — when `good` — the real answer from
/// `zone`. A client that accepted any bad datagram would count AWS.
fn hostile_server(zone: MemoryProvider, bad: fn(&[u8]) -> Vec<Vec<u8>>, good: bool) -> SocketAddr {
    let liar = MemoryProvider::default();
    let z = liar.create_zone("example.test");
    liar.apply_now(
        &z.id,
        vec![Change::new(
            ChangeAction::Create,
            RecordSet::simple(HOST, "CNAME", 60, vec![AWS.into()]),
        )],
        "",
    )
    .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let (Some(real), Some(lie)) = (
                respond(&zone, &buf[..n], &mut rng),
                respond(&liar, &buf[..n], &mut rng),
            ) else {
                continue;
            };
            for d in bad(&lie) {
                let _ = sock.send_to(&d, from);
            }
            if good {
                let _ = sock.send_to(&real, from);
            }
        }
    });
    addr
}

fn junk(lie: &[u8]) -> Vec<Vec<u8>> {
    let mut wrong_id = lie.to_vec();
    wrong_id[0] ^= 0xFF;
    let mut not_response = lie.to_vec();
    not_response[2] &= 0x7F;
    let mut other_question = lie.to_vec();
    other_question[14] = b'z'; // www → wzw: the answer to another question
    vec![
        Vec::new(),
        vec![0xFF; 3],
        lie[..lie.len() - 3].to_vec(),
        lie[..11].to_vec(),
        wrong_id,
        not_response,
        other_question,
    ]
}

#[tokio::test]
async fn the_client_ignores_malformed_and_foreign_datagrams() {
    let clock = Arc::new(VirtualClock::new());
    let zone = rehearsal(&clock);
    let addr = hostile_server(zone.clone(), junk, true);
    let t = client::tally(vec![addr], HOST.into(), TYPE_A, 20, 4, quick()).await;
    assert_eq!(t.by_answer.len(), 1, "{t:?}");
    assert_eq!(t.by_answer.get(HEROKU), Some(&20), "{t:?}");
    assert_eq!(t.unanswered, 0);
    // only junk: every query times out, nothing panics, nothing is counted
    let addr = hostile_server(zone, junk, false);
    let err = client::query(
        &[addr],
        0,
        HOST,
        TYPE_A,
        QueryOptions {
            timeout: Duration::from_millis(100),
            retries: 1,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = wire::decode(&bytes);
        let zone = MemoryProvider::default();
        zone.create_zone("example.test");
        let mut rng = fastrand::Rng::with_seed(1);
        if let Some(reply) = respond(&zone, &bytes, &mut rng) {
            // whatever came in, what goes out is a well-formed response
            let m = wire::decode(&reply).unwrap();
            prop_assert!(m.header.qr);
        }
    }

    #[test]
    fn damaged_responses_never_panic(
        cut in 0usize..200,
        flips in proptest::collection::vec((0usize..200, any::<u8>()), 0..6),
        name in "[a-z]{1,10}(\\.[a-z]{1,10}){0,3}",
    ) {
        let zone = MemoryProvider::default();
        let z = zone.create_zone("example.test");
        let host = format!("{name}.example.test");
        zone.apply_now(&z.id, vec![
            Change::new(ChangeAction::Create, RecordSet::weighted_cname(&host, "a", 1, 60, AWS)),
            Change::new(ChangeAction::Create, RecordSet::weighted_cname(&host, "h", 3, 60, HEROKU)),
        ], "").unwrap();
        let query = wire::encode_query(0x1234, &host, TYPE_A).unwrap();
        let mut rng = fastrand::Rng::with_seed(2);
        let mut reply = respond(&zone, &query, &mut rng).unwrap();
        let intact = wire::decode(&reply).unwrap();
        prop_assert_eq!(intact.header.id, 0x1234);
        prop_assert_eq!(intact.answers.len(), 1);
        for (i, b) in flips {
            if let Some(x) = reply.get_mut(i) {
                *x ^= b;
            }
        }
        reply.truncate(cut.min(reply.len()));
        let _ = wire::decode(&reply);
    }
}

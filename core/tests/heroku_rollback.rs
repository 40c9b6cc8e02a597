//! A rollback toward an under-scaled Heroku: real engine runs (Route53 through the real SDK
//! against moto_server, or the in-memory zone) whose gate fails at 50%, with the plan's
//! `heroku` section pointing at the loopback recorded-response Platform API server. Before the
//! records go back, the formation is read (`GET /apps/{app}/formation`), and when it holds
//! fewer dynos than the returning share needs, the event says so and — when the plan allows
//! it — the server sees the `PATCH` scaling web up, before the restore is written.

use crate::support;

use std::sync::{Arc, Mutex};

use dynoshift::cutover::{CallbackGate, CutoverEvent, EventLog, EventRecord, FnObserver, Outcome};
use dynoshift::cutover::{HerokuCheck, HerokuScaling};
use dynoshift::{Cutover, CutoverPlan, ErrorKind, HerokuApiOptions, HerokuClient, Token, Verdict};
use support::heroku_api::{Canned, HerokuApiServer};
use support::zone::{self, AWS, Backend, Env, HEROKU};

const TOKEN: &str = "hrku-TOPSECRET-0c6e1f2a-9b8d-4e7f-a1c3-5d2e8f0b7a64";
const SECRET_PART: &str = "TOPSECRET";
const APP: &str = "shop-scaled-down";
const FORMATION: &str = "/apps/shop-scaled-down/formation";

async fn env(moto: bool) -> Env {
    zone::env(if moto { Backend::Moto } else { Backend::Memory }).await
}

fn plan(heroku: &str) -> CutoverPlan {
    let mut p = CutoverPlan::new(vec!["www.example.test".into()], "example.test", HEROKU, AWS);
    p.soak_seconds = 30;
    p.tick_seconds = 10;
    p.heroku = Some(serde_json::from_str::<HerokuScaling>(heroku).unwrap());
    p
}

fn fail_at_50() -> Arc<CallbackGate> {
    Arc::new(CallbackGate::new("error-rate", |ctx| async move {
        if ctx.percent == 50 {
            Verdict::fail("5xx ratio 0.2 at 50%")
        } else {
            Verdict::pass("ok")
        }
    }))
}

fn client(server: &HerokuApiServer) -> HerokuClient {
    HerokuClient::new(HerokuApiOptions {
        token: Some(Token::new(TOKEN)),
        base_url: Some(server.url()),
        ..HerokuApiOptions::default()
    })
    .unwrap()
}

/// A run with `heroku` as the plan's section whose gate fails at 50%: it must roll back.
async fn run_rolling_back(env: &Env, heroku: &str, server: &HerokuApiServer) -> Vec<EventRecord> {
    let events = Arc::new(EventLog::default());
    let outcome = Cutover::new(
        plan(heroku),
        env.provider.clone(),
        env.dir.join("journal.json"),
    )
    .unwrap()
    .with_clock(env.clock.clone())
    .with_heroku_client(client(server))
    .with_gate(fail_at_50())
    .with_observer(events.clone())
    .run()
    .await
    .unwrap();
    assert!(matches!(outcome, Outcome::RolledBack { .. }), "{outcome:?}");
    events.events()
}

/// What happened, in order: the Heroku checks and the record writes interleaved, as text.
fn timeline(events: &[EventRecord]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            CutoverEvent::Writing { step, percent, .. } => Some(format!(
                "write {step} {}",
                percent.map_or("original".into(), |p| p.to_string())
            )),
            CutoverEvent::HerokuFormation(c) => Some(format!(
                "heroku {}% {}/{} scaled_to {:?}",
                c.heroku_percent, c.dynos, c.needed, c.scaled_to
            )),
            _ => None,
        })
        .collect()
}

fn checks(events: &[EventRecord]) -> Vec<HerokuCheck> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            CutoverEvent::HerokuFormation(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// Neither the events, nor the journal on disk, nor `text` hold the token.
fn assert_no_token(env: &Env, events: &[EventRecord], text: &str) {
    for e in events {
        assert!(!e.to_json().contains(SECRET_PART), "{}", e.to_json());
    }
    for entry in std::fs::read_dir(&env.dir).unwrap() {
        let body = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!body.contains(SECRET_PART), "token in the journal: {body}");
    }
    assert!(!text.contains(SECRET_PART), "{text}");
}

#[tokio::test]
async fn a_rollback_scales_an_under_scaled_heroku_up_before_writing() {
    let env = env(true).await;
    let server = HerokuApiServer::start(TOKEN);
    // when the run starts, web runs 4 dynos (they serve 100%); someone scales it down to 1
    // during the cutover (the recorded formation)
    let at_start = std::fs::read_to_string(
        support::heroku_api::fixtures_dir().join("apps/shop-production/formation.json"),
    )
    .unwrap();
    server.answer_once(&format!("GET {FORMATION}"), Canned::raw(200, &at_start));
    let events = Arc::new(EventLog::default());
    // the PATCH must reach Heroku before the restore is written: note the server's requests
    // at each write
    let seen_at_write = Arc::new(Mutex::new(Vec::new()));
    let (srv_seen, server_ref) = (seen_at_write.clone(), Arc::new(server));
    let probe = server_ref.clone();
    let outcome = Cutover::new(
        plan(r#"{"app": "shop-scaled-down", "scale_up": true}"#),
        env.provider.clone(),
        env.dir.join("journal.json"),
    )
    .unwrap()
    .with_clock(env.clock.clone())
    .with_heroku_client(client(&server_ref))
    .with_gate(fail_at_50())
    .with_observer(events.clone())
    .with_observer(Arc::new(FnObserver(Arc::new(move |e: &EventRecord| {
        if let CutoverEvent::Writing { percent: None, .. } = e.event {
            srv_seen.lock().unwrap().extend(
                probe
                    .seen()
                    .iter()
                    .map(|s| format!("{} {}", s.method, s.path)),
            );
        }
    }))))
    .run()
    .await
    .unwrap();
    assert!(matches!(outcome, Outcome::RolledBack { .. }), "{outcome:?}");

    let ev = events.events();
    assert_eq!(
        timeline(&ev),
        [
            "write convert 0",
            "write stage 10",
            "write stage 25",
            "write stage 50",
            "heroku 100% 1/4 scaled_to Some(4)",
            "write restore original",
        ]
    );
    let check = &checks(&ev)[0];
    assert_eq!(check.app, APP);
    assert!(
        check
            .basis
            .contains("4 web dyno(s) served 100% of traffic when the run started"),
        "{}",
        check.basis
    );
    let said = CutoverEvent::HerokuFormation(check.clone()).describe();
    assert!(
        said.contains("runs 1 dyno") && said.contains("needs 4") && said.contains("scaled up to 4"),
        "{said}"
    );

    let seen = server_ref.seen();
    let lines: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(
        lines,
        [
            format!("GET {FORMATION}"),
            format!("GET {FORMATION}"),
            format!("PATCH {FORMATION}")
        ]
    );
    assert_eq!(
        *seen_at_write.lock().unwrap(),
        lines,
        "PATCH before the restore"
    );
    let patch = &seen[2];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&patch.body).unwrap(),
        serde_json::json!({"updates": [{"type": "web", "quantity": 4}]})
    );
    assert_eq!(patch.headers["content-type"], "application/json");
    assert_eq!(patch.headers["authorization"], format!("Bearer {TOKEN}"));

    // the journal keeps the basis; the records are the originals again
    let j = dynoshift::cutover::read_journal(env.dir.join("journal.json")).unwrap();
    assert_eq!(j.heroku_dynos_at_start, Some(4));
    let rs = env
        .provider
        .records_named(&env.zone.id, "www.example.test")
        .await
        .unwrap();
    assert!(rs.iter().all(|r| r.weight.is_none()), "{rs:?}");
    assert_no_token(&env, &ev, &format!("{outcome:?}"));
}

#[tokio::test]
async fn without_scale_up_the_event_says_heroku_is_short_and_the_rollback_goes_on() {
    let env = env(false).await;
    let server = HerokuApiServer::start(TOKEN);
    let ev = run_rolling_back(
        &env,
        r#"{"app": "shop-scaled-down", "dynos_at_100": 6}"#,
        &server,
    )
    .await;
    let check = &checks(&ev)[0];
    assert_eq!((check.dynos, check.needed, check.scaled_to), (1, 6, None));
    assert!(
        check.basis.contains("dynos_at_100 = 6 in the plan"),
        "{}",
        check.basis
    );
    let said = CutoverEvent::HerokuFormation(check.clone()).describe();
    assert!(
        said.contains("NOT scaled up")
            && said.contains("heroku ps:scale web=6 -a shop-scaled-down"),
        "{said}"
    );
    // with dynos_at_100 given, the start reads nothing; the rollback reads once, patches never
    let methods: Vec<String> = server.seen().iter().map(|s| s.method.clone()).collect();
    assert_eq!(methods, ["GET"]);
    assert_no_token(&env, &ev, "");
}

#[tokio::test]
async fn heroku_failures_never_hold_a_rollback_and_never_show_the_token() {
    let env = env(false).await;
    let server = HerokuApiServer::start(TOKEN);
    // the read at the start works, the one before the rollback answers 500 with the token
    // echoed back in Heroku's message
    server.answer_once(
        &format!("GET {FORMATION}"),
        Canned::raw(
            200,
            &std::fs::read_to_string(
                support::heroku_api::fixtures_dir().join("apps/shop-scaled-down/formation.json"),
            )
            .unwrap(),
        ),
    );
    server.answer(
        FORMATION,
        Canned::error(500, "internal", &format!("boom, token {TOKEN}")),
    );
    let ev = run_rolling_back(
        &env,
        r#"{"app": "shop-scaled-down", "scale_up": true}"#,
        &server,
    )
    .await;
    assert!(checks(&ev).is_empty());
    let warning = ev
        .iter()
        .find_map(|e| match &e.event {
            CutoverEvent::Warning { message } if message.contains("formation") => {
                Some(message.clone())
            }
            _ => None,
        })
        .expect("a warning about the formation");
    assert!(warning.contains("rolling back anyway"), "{warning}");
    assert_no_token(&env, &ev, &warning);

    // a new run whose start cannot read the formation is refused before anything is written
    let env2 = self::env(false).await;
    let err = Cutover::new(
        plan(r#"{"app": "shop-scaled-down"}"#),
        env2.provider.clone(),
        env2.dir.join("journal.json"),
    )
    .unwrap()
    .with_clock(env2.clock.clone())
    .with_heroku_client(client(&server))
    .run()
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("heroku.dynos_at_100"), "{err}");
    assert!(!format!("{err} {err:?}").contains(SECRET_PART), "{err:?}");
    assert!(!env2.dir.join("journal.json").exists());
}

#[test]
fn the_plan_carries_the_heroku_section_through_json() {
    let p = CutoverPlan::from_json(
        r#"{"hostnames": ["www.example.test"], "zone": "example.test",
            "heroku_target": "shop-1a2b.herokudns.com", "aws_target": "lb.elb.amazonaws.com",
            "heroku": {"app": "shop", "scale_up": true, "max_dynos": 10}}"#,
    )
    .unwrap();
    let h = p.heroku.as_ref().unwrap();
    assert_eq!(
        (h.app.as_str(), h.process_type.as_str(), h.scale_up),
        ("shop", "web", true)
    );
    assert_eq!(CutoverPlan::from_json(&p.to_json()).unwrap(), p);
    let err = CutoverPlan::from_json(
        r#"{"hostnames": ["www.example.test"], "zone": "example.test",
            "heroku_target": "a.herokudns.com", "aws_target": "b.elb.amazonaws.com",
            "heroku": {"app": " "}}"#,
    )
    .unwrap_err();
    assert_eq!(err.context(), Some("heroku.app"), "{err}");
}

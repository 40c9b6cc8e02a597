//! Stage 0's warm-up on real engine runs (in-memory zone, virtual clock) against a loopback
//! HTTP server standing for the AWS target: after the pre-soak and before the first weight,
//! only GET/HEAD requests are replayed (the top paths of the router logs, POSTs never), with the
//! hostname's Host, without query strings, at no more than the plan's rate (counted on the
//! virtual clock the run is paced on); the per-route baseline lands in the journal and the
//! events. A warm-up where nothing answers below 500, a target that does not answer at all
//! (given up after its first requests), or routes Heroku served answering 404 roll back before
//! any weight moves.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use dynoshift::cutover::{
    CallbackGate, CutoverEvent, LiveChecks, Outcome, WarmupConfig, read_journal,
};
use dynoshift::dns::Clock;
use dynoshift::{CutoverPlan, ErrorKind, Verdict, VirtualClock};
use http_body_util::Full;
use hyper::body::Bytes;

use crate::support::zone::{self, AWS, Backend, HEROKU, writes};

/// One request the AWS stand-in saw: method, path and query, Host, virtual ms.
#[derive(Debug, Clone)]
struct Hit {
    method: String,
    target: String,
    host: String,
    at_ms: u64,
}

/// A loopback HTTP server answering every request `status`, recording each with the time of
/// `clock`. Its first answer takes 3 s of that clock (a slow first request must not be made up
/// for with a burst).
async fn aws_stand_in(status: u16, clock: Arc<VirtualClock>) -> (String, Arc<Mutex<Vec<Hit>>>) {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let seen = hits.clone();
    let addr = serve(move |req| {
        let mut seen = seen.lock().unwrap();
        let at_ms = clock.now_ms();
        if seen.is_empty() {
            clock.advance(std::time::Duration::from_secs(3));
        }
        seen.push(Hit {
            method: req.method().to_string(),
            target: req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            host: req
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            at_ms,
        });
        Some(status)
    })
    .await;
    (addr, hits)
}

/// A loopback HTTP server: `answer` sees every request as it comes and gives its status, or
/// None to hold it unanswered (the client times out).
async fn serve(
    answer: impl Fn(&hyper::Request<hyper::body::Incoming>) -> Option<u16> + Send + Sync + 'static,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    let status = answer(&req);
                    async move {
                        let Some(status) = status else {
                            return std::future::pending().await;
                        };
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::from_static(b"ok")))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr.to_string()
}

fn router_line(method: &str, path: &str, host: &str) -> String {
    router_line_status(method, path, host, 200)
}

fn router_line_status(method: &str, path: &str, host: &str, status: u16) -> String {
    format!(
        "2026-12-07T10:00:00.000000+00:00 heroku[router]: at=info method={method} \
         path=\"{path}\" host={host} request_id=1 fwd=\"1.2.3.4\" dyno=web.1 connect=0ms \
         service=12ms status={status} bytes=10 protocol=https\n"
    )
}

/// Router logs where POST /cart is the most requested path, then GET /products (with tokens
/// in the query), HEAD /health and GET /; another hostname's paths must not count.
fn write_logs(dir: &std::path::Path) -> String {
    let mut text = String::new();
    let host = "www.example.test";
    for i in 0..50 {
        text.push_str(&router_line("POST", "/cart", host));
        if i < 30 {
            text.push_str(&router_line(
                "GET",
                &format!("/products?token=s3cret{i}"),
                host,
            ));
        }
        if i < 20 {
            text.push_str(&router_line("HEAD", "/health", host));
        }
        if i < 10 {
            text.push_str(&router_line("GET", "/", host));
        }
        if i < 5 {
            text.push_str(&router_line("GET", "/rare", host));
        }
        text.push_str(&router_line("GET", "/elsewhere", "admin.example.test"));
    }
    text.push_str("not a router line\n");
    let path = dir.join("router.log");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

struct Run {
    outcome: Outcome,
    events: Vec<CutoverEvent>,
    journal: dynoshift::cutover::Journal,
}

async fn run(status: u16, reachable: bool, rate: u32) -> (Run, Vec<Hit>) {
    let env = zone::env(Backend::Memory).await;
    let (addr, hits) = aws_stand_in(status, env.clock.clone()).await;
    let addr = if reachable {
        addr
    } else {
        // a port nothing listens on
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap().to_string();
        drop(l);
        a
    };
    let mut plan = CutoverPlan::new(vec!["www.example.test".into()], "example.test", HEROKU, AWS);
    plan.soak_seconds = 30;
    plan.pre_soak_seconds = Some(60);
    plan.checks = Some(LiveChecks {
        connect_to: [(AWS.to_owned(), addr)].into(),
        ..Default::default()
    });
    plan.warmup = Some(WarmupConfig {
        logs: vec![write_logs(&env.dir)],
        top: 3,
        requests_per_path: 4,
        rate_per_second: rate,
        timeout_ms: 5_000,
        scheme: "http".into(),
        port: Some(80),
        ..Default::default()
    });
    plan.validate().unwrap();
    let gate = Arc::new(CallbackGate::new("aws-health", |_| async {
        Verdict::pass("ok")
    }));
    let (outcome, events) = env.run_gated(plan, gate).await;
    let journal = read_journal(env.dir.join("journal.json")).unwrap();
    let _ = std::fs::remove_dir_all(&env.dir);
    let hits = hits.lock().unwrap().clone();
    (
        Run {
            outcome,
            events,
            journal,
        },
        hits,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_top_get_and_head_paths_at_the_rate_and_journals_the_baseline() {
    let (r, hits) = run(200, true, 2).await;
    assert!(matches!(r.outcome, Outcome::Promoted), "{:?}", r.outcome);

    // only GET and HEAD, the top 3 of them (POST /cart is the most requested, never replayed),
    // each 4 times, queries dropped, the hostname's Host
    assert_eq!(hits.len(), 12, "{hits:?}");
    assert!(hits.iter().all(|h| h.method == "GET" || h.method == "HEAD"));
    assert!(hits.iter().all(|h| !h.target.contains('?')), "{hits:?}");
    assert!(
        hits.iter().all(|h| h.host == "www.example.test"),
        "{hits:?}"
    );
    let mut routes: Vec<(String, String)> = hits
        .iter()
        .map(|h| (h.method.clone(), h.target.clone()))
        .collect();
    routes.sort();
    routes.dedup();
    assert_eq!(
        routes,
        [
            ("GET".to_owned(), "/".to_owned()),
            ("GET".to_owned(), "/products".to_owned()),
            ("HEAD".to_owned(), "/health".to_owned()),
        ]
    );

    // the rate bound, counted on the run's (virtual) clock: never more than 2 requests in any
    // second
    for w in hits.windows(3) {
        assert!(
            w[2].at_ms >= w[0].at_ms + 1000,
            "3 requests within a second: {w:?}"
        );
    }

    // after the pre-soak (the soak at 0%), before the first weight
    let order: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match e {
            CutoverEvent::SoakStarted { percent: 0, .. } => Some("pre-soak"),
            CutoverEvent::WarmupBaseline(_) => Some("warm-up"),
            CutoverEvent::Writing {
                percent: Some(10), ..
            } => Some("10%"),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["pre-soak", "warm-up", "10%"]);

    // the baseline, in the journal and the event
    let b = r
        .journal
        .warmup
        .as_ref()
        .expect("the journal keeps the baseline");
    assert_eq!(b.requests, 12);
    assert!(b.failure.is_none());
    assert_eq!(b.routes.len(), 3);
    let products = b.routes.iter().find(|r| r.path == "/products").unwrap();
    assert_eq!(products.seen_in_logs, Some(30));
    assert_eq!(products.requests, 4);
    assert_eq!(products.status_classes.get("2xx"), Some(&4));
    assert_eq!(products.errors, 0);
    let (p50, p95, max) = (
        products.p50_ms.unwrap(),
        products.p95_ms.unwrap(),
        products.max_ms.unwrap(),
    );
    assert!(p50 <= p95 && p95 <= max, "{p50} {p95} {max}");
    assert!(b.source.contains("router log"), "{}", b.source);
    let event = r.events.iter().find_map(|e| match e {
        CutoverEvent::WarmupBaseline(b) => Some(b),
        _ => None,
    });
    assert_eq!(event, Some(b));
    // nothing of the query reached the journal
    let text = serde_json::to_string(&r.journal).unwrap();
    assert!(!text.contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_up_answered_only_5xx_or_unreachable_stops_before_any_weight() {
    for (status, reachable) in [(503, true), (200, false)] {
        let (r, hits) = run(status, reachable, 50).await;
        match &r.outcome {
            Outcome::RolledBack { reason } => {
                assert!(reason.contains("warm-up failed"), "{reason}");
                assert!(reason.contains("nothing was moved"), "{reason}");
                assert!(reason.contains("load balancer"), "{reason}");
            }
            o => panic!("expected a rollback, got {o:?}"),
        }
        assert_eq!(
            writes(&r.events),
            [Some(0), None],
            "convert, then restore: no weight moved"
        );
        let b = r.journal.warmup.as_ref().unwrap();
        assert!(b.failure.is_some());
        if reachable {
            assert_eq!(hits.len(), 12);
            assert!(
                b.routes
                    .iter()
                    .all(|r| r.status_classes.get("5xx") == Some(&4))
            );
        } else {
            // given up after its first 3 requests (no timeout per route)
            assert_eq!(b.requests, 3, "{b:?}");
            assert_eq!(b.routes.iter().map(|r| r.errors).sum::<u32>(), 3, "{b:?}");
        }
    }
}

#[test]
fn the_plan_json_carries_and_validates_warm_up_and_pre_soak() {
    let base = r#""hostnames": ["www.example.test"], "zone": "example.test",
        "heroku_target": "a.herokudns.com", "aws_target": "lb.elb.amazonaws.com""#;
    let plan = CutoverPlan::from_json(&format!(
        r#"{{{base}, "pre_soak_seconds": 120, "checks": {{"deadline_seconds": 30}},
            "warmup": {{"paths": ["/", "/products"], "requests_per_path": 2,
                        "rate_per_second": 4, "method": "HEAD"}}}}"#
    ))
    .unwrap();
    let w = plan.warmup.clone().unwrap();
    assert_eq!(
        (w.paths.len(), w.requests_per_path, w.rate_per_second),
        (2, 2, 4)
    );
    assert_eq!(w.method, "HEAD");
    assert_eq!(w.top, 20, "defaults fill the rest");
    let again = CutoverPlan::from_json(&plan.to_json()).unwrap();
    assert_eq!(again, plan);

    for (section, at) in [
        (r#""warmup": {"method": "POST"}"#, "warmup.method"),
        (r#""warmup": {"paths": ["/a?t=1"]}"#, "warmup.paths[0]"),
        (
            r#""warmup": {"rate_per_second": 0}"#,
            "warmup.rate_per_second",
        ),
        (
            r#""warmup": {"requests_per_path": 1000}"#,
            "warmup.requests_per_path",
        ),
        (r#""warmup": {"scheme": "ftp"}"#, "warmup.scheme"),
        (r#""pre_soak_seconds": 999999"#, "pre_soak_seconds"),
        (
            r#""checks": {"deadline_seconds": 0}"#,
            "checks.deadline_seconds",
        ),
    ] {
        let e = CutoverPlan::from_json(&format!("{{{base}, {section}}}")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{section}");
        assert!(e.to_string().contains(at), "{section}: {e}");
    }
    // an unknown warm-up field is refused with its path
    let e = CutoverPlan::from_json(&format!(r#"{{{base}, "warmup": {{"rate": 3}}}}"#)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("warmup"), "{e}");
}

/// The CLI: `cutover run --memory` warms up against a loopback server, `cutover status` shows
/// the baseline from the journal.
#[test]
fn the_cli_runs_the_warm_up_and_shows_it_in_status() {
    let server = crate::support::hook_server::HookServer::start();
    let dir = zone::temp_dir();
    let plan = dir.join("plan.json");
    std::fs::write(
        &plan,
        format!(
            r#"{{"hostnames": ["www.example.test"], "zone": "example.test",
                "heroku_target": "{HEROKU}", "aws_target": "{AWS}", "stages": [50, 100],
                "soak_seconds": 0, "ttl": 1, "tick_seconds": 1, "poll_seconds": 1,
                "checks": {{"connect_to": {{"{AWS}": "{}"}}}},
                "warmup": {{"paths": ["/", "/search?q=1"], "allow_query": true,
                            "requests_per_path": 2, "rate_per_second": 100, "scheme": "http",
                            "port": {}}}}}"#,
            server.addr,
            server.addr.port()
        ),
    )
    .unwrap();
    let journal = dir.join("cutover.journal.json");
    let (p, j) = (plan.to_str().unwrap(), journal.to_str().unwrap());
    let (code, out, err) =
        crate::cli::dynoshift(&["cutover", "run", "--plan", p, "--memory", "--journal", j]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("warm-up: 4 request(s)"), "{out}");
    let seen: Vec<(String, String)> = server
        .seen()
        .into_iter()
        .map(|s| (s.method, s.target))
        .collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(
        seen.iter().filter(|s| s.1 == "/search?q=1").count() == 2,
        "allow_query keeps the query: {seen:?}"
    );
    let (code, out, err) =
        crate::cli::dynoshift(&["cutover", "status", "--plan", p, "--journal", j]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("GET www.example.test/search?q=1: 2 request(s), 2x 2xx"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_dry_run_counts_the_warm_up() {
    let mut plan = CutoverPlan::new(
        vec!["www.example.test".into(), "api.example.test".into()],
        "example.test",
        HEROKU,
        AWS,
    );
    let without = dynoshift::cutover::dry_run(&plan, None, None).unwrap();
    plan.warmup = Some(WarmupConfig {
        paths: vec!["/".into(), "/a".into(), "/b".into()],
        requests_per_path: 5,
        rate_per_second: 2,
        ..Default::default()
    });
    let with = dynoshift::cutover::dry_run(&plan, None, None).unwrap();
    // 3 paths x 2 hostnames x 5 requests = 30 at 2/s: the 30th leaves 14.5 s after the first
    assert_eq!(with.minimum_seconds, without.minimum_seconds + 14);
    let note = with.notes.iter().find(|n| n.contains("warm-up")).unwrap();
    assert!(note.contains("up to 30 GET request(s)"), "{note}");
}

/// How [`scripted`] answers the request number `n` (from 0) for `path`: a status, or None to
/// hold it unanswered (the client times out).
type Script = Arc<dyn Fn(&str, usize) -> Option<u16> + Send + Sync>;

/// A loopback HTTP server answering as `script` says; it records every path it was asked.
async fn scripted(script: Script) -> (String, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = asked.clone();
    let addr = serve(move |req| {
        let mut seen = seen.lock().unwrap();
        seen.push(req.uri().path().to_owned());
        script(req.uri().path(), seen.len() - 1)
    })
    .await;
    (addr, asked)
}

/// A loopback address nothing listens on (connections to it are refused).
fn dead_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap().to_string();
    drop(l);
    a
}

/// Runs a warm-up (no engine) for `hosts`, each with its own AWS target at the given address.
async fn warm(hosts: &[(&str, &str)], w: WarmupConfig) -> dynoshift::cutover::WarmupBaseline {
    let mut plan = CutoverPlan::new(
        hosts.iter().map(|(h, _)| (*h).to_owned()).collect(),
        "example.test",
        HEROKU,
        AWS,
    );
    let mut connect_to = std::collections::BTreeMap::new();
    for (i, (_, addr)) in hosts.iter().enumerate() {
        let target = format!("lb-{i}.elb.amazonaws.com");
        plan.hostnames[i].aws_target = Some(target.clone());
        connect_to.insert(target, (*addr).to_owned());
    }
    plan.checks = Some(LiveChecks {
        connect_to: connect_to.into_iter().collect(),
        ..Default::default()
    });
    plan.warmup = Some(w.clone());
    plan.validate().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(VirtualClock::new());
    dynoshift::cutover::warmup::warm_up(&plan, &w, clock).await
}

fn listed(paths: &[&str], timeout_ms: u64) -> WarmupConfig {
    WarmupConfig {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        requests_per_path: 3,
        rate_per_second: 100,
        timeout_ms,
        scheme: "http".into(),
        port: Some(80),
        ..Default::default()
    }
}

/// A target whose connections never open (refused) is given up after its first 3 requests,
/// naming the address tried and the timeout, instead of costing a timeout per request; a
/// healthy hostname of the same plan still gets all of its requests; a target that opens
/// connections but answers too slowly (cold pods) is replayed in full, and one that answers
/// after two slow requests passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_target_is_given_up_after_its_first_silent_requests() {
    let five = ["/", "/a", "/b", "/c", "/d"];
    // the healthy server first, so the free port taken for the dead one cannot be reused by it
    let (healthy, healthy_asked) = scripted(Arc::new(|_, _| Some(200))).await;
    let dead = dead_address();
    let b = warm(
        &[("www.example.test", &dead), ("api.example.test", &healthy)],
        listed(&five, 5_000),
    )
    .await;
    // 3 to the dead one, all 15 to the healthy one
    assert_eq!(b.requests, 18, "{b:?}");
    assert_eq!(healthy_asked.lock().unwrap().len(), 15);
    let failure = b.failure.clone().expect("a dead target fails the warm-up");
    for part in [
        "www.example.test: no connection for its first 3 request(s)",
        dead.as_str(),
        "5000 ms timeout",
        "other 12 request(s) were not sent",
        "load balancer",
        "nothing was moved",
    ] {
        assert!(failure.contains(part), "{part:?} in {failure}");
    }
    assert!(!failure.contains("api.example.test"), "{failure}");
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["unreachable"], serde_json::json!(["www.example.test"]));

    // a target that takes the connections and answers too slowly (cold pods) is not given up
    // as dead: every request is sent, and it fails only for having answered nothing
    let (hung, hung_asked) = scripted(Arc::new(|_, _| None)).await;
    let b = warm(&[("www.example.test", &hung)], listed(&five, 200)).await;
    assert_eq!(hung_asked.lock().unwrap().len(), 15);
    assert_eq!(b.requests, 15);
    let failure = b
        .failure
        .clone()
        .expect("a target that answers nothing fails the warm-up");
    assert!(failure.contains("got an answer below 500"), "{failure}");
    assert!(!failure.contains("no connection"), "{failure}");

    // a healthy target whose first two requests time out is not given up
    let (slow, slow_asked) = scripted(Arc::new(|_, n| (n >= 2).then_some(200))).await;
    let b = warm(&[("www.example.test", &slow)], listed(&five, 200)).await;
    assert_eq!(slow_asked.lock().unwrap().len(), 15);
    assert_eq!(b.requests, 15);
    assert!(b.failure.is_none(), "{:?}", b.failure);
    assert_eq!(b.routes.iter().map(|r| r.errors).sum::<u32>(), 2);
}

/// Router logs where `/` and `/products` were served (200), `/old` was 404 on Heroku too, and
/// `/search` only ever came with a query (which the replay drops, so Heroku's answer says
/// nothing of it).
fn logs_with_statuses(dir: &std::path::Path, host: &str) -> String {
    let mut text = String::new();
    for i in 0..10 {
        text.push_str(&router_line_status("GET", "/", host, 200));
        if i < 8 {
            text.push_str(&router_line_status("GET", "/products", host, 200));
        }
        if i < 6 {
            text.push_str(&router_line_status("GET", "/old", host, 404));
        }
        if i < 5 {
            text.push_str(&router_line_status(
                "GET",
                &format!("/search?q={i}"),
                host,
                200,
            ));
        }
    }
    let path = dir.join(format!("router-{host}.log"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A route Heroku served that answers 4xx ("not here") on the new side fails the warm-up,
/// naming it and what to check; so does a hostname where every answer is a 404 (a Host no
/// ingress rule matches), with paths from the logs or listed in the plan. Routes that were 404
/// on Heroku too, 401/403 answers, and routes whose logged requests all had a query stay part
/// of the baseline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_heroku_served_must_not_answer_not_found() {
    let dir = std::env::temp_dir().join(format!("dynoshift-warmup-404-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host = "www.example.test";
    let from_logs = WarmupConfig {
        logs: vec![logs_with_statuses(&dir, host)],
        paths: Vec::new(),
        ..listed(&[], 5_000)
    };

    // a healthy app: /old is gone on both sides, /search without a query is a bad request
    let (ok, _) = scripted(Arc::new(|path, _| {
        Some(match path {
            "/old" => 404,
            "/search" => 400,
            _ => 200,
        })
    }))
    .await;
    let b = warm(&[(host, &ok)], from_logs.clone()).await;
    assert_eq!(b.routes.len(), 4, "{b:?}");
    assert!(b.failure.is_none(), "{:?}", b.failure);

    // a path rule that only routes /: /products is not found
    let (only_root, _) = scripted(Arc::new(|path, _| {
        Some(if path == "/" { 200 } else { 404 })
    }))
    .await;
    let b = warm(&[(host, &only_root)], from_logs.clone()).await;
    let failure = b.failure.clone().expect("a route Heroku served is missing");
    for part in [
        "GET /products answered 404 here (3 of 3) but 2xx on Heroku (8 of 8 logged)",
        "ingress rules for Host www.example.test",
        "nothing was moved",
    ] {
        assert!(failure.contains(part), "{part:?} in {failure}");
    }
    assert!(!failure.contains("/old"), "{failure}");
    assert!(!failure.contains("/search"), "{failure}");

    // every route 404 (a Host rule that matches nothing): the served routes are named
    let (nothing, _) = scripted(Arc::new(|_, _| Some(404))).await;
    let b = warm(&[(host, &nothing)], from_logs.clone()).await;
    let failure = b.failure.clone().expect("nothing is routed");
    assert!(
        failure.contains(
            "every one of its 12 answer(s) over 4 route(s) was 404 (not served here), where \
             Heroku served 2 of these route(s)"
        ),
        "{failure}"
    );
    assert!(failure.contains("Host www.example.test"), "{failure}");

    // paths listed in the plan (no Heroku answers to compare with): all 404 fails ...
    let b = warm(&[(host, &nothing)], listed(&["/", "/products"], 5_000)).await;
    let failure = b.failure.clone().expect("nothing is routed");
    assert!(
        failure.contains("every one of its 6 answer(s) over 2 route(s) was 404"),
        "{failure}"
    );
    assert!(failure.contains("Host www.example.test"), "{failure}");
    // ... but an app that asks for credentials is serving
    let (login, _) = scripted(Arc::new(|_, _| Some(401))).await;
    let b = warm(&[(host, &login)], listed(&["/", "/products"], 5_000)).await;
    assert!(b.failure.is_none(), "{:?}", b.failure);

    // a hostname whose logged requests were all 404 on Heroku (scanners only) may be 404 here
    let junk = dir.join("junk.log");
    std::fs::write(
        &junk,
        router_line_status("GET", "/wp-login.php", host, 404).repeat(3),
    )
    .unwrap();
    let b = warm(
        &[(host, &nothing)],
        WarmupConfig {
            logs: vec![junk.display().to_string()],
            ..from_logs.clone()
        },
    )
    .await;
    assert!(b.failure.is_none(), "{:?}", b.failure);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What Heroku's logs show as served, on real apps: a redirect (the http→https one every
/// forced-TLS app answers scanners) is not "served"; a fingerprinted asset's old digest is gone
/// on both sides after a deploy; a hostname known only by `/` (the logs never name it) may
/// answer 404 there. None of these fails the warm-up; a page Heroku answered 200 still does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_old_assets_and_unlogged_hostnames_are_not_routes_heroku_served() {
    let dir = std::env::temp_dir().join(format!("dynoshift-warmup-real-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host = "www.example.test";
    let mut text = String::new();
    for _ in 0..5 {
        text.push_str(&router_line_status("GET", "/", host, 200));
        text.push_str(&router_line_status(
            "GET",
            "/assets/application-3f2a9c1e7b4d.js",
            host,
            200,
        ));
        text.push_str(
            &router_line_status("GET", "/wp-login.php", host, 301)
                .replace("protocol=https", "protocol=http"),
        );
    }
    let logs = dir.join("router.log");
    std::fs::write(&logs, text).unwrap();
    let config = WarmupConfig {
        logs: vec![logs.display().to_string()],
        paths: Vec::new(),
        ..listed(&[], 5_000)
    };
    let (app, _) = scripted(Arc::new(|path, _| {
        Some(if path == "/" { 200 } else { 404 })
    }))
    .await;
    let b = warm(&[(host, &app)], config.clone()).await;
    assert_eq!(b.routes.len(), 3, "{b:?}");
    assert!(b.failure.is_none(), "{:?}", b.failure);

    // the page itself gone: still a failure
    let (broken, _) = scripted(Arc::new(|_, _| Some(404))).await;
    let b = warm(&[(host, &broken)], config.clone()).await;
    let failure = b.failure.clone().expect("/ was served on Heroku");
    assert!(failure.contains("was 404 (not served here)"), "{failure}");

    // a second hostname the logs never mention gets `/` only, and may 404 there
    let api = "api.example.test";
    let b = warm(&[(host, &app), (api, &broken)], config).await;
    assert!(
        b.routes.iter().any(|r| r.hostname == api && r.path == "/"),
        "{b:?}"
    );
    assert!(b.failure.is_none(), "{:?}", b.failure);
    let _ = std::fs::remove_dir_all(&dir);
}

/// On a real run: a target answering 404 to every route (an ingress whose Host rule matches
/// nothing) rolls back before any weight moves, instead of being judged healthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_answering_404_everywhere_stops_before_any_weight() {
    let (r, hits) = run(404, true, 50).await;
    match &r.outcome {
        Outcome::RolledBack { reason } => {
            assert!(reason.contains("warm-up failed"), "{reason}");
            assert!(
                reason.contains("every one of its 12 answer(s) over 3 route(s) was 404"),
                "{reason}"
            );
            assert!(reason.contains("Host www.example.test"), "{reason}");
            assert!(reason.contains("nothing was moved"), "{reason}");
        }
        o => panic!("expected a rollback, got {o:?}"),
    }
    assert_eq!(hits.len(), 12);
    assert_eq!(writes(&r.events), [Some(0), None], "no weight moved");
}

/// Each hostname is judged on its own: one answering only 5xx fails the warm-up even when the
/// other hostnames of the plan are served (they all move together).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostname_answering_only_5xx_fails_even_when_the_others_are_served() {
    let (broken, _) = scripted(Arc::new(|_, _| Some(503))).await;
    let (healthy, _) = scripted(Arc::new(|_, _| Some(200))).await;
    let b = warm(
        &[
            ("www.example.test", &broken),
            ("api.example.test", &healthy),
        ],
        listed(&["/", "/a"], 5_000),
    )
    .await;
    assert_eq!(b.requests, 12);
    let failure = b.failure.clone().expect("a hostname served nothing");
    assert!(
        failure.contains(
            "www.example.test: none of its 6 request(s) to the AWS target got an answer below \
             500 (0 without an answer, 6 with a 5xx)"
        ),
        "{failure}"
    );
    assert!(!failure.contains("api.example.test"), "{failure}");
}

//! The Platform API client against a loopback server serving recorded responses
//! (`tests/fixtures/heroku-api/`). Every test also captures all tracing events emitted while it
//! runs and checks that the token never appears in them, nor in any error or Debug string.

use crate::support;

use std::fmt::Write as _;
use std::future::Future;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynoshift::{DomainKind, ErrorKind, HerokuApiOptions, HerokuClient, Token};
use support::heroku_api::{ACCEPT, Canned, HerokuApiServer};

const TOKEN: &str = "hrku-TOPSECRET-6f1c2a9e-0b7d-4c3e-8a51-d2e9f0b4c7a3";
const SECRET_PART: &str = "TOPSECRET";

// ---- a tracing subscriber that keeps every event and span field as text ----

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = self.0.lock().unwrap();
        let _ = write!(text, "\nspan {}:", span.metadata().name());
        span.record(&mut Fields(&mut text));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = self.0.lock().unwrap();
        let m = event.metadata();
        let _ = write!(text, "\n{} {}:", m.level(), m.target());
        event.record(&mut Fields(&mut text));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Runs `f` on a current-thread runtime with the capturing subscriber; returns its output and
/// everything logged. Fails if the token was logged.
fn run<F: Future>(f: F) -> (F::Output, String) {
    let capture = Capture::default();
    let out = tracing::subscriber::with_default(capture.clone(), || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    });
    let logs = capture.0.lock().unwrap().clone();
    assert!(!logs.contains(SECRET_PART), "the token was logged:\n{logs}");
    (out, logs)
}

fn options(token: &str, base: &str) -> HerokuApiOptions {
    HerokuApiOptions {
        token: Some(Token::new(token)),
        base_url: Some(base.to_owned()),
        timeout: Some(Duration::from_secs(10)),
        danger_accept_invalid_certs: false,
    }
}

fn client(server: &HerokuApiServer) -> HerokuClient {
    HerokuClient::new(options(TOKEN, &server.url())).unwrap()
}

/// Neither the Display, the Debug nor the alternate Debug of `e` contains the token.
fn assert_clean(e: &dynoshift::Error) {
    for text in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
        assert!(!text.contains(SECRET_PART), "token leaked: {text}");
    }
}

#[test]
fn formation_is_fetched_and_parsed() {
    let server = HerokuApiServer::start(TOKEN);
    let c = client(&server);
    let (formation, _) = run(c.formation("shop-production"));
    let formation = formation.expect("formation");
    let summary: Vec<_> = formation
        .processes
        .iter()
        .map(|p| (p.process_type.as_str(), p.size.name.as_str(), p.quantity))
        .collect();
    assert_eq!(
        summary,
        [
            ("web", "Standard-2X", 4),
            ("clock", "Basic", 1),
            ("release", "Standard-1X", 0),
            ("worker", "Performance-M", 2),
        ]
    );
    assert_eq!(
        formation.process("web").unwrap().command.as_deref(),
        Some("bundle exec puma -C config/puma.rb")
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/apps/shop-production/formation");
    assert_eq!(req.headers["accept"], ACCEPT);
    assert_eq!(req.headers["authorization"], format!("Bearer {TOKEN}"));
    assert!(
        req.headers["user-agent"].starts_with("dynoshift/"),
        "{:?}",
        req.headers
    );
}

#[test]
fn dyno_sizes_are_fetched_and_parsed() {
    let server = HerokuApiServer::start(TOKEN);
    let (sizes, _) = run(client(&server).dyno_sizes());
    let sizes = sizes.expect("dyno sizes");
    assert_eq!(sizes.len(), 15);
    let std2x = sizes.iter().find(|s| s.name == "Standard-2X").unwrap();
    assert_eq!(std2x.memory_gb, 1.0);
    assert_eq!(std2x.compute, 2);
    assert!(!std2x.dedicated);
    let cost = std2x.cost.as_ref().unwrap();
    assert_eq!((cost.cents, cost.unit.as_str()), (5000, "month"));
    assert_eq!(std2x.generation.as_deref(), Some("cedar"));
    let private = sizes.iter().find(|s| s.name == "Private-M").unwrap();
    assert!(private.dedicated && private.cost.is_none());
    let fir = sizes.iter().find(|s| s.name == "dyno-2c-4gb").unwrap();
    assert_eq!(
        (fir.memory_gb, fir.generation.as_deref()),
        (4.0, Some("fir"))
    );
    assert_eq!(server.seen()[0].path, "/dyno-sizes");
    // 2026 names; Private/Shield answer {"cents": null, "unit": null}; "monthly" is a month
    let lram = sizes.iter().find(|s| s.name == "Private-L-RAM").unwrap();
    assert_eq!((lram.memory_gb, lram.dedicated), (30.0, true));
    assert_eq!(lram.cost, None);
    assert!(
        sizes
            .iter()
            .any(|s| s.name == "Shield-XL" && s.cost.is_none())
    );
    let p2xl = sizes.iter().find(|s| s.name == "Performance-2XL").unwrap();
    let cost = p2xl.cost.as_ref().unwrap();
    assert_eq!((cost.cents, cost.unit.as_str()), (150_000, "monthly"));
    assert_eq!(cost.monthly_usd(), Some(1500.0));
    // every live name of the recording is known to the built-in catalog
    for s in &sizes {
        dynoshift::DynoSize::lookup(&s.name).unwrap_or_else(|e| panic!("{}: {e}", s.name));
    }
}

#[test]
fn domains_follow_206_paging_with_next_range() {
    let server = HerokuApiServer::start(TOKEN);
    let (domains, _) = run(client(&server).domains("shop-production"));
    let domains = domains.expect("domains");
    let summary: Vec<_> = domains
        .iter()
        .map(|d| {
            (
                d.hostname.as_str(),
                d.kind.as_str(),
                d.cname.as_deref(),
                d.acm_status.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("shop-production.herokuapp.com", "heroku", None, None),
            (
                "www.shop.example.test",
                "custom",
                Some("sushi-1a2b.herokudns.com"),
                Some("cert issued")
            ),
            (
                "api.shop.example.test",
                "custom",
                Some("tokyo-9z8y.herokudns.com"),
                Some("cert issued")
            ),
            (
                "shop.example.test",
                "custom",
                Some("kyoto-4d5e.herokudns.com"),
                Some("cert issued")
            ),
        ]
    );
    assert_eq!(domains[0].kind, DomainKind::Heroku);
    assert_eq!(domains[1].kind, DomainKind::Custom);
    assert_eq!(
        domains[1].sni_endpoint.as_deref(),
        Some("tyrannosaurus-39112")
    );
    assert_eq!(domains[1].status.as_deref(), Some("succeeded"));
    assert!(domains[1].certificate_issued());

    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|r| r.path == "/apps/shop-production/domains")
    );
    assert_eq!(seen[0].headers.get("range"), None);
    assert_eq!(
        seen[1].headers["range"],
        "id ]6f4b2a10-3c5d-4e8f-9a01-b2c3d4e5f607..; max=2"
    );
    assert_eq!(seen[1].headers["authorization"], format!("Bearer {TOKEN}"));
}

#[test]
fn every_list_call_pages() {
    let server = HerokuApiServer::start(TOKEN);
    let first = serde_json::json!([{"type": "web", "quantity": 2, "size": "Standard-1X"}]);
    let second = serde_json::json!([{"type": "worker", "quantity": 1, "size": "Private-Memory-L"}]);
    server.answer_once(
        "/apps/paged/formation",
        Canned::raw(206, &first.to_string()).header("Next-Range", "type ]web..; max=1"),
    );
    server.answer_once(
        "/apps/paged/formation",
        Canned::raw(200, &second.to_string()),
    );
    let (formation, _) = run(client(&server).formation("paged"));
    let formation = formation.expect("formation over two pages");
    let names: Vec<_> = formation
        .processes
        .iter()
        .map(|p| (p.process_type.as_str(), p.size.name.as_str()))
        .collect();
    assert_eq!(names, [("web", "Standard-1X"), ("worker", "Private-L-RAM")]);
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "an alias needs no live lookup: {seen:?}");
    assert_eq!(seen[1].headers["range"], "type ]web..; max=1");

    let sizes =
        std::fs::read_to_string(support::heroku_api::fixtures_dir().join("dyno-sizes.json"))
            .unwrap();
    let sizes: Vec<serde_json::Value> = serde_json::from_str(&sizes).unwrap();
    let (a, b) = sizes.split_at(5);
    server.answer_once(
        "/dyno-sizes",
        Canned::raw(206, &serde_json::to_string(a).unwrap())
            .header("Next-Range", "name ]Performance-M..; max=5"),
    );
    server.answer_once(
        "/dyno-sizes",
        Canned::raw(200, &serde_json::to_string(b).unwrap()),
    );
    let (got, _) = run(client(&server).dyno_sizes());
    assert_eq!(got.unwrap().len(), sizes.len());
}

#[test]
fn paging_that_goes_round_in_circles_is_unavailable() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/apps/loopy/domains",
        Canned::raw(206, "[]").header("Next-Range", "id ]same..; max=200"),
    );
    let (result, _) = run(client(&server).domains("loopy"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("circle"), "{err}");
    assert_eq!(server.seen().len(), 2);
    // a 206 without Next-Range ends the list with what came
    server.answer(
        "/apps/cut/domains",
        Canned::raw(
            206,
            r#"[{"hostname": "www.cut.example.test", "cname": "a-1.herokudns.com"}]"#,
        ),
    );
    let (result, _) = run(client(&server).domains("cut"));
    let domains = result.unwrap();
    assert_eq!(domains.len(), 1);
    assert_eq!(
        domains[0].kind,
        DomainKind::Custom,
        "kind inferred when missing"
    );
    // a list that is not a list, and an entry without a hostname
    server.answer("/apps/odd/domains", Canned::raw(200, r#"{"domains": []}"#));
    let (result, _) = run(client(&server).domains("odd"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("unexpected shape"), "{err}");
    server.answer(
        "/apps/odd/domains",
        Canned::raw(200, r#"[{"kind": "custom"}]"#),
    );
    let (result, _) = run(client(&server).domains("odd"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("[0]"), "{err}");
}

#[test]
fn rate_limiting_is_waited_out_then_retried() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer_once(
        "/apps/shop-production/domains",
        Canned::error(429, "rate_limit", "Your account reached the API rate limit")
            .header("Retry-After", "1")
            .header("RateLimit-Remaining", "0"),
    );
    let started = std::time::Instant::now();
    let (result, logs) = run(client(&server).domains("shop-production"));
    assert_eq!(result.expect("retried after the wait").len(), 4);
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert!(logs.contains("rate-limited"), "{logs}");
    // 429 + page 1 + page 2
    assert_eq!(server.seen().len(), 3);

    // without Retry-After: backoff from 1 s
    server.answer_once(
        "/dyno-sizes",
        Canned::error(429, "rate_limit", "Your account reached the API rate limit"),
    );
    let (result, _) = run(client(&server).dyno_sizes());
    assert_eq!(result.unwrap().len(), 15);

    // no waiting allowed: throttled at once
    server.answer_once(
        "/dyno-sizes",
        Canned::error(429, "rate_limit", "Your account reached the API rate limit")
            .header("Retry-After", "1"),
    );
    let c = client(&server).with_max_rate_limit_wait(Duration::ZERO);
    let (result, _) = run(c.dyno_sizes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert!(err.message().contains("1 s"), "{err}");
    assert_clean(&err);
}

#[test]
fn unknown_sizes_resolve_through_the_live_list() {
    let server = HerokuApiServer::start(TOKEN);
    // a size name newer than the built-in catalog (made up for the test)
    server.answer(
        "/apps/future/formation",
        Canned::raw(
            200,
            r#"[{"type": "web", "quantity": 3, "dyno_size": {"id": "x", "name": "Performance-3XL"}},
                {"type": "worker", "quantity": 1, "size": "Shield-L-RAM"}]"#,
        ),
    );
    server.answer(
        "/dyno-sizes",
        Canned::raw(
            200,
            r#"[{"name": "Performance-3XL", "memory": 254, "compute": 100, "dedicated": true,
                 "cost": {"cents": 300000, "unit": "month"}, "generation": {"name": "cedar"}},
                {"name": "Private-3XL", "memory": 254, "compute": 100, "dedicated": true,
                 "cost": {"cents": null, "unit": null}, "generation": "cedar"}]"#,
        ),
    );
    let (formation, _) = run(client(&server).formation("future"));
    let formation = formation.expect("resolved through /dyno-sizes");
    let web = formation.process("web").unwrap();
    assert_eq!(web.size.name, "Performance-3XL");
    assert_eq!(web.size.memory_mb, 254.0 * 1024.0);
    assert_eq!(web.size.pricing, dynoshift::Pricing::PerDyno(3000.0));
    assert!(matches!(web.size.cpu, dynoshift::Cpu::Dedicated(v) if v >= 1.0));
    assert!(
        web.size
            .note
            .as_deref()
            .unwrap()
            .contains("live dyno-size list"),
        "{:?}",
        web.size.note
    );
    assert_eq!(
        formation.process("worker").unwrap().size.name,
        "Shield-L-RAM"
    );
    let paths: Vec<_> = server.seen().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/apps/future/formation", "/dyno-sizes"]);
    let cost = formation
        .monthly_cost(&dynoshift::Prices::from_pairs([("shield-l-ram", 600.0)]).unwrap())
        .unwrap();
    assert_eq!(cost.total_monthly_usd, 3.0 * 3000.0 + 600.0);

    // a name neither knows: invalid_input naming the entry
    server.answer(
        "/apps/typo/formation",
        Canned::raw(
            200,
            r#"[{"type": "web", "quantity": 1, "size": "Standard-3X"}]"#,
        ),
    );
    let (result, _) = run(client(&server).formation("typo"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.context(), Some("[0].dyno_size"));
}

#[test]
fn a_wrong_token_is_unauthorized_and_never_echoed() {
    let server = HerokuApiServer::start("the-right-token");
    let c = HerokuClient::new(options(TOKEN, &server.url())).unwrap();
    let (result, _) = run(c.formation("shop-production"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(err.message().contains("HEROKU_API_KEY"), "{err}");
    assert!(err.message().contains("401"), "{err}");
    assert_clean(&err);
    let (result, _) = run(c.dyno_sizes());
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Unauthorized);
    assert!(!format!("{c:?}").contains(SECRET_PART));
}

#[test]
fn forbidden_is_unauthorized() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/apps/someone-elses-app/formation",
        Canned::error(
            403,
            "forbidden",
            "You do not have access to the app someone-elses-app.",
        ),
    );
    let (result, _) = run(client(&server).formation("someone-elses-app"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.message().contains("someone-elses-app"), "{err}");
    assert_clean(&err);
}

#[test]
fn an_unknown_app_is_not_found_and_named() {
    let server = HerokuApiServer::start(TOKEN);
    let (result, _) = run(client(&server).formation("no-such-app"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("\"no-such-app\""), "{err}");
    assert!(err.message().contains("Couldn't find that app."), "{err}");
    assert_clean(&err);
}

#[test]
fn the_app_name_is_percent_encoded() {
    let server = HerokuApiServer::start(TOKEN);
    let (result, _) = run(client(&server).formation("../dyno-sizes?x=1#y"));
    assert_eq!(result.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        server.seen()[0].path,
        "/apps/..%2Fdyno-sizes%3Fx=1%23y/formation"
    );
    for bad in ["  ", "..", "a\nb"] {
        let (result, _) = run(client(&server).formation(bad));
        assert_eq!(
            result.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{bad:?}"
        );
    }
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn rate_limiting_is_throttled_with_retry_after() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/apps/shop-production/formation",
        Canned::error(429, "rate_limit", "Your account reached the API rate limit")
            .header("Retry-After", "120")
            .header("RateLimit-Remaining", "0"),
    );
    let (result, _) = run(client(&server).formation("shop-production"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(err.message().contains("4,500"), "{err}");
    assert!(err.message().contains("120 s"), "{err}");
    assert_clean(&err);
}

#[test]
fn server_errors_are_unavailable() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/dyno-sizes",
        Canned::error(500, "internal_server_error", "Internal server error."),
    );
    server.answer(
        "/apps/shop-production/formation",
        Canned::raw(503, "<html>maintenance</html>"),
    );
    let (result, _) = run(client(&server).dyno_sizes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("HTTP 500"), "{err}");
    let (result, _) = run(client(&server).formation("shop-production"));
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Unavailable);
}

#[test]
fn bodies_that_are_not_the_expected_json_are_unavailable() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/dyno-sizes",
        Canned::raw(200, "<html>a captive portal</html>"),
    );
    let (result, _) = run(client(&server).dyno_sizes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("not JSON"), "{err}");
    server.answer("/dyno-sizes", Canned::raw(200, r#"{"sizes": []}"#));
    let (result, _) = run(client(&server).dyno_sizes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("unexpected shape"), "{err}");
}

#[test]
fn a_server_echoing_the_token_is_scrubbed() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/apps/shop-production/formation",
        Canned::error(400, "bad_request", &format!("bad token {TOKEN} given")),
    );
    let (result, _) = run(client(&server).formation("shop-production"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("** redacted **"), "{err}");
    assert_clean(&err);
}

#[test]
fn a_closed_port_is_unavailable() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = HerokuClient::new(options(TOKEN, &format!("http://127.0.0.1:{port}"))).unwrap();
    let (result, _) = run(c.formation("shop-production"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("cannot connect"), "{err}");
    assert_clean(&err);
}

#[test]
fn a_stalled_answer_is_a_timeout() {
    let server = HerokuApiServer::start(TOKEN);
    server.answer(
        "/dyno-sizes",
        Canned::raw(200, "[]").delayed(Duration::from_secs(3)),
    );
    let c = HerokuClient::new(HerokuApiOptions {
        timeout: Some(Duration::from_millis(300)),
        ..options(TOKEN, &server.url())
    })
    .unwrap();
    let (result, _) = run(c.dyno_sizes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_clean(&err);
}

#[test]
fn futures_are_send_and_static() {
    fn check<F: Future + Send + 'static>(_: &F) {}
    let c = HerokuClient::new(options(TOKEN, "https://api.heroku.com")).unwrap();
    let app = String::from("shop-production");
    let f = c.formation(&app);
    drop(app);
    check(&f);
    check(&c.dyno_sizes());
    check(&c.domains("shop-production"));
}

#[test]
fn accepting_invalid_certs_is_logged_without_the_token() {
    let (result, logs) = run(async {
        HerokuClient::new(HerokuApiOptions {
            danger_accept_invalid_certs: true,
            ..options(TOKEN, "https://api.heroku.com")
        })
    });
    result.unwrap();
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("danger_accept_invalid_certs"), "{logs}");
    let (_, logs) = run(async { HerokuClient::new(options(TOKEN, "https://api.heroku.com")) });
    assert!(!logs.contains("WARN"), "{logs}");
    let (result, logs) =
        run(async { HerokuClient::new(options(TOKEN, "http://api.example.test")) });
    result.unwrap();
    assert!(
        logs.contains("WARN") && logs.contains("plain http"),
        "{logs}"
    );
}

#[test]
fn errors_before_any_request_do_not_leak_the_token() {
    let c = HerokuClient::new(options(TOKEN, "https://api.heroku.com")).unwrap();
    let debug = format!("{c:?} {c:#?}");
    assert!(!debug.contains(SECRET_PART), "{debug}");
    let err = HerokuClient::new(HerokuApiOptions {
        token: Some(Token::new("")),
        ..HerokuApiOptions::default()
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.message().contains("HEROKU_API_KEY"), "{err}");
}

#[test]
fn tls_certificates_are_verified_by_default() {
    let server = HerokuApiServer::start_tls(TOKEN);
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let (result, _) = run(client(&server).dyno_sizes());
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("is not trusted"), "{err}");
    eprintln!("{err}");
    assert_clean(&err);
    assert!(
        server.seen().is_empty(),
        "no request (and no token) may cross an untrusted TLS connection"
    );
}

#[test]
fn accepting_invalid_certs_reaches_a_self_signed_server() {
    let server = HerokuApiServer::start_tls(TOKEN);
    let options = HerokuApiOptions {
        danger_accept_invalid_certs: true,
        ..options(TOKEN, &server.url())
    };
    let (sizes, logs) = run(async move { HerokuClient::new(options)?.dyno_sizes().await });
    assert_eq!(sizes.expect("dyno sizes over TLS").len(), 15);
    assert!(logs.contains("danger_accept_invalid_certs"), "{logs}");
    assert_eq!(
        server.seen()[0].headers["authorization"],
        format!("Bearer {TOKEN}")
    );
}

//! Preflight's live checks against loopback HTTPS servers with a test CA: a good certificate
//! passes, one for the wrong name, an expired one and one expiring within `min_days` are error
//! findings naming the certificate's names and dates, and a 200-vs-404 difference between the
//! targets is a parity finding; without `checks`, nothing is contacted and the report says the
//! checks were skipped.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use dynoshift::cutover::{CutoverPlan, LiveChecks, ParityCheck, TlsCheck, preflight};
use dynoshift::dns::memory::{MemoryOptions, MemoryProvider};
use http_body_util::Full;
use hyper::body::Bytes;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A test CA that signs server certificates.
struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem_file: PathBuf,
}

impl TestCa {
    fn new(tag: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "dynoshift test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let pem_file = std::env::temp_dir().join(format!(
            "dynoshift-test-ca-{tag}-{}.pem",
            std::process::id()
        ));
        std::fs::write(&pem_file, cert.pem()).unwrap();
        TestCa {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            pem_file,
        }
    }

    /// A server certificate for `names`, valid from `from` to `until` days from now.
    fn server_cert(&self, names: &[&str], from: i64, until: i64) -> rustls::ServerConfig {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let now = OffsetDateTime::now_utc();
        params.not_before = now + Duration::days(from);
        params.not_after = now + Duration::days(until);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone(), self.der.clone()], key)
        .unwrap()
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_file);
    }
}

/// Path → (status, headers) of a test server.
type Routes = BTreeMap<&'static str, (u16, Vec<(&'static str, &'static str)>)>;

/// A loopback HTTPS server answering each path from `routes` (status, headers), 200 otherwise.
async fn https_server(config: rustls::ServerConfig, routes: Routes) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let routes = routes.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    let (status, headers) = routes
                        .get(req.uri().path())
                        .cloned()
                        .unwrap_or((200, vec![("content-type", "text/html")]));
                    async move {
                        let mut answer = hyper::Response::builder().status(status);
                        for (k, v) in headers {
                            answer = answer.header(k, v);
                        }
                        Ok::<_, Infallible>(
                            answer.body(Full::new(Bytes::from_static(b"ok"))).unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr.to_string()
}

fn plan(ca: &TestCa, aws: &str, heroku: &str, parity: Option<ParityCheck>) -> CutoverPlan {
    let mut plan = CutoverPlan::new(
        vec!["www.shop.test".into()],
        "shop.test",
        "sushi-1a2b.herokudns.test",
        "k8s-shop.elb.test",
    );
    plan.checks = Some(LiveChecks {
        tls: Some(TlsCheck {
            min_days: 14,
            ca_bundle: Some(ca.pem_file.display().to_string()),
            port: 443,
        }),
        parity,
        connect_to: [
            ("k8s-shop.elb.test".to_owned(), aws.to_owned()),
            ("sushi-1a2b.herokudns.test".to_owned(), heroku.to_owned()),
        ]
        .into(),
        deadline_seconds: None,
        concurrency: None,
    });
    plan
}

async fn run(plan: CutoverPlan) -> dynoshift::cutover::PreflightReport {
    let provider = MemoryProvider::new(MemoryOptions::default());
    provider.create_zone("shop.test");
    preflight(plan, Arc::new(provider)).await.unwrap()
}

fn live_codes(report: &dynoshift::cutover::PreflightReport) -> Vec<(String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.code.starts_with("tls_") || f.code.starts_with("parity_"))
        .map(|f| (f.code.clone(), f.message.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_good_wrong_name_expired_and_expiring() {
    let ca = TestCa::new("tls");
    let heroku = https_server(
        ca.server_cert(&["www.shop.test"], -30, 300),
        BTreeMap::new(),
    )
    .await;
    let good = https_server(ca.server_cert(&["www.shop.test"], -1, 90), BTreeMap::new()).await;
    let wrong = https_server(
        ca.server_cert(&["other.shop.test"], -1, 90),
        BTreeMap::new(),
    )
    .await;
    let expired = https_server(ca.server_cert(&["www.shop.test"], -90, -2), BTreeMap::new()).await;
    let expiring = https_server(ca.server_cert(&["www.shop.test"], -80, 5), BTreeMap::new()).await;

    let report = run(plan(&ca, &good, &heroku, None)).await;
    assert_eq!(
        live_codes(&report),
        vec![],
        "a good certificate on both sides passes"
    );
    let tls = report.checks.iter().find(|c| c.check == "tls").unwrap();
    assert!(tls.ran, "{tls:?}");
    let parity = report.checks.iter().find(|c| c.check == "parity").unwrap();
    assert!(
        !parity.ran && parity.detail.contains("checks.parity"),
        "{parity:?}"
    );

    let report = run(plan(&ca, &wrong, &heroku, None)).await;
    let codes = live_codes(&report);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let (code, message) = &codes[0];
    assert_eq!(code, "tls_invalid");
    assert!(
        message.contains("AWS target k8s-shop.elb.test"),
        "{message}"
    );
    assert!(
        message.contains("other.shop.test"),
        "names the certificate's names: {message}"
    );
    assert!(!report.ok);

    let (code, message) = &live_codes(&run(plan(&ca, &expired, &heroku, None)).await)[0];
    assert_eq!(code, "tls_invalid");
    assert!(message.to_lowercase().contains("expired"), "{message}");
    assert!(message.contains("valid from"), "says the dates: {message}");

    let (code, message) = &live_codes(&run(plan(&ca, &expiring, &heroku, None)).await)[0];
    assert_eq!(code, "tls_expiring");
    assert!(
        message.contains("expires in 4 day(s)") || message.contains("expires in 5 day(s)"),
        "{message}"
    );

    // a target nothing answers on is unreachable (unavailable), not unhealthy
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let report = run(plan(&ca, &closed, &heroku, None)).await;
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "tls_unreachable")
        .expect("unreachable");
    assert_eq!(f.kind, dynoshift::ErrorKind::Unavailable);

    // the Heroku side is checked the same way
    let report = run(plan(&ca, &good, &wrong, None)).await;
    let codes = live_codes(&report);
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert!(codes[0].1.contains("Heroku target"), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parity_finds_a_route_missing_on_aws() {
    let ca = TestCa::new("parity");
    let cert = || ca.server_cert(&["www.shop.test"], -1, 90);
    let heroku = https_server(
        cert(),
        [
            ("/missing", (200, vec![("content-type", "text/html")])),
            (
                "/old",
                (301, vec![("location", "https://www.shop.test/new")]),
            ),
        ]
        .into(),
    )
    .await;
    let aws = https_server(
        cert(),
        [
            ("/missing", (404, vec![("content-type", "text/html")])),
            (
                "/old",
                (
                    301,
                    vec![("location", "https://shop-prod.herokuapp.com/new")],
                ),
            ),
            (
                "/",
                (
                    200,
                    vec![
                        ("content-type", "application/json"),
                        ("set-cookie", "session=aws-session-secret"),
                    ],
                ),
            ),
        ]
        .into(),
    )
    .await;
    let parity = ParityCheck {
        logs: Vec::new(),
        top: None,
        paths: vec!["/".into(), "/missing".into(), "/old".into()],
        headers: vec!["content-type".into(), "set-cookie".into()],
        allow_query: false,
        port: 443,
    };
    let report = run(plan(&ca, &aws, &heroku, Some(parity))).await;
    let codes = live_codes(&report);
    let find = |code: &str| {
        codes
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, m)| m.clone())
    };
    let status = find("parity_status").expect("a status finding");
    assert!(
        status.contains("GET /missing: AWS answers 404, Heroku 200"),
        "{status}"
    );
    assert!(
        !status.contains("secret"),
        "query strings are dropped: {status}"
    );
    let redirect = find("parity_redirect").expect("a redirect finding");
    assert!(redirect.contains("shop-prod.herokuapp.com"), "{redirect}");
    let header = find("parity_header").expect("a header finding");
    assert!(header.contains("application/json"), "{header}");
    let cookie = codes
        .iter()
        .find(|(c, m)| c == "parity_header" && m.contains("set-cookie"))
        .map(|(_, m)| m.clone())
        .expect("a set-cookie finding");
    assert!(cookie.contains("set (value not shown)"), "{cookie}");
    assert!(!cookie.contains("aws-session-secret"), "{cookie}");
    let severity = |code: &str| {
        report
            .findings
            .iter()
            .find(|f| f.code == code)
            .map(|f| f.severity.as_str())
    };
    assert_eq!(severity("parity_status"), Some("error"));
    assert_eq!(severity("parity_header"), Some("warning"));
    let ran = report.checks.iter().find(|c| c.check == "parity").unwrap();
    assert!(ran.ran && ran.detail.starts_with("3 path(s)"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_checks_nothing_is_contacted_and_the_report_says_so() {
    let plan = CutoverPlan::new(
        vec!["www.shop.test".into()],
        "shop.test",
        "sushi-1a2b.herokudns.test",
        "k8s-shop.elb.test",
    );
    let report = run(plan).await;
    assert!(live_codes(&report).is_empty());
    assert_eq!(report.checks.len(), 2);
    assert!(report.checks.iter().all(|c| !c.ran), "{:?}", report.checks);
    assert!(
        report
            .summary()
            .iter()
            .any(|l| l.starts_with("check tls skipped"))
    );
}

#[test]
fn checks_are_read_from_the_plan_and_validated() {
    let text = r#"{"hostnames": ["www.shop.test"], "zone": "shop.test",
        "heroku_target": "h.test", "aws_target": "a.test",
        "checks": {"tls": {"min_days": 30}, "parity": {"paths": ["/", "/healthz"]},
                   "connect_to": {"a.test": "127.0.0.1:8443"}}}"#;
    let plan = CutoverPlan::from_json(text).unwrap();
    let checks = plan.checks.as_ref().unwrap();
    assert_eq!(checks.tls.as_ref().unwrap().min_days, 30);
    assert_eq!(checks.parity.as_ref().unwrap().paths.len(), 2);
    for (bad, at) in [
        (
            r#""connect_to": {"a.test": "somewhere"}"#,
            "checks.connect_to",
        ),
        (
            r#""parity": {"paths": ["healthz"]}"#,
            "checks.parity.paths[0]",
        ),
        (r#""tls": {"min_dayz": 3}"#, "checks.tls.min_dayz"),
    ] {
        let text = format!(
            r#"{{"hostnames": ["www.shop.test"], "zone": "shop.test", "heroku_target": "h.test",
                "aws_target": "a.test", "checks": {{{bad}}}}}"#
        );
        let err = CutoverPlan::from_json(&text).unwrap_err();
        assert_eq!(err.kind(), dynoshift::ErrorKind::InvalidInput, "{bad}");
        assert!(
            err.context().unwrap_or_default().starts_with(at) || err.to_string().contains(at),
            "{bad}: {:?} {err}",
            err.context()
        );
    }
    // a plan without checks keeps its digest (the field is left out when absent)
    let plain = CutoverPlan::new(
        vec!["www.shop.test".into()],
        "shop.test",
        "h.test",
        "a.test",
    );
    assert!(!plain.to_json().contains("checks"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_refused_before_anything_is_written_when_a_live_check_fails() {
    use dynoshift::cutover::{DnsTarget, Operation, Session};
    let ca = TestCa::new("run");
    let heroku = https_server(ca.server_cert(&["www.shop.test"], -1, 90), BTreeMap::new()).await;
    let wrong = https_server(
        ca.server_cert(&["other.shop.test"], -1, 90),
        BTreeMap::new(),
    )
    .await;
    let plan = plan(&ca, &wrong, &heroku, None);
    let target = DnsTarget::rehearsal(&plan, std::time::Duration::ZERO, true).unwrap();
    let journal = std::env::temp_dir().join(format!(
        "dynoshift-live-refused-{}.journal.json",
        std::process::id()
    ));
    let session = Session::new(plan, target, &journal).unwrap();
    let err = session.start(Operation::Run).unwrap().await.unwrap_err();
    assert_eq!(err.kind(), dynoshift::ErrorKind::Unhealthy, "{err}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert!(err.to_string().contains("other.shop.test"), "{err}");
    assert!(!journal.exists(), "no journal: the run never started");
}

/// A TCP front to `backend` that holds every connection until `wait_for` connections are open
/// at once, then relays them: checks run one after the other never get through. Counts the
/// connections it accepted.
async fn barrier_front(
    backend: String,
    wait_for: usize,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let barrier = Arc::new(tokio::sync::Barrier::new(wait_for));
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (barrier, backend) = (barrier.clone(), backend.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut server = tokio::net::TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (addr, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_run_concurrently_and_within_a_deadline() {
    let ca = TestCa::new("concurrent");
    let good = https_server(ca.server_cert(&["www.shop.test"], -1, 90), BTreeMap::new()).await;
    // both targets behind one front that lets connections through only two at a time
    let (front, _) = barrier_front(good, 2).await;
    let mut p = plan(&ca, &front, &front, None);
    p.checks.as_mut().unwrap().deadline_seconds = Some(2);
    let report = run(p.clone()).await;
    assert!(
        report
            .findings
            .iter()
            .all(|f| !f.code.starts_with("tls_") && f.code != "live_checks_deadline"),
        "both TLS checks ran at once and passed: {:?}",
        report.findings
    );
    // one at a time, the first never gets through: the deadline ends it, naming what was left
    p.checks.as_mut().unwrap().concurrency = Some(1);
    let report = run(p).await;
    let late = report
        .findings
        .iter()
        .find(|f| f.code == "live_checks_deadline")
        .unwrap_or_else(|| panic!("{:?}", report.findings));
    assert_eq!(late.kind, dynoshift::ErrorKind::Timeout);
    assert!(late.message.contains("within 2 s"), "{}", late.message);
    assert!(
        late.message.contains("www.shop.test on the AWS target"),
        "{}",
        late.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_journal_refuses_a_run_before_any_live_check() {
    use dynoshift::cutover::{DnsTarget, Operation, Session};
    let ca = TestCa::new("unfinished");
    let good = https_server(ca.server_cert(&["www.shop.test"], -1, 90), BTreeMap::new()).await;
    // a front that would hold the checks until the (long) deadline, and counts connections
    let (front, connections) = barrier_front(good, 3).await;
    let mut plan = plan(&ca, &front, &front, None);
    plan.checks.as_mut().unwrap().deadline_seconds = Some(600);
    let dir =
        std::env::temp_dir().join(format!("dynoshift-live-unfinished-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("cutover.journal.json");
    let fixture = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cutover-plan.json.journal.json"),
    )
    .unwrap();
    let mut unfinished: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    unfinished.as_object_mut().unwrap().remove("outcome");
    std::fs::write(&journal, unfinished.to_string()).unwrap();
    let target = DnsTarget::rehearsal(&plan, std::time::Duration::ZERO, true).unwrap();
    let session = Session::new(plan, target, &journal).unwrap();
    let err = session.start(Operation::Run).unwrap().await.unwrap_err();
    assert_eq!(err.kind(), dynoshift::ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("unfinished run"), "{err}");
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no live check was made before the journal was read"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The warm-up reuses the live checks' HTTPS client: the hostname is the TLS server name and
/// the certificate is verified (against `checks.tls.ca_bundle` here); a certificate for another
/// name gets no answer at all, so the warm-up fails before any weight would move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warm_up_speaks_https_with_the_hostname_as_server_name() {
    use dynoshift::cutover::warmup::{WarmupConfig, warm_up};
    let ca = TestCa::new("warmup");
    let good = https_server(ca.server_cert(&["www.shop.test"], -1, 90), BTreeMap::new()).await;
    let wrong = https_server(
        ca.server_cert(&["other.shop.test"], -1, 90),
        BTreeMap::new(),
    )
    .await;
    let config = WarmupConfig {
        paths: vec!["/".into(), "/missing".into()],
        requests_per_path: 2,
        rate_per_second: 100,
        ..Default::default()
    };
    let mut routes: Routes = BTreeMap::new();
    routes.insert("/missing", (404, vec![]));
    let with_404 = https_server(ca.server_cert(&["www.shop.test"], -1, 90), routes).await;
    let clock: Arc<dyn dynoshift::dns::Clock> = Arc::new(dynoshift::VirtualClock::new());

    let b = warm_up(&plan(&ca, &with_404, &good, None), &config, clock.clone()).await;
    assert!(b.failure.is_none(), "{b:?}");
    let seen: Vec<(&str, Option<&u32>, Option<&u32>)> = b
        .routes
        .iter()
        .map(|r| {
            (
                r.path.as_str(),
                r.status_classes.get("2xx"),
                r.status_classes.get("4xx"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("/", Some(&2), None), ("/missing", None, Some(&2))],
        "a 4xx is an answer: part of the baseline, not a failure"
    );

    let b = warm_up(&plan(&ca, &wrong, &good, None), &config, clock).await;
    let failure = b.failure.clone().expect("no answer over TLS is a failure");
    assert!(
        failure.contains("no connection for its first 3 request(s)"),
        "{failure}"
    );
    assert!(
        failure.contains("certificate for www.shop.test"),
        "{failure}"
    );
    // given up after 3 failed handshakes: the 4th request is not sent
    assert_eq!(b.requests, 3, "{b:?}");
    assert_eq!(
        b.routes.iter().map(|r| r.errors).collect::<Vec<_>>(),
        [2, 1],
        "{b:?}"
    );
    let error = b.routes[0].last_error.clone().unwrap_or_default();
    assert!(
        error.to_lowercase().contains("certificate") || error.contains("TLS"),
        "{error}"
    );
}

/// Without `paths`, parity compares the most requested GET paths of the router logs it names
/// (POSTs and other hostnames do not count, queries are dropped); an unreadable log is an error
/// finding naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parity_takes_the_top_get_paths_of_router_logs() {
    let ca = TestCa::new("parity-logs");
    let cert = || ca.server_cert(&["www.shop.test"], -1, 90);
    let heroku = https_server(cert(), BTreeMap::new()).await;
    let aws = https_server(
        cert(),
        [("/missing", (404, vec![])), ("/cart", (404, vec![]))].into(),
    )
    .await;
    let line = |method: &str, path: &str, host: &str| {
        format!(
            "2026-12-07T10:00:00.000000+00:00 heroku[router]: at=info method={method} \
             path=\"{path}\" host={host} request_id=1 fwd=\"1.2.3.4\" dyno=web.1 connect=0ms \
             service=12ms status=200 bytes=10 protocol=https\n"
        )
    };
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&line("POST", "/cart", "www.shop.test"));
        text.push_str(&line(
            "GET",
            &format!("/missing?token=t{i}"),
            "www.shop.test",
        ));
        text.push_str(&line("GET", "/rare", "other.shop.test"));
        if i < 5 {
            text.push_str(&line("GET", "/", "www.shop.test"));
        }
    }
    let log = std::env::temp_dir().join(format!("dynoshift-parity-{}.log", std::process::id()));
    std::fs::write(&log, text).unwrap();
    let parity = |logs: Vec<String>| ParityCheck {
        paths: Vec::new(),
        headers: Vec::new(),
        allow_query: false,
        logs,
        top: Some(5),
        port: 443,
    };
    let report = run(plan(
        &ca,
        &aws,
        &heroku,
        Some(parity(vec![log.display().to_string()])),
    ))
    .await;
    let _ = std::fs::remove_file(&log);
    let codes = live_codes(&report);
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].0, "parity_status");
    assert!(
        codes[0]
            .1
            .contains("GET /missing: AWS answers 404, Heroku 200"),
        "{codes:?}"
    );
    let ran = report.checks.iter().find(|c| c.check == "parity").unwrap();
    assert!(
        ran.ran && ran.detail.starts_with("2 path(s)") && ran.detail.contains("router logs"),
        "{ran:?}"
    );

    let report = run(plan(
        &ca,
        &aws,
        &heroku,
        Some(parity(vec!["/nonexistent/router.log".into()])),
    ))
    .await;
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "parity_logs")
        .expect("an unreadable log is a finding");
    assert!(f.message.contains("checks.parity.logs[0]"), "{}", f.message);
    assert_eq!(f.kind, dynoshift::ErrorKind::InvalidInput);
    assert!(!report.ok);
}

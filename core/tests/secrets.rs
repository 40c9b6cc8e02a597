//! Secrets never leave through a side door: the Heroku token and AWS keys stay out of Debug and
//! Display output, error messages (even when a server echoes them back), the cutover journal,
//! and tracing output at TRACE level (captured through tracing-subscriber's fmt layer, as an
//! application would log). TLS verification is on unless explicitly turned off, with a warning.

use crate::support;

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynoshift::dns::route53::{Route53Options, StaticCredentials, connect};
use dynoshift::dns::{Change, ChangeAction, RecordSet};
use dynoshift::health::probe::{ProbeSpec, Prober};
use dynoshift::{
    Cutover, CutoverPlan, DnsProvider, ErrorKind, HerokuApiOptions, HerokuClient, Route53Provider,
    Token,
};
use support::heroku_api::{Canned, HerokuApiServer};

const TOKEN: &str = "hrku-SECRETTOKEN-0b7d4c3e-8a51-d2e9f0b4c7a3";
const ACCESS_KEY_ID: &str = "AKIASECRETKEYID00042";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEBSESSIONSECRETTOKEN";
const SECRETS: [&str; 4] = [TOKEN, ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN];

/// The secret that `text` contains, if any (also a distinctive part of each, so that a
/// truncated or re-encoded secret is still caught).
fn leaked(text: &str) -> Option<&'static str> {
    SECRETS
        .into_iter()
        .chain(["SECRETTOKEN", "SECRETKEYID", "SECRETKEY", "SESSIONSECRET"])
        .find(|s| text.contains(s))
}

fn assert_clean(what: &str, text: &str) {
    if let Some(s) = leaked(text) {
        panic!("{what} leaks {s:?}:\n{text}");
    }
}

/// For logs that include the AWS SDK's own TRACE events: the SDK prints the access key id
/// (an identifier, in `Credentials`'s Debug and the signed `Authorization` header) but redacts
/// the secret key; dynoshift cannot filter another crate's events, so logs are held to the
/// secret key, the session token and the Heroku token.
fn assert_no_secret_in_logs(what: &str, logs: &str) {
    for s in [
        TOKEN,
        SECRET_ACCESS_KEY,
        SESSION_TOKEN,
        "SECRETTOKEN",
        "SESSIONSECRET",
    ] {
        assert!(!logs.contains(s), "{what} leak {s:?}:\n{logs}");
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` on a current-thread runtime with a TRACE-level fmt subscriber writing to a buffer;
/// returns the output and the log text.
fn traced<F: Future>(f: F) -> (F::Output, String) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    });
    let logs = String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned();
    (out, logs)
}

fn credentials() -> StaticCredentials {
    StaticCredentials {
        access_key_id: ACCESS_KEY_ID.into(),
        secret_access_key: SECRET_ACCESS_KEY.into(),
        session_token: Some(SESSION_TOKEN.into()),
    }
}

#[test]
fn the_leak_check_itself_catches_secrets() {
    assert_eq!(leaked(&format!("x {TOKEN} y")), Some(TOKEN));
    assert!(leaked("Authorization: Bearer hrku-SECRETTOKEN-0b7d").is_some());
    assert!(leaked("nothing here").is_none());
    let (_, logs) = traced(async { tracing::trace!(token = TOKEN, "a careless log line") });
    assert!(
        leaked(&logs).is_some(),
        "the capture must see TRACE events: {logs:?}"
    );
}

#[test]
fn debug_and_display_of_every_holder_redact_secrets() {
    let token = Token::new(TOKEN);
    let options = HerokuApiOptions {
        token: Some(token.clone()),
        base_url: Some("https://api.example.test/heroku".into()),
        timeout: Some(Duration::from_secs(5)),
        danger_accept_invalid_certs: false,
    };
    let client = HerokuClient::new(options.clone()).unwrap();
    // credentials in the base URL are refused, and Debug does not show them either
    let with_userinfo = HerokuApiOptions {
        base_url: Some("https://user:SECRETTOKEN@proxy.example.test/heroku".into()),
        ..options.clone()
    };
    let err = HerokuClient::new(with_userinfo.clone()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_clean("the error", &format!("{err} {err:?}"));
    let route53 = Route53Options {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        region: Some("us-east-1".into()),
        credentials: Some(credentials()),
        ..Route53Options::default()
    };
    let texts = [
        format!("{token} {token:?} {token:#?}"),
        format!("{options:?} {options:#?}"),
        format!("{with_userinfo:?} {with_userinfo:#?}"),
        format!("{client:?} {client:#?}"),
        format!("{:?} {:#?}", credentials(), credentials()),
        format!("{route53:?} {route53:#?}"),
    ];
    for text in &texts {
        assert_clean("Debug/Display", text);
        assert!(text.contains("redacted"), "{text}");
    }
    let (provider, logs) = traced(Route53Provider::connect(route53));
    assert_clean(
        "Route53Provider Debug",
        &format!("{provider:?} {provider:#?}"),
    );
    assert_clean("TRACE logs of connecting", &logs);
}

#[test]
fn a_401_echoing_the_token_is_unauthorized_without_it_even_at_trace() {
    let server = HerokuApiServer::start(TOKEN);
    let echo =
        format!("{{\"id\": \"unauthorized\", \"message\": \"Invalid credentials: {TOKEN}\"}}");
    server.answer("/apps/shop/formation", Canned::raw(401, &echo));
    let client = HerokuClient::new(HerokuApiOptions {
        token: Some(Token::new(TOKEN)),
        base_url: Some(server.url()),
        timeout: Some(Duration::from_secs(10)),
        danger_accept_invalid_certs: false,
    })
    .unwrap();
    let (result, logs) = traced(client.formation("shop"));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_clean("the error", &format!("{err} {err:?} {err:#?}"));
    assert_clean("TRACE logs", &logs);
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "the HTTP stack logs at TRACE, so the capture is live: {logs}"
    );
    // the request did carry the token: the server saw it, nothing else did
    assert_eq!(
        server.seen()[0].headers["authorization"],
        format!("Bearer {TOKEN}")
    );
}

/// A loopback "Route53" answering every request with 403 AccessDenied; with `echo`, the body
/// echoes the request's headers (a misbehaving proxy) with the secret key thrown in.
fn denying_route53(echo: bool) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        for _ in 0..3 {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let message = if echo {
                let headers = String::from_utf8_lossy(&request).replace(['<', '>', '&'], " ");
                format!("denied for {SECRET_ACCESS_KEY}; you sent: {headers}")
            } else {
                "User is not authorized to perform route53:ListHostedZonesByName".to_owned()
            };
            let body = format!(
                "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>Sender</Type>\
                 <Code>AccessDenied</Code><Message>{message}</Message></Error>\
                 <RequestId>r-1</RequestId></ErrorResponse>"
            );
            let _ = write!(
                conn,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, handle)
}

fn route53_denied(echo: bool) -> (dynoshift::Error, String) {
    route53_denied_with(credentials(), echo)
}

fn route53_denied_with(credentials: StaticCredentials, echo: bool) -> (dynoshift::Error, String) {
    let (url, _server) = denying_route53(echo);
    let options = Route53Options {
        endpoint_url: Some(url),
        region: Some("us-east-1".into()),
        credentials: Some(credentials),
        ..Route53Options::default()
    };
    let (result, logs) = traced(async move {
        let provider = Route53Provider::connect(options).await;
        provider.zone("example.com").await
    });
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(err.message().contains("AccessDenied"), "{err}");
    (err, logs)
}

#[test]
fn a_route53_403_echoing_credentials_is_unauthorized_without_them() {
    let (err, _) = route53_denied(true);
    assert!(err.message().contains("** redacted **"), "{err}");
    assert_clean("the Route53 error", &format!("{err} {err:?} {err:#?}"));
}

#[test]
fn a_one_letter_secret_is_not_redacted_out_of_words_a_long_one_still_is() {
    // a test key "y": the operation's name must survive (it was "ListHostedZonesB** redacted **Name")
    let short = StaticCredentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: "y".into(),
        session_token: Some("t".into()),
    };
    let (err, _) = route53_denied_with(short, false);
    assert_eq!(
        err.message(),
        "Route53 ListHostedZonesByName: AccessDenied: User is not authorized to perform \
         route53:ListHostedZonesByName",
        "{err}"
    );
    // real-length keys are still removed wherever a server echoes them
    let (err, _) = route53_denied(true);
    let text = format!("{err} {err:?}");
    assert!(text.contains("** redacted **"), "{text}");
    assert!(
        text.contains("Route53 ListHostedZonesByName: AccessDenied"),
        "{text}"
    );
    assert_clean("the Route53 error", &text);
}

#[test]
fn route53_trace_logs_hold_no_secret_key_or_session_token() {
    let (err, logs) = route53_denied(false);
    assert_clean("the Route53 error", &format!("{err} {err:?}"));
    assert!(
        logs.contains("TRACE"),
        "the SDK's TRACE events are captured: {logs}"
    );
    assert_no_secret_in_logs("TRACE logs of a denied Route53 call", &logs);
}

#[test]
fn the_journal_holds_no_credentials() {
    let moto = support::moto::Moto::start();
    let dir = std::env::temp_dir().join(format!("dynoshift-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("cutover.journal.json");
    let _ = std::fs::remove_file(&journal);
    let mut plan = CutoverPlan::new(
        vec!["www.secrets.example".into()],
        "secrets.example",
        "x.herokudns.com",
        "lb.elb.amazonaws.com",
    );
    plan.stages = vec![50, 100];
    plan.soak_seconds = 0;
    plan.ttl = 1;
    plan.poll_seconds = 1;
    plan.tick_seconds = 1;
    let options = Route53Options {
        credentials: Some(credentials()),
        ..moto.route53_options()
    };
    let (outcome, logs) = traced(async move {
        let clock = Arc::new(dynoshift::VirtualClock::new());
        let client = connect(&options).await;
        client
            .create_hosted_zone()
            .name("secrets.example.")
            .caller_reference("dynoshift-secrets-1")
            .send()
            .await
            .expect("moto creates the zone");
        let provider = Route53Provider::from_client(client).with_clock(clock.clone());
        let zone = provider.zone("secrets.example").await.expect("the zone");
        let seed = vec![Change::new(
            ChangeAction::Create,
            RecordSet::simple(
                "www.secrets.example",
                "CNAME",
                60,
                vec!["x.herokudns.com".into()],
            ),
        )];
        provider.apply(&zone.id, seed, "seed").await.expect("seed");
        Cutover::new(plan, Arc::new(provider), &journal)
            .expect("a valid plan")
            .with_clock(clock)
            .run()
            .await
    });
    let outcome = outcome.expect("the cutover runs on moto");
    assert!(format!("{outcome:?}").contains("Promoted"), "{outcome:?}");
    let text = std::fs::read_to_string(dir.join("cutover.journal.json")).unwrap();
    assert!(text.contains("www.secrets.example"), "{text}");
    assert_clean("the journal", &text);
    assert_no_secret_in_logs("TRACE logs of a whole cutover", &logs);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A loopback HTTPS server with a self-signed certificate (the Heroku API fixture server).
fn self_signed_probe(insecure: bool) -> (Vec<dynoshift::health::probe::Sample>, String) {
    let server = HerokuApiServer::start_tls(TOKEN);
    let spec = ProbeSpec {
        insecure_skip_tls_verify: insecure,
        ..ProbeSpec::get(format!("{}/dyno-sizes", server.url()))
    };
    traced(async move {
        let prober = Prober::new(spec, 1).unwrap();
        prober.burst(1, 1, Duration::ZERO).await
    })
}

#[test]
fn http_probes_verify_tls_by_default() {
    let (samples, logs) = self_signed_probe(false);
    assert!(!samples[0].ok, "{samples:?}");
    assert_eq!(
        samples[0].status, None,
        "no HTTP answer over an untrusted TLS connection"
    );
    assert!(!logs.contains("insecure_skip_tls_verify"), "{logs}");
    assert!(!ProbeSpec::get("https://x.example/").insecure_skip_tls_verify);
}

#[test]
fn skipping_tls_verification_is_explicit_and_warned() {
    let (samples, logs) = self_signed_probe(true);
    assert!(
        samples[0].status.is_some(),
        "the self-signed server answered: {samples:?}"
    );
    assert!(
        logs.lines()
            .any(|l| l.contains("WARN") && l.contains("insecure_skip_tls_verify")),
        "{logs}"
    );
    let spec: ProbeSpec =
        serde_json::from_str(r#"{"url": "https://x.example/", "insecure_skip_tls_verify": true}"#)
            .unwrap();
    assert!(spec.insecure_skip_tls_verify);
    assert!(format!("{spec:?}").contains("insecure_skip_tls_verify: true"));
}

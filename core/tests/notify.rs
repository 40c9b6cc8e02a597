//! Notification sinks against real HTTP on loopback: a small HTTP/1.1 server (std threads, one
//! per connection, keep-alive) that records every request and answers from a script of status
//! codes, or accepts requests and never answers. Covers ordering, headers and bodies, Slack's
//! text, retries, give-ups, full queues, refused connections, a missing runtime, and secrets in
//! warnings, Debug output and logs.

use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support;

use support::hook_server::HookServer;

use dynoshift::cutover::{
    CutoverEvent, EventRecord, Notifier, NotifyOptions, NotifySink, NotifyStats, Observer,
};

/// Parts of the sink URLs and headers that must never be shown.
const PATH_SECRET: &str = "PATHSECRET42";
const QUERY_SECRET: &str = "QUERYSECRET42";
const HEADER_SECRET: &str = "HEADERSECRET42";
const SECRETS: [&str; 3] = [PATH_SECRET, QUERY_SECRET, HEADER_SECRET];

/// The sink URL of a server, with secrets in its path and query.
trait SecretUrl {
    fn url(&self) -> String;
}

impl SecretUrl for HookServer {
    fn url(&self) -> String {
        format!("{}/hooks/{PATH_SECRET}?token={QUERY_SECRET}", self.base())
    }
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks {s:?}:\n{text}");
    }
}

/// A loopback URL where nothing listens (connections are refused).
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/{PATH_SECRET}?token={QUERY_SECRET}")
}

fn webhook(url: String) -> NotifySink {
    NotifySink::Webhook {
        url,
        headers: [
            (
                "Authorization".to_owned(),
                format!("Bearer {HEADER_SECRET}"),
            ),
            ("X-Team".to_owned(), "infra".to_owned()),
        ]
        .into(),
    }
}

/// Distinct events of several types.
fn event(i: u64) -> EventRecord {
    let event = match i % 4 {
        0 => CutoverEvent::TtlWait { seconds: i },
        1 => CutoverEvent::Writing {
            step: "stage".into(),
            percent: Some((i % 100) as u8),
            batches: 1,
        },
        2 => CutoverEvent::Paused {
            reason: format!("pause number {i}"),
        },
        _ => CutoverEvent::SoakStarted {
            stage: i as usize,
            percent: 25,
            seconds: i,
        },
    };
    EventRecord {
        run_id: "run-notify-test".into(),
        at_ms: 1_000 + i,
        event,
    }
}

type Warnings = Arc<Mutex<Vec<String>>>;

fn collector() -> (Warnings, Arc<dyn Fn(CutoverEvent) + Send + Sync>) {
    let warnings: Warnings = Arc::default();
    let w = warnings.clone();
    (
        warnings,
        Arc::new(move |e: CutoverEvent| w.lock().unwrap().push(e.describe())),
    )
}

fn fast(attempts: u32, attempt_timeout: Duration) -> NotifyOptions {
    NotifyOptions {
        attempt_timeout,
        attempts,
        backoff: Duration::from_millis(10),
        ..NotifyOptions::default()
    }
}

fn one_sink(stats: &NotifyStats) -> dynoshift::cutover::SinkStats {
    assert_eq!(stats.sinks.len(), 1, "{stats:?}");
    stats.sinks[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_receives_every_event_in_order_with_its_headers_and_the_json() {
    let server = HookServer::start();
    let (warnings, on_warning) = collector();
    let n = Notifier::new(&[webhook(server.url())], on_warning).unwrap();
    let events: Vec<EventRecord> = (0..40).map(event).collect();
    for e in &events {
        n.on_event(e);
    }
    assert!(n.flush(Duration::from_secs(20)).await, "{:?}", n.stats());

    let seen = server.seen();
    assert_eq!(seen.len(), events.len());
    for (s, e) in seen.iter().zip(&events) {
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.target,
            format!("/hooks/{PATH_SECRET}?token={QUERY_SECRET}")
        );
        assert_eq!(s.body, e.to_json(), "bodies arrive in order, as to_json");
        assert_eq!(s.headers["content-type"], "application/json");
        assert_eq!(
            s.headers["authorization"],
            format!("Bearer {HEADER_SECRET}")
        );
        assert_eq!(s.headers["x-team"], "infra");
    }
    let back: EventRecord = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(back, events[1]);
    let st = one_sink(&n.stats());
    assert_eq!(
        (st.events, st.delivered, st.failed, st.dropped, st.pending),
        (40, 40, 0, 0, 0)
    );
    assert!(warnings.lock().unwrap().is_empty(), "{warnings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slack_sink_gets_the_run_id_and_the_sentence() {
    let slack_server = HookServer::start();
    let hook_server = HookServer::start();
    let (warnings, on_warning) = collector();
    let sinks = [
        NotifySink::Slack {
            webhook_url: slack_server.url(),
        },
        webhook(hook_server.url()),
    ];
    let n = Notifier::new(&sinks, on_warning).unwrap();
    let slack_label = n.stats().sinks[0].sink.clone();
    assert_eq!(
        slack_label,
        format!("slack http://{}/(redacted)", slack_server.addr)
    );
    let events = [
        event(1),
        event(2),
        // About the Slack sink itself: not sent to it, but to the other sink.
        EventRecord {
            run_id: "run-notify-test".into(),
            at_ms: 5_000,
            event: CutoverEvent::NotifyFailed {
                sink: slack_label.clone(),
                reason: "HTTP 500 after 3 attempts".into(),
            },
        },
        event(3),
    ];
    for e in &events {
        n.on_event(e);
    }
    assert!(n.flush(Duration::from_secs(20)).await, "{:?}", n.stats());

    let texts: Vec<String> = slack_server
        .seen()
        .iter()
        .map(|s| {
            assert_eq!(s.headers["content-type"], "application/json");
            assert!(!s.headers.contains_key("authorization"), "{s:?}");
            let v: serde_json::Value = serde_json::from_str(&s.body).unwrap();
            assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
            v["text"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected: Vec<String> = [&events[0], &events[1], &events[3]]
        .iter()
        .map(|e| format!("run-notify-test: {}", e.event.describe()))
        .collect();
    assert_eq!(texts, expected);
    assert_eq!(texts[1], "run-notify-test: paused: pause number 2");

    let bodies: Vec<String> = hook_server.seen().into_iter().map(|s| s.body).collect();
    let all: Vec<String> = events.iter().map(EventRecord::to_json).collect();
    assert_eq!(bodies, all, "the webhook gets the notify_failed event too");
    let stats = n.stats();
    assert_eq!((stats.sinks[0].events, stats.sinks[0].delivered), (3, 3));
    assert_eq!((stats.sinks[1].events, stats.sinks[1].delivered), (4, 4));
    assert!(warnings.lock().unwrap().is_empty(), "{warnings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_429_are_retried_other_4xx_are_not() {
    let server = HookServer::start();
    // Event 0: 500, 429, then 200. Event 1: 404, given up at once. Event 2: 200.
    server.script(&[500, 429, 200, 404, 200]);
    let (warnings, on_warning) = collector();
    let n = Notifier::with_options(
        &[webhook(server.url())],
        fast(3, Duration::from_secs(5)),
        on_warning,
    )
    .unwrap();
    let events: Vec<EventRecord> = (0..3).map(event).collect();
    for e in &events {
        n.on_event(e);
    }
    assert!(n.flush(Duration::from_secs(20)).await, "{:?}", n.stats());

    let bodies: Vec<String> = server.seen().into_iter().map(|s| s.body).collect();
    let j: Vec<String> = events.iter().map(EventRecord::to_json).collect();
    assert_eq!(
        bodies,
        [&j[0], &j[0], &j[0], &j[1], &j[2]].map(String::clone)
    );
    let st = one_sink(&n.stats());
    assert_eq!((st.delivered, st.failed, st.pending), (2, 1, 0));
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let expected_start = format!(
        "notification to webhook http://{}/(redacted) failed: HTTP 404 (not retried)",
        server.addr
    );
    assert!(warnings[0].starts_with(&expected_start), "{warnings:?}");
    assert_clean("the warning", &warnings[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_give_up_is_reported_once_until_the_sink_delivers_again() {
    let server = HookServer::start();
    // Event 0: three 500s (given up, reported). Event 1: one attempt only, 500 (counted, not
    // reported). Event 2: 200 (recovered). Event 3: three 503s (reported again).
    server.script(&[500, 500, 500, 500, 200, 503, 503, 503]);
    let (warnings, on_warning) = collector();
    let n = Notifier::with_options(
        &[webhook(server.url())],
        fast(3, Duration::from_secs(5)),
        on_warning,
    )
    .unwrap();
    for i in 0..5 {
        n.on_event(&event(i));
    }
    assert!(n.flush(Duration::from_secs(20)).await, "{:?}", n.stats());

    let order: Vec<u64> = server
        .seen()
        .iter()
        .map(|s| serde_json::from_str::<EventRecord>(&s.body).unwrap().at_ms - 1_000)
        .collect();
    assert_eq!(order, [0, 0, 0, 1, 2, 3, 3, 3, 4]);
    let st = one_sink(&n.stats());
    assert_eq!((st.delivered, st.failed), (2, 3));
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("failed: HTTP 500 after 3 attempts"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("failed: HTTP 503 after 3 attempts"),
        "{warnings:?}"
    );
    for w in &warnings {
        assert_clean("a warning", w);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_sink_never_blocks_on_event() {
    let server = HookServer::start();
    server.hang();
    let (warnings, on_warning) = collector();
    let n = Notifier::with_options(
        &[webhook(server.url())],
        fast(2, Duration::from_millis(500)),
        on_warning,
    )
    .unwrap();
    for i in 0..100 {
        n.on_event(&event(i));
    }
    // All 100 were taken while the sink held at most the first request unanswered: on_event
    // did not wait for it.
    let st = one_sink(&n.stats());
    assert_eq!(st.events, 100);
    assert_eq!(st.delivered, 0);
    assert!(server.seen().len() <= 1, "{}", server.seen().len());

    let settled = n.flush(Duration::from_secs(3)).await;
    assert!(!settled, "a hanging sink cannot have settled 100 events");
    let st = one_sink(&n.stats());
    assert_eq!(st.delivered, 0, "{st:?}");
    assert!(st.failed >= 1 && st.pending >= 1, "{st:?}");
    assert_eq!(st.failed + st.pending + st.dropped, 100, "{st:?}");
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "reported once: {warnings:?}");
    assert!(
        warnings[0].contains(&format!("webhook http://{}/(redacted)", server.addr))
            && warnings[0].contains("no answer within 500ms after 2 attempts"),
        "{warnings:?}"
    );
    assert_clean("the warning", &warnings[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_and_counts_instead_of_waiting() {
    let server = HookServer::start();
    server.hang();
    let (warnings, on_warning) = collector();
    let options = NotifyOptions {
        queue_capacity: 4,
        ..fast(1, Duration::from_secs(30))
    };
    let n = Notifier::with_options(&[webhook(server.url())], options, on_warning).unwrap();
    for i in 0..100 {
        n.on_event(&event(i));
    }
    let st = one_sink(&n.stats());
    assert_eq!(st.events, 100);
    // At most 4 queued and 1 being sent.
    assert!(st.dropped >= 95, "{st:?}");
    assert_eq!(st.dropped + st.pending, 100, "{st:?}");
    assert!(!n.flush(Duration::from_millis(200)).await);
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("queue of 4 events is full"),
        "{warnings:?}"
    );
    assert_clean("the warning", &warnings[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_every_event_and_warns_once_without_the_url() {
    let url = refused_url();
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let (warnings, on_warning) = collector();
    let n = Notifier::with_options(&[webhook(url)], fast(3, Duration::from_secs(5)), on_warning)
        .unwrap();
    for i in 0..100 {
        n.on_event(&event(i));
    }
    assert!(n.flush(Duration::from_secs(30)).await, "{:?}", n.stats());
    let st = one_sink(&n.stats());
    assert_eq!(
        (st.events, st.delivered, st.failed, st.pending),
        (100, 0, 100, 0)
    );
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_clean("the warning", &warnings[0]);
    assert!(
        warnings[0].starts_with(&format!(
            "notification to webhook http://{addr}/(redacted) failed: cannot connect \
             (connection refused) after 3 attempts"
        )),
        "{warnings:?}"
    );
}

#[test]
fn without_a_runtime_events_count_as_failed_and_one_warning_says_why() {
    let (warnings, on_warning) = collector();
    let sinks = [
        webhook(refused_url()),
        NotifySink::Slack {
            webhook_url: refused_url(),
        },
    ];
    let n = Notifier::new(&sinks, on_warning).unwrap();
    for i in 0..3 {
        n.on_event(&event(i));
    }
    let stats = n.stats();
    for s in &stats.sinks {
        assert_eq!((s.events, s.failed, s.pending), (3, 3, 0), "{stats:?}");
    }
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("no tokio runtime"), "{warnings:?}");
    assert_clean("the warning", &warnings[0]);
}

#[test]
fn debug_and_errors_hide_urls_and_header_values() {
    let (_, on_warning) = collector();
    let sinks = [
        NotifySink::Webhook {
            url: format!(
                "https://user:{PATH_SECRET}@hooks.example.com/x/{PATH_SECRET}?t={QUERY_SECRET}"
            ),
            headers: [("Authorization".to_owned(), HEADER_SECRET.to_owned())].into(),
        },
        NotifySink::Slack {
            webhook_url: format!("https://hooks.slack.com/services/{PATH_SECRET}"),
        },
    ];
    let n = Notifier::new(&sinks, on_warning.clone()).unwrap();
    let debug = format!("{n:?}");
    assert_clean("Debug", &debug);
    assert!(
        debug.contains("hooks.example.com")
            && debug.contains("hooks.slack.com")
            && debug.contains("Authorization"),
        "{debug}"
    );
    let stats = serde_json::to_string(&n.stats()).unwrap();
    assert_clean("the stats", &stats);

    let bad_value = [NotifySink::Webhook {
        url: "https://hooks.example.com/x".into(),
        headers: [("X-Key".to_owned(), format!("{HEADER_SECRET}\n"))].into(),
    }];
    let err = Notifier::new(&bad_value, on_warning.clone()).unwrap_err();
    assert_eq!(err.kind(), dynoshift::ErrorKind::InvalidInput);
    assert_clean("the error", &format!("{err} {err:?}"));
    assert!(err.to_string().contains("X-Key"), "{err}");

    let bad_url = [NotifySink::Slack {
        webhook_url: format!("ftp://{PATH_SECRET}"),
    }];
    let err = Notifier::new(&bad_url, on_warning).unwrap_err();
    assert_clean("the error", &format!("{err} {err:?}"));
}

/// Everything written at TRACE while sinks deliver, fail and give up (a current-thread
/// runtime, so the delivery tasks log through this thread's subscriber).
#[test]
fn logs_at_trace_hold_no_url_or_header_value() {
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
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = HookServer::start();
    server.script(&[500, 500, 200]);
    let (warnings, on_warning) = collector();
    let sinks = [webhook(server.url()), webhook(refused_url())];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let n =
            Notifier::with_options(&sinks, fast(2, Duration::from_secs(5)), on_warning).unwrap();
        for i in 0..3 {
            n.on_event(&event(i));
        }
        assert!(n.flush(Duration::from_secs(20)).await, "{:?}", n.stats());
        let stats = n.stats();
        assert_eq!(stats.sinks[0].delivered, 2, "{stats:?}");
        assert_eq!(stats.sinks[1].failed, 3, "{stats:?}");
    });
    drop(runtime);
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("notification given up"), "{logs}");
    assert_clean("the logs", &logs);
    assert_eq!(warnings.lock().unwrap().len(), 2, "{warnings:?}");
}

//! `dynoshift drain serve` for real: the CLI process on loopback, Heroku-shaped POSTs (the
//! headers and octet-counted bodies Logplex sends), SIGKILL mid-stream and restarts with
//! nothing acknowledged lost and nothing counted twice, bad auth, oversized and garbage bodies,
//! HTTPS, and `size --profiles URL` against the receiver.

#[path = "support/cli.rs"]
mod cli;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

const APP: &str = "d.0e3a1b2c-4d5e-4f60-8a7b-9c0d1e2f3a4b";

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(state: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
            .args(["drain", "serve", "--listen", "127.0.0.1:0", "--state"])
            .arg(state)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the CLI starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the CLI prints its address");
        let url = line
            .trim()
            .strip_prefix("dynoshift drain: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { child, url }
    }

    fn base(&self) -> String {
        self.url.trim_end_matches("/drain").to_owned()
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("client")
}

/// One octet-counted frame as Heroku writes it (the count includes the trailing LF).
fn frame(ts: &str, proc_: &str, msg: &str) -> String {
    let f = format!("<158>1 {ts} host app {proc_} - {msg}\n");
    format!("{} {f}", f.len())
}

/// Batch `k` of a stream: router lines and runtime metrics of two dynos, 1 to 12 frames.
fn batch(k: usize) -> (String, usize) {
    let n = 1 + (k * 7) % 12;
    let mut body = String::new();
    for j in 0..n {
        let s = k * 12 + j;
        let ts = format!(
            "2024-03-01T{:02}:{:02}:{:02}.{:03}+00:00",
            10 + s / 3600,
            (s / 60) % 60,
            s % 60,
            (s * 37) % 1000
        );
        let dyno = if s.is_multiple_of(2) {
            "web.1"
        } else {
            "web.2"
        };
        let msg = if s.is_multiple_of(5) {
            frame(
                &ts,
                dyno,
                &format!(
                    "source={dyno} dyno=heroku.1.a sample#memory_total={}.5MB sample#memory_rss=100MB sample#memory_quota=512MB",
                    200 + s % 97
                ),
            )
        } else if s % 5 == 1 {
            frame(
                &ts,
                dyno,
                &format!(
                    "source={dyno} dyno=heroku.1.a sample#load_avg_1m={}.25",
                    s % 3
                ),
            )
        } else {
            frame(
                &ts,
                "router",
                &format!(
                    "at=info method=GET path=/p host=app.example request_id=r{s} fwd=\"1.2.3.4\" dyno={dyno} connect=1ms service={}ms status=200 bytes=42 protocol=https",
                    5 + (s * 13) % 300
                ),
            )
        };
        body.push_str(&msg);
    }
    (body, n)
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    k: usize,
    body: &str,
    count: usize,
) -> reqwest::Result<reqwest::Response> {
    c.post(url)
        .header("Content-Type", "application/logplex-1")
        .header("Logplex-Msg-Count", count.to_string())
        .header("Logplex-Frame-Id", format!("frame-{k:04}"))
        .header("Logplex-Drain-Token", APP)
        .header("User-Agent", "Logplex/v123")
        .basic_auth("logplex", Some("s3cret"))
        .body(body.to_owned())
        .send()
        .await
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dynoshift-drain-{name}-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn profiles_of(c: &reqwest::Client, s: &Server) -> serde_json::Value {
    let r = c
        .get(format!("{}/profiles/{APP}", s.base()))
        .basic_auth("logplex", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn metric(c: &reqwest::Client, s: &Server, name: &str) -> f64 {
    let text = c
        .get(format!("{}/metrics", s.base()))
        .basic_auth("logplex", Some("s3cret"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("{name}{{app=\"{APP}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
        .parse()
        .unwrap()
}

/// The stream is sent three times over: each time the receiver is SIGKILLed while a batch is
/// in flight, restarted on the same state, and sent everything from the batch before the first
/// unacknowledged one (a retry of an acknowledged batch included). In the end the receiver's
/// profile is byte for byte `dynoshift ingest --json` of every batch once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_nothing_acknowledged_and_counts_nothing_twice() {
    let state = temp("kill");
    let auth = ["--auth", "logplex:s3cret", "--checkpoint-every", "7"];
    let c = client();
    const N: usize = 90;
    let batches: Vec<(String, usize)> = (0..N).map(batch).collect();
    let mut next = 0; // the first batch not yet acknowledged
    let mut rng = fastrand::Rng::with_seed(17);
    for round in 0..3 {
        let server = Server::start(&state, &auth);
        let kill_after = next + 10 + rng.usize(0..15);
        let pid = server.child.id();
        let start = next.saturating_sub(1); // one acknowledged batch sent again: a retry
        let mut killer = None;
        for (k, (body, n)) in batches.iter().enumerate().skip(start) {
            match post(&c, &server.url, k, body, *n).await {
                Ok(r) if r.status().is_success() => next = next.max(k + 1),
                Ok(r) => panic!("batch {k}: unexpected {}", r.status()),
                Err(_) => break, // killed: not acknowledged
            }
            if k + 1 == kill_after {
                // SIGKILL from another thread while the next batches are being sent.
                let delay = rng.u64(0..3);
                killer = Some(std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(delay));
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }));
            }
        }
        if let Some(k) = killer {
            k.join().unwrap();
        }
        drop(server); // reaped
        assert!(
            next < N,
            "round {round}: the kill came after the whole stream"
        );
    }
    let server = Server::start(&state, &auth);
    for (k, (body, n)) in batches.iter().enumerate().skip(next.saturating_sub(3)) {
        let r = post(&c, &server.url, k, body, *n).await.unwrap();
        assert!(r.status().is_success(), "batch {k}: {}", r.status());
    }
    let got = profiles_of(&c, &server).await;

    let all = state.join("all-batches.log");
    std::fs::write(
        &all,
        batches.iter().map(|(b, _)| b.as_str()).collect::<String>(),
    )
    .unwrap();
    let (code, out, err) = cli::dynoshift(&["ingest", all.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let want: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        got, want,
        "the receiver's profile differs from one ingest of every batch once"
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_batches_total").await,
        N as f64
    );
    let frames: usize = batches.iter().map(|(_, n)| n).sum();
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_frames_total").await,
        frames as f64
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_count_mismatches_total").await,
        0.0
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_unparsed_total").await,
        0.0
    );
    assert!(metric(&c, &server, "dynoshift_drain_duplicate_batches_total").await >= 1.0);
    server.kill();
    std::fs::remove_dir_all(&state).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_auth_oversized_and_garbage_bodies_are_refused_and_lose_nothing() {
    let state = temp("refuse");
    let server = Server::start(&state, &["--auth", "logplex:s3cret", "--max-body", "4000"]);
    let c = client();
    let (good, n) = batch(3);
    assert_eq!(
        post(&c, &server.url, 1, &good, n).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );

    let bare = |auth: Option<&str>| {
        let mut r = c
            .post(&server.url)
            .header("Content-Type", "application/logplex-1")
            .header("Logplex-Drain-Token", APP)
            .body(good.clone());
        if let Some(pw) = auth {
            r = r.basic_auth("logplex", Some(pw));
        }
        r.send()
    };
    let r = bare(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(
        bare(Some("wrong")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let r = c
        .get(format!("{}/profiles", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "profiles need the credentials too"
    );
    let r = c
        .get(format!("{}/healthz", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "healthz does not");

    let big = frame("2024-03-01T10:00:00+00:00", "web.1", &"x".repeat(5000));
    assert_eq!(
        post(&c, &server.url, 2, &big, 1).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for garbage in [
        "",
        "hello world",
        "{\"logs\": []}",
        "<158>1 2024-03-01T10:00:00+00:00 h a b - no count",
    ] {
        let r = post(&c, &server.url, 3, garbage, 1).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{garbage:?}");
    }
    // Random bytes (some of them looking like a count) never bring the server down; what is
    // accepted is counted, unparsed where it must be.
    let mut rng = fastrand::Rng::with_seed(5);
    for k in 0..200u32 {
        let mut body: Vec<u8> = (0..rng.usize(0..300)).map(|_| rng.u8(..)).collect();
        if k.is_multiple_of(2) {
            body.splice(0..0, b"12 <1".iter().copied());
        }
        let r = c
            .post(&server.url)
            .header("Content-Type", "application/logplex-1")
            .header("Logplex-Frame-Id", format!("rand-{k}"))
            .basic_auth("logplex", Some("s3cret"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 204 | 400), "{}", r.status());
    }
    // A count that does not match the frames is counted, and the batch kept.
    let (good2, n2) = batch(4);
    assert_eq!(
        post(&c, &server.url, 4, &good2, n2 + 1)
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_count_mismatches_total").await,
        1.0
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_batches_total").await,
        2.0
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_frames_total").await,
        (n + n2) as f64
    );
    let r = c
        .get(format!("{}/healthz", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.kill();
    std::fs::remove_dir_all(&state).unwrap();
}

/// The receiver's profiles feed `size --profiles URL` (credentials in the URL) to the same
/// sizing as `size --logs` of the same frames; and a saved file works the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_from_the_receivers_profiles_equals_size_from_logs() {
    let state = temp("size");
    let server = Server::start(&state, &["--auth", "logplex:s3cret"]);
    let c = client();
    let batches: Vec<(String, usize)> = (0..40).map(batch).collect();
    for (k, (body, n)) in batches.iter().enumerate() {
        assert!(
            post(&c, &server.url, k, body, *n)
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    let log = state.join("frames.log");
    std::fs::write(
        &log,
        batches.iter().map(|(b, _)| b.as_str()).collect::<String>(),
    )
    .unwrap();
    let formation = format!(
        "{}/../tests/fixtures/formation-sample.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let url =
        format!("{}/profiles/{APP}", server.base()).replace("http://", "http://logplex:s3cret@");
    let from_logs = cli::dynoshift(&[
        "size",
        "--formation",
        &formation,
        "--logs",
        log.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(from_logs.0, 0, "{}", from_logs.2);
    let from_url = cli::dynoshift(&[
        "size",
        "--formation",
        &formation,
        "--profiles",
        &url,
        "--json",
    ]);
    assert_eq!(from_url.0, 0, "{}", from_url.2);
    assert_eq!(from_url.1, from_logs.1);
    let plan = cli::dynoshift(&[
        "plan",
        "--formation",
        &formation,
        "--profiles",
        &url,
        "--json",
    ]);
    assert_eq!(plan.0, 0, "{}", plan.2);

    let saved = state.join("profiles.json");
    let (code, out, err) = cli::dynoshift(&["ingest", log.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&saved, out).unwrap();
    let from_file = cli::dynoshift(&[
        "size",
        "--formation",
        &formation,
        "--profiles",
        saved.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(from_file.1, from_logs.1);

    let wrong = url.replace("s3cret", "nope");
    let (code, _, err) = cli::dynoshift(&["size", "--formation", &formation, "--profiles", &wrong]);
    assert_eq!(code, 7, "unauthorized: {err}");
    assert!(!err.contains("nope"), "the password is not shown: {err}");
    server.kill();
    std::fs::remove_dir_all(&state).unwrap();
}

/// HTTPS with a PEM certificate (made by openssl here) and rustls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_a_pem_certificate() {
    let state = temp("tls");
    // A CA and a server certificate it signs (webpki refuses a CA certificate as the server's).
    let p = |name: &str| state.join(name).to_str().unwrap().to_owned();
    let (ca, cert, key) = (p("ca.pem"), p("cert.pem"), p("key.pem"));
    let (ca_key, csr, ext) = (p("ca.key"), p("req.csr"), p("ext.cnf"));
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=test CA",
                "-keyout",
                &ca_key,
                "-out",
                &ca,
            ],
        ]
        .concat(),
        [
            &["req"][..],
            &ec,
            &["-subj", "/CN=localhost", "-keyout", &key, "-out", &csr],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ];
    for args in steps {
        let made = Command::new("openssl")
            .args(&args)
            .stderr(Stdio::null())
            .status()
            .expect("openssl makes the test certificates");
        assert!(made.success(), "openssl {args:?}");
    }
    let server = Server::start(
        &state.join("state"),
        &[
            "--auth",
            "logplex:s3cret",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .build()
        .unwrap();
    let (body, n) = batch(1);
    assert_eq!(
        post(&c, &server.url, 1, &body, n).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        metric(&c, &server, "dynoshift_drain_frames_total").await,
        n as f64
    );
    server.kill();
    std::fs::remove_dir_all(&state).unwrap();
}

mod otlp {
    //! OTLP/HTTP metrics (what Fir's telemetry drains send) built with the OpenTelemetry
    //! protocol crate's own types, POSTed over loopback in protobuf and JSON, gzip or not.

    use super::*;
    use opentelemetry_proto::tonic::collector::metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
    };
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::metrics::v1::{
        AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
        ResourceMetrics, ScopeMetrics, Sum, metric::Data, number_data_point,
    };
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use prost::Message;

    /// 2024-03-01T10:00:00Z in ns, and a minute.
    const T0: u64 = 1_709_287_200_000_000_000;
    const MIN: u64 = 60_000_000_000;
    const DYNO: &str = "web-6d4f8b7c9d-x7k2p";

    fn kv(k: &str, v: any_value::Value) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    fn s(v: &str) -> any_value::Value {
        any_value::Value::StringValue(v.into())
    }

    fn point(attrs: Vec<KeyValue>, start: u64, time: u64, v: f64) -> NumberDataPoint {
        NumberDataPoint {
            attributes: attrs,
            start_time_unix_nano: start,
            time_unix_nano: time,
            value: Some(number_data_point::Value::AsDouble(v)),
            ..Default::default()
        }
    }

    fn metric(name: &str, unit: &str, data: Data) -> Metric {
        Metric {
            name: name.into(),
            unit: unit.into(),
            data: Some(data),
            ..Default::default()
        }
    }

    fn export(resource: Vec<KeyValue>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Resource {
                    attributes: resource,
                    ..Default::default()
                }),
                scope_metrics: vec![ScopeMetrics {
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    /// Export k (k = 1, 2) of a Fir web dyno: memory, cumulative CPU time by mode, cumulative
    /// request durations (s), and a metric no rule maps.
    fn fir_export(k: u64, app: &str) -> ExportMetricsServiceRequest {
        let start = T0; // the process started at T0: its first export counts from there
        let t = T0 + k * MIN;
        let cpu = |mode: &str, v: f64| point(vec![kv("cpu.mode", s(mode))], start, t, v);
        let hist = HistogramDataPoint {
            attributes: vec![
                kv("http.response.status_code", any_value::Value::IntValue(200)),
                kv("http.route", s("/p")),
            ],
            start_time_unix_nano: start,
            time_unix_nano: t,
            // Cumulative: 15 requests by minute 1, 32 by minute 2.
            count: [15, 32][k as usize - 1],
            sum: Some([0.9, 2.6][k as usize - 1]),
            bucket_counts: [vec![10, 5, 0, 0], vec![20, 10, 2, 0]][k as usize - 1].clone(),
            explicit_bounds: vec![0.05, 0.1, 0.5],
            ..Default::default()
        };
        export(
            vec![kv("service.name", s(app)), kv("host.name", s(DYNO))],
            vec![
                metric(
                    "process.memory.usage",
                    "By",
                    Data::Gauge(Gauge {
                        data_points: vec![point(vec![], 0, t, (280 + 20 * k) as f64 * 1048576.0)],
                    }),
                ),
                metric(
                    "process.cpu.time",
                    "s",
                    Data::Sum(Sum {
                        // 0.15 cores each minute: 6 s user + 3 s system per 60 s.
                        data_points: vec![
                            cpu("user", 6.0 * k as f64),
                            cpu("system", 3.0 * k as f64),
                        ],
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                        is_monotonic: true,
                    }),
                ),
                metric(
                    "http.server.request.duration",
                    "s",
                    Data::Histogram(Histogram {
                        data_points: vec![hist],
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    }),
                ),
                metric(
                    "runtime.uptime",
                    "s",
                    Data::Gauge(Gauge {
                        data_points: vec![point(vec![], 0, t, 60.0)],
                    }),
                ),
            ],
        )
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    async fn send(
        c: &reqwest::Client,
        s: &Server,
        path: &str,
        content_type: &str,
        gz: bool,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut r = c
            .post(format!("{}{path}", s.base()))
            .header("Content-Type", content_type)
            .basic_auth("logplex", Some("s3cret"));
        let body = if gz {
            r = r.header("Content-Encoding", "gzip");
            gzip(&body)
        } else {
            body
        };
        r.body(body).send().await.unwrap()
    }

    /// Export 2 as OTLP/JSON written by hand the way the specification shows it (ids as
    /// strings, 64-bit integers as strings, enums as numbers), not through the crate's serde.
    fn fir_export_2_json(app: &str) -> String {
        let t = T0 + 2 * MIN;
        format!(
            r#"{{"resourceMetrics":[{{"resource":{{"attributes":[
              {{"key":"service.name","value":{{"stringValue":"{app}"}}}},
              {{"key":"host.name","value":{{"stringValue":"{DYNO}"}}}}]}},
             "scopeMetrics":[{{"scope":{{"name":"heroku"}},"metrics":[
              {{"name":"process.memory.usage","unit":"By","gauge":{{"dataPoints":[
                {{"timeUnixNano":"{t}","asDouble":335544320}}]}}}},
              {{"name":"process.cpu.time","unit":"s","sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
                {{"attributes":[{{"key":"cpu.mode","value":{{"stringValue":"user"}}}}],"startTimeUnixNano":"{T0}","timeUnixNano":"{t}","asDouble":12.0}},
                {{"attributes":[{{"key":"cpu.mode","value":{{"stringValue":"system"}}}}],"startTimeUnixNano":"{T0}","timeUnixNano":"{t}","asDouble":6.0}}]}}}},
              {{"name":"http.server.request.duration","unit":"s","histogram":{{"aggregationTemporality":2,"dataPoints":[
                {{"attributes":[{{"key":"http.response.status_code","value":{{"intValue":"200"}}}},{{"key":"http.route","value":{{"stringValue":"/p"}}}}],
                  "startTimeUnixNano":"{T0}","timeUnixNano":"{t}","count":"32","sum":2.6,
                  "bucketCounts":["20","10","2","0"],"explicitBounds":[0.05,0.1,0.5]}}]}}}},
              {{"name":"runtime.uptime","unit":"s","gauge":{{"dataPoints":[{{"timeUnixNano":"{t}","asInt":"120"}}]}}}}
             ]}}]}}]}}"#
        )
    }

    async fn app_profile(c: &reqwest::Client, s: &Server, app: &str) -> serde_json::Value {
        let r = c
            .get(format!("{}/profiles/{app}", s.base()))
            .basic_auth("logplex", Some("s3cret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// Two exports (protobuf + gzip, then hand-written JSON), each sent again (as is, and in
    /// the other encoding): counted once, in the profile GET /profiles serves, and the same
    /// after a SIGKILL and a restart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn otlp_exports_land_in_the_profiles_once_and_survive_a_kill() {
        let state = temp("otlp");
        let auth = ["--auth", "logplex:s3cret"];
        let server = Server::start(&state, &auth);
        let c = client();
        let one = fir_export(1, APP).encode_to_vec();
        let r = send(
            &c,
            &server,
            "/v1/metrics",
            "application/x-protobuf",
            true,
            one.clone(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/x-protobuf");
        let reply = ExportMetricsServiceResponse::decode(r.bytes().await.unwrap()).unwrap();
        assert_eq!(reply, ExportMetricsServiceResponse::default());
        let two = fir_export_2_json(APP).into_bytes();
        let r = send(
            &c,
            &server,
            "/v1/metrics",
            "application/json",
            false,
            two.clone(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "{}");
        // Retries: the same bytes, and the same export in the other encoding.
        let again = [
            ("application/x-protobuf", false, one.clone()),
            ("application/json", true, two.clone()),
            (
                "application/json",
                false,
                serde_json::to_vec(&fir_export(1, APP)).unwrap(),
            ),
        ];
        for (ct, gz, body) in again {
            let r = send(&c, &server, "/v1/metrics", ct, gz, body).await;
            assert_eq!(r.status(), StatusCode::OK, "{ct}");
        }

        let p = app_profile(&c, &server, APP).await;
        let web = &p["process_types"]["web"];
        assert_eq!(web["memory"]["samples"], 2, "{web:#}");
        assert_eq!(web["memory"]["total_mb"]["max"], 320.0);
        assert_eq!(web["memory"]["total_mb"]["min"], 300.0);
        assert_eq!(web["load_samples"], 2);
        let load = web["load_avg_1m"]["mean"].as_f64().unwrap();
        assert!((load - 0.15).abs() < 1e-9, "{load}");
        let router = &web["router"];
        assert_eq!(router["requests"], 32);
        assert_eq!(router["status_classes"]["2xx"], 32);
        assert_eq!(router["minutes"], 2);
        // Minute 1: 15 requests in 0.9 s; minute 2: 17 in 1.7 s.
        let served = router["service_ms"]["count"].as_u64().unwrap();
        assert_eq!(served, 32);
        assert!(web["dynos"][DYNO].is_object(), "{web:#}");
        assert_eq!(p["span"]["start"], "2024-03-01T10:01:00.000Z");
        assert_eq!(p["span"]["end"], "2024-03-01T10:02:00.000Z");
        assert_eq!(
            super::metric(&c, &server, "dynoshift_drain_otlp_exports_total").await,
            2.0
        );
        // 4 memory + CPU points... per export: 1 memory, 2 CPU, 1 histogram used; 1 unmapped.
        assert_eq!(
            super::metric(&c, &server, "dynoshift_drain_otlp_points_total").await,
            8.0
        );
        assert_eq!(
            super::metric(&c, &server, "dynoshift_drain_otlp_ignored_points_total").await,
            2.0
        );
        assert_eq!(
            super::metric(&c, &server, "dynoshift_drain_duplicate_batches_total").await,
            3.0
        );

        server.kill();
        let server = Server::start(&state, &auth);
        assert_eq!(
            app_profile(&c, &server, APP).await,
            p,
            "replayed from the batch log"
        );
        // A cumulative point already seen adds nothing even under another identity (an
        // export re-batched by a collector): here, export 2 with one more resource attribute.
        let mut twice = fir_export(1, APP);
        twice.resource_metrics[0]
            .resource
            .as_mut()
            .unwrap()
            .attributes
            .push(kv("collector", s("b")));
        let r = send(
            &c,
            &server,
            "/v1/metrics",
            "application/x-protobuf",
            false,
            twice.encode_to_vec(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let after = app_profile(&c, &server, APP).await;
        assert_eq!(
            after["process_types"]["web"]["router"],
            p["process_types"]["web"]["router"]
        );
        assert_eq!(after["process_types"]["web"]["load_samples"], 2);
        std::fs::remove_dir_all(&state).unwrap();
    }

    /// Bodies that are not exports get 400 (wrong types 415, too big 413) and take nothing
    /// already accepted with them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_otlp_bodies_are_refused_and_lose_nothing() {
        let state = temp("otlp-bad");
        let server = Server::start(&state, &["--auth", "logplex:s3cret", "--max-body", "20000"]);
        let c = client();
        let path = format!("/otlp/{APP}/v1/metrics");
        let one = fir_export(1, "ignored-when-the-url-names-the-app").encode_to_vec();
        let r = send(&c, &server, &path, "application/x-protobuf", false, one).await;
        assert_eq!(r.status(), StatusCode::OK);
        let before = app_profile(&c, &server, APP).await;
        assert_eq!(before["process_types"]["web"]["memory"]["samples"], 1);

        let garbage: Vec<(&str, bool, Vec<u8>, StatusCode)> = vec![
            (
                "application/x-protobuf",
                false,
                vec![0xff; 64],
                StatusCode::BAD_REQUEST,
            ),
            (
                "application/json",
                false,
                b"{\"resourceMetrics\": 3}".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "application/json",
                false,
                b"not json".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "application/x-protobuf",
                true,
                Vec::new(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "text/plain",
                false,
                b"x".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            // 2 MB of zeros inflate past 16 x --max-body.
            (
                "application/x-protobuf",
                true,
                vec![0; 2_000_000],
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                "application/x-protobuf",
                false,
                vec![0; 30_000],
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ];
        for (i, (ct, gz, body, want)) in garbage.into_iter().enumerate() {
            let mut req = c
                .post(format!("{}{path}", server.base()))
                .header("Content-Type", ct)
                .basic_auth("logplex", Some("s3cret"));
            let body = if gz && i == 3 {
                // Claims gzip, is not.
                req = req.header("Content-Encoding", "gzip");
                b"plain".to_vec()
            } else if gz {
                req = req.header("Content-Encoding", "gzip");
                gzip(&body)
            } else {
                body
            };
            let r = req.body(body).send().await.unwrap();
            assert_eq!(r.status(), want, "case {i}");
        }
        assert_eq!(app_profile(&c, &server, APP).await, before);
        let two = fir_export(2, "x").encode_to_vec();
        let r = send(&c, &server, &path, "application/x-protobuf", false, two).await;
        assert_eq!(r.status(), StatusCode::OK);
        let after = app_profile(&c, &server, APP).await;
        assert_eq!(after["process_types"]["web"]["memory"]["samples"], 2);
        std::fs::remove_dir_all(&state).unwrap();
    }

    /// `--otlp-map FILE`: a metric and resource attributes of the app's own choosing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_map_file_maps_other_names() {
        let state = temp("otlp-map");
        let map = state.join("map.json");
        std::fs::write(
            &map,
            r#"{"metrics": [{"name": "app.rss", "series": "memory", "unit": "MiBy"},
                            {"name": "app.cores", "series": "cpu", "scale": 2}],
                "dyno_attributes": ["my.dyno"],
                "process_type_attributes": ["my.type"]}"#,
        )
        .unwrap();
        let custom = export(
            vec![
                kv("service.name", s("custom")),
                kv("my.dyno", s("jobs-a")),
                kv("my.type", s("worker")),
            ],
            vec![
                metric(
                    "app.rss",
                    "",
                    Data::Gauge(Gauge {
                        data_points: vec![point(vec![], 0, T0, 123.0)],
                    }),
                ),
                metric(
                    "app.cores",
                    "1",
                    Data::Gauge(Gauge {
                        data_points: vec![point(vec![], 0, T0, 0.25)],
                    }),
                ),
            ],
        )
        .encode_to_vec();
        let auth = ["--auth", "logplex:s3cret"];
        // Without the map, nothing of it is used.
        let plain = Server::start(&state.join("plain"), &auth);
        let c = client();
        let r = send(
            &c,
            &plain,
            "/v1/metrics",
            "application/x-protobuf",
            false,
            custom.clone(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let p = app_profile(&c, &plain, "custom").await;
        assert_eq!(p["process_types"], serde_json::json!({}), "{p:#}");
        drop(plain);

        let mapped = Server::start(
            &state.join("mapped"),
            &[
                "--auth",
                "logplex:s3cret",
                "--otlp-map",
                map.to_str().unwrap(),
            ],
        );
        let r = send(
            &c,
            &mapped,
            "/v1/metrics",
            "application/x-protobuf",
            false,
            custom,
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let p = app_profile(&c, &mapped, "custom").await;
        let worker = &p["process_types"]["worker"];
        assert_eq!(worker["memory"]["total_mb"]["max"], 123.0, "{p:#}");
        assert_eq!(worker["load_avg_1m"]["max"], 0.5);
        assert!(worker["dynos"]["jobs-a"].is_object());
        drop(mapped);

        std::fs::write(&map, r#"{"metrics": [{"name": "x", "series": "disk"}]}"#).unwrap();
        let (code, _, err) = cli::dynoshift(&[
            "drain",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state",
            state.join("bad").to_str().unwrap(),
            "--otlp-map",
            map.to_str().unwrap(),
        ]);
        assert_ne!(code, 0);
        assert!(
            err.contains("map.json") && err.contains("metrics[0].series"),
            "{err}"
        );
        std::fs::remove_dir_all(&state).unwrap();
    }
}

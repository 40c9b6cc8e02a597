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

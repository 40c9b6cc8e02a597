//! Route53 without AWS credentials, and with an endpoint URL that is not one: the CLI says what
//! to do — `unauthorized` (exit 7) naming the variables to set, at once (no retries), without
//! the AWS SDK's credential-chain warnings at the default log level — and refuses a schemeless
//! `--endpoint-url` as `invalid_input` (exit 2) before sending anything.
#![cfg(feature = "cli")]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cutover-plan.json"
);

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An empty HOME (no ~/.aws), removed on drop.
struct EmptyHome(PathBuf);

impl EmptyHome {
    fn new(tag: &str) -> EmptyHome {
        let dir = std::env::temp_dir().join(format!(
            "dynoshift-no-credentials-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        EmptyHome(dir)
    }
}

impl Drop for EmptyHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `dynoshift ARGS` with no AWS_* variable, an empty HOME and `env`; (exit code, stderr, time).
fn without_credentials(
    home: &EmptyHome,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .envs(env.iter().copied())
        .output()
        .expect("the CLI runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

const NO_CREDENTIALS: &str =
    "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";

#[test]
fn missing_credentials_are_unauthorized_at_once() {
    let home = EmptyHome::new("disabled");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let (code, stderr, took) = without_credentials(
        &home,
        &[("AWS_EC2_METADATA_DISABLED", "true")],
        &[
            "cutover",
            "preflight",
            "--plan",
            PLAN,
            "--endpoint-url",
            &endpoint,
        ],
    );
    assert_eq!(code, Some(7), "unauthorized: {stderr}");
    assert!(stderr.contains("error [unauthorized]"), "{stderr}");
    assert!(stderr.contains(NO_CREDENTIALS), "{stderr}");
    assert!(!stderr.contains("gave up after"), "no retries: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line, no SDK dump: {stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// A stand-in instance metadata service that refuses every request with 403 (what a network
/// that blocks 169.254.169.254 answers): the SDK's last credential provider fails loudly.
fn forbidding_imds() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let body = "resolve_deny: denied destination";
            let _ = write!(
                conn,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn missing_credentials_where_the_instance_metadata_service_is_blocked() {
    let home = EmptyHome::new("imds");
    let imds = forbidding_imds();
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let args = [
        "cutover",
        "preflight",
        "--plan",
        PLAN,
        "--endpoint-url",
        &endpoint,
    ];
    let env = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.as_str())];
    let (code, stderr, took) = without_credentials(&home, &env, &args);
    assert_eq!(code, Some(7), "unauthorized: {stderr}");
    assert!(stderr.contains(NO_CREDENTIALS), "{stderr}");
    assert!(!stderr.contains("gave up after"), "no retries: {stderr}");
    assert!(
        !stderr.contains("aws_config") && !stderr.contains("WARN"),
        "no credential-chain warnings at the default level: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // -v shows what the SDK tried
    let verbose = [&args[..], &["-v"]].concat();
    let (code, stderr, _) = without_credentials(&home, &env, &verbose);
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains("aws_config"), "{stderr}");
}

#[test]
fn an_endpoint_url_without_a_scheme_is_invalid_input_before_any_call() {
    let home = EmptyHome::new("endpoint");
    for bad in [
        "127.0.0.1:5000",
        "localhost:5000",
        "ftp://127.0.0.1",
        "http://",
        "http:// x",
    ] {
        let (code, stderr, took) = without_credentials(
            &home,
            &[
                ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ),
            ],
            &[
                "cutover",
                "preflight",
                "--plan",
                PLAN,
                "--endpoint-url",
                bad,
            ],
        );
        assert_eq!(code, Some(2), "{bad}: {stderr}");
        assert!(
            stderr.contains("error [invalid_input]") && stderr.contains("http:// or https://"),
            "{bad}: {stderr}"
        );
        assert!(took < Duration::from_secs(10), "{bad}: took {took:?}");
    }
}

/// An endpoint nothing answers on (here given as AWS_ENDPOINT_URL, which the standard
/// configuration honours): `unavailable` (exit 10) after the retries, in one line that says
/// why in words and where to look, not the SDK's debug dump.
#[test]
fn an_unreachable_endpoint_says_why_in_one_line() {
    let home = EmptyHome::new("unreachable");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let (code, stderr, _) = without_credentials(
        &home,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_ENDPOINT_URL", &endpoint),
        ],
        &["cutover", "preflight", "--plan", PLAN],
    );
    assert_eq!(code, Some(10), "unavailable: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(stderr.contains("AWS_ENDPOINT_URL"), "{stderr}");
    assert!(
        !stderr.contains("DispatchFailure") && !stderr.contains("ConnectorError"),
        "no Debug dump: {stderr}"
    );
}

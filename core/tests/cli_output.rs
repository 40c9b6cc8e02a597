//! The CLI's stdout: a reader that goes away (`dynoshift ... --json | head -1`) stops the
//! printing, never the command — no "failed printing to stdout: Broken pipe" panic (exit 101),
//! the command runs to its end and exits as it would have.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dynoshift::heroku::synth::generate;
use dynoshift::{Formation, SynthOptions};

const FORMATION: &str = r#"{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}"#;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A formation file and a day of its logs.
fn fixture(tag: &str) -> (Dir, String, String) {
    let dir =
        std::env::temp_dir().join(format!("dynoshift-cli-output-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let formation = dir.join("formation.json");
    std::fs::write(&formation, FORMATION).unwrap();
    let log = dir.join("app.log");
    let options = SynthOptions {
        duration_s: 86_400,
        web_rps: 0.1,
        seed: 3,
        ..SynthOptions::default()
    };
    generate(
        &Formation::from_json(FORMATION).unwrap(),
        &options,
        std::fs::File::create(&log).unwrap(),
    )
    .unwrap();
    let path = |p: PathBuf| p.to_str().unwrap().to_owned();
    (Dir(dir), path(formation), path(log))
}

/// Runs `dynoshift ARGS` with stdout a pipe whose read end is already closed, so that every
/// write gets EPIPE; returns (exit code, stderr).
const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cutover-plan.json"
);

fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the CLI runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_the_output_not_the_command() {
    let (_dir, formation, log) = fixture("closed");
    let f = formation.as_str();
    let l = log.as_str();
    let journal = std::env::temp_dir().join(format!(
        "dynoshift-closed-{}.journal.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&journal);
    let j = journal.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["cost", "--formation", f],
        vec!["cost", "--formation", f, "--json"],
        vec!["catalog", "list"],
        vec!["catalog", "list", "--json"],
        vec!["ingest", l],
        vec!["ingest", l, "--json"],
        vec!["size", "--formation", f, "--logs", l],
        vec!["size", "--formation", f, "--logs", l, "--json"],
        vec![
            "size",
            "--formation",
            f,
            "--logs",
            l,
            "--yaml",
            "--image",
            "r/app:1",
        ],
        vec!["plan", "--formation", f, "--logs", l],
        vec!["plan", "--formation", f, "--logs", l, "--json"],
        vec!["synth-logs", "--formation", f, "--duration", "1h"],
        vec!["backtest", "--formation", f, "--logs", l, "--json"],
        vec!["cutover", "dry-run", "--plan", PLAN],
        vec!["cutover", "dry-run", "--plan", PLAN, "--json"],
        // a whole rehearsed run into a closed pipe: it still runs to its outcome
        vec![
            "cutover",
            "run",
            "--plan",
            PLAN,
            "--memory",
            "--journal",
            j,
            "--json",
        ],
        vec![
            "cutover",
            "status",
            "--plan",
            PLAN,
            "--journal",
            j,
            "--json",
        ],
        vec!["cutover", "status", "--plan", PLAN, "--journal", j],
    ];
    for args in commands {
        let (code, stderr) = with_closed_stdout(&args);
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
        assert_eq!(code, Some(0), "{args:?} exit code; stderr:\n{stderr}");
        assert!(stderr.is_empty(), "{args:?} said on stderr:\n{stderr}");
    }
}

#[test]
fn a_reader_that_stops_after_one_line_stops_the_output_quietly() {
    let (_dir, formation, _) = fixture("head");
    // fourteen days of logs (hundreds of MB) to stdout, read by `head -1`
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["synth-logs", "--formation", &formation, "--duration", "14d"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("heroku["), "{first}");
    // the reader is gone now; the generator must notice and end, not write 14 days into nothing
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?} to stop",
        started.elapsed()
    );
}

#[test]
fn a_full_disk_is_not_success() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let (_dir, formation, _) = fixture("full");
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["cost", "--formation", &formation])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .expect("the CLI runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(10), "unavailable: {stderr}");
    assert!(stderr.contains("writing to stdout failed"), "{stderr}");
}

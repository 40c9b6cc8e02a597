//! Every integration test of the core in one test binary: each file beside this one is a module
//! here (add `mod your_file;` below when you add a test file; the test at the end fails for any
//! file that is not listed, so none is left out silently). One binary instead of one per file:
//! the core and its AWS/hyper stack are linked and their generic code instantiated once rather
//! than once per file (there were 32 binaries, 1.2 GB in all), and the tests of the files share
//! the test threads.
//! Run one file's tests with `cargo test -p dynoshift --test integration FILE::`.
//!
//! Three files stay binaries of their own: `logging.rs` installs the process-wide tracing
//! subscriber, which would see every other test's events; `drain_serve.rs` and `health_gates.rs`
//! judge timings (a SIGKILL mid-stream, latency medians of two equal servers) that a CPU-heavy
//! test of another file running beside them can upset.

mod support;
// Shared by several files (each file once declared them itself with `#[path]`).
#[path = "support/cli.rs"]
mod cli;
#[path = "support/report_check.rs"]
mod report_check;

mod cli_help;
mod cli_output;
mod cli_plan;
mod cutover_cli;
mod cutover_fencing;
mod cutover_fleet;
mod cutover_gated_cli;
mod cutover_init;
mod cutover_reliability;
mod cutover_s3_journal;
mod cutover_suite;
mod drained;
mod fuzz_props;
mod generated;
mod heroku_api;
mod heroku_cli;
mod heroku_rollback;
mod ingest_golden;
mod ingest_real_world;
mod ingest_s3;
mod ingest_synth;
mod journal_store_faults;
mod notify;
mod observed_split;
mod pre_soak;
mod preflight_live;
mod readme;
mod rehearse_cli;
mod report;
mod route53_credentials;
mod route53_moto;
mod route53_throttling;
mod secrets;
mod sizing_cli;
mod vectors;
mod warmup;

/// Every `tests/*.rs` is a module of this binary (or one of the three binaries of their own).
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let harness = include_str!("integration.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        if matches!(
            stem,
            "integration" | "logging" | "drain_serve" | "health_gates"
        ) {
            continue;
        }
        if !harness.lines().any(|l| l == format!("mod {stem};")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "add `mod NAME;` to core/tests/integration.rs for {missing:?}, or they never run"
    );
}

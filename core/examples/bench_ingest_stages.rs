//! `make bench`'s stage breakdown: one ingest of FILE on one thread, with every record stopped
//! after STAGE (`split`, `envelope`, `message`, or `all` for the whole ingest). It prints the
//! records read; `tests/bench/ingest_bench.sh` times each stage under `/usr/bin/time`.
//! Built only with the `bench-stages` feature.

use std::process::ExitCode;

use dynoshift::telemetry::bench_stages::{Stage, stop_after};
use dynoshift::telemetry::ingest_paths_on;

const USAGE: &str = "usage: bench_ingest_stages split|envelope|message|all FILE";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [stage, file] = &args[..] else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let stage = match stage.as_str() {
        "split" => Stage::Split,
        "envelope" => Stage::Envelope,
        "message" => Stage::Message,
        "all" => Stage::Aggregate,
        other => {
            eprintln!("unknown stage {other:?}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    stop_after(stage);
    match ingest_paths_on(&[file.into()], Some(1), &|_| {}) {
        Ok(profiles) => {
            println!("{}", profiles.lines.records);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

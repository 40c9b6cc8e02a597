//! Runs the built `dynoshift` binary; shared by the CLI tests (`#[path = "support/cli.rs"]`).
#![allow(dead_code)]

use std::process::Command;

/// Runs `dynoshift ARGS` and returns (exit code, stdout, stderr); -1 when killed by a signal.
pub fn dynoshift(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(args)
        .output()
        .expect("the CLI runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

//! The `dynoshift` binary against moto: dummy credentials, `--endpoint-url` appended, and a
//! child whose JSON lines arrive on a channel.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use super::moto::Moto;

/// `dynoshift ARGS --endpoint-url MOTO` with dummy credentials and no instance metadata.
pub fn cli(moto: &Moto, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dynoshift"));
    c.args(args)
        .args(["--endpoint-url", &moto.endpoint_url()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

/// Starts the CLI with its stdout read line by line into a channel.
pub fn spawn(mut cmd: Command) -> (Child, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

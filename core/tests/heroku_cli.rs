//! `dynoshift heroku formation`, `dynoshift heroku dyno-sizes` and `dynoshift cost --app` against
//! the loopback Platform API server, with the token in HEROKU_API_KEY of the child process only.
#![cfg(feature = "cli")]

use crate::support;

use std::process::{Command, Output};

use support::heroku_api::HerokuApiServer;

const TOKEN: &str = "hrku-CLISECRET-3b9e1f70-5a2c-4d8e-b6f1-0c7a9d2e4f13";

fn dynoshift(token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynoshift"));
    cmd.args(args);
    match token {
        Some(t) => cmd.env("HEROKU_API_KEY", t),
        None => cmd.env_remove("HEROKU_API_KEY"),
    };
    let out = cmd.output().expect("run dynoshift");
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains("CLISECRET"),
            "the token was printed"
        );
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn heroku_formation_prints_json_and_a_table() {
    let server = HerokuApiServer::start(TOKEN);
    let url = server.url();
    let args = [
        "heroku",
        "formation",
        "--app",
        "shop-production",
        "--api-url",
        &url,
        "--json",
    ];
    let out = dynoshift(Some(TOKEN), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["processes"][0]["type"], "web");
    assert_eq!(json["processes"][0]["quantity"], 4);

    let out = dynoshift(Some(TOKEN), &args[..args.len() - 1]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("Performance-M"), "{table}");
    assert!(table.contains("Standard-1X (1X)"), "{table}");
}

#[test]
fn heroku_dyno_sizes_prints_a_table() {
    let server = HerokuApiServer::start(TOKEN);
    let out = dynoshift(
        Some(TOKEN),
        &["heroku", "dyno-sizes", "--api-url", &server.url()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("Standard-2X"), "{table}");
    assert!(table.contains("contract"), "{table}");
}

#[test]
fn cost_of_an_app_fetches_then_prices_it() {
    let server = HerokuApiServer::start(TOKEN);
    let out = dynoshift(
        Some(TOKEN),
        &[
            "cost",
            "--app",
            "shop-production",
            "--api-url",
            &server.url(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    // web 4 × $50 + worker 2 × $250 + clock 1 × $7 + release 0.
    assert_eq!(report["total_monthly_usd"], 707.0, "{report}");
}

#[test]
fn a_missing_or_wrong_token_says_what_to_do() {
    let server = HerokuApiServer::start(TOKEN);
    let args = [
        "heroku",
        "formation",
        "--app",
        "shop-production",
        "--api-url",
        &server.url(),
    ];
    let out = dynoshift(None, &args);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("[unauthorized]") && err.contains("HEROKU_API_KEY"),
        "{err}"
    );

    let out = dynoshift(Some("hrku-CLISECRET-wrong"), &args);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("[unauthorized]") && err.contains("401"),
        "{err}"
    );

    let out = dynoshift(
        Some(TOKEN),
        &["cost", "--app", "no-such-app", "--api-url", &server.url()],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("[not_found]"));
}

//! `cutover drained` on a decaying residual tail (`tests/fixtures/drained/residual-tail.log`:
//! 10 rpm per hostname right after promotion at 2026-12-01T00:00Z, halving about every 20
//! minutes, a straggler at 03:00, runtime metrics every 5 minutes from 23:00 to 09:00; the plan
//! asks for 6 h at or under 1 rpm). The same evidence gives both answers depending on when it
//! is judged, through the core, the CLI, and the drain receiver's profiles.

use crate::cli;

use std::path::{Path, PathBuf};

use dynoshift::cutover::{CutoverPlan, DrainInput, DrainReport, drained};
use dynoshift::heroku::logs::time::parse_rfc3339_ms;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/drained")
        .join(name)
}

fn plan() -> CutoverPlan {
    CutoverPlan::from_text(&std::fs::read_to_string(fixture("plan.json")).unwrap()).unwrap()
}

fn at(t: &str) -> i64 {
    parse_rfc3339_ms(t.as_bytes()).unwrap()
}

fn judge(now: &str) -> DrainReport {
    let text = std::fs::read_to_string(fixture("residual-tail.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    drained(&plan(), DrainInput::Lines(&lines), at(now)).unwrap()
}

#[test]
fn a_decaying_tail_is_not_drained_until_the_window_has_passed() {
    // 6 h after promotion the first minutes (8+ rpm) are still inside the window
    let early = judge("2026-12-01T06:00:00Z");
    assert!(!early.drained, "{}", early.reason);
    assert!(early.covered);
    for h in &early.hosts {
        assert!(!h.drained);
        assert!(h.peak_rpm > 8.0, "{h:?}");
        // the last 10-minute bucket over 1 rpm is 00:40-00:50 (2 rpm at minute 40-49)
        assert_eq!(h.last_over.as_deref(), Some("2026-12-01T00:50:00.000Z"));
        assert_eq!(
            h.drained_at_earliest.as_deref(),
            Some("2026-12-01T06:50:00.000Z")
        );
        assert_eq!(h.series.len(), 36, "6 h of 10-minute buckets");
        // the curve decays: first bucket busiest, nothing at the end
        assert!(h.series[0].rpm > h.series[3].rpm && h.series[3].rpm > h.series[35].rpm);
    }
    assert!(
        early
            .reason
            .contains("drained at the earliest 2026-12-01T06:50"),
        "{}",
        early.reason
    );
    // the herokuapp.com request is shown, not judged
    assert_eq!(early.other_hosts["example-shop.herokuapp.com"], 1);

    // just before the window has passed since the last busy bucket: still not drained
    assert!(!judge("2026-12-01T06:49:00Z").drained);
    // once it has: drained, although the straggler at 03:00 is in the window (0.1 rpm)
    let late = judge("2026-12-01T08:00:00Z");
    assert!(late.drained, "{}", late.reason);
    let www = late
        .hosts
        .iter()
        .find(|h| h.hostname == "www.example.test")
        .unwrap();
    assert_eq!(www.requests_in_window, 1);
    assert!((www.peak_rpm - 0.1).abs() < 1e-9, "{}", www.peak_rpm);

    // logs that stop before the window ends cannot prove anything
    let stale = judge("2026-12-02T08:00:00Z");
    assert!(!stale.drained && !stale.covered, "{}", stale.reason);
    assert!(stale.reason.starts_with("not known"), "{}", stale.reason);
}

#[test]
fn a_stricter_threshold_moves_the_answer() {
    let mut p = plan();
    p.drained.as_mut().unwrap().max_rpm = 0.0;
    let text = std::fs::read_to_string(fixture("residual-tail.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // with no request allowed at all, the straggler at 03:00 keeps www busy until 09:10
    let r = drained(&p, DrainInput::Lines(&lines), at("2026-12-01T08:00:00Z")).unwrap();
    assert!(!r.drained, "{}", r.reason);
    let www = r
        .hosts
        .iter()
        .find(|h| h.hostname == "www.example.test")
        .unwrap();
    assert_eq!(
        www.drained_at_earliest.as_deref(),
        Some("2026-12-01T09:10:00.000Z")
    );
    let api = r
        .hosts
        .iter()
        .find(|h| h.hostname == "api.example.test")
        .unwrap();
    assert!(api.drained);
}

#[test]
fn the_drain_receivers_profiles_give_the_same_answers_hourly() {
    let profiles = dynoshift::ingest_paths(&[fixture("residual-tail.log")]).unwrap();
    let p = plan();
    let early = drained(
        &p,
        DrainInput::Profiles(&profiles),
        at("2026-12-01T06:00:00Z"),
    )
    .unwrap();
    assert!(!early.drained, "{}", early.reason);
    assert_eq!(early.bucket_seconds, 3600);
    assert_eq!(early.hosts[0].hostname, "*");
    let late = drained(
        &p,
        DrainInput::Profiles(&profiles),
        at("2026-12-01T08:00:00Z"),
    )
    .unwrap();
    assert!(late.drained, "{}", late.reason);
}

#[test]
fn the_cli_exits_0_only_when_drained_and_shows_the_tail() {
    let plan = fixture("plan.json");
    let logs = fixture("residual-tail.log");
    let args = |now: &'static str| {
        vec![
            "cutover".to_owned(),
            "drained".into(),
            "--plan".into(),
            plan.display().to_string(),
            "--logs".into(),
            logs.display().to_string(),
            "--now".into(),
            now.into(),
        ]
    };
    let run = |a: Vec<String>| cli::dynoshift(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (code, out, err) = run(args("2026-12-01T06:00:00Z"));
    assert_eq!(code, 75, "{out}{err}");
    assert!(
        out.contains("tail:") && out.contains("not drained"),
        "{out}"
    );
    assert!(
        out.contains("last over the threshold until 2026-12-01T00:50"),
        "{out}"
    );
    let (code, out, err) = run(args("2026-12-01T08:00:00Z"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("drained: every hostname stayed 6 h"), "{out}");
    let mut json = args("2026-12-01T08:00:00Z");
    json.push("--json".into());
    let (code, out, _) = run(json);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["drained"], true);
    assert_eq!(v["hosts"].as_array().unwrap().len(), 2);
    let (code, _, err) =
        cli::dynoshift(&["cutover", "drained", "--plan", &plan.display().to_string()]);
    assert_eq!(code, 2, "an input is required: {err}");
}

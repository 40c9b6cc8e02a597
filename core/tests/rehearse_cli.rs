//! `dynoshift rehearse --fast --json` end to end: real local HTTP apps, real probes, real time.
//! Run 1 must be promoted and run 2 rolled back in its 25% stage, both in the JSON lines and in
//! rehearsal.json; with the fault switched off the rehearsal must fail (exit 6, unhealthy).

use crate::report_check;

use std::path::PathBuf;
use std::process::Command;

use dynoshift::Outcome;
use dynoshift::report::ReportInput;
use serde_json::Value;

fn out_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("dynoshift-rehearse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn rehearse(dir: &PathBuf, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["rehearse", "--fast", "--json", "--out"])
        .arg(dir)
        .args(extra)
        .output()
        .expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

#[test]
fn rehearsal_promotes_the_healthy_run_and_rolls_back_the_faulty_one_at_25() {
    let dir = out_dir("ok");
    let (code, lines, err) = rehearse(&dir, &[]);
    assert_eq!(code, 0, "stderr: {err}");

    // ingest progress in bytes, ending at the total
    let progress: Vec<_> = of_kind(&lines, "step")
        .into_iter()
        .filter(|l| l["type"] == "ingest_progress")
        .collect();
    assert!(!progress.is_empty());
    let last = progress.last().unwrap();
    assert_eq!(last["bytes"], last["total_bytes"], "{last}");
    assert!(last["bytes"].as_u64().unwrap() > 1_000_000);

    // the engine's events, per run
    let events = of_kind(&lines, "cutover");
    let run =
        |n: u64| -> Vec<&Value> { events.iter().copied().filter(|e| e["run"] == n).collect() };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.last().unwrap()["type"], "promoted");
    assert_eq!(two.last().unwrap()["type"], "rolled_back");
    let soak_before_rollback = two
        .iter()
        .take_while(|e| e["type"] != "rollback_started")
        .filter(|e| e["type"] == "soak_started")
        .last()
        .unwrap();
    assert_eq!(soak_before_rollback["percent"], 25);
    assert!(
        two.iter()
            .any(|e| e["type"] == "gate_verdict" && e["verdict"]["status"] == "fail"),
        "no failing verdict in run 2"
    );
    // real probes ran: every stage of run 1 has passing verdicts
    assert_eq!(
        one.iter().filter(|e| e["type"] == "stage_passed").count(),
        4
    );

    let summary = of_kind(&lines, "summary");
    assert_eq!(summary.len(), 1);
    let summary = summary[0];
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["runs"][0]["outcome"], "promoted");
    assert_eq!(summary["runs"][1]["outcome"], "rolled_back");
    assert_eq!(summary["runs"][1]["rollback_at_percent"], 25);

    // rehearsal.json says the same, with every event
    let input =
        ReportInput::from_json(&std::fs::read_to_string(dir.join("rehearsal.json")).unwrap())
            .unwrap();
    assert_eq!(input.cutovers.len(), 2);
    assert_eq!(input.cutovers[0].outcome, Outcome::Promoted);
    assert_eq!(input.cutovers[0].expected, "promoted");
    assert!(
        matches!(&input.cutovers[1].outcome, Outcome::RolledBack { reason } if reason.contains("failed at 25%")),
        "{:?}",
        input.cutovers[1].outcome
    );
    assert_eq!(
        dynoshift::rehearse::rollback_stage(&input.cutovers[1].events),
        Some(25)
    );
    assert_eq!(input.cutovers[0].events.len(), one.len());
    assert_eq!(input.cutovers[1].events.len(), two.len());
    assert_eq!(input.formation, dynoshift::rehearse::sample_formation());
    assert!(input.profiles.lines.records > 0);
    assert_eq!(input.sizing.processes.len(), 2);
    assert!(input.node_plan.node_count > 0);
    assert_eq!(
        input.bill.heroku_monthly_usd,
        input.heroku_cost.total_monthly_usd
    );
    assert!(input.generated_at.ends_with('Z'), "{}", input.generated_at);
    assert!(dir.join("heroku-app.log.gz").exists());
    assert!(dir.join("cutover-2.journal.json").exists());

    // report.html: well-formed, one <svg> per chart the data calls for, and its numbers are
    // the ones in rehearsal.json
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html written");
    let doc = report_check::parse(&html).expect("the report is well-formed XML");
    assert_eq!(
        report_check::chart_names(&doc),
        report_check::expected_charts(&input)
    );
    let chart = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("svg") && n.attribute("data-chart") == Some(name))
            .unwrap_or_else(|| panic!("no chart {name}"))
    };
    let number = |name: &str, attr: &str| -> f64 {
        chart(name)
            .attribute(attr)
            .unwrap_or_else(|| panic!("chart {name} has no {attr}"))
            .parse()
            .unwrap()
    };
    assert_eq!(
        number("bill", "data-heroku-usd"),
        input.bill.heroku_monthly_usd
    );
    assert_eq!(number("bill", "data-aws-usd"), input.bill.aws_monthly_usd);
    for (i, (events, final_weight)) in [(&one, 100.0), (&two, 0.0)].into_iter().enumerate() {
        let name = format!("cutover-{}", i + 1);
        assert_eq!(number(&name, "data-final-weight"), final_weight);
        let verdicts = events
            .iter()
            .filter(|e| e["type"] == "gate_verdict")
            .count();
        assert_eq!(number(&name, "data-verdicts"), verdicts as f64, "{name}");
    }
    assert_eq!(number("cutover-2", "data-fail"), 1.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rehearsal_whose_faulty_run_promotes_fails() {
    let dir = out_dir("nofault");
    let (code, lines, err) = rehearse(&dir, &["--no-fault"]);
    assert_eq!(code, 6, "stderr: {err}");
    assert!(
        err.contains("'fault at 25%' should have rolled back at 25% but promoted"),
        "{err}"
    );
    let summary = of_kind(&lines, "summary")[0];
    assert_eq!(summary["ok"], false);
    assert_eq!(summary["runs"][1]["outcome"], "promoted");
    // the outputs are written all the same, for a look at what happened
    assert!(dir.join("rehearsal.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_output_without_a_terminal_is_plain_lines() {
    let dir = out_dir("text");
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["rehearse", "--fast", "-q", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "stage  25%: weights aws  25 / heroku  75  soak 1 s  verdicts: 1 fail  -> FAILED"
        ),
        "{text}"
    );
    assert!(text.contains("Monthly bill: Heroku $250.00"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no terminal escapes when not on a terminal"
    );
    assert!(
        out.stderr.is_empty(),
        "-q: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

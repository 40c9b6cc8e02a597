//! The `dynoshift cutover` CLI, end to end on the in-memory provider.

use crate::cli;

use cli::dynoshift;

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cutover-plan.json"
);

#[test]
fn dry_run_run_status_and_errors() {
    let (code, out, err) = dynoshift(&["cutover", "dry-run", "--plan", PLAN]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(" 25% AWS /  75% Heroku: 4 change(s) in 1 batch(es)"),
        "{out}"
    );
    assert!(out.contains("Route53 calls: 19 "), "{out}");
    let (code, out, err) = dynoshift(&["cutover", "dry-run", "--plan", PLAN, "--json"]);
    assert_eq!(code, 0, "{err}");
    let dry: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(dry["steps"].as_array().unwrap().len(), 5);
    assert!(dry["api_calls"]["changes"].as_u64().unwrap() >= 6);

    let journal = std::env::temp_dir().join(format!("dynoshift-cli-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let j = journal.to_str().unwrap();
    let (code, out, err) = dynoshift(&[
        "cutover",
        "run",
        "--plan",
        PLAN,
        "--memory",
        "--journal",
        j,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().last().unwrap().contains("\"promoted\""),
        "{out}"
    );
    assert!(out.contains("\"type\":\"stage_passed\""));
    let _ = std::fs::remove_file(&journal);
    let (code, out, err) =
        dynoshift(&["cutover", "run", "--plan", PLAN, "--memory", "--journal", j]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("] stage 50% passed"), "{out}");
    assert!(out.contains("[+00:25:00] promoted: 100% AWS"), "{out}");
    let (code, out, _) = dynoshift(&[
        "cutover",
        "status",
        "--plan",
        PLAN,
        "--journal",
        j,
        "--json",
    ]);
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["outcome"]["outcome"], "promoted");
    let _ = std::fs::remove_file(&journal);

    // nothing to resume: not_found (exit 3); bad plan: invalid_input (exit 2)
    let (code, _, err) = dynoshift(&[
        "cutover",
        "resume",
        "--plan",
        PLAN,
        "--memory",
        "--journal",
        j,
    ]);
    assert_eq!(code, 3, "{err}");
    let bad = std::env::temp_dir().join(format!("dynoshift-bad-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"hostnames":["www.example.test"],"zone":"example.test","heroku_target":"a.herokudns.com","aws_target":"lb.test","stages":[50,25,100]}"#).unwrap();
    let (code, _, err) = dynoshift(&[
        "cutover",
        "preflight",
        "--plan",
        bad.to_str().unwrap(),
        "--memory",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("stages must increase"), "{err}");
    let _ = std::fs::remove_file(&bad);
}

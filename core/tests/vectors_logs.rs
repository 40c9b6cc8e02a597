//! Runs the language-neutral log vectors in `tests/vectors/logs/*.json` (the Python and Node
//! runners execute the same files). Every case must run: an unknown `op` or a malformed case
//! fails the test, it is never skipped.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/logs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    files
}

/// `expect` is a subset of `actual`: every key present and equal, numbers within 1e-9, `null`
/// matching a missing key.
fn matches(expect: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (expect, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or(&Value::Null);
                matches(ev, av, &format!("{path}.{k}"), errors);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                errors.push(format!("{path}: {} items, expected {}", a.len(), e.len()));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                matches(ev, av, &format!("{path}[{i}]"), errors);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            if (e - a).abs() > 1e-9 {
                errors.push(format!("{path}: {a}, expected {e}"));
            }
        }
        (e, a) if e == a => {}
        (e, a) => errors.push(format!("{path}: {a}, expected {e}")),
    }
}

fn run_case(case: &Value) -> Result<(), String> {
    let op = case["op"].as_str().ok_or("case has no op")?;
    let actual = match op {
        "logs.parse_line" => {
            let line = case["input"]["line"]
                .as_str()
                .ok_or("input.line must be a string")?;
            serde_json::to_value(dynoshift::parse_line(line)).map_err(|e| e.to_string())?
        }
        other => return Err(format!("unknown op {other:?}")),
    };
    let expect = case.get("expect").ok_or("case has no expect")?;
    let mut errors = Vec::new();
    if expect.get("unparsed") == Some(&Value::Bool(true)) {
        if actual["kind"] != "unparsed" {
            errors.push(format!("expected unparsed, got {actual}"));
        }
    } else {
        matches(expect, &actual, "", &mut errors);
        if actual["kind"] == "unparsed" && expect.get("kind").is_none() {
            errors.push(format!("unexpectedly unparsed: {actual}"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{} (actual {actual})", errors.join("; ")))
    }
}

#[test]
fn log_vectors() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in vector_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases: Vec<Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a JSON array of cases: {e}", file.display()));
        for case in &cases {
            ran += 1;
            let id = case["id"].as_str().unwrap_or("<no id>");
            if let Err(e) = run_case(case) {
                failures.push(format!("{}: {id}: {e}", file.display()));
            }
        }
    }
    assert!(ran >= 15, "only {ran} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

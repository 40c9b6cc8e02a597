//! Runs the language-neutral node-planning vectors in `tests/vectors/nodes/*.json` through
//! `dynoshift::nodes::ops::call_json`, the same entry the Python and Node runners use.
//!
//! Each file is an array of `{"id", "op", "input", "expect"}` or `{"id", "op", "input",
//! "error": {"kind", "message_contains"?}}`. `expect` is matched as a subset: every key it names
//! must be in the output with an equal value (numbers within 1e-6; arrays element by element).
//! A case this runner cannot execute (unknown op, missing fields) is a failure.

use std::path::PathBuf;

use serde_json::Value;

fn matches(want: &Value, got: &Value, path: &str, errors: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => matches(wv, gv, &format!("{path}.{k}"), errors),
                    None => errors.push(format!("{path}.{k}: missing from the output")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                errors.push(format!(
                    "{path}: expected {} items, got {}: {got}",
                    w.len(),
                    g.len()
                ));
                return;
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                matches(wv, gv, &format!("{path}[{i}]"), errors);
            }
        }
        (Value::Number(w), Value::Number(g)) => {
            let (w, g) = (w.as_f64().unwrap(), g.as_f64().unwrap());
            if (w - g).abs() > 1e-6 {
                errors.push(format!("{path}: expected {w}, got {g}"));
            }
        }
        (w, g) => {
            if w != g {
                errors.push(format!("{path}: expected {w}, got {g}"));
            }
        }
    }
}

#[test]
fn node_vectors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/nodes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let cases: Vec<Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a JSON array of cases: {e}", file.display()));
        assert!(!cases.is_empty(), "{} has no cases", file.display());
        for case in cases {
            let id = case["id"].as_str().unwrap_or("<no id>").to_owned();
            let name = format!("{}:{id}", file.file_name().unwrap().to_string_lossy());
            let (Some(op), Some(input)) = (case["op"].as_str(), case.get("input")) else {
                failures.push(format!("{name}: needs op and input"));
                continue;
            };
            ran += 1;
            let result = dynoshift::nodes::ops::call_json(op, &input.to_string());
            match (case.get("expect"), case.get("error"), result) {
                (Some(expect), None, Ok(out)) => {
                    let got: Value = serde_json::from_str(&out).unwrap();
                    let mut errors = Vec::new();
                    matches(expect, &got, "", &mut errors);
                    if !errors.is_empty() {
                        failures.push(format!("{name}: {}", errors.join("; ")));
                    }
                }
                (Some(_), None, Err(e)) => {
                    failures.push(format!("{name}: expected success, got [{}] {e}", e.kind()))
                }
                (None, Some(want), Err(e)) => {
                    let Some(kind) = want["kind"].as_str() else {
                        failures.push(format!("{name}: error.kind missing"));
                        continue;
                    };
                    if e.kind().as_str() != kind {
                        failures.push(format!("{name}: expected {kind}, got [{}] {e}", e.kind()));
                    }
                    for part in want["message_contains"].as_array().into_iter().flatten() {
                        let part = part.as_str().unwrap_or_default();
                        if !e.to_string().contains(part) {
                            failures.push(format!("{name}: message {e:?} lacks {part:?}"));
                        }
                    }
                }
                (None, Some(want), Ok(out)) => {
                    failures.push(format!("{name}: expected error {want}, got {out}"))
                }
                _ => failures.push(format!("{name}: needs exactly one of expect or error")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

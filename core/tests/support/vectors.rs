//! Loading the shared vectors in `tests/vectors` and matching results against them.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One case of a vector file.
#[derive(Debug, serde::Deserialize)]
pub struct Case {
    pub id: String,
    pub op: String,
    pub input: Value,
    pub expect: Option<Value>,
    pub error: Option<ExpectedError>,
}

/// What a failing case must raise.
#[derive(Debug, serde::Deserialize)]
pub struct ExpectedError {
    pub kind: String,
    /// A string or a list of strings that must all appear in the message.
    #[serde(default, deserialize_with = "one_or_many")]
    pub message_contains: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(
        match <Option<OneOrMany> as serde::Deserialize>::deserialize(d)? {
            None => Vec::new(),
            Some(OneOrMany::One(s)) => vec![s],
            Some(OneOrMany::Many(v)) => v,
        },
    )
}

/// JSON text of a vector input. JSON has no NaN or infinities, so the vectors write them as
/// `{"$float": "NaN" | "Infinity" | "-Infinity"}`; here they become the bare tokens a careless
/// serializer (Python's `json.dumps`) would write, which every parser must refuse.
pub fn json_text(v: &Value) -> String {
    const MARK: &str = "\u{1}nonfinite:";
    fn mark(v: &Value) -> Value {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("$float") => {
                Value::String(format!("{MARK}{}", m["$float"].as_str().unwrap()))
            }
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), mark(v))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(mark).collect()),
            other => other.clone(),
        }
    }
    let mut text = mark(v).to_string();
    for token in ["NaN", "Infinity", "-Infinity"] {
        let quoted = serde_json::to_string(&format!("{MARK}{token}")).unwrap();
        text = text.replace(&quoted, token);
    }
    text
}

/// The `tests/vectors` folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every case of every `*.json` file below `dir`, with the file it came from.
pub fn load(dir: &Path) -> Vec<(PathBuf, Case)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let list: Vec<Case> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        cases.extend(list.into_iter().map(|c| (f.clone(), c)));
    }
    cases
}

/// Checks that `actual` contains `expected`: objects by the keys `expected` names, arrays of the
/// same length element by element, numbers within 1e-9 (relative). Returns the first mismatch.
pub fn subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or(&Value::Null);
                subset(ev, av, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: expected {} items, got {}",
                    e.len(),
                    a.len()
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (ev, av))| subset(ev, av, &format!("{path}[{i}]")))
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            if (e - a).abs() <= 1e-9 * e.abs().max(1.0) {
                Ok(())
            } else {
                Err(format!("{path}: expected {e}, got {a}"))
            }
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, got {a}")),
    }
}

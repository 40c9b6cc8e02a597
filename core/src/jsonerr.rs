//! Wording for JSON the caller gave us that serde_json refused.
//!
//! JSON has no NaN or infinities, but careless writers produce them (Python's `json.dumps`
//! writes `NaN` and `Infinity` by default); serde_json's own message for them ("expected value
//! at line 1 column 19") does not say what is wrong, so it gets a hint.

/// Decodes `text` as a `T`. On failure: the message (prefixed with the path of the field at
/// fault, e.g. `stages[1]: ...` or `soak_seconds: ...`, which serde_json alone does not say)
/// and whether the text was not JSON at all (syntax) rather than JSON of the wrong shape.
pub(crate) fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, (String, bool)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let problem = |path: String, inner: serde_json::Error| {
        let syntax = !matches!(inner.classify(), serde_json::error::Category::Data);
        (at_path(&path, describe(&inner, text)), syntax)
    };
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        problem(path, e.into_inner())
    })?;
    de.end().map_err(|e| problem(String::new(), e))?;
    Ok(value)
}

/// Decodes a JSON value as a `T`, the message naming the field at fault.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        at_path(&path, e.into_inner().to_string())
    })
}

/// What kind of JSON value `v` is, for messages ("an object", "a list", ...).
pub(crate) fn kind_of(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `message` prefixed with the field path at fault, unless the fault is at the root (where
/// serde_path_to_error's path is empty, `.` or `?`).
fn at_path(path: &str, message: String) -> String {
    if path.is_empty() || path == "." || path == "?" {
        message
    } else {
        format!("{path}: {message}")
    }
}

/// serde_json's message for `err` on `text`, plus a hint when the offending token is a
/// non-finite number.
pub(crate) fn describe(err: &serde_json::Error, text: &str) -> String {
    match non_finite_at(err, text) {
        Some(token) => format!(
            "{err}: {token} is not a finite number (JSON has no NaN or Infinity); give a finite \
             value"
        ),
        None => err.to_string(),
    }
}

/// A number as people and JSON writers spell it: `NaN`, `Infinity` and `-Infinity` rather than
/// Rust's `NaN`, `inf` and `-inf`.
pub(crate) fn show_f64(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        v.to_string()
    }
}

/// The non-finite token (`NaN`, `Infinity`, `-Infinity`) at the error's position, if any.
fn non_finite_at(err: &serde_json::Error, text: &str) -> Option<&'static str> {
    if err.line() == 0 {
        return None;
    }
    let line = text.lines().nth(err.line() - 1)?;
    // serde_json reports the column of the character it stopped at (1-based); look a few
    // characters either side, on char boundaries.
    let col = err.column().saturating_sub(1);
    let start = (0..=col.saturating_sub(2).min(line.len()))
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0);
    let window: String = line[start..].chars().take(12).collect();
    ["-Infinity", "Infinity", "NaN"]
        .into_iter()
        .find(|t| window.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> String {
        let err = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        describe(&err, text)
    }

    #[test]
    fn non_finite_tokens_are_named() {
        assert!(msg(r#"{"a": NaN}"#).contains("NaN is not a finite number"));
        assert!(msg(r#"{"a": Infinity}"#).contains("Infinity is not a finite number"));
        assert!(msg("[1,\n -Infinity]").contains("-Infinity is not a finite number"));
        assert!(msg("{\"é\": NaN}").contains("NaN is not a finite number"));
    }

    #[test]
    fn the_field_at_fault_is_named() {
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            n: u8,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            list: Vec<Inner>,
        }
        let (m, syntax) = from_str::<Outer>(r#"{"list": [{"n": 1}, {"n": 300}]}"#).unwrap_err();
        assert!(m.starts_with("list[1].n: "), "{m}");
        assert!(!syntax);
        let (m, syntax) = from_str::<Outer>(r#"{"list": [{"n": NaN}]}"#).unwrap_err();
        assert!(m.contains("NaN is not a finite number"), "{m}");
        assert!(syntax);
        assert!(from_str::<Outer>(r#"{"list": []} trailing"#).is_err());
        let m = from_value::<Outer>(serde_json::json!({"list": [{"n": -1}]})).unwrap_err();
        assert!(m.starts_with("list[0].n: "), "{m}");
    }

    #[test]
    fn other_errors_are_left_alone() {
        let m = msg(r#"{"a": nope}"#);
        assert!(!m.contains("finite"), "{m}");
        let m = msg(r#"{"NaN": "#);
        assert!(!m.contains("finite"), "{m}");
    }
}

//! Small conversions of caller-supplied quantities, shared by the bindings and the CLI so that
//! every language rejects the same bad values with the same message.

use std::time::Duration;

use crate::error::{Error, Result};

/// A duration from a number of seconds; negative, NaN or absurdly large values (over a year)
/// are `invalid_input` naming `what`.
pub fn seconds(value: f64, what: &str) -> Result<Duration> {
    const YEAR: f64 = 365.0 * 24.0 * 3600.0;
    if value.is_finite() && (0.0..=YEAR).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Error::invalid_input(format!(
            "{what} must be a number of seconds between 0 and {YEAR}; got {value}"
        )))
    }
}

/// The name a value serialises under: a unit variant's string (`low`, `dynoshift`), the tag of
/// a variant with data, or empty for anything else. The bindings show enums by this name.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_name_is_the_serde_name() {
        assert_eq!(wire_name(&crate::sizing::Confidence::High), "high");
        #[derive(serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Tagged {
            WithData { n: u32 },
        }
        assert_eq!(wire_name(&Tagged::WithData { n: 1 }), "with_data");
        assert_eq!(wire_name(&3), "");
    }

    #[test]
    fn seconds_accepts_sane_values_only() {
        assert_eq!(
            seconds(1.5, "timeout").unwrap(),
            Duration::from_millis(1500)
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e12] {
            let err = seconds(bad, "timeout").unwrap_err();
            assert!(err.message().starts_with("timeout must be"), "{err}");
        }
    }
}

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

/// Refuses an options object with a key the callee does not know (a misspelling such as
/// `endpointURL` or `gate` would otherwise be ignored, silently changing what a call does):
/// `invalid_input` naming the key, the likely intended one, and every known key.
pub fn check_option_keys<S: AsRef<str>>(what: &str, given: &[S], known: &[&str]) -> Result<()> {
    for key in given {
        let key = key.as_ref();
        if known.contains(&key) {
            continue;
        }
        let folded = |s: &str| {
            s.chars()
                .filter(|c| *c != '_' && *c != '-')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = folded(key);
        let hint = known
            .iter()
            .find(|k| {
                let k = folded(k);
                k == wanted || k == format!("{wanted}s") || format!("{k}s") == wanted
            })
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        return Err(Error::invalid_input(format!(
            "{what}: unknown option {key:?}{hint}; the options are {}",
            known.join(", ")
        ))
        .at(key));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_option_keys_name_the_key_the_likely_one_and_all() {
        let known = ["endpointUrl", "region", "gates"];
        assert!(super::check_option_keys("new Route53()", &["region"], &known).is_ok());
        let e = super::check_option_keys("new Route53()", &["endpointURL"], &known).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        let m = e.to_string();
        assert!(
            m.contains("\"endpointURL\"") && m.contains("did you mean endpointUrl?"),
            "{m}"
        );
        assert!(m.contains("endpointUrl, region, gates"), "{m}");
        let e = super::check_option_keys("new Cutover()", &["gate"], &known).unwrap_err();
        assert!(e.to_string().contains("did you mean gates?"), "{e}");
        let e = super::check_option_keys("x", &["endpoint_url"], &known).unwrap_err();
        assert!(e.to_string().contains("did you mean endpointUrl?"), "{e}");
        let e = super::check_option_keys("x", &["colour"], &known).unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
    }
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

//! Plain data from a host language (a JS options object, a request) as JSON, refusing the
//! numbers JSON cannot carry: [`FiniteJson`] deserialises from any serde deserializer (napi's
//! value deserializer for Node) and turns NaN and ±Infinity into an error naming the path
//! (`policy.cpu_percentile: NaN is not a finite number ...`) instead of a silent `null`.

use crate::Error;

/// The `invalid_input` error for a value [`FiniteJson`] refused: `what` names the argument
/// (`policy`), `reason` is the deserializer's message (which may carry a path from below).
pub fn refused(what: &str, reason: &str) -> Error {
    let message = match reason.find(PATH) {
        Some(i) => nest(what, &reason[i + PATH.len_utf8()..])
            .trim_start_matches(PATH)
            .to_owned(),
        None => format!("{what}: {reason}"),
    };
    Error::invalid_input(message)
}

/// Marks an error message that starts with a path (`[1].cpu_millis: ...`).
const PATH: char = '\u{1}';

/// `segment` (a key or `[i]`) in front of the path of `inner` (which follows [`PATH`]).
fn nest(segment: &str, inner: &str) -> String {
    if inner.starts_with(':') || inner.starts_with('[') {
        format!("{PATH}{segment}{inner}")
    } else {
        format!("{PATH}{segment}.{inner}")
    }
}

/// Puts `segment` in front of the path of an error from below, if it has one.
fn at<E: serde::de::Error>(segment: &str, err: E) -> E {
    // the error's Display may put a status in front (napi: `GenericFailure, ...`)
    let text = err.to_string();
    match text.find(PATH) {
        Some(i) => E::custom(nest(segment, &text[i + PATH.len_utf8()..])),
        None => err,
    }
}

/// `serde_json::Value` that refuses non-finite numbers instead of turning them into `null`.
#[derive(Debug)]
pub struct FiniteJson(pub serde_json::Value);

impl<'de> serde::Deserialize<'de> for FiniteJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(FiniteVisitor).map(FiniteJson)
    }
}

struct FiniteVisitor;

impl<'de> serde::de::Visitor<'de> for FiniteVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a plain JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .ok_or_else(|| {
                E::custom(format!(
                    "{PATH}: {} is not a finite number (JSON has no NaN or Infinity); give a \
                     finite value",
                    crate::jsonerr::show_f64(v)
                ))
            })
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(FiniteJson(v)) = seq
            .next_element()
            .map_err(|e| at(&format!("[{}]", out.len()), e))?
        {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let FiniteJson(v) = map.next_value().map_err(|e| at(&k, e))?;
            out.insert(k, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize as _;
    use serde::de::value::{Error as ValueError, MapDeserializer};

    /// An options object holding `pairs`, through FiniteJson (serde's own map deserializer
    /// carries floats as they are, like napi's).
    fn decode(pairs: &[(&'static str, f64)]) -> Result<serde_json::Value, Error> {
        let de = MapDeserializer::<_, ValueError>::new(pairs.iter().copied());
        FiniteJson::deserialize(de)
            .map(|v| v.0)
            .map_err(|e| refused("policy", &e.to_string()))
    }

    #[test]
    fn non_finite_numbers_are_refused_with_their_path() {
        let err = decode(&[("cpu_percentile", f64::NAN)]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            "policy.cpu_percentile: NaN is not a finite number (JSON has no NaN or Infinity); \
             give a finite value"
        );
        let err = decode(&[("a", 1.0), ("margin", f64::NEG_INFINITY)]).unwrap_err();
        assert!(
            err.message().starts_with("policy.margin: -Infinity is not"),
            "{err}"
        );
        let ok = decode(&[("a", 0.5)]).unwrap();
        assert_eq!(ok, serde_json::json!({"a": 0.5}));
    }
}

//! An app's formation: which process types run, on which dyno size, how many of each.
//!
//! Two input shapes are accepted:
//! - the Platform API's `GET /apps/{app}/formation` array
//!   (`[{"type": "web", "quantity": 2, "dyno_size": {"name": "Standard-2X"}, "size": "...", ...}]`;
//!   `dyno_size.name` is preferred, the deprecated `size` is the fallback);
//! - a small hand-written object: `{"web": {"size": "standard-2x", "quantity": 4}, ...}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::heroku::dynos::DynoSize;

/// Heroku allows at most a few hundred dynos per process type even on raised limits; anything
/// far above that is a typo, not a formation.
pub const MAX_QUANTITY: u64 = 10_000;

/// One process type of a formation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// Process type, e.g. `web`, `worker`.
    #[serde(rename = "type")]
    pub process_type: String,
    /// The resolved dyno size.
    pub size: DynoSize,
    /// The size as written in the input (may be a legacy or lower-case name).
    pub requested_size: String,
    /// Number of dynos (0 means scaled down).
    pub quantity: u32,
    /// The process's command, when the input gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// An app's formation, `web` first, then the other process types alphabetically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Formation {
    /// The process types.
    pub processes: Vec<Process>,
}

impl Formation {
    /// Parses either input shape from JSON text. Every problem is `invalid_input` naming where
    /// it is (`web.quantity`, `[2].dyno_size`) and what is expected.
    pub fn from_json(text: &str) -> Result<Formation> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!(
                "the formation is not valid JSON ({}); give the Platform API's formation array \
                 or an object like {{\"web\": {{\"size\": \"standard-2x\", \"quantity\": 2}}}}",
                crate::jsonerr::describe(&e, text)
            ))
        })?;
        Formation::from_value(&value)
    }

    /// Parses an already decoded JSON value (see [`Formation::from_json`]).
    pub fn from_value(value: &Value) -> Result<Formation> {
        Formation::from_value_with_sizes(value, &[])
    }

    /// As [`Formation::from_value`], with `extra` sizes (e.g. Heroku's live list, see
    /// [`crate::heroku::api::ApiDynoSize::to_dyno_size`]) consulted, by name and
    /// case-insensitively, for a size the built-in catalog does not know.
    pub fn from_value_with_sizes(value: &Value, extra: &[DynoSize]) -> Result<Formation> {
        // The normalised form this type serialises to (`{"processes": [...]}`) reads back as is.
        if let Value::Object(map) = value
            && map.len() == 1
            && map.get("processes").is_some_and(Value::is_array)
        {
            let formation: Formation = serde_json::from_value(value.clone()).map_err(|e| {
                Error::invalid_input(format!("not a normalised formation ({e})")).at("processes")
            })?;
            return Formation::from_value_with_sizes(
                &Value::Array(
                    formation
                        .processes
                        .iter()
                        .map(|p| {
                            serde_json::json!({"type": p.process_type, "quantity": p.quantity,
                                           "size": p.requested_size, "command": p.command})
                        })
                        .collect(),
                ),
                extra,
            );
        }
        let mut processes = match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| from_api_item(item, extra).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<Vec<_>>>()?,
            Value::Object(map) => map
                .iter()
                .map(|(name, spec)| from_simple(name, spec, extra).map_err(|e| e.at(name)))
                .collect::<Result<Vec<_>>>()?,
            other => {
                return Err(Error::invalid_input(format!(
                    "a formation is a JSON array (Platform API) or object (hand-written), not {}",
                    json_type(other)
                )));
            }
        };
        if processes.is_empty() {
            return Err(Error::invalid_input(
                "the formation has no process types; check the app name, or scale at least one \
                 process type before sizing",
            ));
        }
        processes.sort_by(|a, b| {
            (a.process_type != "web", &a.process_type)
                .cmp(&(b.process_type != "web", &b.process_type))
        });
        if let Some(w) = processes
            .windows(2)
            .find(|w| w[0].process_type == w[1].process_type)
        {
            return Err(Error::invalid_input(format!(
                "process type {:?} appears twice; each process type may appear once",
                w[0].process_type
            )));
        }
        Ok(Formation { processes })
    }

    /// Serialises the normalised formation (resolved sizes included) as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a formation always serialises")
    }

    /// The process with this type, if any.
    pub fn process(&self, process_type: &str) -> Option<&Process> {
        self.processes
            .iter()
            .find(|p| p.process_type == process_type)
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A size from the catalog, else from `extra` (same name, any case); the catalog's error
/// (which lists the known names) when neither has it.
fn resolve_size(name: &str, extra: &[DynoSize]) -> Result<DynoSize> {
    DynoSize::lookup(name).or_else(|e| {
        extra
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
            .cloned()
            .ok_or(e)
    })
}

/// The size of an API formation entry: `dyno_size.name`, else the deprecated `size`.
fn api_size_name(obj: &serde_json::Map<String, Value>) -> Option<&str> {
    match obj.get("dyno_size").and_then(|d| d.get("name")) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.as_str()),
        _ => match obj.get("size") {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        },
    }
}

/// The size names of a Platform API formation array that the built-in catalog does not know
/// (empty for other shapes): what the API client then asks Heroku's live list about.
pub(crate) fn unknown_size_names(value: &Value) -> Vec<String> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    let mut names: Vec<String> = items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(api_size_name)
        .filter(|n| !n.trim().is_empty() && DynoSize::lookup(n).is_err())
        .map(|n| n.trim().to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn from_api_item(item: &Value, extra: &[DynoSize]) -> Result<Process> {
    let obj = item.as_object().ok_or_else(|| {
        Error::invalid_input(format!(
            "each formation entry must be an object, not {}",
            json_type(item)
        ))
    })?;
    let process_type = process_type_name(obj.get("type")).map_err(|e| e.at("type"))?;
    let size_name = api_size_name(obj).ok_or_else(|| {
        Error::invalid_input("no dyno size: expected dyno_size.name or size to be a string")
    })?;
    let size = resolve_size(size_name, extra).map_err(|e| e.at("dyno_size"))?;
    let quantity = quantity(obj.get("quantity")).map_err(|e| e.at("quantity"))?;
    Ok(Process {
        process_type,
        size,
        requested_size: size_name.to_owned(),
        quantity,
        command: command(obj.get("command")).map_err(|e| e.at("command"))?,
    })
}

fn from_simple(name: &str, spec: &Value, extra: &[DynoSize]) -> Result<Process> {
    let process_type = process_type_name(Some(&Value::String(name.to_owned())))?;
    let obj = spec.as_object().ok_or_else(|| {
        Error::invalid_input(format!(
            "expected {{\"size\": ..., \"quantity\": ...}}, not {}",
            json_type(spec)
        ))
    })?;
    let size_name = match obj.get("size") {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(Error::invalid_input(
                "size must be a dyno size name such as \"standard-2x\"",
            )
            .at("size"));
        }
    };
    let size = resolve_size(size_name, extra).map_err(|e| e.at("size"))?;
    Ok(Process {
        process_type,
        size,
        requested_size: size_name.to_owned(),
        quantity: quantity(obj.get("quantity")).map_err(|e| e.at("quantity"))?,
        command: command(obj.get("command")).map_err(|e| e.at("command"))?,
    })
}

fn process_type_name(v: Option<&Value>) -> Result<String> {
    let Some(Value::String(name)) = v else {
        return Err(Error::invalid_input(
            "the process type must be a string such as \"web\"",
        ));
    };
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return Err(Error::invalid_input(format!(
            "process type {name:?} is not valid: use 1-64 letters, digits, '-' or '_'"
        )));
    }
    Ok(name.clone())
}

fn quantity(v: Option<&Value>) -> Result<u32> {
    let Some(v) = v else {
        return Err(Error::invalid_input(
            "quantity is missing; give the number of dynos (0 or more)",
        ));
    };
    match v.as_u64() {
        Some(q) if q <= MAX_QUANTITY => Ok(q as u32),
        Some(q) => Err(Error::invalid_input(format!(
            "quantity {q} is not plausible (more than {MAX_QUANTITY} dynos of one type)"
        ))),
        None => Err(Error::invalid_input(format!(
            "quantity must be a whole number of dynos, 0 or more; got {v}"
        ))),
    }
}

fn command(v: Option<&Value>) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid_input(format!(
            "command must be a string, not {}",
            json_type(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn api_shape_prefers_dyno_size_name() {
        let f = Formation::from_json(
            r#"[{"type":"worker","quantity":2,"size":"1X","dyno_size":{"id":"x","name":"Standard-2X"},"command":"bin/worker"},
                {"type":"web","quantity":4,"size":"Standard-1X","dyno_size":null}]"#,
        )
        .unwrap();
        assert_eq!(f.processes[0].process_type, "web");
        assert_eq!(f.processes[0].size.name, "Standard-1X");
        assert_eq!(f.processes[1].size.name, "Standard-2X");
        assert_eq!(f.processes[1].command.as_deref(), Some("bin/worker"));
    }

    #[test]
    fn errors_name_their_location() {
        let err =
            Formation::from_json(r#"{"web":{"size":"standard-2x","quantity":-1}}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.context(), Some("web.quantity"));
        let err =
            Formation::from_json(r#"[{"type":"web","quantity":1,"size":"huge"}]"#).unwrap_err();
        assert_eq!(err.context(), Some("[0].dyno_size"));
    }

    #[test]
    fn duplicates_and_empties_are_refused() {
        let dup = r#"[{"type":"web","quantity":1,"size":"basic"},{"type":"web","quantity":1,"size":"basic"}]"#;
        assert!(
            Formation::from_json(dup)
                .unwrap_err()
                .message()
                .contains("twice")
        );
        assert!(
            Formation::from_json("[]")
                .unwrap_err()
                .message()
                .contains("no process types")
        );
        assert!(
            Formation::from_json("{")
                .unwrap_err()
                .message()
                .contains("not valid JSON")
        );
    }

    #[test]
    fn round_trips_through_json() {
        let f = Formation::from_json(r#"{"web":{"size":"2x","quantity":3,"command":"bin/web"}}"#)
            .unwrap();
        let back: Formation = serde_json::from_str(&f.to_json()).unwrap();
        assert_eq!(back, f);
        assert_eq!(Formation::from_json(&f.to_json()).unwrap(), f);
        let bad = Formation::from_json(r#"{"processes":[{"type":"web"}]}"#).unwrap_err();
        assert_eq!(bad.context(), Some("processes"));
    }
}

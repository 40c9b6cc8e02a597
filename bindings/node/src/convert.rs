//! Core values → JS classes with read-only getters and `toJson()` (the core's JSON).

use dynoshift as core;
use dynoshift::finite_json::FiniteJson;
use napi_derive::napi;

/// A napi class from a result type declared in the core (`dynoshift::result_type!`): the core
/// value as `inner`, one getter per declared field (napi writes them camelCase into
/// `index.d.ts`), the binding's own methods (without `///` docs: see below), and a
/// `From<&CoreType>`.
macro_rules! js_result {
    ($($declaration:tt)*) => {
        dynoshift::result_class! {
            class [#[napi] #[derive(Debug, Clone)]] [#[napi]] [#[napi(getter)]] [f64] [plain] []
            $($declaration)*
        }
    };
}

/// A plain JS object type (`#[napi(object)]`, a TypeScript interface) from a declared result
/// type: one field per declared field, filled by a `From<&CoreType>`.
macro_rules! js_record {
    ($($declaration:tt)*) => {
        dynoshift::result_class! {
            record [#[napi(object)] #[derive(Debug, Clone)]] [] [] [f64] [plain] []
            $($declaration)*
        }
    };
}

// The binding's own methods are in impl blocks of their own: a `///` comment passed through
// the declaration's macro would reach napi as a raw string (`r" ..."` in index.d.ts).
dynoshift::result_type!(DynoSize => js_result {});

#[napi]
impl DynoSize {
    /// The core's JSON for this size.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

/// The core's JSON of a value (every result type serialises).
pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("the core's values always serialise")
}

dynoshift::result_type!(Process => js_result {});

dynoshift::result_type!(CostLine => js_result {});

dynoshift::result_type!(CostReport => js_result {});

#[napi]
impl CostReport {
    /// The core's JSON for this report.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

dynoshift::result_type!(ApiDynoSize => js_result {});

#[napi]
impl ApiDynoSize {
    /// The core's JSON for this entry.
    #[napi]
    pub fn to_json(&self) -> String {
        json(&self.inner)
    }
}

/// A plain JS value (an options object, a request) as JSON. napi's own conversion throws a
/// generic `InvalidArg` error (no kind) for numbers JSON cannot carry; here NaN and ±Infinity
/// are `invalid_input` saying so, like the other languages.
pub fn json_arg(
    env: &napi::Env,
    value: napi::bindgen_prelude::Unknown<'_>,
    what: &str,
) -> crate::errors::Result<serde_json::Value> {
    json_value(env, value, what).map_err(crate::errors::to_js)
}

/// [`json_arg`] with the core's error, for calls that reject their Promise with it.
pub fn json_value(
    env: &napi::Env,
    value: napi::bindgen_prelude::Unknown<'_>,
    what: &str,
) -> core::Result<serde_json::Value> {
    env.from_js_value::<FiniteJson, _>(value)
        .map(|v| v.0)
        .map_err(|e| core::finite_json::refused(what, &e.reason))
}

/// An options object as the caller gave it, refused when it holds a key the callee does not
/// know (`{ endpointURL }`, `{ gate }`): a misspelled option would otherwise be ignored and, for
/// example, turn a rehearsal on moto into a write to the real AWS endpoint.
pub(crate) struct Options<'a>(Option<napi::bindgen_prelude::Object<'a>>);

impl<'a> Options<'a> {
    /// Checks the keys of `options` against `known` (`what` names the call in the message).
    pub(crate) fn check(
        options: Option<napi::bindgen_prelude::Object<'a>>,
        what: &str,
        known: &[&str],
    ) -> crate::errors::Result<Self> {
        use crate::errors::IntoJs;
        if let Some(o) = &options {
            let keys = napi::bindgen_prelude::Object::keys(o).map_err(|e| {
                crate::errors::to_js(core::Error::invalid_input(format!(
                    "{what}: the options are not a plain object ({})",
                    e.reason
                )))
            })?;
            core::units::check_option_keys(what, &keys, known).js_err()?;
        }
        Ok(Options(options))
    }

    /// The value of `key` (None when absent or undefined); a value of the wrong type is
    /// `invalid_input` naming the key.
    pub(crate) fn get<T: napi::bindgen_prelude::FromNapiValue>(
        &self,
        key: &str,
    ) -> crate::errors::Result<Option<T>> {
        match &self.0 {
            None => Ok(None),
            Some(o) => o.get::<T>(key).map_err(|e| {
                crate::errors::to_js(
                    core::Error::invalid_input(format!("option {key}: {}", e.reason)).at(key),
                )
            }),
        }
    }
}

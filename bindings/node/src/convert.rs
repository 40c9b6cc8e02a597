//! Core values → JS classes with read-only getters and `toJson()` (the core's JSON).

use dynoshift as core;
use napi_derive::napi;

/// A Heroku dyno size.
#[napi]
#[derive(Debug, Clone)]
pub struct DynoSize {
    pub(crate) inner: core::DynoSize,
}

#[napi]
impl DynoSize {
    /// Canonical name, e.g. `Standard-2X`.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }
    /// `cedar` or `fir`.
    #[napi(getter)]
    pub fn generation(&self) -> String {
        dynoshift::units::wire_name(&self.inner.generation)
    }
    /// Memory quota in MiB.
    #[napi(getter)]
    pub fn memory_mb(&self) -> f64 {
        self.inner.memory_mb
    }
    /// `shared` or `dedicated`.
    #[napi(getter)]
    pub fn cpu_kind(&self) -> String {
        dynoshift::units::wire_name(&self.inner.cpu)
    }
    /// Shared multiplier (1, 2) or dedicated vCPUs.
    #[napi(getter)]
    pub fn cpu(&self) -> f64 {
        match self.inner.cpu {
            core::Cpu::Shared(n) => f64::from(n),
            core::Cpu::Dedicated(v) => v,
        }
    }
    /// R15 hard-kill factor, if known.
    #[napi(getter)]
    pub fn r15_factor(&self) -> Option<f64> {
        self.inner.r15_factor
    }
    /// List price per dyno per month (null: pool or contract pricing).
    #[napi(getter)]
    pub fn list_monthly_usd(&self) -> Option<f64> {
        match self.inner.pricing {
            core::Pricing::PerDyno(usd) => Some(usd),
            _ => None,
        }
    }
    /// `per_dyno`, `pool` or `contract`.
    #[napi(getter)]
    pub fn pricing(&self) -> String {
        dynoshift::units::wire_name(&self.inner.pricing)
    }
    /// Caveat or legacy-name note.
    #[napi(getter)]
    pub fn note(&self) -> Option<String> {
        self.inner.note.clone()
    }
    /// The core's JSON for this size.
    #[napi]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).expect("serialisable")
    }
}

/// One process type of a formation.
#[napi]
#[derive(Debug, Clone)]
pub struct Process {
    pub(crate) inner: core::Process,
}

#[napi]
impl Process {
    /// Process type, e.g. `web`.
    #[napi(getter)]
    pub fn process_type(&self) -> String {
        self.inner.process_type.clone()
    }
    /// Resolved dyno size.
    #[napi(getter)]
    pub fn size(&self) -> DynoSize {
        DynoSize {
            inner: self.inner.size.clone(),
        }
    }
    /// Size as written in the input.
    #[napi(getter)]
    pub fn requested_size(&self) -> String {
        self.inner.requested_size.clone()
    }
    /// Number of dynos.
    #[napi(getter)]
    pub fn quantity(&self) -> u32 {
        self.inner.quantity
    }
    /// Command, if given.
    #[napi(getter)]
    pub fn command(&self) -> Option<String> {
        self.inner.command.clone()
    }
}

/// The cost of one process type.
#[napi]
#[derive(Debug, Clone)]
pub struct CostLine {
    pub(crate) inner: core::CostLine,
}

#[napi]
impl CostLine {
    /// Process type.
    #[napi(getter)]
    pub fn process_type(&self) -> String {
        self.inner.process_type.clone()
    }
    /// Canonical dyno size.
    #[napi(getter)]
    pub fn size(&self) -> String {
        self.inner.size.clone()
    }
    /// Dynos.
    #[napi(getter)]
    pub fn quantity(&self) -> u32 {
        self.inner.quantity
    }
    /// USD per dyno per month.
    #[napi(getter)]
    pub fn unit_monthly_usd(&self) -> f64 {
        self.inner.unit_monthly_usd
    }
    /// USD per month.
    #[napi(getter)]
    pub fn monthly_usd(&self) -> f64 {
        self.inner.monthly_usd
    }
    /// `list`, `override` or `pool`.
    #[napi(getter)]
    pub fn price_source(&self) -> String {
        dynoshift::units::wire_name(&self.inner.price_source)
    }
    /// How the number was reached.
    #[napi(getter)]
    pub fn note(&self) -> Option<String> {
        self.inner.note.clone()
    }
}

/// A formation's monthly Heroku bill.
#[napi]
#[derive(Debug, Clone)]
pub struct CostReport {
    pub(crate) inner: core::CostReport,
}

#[napi]
impl CostReport {
    /// One line per process type.
    #[napi(getter)]
    pub fn lines(&self) -> Vec<CostLine> {
        self.inner
            .lines
            .iter()
            .map(|l| CostLine { inner: l.clone() })
            .collect()
    }
    /// USD per month.
    #[napi(getter)]
    pub fn total_monthly_usd(&self) -> f64 {
        self.inner.total_monthly_usd
    }
    /// `USD`.
    #[napi(getter)]
    pub fn currency(&self) -> String {
        self.inner.currency.clone()
    }
    /// Hours in a billing month (720).
    #[napi(getter)]
    pub fn hours_per_month(&self) -> f64 {
        self.inner.hours_per_month
    }
    /// Caveats for the whole report.
    #[napi(getter)]
    pub fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }
    /// The core's JSON for this report.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// A dyno size as the Platform API lists it (`GET /dyno-sizes`).
#[napi]
#[derive(Debug, Clone)]
pub struct ApiDynoSize {
    pub(crate) inner: core::ApiDynoSize,
}

#[napi]
impl ApiDynoSize {
    /// Name, e.g. `Standard-2X`.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }
    /// Memory in GB.
    #[napi(getter)]
    pub fn memory_gb(&self) -> f64 {
        self.inner.memory_gb
    }
    /// Compute units.
    #[napi(getter)]
    pub fn compute(&self) -> u32 {
        self.inner.compute
    }
    /// Dedicated CPU.
    #[napi(getter)]
    pub fn dedicated(&self) -> bool {
        self.inner.dedicated
    }
    /// Price in cents per `costUnit`, when Heroku lists one.
    #[napi(getter)]
    pub fn cost_cents(&self) -> Option<f64> {
        self.inner.cost.as_ref().map(|c| c.cents as f64)
    }
    /// Unit of the price, e.g. `month`.
    #[napi(getter)]
    pub fn cost_unit(&self) -> Option<String> {
        self.inner.cost.as_ref().map(|c| c.unit.clone())
    }
    /// Generation name, e.g. `cedar`.
    #[napi(getter)]
    pub fn generation(&self) -> Option<String> {
        self.inner.generation.clone()
    }
    /// The core's JSON for this entry.
    #[napi]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).expect("serialisable")
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
        .map_err(|e| {
            // `policy.cpu_percentile: NaN is not ...` when the visitor built a path
            let message = match e.reason.find(PATH) {
                Some(i) => nest(what, &e.reason[i + PATH.len_utf8()..])
                    .trim_start_matches(PATH)
                    .to_owned(),
                None => format!("{what}: {}", e.reason),
            };
            core::Error::invalid_input(message)
        })
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
struct FiniteJson(serde_json::Value);

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
                let shown = if v.is_nan() {
                    "NaN"
                } else if v > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                E::custom(format!(
                    "{PATH}: {shown} is not a finite number (JSON has no NaN or Infinity); give \
                     a finite value"
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

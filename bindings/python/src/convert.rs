//! Core values → Python objects. Every result class keeps the core value and offers
//! `to_json()` (the core's own JSON) next to typed attributes.

use dynoshift as core;
use pyo3::prelude::*;

/// A pyo3 class from a result type declared in the core (`dynoshift::result_type!`): the core
/// value as `inner`, one getter per declared field, a `__repr__` of the fields, the binding's
/// own methods, and a `From<&CoreType>`.
macro_rules! py_result {
    ($(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* } $($fields:tt)*) => {
        dynoshift::result_class! {
            class [#[pyclass(module = "dynoshift", frozen)] #[derive(Debug, Clone)]] [#[pymethods]]
            [#[getter]] [u64] [plain] [crate::convert::py_repr]
            $(#[doc = $doc])* $name : $core { $($extra)* } $($fields)*
        }

        impl crate::convert::PyRepr for $name {
            fn py_repr(&self) -> String {
                self.__repr__()
            }
        }
    };
}

/// A value as Python's `repr` writes it, near enough (`True`, `None`, `[...]`).
pub trait PyRepr {
    /// The text.
    fn py_repr(&self) -> String;
}

macro_rules! py_repr_as {
    ($fmt:literal: $($t:ty),*) => {
        $(impl PyRepr for $t {
            fn py_repr(&self) -> String {
                format!($fmt, self)
            }
        })*
    };
}
py_repr_as!("{:?}": String, f64, u32, u64, i64);

impl PyRepr for bool {
    fn py_repr(&self) -> String {
        (if *self { "True" } else { "False" }).to_owned()
    }
}

impl<T: PyRepr> PyRepr for Option<T> {
    fn py_repr(&self) -> String {
        self.as_ref()
            .map_or_else(|| "None".to_owned(), PyRepr::py_repr)
    }
}

impl<T: PyRepr> PyRepr for Vec<T> {
    fn py_repr(&self) -> String {
        let items: Vec<String> = self.iter().map(PyRepr::py_repr).collect();
        format!("[{}]", items.join(", "))
    }
}

/// [`PyRepr::py_repr`] as a function (for the declared classes' `__repr__`).
pub fn py_repr<T: PyRepr>(value: &T) -> String {
    value.py_repr()
}

/// The core's JSON of a value (every result type serialises).
pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("the core's values always serialise")
}

dynoshift::result_type!(DynoSize => py_result {
    /// The core's JSON for this size.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
});

/// One process type of a formation.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct Process {
    /// Process type, e.g. "web".
    #[pyo3(get)]
    pub process_type: String,
    /// Resolved dyno size.
    #[pyo3(get)]
    pub size: DynoSize,
    /// Size as written in the input.
    #[pyo3(get)]
    pub requested_size: String,
    /// Number of dynos.
    #[pyo3(get)]
    pub quantity: u32,
    /// Command, if given.
    #[pyo3(get)]
    pub command: Option<String>,
}

impl From<&core::Process> for Process {
    fn from(p: &core::Process) -> Self {
        Process {
            process_type: p.process_type.clone(),
            size: (&p.size).into(),
            requested_size: p.requested_size.clone(),
            quantity: p.quantity,
            command: p.command.clone(),
        }
    }
}

#[pymethods]
impl Process {
    fn __repr__(&self) -> String {
        format!(
            "Process(process_type={:?}, size={:?}, quantity={})",
            self.process_type, self.size.inner.name, self.quantity
        )
    }
}

dynoshift::result_type!(CostLine => py_result {});

dynoshift::result_type!(CostReport => py_result {
    /// The core's JSON for this report.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// A dyno size as the Platform API lists it (`GET /dyno-sizes`).
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct ApiDynoSize {
    /// Name, e.g. "Standard-2X".
    #[pyo3(get)]
    pub name: String,
    /// Memory in GB.
    #[pyo3(get)]
    pub memory_gb: f64,
    /// Compute units.
    #[pyo3(get)]
    pub compute: u32,
    /// Dedicated CPU.
    #[pyo3(get)]
    pub dedicated: bool,
    /// Price in cents per `cost_unit`, when Heroku lists one.
    #[pyo3(get)]
    pub cost_cents: Option<u64>,
    /// Unit of the price, e.g. "month".
    #[pyo3(get)]
    pub cost_unit: Option<String>,
    /// Generation name, e.g. "cedar".
    #[pyo3(get)]
    pub generation: Option<String>,
    json: String,
}

#[pymethods]
impl ApiDynoSize {
    /// The core's JSON for this entry.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "ApiDynoSize(name={:?}, memory_gb={})",
            self.name, self.memory_gb
        )
    }
}

impl From<&core::ApiDynoSize> for ApiDynoSize {
    fn from(s: &core::ApiDynoSize) -> Self {
        ApiDynoSize {
            name: s.name.clone(),
            memory_gb: s.memory_gb,
            compute: s.compute,
            dedicated: s.dedicated,
            cost_cents: s.cost.as_ref().map(|c| c.cents),
            cost_unit: s.cost.as_ref().map(|c| c.unit.clone()),
            generation: s.generation.clone(),
            json: serde_json::to_string(s).expect("serialisable"),
        }
    }
}

/// Plain data in: a Python mapping (or `None`) as JSON text, through Python's own `json`.
pub fn json_text(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => Ok(Some(
            py.import("json")?.call_method1("dumps", (v,))?.extract()?,
        )),
    }
}

/// Plain data out: the core's JSON text as Python dicts and lists.
pub fn from_json_text(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

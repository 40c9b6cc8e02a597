//! Core values → Python objects. Every result class keeps the core value and offers
//! `to_json()` (the core's own JSON) next to typed attributes.

use pyo3::prelude::*;

/// A pyo3 class from a result type declared in the core (`dynoshift::result_type!`): the core
/// value as `inner`, one getter per declared field, a `__repr__` of the fields (a nested class
/// by its first field), the binding's
/// own methods, and a `From<&CoreType>`.
macro_rules! py_result {
    (
        $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
        $(#[doc = $fdoc:tt])* $first:ident : $($fields:tt)*
    ) => {
        dynoshift::result_class! {
            class [#[pyclass(module = "dynoshift", frozen)] #[derive(Debug, Clone)]] [#[pymethods]]
            [#[getter]] [u64] [plain] [crate::convert::py_repr]
            $(#[doc = $doc])* $name : $core { $($extra)* } $(#[doc = $fdoc])* $first : $($fields)*
        }

        // Inside another class's repr, a nested one shows its first field only (its own repr
        // has them all): a whole report in one line would be unreadable.
        impl crate::convert::PyRepr for $name {
            fn py_repr(&self) -> String {
                format!(
                    "{}({}={}, ...)",
                    stringify!($name),
                    stringify!($first),
                    crate::convert::PyRepr::py_repr(&self.$first())
                )
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

dynoshift::result_type!(Process => py_result {});

dynoshift::result_type!(CostLine => py_result {});

dynoshift::result_type!(CostReport => py_result {
    /// The core's JSON for this report.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

dynoshift::result_type!(ApiDynoSize => py_result {
    /// The core's JSON for this entry.
    fn to_json(&self) -> String {
        json(&self.inner)
    }
});

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

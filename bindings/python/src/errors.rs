//! Core errors → `dynoshift.exceptions` classes (defined in Python so that, e.g.,
//! `InvalidInputError` can also be a `ValueError`).

use dynoshift::Error;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Converts a core error into the matching Python exception, with `.context` set.
pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let module = py.import("dynoshift.exceptions")?;
            let class = module.getattr(err.kind().class_name())?;
            let instance = class.call1((err.to_string(),))?;
            instance.setattr("context", err.context())?;
            Ok(PyErr::from_value(instance))
        };
        build().unwrap_or_else(|import_failed| {
            PyRuntimeError::new_err(format!(
                "[{}] {err} (and dynoshift.exceptions could not be loaded: {import_failed})",
                err.kind()
            ))
        })
    })
}

/// `Result` → `PyResult`.
pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

//! The log-drain receiver embedded: `await serve_drain(...)` → a running `DrainServer` on the
//! binding's tokio runtime; `await server.stop()` ends it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use dynoshift::drain as core_drain;
use pyo3::prelude::*;

use crate::aio::future_into_py;
use crate::errors::IntoPy;
use crate::ingest::Profiles;

/// A running log-drain receiver (see `serve_drain`).
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct DrainServer {
    inner: Arc<core_drain::DrainServer>,
}

#[pymethods]
impl DrainServer {
    /// The address it listens on (`127.0.0.1:8080`).
    #[getter]
    fn addr(&self) -> String {
        self.inner.addr().to_string()
    }
    /// The drain URL for `heroku drains:add` (without credentials).
    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }
    /// The profiles so far, by app key (`Logplex-Drain-Token` or the `/drain/APP` segment).
    fn profiles(&self, py: Python<'_>) -> BTreeMap<String, Profiles> {
        let inner = &self.inner;
        py.detach(|| inner.profiles())
            .into_iter()
            .map(|(k, inner)| (k, Profiles { inner }))
            .collect()
    }
    /// Stops accepting, lets requests in flight finish, writes a checkpoint (awaitable).
    fn stop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stop = self.inner.stop();
        future_into_py(py, async move {
            stop.await.py_err()?;
            Ok(())
        })
    }
    fn __repr__(&self) -> String {
        format!("DrainServer(url={:?})", self.inner.url())
    }
}

/// `await dynoshift.serve_drain("0.0.0.0:8080", "/var/lib/dynoshift", auth="user:password")`
/// → a running `DrainServer` (the same receiver as `dynoshift drain serve`).
#[pyfunction]
#[pyo3(signature = (listen, state_dir, auth=None, tls_cert=None, tls_key=None, max_body=None, checkpoint_every=None))]
#[allow(clippy::too_many_arguments)]
pub fn serve_drain<'py>(
    py: Python<'py>,
    listen: &str,
    state_dir: PathBuf,
    auth: Option<&str>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_body: Option<u64>,
    checkpoint_every: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = core_drain::options_from_args(
        listen,
        state_dir,
        auth,
        tls_cert,
        tls_key,
        max_body,
        checkpoint_every,
    )
    .py_err()?;
    future_into_py(py, async move {
        let inner = core_drain::DrainServer::start(options).await.py_err()?;
        Ok(DrainServer {
            inner: Arc::new(inner),
        })
    })
}

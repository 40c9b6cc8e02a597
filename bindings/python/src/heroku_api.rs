//! `HerokuClient`: the Platform API as asyncio awaitables.

use crate::aio::future_into_py;
use dynoshift as core;
use pyo3::prelude::*;

use crate::Formation;
use crate::convert::ApiDynoSize;
use crate::errors::IntoPy;

/// A Heroku Platform API client. The token comes from `token` or `HEROKU_API_KEY` and is never
/// shown by `repr`, errors or logs. Its calls return asyncio futures; the package's
/// `dynoshift.HerokuClient` (python/dynoshift/_aio.py) subclasses it with coroutine methods.
#[pyclass(module = "dynoshift", frozen, subclass)]
#[derive(Debug)]
pub struct HerokuClient {
    pub(crate) inner: core::HerokuClient,
}

#[pymethods]
impl HerokuClient {
    #[new]
    #[pyo3(signature = (token=None, base_url=None, timeout_seconds=None))]
    fn new(
        token: Option<String>,
        base_url: Option<String>,
        timeout_seconds: Option<f64>,
    ) -> PyResult<Self> {
        let timeout = timeout_seconds
            .map(|s| core::units::seconds(s, "timeout_seconds"))
            .transpose()
            .py_err()?;
        let options = core::HerokuApiOptions {
            token: token.map(core::Token::new),
            base_url,
            timeout,
            ..Default::default()
        };
        Ok(HerokuClient {
            inner: core::HerokuClient::new(options).py_err()?,
        })
    }

    /// The API's base URL.
    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// `await client.formation("my-app")` → `Formation`.
    fn formation<'py>(&self, py: Python<'py>, app: String) -> PyResult<Bound<'py, PyAny>> {
        let call = self.inner.formation(&app);
        future_into_py(py, async move {
            Ok(Formation {
                inner: call.await.py_err()?,
            })
        })
    }

    /// `await client.dyno_sizes()` → `list[ApiDynoSize]` as the API lists them.
    fn dyno_sizes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let call = self.inner.dyno_sizes();
        future_into_py(py, async move {
            let sizes = call.await.py_err()?;
            Ok(sizes.iter().map(ApiDynoSize::from).collect::<Vec<_>>())
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "HerokuClient(base_url={:?}, token=** redacted **)",
            self.inner.base_url()
        )
    }
}

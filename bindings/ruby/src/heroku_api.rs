//! `HerokuClient`: the Platform API. Its methods are async in Rust; from Ruby they block the
//! calling thread (releasing the GVL) or yield under a Fiber scheduler.

use std::sync::Arc;

use dynoshift as core;

use crate::Formation;
use crate::convert::ApiDynoSize;
use crate::errors::Result;

/// A Heroku Platform API client. The token comes from `token` or `HEROKU_API_KEY` and is never
/// shown by `inspect`, errors or logs.
#[derive(Debug, uniffi::Object)]
pub struct HerokuClient {
    pub(crate) inner: core::HerokuClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl HerokuClient {
    /// `HerokuClient.new(token = nil, base_url = nil, timeout_seconds = nil)`.
    #[uniffi::constructor(default(token = None, base_url = None, timeout_seconds = None))]
    pub fn new(
        token: Option<String>,
        base_url: Option<String>,
        timeout_seconds: Option<f64>,
    ) -> Result<Arc<HerokuClient>> {
        let timeout = timeout_seconds
            .map(|s| core::units::seconds(s, "timeout_seconds"))
            .transpose()?;
        let options = core::HerokuApiOptions {
            token: token.map(core::Token::new),
            base_url,
            timeout,
            ..Default::default()
        };
        Ok(Arc::new(HerokuClient {
            inner: core::HerokuClient::new(options)?,
        }))
    }

    /// The API's base URL.
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The app's formation (`GET /apps/{app}/formation`).
    pub async fn formation(&self, app: String) -> Result<Arc<Formation>> {
        let inner = self.inner.formation(&app).await?;
        Ok(Arc::new(Formation { inner }))
    }

    /// Dyno sizes as the API lists them (`GET /dyno-sizes`).
    pub async fn dyno_sizes(&self) -> Result<Vec<Arc<ApiDynoSize>>> {
        let sizes = self.inner.dyno_sizes().await?;
        Ok(sizes.iter().map(|s| Arc::new(s.into())).collect())
    }
}

//! `HerokuClient`: the Platform API as Promises.

use dynoshift as core;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::Formation;
use crate::convert::ApiDynoSize;
use napi::bindgen_prelude::Object;

use crate::convert::Options;
use crate::errors::{IntoJs, Result, promise};

/// Options for `new HerokuClient(options)`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct HerokuClientOptions {
    /// API token; defaults to `HEROKU_API_KEY`.
    pub token: Option<String>,
    /// Base URL; defaults to `https://api.heroku.com`.
    pub base_url: Option<String>,
    /// Limit for a whole request in seconds (default 30).
    pub timeout_seconds: Option<f64>,
}

/// A Heroku Platform API client. The token is never shown by `util.inspect`, errors or logs.
#[napi]
#[derive(Debug)]
pub struct HerokuClient {
    pub(crate) inner: core::HerokuClient,
}

#[napi]
impl HerokuClient {
    /// Builds a client; no network call is made until a method is awaited.
    #[napi(constructor, ts_args_type = "options?: HerokuClientOptions")]
    pub fn new(options: Option<Object>) -> Result<Self> {
        let o = Options::check(
            options,
            "new HerokuClient(options)",
            &["token", "baseUrl", "timeoutSeconds"],
        )?;
        let timeout = o
            .get::<f64>("timeoutSeconds")?
            .map(|s| core::units::seconds(s, "timeoutSeconds"))
            .transpose()
            .js_err()?;
        let options = core::HerokuApiOptions {
            token: o.get::<String>("token")?.map(core::Token::new),
            base_url: o.get("baseUrl")?,
            timeout,
            ..Default::default()
        };
        Ok(HerokuClient {
            inner: core::HerokuClient::new(options).js_err()?,
        })
    }

    /// The API's base URL.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// Resolves to the app's `Formation`.
    #[napi(ts_return_type = "Promise<Formation>")]
    pub fn formation<'env>(
        &self,
        env: &'env Env,
        app: String,
    ) -> napi::Result<PromiseRaw<'env, Formation>> {
        promise(env, self.inner.formation(&app), |inner| Formation { inner })
    }

    /// Resolves to the dyno sizes as the API lists them.
    #[napi(ts_return_type = "Promise<Array<ApiDynoSize>>")]
    pub fn dyno_sizes<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<ApiDynoSize>>> {
        promise(env, self.inner.dyno_sizes(), |sizes| {
            sizes
                .into_iter()
                .map(|inner| ApiDynoSize { inner })
                .collect()
        })
    }
}

//! The log-drain receiver embedded: `serveDrain(options)` resolves to a running `DrainServer`
//! on the addon's tokio runtime; `server.stop()` ends it.

use std::collections::HashMap;
use std::sync::Arc;

use dynoshift::drain as core_drain;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::errors::promise;
use crate::ingest::Profiles;

/// Options of `serveDrain`.
#[napi(object)]
#[derive(Default)]
pub struct DrainServeOptions {
    /// Where to listen, `HOST:PORT` (`0.0.0.0:8080`; port 0 picks a free one).
    pub listen: String,
    /// The state directory (batch log and checkpoint); created if missing.
    pub state_dir: String,
    /// Basic-auth credentials `user:password` required on every route but `/healthz`.
    pub auth: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with `tlsKey`).
    pub tls_cert: Option<String>,
    /// The PEM private key for `tlsCert`.
    pub tls_key: Option<String>,
    /// The largest batch body accepted, in bytes (larger: 413).
    pub max_body: Option<f64>,
    /// Batches between checkpoints of the state.
    pub checkpoint_every: Option<f64>,
}

impl std::fmt::Debug for DrainServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrainServeOptions")
            .field("listen", &self.listen)
            .field("state_dir", &self.state_dir)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A running log-drain receiver (see `serveDrain`).
#[napi]
#[derive(Debug)]
pub struct DrainServer {
    inner: Arc<core_drain::DrainServer>,
}

#[napi]
impl DrainServer {
    /// The address it listens on (`127.0.0.1:8080`).
    #[napi(getter)]
    pub fn addr(&self) -> String {
        self.inner.addr().to_string()
    }
    /// The drain URL for `heroku drains:add` (without credentials).
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.inner.url()
    }
    /// The profiles so far, by app key (`Logplex-Drain-Token` or the `/drain/APP` segment).
    #[napi]
    pub fn profiles(&self) -> HashMap<String, Profiles> {
        self.inner
            .profiles()
            .into_iter()
            .map(|(k, inner)| (k, Profiles { inner }))
            .collect()
    }
    /// Stops accepting, lets requests in flight finish and writes a checkpoint.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        promise(env, self.inner.stop(), |()| ())
    }
}

/// Starts the same receiver as `dynoshift drain serve`; resolves once it listens. Rejects with
/// `code` `invalid_input` for bad options, `unavailable` when the address is taken.
#[napi(ts_return_type = "Promise<DrainServer>")]
pub fn serve_drain<'env>(
    env: &'env Env,
    options: DrainServeOptions,
) -> napi::Result<PromiseRaw<'env, DrainServer>> {
    let number = |n: Option<f64>| n.map(|n| if n >= 1.0 { n as u64 } else { 0 });
    promise(
        env,
        async move {
            let o = core_drain::options_from_args(
                &options.listen,
                options.state_dir,
                options.auth.as_deref(),
                options.tls_cert.map(Into::into),
                options.tls_key.map(Into::into),
                number(options.max_body),
                number(options.checkpoint_every),
            )?;
            core_drain::DrainServer::start(o).await
        },
        |inner| DrainServer {
            inner: Arc::new(inner),
        },
    )
}

//! The log-drain receiver embedded: `Dynoshift.serve_drain(listen, state_dir, ...)` → a running
//! `DrainServer` (blocking the caller until it listens, or yielding under a Fiber scheduler);
//! `server.stop` ends it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use dynoshift::drain as core_drain;

use crate::errors::Result;
use crate::ingest::Profiles;

/// A running log-drain receiver (see `serve_drain`).
#[derive(Debug, uniffi::Object)]
pub struct DrainServer {
    inner: core_drain::DrainServer,
}

#[uniffi::export(async_runtime = "tokio")]
impl DrainServer {
    /// The address it listens on (`127.0.0.1:8080`).
    pub fn addr(&self) -> String {
        self.inner.addr().to_string()
    }

    /// The drain URL for `heroku drains:add` (without credentials).
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// The profiles so far, by app key (`Logplex-Drain-Token` or the `/drain/APP` segment).
    pub fn profiles(&self) -> HashMap<String, Arc<Profiles>> {
        self.inner
            .profiles()
            .into_iter()
            .map(|(k, inner)| (k, Arc::new(Profiles { inner })))
            .collect()
    }

    /// Stops accepting, lets requests in flight finish, writes a checkpoint.
    pub async fn stop(&self) -> Result<()> {
        Ok(self.inner.stop().await?)
    }
}

/// `Dynoshift.serve_drain("0.0.0.0:8080", "/var/lib/dynoshift", "user:password")` → a running
/// `DrainServer` (the same receiver as `dynoshift drain serve`).
#[uniffi::export(
    async_runtime = "tokio",
    default(
        auth = None,
        tls_cert = None,
        tls_key = None,
        max_body = None,
        checkpoint_every = None
    )
)]
pub async fn serve_drain(
    listen: String,
    state_dir: String,
    auth: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    max_body: Option<u64>,
    checkpoint_every: Option<u64>,
) -> Result<Arc<DrainServer>> {
    let options = core_drain::options_from_args(
        &listen,
        PathBuf::from(state_dir),
        auth.as_deref(),
        tls_cert.map(PathBuf::from),
        tls_key.map(PathBuf::from),
        max_body,
        checkpoint_every,
    )?;
    let inner = core_drain::DrainServer::start(options).await?;
    Ok(Arc::new(DrainServer { inner }))
}

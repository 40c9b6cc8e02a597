//! Log inputs of `ingest`, `size`, `plan` and `backtest`: local files and `s3://bucket/prefix`
//! URLs (every object under the prefix, read by the core's streaming S3 reader).

use std::path::PathBuf;

use clap::Args;
use dynoshift::Error;
use dynoshift::telemetry::Profiles;
use dynoshift::telemetry::s3input::{S3InputOptions, download_s3, ingest_inputs, is_s3_url};

/// How to reach S3 for `s3://` inputs.
#[derive(Args, Debug, Clone, Default)]
pub struct S3Args {
    /// For s3://bucket/prefix inputs: send S3 requests here instead of AWS (an S3-compatible
    /// server, e.g. http://127.0.0.1:5000 for moto_server; default: $AWS_ENDPOINT_URL_S3 or
    /// $AWS_ENDPOINT_URL if set). Credentials and region come from the standard AWS chain
    /// (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_REGION, ...).
    #[arg(long = "endpoint-url", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// For s3:// inputs: objects read at the same time (1 to 64, default 8).
    #[arg(long = "s3-concurrency", value_name = "N")]
    pub s3_concurrency: Option<usize>,
}

impl S3Args {
    fn options(&self) -> S3InputOptions {
        S3InputOptions {
            endpoint_url: self.endpoint_url.clone(),
            concurrency: self.s3_concurrency,
            ..S3InputOptions::default()
        }
    }
}

/// The local paths and the S3 URLs among `inputs`, each in their order.
fn split(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let (s3, local): (Vec<&PathBuf>, Vec<&PathBuf>) = inputs
        .iter()
        .partition(|i| i.to_str().is_some_and(is_s3_url));
    let s3 = s3
        .iter()
        .filter_map(|p| p.to_str().map(str::to_owned))
        .collect();
    (local.into_iter().cloned().collect(), s3)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("could not start the async runtime: {e}")))
}

/// Ingests the inputs: the local files first (on `threads` threads), then the S3 objects.
pub fn ingest(inputs: &[PathBuf], threads: Option<i64>, s3: &S3Args) -> Result<Profiles, Error> {
    ingest_inputs(inputs, threads, &s3.options(), &|_| {}, |s3| {
        runtime()?.block_on(s3)
    })
}

/// Local copies of the inputs, for commands that read their input twice (`backtest`): local
/// files as they are, S3 objects downloaded into a temporary directory (removed on drop).
pub struct LocalCopies {
    pub paths: Vec<PathBuf>,
    dir: Option<PathBuf>,
}

impl Drop for LocalCopies {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

pub fn local_copies(inputs: &[PathBuf], s3: &S3Args) -> Result<LocalCopies, Error> {
    let (mut paths, urls) = split(inputs);
    if urls.is_empty() {
        return Ok(LocalCopies { paths, dir: None });
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("dynoshift-s3-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| dynoshift::files::io_error(&e, &dir))?;
    let mut copies = LocalCopies {
        paths: std::mem::take(&mut paths),
        dir: Some(dir.clone()),
    };
    let fetched = runtime()?.block_on(download_s3(urls, s3.options(), dir))?;
    copies.paths.extend(fetched);
    Ok(copies)
}

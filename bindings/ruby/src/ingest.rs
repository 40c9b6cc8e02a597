//! Heroku log ingestion: the bulk call over paths, the incremental `Ingest`, the profiles with
//! typed top-level figures (detail through `to_json`), and the synthetic log generator.

use std::sync::{Arc, Mutex, PoisonError};

use dynoshift as core;
use dynoshift::heroku::synth;

use crate::Formation;
use crate::errors::Result;

dynoshift::result_type!(LineCounts => rb_record {});
dynoshift::result_type!(UnparsedExample => rb_record {});
dynoshift::result_type!(InputIssue => rb_record {});
dynoshift::result_type!(TimeSpan => rb_record {});

dynoshift::result_type!(Profiles => rb_result {
    /// The core's JSON (the same as `dynoshift ingest --json`).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Incremental ingestion of uncompressed bytes in chunks of any size.
#[derive(Debug, Default, uniffi::Object)]
pub struct Ingest {
    inner: Mutex<core::Ingest>,
}

impl Ingest {
    fn with<T>(&self, f: impl FnOnce(&mut core::Ingest) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl Ingest {
    /// An empty ingest.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::default()
    }
    /// Names the input the next bytes come from (for examples and issues).
    pub fn begin_input(&self, name: String) {
        self.with(|i| i.begin_input(name));
    }
    /// Feeds bytes; a line may be split across calls.
    pub fn feed(&self, data: Vec<u8>) {
        self.with(|i| i.feed(&data));
    }
    /// Ends the current input (a last line without a newline is counted).
    pub fn end_input(&self) {
        self.with(|i| i.end_input());
    }
    /// Adds what `other` has read; `other` is left as it is.
    pub fn merge(&self, other: Arc<Ingest>) {
        let theirs = other.with(|i| i.clone());
        self.with(|i| i.merge(theirs));
    }
    /// The profiles so far (a snapshot: feeding may go on).
    pub fn finish(&self) -> Arc<Profiles> {
        Arc::new(Profiles {
            inner: self.with(|i| i.clone().finish()),
        })
    }
    /// The state of this ingest as bytes (versioned; an unfinished last line is kept), to
    /// save, move and `Ingest.loads` elsewhere, then feed on or merge.
    pub fn dumps(&self) -> Vec<u8> {
        self.with(|i| i.to_bytes())
    }
    /// Loads a state made by `dumps`; anything else is `InvalidInputError`.
    #[uniffi::constructor]
    pub fn loads(data: Vec<u8>) -> Result<Arc<Ingest>> {
        Ok(Arc::new(Ingest {
            inner: Mutex::new(core::Ingest::from_bytes(&data)?),
        }))
    }
}

/// Ingests Heroku log files (text, drain frames, Papertrail archives, bare lines; gzip detected)
/// and `s3://bucket/prefix` URLs (the standard AWS credential chain; `AWS_ENDPOINT_URL_S3` /
/// `AWS_ENDPOINT_URL` for an S3-compatible server) on `threads` threads (default: every core,
/// up to 8; big plain files are read in segments the threads share; the result is the same for
/// any number). Missing files are `NotFoundError`, unreadable ones and `threads` outside
/// 1..=256 `InvalidInputError`.
#[uniffi::export(default(threads = None))]
pub fn ingest(paths: Vec<String>, threads: Option<i64>) -> Result<Arc<Profiles>> {
    let paths: Vec<std::path::PathBuf> = paths.into_iter().map(Into::into).collect();
    let inner = core::telemetry::s3input::ingest_inputs(
        &paths,
        threads,
        &Default::default(),
        &|_| {},
        |s3| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| core::Error::internal(format!("could not start a runtime: {e}")))?
                .block_on(s3)
        },
    )?;
    Ok(Arc::new(Profiles { inner }))
}

dynoshift::result_type!(SynthReport => rb_result {
    /// The core's JSON: options and the injected parameters per process type.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

/// Writes a deterministic synthetic Heroku log for `formation` to `path` (gzip when it ends in
/// `.gz`); `options_json` is the generator's options (`{"duration_s": 86400, "seed": 7}`).
#[uniffi::export(default(options_json = None))]
pub fn synth_logs(
    formation: Arc<Formation>,
    path: String,
    options_json: Option<String>,
) -> Result<Arc<SynthReport>> {
    let options = match options_json {
        Some(text) => synth::SynthOptions::from_json(&text)?,
        None => synth::SynthOptions::default(),
    };
    Ok(Arc::new(SynthReport {
        inner: synth::generate_file(&formation.inner, &options, std::path::Path::new(&path))?,
    }))
}

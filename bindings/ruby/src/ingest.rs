//! Heroku log ingestion: the bulk call over paths, the incremental `Ingest`, the profiles with
//! typed top-level figures (detail through `to_json`), and the synthetic log generator.

use std::sync::{Arc, Mutex, PoisonError};

use dynoshift as core;
use dynoshift::heroku::synth;

use crate::Formation;
use crate::errors::Result;

/// What was read: bytes and records by kind.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LineCounts {
    pub bytes: u64,
    pub records: u64,
    pub telemetry: u64,
    pub other: u64,
    pub unparsed: u64,
    pub blank: u64,
}

/// One of the first unparsed records, kept as an example.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UnparsedExample {
    pub input: Option<String>,
    pub record: u64,
    pub reason: String,
    pub text: String,
}

/// A problem with an input as a whole (e.g. a truncated gzip), after `bytes_read` good bytes.
#[derive(Debug, Clone, uniffi::Record)]
pub struct InputIssue {
    pub input: Option<String>,
    pub bytes_read: u64,
    pub message: String,
}

/// The time the samples cover.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TimeSpan {
    pub start_ms: i64,
    pub end_ms: i64,
    pub start: String,
    pub end: String,
    pub seconds: f64,
}

/// Per-process-type utilisation profiles; the detail (distributions, router, R14/R15, per dyno)
/// is in `to_json`.
#[derive(Debug, uniffi::Object)]
pub struct Profiles {
    pub(crate) inner: core::Profiles,
}

#[uniffi::export]
impl Profiles {
    /// The process types seen, e.g. `["web", "worker"]`.
    pub fn process_types(&self) -> Vec<String> {
        self.inner.process_types.keys().cloned().collect()
    }
    /// The quantile sketches' relative error.
    pub fn relative_error(&self) -> f64 {
        self.inner.relative_error
    }
    /// Bytes and records by kind.
    pub fn lines(&self) -> LineCounts {
        let c = &self.inner.lines;
        LineCounts {
            bytes: c.bytes,
            records: c.records,
            telemetry: c.telemetry,
            other: c.other,
            unparsed: c.unparsed,
            blank: c.blank,
        }
    }
    /// The first unparsed records.
    pub fn unparsed_examples(&self) -> Vec<UnparsedExample> {
        self.inner
            .unparsed_examples
            .iter()
            .map(|e| UnparsedExample {
                input: e.input.clone(),
                record: e.record,
                reason: e.reason.clone(),
                text: e.text.clone(),
            })
            .collect()
    }
    /// Problems with whole inputs.
    pub fn input_issues(&self) -> Vec<InputIssue> {
        self.inner
            .input_issues
            .iter()
            .map(|i| InputIssue {
                input: i.input.clone(),
                bytes_read: i.bytes_read,
                message: i.message.clone(),
            })
            .collect()
    }
    /// The time covered, if any sample had a timestamp.
    pub fn span(&self) -> Option<TimeSpan> {
        self.inner.span.as_ref().map(|s| TimeSpan {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            start: s.start.clone(),
            end: s.end.clone(),
            seconds: s.seconds,
        })
    }
    /// The core's JSON (the same as `dynoshift ingest --json`).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

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

/// What the generator wrote and injected.
#[derive(Debug, uniffi::Object)]
pub struct SynthReport {
    inner: synth::SynthReport,
}

#[uniffi::export]
impl SynthReport {
    /// Lines written.
    pub fn lines(&self) -> u64 {
        self.inner.lines
    }
    /// Bytes written (before compression).
    pub fn bytes(&self) -> u64 {
        self.inner.bytes
    }
    /// The process types generated.
    pub fn process_types(&self) -> Vec<String> {
        self.inner.process_types.keys().cloned().collect()
    }
    /// The core's JSON: options and the injected parameters per process type.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

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

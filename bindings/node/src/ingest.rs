//! Heroku log ingestion: the incremental `Ingest`, the bulk `ingest(paths)` (a Promise computed
//! on libuv's thread pool, off the JS thread), the `Profiles` result and the synthetic log
//! generator.

use std::cell::RefCell;
use std::path::PathBuf;

use dynoshift as core;
use dynoshift::heroku::synth;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Task};
use napi_derive::napi;

use crate::Formation;
use crate::errors::{IntoJs, Result, js_error_object};

dynoshift::result_type!(LineCounts => js_result {});
dynoshift::result_type!(UnparsedExample => js_result {});
dynoshift::result_type!(InputIssue => js_result {});
dynoshift::result_type!(TimeSpan => js_result {});
dynoshift::result_type!(Profiles => js_result {});

#[napi]
impl Profiles {
    /// The core's JSON (the same text as `dynoshift ingest --json`).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Incremental ingestion: `feed` uncompressed bytes in chunks of any size (lines may be split
/// anywhere), `merge` other ingests, and `finish` for the profiles. gzip is detected only by
/// `ingest(paths)`; decompress before feeding (e.g. `zlib.gunzipSync`). Runs on the JS thread:
/// for whole files use `ingest(paths)`.
#[napi]
#[derive(Debug, Default)]
pub struct Ingest {
    inner: RefCell<core::Ingest>,
}

#[napi]
impl Ingest {
    /// An empty ingest.
    #[napi(constructor)]
    pub fn new() -> Self {
        Ingest::default()
    }

    /// Names the input the next bytes come from (shown in unparsed examples) and ends the
    /// previous one.
    #[napi]
    pub fn begin_input(&self, name: String) {
        self.inner.borrow_mut().begin_input(name);
    }

    /// Feeds a chunk of uncompressed log bytes.
    #[napi]
    pub fn feed(&self, data: Buffer) {
        self.inner.borrow_mut().feed(&data);
    }

    /// Ends the current input: a last line without a newline is parsed now.
    #[napi]
    pub fn end_input(&self) {
        self.inner.borrow_mut().end_input();
    }

    /// Adds everything `other` has seen, as if its inputs had been fed after this one's.
    /// `other` is left as it was.
    #[napi]
    pub fn merge(&self, other: &Ingest) {
        let theirs = other.inner.borrow().clone();
        self.inner.borrow_mut().merge(theirs);
    }

    /// The profiles of everything fed so far. The ingest stays usable: feeding more and
    /// finishing again gives the profiles of all of it.
    #[napi]
    pub fn finish(&self) -> Profiles {
        Profiles {
            inner: self.inner.borrow().clone().finish(),
        }
    }

    /// The state of this ingest as bytes (versioned; an unfinished last line is kept): save
    /// it, send it to another process or machine, and `Ingest.loads` it there to go on feeding
    /// or to `merge` it with others.
    #[napi]
    pub fn dumps(&self) -> Buffer {
        self.inner.borrow().to_bytes().into()
    }

    /// Loads a state made by `dumps()`. Bytes that are not one, are cut short, altered, or
    /// come from another format version throw with `code` `invalid_input`.
    #[napi(factory)]
    pub fn loads(data: Buffer) -> Result<Ingest> {
        Ok(Ingest {
            inner: RefCell::new(core::Ingest::from_bytes(&data).js_err()?),
        })
    }
}

/// The work of `ingest(paths)` on a libuv pool thread.
type ProgressFn = ThreadsafeFunction<
    serde_json::Value,
    Unknown<'static>,
    serde_json::Value,
    napi::Status,
    false,
    true,
>;

pub struct IngestTask {
    paths: Vec<PathBuf>,
    progress: Option<Arc<ProgressFn>>,
    threads: Option<i64>,
}

impl std::fmt::Debug for IngestTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestTask")
            .field("paths", &self.paths)
            .field("progress", &self.progress.is_some())
            .field("threads", &self.threads)
            .finish()
    }
}

impl Task for IngestTask {
    type Output = core::Result<core::Profiles>;
    type JsValue = Profiles;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(core::telemetry::s3input::ingest_inputs(
            &self.paths,
            self.threads,
            &Default::default(),
            &|p| {
                if let Some(tsfn) = &self.progress {
                    let value = serde_json::json!({
                        "bytes": p.bytes,
                        "filesDone": p.files_done,
                        "files": p.files,
                    });
                    let _ = tsfn.call_with_return_value(
                        value,
                        ThreadsafeFunctionCallMode::NonBlocking,
                        |_, _| Ok(()),
                    );
                }
            },
            napi::bindgen_prelude::block_on,
        ))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Profiles> {
        match output {
            Ok(inner) => Ok(Profiles { inner }),
            Err(err) => Err(js_error_object(&env, err)),
        }
    }
}

/// Ingests log files (plain or gzip, detected per file; `heroku logs` text, log-drain frames,
/// Papertrail archives or bare lines) and `s3://bucket/prefix` URLs (every object under the
/// prefix; the standard AWS credential chain; `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` for an
/// S3-compatible server) off the JS thread, on `threads` threads (default: every core, up to 8; big plain
/// files are read in segments the threads share; the result is the same for any number).
/// Rejects with `code` `not_found` for a missing file and `invalid_input` for an unreadable one,
/// both naming the path, or for `threads` outside 1..=256.
/// `progress({bytes, filesDone, files})`, if given, is called about every 4 MB read (bytes after
/// decompression) and after each file; calls are queued to the JS thread, so the last ones may
/// arrive just after the Promise settles.
#[napi(
    ts_args_type = "paths: Array<string>, progress?: ((progress: { bytes: number; filesDone: number; files: number }) => void) | null, threads?: number | null",
    ts_return_type = "Promise<Profiles>"
)]
pub fn ingest(
    paths: Vec<String>,
    progress: Option<Function<'_, serde_json::Value, Unknown<'static>>>,
    threads: Option<i64>,
) -> Result<AsyncTask<IngestTask>> {
    let progress = match progress {
        None => None,
        Some(f) => Some(Arc::new(
            f.build_threadsafe_function::<serde_json::Value>()
                .weak::<true>()
                .callee_handled::<false>()
                .build_callback(|ctx| Ok(ctx.value))
                .map_err(|e| core::Error::internal(format!("progress: {}", e.reason)))
                .js_err()?,
        )),
    };
    Ok(AsyncTask::new(IngestTask {
        paths: paths.into_iter().map(PathBuf::from).collect(),
        progress,
        threads,
    }))
}

dynoshift::result_type!(SynthReport => js_result {});

#[napi]
impl SynthReport {
    /// The core's JSON (options used and per-type truth).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Writes a deterministic synthetic Heroku log for `formation` to `path` (gzip when the name
/// ends in `.gz`), synchronously. `optionsJson` holds any `SynthOptions` fields, e.g.
/// `'{"duration_s": 86400, "seed": 7}'`.
#[napi]
pub fn synth_logs(
    formation: &Formation,
    path: String,
    options_json: Option<String>,
) -> Result<SynthReport> {
    let options = match options_json {
        Some(text) => synth::SynthOptions::from_json(&text).js_err()?,
        None => synth::SynthOptions::default(),
    };
    Ok(SynthReport {
        inner: synth::generate_file(&formation.inner, &options, PathBuf::from(path).as_path())
            .js_err()?,
    })
}

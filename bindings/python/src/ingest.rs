//! Heroku log ingestion: the incremental `Ingest`, the bulk `ingest(paths)` (GIL released for
//! the whole call), the `Profiles` result and the synthetic log generator.

use std::path::PathBuf;

use dynoshift as core;
use dynoshift::heroku::synth;
use pyo3::prelude::*;

use crate::Formation;
use crate::errors::IntoPy;

/// Record counts of the input.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct LineCounts {
    /// Bytes read (after gzip decompression).
    #[pyo3(get)]
    pub bytes: u64,
    /// Records: lines, or octet-counted frames.
    #[pyo3(get)]
    pub records: u64,
    /// Records used as telemetry.
    #[pyo3(get)]
    pub telemetry: u64,
    /// Well-framed records without telemetry (app output, state changes).
    #[pyo3(get)]
    pub other: u64,
    /// Records that could not be parsed (see `Profiles.unparsed_examples`).
    #[pyo3(get)]
    pub unparsed: u64,
    /// Empty lines (not counted as records).
    #[pyo3(get)]
    pub blank: u64,
}

#[pymethods]
impl LineCounts {
    fn __repr__(&self) -> String {
        format!(
            "LineCounts(bytes={}, records={}, telemetry={}, other={}, unparsed={}, blank={})",
            self.bytes, self.records, self.telemetry, self.other, self.unparsed, self.blank
        )
    }
}

impl From<&core::telemetry::LineCounts> for LineCounts {
    fn from(c: &core::telemetry::LineCounts) -> Self {
        LineCounts {
            bytes: c.bytes,
            records: c.records,
            telemetry: c.telemetry,
            other: c.other,
            unparsed: c.unparsed,
            blank: c.blank,
        }
    }
}

/// An unparsed record kept as an example.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct UnparsedExample {
    /// The input it came from, if known.
    #[pyo3(get)]
    pub input: Option<String>,
    /// Its record number in that input (1-based).
    #[pyo3(get)]
    pub record: u64,
    /// Why it was not parsed.
    #[pyo3(get)]
    pub reason: String,
    /// The first 200 bytes (invalid UTF-8 replaced).
    #[pyo3(get)]
    pub text: String,
}

#[pymethods]
impl UnparsedExample {
    fn __repr__(&self) -> String {
        format!(
            "UnparsedExample(input={:?}, record={}, reason={:?})",
            self.input, self.record, self.reason
        )
    }
}

/// A problem with a whole input (e.g. a truncated gzip); what was read before it is kept.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct InputIssue {
    /// The input, if known.
    #[pyo3(get)]
    pub input: Option<String>,
    /// Decompressed bytes read before the problem.
    #[pyo3(get)]
    pub bytes_read: u64,
    /// What went wrong.
    #[pyo3(get)]
    pub message: String,
}

#[pymethods]
impl InputIssue {
    fn __repr__(&self) -> String {
        format!(
            "InputIssue(input={:?}, bytes_read={})",
            self.input, self.bytes_read
        )
    }
}

/// A covered time range.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct TimeSpan {
    /// First timestamp, unix ms.
    #[pyo3(get)]
    pub start_ms: i64,
    /// Last timestamp, unix ms.
    #[pyo3(get)]
    pub end_ms: i64,
    /// First timestamp, RFC 3339 UTC.
    #[pyo3(get)]
    pub start: String,
    /// Last timestamp, RFC 3339 UTC.
    #[pyo3(get)]
    pub end: String,
    /// `end - start` in seconds.
    #[pyo3(get)]
    pub seconds: f64,
}

#[pymethods]
impl TimeSpan {
    fn __repr__(&self) -> String {
        format!("TimeSpan(start={:?}, end={:?})", self.start, self.end)
    }
}

/// The result of an ingest. The top-level figures are typed attributes; the per-process-type
/// profiles (memory and load distributions, router traffic, R14/R15, hourly and daily peaks,
/// per-dyno figures) are in `to_json()` under `process_types`, exactly as the Rust core and the
/// CLI (`dynoshift ingest --json`) write them.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct Profiles {
    pub(crate) inner: core::Profiles,
}

#[pymethods]
impl Profiles {
    /// Process type names seen (e.g. `["clock", "web", "worker"]`), sorted.
    #[getter]
    fn process_types(&self) -> Vec<String> {
        self.inner.process_types.keys().cloned().collect()
    }
    /// Relative error of every quantile in the result (0.01 = 1%).
    #[getter]
    fn relative_error(&self) -> f64 {
        self.inner.relative_error
    }
    /// Record counts.
    #[getter]
    fn lines(&self) -> LineCounts {
        (&self.inner.lines).into()
    }
    /// The first few unparsed records.
    #[getter]
    fn unparsed_examples(&self) -> Vec<UnparsedExample> {
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
    /// Truncated or corrupt inputs.
    #[getter]
    fn input_issues(&self) -> Vec<InputIssue> {
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
    /// First and last timestamp of any parsed record (None when nothing was parsed).
    #[getter]
    fn span(&self) -> Option<TimeSpan> {
        self.inner.span.as_ref().map(|s| TimeSpan {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            start: s.start.clone(),
            end: s.end.clone(),
            seconds: s.seconds,
        })
    }
    /// The core's JSON (the same text as `dynoshift ingest --json`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    fn __repr__(&self) -> String {
        format!(
            "Profiles(process_types={:?}, records={}, unparsed={})",
            self.process_types(),
            self.inner.lines.records,
            self.inner.lines.unparsed
        )
    }
}

/// Incremental ingestion: `feed` uncompressed bytes in chunks of any size (lines may be split
/// anywhere), `merge` other ingests, and `finish` for the profiles. gzip is detected only by
/// `dynoshift.ingest(paths)`; decompress before feeding (e.g. `gzip.open(path).read(n)`).
#[pyclass(module = "dynoshift")]
#[derive(Debug, Default)]
pub struct Ingest {
    inner: core::Ingest,
}

#[pymethods]
impl Ingest {
    #[new]
    fn new() -> Self {
        Ingest::default()
    }

    /// Names the input the next bytes come from (shown in unparsed examples) and ends the
    /// previous one.
    fn begin_input(&mut self, name: String) {
        self.inner.begin_input(name);
    }

    /// Feeds a chunk of uncompressed log bytes (the GIL is released while it is parsed).
    fn feed(&mut self, py: Python<'_>, data: &[u8]) {
        let inner = &mut self.inner;
        py.detach(|| inner.feed(data));
    }

    /// Ends the current input: a last line without a newline is parsed now.
    fn end_input(&mut self) {
        self.inner.end_input();
    }

    /// Adds everything `other` has seen, as if its inputs had been fed after this one's.
    /// `other` is left as it was.
    fn merge(slf: &Bound<'_, Self>, other: &Bound<'_, Ingest>) {
        let theirs = other.borrow().inner.clone();
        slf.borrow_mut().inner.merge(theirs);
    }

    /// The profiles of everything fed so far. The ingest stays usable: feeding more and
    /// finishing again gives the profiles of all of it.
    fn finish(&self, py: Python<'_>) -> Profiles {
        let inner = &self.inner;
        Profiles {
            inner: py.detach(|| inner.clone().finish()),
        }
    }

    /// The state of this ingest as bytes (versioned; an unfinished last line is kept): save
    /// it, send it to another process or machine, and `Ingest.loads` it there to go on feeding
    /// or to `merge` it with others.
    fn dumps<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyBytes> {
        let inner = &self.inner;
        let bytes = py.detach(|| inner.to_bytes());
        pyo3::types::PyBytes::new(py, &bytes)
    }

    /// Loads a state made by `dumps()`. Bytes that are not one, are cut short, altered, or
    /// come from another format version raise `InvalidInputError`.
    #[staticmethod]
    fn loads(py: Python<'_>, data: &[u8]) -> PyResult<Ingest> {
        let inner = py.detach(|| core::Ingest::from_bytes(data)).py_err()?;
        Ok(Ingest { inner })
    }

    fn __repr__(&self) -> String {
        "Ingest()".to_owned()
    }
}

/// Ingests log files (plain or gzip, detected per file; `heroku logs` text, log-drain frames,
/// Papertrail archives or bare lines) and `s3://bucket/prefix` URLs (every object under the
/// prefix; the standard AWS credential chain; `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` for an
/// S3-compatible server) in one call, without the GIL, on `threads` threads (default: every
/// core, up to 8; big plain files are read in segments the threads share; the result is the
/// same for any number). A missing file raises `NotFoundError`, an unreadable one
/// `InvalidInputError`, both naming the path; `threads` outside 1..=256 is `InvalidInputError`.
/// `progress(bytes, files_done, files)`, if given, is called about every 4 MB read (bytes after
/// decompression) and after each local file, from the ingest threads (it takes the GIL briefly;
/// an exception in it is reported as unraisable and the ingest goes on).
#[pyfunction]
#[pyo3(signature = (paths, progress=None, threads=None))]
pub fn ingest(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    progress: Option<Py<PyAny>>,
    threads: Option<i64>,
) -> PyResult<Profiles> {
    let inner = py
        .detach(|| {
            core::telemetry::s3input::ingest_inputs(
                &paths,
                threads,
                &Default::default(),
                &|p| {
                    if let Some(cb) = &progress {
                        Python::try_attach(|py| {
                            if let Err(e) = cb.call1(py, (p.bytes, p.files_done, p.files)) {
                                e.write_unraisable(py, None);
                            }
                        });
                    }
                },
                |s3| pyo3_async_runtimes::tokio::get_runtime().block_on(s3),
            )
        })
        .py_err()?;
    Ok(Profiles { inner })
}

/// What the generator wrote. The per-type truth (peak memory, request rate, ...) is in
/// `to_json()` under `process_types`.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct SynthReport {
    inner: synth::SynthReport,
}

#[pymethods]
impl SynthReport {
    /// Lines written.
    #[getter]
    fn lines(&self) -> u64 {
        self.inner.lines
    }
    /// Bytes written (before gzip).
    #[getter]
    fn bytes(&self) -> u64 {
        self.inner.bytes
    }
    /// Process types written, sorted.
    #[getter]
    fn process_types(&self) -> Vec<String> {
        self.inner.process_types.keys().cloned().collect()
    }
    /// The core's JSON (options used and per-type truth).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    fn __repr__(&self) -> String {
        format!(
            "SynthReport(lines={}, bytes={})",
            self.inner.lines, self.inner.bytes
        )
    }
}

/// Writes a deterministic synthetic Heroku log for `formation` to `path` (gzip when the name
/// ends in `.gz`). `options_json` holds any `SynthOptions` fields, e.g.
/// `'{"duration_s": 86400, "seed": 7}'`. Runs without the GIL.
#[pyfunction]
#[pyo3(signature = (formation, path, options_json=None))]
pub fn synth_logs(
    py: Python<'_>,
    formation: &Formation,
    path: PathBuf,
    options_json: Option<&str>,
) -> PyResult<SynthReport> {
    let options = match options_json {
        Some(text) => synth::SynthOptions::from_json(text).py_err()?,
        None => synth::SynthOptions::default(),
    };
    let formation = &formation.inner;
    let inner = py
        .detach(|| synth::generate_file(formation, &options, &path))
        .py_err()?;
    Ok(SynthReport { inner })
}

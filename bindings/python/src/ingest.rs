//! Heroku log ingestion: the incremental `Ingest`, the bulk `ingest(paths)` (GIL released for
//! the whole call), the `Profiles` result and the synthetic log generator.

use std::path::PathBuf;

use dynoshift as core;
use dynoshift::heroku::synth;
use pyo3::prelude::*;

use crate::Formation;
use crate::errors::IntoPy;

dynoshift::result_type!(LineCounts => py_result {});

dynoshift::result_type!(UnparsedExample => py_result {});

dynoshift::result_type!(InputIssue => py_result {});

dynoshift::result_type!(TimeSpan => py_result {});

dynoshift::result_type!(Profiles => py_result {
    /// The core's JSON (the same text as `dynoshift ingest --json`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

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

dynoshift::result_type!(SynthReport => py_result {
    /// The core's JSON (options used and per-type truth).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

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

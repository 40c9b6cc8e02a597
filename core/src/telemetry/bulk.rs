//! Bulk ingest of files on every core: whole gzip files one per thread, big plain files in
//! segments the threads share, merged in input order so the result never depends on the
//! scheduling or the number of threads.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{GZIP_MAGIC, Ingest, Profiles, throttled};
use crate::error::{Error, Result};

/// The log target of the ingest's events: the telemetry module's, as users filter by it (the
/// file split moved the code, not the events).
const LOG_TARGET: &str = "dynoshift::telemetry";

/// How far a bulk ingest has come (see [`ingest_paths_with_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestProgress {
    /// Bytes read so far over all files (after gzip decompression).
    pub bytes: u64,
    /// Files finished.
    pub files_done: usize,
    /// Files in the ingest.
    pub files: usize,
}

/// Ingests one file (plain or gzip).
pub fn ingest_file(path: &Path) -> Result<Ingest> {
    ingest_file_with_progress(path, &mut |_| {})
}

/// Ingests one file (plain or gzip), calling `progress` with the bytes read so far (see
/// [`Ingest::feed_reader_with_progress`]).
pub fn ingest_file_with_progress(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Ingest> {
    let file = std::fs::File::open(path).map_err(|e| crate::files::io_error(&e, path))?;
    let mut ingest = Ingest::new();
    ingest.begin_input(path.display().to_string());
    ingest.feed_reader_with_progress(file, progress)?;
    Ok(ingest)
}

/// Plain files larger than this are read in segments of this size (cut at line ends), which
/// the ingest threads share, so one big file uses every thread. The segments depend only on the
/// file, never on the number of threads, so neither does the result.
pub const SEGMENT_BYTES: u64 = 64 << 20;

/// The most threads a bulk ingest uses by default.
pub const MAX_INGEST_THREADS: usize = 8;

/// Ingests files (plain or gzip, detected per file) on every core (up to
/// [`MAX_INGEST_THREADS`]): gzip files one per thread, plain files over [`SEGMENT_BYTES`] in
/// segments several threads share. The results are merged in the order of `paths` (and of the
/// segments in a file), so they do not depend on scheduling or on the number of threads. A
/// missing file is `not_found`, an unreadable one `invalid_input`, both naming the path.
///
/// A file read in segments gives the same counts, maxima, quantiles and examples as one read
/// from start to end; only sums of fractional values (behind the means) are added in another
/// order, which can change their last binary digit.
pub fn ingest_paths(paths: &[PathBuf]) -> Result<Profiles> {
    ingest_paths_with_progress(paths, &|_| {})
}

/// [`ingest_paths`], calling `progress` (from the ingest threads, one call at a time) about every
/// [`PROGRESS_EVERY_BYTES`](super::PROGRESS_EVERY_BYTES) per thread and when a file is done. The
/// callback should return quickly: the thread that calls it waits.
pub fn ingest_paths_with_progress(
    paths: &[PathBuf],
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Profiles> {
    ingest_paths_on(paths, None, progress)
}

/// The most threads an ingest may be asked for.
pub const THREADS_LIMIT: i64 = 256;

/// [`ingest_paths_with_progress`] on `threads` threads (1 to [`THREADS_LIMIT`]; `None`: the
/// cores available, at most [`MAX_INGEST_THREADS`]). The result is the same for any number.
/// Another number of threads is `invalid_input`.
pub fn ingest_paths_on(
    paths: &[PathBuf],
    threads: Option<i64>,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Profiles> {
    ingest_paths_unfinished(paths, threads, progress).map(Ingest::finish)
}

/// [`ingest_paths_on`] without the final [`Ingest::finish`]: the ingest, to merge other inputs
/// (S3 objects, see [`s3input`](super::s3input)) into before finishing.
pub fn ingest_paths_unfinished(
    paths: &[PathBuf],
    threads: Option<i64>,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Ingest> {
    let threads = match threads {
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_INGEST_THREADS)),
        Some(n @ 1..=THREADS_LIMIT) => n as usize,
        Some(n) => {
            return Err(Error::invalid_input(format!(
                "threads must be between 1 and {THREADS_LIMIT}, got {n}; leave it out to use \
                 every core"
            )));
        }
    };
    ingest_pieces(paths, threads, SEGMENT_BYTES, progress)
}

/// One piece of an ingest's work: a whole file, or one segment `[start, end)` of a plain file
/// (the lines that start in it).
#[derive(Debug, Clone, Copy)]
struct Piece {
    file: usize,
    segment: Option<(u64, u64)>,
}

/// Splits the files into pieces: plain files over `segment` bytes into segments, the rest
/// whole. A file that cannot be looked at is one whole piece, so reading it reports the error.
fn plan_pieces(paths: &[PathBuf], segment: u64) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (file, path) in paths.iter().enumerate() {
        let whole = Piece {
            file,
            segment: None,
        };
        let len = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m.len(),
            _ => {
                pieces.push(whole);
                continue;
            }
        };
        let mut magic = [0u8; 2];
        let gzip = std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .map_or(true, |()| magic == GZIP_MAGIC);
        if len <= segment || gzip {
            pieces.push(whole);
            continue;
        }
        for k in 0..len.div_ceil(segment) {
            pieces.push(Piece {
                file,
                segment: Some((k * segment, ((k + 1) * segment).min(len))),
            });
        }
    }
    pieces
}

/// Ingests the lines of a plain file that start in `[start, end)`: the first line taken is the
/// one after the line crossing `start`, the last one is read to its end past `end`.
fn ingest_segment(
    path: &Path,
    start: u64,
    end: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Ingest> {
    use std::io::{Seek, SeekFrom};
    let io = |e: std::io::Error| crate::files::io_error(&e, path);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut ingest = Ingest::new();
    ingest.begin_input(path.display().to_string());
    let mut begin = start;
    if start > 0 {
        // Skip to just after the first `\n` at or after `start - 1`. A `\n` at `end - 1` or
        // later means no line starts in this segment (a line that started in an earlier one
        // covers it), so the search stops there: never a scan to the end of a file without
        // line breaks from every segment.
        file.seek(SeekFrom::Start(start - 1)).map_err(io)?;
        let mut r = BufReader::with_capacity(64 * 1024, &mut file);
        let mut at = start - 1;
        loop {
            let buf = r.fill_buf().map_err(io)?;
            let limit = buf
                .len()
                .min(usize::try_from(end - 1 - at).unwrap_or(usize::MAX));
            if limit == 0 {
                return Ok(ingest);
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..limit]) {
                begin = at + i as u64 + 1;
                break;
            }
            at += limit as u64;
            r.consume(limit);
        }
    }
    file.seek(SeekFrom::Start(begin)).map_err(io)?;
    let mut report = throttled(0, progress);
    let mut body = BufReader::with_capacity(256 * 1024, (&mut file).take(end - begin));
    ingest.feed_plain(&mut body, &mut report).map_err(io)?;
    drop((body, report));
    // The last line goes on to its `\n` (or the end of the file).
    let mut rest = BufReader::with_capacity(64 * 1024, &mut file);
    while ingest.mid_line() {
        let buf = rest.fill_buf().map_err(io)?;
        if buf.is_empty() {
            break;
        }
        let n = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
        ingest.feed(&buf[..n]);
        rest.consume(n);
    }
    ingest.end_input();
    progress(ingest.counts.bytes);
    Ok(ingest)
}

/// Merges finished pieces in their order as soon as it can, so that only pieces finished ahead of
/// a slower one wait in memory, never every segment of a big file.
struct InOrder<'p> {
    pieces: &'p [Piece],
    /// The next piece to merge.
    next: usize,
    waiting: BTreeMap<usize, Result<Ingest>>,
    total: Ingest,
    /// The file being merged and its records so far, to number the examples of its later
    /// segments.
    file_records: (usize, u64),
    /// The first error, in the order of the pieces.
    error: Option<Error>,
}

impl InOrder<'_> {
    fn done(&mut self, i: usize, r: Result<Ingest>) {
        self.waiting.insert(i, r);
        while let Some(r) = self.waiting.remove(&self.next) {
            let piece = self.pieces[self.next];
            self.next += 1;
            match r {
                Ok(mut ingest) if self.error.is_none() => {
                    if self.file_records.0 != piece.file {
                        self.file_records = (piece.file, 0);
                    }
                    ingest.shift_records(self.file_records.1);
                    self.file_records.1 += ingest.input_records;
                    self.total.merge(ingest);
                }
                Ok(_) => {}
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
    }
}

pub(super) fn ingest_pieces(
    paths: &[PathBuf],
    threads: usize,
    segment: u64,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Ingest> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

    if paths.is_empty() {
        return Err(Error::invalid_input(
            "no log files given; pass one or more files (plain or .gz)",
        ));
    }
    let pieces = plan_pieces(paths, segment);
    let threads = threads.max(1).min(pieces.len());
    tracing::info!(
        target: LOG_TARGET,
        files = paths.len(),
        pieces = pieces.len(),
        threads,
        "ingest: started"
    );
    let started = std::time::Instant::now();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // Pieces left per file (a file is done when its last piece is), bytes of finished pieces,
    // and one reporter at a time so the counts never go backwards.
    let left: Vec<AtomicUsize> = (0..paths.len()).map(|_| AtomicUsize::new(0)).collect();
    for p in &pieces {
        left[p.file].fetch_add(1, Ordering::Relaxed);
    }
    let done_bytes = AtomicU64::new(0);
    let done_files = AtomicUsize::new(0);
    let reporter = Mutex::new(vec![0u64; threads]);
    let report = |thread: usize, piece_bytes: u64, finished: Option<usize>| {
        let mut live = reporter.lock().unwrap_or_else(|p| p.into_inner());
        live[thread] = if finished.is_some() { 0 } else { piece_bytes };
        if let Some(file) = finished {
            done_bytes.fetch_add(piece_bytes, Ordering::Relaxed);
            if left[file].fetch_sub(1, Ordering::Relaxed) == 1 {
                done_files.fetch_add(1, Ordering::Relaxed);
            }
        }
        progress(IngestProgress {
            bytes: done_bytes.load(Ordering::Relaxed) + live.iter().sum::<u64>(),
            files_done: done_files.load(Ordering::Relaxed),
            files: paths.len(),
        });
    };
    let merged = Mutex::new(InOrder {
        pieces: &pieces,
        next: 0,
        waiting: BTreeMap::new(),
        total: Ingest::new(),
        file_records: (usize::MAX, 0),
        error: None,
    });
    std::thread::scope(|s| {
        for t in 0..threads {
            let (next, failed, merged, report, pieces) =
                (&next, &failed, &merged, &report, &pieces);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= pieces.len() || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let piece = pieces[i];
                    let path = &paths[piece.file];
                    let mut last = 0;
                    let mut live = |b| {
                        last = b;
                        report(t, b, None);
                    };
                    let r = match piece.segment {
                        None => ingest_file_with_progress(path, &mut live),
                        Some((start, end)) => ingest_segment(path, start, end, &mut live),
                    };
                    report(t, last, Some(piece.file));
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    merged.lock().unwrap_or_else(|p| p.into_inner()).done(i, r);
                }
            });
        }
    });
    let merged = merged.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = merged.error {
        tracing::warn!(target: LOG_TARGET, kind = %e.kind(), error = %e, "ingest: failed");
        return Err(e);
    }
    if merged.next != pieces.len() {
        return Err(Error::internal(
            "an ingest thread stopped before its work was done; please report this",
        ));
    }
    let mut total = merged.total;
    total.end_input();
    let c = &total.counts;
    tracing::info!(
        target: LOG_TARGET,
        files = paths.len(),
        bytes = c.bytes,
        records = c.records,
        telemetry = c.telemetry,
        unparsed = c.unparsed,
        process_types = total.types.len(),
        seconds = started.elapsed().as_secs_f64(),
        "ingest: finished"
    );
    Ok(total)
}

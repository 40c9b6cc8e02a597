//! Everything the CLI prints goes through here, never through `println!`/`eprintln!` (which
//! panic when the stream is gone). A closed pipe (`dynoshift ... --json | head -1`) means "stop
//! printing": later output is dropped and the command keeps running to its normal end — a
//! cutover never dies mid-change because its reader went away — and exits as it would have.
//! Any other write error (a full disk) also stops the output, and once the command has run to
//! its end it exits `unavailable` ([`failure`]), because its output is incomplete.
//!
//! - [`out!`] / [`line`]: a line on stdout (as `println!`), [`emit`]: text as it is;
//! - [`eout!`] / [`eline`]: a line on stderr (as `eprintln!`);
//! - [`outln!`]: a line appended to a `String` that is later written with [`emit`].

use std::fmt::Display;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Appends a formatted line to a `String` buffer (written later with [`emit`]).
macro_rules! outln {
    ($o:expr) => {
        $o.push('\n')
    };
    ($o:expr, $($arg:tt)*) => {{
        $o.push_str(&format!($($arg)*));
        $o.push('\n');
    }};
}
pub(crate) use outln;

/// Prints a line on stdout like `println!`, through [`line`]: a closed stdout is not an error.
macro_rules! out {
    () => {
        $crate::output::line("")
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// Prints a line on stderr like `eprintln!`, through [`eline`]: a closed stderr is not an error.
macro_rules! eout {
    () => {
        $crate::output::eline("")
    };
    ($($arg:tt)*) => {
        $crate::output::eline(format_args!($($arg)*))
    };
}
pub(crate) use eout;

/// Set once stdout can no longer be written (closed pipe or another error).
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
/// Set once stderr can no longer be written.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);
/// The first stdout error that was not a closed pipe.
static FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// Writes `text` to stdout as it is (no newline added) and flushes it. After a closed pipe or
/// any other error, this and every later write to stdout do nothing.
pub fn emit(text: &str) {
    if text.is_empty() || STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        drop(stdout);
        stdout_failed(&e);
    }
}

/// Writes `line` and a newline to stdout in one piece (see [`emit`]).
pub fn line(line: impl Display) {
    if !STDOUT_GONE.load(Ordering::Relaxed) {
        emit(&format!("{line}\n"));
    }
}

/// Writes `line` and a newline to stderr; after an error stderr is left alone.
pub fn eline(line: impl Display) {
    if STDERR_GONE.load(Ordering::Relaxed) {
        return;
    }
    let text = format!("{line}\n");
    if std::io::stderr().lock().write_all(text.as_bytes()).is_err() {
        STDERR_GONE.store(true, Ordering::Relaxed);
    }
}

/// A writer on stdout for output produced in bulk (`synth-logs` to stdout): errors are
/// returned to the producer, so that it stops, and recorded as for [`emit`].
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if STDOUT_GONE.load(Ordering::Relaxed) {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        std::io::stdout()
            .lock()
            .write(buf)
            .inspect_err(stdout_failed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if STDOUT_GONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        std::io::stdout().lock().flush().inspect_err(stdout_failed)
    }
}

/// Whether stdout was closed by its reader (or failed): output since then was dropped.
pub fn stdout_gone() -> bool {
    STDOUT_GONE.load(Ordering::Relaxed)
}

fn stdout_failed(e: &std::io::Error) {
    if STDOUT_GONE.swap(true, Ordering::Relaxed) || e.kind() == std::io::ErrorKind::BrokenPipe {
        return;
    }
    *FAILURE.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
        "writing to stdout failed: {e}; the output is incomplete (the command itself ran to its end)"
    ));
}

/// The first stdout error other than a closed pipe, if any (the command's output is
/// incomplete, so it must not exit 0).
pub fn failure() -> Option<String> {
    FAILURE.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

//! Where one core's ingest time goes, for `make bench` only: with the `bench-stages` feature a
//! benchmark can make every record stop after a chosen stage and time each stage's cumulative
//! cost. Without the feature (every shipped build) [`stops_after`] is a constant `false`, so the
//! ingest carries no check at all.

/// The stages of one record's ingest, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The record is split off its line (and octet frame) and handed on.
    Split,
    /// Its envelope is read: timestamp, `SOURCE[PROCESS]` or the syslog header.
    Envelope,
    /// Its message is parsed (router, runtime metrics, R14, ...).
    Message,
    /// It is added to the profiles: the whole ingest.
    Aggregate,
}

#[cfg(feature = "bench-stages")]
static LAST: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(Stage::Aggregate as u8);

/// Makes every record of every later ingest in this process stop after `stage`.
#[cfg(feature = "bench-stages")]
pub fn stop_after(stage: Stage) {
    LAST.store(stage as u8, std::sync::atomic::Ordering::Relaxed);
}

/// Whether records stop after `stage` (always `false` without the feature).
#[inline(always)]
pub(crate) fn stops_after(stage: Stage) -> bool {
    #[cfg(feature = "bench-stages")]
    {
        LAST.load(std::sync::atomic::Ordering::Relaxed) == stage as u8
    }
    #[cfg(not(feature = "bench-stages"))]
    {
        let _ = stage;
        false
    }
}

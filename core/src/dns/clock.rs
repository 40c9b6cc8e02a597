//! Injectable time: wall-clock reads and sleeps. [`SystemClock`] uses tokio's timer (the
//! caller's runtime); [`VirtualClock`] advances instantly, so runs with zero real delay are fast
//! and deterministic.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::BoxFuture;

/// Source of time for providers and the engine.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Wall-clock now.
    fn now(&self) -> SystemTime;
    /// Sleeps for `d` (virtual clocks advance instead).
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;

    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// Real time; sleeps need a tokio runtime with the time driver (every binding has one).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Virtual time: starts at the real now, `sleep` advances it and returns at once (after
/// yielding to the scheduler so other tasks still run).
#[derive(Debug)]
pub struct VirtualClock {
    now: Mutex<SystemTime>,
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock {
            now: Mutex::new(SystemTime::now()),
        }
    }
}

impl VirtualClock {
    /// A virtual clock starting now.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward without sleeping.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += d;
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.advance(d);
        Box::pin(tokio::task::yield_now())
    }
}

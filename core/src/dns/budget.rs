//! The Route53 request budget: one token bucket that every Route53 API call goes through before
//! it is sent. Route53 allows an account 5 requests per second across every client; cutovers of
//! several apps run side by side (a fleet) share one [`RequestBudget`] and so never throttle
//! each other, and a single run gets one of its own.
//!
//! The bucket is a reservation (GCRA) bucket: each call reserves the next free slot, so
//! concurrent callers are served in arrival order at `rate` per second, with up to `burst`
//! calls at once after a quiet spell. Every budget handle counts the calls and the throttling
//! answers of its own user ([`RequestBudget::share`] gives a new user the same bucket).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::{Error, Result};

/// Route53's account-wide request rate, requests per second.
pub const ROUTE53_RATE: f64 = 5.0;
/// The default burst: one call at a time, evenly spaced at the rate. Route53's own allowance
/// for bursts is not documented; spacing the calls leaves it whole, so that calls delayed on
/// their way (signing, a new connection, a slow network) and arriving together still fit.
pub const DEFAULT_BURST: u32 = 1;

#[derive(Debug)]
struct Bucket {
    rate: f64,
    burst: u32,
    /// When the next call may go if no burst credit is left (GCRA "theoretical arrival time").
    next: Mutex<Option<Instant>>,
    totals: Tally,
}

/// Calls, throttling answers and time waited for the budget.
#[derive(Debug, Default)]
struct Tally {
    calls: AtomicU64,
    throttles: AtomicU64,
    waited_us: AtomicU64,
}

impl Tally {
    fn snapshot(&self) -> BudgetStats {
        BudgetStats {
            calls: self.calls.load(Ordering::Relaxed),
            throttles: self.throttles.load(Ordering::Relaxed),
            waited_ms: self.waited_us.load(Ordering::Relaxed) / 1000,
        }
    }
}

/// What a budget's users did: API calls sent, throttling answers received, time waited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BudgetStats {
    /// Calls that went through the budget (every attempt, retries included).
    pub calls: u64,
    /// Answers that were throttling errors (`Throttling`, `PriorRequestNotComplete`,
    /// S3's `SlowDown`).
    pub throttles: u64,
    /// Milliseconds spent waiting for a slot.
    pub waited_ms: u64,
}

/// A handle on a shared token bucket with its own counters. Cheap to clone (clones share the
/// counters); [`RequestBudget::share`] makes a handle with fresh counters on the same bucket.
#[derive(Debug, Clone)]
pub struct RequestBudget {
    bucket: Arc<Bucket>,
    mine: Arc<Tally>,
}

impl Default for RequestBudget {
    /// Route53's account limit: 5 requests per second, evenly spaced.
    fn default() -> Self {
        RequestBudget::new(ROUTE53_RATE, DEFAULT_BURST).expect("the default budget is valid")
    }
}

impl RequestBudget {
    /// `rate` calls per second (finite, > 0), at most `burst` (≥ 1) at once after a quiet
    /// spell; `invalid_input` otherwise.
    pub fn new(rate: f64, burst: u32) -> Result<RequestBudget> {
        if !rate.is_finite() || rate <= 0.0 || rate > 1e6 {
            return Err(Error::invalid_input(format!(
                "a request budget of {rate} per second is not usable: give a positive rate \
                 (Route53 allows {ROUTE53_RATE} requests per second per account)"
            ))
            .at("budget"));
        }
        if burst == 0 {
            return Err(
                Error::invalid_input("a burst of 0 lets no call through: give 1 or more")
                    .at("burst"),
            );
        }
        Ok(RequestBudget {
            bucket: Arc::new(Bucket {
                rate,
                burst,
                next: Mutex::new(None),
                totals: Tally::default(),
            }),
            mine: Arc::default(),
        })
    }

    /// Another user of the same bucket, with its own counters.
    pub fn share(&self) -> RequestBudget {
        RequestBudget {
            bucket: self.bucket.clone(),
            mine: Arc::default(),
        }
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.bucket.rate
    }

    /// Calls let through at once after a quiet spell.
    pub fn burst(&self) -> u32 {
        self.bucket.burst
    }

    /// Reserves the next slot and waits for it. Callers are served in the order they call.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        self.mine.calls.fetch_add(1, Ordering::Relaxed);
        self.bucket.totals.calls.fetch_add(1, Ordering::Relaxed);
        if !wait.is_zero() {
            let us = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            self.mine.waited_us.fetch_add(us, Ordering::Relaxed);
            self.bucket
                .totals
                .waited_us
                .fetch_add(us, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
        }
    }

    /// How long a call arriving at `now` waits; moves the bucket on by one call.
    fn reserve(&self, now: Instant) -> Duration {
        let interval = Duration::from_secs_f64(1.0 / self.bucket.rate);
        let tolerance = interval * (self.bucket.burst - 1);
        let mut next = self.bucket.next.lock().unwrap_or_else(|p| p.into_inner());
        let tat = next.map_or(now, |t| t.max(now));
        // the earliest moment this call conforms: `burst - 1` intervals before the TAT
        let allowed = tat.checked_sub(tolerance).unwrap_or(now).max(now);
        *next = Some(tat + interval);
        allowed - now
    }

    /// Records that a call was answered with a throttling error.
    pub fn note_throttle(&self) {
        self.mine.throttles.fetch_add(1, Ordering::Relaxed);
        self.bucket.totals.throttles.fetch_add(1, Ordering::Relaxed);
    }

    /// This handle's counters (and its clones').
    pub fn stats(&self) -> BudgetStats {
        self.mine.snapshot()
    }

    /// The counters of every user of the bucket.
    pub fn totals(&self) -> BudgetStats {
        self.bucket.totals.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_spaced_at_the_rate_after_the_burst() {
        let b = RequestBudget::new(5.0, 3).unwrap();
        let t0 = Instant::now();
        let waits: Vec<u128> = (0..6).map(|_| b.reserve(t0).as_millis()).collect();
        // three at once, then one every 200 ms
        assert_eq!(waits, vec![0, 0, 0, 200, 400, 600]);
        // after a quiet second the credit is back (but never more than the burst)
        let later = t0 + Duration::from_secs(3);
        let waits: Vec<u128> = (0..4).map(|_| b.reserve(later).as_millis()).collect();
        assert_eq!(waits, vec![0, 0, 0, 200]);
    }

    #[test]
    fn shared_handles_draw_from_one_bucket_and_count_apart() {
        let a = RequestBudget::new(5.0, 1).unwrap();
        let b = a.share();
        let t0 = Instant::now();
        assert_eq!(a.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0).as_millis(), 200, "b waits for a's slot");
        b.note_throttle();
        assert_eq!(a.stats().throttles, 0);
        assert_eq!(b.stats().throttles, 1);
        assert_eq!(a.totals().throttles, 1);
    }

    #[test]
    fn unusable_budgets_are_refused() {
        for (rate, burst) in [(0.0, 1), (-1.0, 1), (f64::NAN, 1), (5.0, 0)] {
            let e = RequestBudget::new(rate, burst).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{rate} {burst}");
        }
    }
}

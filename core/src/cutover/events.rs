//! Events of a run, one per transition, delivered to [`Observer`]s (the bindings forward them to
//! Python callables and Node callbacks as JSON-like dicts).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::gate::Verdict;
use super::plan::RollbackMode;

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CutoverEvent {
    /// A run started (or resumed from its journal).
    RunStarted {
        /// Run id.
        run_id: String,
        /// Hostnames.
        hostnames: Vec<String>,
        /// Stages in percent to AWS.
        stages: Vec<u8>,
        /// True if resumed from a journal.
        resumed: bool,
    },
    /// The lock records were written.
    LockAcquired {
        /// Lock record names.
        names: Vec<String>,
        /// Unix seconds when it expires.
        expires_at: u64,
    },
    /// A stale lock was taken over.
    LockTakenOver {
        /// The previous holder's run id.
        previous_run_id: String,
    },
    /// The lock records were deleted.
    LockReleased,
    /// The original records were saved in the journal.
    Snapshot {
        /// Number of records saved.
        records: usize,
    },
    /// A change batch is about to be written (already in the journal).
    Writing {
        /// `convert`, `stage`, `rollback` or `restore`.
        step: String,
        /// Percent to AWS after the write (None for a restore of the originals).
        percent: Option<u8>,
        /// Batches this step needs.
        batches: usize,
    },
    /// Route53 accepted the batches.
    ChangeSubmitted {
        /// Change ids.
        change_ids: Vec<String>,
    },
    /// Every Route53 name server has the change.
    InSync {
        /// Change ids.
        change_ids: Vec<String>,
        /// Seconds spent waiting.
        waited_seconds: f64,
    },
    /// Waiting for resolver caches to expire.
    TtlWait {
        /// Seconds.
        seconds: u64,
    },
    /// A soak began.
    SoakStarted {
        /// Stage index.
        stage: usize,
        /// Percent to AWS.
        percent: u8,
        /// Planned soak, seconds.
        seconds: u64,
    },
    /// A gate answered.
    GateVerdict {
        /// Stage index.
        stage: usize,
        /// The verdict.
        verdict: Verdict,
    },
    /// The soak was extended because evidence was inconclusive.
    SoakExtended {
        /// Extra seconds so far.
        extension_seconds: u64,
    },
    /// A stage passed its soak.
    StagePassed {
        /// Stage index.
        stage: usize,
        /// Percent to AWS.
        percent: u8,
    },
    /// The run waits for `approve` (or resume/abort/promote/rollback).
    AwaitingApproval {
        /// The stage that would come next.
        next_stage: usize,
        /// Its percent.
        percent: u8,
    },
    /// The run is paused.
    Paused {
        /// Why.
        reason: String,
    },
    /// The run continues after a pause or an approval.
    Continued,
    /// Someone else changed the records.
    DriftDetected {
        /// What differs.
        detail: String,
        /// True if the run continues because it was forced.
        forced: bool,
    },
    /// A rollback started.
    RollbackStarted {
        /// Why.
        reason: String,
        /// Full or graduated.
        mode: RollbackMode,
    },
    /// The run ended with everything back on the original records.
    RolledBack {
        /// Why.
        reason: String,
    },
    /// The run ended with 100% on AWS, Heroku kept at weight 0.
    Promoted,
}

/// A stamped event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Run id.
    pub run_id: String,
    /// Unix milliseconds.
    pub at_ms: u64,
    /// The event.
    #[serde(flatten)]
    pub event: CutoverEvent,
}

impl EventRecord {
    /// As a JSON string.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Receives every event, synchronously, in order. Must not block for long.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// Called for each event.
    fn on_event(&self, event: &EventRecord);
}

/// An observer from a closure.
pub struct FnObserver(pub Arc<dyn Fn(&EventRecord) + Send + Sync>);

impl std::fmt::Debug for FnObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnObserver")
    }
}

impl Observer for FnObserver {
    fn on_event(&self, event: &EventRecord) {
        (self.0)(event)
    }
}

/// Collects events in memory (tests, the CLI's status).
#[derive(Debug, Default)]
pub struct EventLog(std::sync::Mutex<Vec<EventRecord>>);

impl EventLog {
    /// All events so far.
    pub fn events(&self) -> Vec<EventRecord> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Observer for EventLog {
    fn on_event(&self, event: &EventRecord) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event.clone());
    }
}

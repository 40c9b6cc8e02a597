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
        /// Run id. In an [`EventRecord`] it is the record's `run_id` (written once in JSON).
        #[serde(default, skip_serializing)]
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
    /// Before a rollback step: the Heroku formation read (and scaled up, when the plan
    /// allows) against the dynos the share going back to Heroku needs (plan `heroku`).
    HerokuFormation(super::heroku_scale::HerokuCheck),
    /// Stage 0's warm-up ran (plan `warmup`): the per-route latency baseline of the AWS target,
    /// before any weight moved. With a `failure`, the run rolls back with nothing moved.
    WarmupBaseline(super::warmup::WarmupBaseline),
    /// Something the operator should know that does not stop the run.
    Warning {
        /// What, and what to do.
        message: String,
    },
    /// A notification sink of the plan gave up on an event (or dropped events because it fell
    /// behind). The run goes on: notifications never block or fail a cutover.
    NotifyFailed {
        /// The sink: its type and redacted URL (`webhook https://hooks.example.com/(redacted)`);
        /// never the full URL or a header value.
        sink: String,
        /// What went wrong (`HTTP 500 after 3 attempts`, `connection refused`, ...).
        reason: String,
    },
}

impl CutoverEvent {
    /// The event's type as its JSON `type` field names it (`run_started`, `stage_passed`, ...).
    pub fn type_name(&self) -> String {
        crate::units::wire_name(
            &serde_json::to_value(self)
                .ok()
                .and_then(|v| v.get("type").cloned()),
        )
    }

    /// One plain sentence for people (CLI timelines, logs, reports). Scripts should read the
    /// typed fields or the JSON instead.
    pub fn describe(&self) -> String {
        use CutoverEvent as E;
        match self {
            E::RunStarted {
                hostnames,
                stages,
                resumed,
                ..
            } => format!(
                "{} run for {} through stages {:?}% to AWS",
                if *resumed { "resumed" } else { "started" },
                hostnames.join(", "),
                stages
            ),
            E::LockAcquired { names, .. } => format!("lock taken ({})", names.join(", ")),
            E::LockTakenOver { previous_run_id } => {
                format!("stale lock of run {previous_run_id} taken over")
            }
            E::LockReleased => "lock released".into(),
            E::Snapshot { records } => format!("{records} original record(s) saved in the journal"),
            E::Writing {
                step,
                percent: Some(p),
                batches,
            } => {
                format!(
                    "writing {step}: {p}% to AWS, {}% to Heroku ({batches} batch(es))",
                    100 - u16::from(*p).min(100)
                )
            }
            E::Writing {
                step,
                percent: None,
                batches,
            } => format!("writing {step}: original records ({batches} batch(es))"),
            E::ChangeSubmitted { change_ids } => {
                format!("Route53 accepted change {}", change_ids.join(", "))
            }
            E::InSync { waited_seconds, .. } => {
                format!("change in sync on every Route53 name server after {waited_seconds:.1} s")
            }
            E::TtlWait { seconds } => {
                format!("waiting {seconds} s for resolver caches (TTL) to turn over")
            }
            E::SoakStarted {
                percent, seconds, ..
            } => format!("soaking at {percent}% for {seconds} s while the gates watch"),
            E::GateVerdict { verdict, .. } => {
                let status = serde_json::to_value(verdict.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                format!("gate {}: {status} - {}", verdict.gate, verdict.reason)
            }
            E::SoakExtended { extension_seconds } => {
                format!("evidence inconclusive: soak extended by {extension_seconds} s so far")
            }
            E::StagePassed { percent, .. } => format!("stage {percent}% passed"),
            E::AwaitingApproval { percent, .. } => {
                format!("waiting for approval before {percent}%")
            }
            E::Paused { reason } => format!("paused: {reason}"),
            E::Continued => "continuing".into(),
            E::DriftDetected { detail, forced } => {
                format!(
                    "records changed by someone else: {detail}{}",
                    if *forced { " (continuing: forced)" } else { "" }
                )
            }
            E::RollbackStarted { reason, mode } => {
                format!("rolling back ({}): {reason}", mode.as_str())
            }
            E::RolledBack { reason } => format!("rolled back: {reason}"),
            E::Promoted => "promoted: 100% AWS, Heroku kept at weight 0".into(),
            E::HerokuFormation(check) => check.describe(),
            E::WarmupBaseline(b) => b.describe(),
            E::Warning { message } => format!("warning: {message}"),
            E::NotifyFailed { sink, reason } => {
                format!("notification to {sink} failed: {reason}")
            }
        }
    }
}

/// A stamped event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RecordFields")]
pub struct EventRecord {
    /// Run id.
    pub run_id: String,
    /// Unix milliseconds.
    pub at_ms: u64,
    /// The event.
    #[serde(flatten)]
    pub event: CutoverEvent,
}

/// [`EventRecord`] as read from JSON, before the run id is given back to a `run_started` event
/// (its JSON holds the id once, at the top).
#[derive(Deserialize)]
struct RecordFields {
    run_id: String,
    at_ms: u64,
    #[serde(flatten)]
    event: CutoverEvent,
}

impl From<RecordFields> for EventRecord {
    fn from(r: RecordFields) -> Self {
        let mut event = r.event;
        if let CutoverEvent::RunStarted { run_id, .. } = &mut event {
            run_id.clone_from(&r.run_id);
        }
        EventRecord {
            run_id: r.run_id,
            at_ms: r.at_ms,
            event,
        }
    }
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

/// Reports, the same way in every language, that a caller's callback (an event observer)
/// failed: a warning on the log; the cutover goes on.
pub fn callback_failed(what: &str, detail: &str) {
    tracing::warn!("cutover: the {what} callback failed ({detail}); the cutover goes on");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_name_is_the_json_tag() {
        assert_eq!(CutoverEvent::LockReleased.type_name(), "lock_released");
        let started = CutoverEvent::RunStarted {
            run_id: "r".into(),
            hostnames: vec![],
            stages: vec![100],
            resumed: true,
        };
        assert_eq!(started.type_name(), "run_started");
    }

    #[test]
    fn records_round_trip_through_json_with_one_run_id() {
        let rec = EventRecord {
            run_id: "run-1".into(),
            at_ms: 5,
            event: CutoverEvent::RunStarted {
                run_id: "run-1".into(),
                hostnames: vec!["www.example.test".into()],
                stages: vec![10, 100],
                resumed: false,
            },
        };
        let json = rec.to_json();
        assert_eq!(json.matches("\"run_id\"").count(), 1, "{json}");
        let back: EventRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn descriptions_carry_the_numbers_that_matter() {
        let stage = CutoverEvent::Writing {
            step: "stage".into(),
            percent: Some(25),
            batches: 1,
        }
        .describe();
        assert!(
            stage.contains("25% to AWS") && stage.contains("75% to Heroku"),
            "{stage}"
        );
        let restore = CutoverEvent::Writing {
            step: "restore".into(),
            percent: None,
            batches: 2,
        }
        .describe();
        assert!(
            restore.contains("original records") && restore.contains("2 batch"),
            "{restore}"
        );
        let ttl = CutoverEvent::TtlWait { seconds: 60 }.describe();
        assert!(ttl.contains("60 s"), "{ttl}");
        let verdict = CutoverEvent::GateVerdict {
            stage: 1,
            verdict: Verdict {
                gate: "http".into(),
                status: super::super::gate::VerdictStatus::Fail,
                reason: "3 of 10 probes failed".into(),
                measurements: serde_json::Value::Null,
            },
        }
        .describe();
        assert_eq!(verdict, "gate http: fail - 3 of 10 probes failed");
        let drift = CutoverEvent::DriftDetected {
            detail: "weight 40".into(),
            forced: true,
        }
        .describe();
        assert!(
            drift.contains("weight 40") && drift.contains("forced"),
            "{drift}"
        );
        let notify = CutoverEvent::NotifyFailed {
            sink: "webhook https://hooks.example.com/(redacted)".into(),
            reason: "HTTP 500 after 3 attempts".into(),
        };
        assert_eq!(
            notify.describe(),
            "notification to webhook https://hooks.example.com/(redacted) failed: HTTP 500 \
             after 3 attempts"
        );
        let rec = EventRecord {
            run_id: "run-1".into(),
            at_ms: 7,
            event: notify,
        };
        let json = rec.to_json();
        assert!(json.contains(r#""type":"notify_failed""#), "{json}");
        assert_eq!(serde_json::from_str::<EventRecord>(&json).unwrap(), rec);
    }
}

//! Steering a live run from another shell or process: the control record and the live record,
//! both JSON files beside the journal.
//!
//! - `<journal>.control.json` holds the last command sent (`approve`, `pause`, `unpause`,
//!   `abort`, `promote`, `rollback`) with a sequence number; `dynoshift cutover approve ...`
//!   writes it, and the running process picks up every new sequence number within a second.
//! - `<journal>.live.json` is the running process's heartbeat (run id, pid, host, time): a
//!   second command that finds a fresh heartbeat steers the live run through the control
//!   record instead of writing records or the journal itself.
//!
//! Both live where the journal lives (files beside it, or S3 objects beside it: see
//! [`super::store`]), written atomically; the control record conditionally, like the journal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::engine::Control;
use super::plan::RollbackMode;
use super::store::{JournalStore, RecordKind, Version};
use crate::dns::Clock;
use crate::{Error, ErrorKind, Result};

/// A heartbeat older than this means the process that wrote it is gone, seconds.
pub const LIVE_STALE_SECONDS: u64 = 15;

/// How often a live run reads the control record and renews its heartbeat, milliseconds.
pub const CONTROL_POLL_MS: u64 = 500;

/// One command for a live run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// Increases with every command sent.
    pub seq: u64,
    /// `approve`, `pause`, `unpause`, `abort`, `promote` or `rollback`.
    pub command: String,
    /// The rollback mode of a `rollback` (None: the plan's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RollbackMode>,
    /// The run the command is for (None: whichever run is live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// When it was sent, Unix ms.
    pub sent_at_ms: u64,
}

impl ControlRecord {
    /// The engine control this record asks for.
    pub fn control(&self) -> Result<Control> {
        Ok(match self.command.as_str() {
            "approve" => Control::Approve,
            "pause" => Control::Pause,
            "unpause" => Control::Resume,
            "abort" => Control::Abort,
            "promote" => Control::Promote,
            "rollback" => Control::Rollback(self.mode),
            other => {
                return Err(Error::invalid_input(format!(
                    "unknown control {other:?}: approve, pause, unpause, abort, promote or rollback"
                )));
            }
        })
    }

    /// The record's name for a control.
    pub fn command_of(control: Control) -> (&'static str, Option<RollbackMode>) {
        match control {
            Control::Approve => ("approve", None),
            Control::Pause => ("pause", None),
            Control::Resume => ("unpause", None),
            Control::Abort => ("abort", None),
            Control::Promote => ("promote", None),
            Control::Rollback(m) => ("rollback", m),
        }
    }
}

/// The heartbeat of the process running a cutover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRecord {
    /// The run it drives.
    pub run_id: String,
    /// Its process id.
    pub pid: u32,
    /// Its host name (as the OS reports it), to tell runners apart.
    pub host: String,
    /// Last heartbeat, Unix ms.
    pub heartbeat_at_ms: u64,
}

impl LiveRecord {
    /// Whether the heartbeat is recent enough to believe the process is still running.
    pub fn fresh(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.heartbeat_at_ms) <= LIVE_STALE_SECONDS * 1000
    }
}

fn sibling(journal: &Path, suffix: &str) -> PathBuf {
    let mut p = journal.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The control record's path for a journal.
pub fn control_path(journal: &Path) -> PathBuf {
    sibling(journal, ".control.json")
}

/// The live record's path for a journal.
pub fn live_path(journal: &Path) -> PathBuf {
    sibling(journal, ".live.json")
}

pub(crate) fn now_ms() -> u64 {
    crate::dns::SystemClock.now_ms()
}

async fn read_json<T: serde::de::DeserializeOwned>(
    store: &dyn JournalStore,
    record: RecordKind,
) -> Result<Option<(T, Version)>> {
    let Some(stored) = store.load(record).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&stored.bytes)
        .map(|v| Some((v, stored.version)))
        .map_err(|e| {
            Error::invalid_input(format!(
                "{} is not readable JSON: {e}",
                store.name_of(record)
            ))
        })
}

fn to_json<T: Serialize>(
    store: &dyn JournalStore,
    record: RecordKind,
    value: &T,
) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value)
        .map_err(|e| Error::internal(format!("encoding {}: {e}", store.name_of(record))))
}

/// Reads the control record beside the journal in `store`.
pub async fn read_control(store: &dyn JournalStore) -> Result<Option<ControlRecord>> {
    Ok(read_json(store, RecordKind::Control).await?.map(|(c, _)| c))
}

/// Reads the live record beside the journal in `store`.
pub async fn read_live(store: &dyn JournalStore) -> Result<Option<LiveRecord>> {
    Ok(read_json(store, RecordKind::Live).await?.map(|(l, _)| l))
}

/// The live run at the journal in `store`: a process renewed its heartbeat recently and, when
/// it runs on this host, still exists (a process killed with SIGKILL leaves a heartbeat
/// behind).
pub async fn live_run(store: &dyn JournalStore) -> Result<Option<LiveRecord>> {
    Ok(read_live(store)
        .await?
        .filter(|l| l.fresh(now_ms()) && process_alive(l)))
}

/// This machine's host name, as the live record names it.
pub(crate) fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

/// Whether the process of `live` still exists (known only on this host, through /proc;
/// elsewhere the heartbeat's age decides).
fn process_alive(live: &LiveRecord) -> bool {
    if live.host != this_host() || !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{}", live.pid)).exists()
}

/// How often a control whose conditional write lost a race with another sender is re-sent.
const SEND_ATTEMPTS: u32 = 5;

/// Sends `control` to the run live at the journal in `store` (`conflict` when none is).
/// The record is written on the condition that nobody sent another one in between (created
/// only if absent, replaced only at the version read), so two senders never reuse a sequence
/// number; the loser reads again and sends the next one. Returns the record written.
pub async fn send_control(store: &dyn JournalStore, control: Control) -> Result<ControlRecord> {
    let live = live_run(store).await?.ok_or_else(|| {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "no run is live at {} (no heartbeat in the last {LIVE_STALE_SECONDS} s): \
                 controls reach only a running `cutover run`/`resume`; resume a stopped run \
                 instead",
                store.location()
            ),
        )
    })?;
    let (command, mode) = ControlRecord::command_of(control);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = read_json::<ControlRecord>(store, RecordKind::Control).await?;
        let record = ControlRecord {
            seq: current.as_ref().map_or(0, |(c, _)| c.seq) + 1,
            command: command.into(),
            mode,
            run_id: Some(live.run_id.clone()),
            sent_at_ms: now_ms(),
        };
        let bytes = to_json(store, RecordKind::Control, &record)?;
        let written = match current {
            None => store.create(RecordKind::Control, bytes).await,
            Some((_, v)) => store.update(RecordKind::Control, bytes, v).await,
        };
        match written {
            Ok(_) => return Ok(record),
            Err(e) if e.kind() == ErrorKind::Conflict && attempt < SEND_ATTEMPTS => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The running side: renews the heartbeat and turns new control records into controls.
#[derive(Debug)]
pub(crate) struct ControlWatch {
    store: Arc<dyn JournalStore>,
    /// The last command seen; None until the record could be read once (its commands then
    /// are old: never replayed).
    last_seq: Option<u64>,
    host: String,
}

impl ControlWatch {
    /// Starts watching; commands already in the record are not replayed.
    pub(crate) async fn new(store: Arc<dyn JournalStore>) -> Self {
        let last_seq = match read_control(store.as_ref()).await {
            Ok(record) => Some(record.map_or(0, |c| c.seq)),
            Err(e) => {
                // Not 0: a resumed run would replay an old `abort` or `rollback` of its own
                // run id. The first record read later is the baseline instead.
                tracing::warn!("cutover: could not read the control record yet: {e}");
                None
            }
        };
        ControlWatch {
            store,
            last_seq,
            host: this_host(),
        }
    }

    /// Renews the heartbeat of `run_id` and returns a new command for it, if any.
    pub(crate) async fn tick(&mut self, run_id: &str) -> Option<Control> {
        if !run_id.is_empty() {
            let live = LiveRecord {
                run_id: run_id.to_owned(),
                pid: std::process::id(),
                host: self.host.clone(),
                heartbeat_at_ms: now_ms(),
            };
            let written = match to_json(self.store.as_ref(), RecordKind::Live, &live) {
                Ok(bytes) => self.store.put(RecordKind::Live, bytes).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                tracing::warn!("cutover: could not renew the live record: {e}");
            }
        }
        let record = match read_control(self.store.as_ref()).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                self.last_seq.get_or_insert(0);
                return None;
            }
            Err(_) => return None,
        };
        match self.last_seq {
            None => {
                self.last_seq = Some(record.seq);
                return None;
            }
            Some(seen) if record.seq <= seen => return None,
            Some(_) => {}
        }
        self.last_seq = Some(record.seq);
        if record.run_id.as_deref().is_some_and(|r| r != run_id) {
            tracing::warn!(
                "cutover: ignoring control {} for run {:?} (this run is {run_id})",
                record.command,
                record.run_id
            );
            return None;
        }
        match record.control() {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("cutover: ignoring control record: {e}");
                None
            }
        }
    }

    /// Removes the heartbeat (the run is over or stopped).
    pub(crate) async fn stop(&self) {
        let _ = self.store.delete(RecordKind::Live).await;
    }
}

#[cfg(test)]
mod watch_tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::cutover::store::{FileStore, JournalLocation, Stored};
    use crate::dns::BoxFuture;

    /// A file store whose first `fail` reads of the control record fail.
    #[derive(Debug)]
    struct FlakyControl {
        inner: FileStore,
        fail: AtomicU32,
    }

    impl JournalStore for FlakyControl {
        fn location(&self) -> &JournalLocation {
            self.inner.location()
        }
        fn load(&self, record: RecordKind) -> BoxFuture<'_, Result<Option<Stored>>> {
            if record == RecordKind::Control
                && self
                    .fail
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                return Box::pin(async { Err(Error::new(ErrorKind::Unavailable, "S3 SlowDown")) });
            }
            self.inner.load(record)
        }
        fn create(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>> {
            self.inner.create(record, bytes)
        }
        fn update(
            &self,
            record: RecordKind,
            bytes: Vec<u8>,
            expected: Version,
        ) -> BoxFuture<'_, Result<Version>> {
            self.inner.update(record, bytes, expected)
        }
        fn put(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>> {
            self.inner.put(record, bytes)
        }
        fn delete(&self, record: RecordKind) -> BoxFuture<'_, Result<()>> {
            self.inner.delete(record)
        }
        fn archive<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<String>> {
            self.inner.archive(run_id)
        }
    }

    fn record(seq: u64, command: &str) -> Vec<u8> {
        serde_json::to_vec(&ControlRecord {
            seq,
            command: command.into(),
            mode: None,
            run_id: Some("run-1".into()),
            sent_at_ms: now_ms(),
        })
        .unwrap()
    }

    /// An old `abort` of the same run (a resumed run on another machine) is never replayed,
    /// even when the record could not be read when the watch started; a new command is.
    #[tokio::test]
    async fn an_old_command_is_not_replayed_after_a_failed_first_read() {
        let dir = std::env::temp_dir().join(format!("dynoshift-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let journal = dir.join("j.json");
        let store = Arc::new(FlakyControl {
            inner: FileStore::new(&journal),
            fail: AtomicU32::new(1),
        });
        let first = store
            .put(RecordKind::Control, record(4, "abort"))
            .await
            .unwrap();
        let mut watch = ControlWatch::new(store.clone()).await;
        assert_eq!(
            watch.tick("run-1").await,
            None,
            "the old abort is the baseline"
        );
        assert_eq!(watch.tick("run-1").await, None);
        store
            .update(RecordKind::Control, record(5, "pause"), first)
            .await
            .unwrap();
        assert_eq!(watch.tick("run-1").await, Some(Control::Pause));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

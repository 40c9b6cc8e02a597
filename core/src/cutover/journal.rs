//! The run journal: a JSON file rewritten atomically (temp file, fsync, rename, fsync of the
//! directory) before and after every Route53 change. It holds everything needed to resume a
//! crashed run without repeating or skipping a stage, and to restore the original records
//! exactly. It never holds credentials.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::gate::Verdict;
use super::plan::{CutoverPlan, RollbackMode};
use super::store::{JournalStore, RecordKind, Version};
use crate::dns::RecordSet;
use crate::{Error, ErrorKind, Result};

/// Journal format version.
pub const JOURNAL_VERSION: u32 = 1;

/// The records a step moves every hostname to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// The weighted pair at this percent to AWS (0 = all Heroku, still weighted).
    Weighted {
        /// Percent to AWS.
        percent: u8,
    },
    /// The original records from the snapshot.
    Original,
}

/// What a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// Simple CNAME → weighted pair at 0% AWS, one atomic batch.
    Convert,
    /// A stage of the plan.
    Stage {
        /// Index in `plan.stages`.
        index: usize,
    },
    /// A graduated rollback step down.
    RollbackStep,
    /// Restore the original records.
    Restore,
    /// Once promoted, raise the TTL of the weighted pair to `plan.restore_ttl`.
    RestoreTtl,
}

impl StepKind {
    /// `convert`, `stage`, `rollback` or `restore`.
    pub fn label(&self) -> &'static str {
        match self {
            StepKind::Convert => "convert",
            StepKind::Stage { .. } => "stage",
            StepKind::RollbackStep => "rollback",
            StepKind::Restore => "restore",
            StepKind::RestoreTtl => "restore_ttl",
        }
    }
}

/// Progress of a step. Each transition is journaled before the next action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Journaled, not yet (known to be) written.
    Intent,
    /// Route53 accepted every batch.
    Written,
    /// GetChange reported INSYNC for every batch.
    InSync,
    /// The TTL wait is over.
    Settled,
    /// Soak passed (or no soak for this kind of step).
    Done,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// What.
    pub kind: StepKind,
    /// Where to.
    pub target: Target,
    /// How far.
    pub status: StepStatus,
    /// Change ids of the batches written.
    #[serde(default)]
    pub change_ids: Vec<String>,
    /// Seconds to wait after INSYNC: max(old TTL, new TTL).
    #[serde(default)]
    pub ttl_wait_seconds: u64,
    /// Unix ms of each transition.
    pub intent_at_ms: u64,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at_ms: Option<u64>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insync_at_ms: Option<u64>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at_ms: Option<u64>,
    /// Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at_ms: Option<u64>,
}

/// Direction of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RunMode {
    /// Moving towards AWS.
    Forward,
    /// Going back to the original records.
    RollingBack {
        /// Why.
        reason: String,
        /// Full or graduated.
        rollback: RollbackMode,
    },
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// 100% AWS; Heroku kept at weight 0.
    Promoted,
    /// Original records restored.
    RolledBack {
        /// Why.
        reason: String,
    },
    /// Stopped while paused with nobody to resume it; the lock is kept; `resume` continues.
    Paused {
        /// Why.
        reason: String,
    },
}

/// The lock this run holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    /// TXT record names.
    pub names: Vec<String>,
    /// The TXT value.
    pub value: String,
    /// Unix seconds.
    pub expires_at: u64,
}

/// A verdict with its time and stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// Stage index.
    pub stage: usize,
    /// Unix ms.
    pub at_ms: u64,
    /// The verdict.
    pub verdict: Verdict,
}

/// The whole journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version.
    pub version: u32,
    /// Run id.
    pub run_id: String,
    /// Increases with every write: a process that finds another revision than the one it
    /// last wrote has lost the run to another process and stops without writing.
    #[serde(default)]
    pub revision: u64,
    /// Who wrote this revision: host, process id and a random token of the writing handle
    /// (see [`JournalHandle`]); it makes every writer's bytes its own, so a writer that finds
    /// exactly its bytes after a lost answer knows the write was its own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub writer: String,
    /// SHA-256 of the plan.
    pub plan_digest: String,
    /// The plan.
    pub plan: CutoverPlan,
    /// Zone id.
    pub zone_id: String,
    /// Zone name.
    pub zone_name: String,
    /// Unix ms.
    pub started_at_ms: u64,
    /// Unix ms.
    pub updated_at_ms: u64,
    /// The original CNAME records of every hostname, before any change.
    pub original: Vec<RecordSet>,
    /// The lock held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<LockRecord>,
    /// Direction.
    pub mode: RunMode,
    /// An operator asked to promote now.
    #[serde(default)]
    pub promote_requested: bool,
    /// Steps so far, in order.
    pub steps: Vec<StepRecord>,
    /// Every gate verdict.
    #[serde(default)]
    pub verdicts: Vec<VerdictRecord>,
    /// Names of the gates given as callbacks (Python, Node, Ruby, Rust) when the run started:
    /// the plan's own gates are in `plan`, these must be handed to a resume again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callback_gates: Vec<String>,
    /// Dynos the plan's Heroku process type ran when the run started (plan `heroku` without
    /// `dynos_at_100`): what 100% of the traffic needs when a rollback sends it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heroku_dynos_at_start: Option<u32>,
    /// What stage 0's warm-up measured (plan `warmup`), once it ran: a resumed run does not
    /// replay it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<super::warmup::WarmupBaseline>,
    /// Set when the run is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl Journal {
    /// The percent to AWS currently written (None while on the original records).
    pub fn current_percent(&self) -> Option<u8> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.status >= StepStatus::Written)
            .and_then(|s| match s.target {
                Target::Weighted { percent } => Some(percent),
                Target::Original => None,
            })
    }

    /// Checks what a hand-edited or damaged journal could get wrong and the engine would act on:
    /// the format version, the plan, the original records (weights 0–255, TTLs ≥ 0), and the
    /// steps (percentages ≤ 100, stage indexes inside the plan). `invalid_input`, located.
    pub fn validate(&self) -> Result<()> {
        if self.version != JOURNAL_VERSION {
            return Err(Error::invalid_input(format!(
                "journal version {} is not supported (this dynoshift reads version \
                 {JOURNAL_VERSION}); use the dynoshift that wrote it",
                self.version
            ))
            .at("version"));
        }
        self.plan.validate().map_err(|e| e.at("plan"))?;
        for (i, r) in self.original.iter().enumerate() {
            if let Some(w) = r.weight
                && !(0..=255).contains(&w)
            {
                return Err(Error::invalid_input(format!(
                    "weight {w} of {} is outside Route53's 0–255",
                    r.name
                ))
                .at(format!("original[{i}].weight")));
            }
            if let Some(t) = r.ttl
                && !(0..=i64::from(i32::MAX)).contains(&t)
            {
                return Err(Error::invalid_input(format!(
                    "ttl {t} of {} is outside Route53's 0–2147483647 s",
                    r.name
                ))
                .at(format!("original[{i}].ttl")));
            }
        }
        for (i, s) in self.steps.iter().enumerate() {
            if let Target::Weighted { percent } = s.target
                && percent > 100
            {
                return Err(Error::invalid_input(format!(
                    "{percent}% to AWS is not a percentage between 0 and 100"
                ))
                .at(format!("steps[{i}].target.percent")));
            }
            if let StepKind::Stage { index } = s.kind
                && index >= self.plan.stages.len()
            {
                return Err(Error::invalid_input(format!(
                    "stage {index} does not exist: the plan has {} stages",
                    self.plan.stages.len()
                ))
                .at(format!("steps[{i}].kind.index")));
            }
        }
        Ok(())
    }

    /// True when the run is over (promoted or rolled back; a paused run is not over).
    pub fn finished(&self) -> bool {
        matches!(
            self.outcome,
            Some(Outcome::Promoted) | Some(Outcome::RolledBack { .. })
        )
    }
}

/// A journal from its JSON text, checked ([`Journal::validate`]); `invalid_input` naming `name`.
pub fn parse_journal(text: &str, name: &str) -> Result<Journal> {
    let journal: Journal = crate::jsonerr::from_str(text).map_err(|(message, _)| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("journal {name} is not a dynoshift journal: {message}"),
        )
    })?;
    journal.validate().map_err(|e| {
        Error::invalid_input(format!(
            "journal {name} is not a usable dynoshift journal: {e}"
        ))
    })?;
    Ok(journal)
}

/// Reads and writes a journal file.
#[derive(Debug, Clone)]
pub struct JournalFile {
    path: PathBuf,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => ErrorKind::Unauthorized,
        _ => ErrorKind::Unavailable,
    };
    Error::new(kind, format!("{what} journal {}: {e}", path.display()))
}

/// Writes `bytes` to `path` so that a reader (or a crash) sees the old file or the new one,
/// never a part: a temp file in the same directory, fsync, rename (or, `exclusive`, a hard link
/// that fails when `path` exists), fsync of the directory.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], exclusive: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "journal".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if exclusive {
            std::fs::hard_link(&tmp, path)?;
            std::fs::remove_file(&tmp)?;
        } else {
            std::fs::rename(&tmp, path)?;
        }
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// How often an update refused while the journal is still at the expected version is retried.
const SPURIOUS_REFUSALS: u32 = 3;

/// The start of the message of a fenced write (see [`JournalFile::save_next`]).
pub const FENCED: &str = "the run moved on elsewhere";

impl JournalFile {
    /// A journal at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JournalFile { path: path.into() }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal, or None if there is no file. A file that is not a journal (not JSON, not
    /// UTF-8, a directory, or failing [`Journal::validate`]) is `invalid_input` naming the file.
    pub fn load(&self) -> Result<Option<Journal>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::IsADirectory | std::io::ErrorKind::InvalidData
                ) =>
            {
                return Err(Error::invalid_input(format!(
                    "journal {} is not a dynoshift journal: {e}",
                    self.path.display()
                )));
            }
            Err(e) => return Err(io_err("reading", &self.path, e)),
        };
        parse_journal(&text, &self.path.display().to_string()).map(Some)
    }

    /// Writes atomically: temp file in the same directory, fsync, rename, fsync the directory.
    pub fn save(&self, journal: &Journal) -> Result<()> {
        self.write(journal, false)
    }

    /// Writes the next revision of `journal`, only if the file still holds the revision this
    /// process wrote or read last (fencing: a run whose journal another process has moved on —
    /// a rollback from a second shell, a resume elsewhere — never overwrites it). A moved-on
    /// journal is `conflict`, with [`FENCED`] in the message.
    pub fn save_next(&self, journal: &mut Journal) -> Result<()> {
        #[derive(Deserialize)]
        struct Head {
            run_id: String,
            #[serde(default)]
            revision: u64,
        }
        let head: Option<Head> = match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).ok(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err("reading", &self.path, e)),
        };
        match head {
            Some(h) if h.run_id == journal.run_id && h.revision == journal.revision => {}
            other => {
                let found = other
                    .map(|h| format!("run {} at revision {}", h.run_id, h.revision))
                    .unwrap_or_else(|| "no journal".into());
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{FENCED}: journal {} holds {found}, not run {} at revision {} as this \
                         process left it; another process moved the run on, so this one stops \
                         without writing (see cutover status)",
                        self.path.display(),
                        journal.run_id,
                        journal.revision
                    ),
                ));
            }
        }
        journal.revision += 1;
        self.write(journal, false)
            .inspect_err(|_| journal.revision -= 1)
    }

    /// Writes the first version of a new run's journal, atomically and only if no file is at
    /// the path (hard link of the temp file, which fails when the path exists): two runs
    /// started at once with one journal path cannot overwrite each other. `conflict` names
    /// the run whose journal is there.
    pub fn create(&self, journal: &Journal) -> Result<()> {
        self.write(journal, true).map_err(|e| {
            if e.kind() != ErrorKind::Conflict {
                return e;
            }
            let holder = self
                .load()
                .ok()
                .flatten()
                .map(|j| j.run_id)
                .unwrap_or_else(|| "?".into());
            Error::new(
                ErrorKind::Conflict,
                format!(
                    "journal {} was just created by run {holder}, started at the same time: \
                     use another journal path, or let that run finish",
                    self.path.display()
                ),
            )
        })
    }

    fn write(&self, journal: &Journal, exclusive: bool) -> Result<()> {
        let json = serde_json::to_vec_pretty(journal)
            .map_err(|e| Error::internal(format!("serialising the journal: {e}")))?;
        let write = || write_atomically(&self.path, &json, exclusive);
        write().map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::Conflict,
                    format!("journal {} already exists", self.path.display()),
                )
            } else {
                io_err("writing", &self.path, e)
            }
        })
    }

    /// Moves a finished journal aside (`<path>.<run_id>.json`) so a new run can start.
    pub fn archive(&self, run_id: &str) -> Result<PathBuf> {
        let to = PathBuf::from(format!("{}.{run_id}.json", self.path.display()));
        std::fs::rename(&self.path, &to).map_err(|e| io_err("archiving", &self.path, e))?;
        Ok(to)
    }
}

/// A run's journal in a [`JournalStore`] (a file or an S3 object), as the engine uses it: it
/// remembers the version it last read or wrote, and every later write is conditional on it,
/// so a process whose view of the run is stale can never overwrite the journal (see
/// [`JournalHandle::save_next`]).
#[derive(Debug, Clone)]
pub struct JournalHandle {
    store: Arc<dyn JournalStore>,
    version: Arc<Mutex<Option<Version>>>,
    writer: String,
}

fn encode(journal: &Journal) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(journal)
        .map_err(|e| Error::internal(format!("serialising the journal: {e}")))
}

/// The run id and revision of a journal's bytes, if they are a journal.
fn head_of(bytes: &[u8]) -> Option<(String, u64, String)> {
    #[derive(Deserialize)]
    struct Head {
        run_id: String,
        #[serde(default)]
        revision: u64,
        #[serde(default)]
        writer: String,
    }
    serde_json::from_slice::<Head>(bytes)
        .ok()
        .map(|h| (h.run_id, h.revision, h.writer))
}

impl JournalHandle {
    /// The journal kept in `store`.
    pub fn new(store: Arc<dyn JournalStore>) -> Self {
        JournalHandle {
            store,
            version: Arc::default(),
            writer: format!(
                "{}/{}/{:08x}",
                super::control::this_host(),
                std::process::id(),
                fastrand::u32(..)
            ),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn JournalStore> {
        &self.store
    }

    /// The journal's name in messages: its path or `s3://` URL.
    pub fn name(&self) -> String {
        self.store.location().to_string()
    }

    fn remember(&self, version: Option<Version>) {
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = version;
    }

    /// The journal, or None when there is none; remembers its version. A record that is not
    /// a journal is `invalid_input` naming it.
    pub async fn load(&self) -> Result<Option<Journal>> {
        let Some(stored) = self.store.load(RecordKind::Journal).await? else {
            self.remember(None);
            return Ok(None);
        };
        let name = self.name();
        let text = std::str::from_utf8(&stored.bytes).map_err(|e| {
            Error::invalid_input(format!("journal {name} is not a dynoshift journal: {e}"))
        })?;
        let journal = parse_journal(text, &name)?;
        self.remember(Some(stored.version));
        Ok(Some(journal))
    }

    /// Writes the first version of a new run's journal, only if there is none (two runs
    /// started at once on one journal cannot overwrite each other: `conflict` names the run
    /// whose journal is there). A create whose answer was lost and whose retry found the
    /// journal it had written succeeds; one refused while there is still no journal is tried
    /// again.
    pub async fn create(&self, journal: &Journal) -> Result<()> {
        let mut journal = journal.clone();
        journal.writer.clone_from(&self.writer);
        let bytes = encode(&journal)?;
        let mut refusals = 0;
        loop {
            let err = match self.store.create(RecordKind::Journal, bytes.clone()).await {
                Ok(v) => {
                    self.remember(Some(v));
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Conflict => e,
                Err(e) => return Err(e),
            };
            let cur = self.store.load(RecordKind::Journal).await.ok().flatten();
            if let Some(cur) = cur.as_ref().filter(|c| c.bytes == bytes) {
                self.remember(Some(cur.version.clone()));
                return Ok(());
            }
            // refused although there is still no journal: the condition holds, try again
            refusals += 1;
            if cur.is_none() && refusals < SPURIOUS_REFUSALS {
                continue;
            }
            let holder = cur
                .and_then(|c| head_of(&c.bytes))
                .map(|(run, _, _)| run)
                .unwrap_or_else(|| "?".into());
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "journal {} was just created by run {holder}, started at the same time: \
                     use another journal path, or let that run finish ({})",
                    self.name(),
                    err.message()
                ),
            ));
        }
    }

    /// Writes the next revision of `journal`, only if the store still holds the version this
    /// handle read or wrote last (fencing: a run whose journal another process has moved on —
    /// a rollback from a second shell, a resume on another machine — never overwrites it). A
    /// moved-on journal is `conflict` with [`FENCED`] in the message, naming the run and
    /// revision found. An update whose answer was lost and whose retry found exactly the bytes
    /// it wrote succeeds.
    pub async fn save_next(&self, journal: &mut Journal) -> Result<()> {
        let expected = self
            .version
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        journal.revision += 1;
        journal.writer.clone_from(&self.writer);
        let bytes = match encode(journal) {
            Ok(b) => b,
            Err(e) => {
                journal.revision -= 1;
                return Err(e);
            }
        };
        let mut refusals = 0;
        let cur = loop {
            let written = match expected.clone() {
                Some(v) => {
                    self.store
                        .update(RecordKind::Journal, bytes.clone(), v)
                        .await
                }
                None => Err(Error::new(ErrorKind::Conflict, "never read")),
            };
            let err = match written {
                Ok(v) => {
                    self.remember(Some(v));
                    return Ok(());
                }
                Err(e) => e,
            };
            if err.kind() != ErrorKind::Conflict {
                journal.revision -= 1;
                return Err(err);
            }
            // the same bytes carry this handle's writer token: the write that landed was ours
            let cur = self.store.load(RecordKind::Journal).await.ok().flatten();
            if let Some(cur) = cur.as_ref().filter(|c| c.bytes == bytes) {
                self.remember(Some(cur.version.clone()));
                return Ok(());
            }
            // refused although nobody moved the journal (a spurious precondition failure):
            // the condition still holds, so the write is tried again, a few times
            refusals += 1;
            let unmoved = cur.as_ref().map(|c| &c.version) == expected.as_ref();
            if !unmoved || refusals >= SPURIOUS_REFUSALS {
                break cur;
            }
        };
        journal.revision -= 1;
        let found = cur
            .map(|c| match head_of(&c.bytes) {
                Some((run, rev, writer)) if writer.is_empty() => {
                    format!("run {run} at revision {rev}")
                }
                Some((run, rev, writer)) => {
                    format!("run {run} at revision {rev} (written by {writer})")
                }
                None => "something else".into(),
            })
            .unwrap_or_else(|| "no journal".into());
        Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{FENCED}: journal {} holds {found}, not run {} at revision {} as this process \
                 left it; another process moved the run on, so this one stops without writing \
                 (see cutover status)",
                self.name(),
                journal.run_id,
                journal.revision
            ),
        ))
    }

    /// Removes the journal if it still holds run `run_id` (a run that never wrote a record
    /// forgets itself; another run's journal, written since, is left alone). Best effort.
    pub async fn remove_if_run(&self, run_id: &str) {
        let Some(cur) = self.store.load(RecordKind::Journal).await.ok().flatten() else {
            return;
        };
        if head_of(&cur.bytes).map(|(r, _, _)| r).as_deref() == Some(run_id) {
            // only the version read: a run that wrote there since keeps its journal
            let _ = self.store.delete_if(RecordKind::Journal, cur.version).await;
            self.remember(None);
        }
    }

    /// Moves a finished journal aside (`<journal>.<run_id>.json`) so a new run can start.
    pub async fn archive(&self, run_id: &str) -> Result<String> {
        let to = self.store.archive(run_id).await?;
        self.remember(None);
        Ok(to)
    }
}

/// The journal in `store` (`not_found` when there is none): what `status` reads.
pub async fn load_journal(store: Arc<dyn JournalStore>) -> Result<Journal> {
    let handle = JournalHandle::new(store);
    handle.load().await?.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("no journal at {}", handle.name()),
        )
    })
}

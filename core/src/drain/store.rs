//! The receiver's durable state in `--state DIR`: a batch log and a checkpoint.
//!
//! - `batches.log`: every accepted batch, appended and `fsync`ed before the 2xx goes out. A
//!   record is `len u32 | FNV-1a u64 | payload` with a payload of `seq | kind | app | frame id |
//!   Logplex-Msg-Count | body`, where `seq` has its top bit set to say a `kind` byte follows
//!   (0 a Logplex batch, 1 an OTLP metrics export in canonical protobuf; records written before
//!   kinds existed have no such byte and are Logplex batches). A record cut short by a crash
//!   (never acknowledged) fails its length or checksum and is cut off at the next start.
//! - `checkpoint.bin`: the saved [`Ingest`] of every app (see [`Ingest::to_bytes`]) with the
//!   receiver's counters, the recent frame ids and the sequence number of the last batch in it,
//!   written atomically (temporary file, `fsync`, rename, `fsync` of the directory). After it,
//!   the log starts over: reused in place (the next records overwrite the old ones from the
//!   start: blocks already written make an `fdatasync` cheaper), emptied on a clean stop.
//!   Batches after the checkpoint have consecutive sequence numbers from the checkpoint's
//!   plus one, so a replay skips leading records the checkpoint already holds (a crash
//!   between its rename and the next record) and ends at the first record that is not the
//!   next batch — a record cut short, or one of an earlier generation the log was reused over.
//!
//! A start loads the checkpoint and replays the log after it, through the same code as a live
//! batch, so a restarted receiver holds exactly what it acknowledged — each batch once.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::telemetry::otlp::{self, CumulativeState, MetricMap};
use crate::telemetry::{Ingest, Profiles};
use sha2::{Digest, Sha256};

const LOG: &str = "batches.log";
const LOCK: &str = "receiver.lock";
const CHECKPOINT: &str = "checkpoint.bin";
const CHECKPOINT_MAGIC: &[u8; 16] = b"dynoshift-drain\0";
/// Version 2 added the OTLP counters and cumulative series per app; version 3 keeps the
/// recent frame ids as 16-byte digests instead of their text. Versions 1 and 2 are still read.
const CHECKPOINT_VERSION: u32 = 3;
/// The top bit of a log record's `seq`: a kind byte follows.
const KIND_FLAG: u64 = 1 << 63;
/// Frame ids remembered per app to recognise a batch Logplex sends again (its retries come
/// within seconds to minutes; this is about a quarter of an hour of batches at 50 per second).
/// Each id is kept as a 16-byte digest in a fixed-capacity window (see [`RecentIds`]): at most
/// about 2 MiB per app, whatever the ids look like.
pub const RECENT_FRAME_IDS: usize = 50_000;
/// The log is checkpointed and emptied once it holds this many bytes, whatever the batch count.
const LOG_CHECKPOINT_BYTES: u64 = 64 << 20;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h: u64, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The checksum of records with a kind byte: FNV-1a over 8-byte words (the last few bytes one
/// by one), eight times the speed of [`fnv1a`] on a batch body. Each step is a bijection of
/// the state, so any changed word changes the sum; a torn record fails it or its length.
fn fnv1a_words(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut words = bytes.chunks_exact(8);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in &mut words {
        let w: [u8; 8] = w.try_into().expect("8 bytes");
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    h
}

/// The checksum a record's payload must have: [`fnv1a_words`] when it has a kind byte (its
/// `seq` has [`KIND_FLAG`]), [`fnv1a`] for records written before kinds existed.
fn record_sum(payload: &[u8]) -> u64 {
    match payload.get(7) {
        Some(b) if b & 0x80 != 0 => fnv1a_words(payload),
        _ => fnv1a(payload),
    }
}

/// The frame ids of an app's last `capacity` accepted batches: the dedupe window.
///
/// An id is kept as the first 16 bytes of its SHA-256 (two different ids share one with a
/// chance of about 2^-128 per pair, so a new batch is never mistaken for a retry in practice),
/// in a ring (oldest first) and a set. Remembering id number `capacity + 1` forgets the oldest,
/// so memory is bounded: about 40 bytes per id, 2 MiB for [`RECENT_FRAME_IDS`]. A retry is
/// recognised while its id is among the last `capacity` ids of its app; Logplex retries within
/// seconds to minutes, far inside the window at any realistic batch rate.
#[derive(Debug, Clone)]
pub(crate) struct RecentIds {
    capacity: usize,
    order: VecDeque<u128>,
    set: HashSet<u128>,
}

impl Default for RecentIds {
    fn default() -> RecentIds {
        RecentIds::new(RECENT_FRAME_IDS)
    }
}

impl RecentIds {
    pub fn new(capacity: usize) -> RecentIds {
        RecentIds {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            set: HashSet::new(),
        }
    }

    fn digest(id: &str) -> u128 {
        let d = Sha256::digest(id.as_bytes());
        u128::from_le_bytes(d[..16].try_into().expect("16 bytes"))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(&RecentIds::digest(id))
    }

    pub fn insert(&mut self, id: &str) {
        self.insert_digest(RecentIds::digest(id));
    }

    fn insert_digest(&mut self, d: u128) {
        if self.set.insert(d) {
            self.order.push_back(d);
            while self.order.len() > self.capacity
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }
}

/// What the receiver knows of one app (one drain).
#[derive(Debug, Clone, Default)]
pub(crate) struct App {
    pub ingest: Ingest,
    /// Batches accepted (each once).
    pub batches: u64,
    /// Batches whose `Logplex-Msg-Count` differed from the frames found.
    pub count_mismatches: u64,
    /// Batches received again (same `Logplex-Frame-Id`) and not counted.
    pub duplicates: u64,
    /// OTLP metrics exports accepted (each once).
    pub otlp_exports: u64,
    /// OTLP data points that fed a series.
    pub otlp_points: u64,
    /// OTLP data points not used (no mapped metric, unsupported kind, baseline or resent).
    pub otlp_ignored: u64,
    /// The last point of each cumulative OTLP series.
    pub otlp_state: CumulativeState,
    /// The dedupe window.
    pub recent: RecentIds,
}

impl App {
    fn new(key: &str, window: usize) -> App {
        let mut ingest = Ingest::new();
        ingest.begin_input(format!("drain:{key}"));
        App {
            ingest,
            recent: RecentIds::new(window),
            ..App::default()
        }
    }

    pub fn profiles(&self) -> Profiles {
        self.ingest.clone().finish()
    }
}

/// What a batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Logplex frames (`application/logplex-1`).
    Logplex = 0,
    /// An OTLP metrics export, canonical protobuf.
    Otlp = 1,
}

/// One batch as the log holds it.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub kind: Kind,
    pub app: String,
    pub frame_id: Option<String>,
    pub msg_count: Option<u64>,
    pub body: axum::body::Bytes,
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Logged (durable once synced) and counted.
    New,
    /// Its frame id was accepted before: not counted again.
    Duplicate,
}

/// What a request waiting for its batches is answered with: `Ok` once they are durable (and
/// parsed into the profiles), or why they never will be.
pub(crate) type Reply = tokio::sync::oneshot::Sender<Result<()>>;

/// How many `fdatasync`s of the log may run at once (see [`Durability::spawn_syncers`]).
pub(crate) const SYNCERS: usize = 2;

/// Requests waiting for their batches (by the sequence number of their last one), in order.
#[derive(Debug, Default)]
struct Pending {
    waiters: std::collections::VecDeque<(u64, Reply)>,
    /// Every batch up to this one is covered by a sync that has started (running or done).
    started_upto: u64,
    stopped: bool,
}

/// Group commit, pipelined: batches are made durable by `fdatasync`s of the log run by
/// [`SYNCERS`] syncer threads. A syncer starts a sync as soon as a batch has been written that
/// no started sync covers, even while the other one's sync still runs, so a batch appended
/// during a sync waits for one sync of its own rather than for the end of the running one and
/// then a whole next one. A sync covers every batch whose write ended before it started; each
/// syncer has its own open file description, so a write-back error is reported to every
/// syncer whose sync it concerns (the kernel reports it once per description). A request is
/// answered once its batches are durable and parsed (see [`Durability::release`]).
#[derive(Debug)]
pub(crate) struct Durability {
    /// For [`Durability::wait`] (the store's own tests).
    #[cfg(test)]
    file: File,
    #[cfg(test)]
    syncing: Mutex<()>,
    /// The sequence number of the last batch fully written to the log (not yet synced).
    written: AtomicU64,
    /// The sequence number up to which every batch is durable.
    durable: AtomicU64,
    /// The sequence number up to which every batch is parsed into the profiles.
    applied: AtomicU64,
    /// A sync failed: what the log holds is unknown, so nothing more is acknowledged.
    broken: AtomicBool,
    /// Syncs of the log, and the batches they made durable (their ratio is the mean group).
    pub syncs: AtomicU64,
    pub synced_batches: AtomicU64,
    pending: Mutex<Pending>,
    wake: std::sync::Condvar,
    path: PathBuf,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Durability {
    /// Returns once every batch up to `seq` is durable, syncing on the caller's thread (the
    /// store's own tests; the server uses [`Durability::spawn_syncers`]).
    #[cfg(test)]
    pub fn wait(&self, seq: u64) -> Result<()> {
        self.check()?;
        if self.durable.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let _one = locked(&self.syncing);
        if self.durable.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let upto = self.written.load(Ordering::Acquire);
        self.synced(upto, self.file.sync_data())
    }

    /// Records the outcome of a sync that started once every batch up to `upto` was written.
    fn synced(&self, upto: u64, outcome: std::io::Result<()>) -> Result<()> {
        if let Err(e) = outcome {
            self.broken.store(true, Ordering::SeqCst);
            return Err(io("cannot fsync", &self.path, &e));
        }
        let before = self.durable.fetch_max(upto, Ordering::AcqRel);
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.synced_batches
            .fetch_add(upto.saturating_sub(before), Ordering::Relaxed);
        Ok(())
    }

    /// Starts the syncer threads; they end after [`Durability::stop`].
    pub fn spawn_syncers(self: &Arc<Self>) -> Result<()> {
        for k in 0..SYNCERS {
            // Its own open file description (not a dup): see the type's doc.
            let file = File::open(&self.path).map_err(|e| io("cannot open", &self.path, &e))?;
            let d = self.clone();
            std::thread::Builder::new()
                .name(format!("dynoshift-drain-sync-{k}"))
                .spawn(move || d.syncer(&file))
                .map_err(|e| Error::internal(format!("cannot start a drain syncer: {e}")))?;
        }
        Ok(())
    }

    fn syncer(&self, file: &File) {
        loop {
            let upto = {
                let mut p = locked(&self.pending);
                loop {
                    if p.stopped {
                        return;
                    }
                    let written = self.written.load(Ordering::Acquire);
                    if written > p.started_upto && !self.broken.load(Ordering::SeqCst) {
                        p.started_upto = written;
                        break written;
                    }
                    p = self
                        .wake
                        .wait(p)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            };
            if let Err(e) = self.synced(upto, file.sync_data()) {
                tracing::error!(error = %e, "drain: an fsync of the batch log failed");
            }
            self.release();
        }
    }

    /// Batches up to `upto` are written: a syncer starts on them (unless one already has).
    pub fn written(&self, upto: u64) {
        self.written.fetch_max(upto, Ordering::AcqRel);
        let _p = locked(&self.pending);
        self.wake.notify_one();
    }

    /// Batches up to `upto` are parsed into the profiles.
    pub fn applied(&self, upto: u64) {
        self.applied.fetch_max(upto, Ordering::AcqRel);
    }

    /// Answers `reply` once every batch up to `seq` is durable and parsed.
    pub fn enqueue(&self, seq: u64, reply: Reply) {
        locked(&self.pending).waiters.push_back((seq, reply));
    }

    /// Answers the waiting requests whose batches are durable and parsed (or all of them with
    /// an error once a sync has failed). Called by the syncers after each sync and by the store
    /// thread after each parse, so whichever finishes last answers.
    pub fn release(&self) {
        let ready = self
            .durable
            .load(Ordering::Acquire)
            .min(self.applied.load(Ordering::Acquire));
        let broken = self.broken.load(Ordering::SeqCst);
        let mut done = Vec::new();
        {
            let mut p = locked(&self.pending);
            while p
                .waiters
                .front()
                .is_some_and(|(s, _)| broken || *s <= ready)
            {
                done.extend(p.waiters.pop_front());
            }
        }
        for (_, reply) in done {
            let _ = reply.send(if broken { self.check() } else { Ok(()) });
        }
    }

    /// Ends the syncers (the server is gone).
    pub fn stop(&self) {
        locked(&self.pending).stopped = true;
        self.wake.notify_all();
    }

    fn check(&self) -> Result<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(Error::new(
                crate::ErrorKind::Unavailable,
                "an fsync of the batch log failed earlier, so nothing more is acknowledged; \
                 check the disk and restart the receiver (it reloads what the log really holds)",
            ));
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    pub durability: Arc<Durability>,
    /// Held (an exclusive `flock`) while the store is open: two receivers appending to one log
    /// would corrupt it. The kernel releases it when the process dies, even by SIGKILL.
    lock: Option<File>,
    dir: PathBuf,
    pub apps: BTreeMap<String, App>,
    /// How OTLP metrics map onto the profiles.
    otlp_map: Arc<MetricMap>,
    log: File,
    /// The record being written (kept between batches: no allocation per batch).
    scratch: Vec<u8>,
    log_bytes: u64,
    /// Sequence number of the last batch accepted.
    seq: u64,
    since_checkpoint: u64,
    checkpoint_every: u64,
    /// Frame ids remembered per app (see [`RecentIds`]).
    window: usize,
}

fn io(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::new(
        crate::ErrorKind::Unavailable,
        format!(
            "{what} {}: {e}; check that the --state directory is on a writable, local disk",
            path.display()
        ),
    )
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("cannot fsync the state directory", dir, &e))
}

impl Store {
    /// Opens (creating it if needed) the state in `dir`: the checkpoint, then the log after it.
    /// `window` is the number of frame ids remembered per app ([`RECENT_FRAME_IDS`] by default).
    pub fn open(
        dir: &Path,
        checkpoint_every: u64,
        window: usize,
        otlp_map: Arc<MetricMap>,
    ) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, &e))?;
        let lock_path = dir.join(LOCK);
        let lock = File::create(&lock_path).map_err(|e| io("cannot create", &lock_path, &e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    crate::ErrorKind::Conflict,
                    format!(
                        "another receiver is using the state directory {}; give each receiver \
                         its own --state",
                        dir.display()
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", &lock_path, &e)),
        }
        let mut apps = BTreeMap::new();
        let mut seq = 0;
        let cp = dir.join(CHECKPOINT);
        match std::fs::read(&cp) {
            Ok(bytes) => {
                (seq, apps) =
                    decode_checkpoint(&bytes, window).map_err(|e| e.at(cp.display().to_string()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("cannot read", &cp, &e)),
        }
        let path = dir.join(LOG);
        let mut log = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("cannot open", &path, &e))?;
        sync_dir(dir)?;
        let durability = Arc::new(Durability {
            #[cfg(test)]
            file: log.try_clone().map_err(|e| io("cannot open", &path, &e))?,
            #[cfg(test)]
            syncing: Mutex::new(()),
            written: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            broken: AtomicBool::new(false),
            pending: Mutex::new(Pending::default()),
            wake: std::sync::Condvar::new(),
            syncs: AtomicU64::new(0),
            synced_batches: AtomicU64::new(0),
            path: path.clone(),
        });
        let mut store = Store {
            durability,
            lock: Some(lock),
            dir: dir.to_owned(),
            apps,
            otlp_map,
            scratch: Vec::new(),
            log_bytes: 0,
            seq,
            since_checkpoint: 0,
            checkpoint_every: checkpoint_every.max(1),
            window,
            log: log.try_clone().map_err(|e| io("cannot open", &path, &e))?,
        };
        let (good, replayed, skipped) = store.replay(&mut log, &path)?;
        // Nothing after the checkpoint: the whole log is in it (records of a generation the
        // checkpoint holds), so the next generation starts at the beginning.
        let good = if replayed == 0 { 0 } else { good };
        let len = log
            .metadata()
            .map_err(|e| io("cannot read", &path, &e))?
            .len();
        if good < len {
            tracing::info!(
                path = %path.display(),
                cut = len - good,
                "drain: cutting the batch log after its last live record (what follows is a record \
                 cut short by a crash, never acknowledged, or records the checkpoint already holds)"
            );
            store
                .log
                .set_len(good)
                .and_then(|()| store.log.sync_all())
                .map_err(|e| io("cannot repair", &path, &e))?;
        }
        store
            .log
            .seek(SeekFrom::Start(good))
            .map_err(|e| io("cannot seek in", &path, &e))?;
        store.log_bytes = good;
        store.since_checkpoint = replayed;
        // What was read back is on disk.
        store.durability.written.store(store.seq, Ordering::Release);
        store.durability.durable.store(store.seq, Ordering::Release);
        store.durability.applied.store(store.seq, Ordering::Release);
        locked(&store.durability.pending).started_upto = store.seq;
        tracing::info!(
            dir = %dir.display(),
            apps = store.apps.len(),
            replayed,
            skipped,
            "drain: state loaded"
        );
        Ok(store)
    }

    /// Applies the log's records after the checkpoint (consecutive sequence numbers from the
    /// checkpoint's plus one; leading ones the checkpoint holds are skipped); the offset where
    /// they end, and how many were replayed and skipped.
    fn replay(&mut self, log: &mut File, path: &Path) -> Result<(u64, u64, u64)> {
        let mut r = BufReader::with_capacity(1 << 20, log);
        let (mut at, mut replayed, mut skipped) = (0u64, 0u64, 0u64);
        loop {
            let mut head = [0u8; 12];
            match r.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io("cannot read", path, &e)),
            }
            let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
            let sum = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
            let mut payload = Vec::new();
            match r.by_ref().take(len as u64).read_to_end(&mut payload) {
                Ok(n) if n == len => {}
                Ok(_) => break,
                Err(e) => return Err(io("cannot read", path, &e)),
            }
            if record_sum(&payload) != sum {
                break;
            }
            let Some((seq, batch)) = decode_record(&payload) else {
                break;
            };
            if seq <= self.seq && replayed == 0 {
                // Already in the checkpoint (a crash between its rename and the log's reuse).
                at += 12 + len as u64;
                skipped += 1;
                continue;
            }
            if seq != self.seq + 1 {
                // Not the next batch: a record of an earlier generation the log was reused over
                // (the checkpoint holds it), so the live records end here.
                break;
            }
            at += 12 + len as u64;
            self.seq = seq;
            self.apply(batch);
            replayed += 1;
        }
        Ok((at, replayed, skipped))
    }

    /// The app a batch is for, created on its first batch.
    fn app(&mut self, key: &str) -> &mut App {
        let window = self.window;
        self.apps
            .entry(key.to_owned())
            .or_insert_with(|| App::new(key, window))
    }

    /// A logged batch read back: remembered in the dedupe window and parsed.
    fn apply(&mut self, batch: Batch) {
        if let Some(id) = &batch.frame_id {
            self.app(&batch.app).recent.insert(id);
        }
        self.parse(&batch);
    }

    /// Feeds a logged batch to its app's profiles and counters; the records found.
    pub fn parse(&mut self, batch: &Batch) -> u64 {
        let otlp_map = self.otlp_map.clone();
        let app = self.app(&batch.app);
        match batch.kind {
            Kind::Logplex => {
                let before = app.ingest.lines().records;
                app.ingest.feed(&batch.body);
                app.ingest.end_input();
                let frames = app.ingest.lines().records - before;
                app.batches += 1;
                if batch.msg_count.is_some_and(|n| n != frames) {
                    app.count_mismatches += 1;
                }
                frames
            }
            Kind::Otlp => {
                app.otlp_exports += 1;
                match otlp::decode_canonical(&batch.body) {
                    Ok(req) => {
                        let a = app.ingest.feed_otlp(&req, &otlp_map, &mut app.otlp_state);
                        app.otlp_points += a.used;
                        app.otlp_ignored += a.ignored;
                        a.used
                    }
                    Err(e) => {
                        // Checked before it was logged: only a damaged log gets here.
                        tracing::warn!(error = %e, "drain: a logged OTLP export is skipped");
                        0
                    }
                }
            }
        }
    }

    /// Accepts a batch: [`Store::append`], then [`Store::parse`] and a checkpoint when due.
    /// It is durable once [`Durability::wait`] for the returned sequence number returns.
    #[cfg(test)]
    pub fn accept(&mut self, batch: Batch) -> Result<(Accepted, u64)> {
        let (accepted, seq) = self.append(&batch)?;
        if accepted == Accepted::New {
            self.parse(&batch);
            self.parsed(seq);
        }
        Ok((accepted, seq))
    }

    /// Appends a batch to the log, unless its frame id was seen (then it is a duplicate,
    /// remembered nowhere). Its frame id joins the dedupe window at once, so a retry that
    /// arrives before it is parsed is a duplicate too. The batch is durable once every batch
    /// up to the returned sequence number is (only then may it be acknowledged; a duplicate
    /// waits for the last batch appended, which covers the one it repeats), and it must then be
    /// parsed ([`Store::parse`], [`Store::parsed`]) before the next checkpoint. An error means
    /// it is neither logged nor counted (answer 5xx: Logplex sends it again).
    pub fn append(&mut self, batch: &Batch) -> Result<(Accepted, u64)> {
        self.durability.check()?;
        if self.lock.is_none() {
            return Err(Error::new(
                crate::ErrorKind::Unavailable,
                "the receiver has stopped",
            ));
        }
        if let (Some(id), Some(app)) = (&batch.frame_id, self.apps.get_mut(&batch.app))
            && app.recent.contains(id)
        {
            app.duplicates += 1;
            return Ok((Accepted::Duplicate, self.seq));
        }
        let seq = self.seq + 1;
        let mut rec = std::mem::take(&mut self.scratch);
        rec.clear();
        rec.extend_from_slice(&[0; 12]);
        encode_record(&mut rec, seq, batch);
        let len = u32::try_from(rec.len() - 12)
            .map_err(|_| Error::invalid_input("a batch over 4 GiB cannot be logged"))?;
        let sum = fnv1a_words(&rec[12..]);
        rec[..4].copy_from_slice(&len.to_le_bytes());
        rec[4..12].copy_from_slice(&sum.to_le_bytes());
        let written = self.log.write_all(&rec);
        let rec_len = rec.len() as u64;
        // Keep the buffer unless a rare huge batch grew it past the usual size.
        if rec.capacity() <= 1 << 20 {
            self.scratch = rec;
        }
        if let Err(e) = written {
            let path = self.dir.join(LOG);
            // Back to the record boundary: the next record overwrites the partial one.
            let _ = self.log.seek(SeekFrom::Start(self.log_bytes));
            return Err(io("cannot append to", &path, &e));
        }
        self.log_bytes += rec_len;
        self.seq = seq;
        self.since_checkpoint += 1;
        if let Some(id) = &batch.frame_id {
            self.app(&batch.app).recent.insert(id);
        }
        self.durability.written(seq);
        Ok((Accepted::New, seq))
    }

    /// The sequence number of the last batch appended.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Every batch appended up to `seq` is parsed: a checkpoint when one is due.
    pub fn parsed(&mut self, seq: u64) {
        self.durability.applied(seq);
        let due = self.since_checkpoint >= self.checkpoint_every
            || self.log_bytes >= LOG_CHECKPOINT_BYTES;
        if due
            && seq == self.seq
            && let Err(e) = self.checkpoint()
        {
            // The log still holds every batch: nothing is lost, the log only grows.
            tracing::warn!(error = %e, "drain: checkpoint failed; the batch log keeps everything");
        }
    }

    /// A last checkpoint, then the state directory is let go (another receiver may open it).
    /// While batches are logged but not yet parsed (a request gone before its answer), there is
    /// no last checkpoint: it would hold their frame ids without their counts, and a retry
    /// would then be taken for a duplicate. The log keeps them for the next start's replay.
    pub fn close(&mut self) -> Result<()> {
        if self.lock.is_none() {
            return Ok(());
        }
        let done = if self.durability.applied.load(Ordering::Acquire) < self.seq {
            tracing::info!(
                unparsed = self.seq - self.durability.applied.load(Ordering::Acquire),
                "drain: stopping with logged batches not parsed yet; the next start replays them"
            );
            Ok(())
        } else {
            self.checkpoint_and(true)
        };
        self.lock = None;
        done
    }

    /// Writes the checkpoint atomically, then starts the log over (see [`Store::checkpoint_and`]).
    pub fn checkpoint(&mut self) -> Result<()> {
        self.checkpoint_and(false)
    }

    /// Writes the checkpoint atomically, then starts the log over: emptied when `empty` (a
    /// clean stop), otherwise reused in place — the next records overwrite the old ones from
    /// the start, so the disk's blocks are already allocated and written and an `fdatasync`
    /// has only the data to write (no metadata for a growing file). The old records after the
    /// live ones are in the checkpoint; a replay ends at them (see [`Store::replay`]).
    fn checkpoint_and(&mut self, empty: bool) -> Result<()> {
        let bytes = encode_checkpoint(self.seq, &self.apps);
        let path = self.dir.join(CHECKPOINT);
        let tmp = self.dir.join(format!("{CHECKPOINT}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| io("cannot write the checkpoint", &path, &e))?;
        sync_dir(&self.dir)?;
        let log = self.dir.join(LOG);
        if empty {
            self.log
                .set_len(0)
                .and_then(|()| self.log.sync_all())
                .map_err(|e| io("cannot empty", &log, &e))?;
        }
        self.log
            .seek(SeekFrom::Start(0))
            .map_err(|e| io("cannot seek in", &log, &e))?;
        self.log_bytes = 0;
        self.since_checkpoint = 0;
        // Everything logged so far is in the checkpoint, synced.
        self.durability
            .durable
            .fetch_max(self.seq, Ordering::AcqRel);
        Ok(())
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

fn encode_record(out: &mut Vec<u8>, seq: u64, b: &Batch) {
    out.extend_from_slice(&(seq | KIND_FLAG).to_le_bytes());
    out.push(b.kind as u8);
    put_bytes(out, b.app.as_bytes());
    put_bytes(out, b.frame_id.as_deref().unwrap_or("").as_bytes());
    out.extend_from_slice(&b.msg_count.map_or(u64::MAX, |n| n).to_le_bytes());
    out.extend_from_slice(&b.body);
}

/// A cursor over fixed-width little-endian fields; `None` past the end.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
}

fn decode_record(payload: &[u8]) -> Option<(u64, Batch)> {
    let mut c = Cursor(payload);
    let mut seq = c.u64()?;
    let kind = if seq & KIND_FLAG == 0 {
        Kind::Logplex
    } else {
        seq &= !KIND_FLAG;
        match c.take(1)? {
            [0] => Kind::Logplex,
            [1] => Kind::Otlp,
            _ => return None,
        }
    };
    let app = c.string()?;
    let frame_id = Some(c.string()?).filter(|s| !s.is_empty());
    let msg_count = Some(c.u64()?).filter(|n| *n != u64::MAX);
    let body = axum::body::Bytes::copy_from_slice(c.0);
    Some((
        seq,
        Batch {
            kind,
            app,
            frame_id,
            msg_count,
            body,
        },
    ))
}

fn encode_checkpoint(seq: u64, apps: &BTreeMap<String, App>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&seq.to_le_bytes());
    body.extend_from_slice(&(apps.len() as u64).to_le_bytes());
    for (key, a) in apps {
        put_bytes(&mut body, key.as_bytes());
        for n in [a.batches, a.count_mismatches, a.duplicates] {
            body.extend_from_slice(&n.to_le_bytes());
        }
        body.extend_from_slice(&(a.recent.len() as u64).to_le_bytes());
        for d in &a.recent.order {
            body.extend_from_slice(&d.to_le_bytes());
        }
        put_bytes(&mut body, &a.ingest.to_bytes());
        for n in [a.otlp_exports, a.otlp_points, a.otlp_ignored] {
            body.extend_from_slice(&n.to_le_bytes());
        }
        put_bytes(&mut body, &a.otlp_state.to_bytes());
    }
    let mut out = Vec::with_capacity(36 + body.len());
    out.extend_from_slice(CHECKPOINT_MAGIC);
    out.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn decode_checkpoint(bytes: &[u8], window: usize) -> Result<(u64, BTreeMap<String, App>)> {
    let corrupt = |what: &str| {
        Error::invalid_input(format!(
            "the drain checkpoint is {what}; restore it from a backup, or move it away to start \
             from the batch log alone"
        ))
    };
    let mut c = Cursor(bytes);
    if c.take(16) != Some(CHECKPOINT_MAGIC.as_slice()) {
        return Err(corrupt("not a dynoshift drain checkpoint"));
    }
    let version = c
        .take(4)
        .map(|v| u32::from_le_bytes(v.try_into().unwrap_or_default()));
    if !matches!(version, Some(1 | 2 | CHECKPOINT_VERSION)) {
        return Err(corrupt("of another format version"));
    }
    let (len, sum) = (c.u64(), c.u64());
    if len != Some(c.0.len() as u64) || sum != Some(fnv1a(c.0)) {
        return Err(corrupt(
            "cut short or altered (its checksum does not match)",
        ));
    }
    let mut apps = BTreeMap::new();
    let parse = |c: &mut Cursor<'_>, apps: &mut BTreeMap<String, App>| -> Result<u64> {
        let bad = || corrupt("damaged");
        let seq = c.u64().ok_or_else(bad)?;
        for _ in 0..c.u64().ok_or_else(bad)? {
            let key = c.string().ok_or_else(bad)?;
            let mut app = App {
                batches: c.u64().ok_or_else(bad)?,
                count_mismatches: c.u64().ok_or_else(bad)?,
                duplicates: c.u64().ok_or_else(bad)?,
                recent: RecentIds::new(window),
                ..App::default()
            };
            for _ in 0..c.u64().ok_or_else(bad)? {
                if version == Some(CHECKPOINT_VERSION) {
                    let d = c.take(16).ok_or_else(bad)?;
                    app.recent
                        .insert_digest(u128::from_le_bytes(d.try_into().map_err(|_| bad())?));
                } else {
                    // Versions 1 and 2 kept the ids' text.
                    app.recent.insert(&c.string().ok_or_else(bad)?);
                }
            }
            app.ingest = Ingest::from_bytes(c.bytes().ok_or_else(bad)?)?;
            if version >= Some(2) {
                app.otlp_exports = c.u64().ok_or_else(bad)?;
                app.otlp_points = c.u64().ok_or_else(bad)?;
                app.otlp_ignored = c.u64().ok_or_else(bad)?;
                app.otlp_state = CumulativeState::from_bytes(c.bytes().ok_or_else(bad)?)?;
            }
            apps.insert(key, app);
        }
        Ok(seq)
    };
    let seq = parse(&mut c, &mut apps)?;
    Ok((seq, apps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(app: &str, id: &str, body: &str) -> Batch {
        Batch {
            kind: Kind::Logplex,
            app: app.into(),
            frame_id: Some(id.into()),
            msg_count: Some(1),
            body: axum::body::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn frame() -> String {
        let f =
            "<158>1 2024-03-01T10:00:01+00:00 host app router - at=info dyno=web.1 service=20ms\n";
        format!("{} {f}", f.len())
    }

    #[test]
    fn reopening_replays_the_log_and_the_checkpoint_once() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let mut s = Store::open(&dir, 3, RECENT_FRAME_IDS, Arc::default()).unwrap();
        for k in 0..5 {
            let (r, seq) = s.accept(batch("a", &format!("id{k}"), &frame())).unwrap();
            assert!(matches!(r, Accepted::New));
            s.durability.wait(seq).unwrap();
        }
        assert_eq!(
            s.accept(batch("a", "id1", &frame())).unwrap().0,
            Accepted::Duplicate
        );
        let want = s.apps["a"].profiles().to_json();
        assert_eq!(
            Store::open(&dir, 3, RECENT_FRAME_IDS, Arc::default())
                .unwrap_err()
                .kind(),
            crate::ErrorKind::Conflict,
            "one receiver per state directory"
        );
        drop(s);
        // A torn record at the end (a crash mid-append) is cut off.
        let mut log = OpenOptions::new().append(true).open(dir.join(LOG)).unwrap();
        log.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(log);
        let mut s = Store::open(&dir, 3, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].profiles().to_json(), want);
        assert_eq!(s.apps["a"].batches, 5);
        assert_eq!(
            s.accept(batch("a", "id4", &frame())).unwrap().0,
            Accepted::Duplicate
        );
        // A crash between the checkpoint's rename and the log's truncation: records already
        // in the checkpoint are skipped by their sequence number.
        let log_before = std::fs::read(dir.join(LOG)).unwrap();
        s.checkpoint().unwrap();
        drop(s);
        std::fs::write(dir.join(LOG), log_before).unwrap();
        let s = Store::open(&dir, 3, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].profiles().to_json(), want);
        assert_eq!(s.apps["a"].batches, 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A stop with a batch logged but not parsed (its request gone) keeps it for the replay:
    /// counted once at the next start, and its retry still a duplicate then.
    #[test]
    fn a_stop_before_a_batch_is_parsed_leaves_it_to_the_replay() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        s.accept(batch("a", "id0", &frame())).unwrap();
        let (accepted, seq) = s.append(&batch("a", "id1", &frame())).unwrap();
        assert_eq!(accepted, Accepted::New);
        s.durability.wait(seq).unwrap();
        s.close().unwrap();
        drop(s);
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].batches, 2, "the unparsed batch is replayed");
        assert_eq!(
            s.accept(batch("a", "id1", &frame())).unwrap().0,
            Accepted::Duplicate
        );
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The dedupe window keeps exactly the last `window` ids of an app, live and after a
    /// restart (checkpoint and log replay): a retry inside it is never counted twice.
    #[test]
    fn the_dedupe_window_keeps_the_last_ids_across_restarts() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let window = 5;
        let mut s = Store::open(&dir, 3, window, Arc::default()).unwrap();
        for k in 0..12 {
            let (r, seq) = s.accept(batch("a", &format!("id{k}"), &frame())).unwrap();
            assert!(matches!(r, Accepted::New), "id{k}");
            s.durability.wait(seq).unwrap();
        }
        assert_eq!(s.apps["a"].recent.len(), window, "bounded");
        for reopen in [false, true] {
            if reopen {
                // 12 batches, a checkpoint every 3: the window comes from the checkpoint; then
                // from the checkpoint and 2 logged batches.
                drop(s);
                s = Store::open(&dir, 3, window, Arc::default()).unwrap();
            }
            for k in 7..12 {
                assert_eq!(
                    s.accept(batch("a", &format!("id{k}"), &frame())).unwrap().0,
                    Accepted::Duplicate,
                    "id{k} is inside the window (reopened: {reopen})"
                );
            }
        }
        assert_eq!(s.apps["a"].batches, 12);
        for k in 12..14 {
            s.accept(batch("a", &format!("id{k}"), &frame())).unwrap();
        }
        drop(s);
        let mut s = Store::open(&dir, 3, window, Arc::default()).unwrap();
        for k in 9..14 {
            assert_eq!(
                s.accept(batch("a", &format!("id{k}"), &frame())).unwrap().0,
                Accepted::Duplicate,
                "id{k} (a checkpoint, then logged batches)"
            );
        }
        // Older than the window: forgotten (documented), so taken as new.
        assert!(matches!(
            s.accept(batch("a", "id0", &frame())).unwrap().0,
            Accepted::New
        ));
        assert_eq!(s.apps["a"].batches, 15);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A request is answered only once its batch is both synced and parsed: written but not
    /// synced (a SIGKILL then would lose it) is never acknowledged, whichever comes first.
    #[test]
    fn a_request_is_answered_only_once_its_batch_is_synced_and_parsed() {
        use tokio::sync::oneshot::error::TryRecvError;
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        let d = s.durability.clone();
        // Written, then parsed, then synced.
        let b = batch("a", "id0", &frame());
        let (accepted, seq) = s.append(&b).unwrap();
        assert_eq!(accepted, Accepted::New);
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        d.enqueue(seq, reply);
        d.release();
        assert!(
            matches!(answer.try_recv(), Err(TryRecvError::Empty)),
            "written only"
        );
        s.parse(&b);
        s.parsed(seq);
        d.release();
        assert!(
            matches!(answer.try_recv(), Err(TryRecvError::Empty)),
            "not synced"
        );
        d.wait(seq).unwrap();
        d.release();
        assert!(matches!(answer.try_recv(), Ok(Ok(()))));
        // Written, then synced (by the syncer threads), then parsed.
        d.spawn_syncers().unwrap();
        let b = batch("a", "id1", &frame());
        let seq = s.append(&b).unwrap().1;
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        d.enqueue(seq, reply);
        while d.durable.load(Ordering::Acquire) < seq {
            std::thread::yield_now();
        }
        d.release();
        assert!(
            matches!(answer.try_recv(), Err(TryRecvError::Empty)),
            "not parsed"
        );
        s.parse(&b);
        s.parsed(seq);
        d.release();
        assert!(matches!(answer.try_recv(), Ok(Ok(()))));
        // A duplicate waits for the last batch appended.
        let seq = s.append(&batch("a", "id2", &frame())).unwrap().1;
        assert_eq!(
            s.append(&batch("a", "id2", &frame())).unwrap(),
            (Accepted::Duplicate, seq),
            "a retry before its batch is parsed is a duplicate too"
        );
        d.stop();
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// After a checkpoint the log is reused in place: a replay takes the live records and
    /// stops at the old ones after them, and at a record that is not the next batch (the next
    /// batch's record never reached the disk while a later one did: neither was acknowledged).
    #[test]
    fn a_reused_log_replays_only_its_live_records() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let ids: Vec<String> = (0..8).map(|k| format!("id{k}")).collect();
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        for id in &ids[..6] {
            s.accept(batch("a", id, &frame())).unwrap();
        }
        let old = std::fs::read(dir.join(LOG)).unwrap();
        s.checkpoint().unwrap();
        for id in &ids[6..] {
            s.accept(batch("a", id, &frame())).unwrap();
        }
        let want = s.apps["a"].profiles().to_json();
        s.durability.wait(s.seq).unwrap();
        let log = std::fs::read(dir.join(LOG)).unwrap();
        assert_eq!(log.len(), old.len(), "reused in place, not grown");
        assert_eq!(
            &log[log.len() / 3..],
            &old[old.len() / 3..],
            "old records after"
        );
        drop(s); // as a SIGKILL would: no final checkpoint
        let s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].batches, 8);
        assert_eq!(s.apps["a"].profiles().to_json(), want);
        drop(s);
        // The first record after the checkpoint lost (old bytes in its place), the second on
        // disk: every record here has the same length, so the second sits where an old one
        // did. Only the checkpoint's 6 batches are there, and id7 is new again.
        let rec = old.len() / 6;
        let mut log = std::fs::read(dir.join(LOG)).unwrap();
        log[..rec].copy_from_slice(&old[..rec]);
        std::fs::write(dir.join(LOG), &log).unwrap();
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].batches, 6);
        assert_eq!(
            s.accept(batch("a", "id7", &frame())).unwrap().0,
            Accepted::New
        );
        assert_eq!(s.seq, 7, "the next batch after the checkpoint's");
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// One fdatasync makes every batch appended before it durable (group commit), and the
    /// counters /metrics shows say so.
    #[test]
    fn one_sync_covers_every_batch_appended_before_it() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        let mut last = 0;
        for k in 0..3 {
            last = s.accept(batch("a", &format!("g{k}"), &frame())).unwrap().1;
        }
        let d = s.durability.clone();
        d.wait(last).unwrap();
        for k in 0..3 {
            d.wait(k + 1).unwrap();
        }
        assert_eq!(d.syncs.load(Ordering::Relaxed), 1);
        assert_eq!(d.synced_batches.load(Ordering::Relaxed), 3);
        let seq = s.accept(batch("a", "g3", &frame())).unwrap().1;
        d.wait(seq).unwrap();
        assert_eq!(d.syncs.load(Ordering::Relaxed), 2);
        assert_eq!(d.synced_batches.load(Ordering::Relaxed), 4);
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A version 2 checkpoint (frame ids as text) is read into the digest window.
    #[test]
    fn a_version_2_checkpoint_is_read() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        for k in 0..3 {
            s.accept(batch("a", &format!("id{k}"), &frame())).unwrap();
        }
        let a = &s.apps["a"];
        let mut body = Vec::new();
        body.extend_from_slice(&s.seq.to_le_bytes());
        body.extend_from_slice(&1u64.to_le_bytes());
        put_bytes(&mut body, b"a");
        for n in [a.batches, a.count_mismatches, a.duplicates] {
            body.extend_from_slice(&n.to_le_bytes());
        }
        body.extend_from_slice(&3u64.to_le_bytes());
        for k in 0..3 {
            put_bytes(&mut body, format!("id{k}").as_bytes());
        }
        put_bytes(&mut body, &a.ingest.to_bytes());
        for n in [a.otlp_exports, a.otlp_points, a.otlp_ignored] {
            body.extend_from_slice(&n.to_le_bytes());
        }
        put_bytes(&mut body, &a.otlp_state.to_bytes());
        let want = a.profiles().to_json();
        let mut cp = CHECKPOINT_MAGIC.to_vec();
        cp.extend_from_slice(&2u32.to_le_bytes());
        cp.extend_from_slice(&(body.len() as u64).to_le_bytes());
        cp.extend_from_slice(&fnv1a(&body).to_le_bytes());
        cp.extend_from_slice(&body);
        drop(s);
        std::fs::write(dir.join(CHECKPOINT), cp).unwrap();
        std::fs::write(dir.join(LOG), b"").unwrap();
        let mut s = Store::open(&dir, 1000, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].profiles().to_json(), want);
        assert_eq!(s.apps["a"].batches, 3);
        assert_eq!(
            s.accept(batch("a", "id1", &frame())).unwrap().0,
            Accepted::Duplicate
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A log written before record kinds existed (no flag, no kind byte) still replays.
    #[test]
    fn records_without_a_kind_are_logplex_batches() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let b = batch("a", "id0", &frame());
        let mut payload = 1u64.to_le_bytes().to_vec();
        put_bytes(&mut payload, b.app.as_bytes());
        put_bytes(&mut payload, b"id0");
        payload.extend_from_slice(&1u64.to_le_bytes());
        payload.extend_from_slice(&b.body);
        assert_eq!(
            record_sum(&payload),
            fnv1a(&payload),
            "no flag: the old sum"
        );
        let mut rec = (payload.len() as u32).to_le_bytes().to_vec();
        rec.extend_from_slice(&fnv1a(&payload).to_le_bytes());
        rec.extend_from_slice(&payload);
        std::fs::write(dir.join(LOG), rec).unwrap();
        let mut s = Store::open(&dir, 3, RECENT_FRAME_IDS, Arc::default()).unwrap();
        assert_eq!(s.apps["a"].batches, 1);
        assert_eq!(s.apps["a"].ingest.lines().records, 1);
        assert_eq!(s.accept(b).unwrap().0, Accepted::Duplicate);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! DNS providers: the [`DnsProvider`] trait the cutover engine drives, with two implementations
//! of identical semantics — [`route53::Route53Provider`] (the real API through
//! `aws-sdk-route53`) and [`memory::MemoryProvider`] (an in-process zone that enforces
//! Route53's rules; the embedded default for rehearsals and the fast test double).
//!
//! Names are handled lowercase and without the trailing dot; both providers normalise what
//! they read and what they are given.

pub mod budget;
pub mod client;
pub mod clock;
pub mod memory;
pub mod route53;
pub mod serve;
pub mod wire;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::Result;

pub use clock::{Clock, SystemClock, VirtualClock};

/// A boxed `Send` future, the return type of the object-safe async traits of this crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Route53's limit of ResourceRecord elements per change batch (an UPSERT counts twice).
pub const MAX_BATCH_RECORDS: usize = 1000;
/// Route53's limit of characters of record values per change batch (an UPSERT counts twice).
pub const MAX_BATCH_VALUE_CHARS: usize = 32_000;
/// Route53's page size for ListResourceRecordSets.
pub const LIST_PAGE_SIZE: usize = 300;

/// Lowercase, no trailing dot.
pub fn normalize_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneInfo {
    /// The zone id without the `/hostedzone/` prefix.
    pub id: String,
    /// The zone name, lowercase, no trailing dot.
    pub name: String,
}

/// One resource record set (Route53's unit: name + type + optional set identifier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    /// Lowercase name without the trailing dot.
    pub name: String,
    /// Record type, e.g. `CNAME`, `TXT`, `AAAA`.
    #[serde(rename = "type")]
    pub rtype: String,
    /// TTL in seconds (absent for alias records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// Values (for alias records: the alias target's DNS name).
    #[serde(default)]
    pub values: Vec<String>,
    /// Set identifier of a weighted record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_identifier: Option<String>,
    /// Weight (0–255) of a weighted record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Route53 health check attached to the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_id: Option<String>,
    /// True for an alias record (read only: dynoshift never writes aliases).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alias: bool,
}

impl RecordSet {
    /// A simple (non-weighted) record.
    pub fn simple(name: &str, rtype: &str, ttl: i64, values: Vec<String>) -> Self {
        RecordSet {
            name: normalize_name(name),
            rtype: rtype.to_ascii_uppercase(),
            ttl: Some(ttl),
            values,
            set_identifier: None,
            weight: None,
            health_check_id: None,
            alias: false,
        }
    }

    /// A weighted CNAME.
    pub fn weighted_cname(name: &str, set_id: &str, weight: i64, ttl: i64, target: &str) -> Self {
        RecordSet {
            set_identifier: Some(set_id.to_owned()),
            weight: Some(weight),
            ..RecordSet::simple(name, "CNAME", ttl, vec![normalize_name(target)])
        }
    }

    /// True if the record is part of a weighted group.
    pub fn is_weighted(&self) -> bool {
        self.set_identifier.is_some() || self.weight.is_some()
    }

    /// Identity inside a zone: name, type, set identifier.
    pub fn key(&self) -> (String, String, Option<String>) {
        (
            normalize_name(&self.name),
            self.rtype.to_ascii_uppercase(),
            self.set_identifier.clone(),
        )
    }

    /// Same identity as [`RecordSet::key`], without allocating (names must be normalised).
    pub fn same_key(&self, other: &RecordSet) -> bool {
        self.name == other.name
            && self.rtype.eq_ignore_ascii_case(&other.rtype)
            && self.set_identifier == other.set_identifier
    }

    /// Equality that ignores case and trailing dots of names and CNAME values.
    pub fn same_as(&self, other: &RecordSet) -> bool {
        let vals = |r: &RecordSet| -> Vec<String> {
            let mut v: Vec<String> = if r.rtype.eq_ignore_ascii_case("CNAME") {
                r.values.iter().map(|v| normalize_name(v)).collect()
            } else {
                r.values.clone()
            };
            v.sort();
            v
        };
        self.key() == other.key()
            && self.ttl == other.ttl
            && self.weight == other.weight
            && self.health_check_id == other.health_check_id
            && self.alias == other.alias
            && vals(self) == vals(other)
    }

    /// Number of ResourceRecord elements the record adds to a batch.
    fn record_elements(&self) -> usize {
        self.values.len().max(1)
    }
}

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeAction {
    /// Fails if the record exists.
    Create,
    /// Fails if the record does not exist with exactly these values.
    Delete,
    /// Create or replace.
    Upsert,
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// CREATE, DELETE or UPSERT.
    pub action: ChangeAction,
    /// The record.
    pub record: RecordSet,
}

impl Change {
    /// Shorthand.
    pub fn new(action: ChangeAction, record: RecordSet) -> Self {
        Change { action, record }
    }
}

/// Counts a batch the way Route53 does: (ResourceRecord elements, value characters), UPSERT twice.
pub fn batch_size(changes: &[Change]) -> (usize, usize) {
    let mut records = 0;
    let mut chars = 0;
    for c in changes {
        let factor = if c.action == ChangeAction::Upsert {
            2
        } else {
            1
        };
        records += factor * c.record.record_elements();
        chars += factor * c.record.values.iter().map(String::len).sum::<usize>();
    }
    (records, chars)
}

/// Propagation status of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeStatus {
    /// Not yet on every Route53 name server.
    Pending,
    /// On every Route53 name server.
    Insync,
}

/// The answer to an applied batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeInfo {
    /// Change id without the `/change/` prefix.
    pub id: String,
    /// Status at submission.
    pub status: ChangeStatus,
}

/// API calls a provider made, by operation (each page of a listing counts once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCalls {
    /// GetHostedZone / ListHostedZonesByName.
    pub zone_lookups: u64,
    /// ListResourceRecordSets pages.
    pub list_pages: u64,
    /// ChangeResourceRecordSets.
    pub changes: u64,
    /// GetChange.
    pub get_changes: u64,
    /// Retries after throttling.
    pub retries: u64,
}

impl ApiCalls {
    /// Every call.
    pub fn total(&self) -> u64 {
        self.zone_lookups + self.list_pages + self.changes + self.get_changes
    }

    /// `self - earlier`, per field.
    pub fn since(&self, earlier: &ApiCalls) -> ApiCalls {
        ApiCalls {
            zone_lookups: self.zone_lookups - earlier.zone_lookups,
            list_pages: self.list_pages - earlier.list_pages,
            changes: self.changes - earlier.changes,
            get_changes: self.get_changes - earlier.get_changes,
            retries: self.retries - earlier.retries,
        }
    }
}

/// Thread-safe call counters shared by the providers.
#[derive(Debug, Default)]
pub(crate) struct CallCounter {
    zone_lookups: AtomicU64,
    list_pages: AtomicU64,
    changes: AtomicU64,
    get_changes: AtomicU64,
    retries: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Call {
    Zone,
    List,
    Change,
    GetChange,
    Retry,
}

impl CallCounter {
    pub(crate) fn add(&self, call: Call) {
        let c = match call {
            Call::Zone => &self.zone_lookups,
            Call::List => &self.list_pages,
            Call::Change => &self.changes,
            Call::GetChange => &self.get_changes,
            Call::Retry => &self.retries,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ApiCalls {
        ApiCalls {
            zone_lookups: self.zone_lookups.load(Ordering::Relaxed),
            list_pages: self.list_pages.load(Ordering::Relaxed),
            changes: self.changes.load(Ordering::Relaxed),
            get_changes: self.get_changes.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

/// The records of a hosted zone, read and changed atomically. Both implementations share the
/// semantics: a batch applies whole or not at all; CREATE of an existing record is a
/// `conflict`; DELETE of a missing record is `not_found`; a missing zone is `not_found`;
/// throttling is retried with backoff and then reported as `throttled`.
pub trait DnsProvider: Send + Sync + fmt::Debug {
    /// Finds a zone by name (`example.com`) or id (`Z123...` or `/hostedzone/Z123...`).
    fn zone<'a>(&'a self, name_or_id: &'a str) -> BoxFuture<'a, Result<ZoneInfo>>;

    /// Every record of the zone (all pages).
    fn list_records<'a>(&'a self, zone_id: &'a str) -> BoxFuture<'a, Result<Vec<RecordSet>>>;

    /// Applies a batch atomically and returns the change id (status PENDING or INSYNC).
    fn apply<'a>(
        &'a self,
        zone_id: &'a str,
        changes: Vec<Change>,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<ChangeInfo>>;

    /// GetChange.
    fn change_status<'a>(&'a self, change_id: &'a str) -> BoxFuture<'a, Result<ChangeStatus>>;

    /// API calls made so far through this provider.
    fn api_calls(&self) -> ApiCalls;

    /// The `ip:port` addresses of the authoritative name servers answering for the zone: what
    /// the observed-split gate (`health::split`) asks directly, over UDP, with recursion off.
    /// Route53: the hosted zone's delegation set (GetHostedZone → NameServers), each name
    /// resolved once through the system resolver, port 53 — so the machine running the gate
    /// must be allowed to send UDP/53 to the internet. Memory: its loopback DNS servers
    /// ([`memory::MemoryProvider::serve_dns`]). Other providers: `unavailable`.
    fn name_servers<'a>(&'a self, zone_id: &'a str) -> BoxFuture<'a, Result<Vec<SocketAddr>>> {
        Box::pin(async move {
            Err(crate::Error::new(
                crate::ErrorKind::Unavailable,
                format!(
                    "this DNS provider does not tell the name servers of zone {zone_id}: give their \
                     addresses to the gate yourself"
                ),
            ))
        })
    }

    /// The records at one name (filtering the whole listing).
    fn records_named<'a>(
        &'a self,
        zone_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RecordSet>>> {
        Box::pin(async move {
            let name = normalize_name(name);
            Ok(self
                .list_records(zone_id)
                .await?
                .into_iter()
                .filter(|r| r.name == name)
                .collect())
        })
    }

    /// Creates a TXT record only if no record of that name and type exists (the lock primitive).
    /// Fails with `conflict` if it exists.
    fn create_txt_if_absent<'a>(
        &'a self,
        zone_id: &'a str,
        name: &'a str,
        value: &'a str,
        ttl: i64,
    ) -> BoxFuture<'a, Result<ChangeInfo>> {
        Box::pin(async move {
            let existing = self.records_named(zone_id, name).await?;
            if let Some(r) = existing.iter().find(|r| r.rtype == "TXT") {
                return Err(crate::Error::new(
                    crate::ErrorKind::Conflict,
                    format!("TXT {name} already exists: {}", r.values.join(" ")),
                ));
            }
            let rec = RecordSet::simple(name, "TXT", ttl, vec![value.to_owned()]);
            self.apply(
                zone_id,
                vec![Change::new(ChangeAction::Create, rec)],
                "dynoshift lock",
            )
            .await
        })
    }

    /// Deletes one record (must match exactly).
    fn delete_record<'a>(
        &'a self,
        zone_id: &'a str,
        record: RecordSet,
    ) -> BoxFuture<'a, Result<ChangeInfo>> {
        Box::pin(async move {
            self.apply(
                zone_id,
                vec![Change::new(ChangeAction::Delete, record)],
                "dynoshift delete",
            )
            .await
        })
    }
}

/// Checks a batch against Route53's size limits (`invalid_input` beyond them).
pub fn check_batch_limits(changes: &[Change]) -> Result<()> {
    if changes.is_empty() {
        return Err(crate::Error::invalid_input(
            "a change batch needs at least one change",
        ));
    }
    let (records, chars) = batch_size(changes);
    if records > MAX_BATCH_RECORDS {
        return Err(crate::Error::invalid_input(format!(
            "change batch has {records} ResourceRecord elements (UPSERT counts twice); Route53 \
             allows {MAX_BATCH_RECORDS}: split the hostnames into several batches"
        )));
    }
    if chars > MAX_BATCH_VALUE_CHARS {
        return Err(crate::Error::invalid_input(format!(
            "change batch has {chars} characters of values; Route53 allows {MAX_BATCH_VALUE_CHARS}"
        )));
    }
    Ok(())
}

/// Packs groups of changes (each group must stay in one batch, e.g. one hostname's changes)
/// into as few batches as Route53's limits allow, in order. A single group over the limit
/// becomes its own batch (and will be refused by [`check_batch_limits`]).
pub fn pack_batches(groups: Vec<Vec<Change>>) -> Vec<Vec<Change>> {
    let mut out: Vec<Vec<Change>> = Vec::new();
    let mut cur: Vec<Change> = Vec::new();
    let (mut recs, mut chars) = (0, 0);
    for g in groups.into_iter().filter(|g| !g.is_empty()) {
        let (r, c) = batch_size(&g);
        if !cur.is_empty() && (recs + r > MAX_BATCH_RECORDS || chars + c > MAX_BATCH_VALUE_CHARS) {
            out.push(std::mem::take(&mut cur));
            recs = 0;
            chars = 0;
        }
        recs += r;
        chars += c;
        cur.extend(g);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

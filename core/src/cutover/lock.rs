//! The run lock: one TXT record `_dynoshift-lock.<hostname>` per hostname, holding the run id
//! and an expiry, created with CREATE (which Route53 refuses if the record exists) after a
//! listing has shown no other holder. A stale lock (past its expiry) is only taken over when
//! the caller says so; the takeover is one batch that DELETEs the exact old value and CREATEs
//! ours.

use crate::dns::{Change, ChangeAction, DnsProvider, RecordSet, pack_batches};
use crate::{Error, ErrorKind, Result};

/// Prefix of lock record names.
pub const LOCK_PREFIX: &str = "_dynoshift-lock.";

/// TTL of lock records.
const LOCK_TTL: i64 = 60;

/// A parsed lock value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockValue {
    /// The holder.
    pub run_id: String,
    /// Unix seconds.
    pub expires_at: u64,
}

impl LockValue {
    /// `"dynoshift run=<id> expires=<unix>"` (quoted, as TXT values are).
    pub fn render(&self) -> String {
        format!(
            "\"dynoshift run={} expires={}\"",
            self.run_id, self.expires_at
        )
    }

    /// Parses a rendered value.
    pub fn parse(value: &str) -> Option<LockValue> {
        let v = value.trim().trim_matches('"');
        let mut parts = v.split_whitespace();
        if parts.next()? != "dynoshift" {
            return None;
        }
        let mut run_id = None;
        let mut expires_at = None;
        for p in parts {
            if let Some(r) = p.strip_prefix("run=") {
                run_id = Some(r.to_owned());
            } else if let Some(e) = p.strip_prefix("expires=") {
                expires_at = e.parse().ok();
            }
        }
        Some(LockValue {
            run_id: run_id?,
            expires_at: expires_at?,
        })
    }
}

/// Lock record name of a hostname.
pub fn lock_name(host: &str) -> String {
    format!("{LOCK_PREFIX}{host}")
}

/// Takes the lock on every hostname (or confirms it is already ours). Returns the record names.
pub(crate) async fn acquire(
    provider: &dyn DnsProvider,
    zone_id: &str,
    hosts: &[String],
    mine: &LockValue,
    records: &[RecordSet],
    now_secs: u64,
    take_over_stale: bool,
) -> Result<(Vec<String>, Option<String>)> {
    let mut groups: Vec<Vec<Change>> = Vec::new();
    let mut names = Vec::new();
    let mut taken_from = None;
    for host in hosts {
        let name = lock_name(host);
        names.push(name.clone());
        let existing: Vec<&RecordSet> = records
            .iter()
            .filter(|r| r.name == name && r.rtype == "TXT")
            .collect();
        let rec = RecordSet::simple(&name, "TXT", LOCK_TTL, vec![mine.render()]);
        match existing.first() {
            None => groups.push(vec![Change::new(ChangeAction::Create, rec)]),
            Some(r) => {
                let holder = r.values.first().and_then(|v| LockValue::parse(v));
                match holder {
                    Some(h) if h.run_id == mine.run_id => {
                        if h.expires_at != mine.expires_at {
                            groups.push(vec![
                                Change::new(ChangeAction::Delete, (*r).clone()),
                                Change::new(ChangeAction::Create, rec),
                            ]);
                        }
                    }
                    Some(h) if h.expires_at <= now_secs && take_over_stale => {
                        taken_from = Some(h.run_id.clone());
                        groups.push(vec![
                            Change::new(ChangeAction::Delete, (*r).clone()),
                            Change::new(ChangeAction::Create, rec),
                        ]);
                    }
                    Some(h) => {
                        let stale = h.expires_at <= now_secs;
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "{host} is locked by run {} (TXT {name}, expires at unix {}{}): \
                                 {}",
                                h.run_id,
                                h.expires_at,
                                if stale { ", stale" } else { "" },
                                if stale {
                                    "if that run is dead, pass take_over_stale_lock (CLI: \
                                     --take-over-stale-lock)"
                                } else {
                                    "wait for it to finish, or resume/roll back that run"
                                }
                            ),
                        ));
                    }
                    None => {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "{name} exists but is not a dynoshift lock ({}): remove it",
                                r.values.join(" ")
                            ),
                        ));
                    }
                }
            }
        }
    }
    for chunk in pack_batches(groups) {
        provider
            .apply(zone_id, chunk, "dynoshift lock")
            .await
            .map_err(|e| {
                if e.kind() == ErrorKind::Conflict {
                    Error::new(
                        ErrorKind::Conflict,
                        format!("another run took the lock meanwhile: {}", e.message()),
                    )
                } else {
                    e
                }
            })?;
    }
    Ok((names, taken_from))
}

/// Deletes our lock records (those still holding our value): straight from the journal's
/// record of the lock when it is known (no listing), else from a listing.
pub(crate) async fn release(
    provider: &dyn DnsProvider,
    zone_id: &str,
    run_id: &str,
    known: Option<&super::journal::LockRecord>,
) -> Result<()> {
    if let Some(l) = known {
        let groups: Vec<Vec<Change>> = l
            .names
            .iter()
            .map(|n| {
                vec![Change::new(
                    ChangeAction::Delete,
                    RecordSet::simple(n, "TXT", LOCK_TTL, vec![l.value.clone()]),
                )]
            })
            .collect();
        let mut all_ok = true;
        for chunk in pack_batches(groups) {
            if provider
                .apply(zone_id, chunk, "dynoshift unlock")
                .await
                .is_err()
            {
                all_ok = false;
                break;
            }
        }
        if all_ok {
            return Ok(());
        }
    }
    let records = provider.list_records(zone_id).await?;
    let groups: Vec<Vec<Change>> = records
        .into_iter()
        .filter(|r| {
            r.rtype == "TXT"
                && r.name.starts_with(LOCK_PREFIX)
                && r.values
                    .first()
                    .and_then(|v| LockValue::parse(v))
                    .is_some_and(|l| l.run_id == run_id)
        })
        .map(|r| vec![Change::new(ChangeAction::Delete, r)])
        .collect();
    for chunk in pack_batches(groups) {
        provider.apply(zone_id, chunk, "dynoshift unlock").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_value_round_trips() {
        let v = LockValue {
            run_id: "r-123".into(),
            expires_at: 42,
        };
        assert_eq!(LockValue::parse(&v.render()), Some(v));
        assert_eq!(LockValue::parse("\"v=spf1 -all\""), None);
    }
}

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
    let wrote = !groups.is_empty();
    for chunk in pack_batches(groups) {
        if let Err(e) = provider.apply(zone_id, chunk, "dynoshift lock").await {
            if e.kind() != ErrorKind::Conflict {
                return Err(e);
            }
            // Refused: someone created a lock record between our listing and our write, or an
            // earlier attempt of this very call landed (its answer lost, then retried). Look.
            let now = provider.list_records(zone_id).await.unwrap_or_default();
            let holders: Vec<(String, Option<LockValue>)> = names
                .iter()
                .map(|n| {
                    let v = now
                        .iter()
                        .find(|r| &r.name == n && r.rtype == "TXT")
                        .and_then(|r| r.values.first().and_then(|v| LockValue::parse(v)));
                    (n.clone(), v)
                })
                .collect();
            if holders.iter().all(|(_, v)| v.as_ref() == Some(mine)) {
                continue; // every lock record holds our value: the write did land
            }
            return Err(
                match holders.iter().find_map(|(n, v)| {
                    v.as_ref()
                        .filter(|v| v.run_id != mine.run_id)
                        .map(|v| (n, v))
                }) {
                    Some((name, h)) => held_by(name, h),
                    None => Error::new(
                        ErrorKind::Conflict,
                        format!("another run took the lock meanwhile: {}", e.message()),
                    ),
                },
            );
        }
    }
    if wrote {
        // Read back: the first lock record listed under each name must be ours. Route53 refuses
        // a CREATE over an existing record, so there it always is; an endpoint that let two
        // CREATEs through (moto 5.2 appends a second record) lists the earlier one first,
        // and its holder keeps the lock.
        let now = provider.list_records(zone_id).await?;
        for n in &names {
            let first = now
                .iter()
                .find(|r| &r.name == n && r.rtype == "TXT")
                .and_then(|r| r.values.first().and_then(|v| LockValue::parse(v)));
            match first {
                Some(v) if v == *mine => {}
                Some(h) => return Err(held_by(n, &h)),
                None => {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!("the lock record {n} vanished right after it was written"),
                    ));
                }
            }
        }
    }
    Ok((names, taken_from))
}

fn held_by(name: &str, h: &LockValue) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "{} is locked by run {} (TXT {name}, expires at unix {}; it took the lock while this \
             run was taking it): wait for it to finish, or resume/roll back that run",
            name.trim_start_matches(LOCK_PREFIX),
            h.run_id,
            h.expires_at
        ),
    )
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
    let holder = |r: &RecordSet| r.values.first().and_then(|v| LockValue::parse(v));
    // a name also holding another run's lock is left alone: only an endpoint that lets two
    // CREATEs through has such a pair, and deleting ours there may take the other with it
    let others: Vec<String> = records
        .iter()
        .filter(|r| r.rtype == "TXT" && holder(r).is_some_and(|l| l.run_id != run_id))
        .map(|r| r.name.clone())
        .collect();
    let groups: Vec<Vec<Change>> = records
        .iter()
        .filter(|r| {
            r.rtype == "TXT"
                && r.name.starts_with(LOCK_PREFIX)
                && !others.contains(&r.name)
                && holder(r).is_some_and(|l| l.run_id == run_id)
        })
        .cloned()
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

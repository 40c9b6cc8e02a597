//! An in-process hosted zone with Route53's rules: weights 0–255, one type and one TTL per
//! weighted group (at most 100 members), CNAME exclusivity (and no CNAME at the apex), atomic
//! batches with Route53's size limits, CREATE/DELETE preconditions, and PENDING → INSYNC after a
//! configurable delay on an injectable clock. Optionally (on by default) it refuses a batch that
//! leaves a weighted group with every weight at 0, which Route53 accepts but treats as "split
//! equally" — so a bug that writes it fails loudly in tests.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{
    ApiCalls, BoxFuture, Call, CallCounter, Change, ChangeAction, ChangeInfo, ChangeStatus, Clock,
    DnsProvider, LIST_PAGE_SIZE, RecordSet, SystemClock, ZoneInfo, check_batch_limits,
    normalize_name,
};
use crate::{Error, ErrorKind, Result};

/// Settings of a [`MemoryProvider`].
#[derive(Debug, Clone)]
pub struct MemoryOptions {
    /// Time from a change's submission to INSYNC (0 = INSYNC at once, like moto).
    pub insync_delay: Duration,
    /// Refuse batches that leave a weighted group with all weights 0 (default true).
    pub reject_all_zero_weights: bool,
}

impl Default for MemoryOptions {
    fn default() -> Self {
        MemoryOptions {
            insync_delay: Duration::ZERO,
            reject_all_zero_weights: true,
        }
    }
}

/// A batch the memory zone accepted, for inspection by tests and rehearsals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedBatch {
    /// Change id.
    pub id: String,
    /// Zone id.
    pub zone_id: String,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// The comment.
    pub comment: String,
}

#[derive(Debug, Default)]
struct State {
    zones: BTreeMap<String, (String, Vec<RecordSet>)>,
    changes: BTreeMap<String, SystemTime>,
    history: Vec<AppliedBatch>,
    next_id: u64,
    /// Addresses of the loopback DNS servers answering for this provider now.
    dns_servers: Vec<std::net::SocketAddr>,
}

/// The in-memory DNS provider. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct MemoryProvider {
    state: Arc<Mutex<State>>,
    options: MemoryOptions,
    clock: Arc<dyn Clock>,
    calls: Arc<CallCounter>,
}

impl Default for MemoryProvider {
    fn default() -> Self {
        MemoryProvider::new(MemoryOptions::default())
    }
}

fn describe(r: &RecordSet) -> String {
    match &r.set_identifier {
        Some(s) => format!(
            "[name='{}.', type='{}', set-identifier='{s}']",
            r.name, r.rtype
        ),
        None => format!("[name='{}.', type='{}']", r.name, r.rtype),
    }
}

fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

impl MemoryProvider {
    /// A provider with no zones, on the system clock.
    pub fn new(options: MemoryOptions) -> Self {
        MemoryProvider {
            state: Arc::default(),
            options,
            clock: Arc::new(SystemClock),
            calls: Arc::default(),
        }
    }

    /// Uses `clock` for change propagation.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a hosted zone (with its SOA and NS records) and returns it.
    pub fn create_zone(&self, name: &str) -> ZoneInfo {
        let name = normalize_name(name);
        let mut st = self.lock();
        st.next_id += 1;
        let id = format!("ZMEM{:010}", st.next_id);
        let records = vec![
            RecordSet::simple(
                &name,
                "NS",
                172_800,
                vec!["ns-1.memory.invalid.".into(), "ns-2.memory.invalid.".into()],
            ),
            RecordSet::simple(
                &name,
                "SOA",
                900,
                vec![
                    "ns-1.memory.invalid. hostmaster.memory.invalid. 1 7200 900 1209600 86400"
                        .into(),
                ],
            ),
        ];
        st.zones.insert(id.clone(), (name.clone(), records));
        ZoneInfo { id, name }
    }

    /// Applies a batch now (the same rules as [`DnsProvider::apply`], without counting a call).
    pub fn apply_now(
        &self,
        zone_id: &str,
        changes: Vec<Change>,
        comment: &str,
    ) -> Result<ChangeInfo> {
        check_batch_limits(&changes)?;
        let zone_id = zone_id.trim_start_matches("/hostedzone/");
        let mut st = self.lock();
        let (zone_name, current) = st.zones.get(zone_id).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no hosted zone with id {zone_id}"),
            )
        })?;
        let mut records = current;
        let mut touched = BTreeSet::new();
        let mut normalized = Vec::with_capacity(changes.len());
        for change in changes {
            let mut r = change.record.clone();
            r.name = normalize_name(&r.name);
            r.rtype = r.rtype.to_ascii_uppercase();
            if r.rtype == "CNAME" {
                r.values = r.values.iter().map(|v| normalize_name(v)).collect();
            }
            if !in_zone(&r.name, &zone_name) {
                return Err(Error::invalid_input(format!(
                    "RRSet with DNS name {}. is not permitted in zone {zone_name}.",
                    r.name
                )));
            }
            if r.alias {
                return Err(Error::invalid_input(
                    "the memory provider does not write alias records",
                ));
            }
            if r.set_identifier.is_some() != r.weight.is_some() {
                return Err(Error::invalid_input(format!(
                    "{}: a weighted record needs both a set identifier and a weight",
                    describe(&r)
                )));
            }
            if let Some(w) = r.weight
                && !(0..=255).contains(&w)
            {
                return Err(Error::invalid_input(format!(
                    "{}: weight {w} is outside 0–255",
                    describe(&r)
                )));
            }
            if r.ttl.is_none() || r.values.is_empty() {
                return Err(Error::invalid_input(format!(
                    "{}: a record needs a TTL and at least one value",
                    describe(&r)
                )));
            }
            if r.rtype == "CNAME" && r.values.len() != 1 {
                return Err(Error::invalid_input(format!(
                    "{}: a CNAME holds exactly one value",
                    describe(&r)
                )));
            }
            let pos = records.iter().position(|x| x.same_key(&r));
            match change.action {
                ChangeAction::Create => {
                    if pos.is_some() {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "Tried to create resource record set {} but it already exists",
                                describe(&r)
                            ),
                        ));
                    }
                    records.push(r.clone());
                }
                ChangeAction::Delete => match pos {
                    None => {
                        return Err(Error::new(
                            ErrorKind::NotFound,
                            format!(
                                "Tried to delete resource record set {} but it was not found",
                                describe(&r)
                            ),
                        ));
                    }
                    Some(i) if !records[i].same_as(&r) => {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "Tried to delete resource record set {} but the values provided \
                                 do not match the current values",
                                describe(&r)
                            ),
                        ));
                    }
                    Some(i) => {
                        records.remove(i);
                    }
                },
                ChangeAction::Upsert => match pos {
                    Some(i) => records[i] = r.clone(),
                    None => records.push(r.clone()),
                },
            }
            touched.insert(r.name.clone());
            normalized.push(Change::new(change.action, r));
        }
        for name in &touched {
            let at: Vec<&RecordSet> = records.iter().filter(|r| &r.name == name).collect();
            let has_cname = at.iter().any(|r| r.rtype == "CNAME");
            if has_cname && *name == zone_name {
                return Err(Error::invalid_input(format!(
                    "a CNAME is not permitted at the zone apex {name}."
                )));
            }
            if has_cname && at.iter().any(|r| r.rtype != "CNAME") {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "RRSet of type CNAME with DNS name {name}. is not permitted as it \
                         conflicts with other records with the same DNS name"
                    ),
                ));
            }
            let types: BTreeSet<&str> = at.iter().map(|r| r.rtype.as_str()).collect();
            for t in types {
                let group: Vec<&&RecordSet> = at.iter().filter(|r| r.rtype == t).collect();
                let weighted = group.iter().filter(|r| r.is_weighted()).count();
                if weighted == 0 {
                    continue;
                }
                if weighted != group.len() {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "RRSet {name}. {t}: a non-weighted record cannot coexist with \
                             weighted records of the same name and type"
                        ),
                    ));
                }
                if group.len() > 100 {
                    return Err(Error::invalid_input(format!(
                        "RRSet {name}. {t}: at most 100 weighted records per name and type"
                    )));
                }
                let ttls: BTreeSet<Option<i64>> = group.iter().map(|r| r.ttl).collect();
                if ttls.len() > 1 {
                    return Err(Error::invalid_input(format!(
                        "RRSet {name}. {t}: all records of a weighted group must share one TTL \
                         (found {ttls:?})"
                    )));
                }
                if self.options.reject_all_zero_weights && group.iter().all(|r| r.weight == Some(0))
                {
                    return Err(Error::invalid_input(format!(
                        "RRSet {name}. {t}: every weight of the group would be 0, which Route53 \
                         treats as an equal split"
                    )));
                }
            }
        }
        st.next_id += 1;
        let id = format!("CMEM{:010}", st.next_id);
        let now = self.clock.now();
        st.changes.insert(id.clone(), now);
        st.zones.insert(zone_id.to_owned(), (zone_name, records));
        st.history.push(AppliedBatch {
            id: id.clone(),
            zone_id: zone_id.to_owned(),
            changes: normalized,
            comment: comment.to_owned(),
        });
        let status = if self.options.insync_delay.is_zero() {
            ChangeStatus::Insync
        } else {
            ChangeStatus::Pending
        };
        Ok(ChangeInfo { id, status })
    }

    /// Every batch accepted so far, oldest first.
    pub fn history(&self) -> Vec<AppliedBatch> {
        self.lock().history.clone()
    }

    /// The zone with this name, if any (no call counted).
    pub fn zone_named(&self, name: &str) -> Option<ZoneInfo> {
        let wanted = normalize_name(name);
        self.lock()
            .zones
            .iter()
            .find(|(_, (n, _))| *n == wanted)
            .map(|(id, (n, _))| ZoneInfo {
                id: id.clone(),
                name: n.clone(),
            })
    }

    /// The records of a zone now (no call counted).
    pub fn records(&self, zone_id: &str) -> Result<Vec<RecordSet>> {
        let st = self.lock();
        st.zones
            .get(zone_id.trim_start_matches("/hostedzone/"))
            .map(|(_, r)| r.clone())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no hosted zone with id {zone_id}"),
                )
            })
    }

    /// Answers one DNS query the way a Route53 name server picks from a weighted group: one
    /// record set of the group, chosen with probability weight / sum of weights (only non-zero
    /// weights take part; when every weight is 0, each member has an equal chance). A CNAME at
    /// the name answers every query type; a simple record answers with all its values. The
    /// memory zone keeps no health-check state, so every record counts as healthy.
    ///
    /// `rng` decides the weighted choice (seed it for reproducible tests).
    pub fn answer(&self, name: &str, rtype: &str, rng: &mut fastrand::Rng) -> DnsLookup {
        let name = normalize_name(name);
        let rtype = rtype.trim().to_ascii_uppercase();
        let st = self.lock();
        let zone = st
            .zones
            .values()
            .filter(|(z, _)| in_zone(&name, z))
            .max_by_key(|(z, _)| z.len());
        let Some((_, records)) = zone else {
            return DnsLookup::NotAuthoritative;
        };
        let at: Vec<&RecordSet> = records.iter().filter(|r| r.name == name).collect();
        if at.is_empty() {
            // an empty non-terminal (a name with records below it) exists without data
            let below = format!(".{name}");
            return if records.iter().any(|r| r.name.ends_with(&below)) {
                DnsLookup::NoData
            } else {
                DnsLookup::NxDomain
            };
        }
        let cnames: Vec<&RecordSet> = at.iter().copied().filter(|r| r.rtype == "CNAME").collect();
        let group = if cnames.is_empty() {
            at.iter().copied().filter(|r| r.rtype == rtype).collect()
        } else {
            cnames
        };
        if group.is_empty() {
            return DnsLookup::NoData;
        }
        if group.iter().any(|r| r.is_weighted()) {
            let weights: Vec<i64> = group.iter().map(|r| r.weight.unwrap_or(0)).collect();
            let i = weighted_choice(&weights, rng);
            return DnsLookup::Records(vec![group[i].clone()]);
        }
        DnsLookup::Records(group.into_iter().cloned().collect())
    }

    pub(crate) fn register_dns_server(&self, addr: std::net::SocketAddr) {
        self.lock().dns_servers.push(addr);
    }

    pub(crate) fn unregister_dns_server(&self, addr: std::net::SocketAddr) {
        self.lock().dns_servers.retain(|a| *a != addr);
    }

    /// The addresses of the DNS servers answering for this provider now (see
    /// [`MemoryProvider::serve_dns`]).
    pub fn dns_servers(&self) -> Vec<std::net::SocketAddr> {
        self.lock().dns_servers.clone()
    }
}

/// What the memory zone answers to one DNS query (see [`MemoryProvider::answer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsLookup {
    /// The chosen record set: one member of a weighted group, or the simple record(s).
    Records(Vec<RecordSet>),
    /// The name exists but holds no record of the type asked for.
    NoData,
    /// The name does not exist in its zone.
    NxDomain,
    /// No zone of this provider holds the name.
    NotAuthoritative,
}

/// Route53's weighted choice: the index of the member picked, with probability
/// weight / sum(weights) over the members; negative weights count as 0; when every weight is
/// 0, every member has an equal chance. `weights` must not be empty.
pub fn weighted_choice(weights: &[i64], rng: &mut fastrand::Rng) -> usize {
    if weights.len() <= 1 {
        return 0;
    }
    let total: u64 = weights.iter().map(|w| (*w).max(0) as u64).sum();
    if total == 0 {
        return rng.usize(..weights.len().max(1));
    }
    let mut r = rng.u64(..total);
    for (i, w) in weights.iter().enumerate() {
        let w = (*w).max(0) as u64;
        if r < w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

impl DnsProvider for MemoryProvider {
    fn zone<'a>(&'a self, name_or_id: &'a str) -> BoxFuture<'a, Result<ZoneInfo>> {
        Box::pin(async move {
            self.calls.add(Call::Zone);
            let st = self.lock();
            let id = name_or_id.trim_start_matches("/hostedzone/");
            if let Some((name, _)) = st.zones.get(id) {
                return Ok(ZoneInfo {
                    id: id.to_owned(),
                    name: name.clone(),
                });
            }
            let wanted = normalize_name(name_or_id);
            st.zones
                .iter()
                .find(|(_, (name, _))| *name == wanted)
                .map(|(id, (name, _))| ZoneInfo {
                    id: id.clone(),
                    name: name.clone(),
                })
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::NotFound,
                        format!("no hosted zone named or with id {name_or_id}"),
                    )
                })
        })
    }

    fn list_records<'a>(&'a self, zone_id: &'a str) -> BoxFuture<'a, Result<Vec<RecordSet>>> {
        Box::pin(async move {
            let records = self.records(zone_id)?;
            let pages = records.len().div_ceil(LIST_PAGE_SIZE).max(1);
            for _ in 0..pages {
                self.calls.add(Call::List);
            }
            Ok(records)
        })
    }

    fn apply<'a>(
        &'a self,
        zone_id: &'a str,
        changes: Vec<Change>,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<ChangeInfo>> {
        Box::pin(async move {
            self.calls.add(Call::Change);
            self.apply_now(zone_id, changes, comment)
        })
    }

    fn change_status<'a>(&'a self, change_id: &'a str) -> BoxFuture<'a, Result<ChangeStatus>> {
        Box::pin(async move {
            self.calls.add(Call::GetChange);
            let id = change_id.trim_start_matches("/change/");
            let submitted = *self.lock().changes.get(id).ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no change with id {change_id}"),
                )
            })?;
            let elapsed = self
                .clock
                .now()
                .duration_since(submitted)
                .unwrap_or(Duration::ZERO);
            Ok(if elapsed >= self.options.insync_delay {
                ChangeStatus::Insync
            } else {
                ChangeStatus::Pending
            })
        })
    }

    fn api_calls(&self) -> ApiCalls {
        self.calls.snapshot()
    }

    fn name_servers<'a>(
        &'a self,
        zone_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<std::net::SocketAddr>>> {
        Box::pin(async move {
            self.calls.add(Call::Zone);
            self.records(zone_id)?;
            let servers = self.dns_servers();
            if servers.is_empty() {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "the memory zone {zone_id} is not served over DNS: start a server with \
                         MemoryProvider::serve_dns first"
                    ),
                ));
            }
            Ok(servers)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> (MemoryProvider, ZoneInfo) {
        let p = MemoryProvider::default();
        let z = p.create_zone("example.test.");
        (p, z)
    }

    fn cname(name: &str) -> RecordSet {
        RecordSet::simple(name, "CNAME", 300, vec!["app.herokudns.com".into()])
    }

    #[test]
    fn create_twice_is_a_conflict_and_batches_are_atomic() {
        let (p, z) = zone();
        p.apply_now(
            &z.id,
            vec![Change::new(ChangeAction::Create, cname("www.example.test"))],
            "",
        )
        .unwrap();
        let before = p.records(&z.id).unwrap();
        let err = p
            .apply_now(
                &z.id,
                vec![
                    Change::new(ChangeAction::Create, cname("api.example.test")),
                    Change::new(ChangeAction::Create, cname("www.example.test")),
                ],
                "",
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
        assert_eq!(
            p.records(&z.id).unwrap(),
            before,
            "a failed batch changed nothing"
        );
    }

    #[test]
    fn weighted_rules() {
        let (p, z) = zone();
        let n = "www.example.test";
        // simple + weighted of the same type cannot coexist
        p.apply_now(&z.id, vec![Change::new(ChangeAction::Create, cname(n))], "")
            .unwrap();
        let err = p
            .apply_now(
                &z.id,
                vec![Change::new(
                    ChangeAction::Create,
                    RecordSet::weighted_cname(n, "aws", 10, 300, "lb.aws.test"),
                )],
                "",
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        // converting in one batch works
        p.apply_now(
            &z.id,
            vec![
                Change::new(ChangeAction::Delete, cname(n)),
                Change::new(
                    ChangeAction::Create,
                    RecordSet::weighted_cname(n, "heroku", 100, 60, "app.herokudns.com"),
                ),
                Change::new(
                    ChangeAction::Create,
                    RecordSet::weighted_cname(n, "aws", 0, 60, "lb.aws.test"),
                ),
            ],
            "",
        )
        .unwrap();
        // all-zero refused, weight range, TTL mismatch, AAAA next to a CNAME
        for (changes, kind) in [
            (
                vec![RecordSet::weighted_cname(
                    n,
                    "heroku",
                    0,
                    60,
                    "app.herokudns.com",
                )],
                ErrorKind::InvalidInput,
            ),
            (
                vec![RecordSet::weighted_cname(n, "aws", 256, 60, "lb.aws.test")],
                ErrorKind::InvalidInput,
            ),
            (
                vec![RecordSet::weighted_cname(n, "aws", 5, 30, "lb.aws.test")],
                ErrorKind::InvalidInput,
            ),
            (
                vec![RecordSet::simple(n, "AAAA", 60, vec!["::1".into()])],
                ErrorKind::Conflict,
            ),
        ] {
            let changes = changes
                .into_iter()
                .map(|r| Change::new(ChangeAction::Upsert, r))
                .collect();
            let err = p.apply_now(&z.id, changes, "").unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
        }
        // apex CNAME refused
        let err = p
            .apply_now(
                &z.id,
                vec![Change::new(ChangeAction::Create, cname("example.test"))],
                "",
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn pending_then_insync_on_the_clock() {
        let clock = Arc::new(crate::dns::VirtualClock::new());
        let p = MemoryProvider::new(MemoryOptions {
            insync_delay: Duration::from_secs(30),
            ..Default::default()
        })
        .with_clock(clock.clone());
        let z = p.create_zone("example.test");
        let info = p
            .apply(
                &z.id,
                vec![Change::new(ChangeAction::Create, cname("www.example.test"))],
                "",
            )
            .await
            .unwrap();
        assert_eq!(info.status, ChangeStatus::Pending);
        assert_eq!(
            p.change_status(&info.id).await.unwrap(),
            ChangeStatus::Pending
        );
        clock.advance(Duration::from_secs(30));
        assert_eq!(
            p.change_status(&info.id).await.unwrap(),
            ChangeStatus::Insync
        );
        let err = p
            .delete_record(&z.id, cname("api.example.test"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}

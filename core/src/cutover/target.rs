//! Where a cutover's DNS lives, as the bindings and scripts name it: Route53 (reached with
//! [`Route53Options`]) or an in-memory zone seeded for a plan (the embedded default). Connecting
//! yields the provider and the clock the engine must use with it.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::engine::Controls;
use super::journal::Outcome;
use super::plan::{CutoverPlan, RollbackMode};
use super::rehearsal_provider;
use crate::dns::budget::RequestBudget;
use crate::dns::memory::{MemoryOptions, MemoryProvider};
use crate::dns::route53::{Route53Options, Route53Provider};
use crate::dns::{Clock, DnsProvider, SystemClock, VirtualClock};
use crate::{Error, ErrorKind, Result};

/// A DNS target for preflight and runs.
#[derive(Debug, Clone)]
pub enum DnsTarget {
    /// Route53 (or an API-compatible endpoint such as moto_server), on the system clock.
    Route53(Route53Options),
    /// An in-memory zone; cheap to clone (shared state), so every run on one target sees the
    /// same records.
    Memory {
        /// The zone.
        provider: MemoryProvider,
        /// Its clock (virtual for instant rehearsals).
        clock: Arc<dyn Clock>,
    },
}

impl DnsTarget {
    /// The endpoint Route53 calls go to when it is not AWS's; `None` for AWS and for an
    /// in-memory zone.
    pub fn endpoint_url(&self) -> Option<&str> {
        match self {
            DnsTarget::Route53(o) => o.endpoint_url.as_deref(),
            DnsTarget::Memory { .. } => None,
        }
    }

    /// An in-memory zone holding the plan's hostnames as simple CNAMEs to the Heroku target
    /// (see [`rehearsal_provider`]). With `virtual_time`, every wait (INSYNC, TTL, soak) passes
    /// instantly; otherwise real time is used.
    pub fn rehearsal(
        plan: &CutoverPlan,
        insync_delay: Duration,
        virtual_time: bool,
    ) -> Result<DnsTarget> {
        let clock: Arc<dyn Clock> = if virtual_time {
            Arc::new(VirtualClock::new())
        } else {
            Arc::new(SystemClock)
        };
        let options = MemoryOptions {
            insync_delay,
            ..MemoryOptions::default()
        };
        let provider = rehearsal_provider(plan, options, clock.clone())?;
        Ok(DnsTarget::Memory { provider, clock })
    }

    /// The provider and the clock to run with. Route53 builds its client here (loading the
    /// standard credential chain when no static credentials were given).
    pub fn connect(
        &self,
    ) -> impl Future<Output = (Arc<dyn DnsProvider>, Arc<dyn Clock>)> + Send + 'static {
        self.connect_with_budget(None)
    }

    /// [`DnsTarget::connect`] whose Route53 calls go through `budget` (shared by a fleet of
    /// runs); without one, the provider has a budget of its own at Route53's default rate.
    /// An in-memory zone has no budget.
    pub fn connect_with_budget(
        &self,
        budget: Option<RequestBudget>,
    ) -> impl Future<Output = (Arc<dyn DnsProvider>, Arc<dyn Clock>)> + Send + 'static {
        let target = self.clone();
        async move {
            match target {
                DnsTarget::Route53(options) => {
                    let mut provider = Route53Provider::connect(options).await;
                    if let Some(b) = budget {
                        provider = provider.with_budget(b);
                    }
                    (
                        Arc::new(provider) as Arc<dyn DnsProvider>,
                        Arc::new(SystemClock) as Arc<dyn Clock>,
                    )
                }
                DnsTarget::Memory { provider, clock } => {
                    (Arc::new(provider) as Arc<dyn DnsProvider>, clock)
                }
            }
        }
    }

    /// The current records of the memory zone as JSON (None for Route53).
    pub fn records_json(&self, zone: &str) -> Result<Option<String>> {
        match self {
            DnsTarget::Route53(_) => Ok(None),
            DnsTarget::Memory { provider, .. } => {
                let id = provider
                    .zone_named(zone)
                    .map(|z| z.id)
                    .unwrap_or_else(|| zone.to_owned());
                let records = provider.records(&id)?;
                Ok(Some(serde_json::to_string(&records).unwrap_or_default()))
            }
        }
    }
}

impl RollbackMode {
    /// `"full"` or `"graduated"` (`invalid_input` otherwise).
    pub fn parse(text: &str) -> Result<RollbackMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(RollbackMode::Full),
            "graduated" => Ok(RollbackMode::Graduated),
            other => Err(Error::invalid_input(format!(
                "rollback mode {other:?} is neither \"full\" nor \"graduated\""
            ))
            .at("mode")),
        }
    }

    /// `"full"` or `"graduated"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RollbackMode::Full => "full",
            RollbackMode::Graduated => "graduated",
        }
    }
}

impl Outcome {
    /// `"promoted"`, `"rolled_back"` or `"paused"`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Promoted => "promoted",
            Outcome::RolledBack { .. } => "rolled_back",
            Outcome::Paused { .. } => "paused",
        }
    }

    /// Why it rolled back or paused (None when promoted).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Promoted => None,
            Outcome::RolledBack { reason } | Outcome::Paused { reason } => Some(reason),
        }
    }

    /// As JSON (`{"outcome": "rolled_back", "reason": ...}`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Debug, Default)]
enum SlotState {
    #[default]
    Idle,
    /// A call was claimed; its controls once the run has started.
    Busy(Option<Controls>),
}

/// The [`Controls`] of the one run a front-end object is driving, so that sync control calls
/// (pause, approve, abort, ...) reach it. A second concurrent call on the same object is a
/// `conflict`; the slot frees itself when the call's [`SlotClaim`] is dropped (finished or
/// cancelled).
#[derive(Debug, Clone, Default)]
pub struct ControlSlot(Arc<Mutex<SlotState>>);

impl ControlSlot {
    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves the slot for one call (`conflict` if a call is already in progress).
    pub fn claim(&self) -> Result<SlotClaim> {
        let mut st = self.state();
        if matches!(*st, SlotState::Busy(_)) {
            return Err(Error::new(
                ErrorKind::Conflict,
                "a run, resume, rollback or promote of this cutover is already in progress: \
                 wait for it, or steer it with the controls",
            ));
        }
        *st = SlotState::Busy(None);
        Ok(SlotClaim(self.clone()))
    }

    /// True while a call holds the slot.
    pub fn busy(&self) -> bool {
        matches!(*self.state(), SlotState::Busy(_))
    }

    /// Sends a control to the running call (`conflict` if none has started).
    pub fn send(&self, f: impl FnOnce(&Controls) -> Result<()>) -> Result<()> {
        match &*self.state() {
            SlotState::Busy(Some(c)) => f(c),
            _ => Err(Error::new(
                ErrorKind::Conflict,
                "no run of this cutover is in progress: start run(), resume(), rollback() or \
                 promote() first",
            )),
        }
    }
}

/// A claimed [`ControlSlot`]; frees it when dropped.
#[derive(Debug)]
pub struct SlotClaim(ControlSlot);

impl SlotClaim {
    /// Publishes the started run's controls.
    pub fn set(&self, controls: Controls) {
        *self.0.state() = SlotState::Busy(Some(controls));
    }
}

impl Drop for SlotClaim {
    fn drop(&mut self) {
        *self.0.state() = SlotState::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cutover::Cutover;

    fn plan() -> CutoverPlan {
        CutoverPlan::new(
            vec!["www.example.com".into()],
            "example.com",
            "x.herokudns.com",
            "lb.elb.amazonaws.com",
        )
    }

    #[test]
    fn only_a_route53_target_has_an_endpoint() {
        let moto =
            Route53Options::from_parts(Some("http://127.0.0.1:5000".into()), None, None, None)
                .unwrap();
        assert_eq!(
            DnsTarget::Route53(moto).endpoint_url(),
            Some("http://127.0.0.1:5000")
        );
        let memory = DnsTarget::rehearsal(&plan(), Duration::ZERO, true).unwrap();
        assert_eq!(memory.endpoint_url(), None);
    }

    #[test]
    fn rollback_modes_and_outcomes_have_stable_names() {
        assert_eq!(
            RollbackMode::parse("Graduated").unwrap(),
            RollbackMode::Graduated
        );
        assert_eq!(RollbackMode::parse("full").unwrap().as_str(), "full");
        let err = RollbackMode::parse("sideways").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let o = Outcome::RolledBack {
            reason: "gate failed".into(),
        };
        assert_eq!(
            (o.status(), o.reason()),
            ("rolled_back", Some("gate failed"))
        );
        assert_eq!(Outcome::Promoted.to_json(), r#"{"outcome":"promoted"}"#);
    }

    #[test]
    fn a_rehearsal_target_holds_the_plan_records() {
        let t = DnsTarget::rehearsal(&plan(), Duration::ZERO, true).unwrap();
        let json = t.records_json("example.com").unwrap().unwrap();
        assert!(
            json.contains(r#""name":"www.example.com","type":"CNAME""#),
            "{json}"
        );
        assert!(
            DnsTarget::Route53(Route53Options::default())
                .records_json("x")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_control_slot_allows_one_call_and_frees_itself() {
        let slot = ControlSlot::default();
        assert_eq!(
            slot.send(Controls::pause).unwrap_err().kind(),
            ErrorKind::Conflict
        );
        let claim = slot.claim().unwrap();
        assert!(slot.busy());
        assert_eq!(slot.claim().unwrap_err().kind(), ErrorKind::Conflict);
        assert_eq!(
            slot.send(Controls::pause).unwrap_err().kind(),
            ErrorKind::Conflict
        );
        let target = DnsTarget::rehearsal(&plan(), Duration::ZERO, true).unwrap();
        let DnsTarget::Memory { provider, .. } = target else {
            unreachable!("a rehearsal is in memory")
        };
        let cut = Cutover::new(plan(), Arc::new(provider), "unused.json").unwrap();
        claim.set(cut.controls());
        slot.send(Controls::pause).unwrap();
        drop(claim);
        assert!(!slot.busy());
        assert!(slot.claim().is_ok());
    }
}

//! Where a cutover's DNS lives, as the bindings and scripts name it: Route53 (reached with
//! [`Route53Options`]) or an in-memory zone seeded for a plan (the embedded default). Connecting
//! yields the provider and the clock the engine must use with it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::journal::Outcome;
use super::plan::{CutoverPlan, RollbackMode};
use super::rehearsal_provider;
use crate::dns::memory::{MemoryOptions, MemoryProvider};
use crate::dns::route53::{Route53Options, Route53Provider};
use crate::dns::{Clock, DnsProvider, SystemClock, VirtualClock};
use crate::{Error, Result};

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
        let target = self.clone();
        async move {
            match target {
                DnsTarget::Route53(options) => (
                    Arc::new(Route53Provider::connect(options).await) as Arc<dyn DnsProvider>,
                    Arc::new(SystemClock) as Arc<dyn Clock>,
                ),
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

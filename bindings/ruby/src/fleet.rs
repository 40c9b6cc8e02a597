//! Several apps' cutovers at once under one Route53 request budget: `Fleet.new(budget, burst)`,
//! `add(name, plan, dns, journal_path)`, `run` → `FleetReport` (thin over the core's
//! `FleetBuilder`; `lib/dynoshift.rb` turns `dns` into the tagged `Dns`).

use std::sync::Arc;

use dynoshift::cutover::{FleetBuilder, RunOptions};

use crate::cutover::{CutoverPlan, Dns};
use crate::errors::Result;

/// Apps whose cutovers run together, each with its own journal, lock, gates and outcome, every
/// Route53 call drawn from one budget (`budget` requests per second, `burst` at once).
#[derive(Debug, uniffi::Object)]
pub struct Fleet {
    inner: FleetBuilder,
}

#[uniffi::export(async_runtime = "tokio")]
impl Fleet {
    /// An empty fleet with its budget.
    #[uniffi::constructor(default(budget = 5.0, burst = 1))]
    pub fn new(budget: f64, burst: u32) -> Result<Arc<Fleet>> {
        Ok(Arc::new(Fleet {
            inner: FleetBuilder::new(budget, burst)?,
        }))
    }

    /// Adds app `name`: its plan, DNS target and journal (a file or `s3://bucket/key`).
    pub fn add(
        &self,
        name: String,
        plan: Arc<CutoverPlan>,
        dns: Dns,
        journal_path: String,
    ) -> Result<()> {
        Ok(self
            .inner
            .add(&name, plan.inner.clone(), dns.target(), journal_path.into())?)
    }

    /// Every app's run at once → FleetReport (an app that rolls back or fails is in the
    /// report, not raised). `no_wait`: a pause for an operator ends that app as paused.
    #[uniffi::method(default(no_wait = false))]
    pub async fn run(&self, no_wait: bool) -> Result<Arc<FleetReport>> {
        let fut = self.inner.start(RunOptions {
            no_wait,
            ..RunOptions::default()
        })?;
        Ok(Arc::new(FleetReport { inner: fut.await? }))
    }

    /// Apps added.
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}

dynoshift::result_type!(FleetReport => rb_result {
    /// The per-app table and the total line, as `dynoshift cutover fleet` prints them.
    pub fn table(&self) -> Vec<String> {
        self.inner.table()
    }
    /// The report as JSON (apps, outcomes, Route53 calls, throttles, wall times, totals).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

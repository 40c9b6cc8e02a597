//! Several apps' cutovers at once under one Route53 request budget: `new Fleet(options)`,
//! `add(name, plan, dns, journalPath)`, `run()` → Promise of a `FleetReport` (thin over the
//! core's `FleetBuilder`).

use dynoshift::cutover::{FleetBuilder, RunOptions};
use napi::Env;
use napi::bindgen_prelude::{Either, Object, PromiseRaw};
use napi_derive::napi;

use crate::convert::Options;
use crate::cutover::{CutoverPlan, MemoryZone, Route53, target_of};
use crate::errors::{IntoJs, Result, promise};

/// Options for `new Fleet(options)`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct FleetOptions {
    /// Route53 requests per second shared by every app (default 5, the account's limit).
    pub budget: Option<f64>,
    /// Requests let through at once after a quiet spell (default 1).
    pub burst: Option<u32>,
}

/// Apps whose cutovers run together, each with its own journal, lock, gates and outcome, every
/// Route53 call drawn from one budget.
#[napi]
#[derive(Debug)]
pub struct Fleet {
    inner: FleetBuilder,
}

#[napi]
impl Fleet {
    /// An empty fleet with its budget.
    #[napi(constructor, ts_args_type = "options?: FleetOptions")]
    pub fn new(options: Option<Object>) -> Result<Self> {
        let o = Options::check(options, "new Fleet(options)", &["budget", "burst"])?;
        let budget = o.get::<f64>("budget")?.unwrap_or(5.0);
        let burst = o.get::<u32>("burst")?.unwrap_or(1);
        Ok(Fleet {
            inner: FleetBuilder::new(budget, burst).js_err()?,
        })
    }
    /// Adds app `name`: its plan, DNS target and journal (a file or `s3://bucket/key`).
    #[napi]
    pub fn add(
        &self,
        name: String,
        plan: &CutoverPlan,
        dns: Either<&Route53, &MemoryZone>,
        journal_path: String,
    ) -> Result<()> {
        self.inner
            .add(
                &name,
                plan.inner.clone(),
                target_of(&dns),
                journal_path.into(),
            )
            .js_err()
    }
    /// Every app's run at once; resolves to the `FleetReport` (an app that rolls back or fails
    /// is in the report, not thrown). `noWait`: a pause for an operator ends that app as paused.
    #[napi(ts_return_type = "Promise<FleetReport>")]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        no_wait: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, FleetReport>> {
        // an error before the run (a fleet refused up front) rejects the Promise
        let fut = self.inner.start(RunOptions {
            no_wait: no_wait.unwrap_or(false),
            ..RunOptions::default()
        });
        promise(env, async move { fut?.await }, |inner| FleetReport {
            inner,
        })
    }
    /// Apps added.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}

dynoshift::result_type!(FleetReport => js_result {});

#[napi]
impl FleetReport {
    /// The per-app table and the total line, as `dynoshift cutover fleet` prints them.
    #[napi]
    pub fn table(&self) -> Vec<String> {
        self.inner.table()
    }
    /// The report as JSON (apps, outcomes, Route53 calls, throttles, wall times, totals).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

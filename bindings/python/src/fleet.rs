//! Several apps' cutovers at once under one Route53 request budget: `Fleet(budget, burst)`,
//! `add(name, plan, dns, journal_path)`, `await run()` → `FleetReport` (thin over the core's
//! `FleetBuilder`).

use std::path::PathBuf;

use dynoshift::cutover::{FleetBuilder, RunOptions};
use pyo3::prelude::*;

use crate::aio::future_into_py;
use crate::cutover::{CutoverPlan, Dns};
use crate::errors::IntoPy;

/// Apps whose cutovers run together, each with its own journal, lock, gates and outcome, every
/// Route53 call drawn from one budget (`budget` requests per second, `burst` at once).
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug)]
pub struct Fleet {
    inner: FleetBuilder,
}

#[pymethods]
impl Fleet {
    #[new]
    #[pyo3(signature = (budget=5.0, burst=1))]
    fn new(budget: f64, burst: u32) -> PyResult<Self> {
        Ok(Fleet {
            inner: FleetBuilder::new(budget, burst).py_err()?,
        })
    }
    /// Adds app `name`: its plan, DNS target and journal (a file or `s3://bucket/key`).
    fn add(
        &self,
        name: &str,
        plan: &CutoverPlan,
        dns: Dns<'_>,
        journal_path: PathBuf,
    ) -> PyResult<()> {
        self.inner
            .add(name, plan.inner.clone(), dns.target(), journal_path)
            .py_err()
    }
    /// `await run(no_wait=False)`: every app's run at once → `FleetReport` (an app that rolls
    /// back or fails is in the report, not raised).
    #[pyo3(signature = (no_wait=false))]
    fn run<'py>(&self, py: Python<'py>, no_wait: bool) -> PyResult<Bound<'py, PyAny>> {
        let fut = self
            .inner
            .start(RunOptions {
                no_wait,
                ..RunOptions::default()
            })
            .py_err()?;
        future_into_py(py, async move {
            Ok(FleetReport {
                inner: fut.await.py_err()?,
            })
        })
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __repr__(&self) -> String {
        format!("Fleet(apps={})", self.inner.len())
    }
}

dynoshift::result_type!(FleetReport => py_result {
    /// The per-app table and the total line, as `dynoshift cutover fleet` prints them.
    fn table(&self) -> Vec<String> {
        self.inner.table()
    }
    /// The report as JSON (apps, outcomes, Route53 calls, throttles, wall times, totals).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

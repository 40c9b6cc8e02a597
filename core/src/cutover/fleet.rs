//! Several apps' cutovers at once, in one process, under one Route53 request budget.
//!
//! Teams leaving Heroku move several apps; run side by side they share the account-wide
//! Route53 limit (5 requests per second). A fleet runs each app's plan as its own [`Session`] —
//! its own journal, lock, gates, controls and outcome — concurrently, with every Route53 call
//! of every app drawn from one [`RequestBudget`]. One app rolling back never touches another's
//! records: the plans are refused up front when two of them name the same hostname or journal.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use super::engine::RunOptions;
use super::journal::{StepKind, StepStatus, load_journal};
use super::plan::CutoverPlan;
use super::session::{Operation, Session};
use super::target::DnsTarget;
use crate::dns::BoxFuture;
use crate::dns::budget::{BudgetStats, RequestBudget};
use crate::{Error, Result};

/// One app of a fleet: a name (for the table), its plan, where its DNS is and its journal.
#[derive(Debug)]
pub struct FleetApp {
    name: String,
    session: Session,
}

impl FleetApp {
    /// App `name` running `plan` on `target` with its journal at `journal` (a path or an
    /// `s3://bucket/key` URL); checked like [`Session::new`].
    pub fn new(
        name: impl Into<String>,
        plan: CutoverPlan,
        target: DnsTarget,
        journal: impl Into<PathBuf>,
    ) -> Result<FleetApp> {
        Ok(FleetApp::from_session(
            name,
            Session::new(plan, target, journal)?,
        ))
    }

    /// An app from a session built by the caller (callback gates, observers, journal options).
    pub fn from_session(name: impl Into<String>, session: Session) -> FleetApp {
        FleetApp {
            name: name.into(),
            session,
        }
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its session.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

/// How one app of a fleet ended.
#[derive(Debug, Clone, Serialize)]
pub struct AppReport {
    /// The app's name.
    pub app: String,
    /// Its journal (path or `s3://` URL).
    pub journal: String,
    /// `promoted`, `rolled_back`, `paused`, or `error`.
    pub outcome: String,
    /// Why it rolled back or paused, or the error's message.
    pub reason: Option<String>,
    /// The error's kind (`conflict`, `throttled`...) when it failed.
    pub error_kind: Option<String>,
    /// Stages of the plan done (or reached, for a run that rolled back).
    pub stages: usize,
    /// Stages in the plan.
    pub planned_stages: usize,
    /// Its Route53 calls, throttling answers and time waited for the budget.
    pub route53: BudgetStats,
    /// Wall time of its run, milliseconds.
    pub wall_ms: u64,
}

impl AppReport {
    /// Whether the app reached 100% AWS.
    pub fn promoted(&self) -> bool {
        self.outcome == "promoted"
    }
}

/// A fleet's result: one report per app (in the order given), the budget and the totals.
#[derive(Debug, Clone, Serialize)]
pub struct FleetReport {
    /// One per app.
    pub apps: Vec<AppReport>,
    /// The budget's rate, requests per second.
    pub rate: f64,
    /// The budget's burst.
    pub burst: u32,
    /// Route53 calls, throttling answers and budget waits of every app together.
    pub total: BudgetStats,
    /// Wall time of the whole fleet, milliseconds.
    pub wall_ms: u64,
}

impl FleetReport {
    /// Whether every app promoted.
    pub fn all_promoted(&self) -> bool {
        self.apps.iter().all(AppReport::promoted)
    }

    /// As JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The per-app table and the total line, as printed by `dynoshift cutover fleet`.
    pub fn table(&self) -> Vec<String> {
        let width = self
            .apps
            .iter()
            .map(|a| a.app.chars().count())
            .max()
            .unwrap_or(3)
            .max(3);
        let mut out = vec![format!(
            "{:<width$}  {:<11}  {:>6}  {:>7}  {:>9}  {:>8}",
            "app", "outcome", "stages", "route53", "throttles", "wall s"
        )];
        for a in &self.apps {
            out.push(format!(
                "{:<width$}  {:<11}  {:>6}  {:>7}  {:>9}  {:>8.1}",
                a.app,
                a.outcome,
                format!("{}/{}", a.stages, a.planned_stages),
                a.route53.calls,
                a.route53.throttles,
                a.wall_ms as f64 / 1000.0
            ));
        }
        let promoted = self.apps.iter().filter(|a| a.promoted()).count();
        out.push(format!(
            "total: {promoted}/{} promoted, {} Route53 calls, {} throttled, {:.1} s waited for \
             the budget ({} req/s, burst {}), {:.1} s wall",
            self.apps.len(),
            self.total.calls,
            self.total.throttles,
            self.total.waited_ms as f64 / 1000.0,
            self.rate,
            self.burst,
            self.wall_ms as f64 / 1000.0
        ));
        for a in self.apps.iter().filter(|a| !a.promoted()) {
            out.push(format!(
                "{}: {}: {}",
                a.app,
                a.outcome.replace('_', " "),
                a.reason.as_deref().unwrap_or("")
            ));
        }
        out
    }
}

/// Refuses a fleet whose apps would touch each other: an empty fleet, two apps with one name
/// or one journal, or one hostname in two plans of the same zone (`invalid_input`).
pub fn check_apart(apps: &[FleetApp]) -> Result<()> {
    if apps.is_empty() {
        return Err(Error::invalid_input(
            "a fleet needs at least one plan: give one plan per app",
        ));
    }
    let mut names = BTreeMap::new();
    let mut journals = BTreeMap::new();
    let mut hosts = BTreeMap::new();
    for a in apps {
        if let Some(other) = names.insert(a.name.clone(), a.name.clone()) {
            return Err(Error::invalid_input(format!(
                "two apps of the fleet are named {other:?}: give each plan its own file name"
            )));
        }
        let journal = a.session.journal_location().to_string();
        if let Some(other) = journals.insert(journal.clone(), a.name.clone()) {
            return Err(Error::invalid_input(format!(
                "apps {other} and {} would share the journal {journal}: give each its own \
                 (--journal-dir or --journal-prefix name them after the app)",
                a.name
            )));
        }
        let plan = a.session.plan();
        for h in &plan.hostnames {
            let key = (plan.zone.to_ascii_lowercase(), h.name.to_ascii_lowercase());
            if let Some(other) = hosts.insert(key, a.name.clone()) {
                return Err(Error::invalid_input(format!(
                    "apps {other} and {} both move {} in zone {}: one hostname belongs to one \
                     plan, or their rollbacks would touch each other's records",
                    a.name, h.name, plan.zone
                )));
            }
        }
    }
    Ok(())
}

/// Stages of the journal's plan that were done (forward).
async fn stages_done(session: &Session) -> usize {
    match load_journal(session.journal_store()).await {
        Ok(j) => j
            .steps
            .iter()
            .filter(|s| matches!(s.kind, StepKind::Stage { .. }) && s.status == StepStatus::Done)
            .count(),
        Err(_) => 0,
    }
}

/// Runs every app's plan (`run`) concurrently, each with its own handle on `budget` (so every
/// Route53 call of the fleet goes through it) and `options`; settles when every app has ended
/// (promoted, rolled back, paused, or failed). An app's failure is in its report, never the
/// others': the result is `Err` only for a fleet refused up front (see the module docs).
pub async fn run_fleet(
    apps: Vec<FleetApp>,
    budget: RequestBudget,
    options: RunOptions,
) -> Result<FleetReport> {
    check_apart(&apps)?;
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let count = apps.len();
    for (i, app) in apps.into_iter().enumerate() {
        let mine = budget.share();
        let name = app.name;
        let session = app.session.with_budget(mine.clone()).with_options(options);
        let planned = session.plan().stages.len();
        let journal = session.journal_location().to_string();
        set.spawn(async move {
            let t0 = Instant::now();
            let result = match session.start(Operation::Run) {
                Ok(fut) => fut.await,
                Err(e) => Err(e),
            };
            let wall_ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
            let stages = stages_done(&session).await;
            let (outcome, reason, error_kind) = match result {
                Ok(o) => (o.status().to_owned(), o.reason().map(str::to_owned), None),
                Err(e) => (
                    "error".to_owned(),
                    Some(e.message().to_owned()),
                    Some(e.kind().as_str().to_owned()),
                ),
            };
            let report = AppReport {
                app: name,
                journal,
                outcome,
                reason,
                error_kind,
                stages,
                planned_stages: planned,
                route53: mine.stats(),
                wall_ms,
            };
            (i, report)
        });
    }
    let mut reports: Vec<Option<AppReport>> = vec![None; count];
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, r)) => reports[i] = Some(r),
            Err(e) => {
                return Err(Error::internal(format!(
                    "an app's run stopped abnormally: {e}"
                )));
            }
        }
    }
    Ok(FleetReport {
        apps: reports.into_iter().flatten().collect(),
        rate: budget.rate(),
        burst: budget.burst(),
        total: budget.totals(),
        wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// A fleet assembled one app at a time and run as a whole: what the Python, Node and Ruby
/// bindings hold (`Fleet(budget, burst)`, `add(name, plan, dns, journal_path)`, `run()`).
#[derive(Debug)]
pub struct FleetBuilder {
    budget: RequestBudget,
    apps: Mutex<Vec<(String, CutoverPlan, DnsTarget, PathBuf)>>,
}

impl FleetBuilder {
    /// A fleet whose Route53 calls share `rate` requests per second, `burst` at once.
    pub fn new(rate: f64, burst: u32) -> Result<FleetBuilder> {
        Ok(FleetBuilder {
            budget: RequestBudget::new(rate, burst)?,
            apps: Mutex::default(),
        })
    }

    /// Adds an app (checked like [`FleetApp::new`]; the whole fleet is checked when it runs).
    pub fn add(
        &self,
        name: &str,
        plan: CutoverPlan,
        target: DnsTarget,
        journal: PathBuf,
    ) -> Result<()> {
        FleetApp::new(name, plan.clone(), target.clone(), journal.clone())?;
        self.apps.lock().unwrap_or_else(|p| p.into_inner()).push((
            name.to_owned(),
            plan,
            target,
            journal,
        ));
        Ok(())
    }

    /// The apps added so far.
    pub fn len(&self) -> usize {
        self.apps.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no app was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the fleet now and returns the run of every app (see [`run_fleet`]); the budget's
    /// counters start at zero for each run.
    pub fn start(&self, options: RunOptions) -> Result<BoxFuture<'static, Result<FleetReport>>> {
        let apps = self
            .apps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(n, p, t, j)| FleetApp::new(n, p.clone(), t.clone(), j.clone()))
            .collect::<Result<Vec<_>>>()?;
        check_apart(&apps)?;
        let budget = RequestBudget::new(self.budget.rate(), self.budget.burst())?;
        Ok(Box::pin(run_fleet(apps, budget, options)))
    }
}

/// The first app that did not promote (None when every app did).
pub fn fleet_failed(report: &FleetReport) -> Option<&AppReport> {
    report.apps.iter().find(|a| !a.promoted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::time::Duration;

    fn plan(hosts: &[&str]) -> CutoverPlan {
        CutoverPlan::new(
            hosts.iter().map(|h| h.to_string()).collect(),
            "example.com",
            "x.herokudns.com",
            "lb-1.elb.amazonaws.com",
        )
    }

    fn app(name: &str, hosts: &[&str], journal: &std::path::Path) -> FleetApp {
        let p = plan(hosts);
        let target = DnsTarget::rehearsal(&p, Duration::ZERO, true).unwrap();
        FleetApp::new(name, p, target, journal).unwrap()
    }

    #[test]
    fn apps_that_would_touch_each_other_are_refused() {
        let dir = std::env::temp_dir().join(format!("dynoshift-fleet-{}", std::process::id()));
        let j = |n: &str| dir.join(format!("{n}.journal.json"));
        let cases = [
            vec![],
            vec![
                app("a", &["www.example.com"], &j("a")),
                app("a", &["api.example.com"], &j("b")),
            ],
            vec![
                app("a", &["www.example.com"], &j("a")),
                app("b", &["api.example.com"], &j("a")),
            ],
            vec![
                app("a", &["www.example.com"], &j("a")),
                app("b", &["WWW.example.com"], &j("b")),
            ],
        ];
        for apps in cases {
            let e = check_apart(&apps).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        }
        check_apart(&[
            app("a", &["www.example.com"], &j("a")),
            app("b", &["api.example.com"], &j("b")),
        ])
        .unwrap();
    }

    #[tokio::test]
    async fn a_fleet_in_memory_promotes_every_app() {
        let dir = std::env::temp_dir().join(format!("dynoshift-fleet-mem-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let apps = vec![
            app("a", &["www.example.com"], &dir.join("a.json")),
            app("b", &["api.example.com"], &dir.join("b.json")),
        ];
        let report = run_fleet(apps, RequestBudget::default(), RunOptions::default())
            .await
            .unwrap();
        assert!(report.all_promoted(), "{:?}", report.table());
        assert_eq!(report.apps[0].app, "a");
        assert_eq!(report.apps[1].stages, report.apps[1].planned_stages);
        // in-memory zones make no Route53 calls
        assert_eq!(report.total.calls, 0);
        assert!(fleet_failed(&report).is_none());
        let table = report.table();
        assert_eq!(table.len(), 4, "{table:?}");
        assert!(table[3].starts_with("total: 2/2 promoted"), "{table:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

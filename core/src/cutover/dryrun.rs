//! Dry run: every change batch a plan would write, the expected traffic shares, the timers and
//! the Route53 API calls — computed without touching DNS.

use serde::{Deserialize, Serialize};

use super::engine::{desired_records, diff};
use super::journal::{StepKind, Target};
use super::plan::CutoverPlan;
use crate::dns::{ApiCalls, Change, LIST_PAGE_SIZE, RecordSet, pack_batches};
use crate::{Error, Result};

/// One step of the dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRunStep {
    /// `convert`, `stage 1`, ... (`restore` for the rollback shown at the end).
    pub step: String,
    /// Percent of traffic to AWS after the step.
    pub aws_percent: u8,
    /// Percent to Heroku.
    pub heroku_percent: u8,
    /// The atomic batches (one per 250 hostnames for a stage).
    pub batches: Vec<Vec<Change>>,
    /// Seconds the engine waits for caches after INSYNC: max(old TTL, new TTL).
    pub ttl_wait_seconds: u64,
    /// Soak seconds (gates every tick).
    pub soak_seconds: u64,
}

/// The dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DryRunReport {
    /// Steps forward, in order.
    pub steps: Vec<DryRunStep>,
    /// The full rollback batch from the last stage (what an abort would write).
    pub rollback: Vec<Vec<Change>>,
    /// Route53 calls of a run without retries, with changes INSYNC at the first poll.
    pub api_calls: ApiCalls,
    /// Time of the run beyond INSYNC waits: TTL waits plus soaks, seconds.
    pub minimum_seconds: u64,
    /// Remarks (batch splitting, TTL lowering).
    pub notes: Vec<String>,
}

impl DryRunStep {
    /// The number of atomic change batches the step writes.
    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }

    /// The number of record changes in all its batches.
    pub fn change_count(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }
}

impl DryRunReport {
    /// As JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The plan in plain lines for people: each step's split, writes and waits, the rollback,
    /// the Route53 calls and the minimum duration.
    pub fn summary(&self) -> Vec<String> {
        let changes = |batches: &[Vec<Change>]| batches.iter().map(Vec::len).sum::<usize>();
        let mut lines: Vec<String> = self
            .steps
            .iter()
            .map(|s| {
                let mut line = format!(
                    "{:<8} {:>3}% AWS / {:>3}% Heroku: {} change(s) in {} batch(es), then {} s TTL wait",
                    s.step,
                    s.aws_percent,
                    s.heroku_percent,
                    changes(&s.batches),
                    s.batches.len(),
                    s.ttl_wait_seconds
                );
                if s.soak_seconds > 0 {
                    line.push_str(&format!(" and {} s soak", s.soak_seconds));
                }
                line
            })
            .collect();
        lines.push(format!(
            "rollback from the last stage: {} change(s) in {} batch(es), restoring the original records",
            changes(&self.rollback),
            self.rollback.len()
        ));
        let c = &self.api_calls;
        lines.push(format!(
            "Route53 calls: {} (zone lookups {}, listing pages {}, changes {}, GetChange {}) without retries",
            c.total(),
            c.zone_lookups,
            c.list_pages,
            c.changes,
            c.get_changes
        ));
        lines.push(format!(
            "minimum duration: {} min {} s (TTL waits + soaks; INSYNC waits come on top, usually < 60 s each)",
            self.minimum_seconds / 60,
            self.minimum_seconds % 60
        ));
        lines.extend(self.notes.iter().map(|n| format!("note: {n}")));
        lines
    }
}

/// Computes the dry run. `original` holds the CNAME records of the hostnames as they are now
/// (from preflight); without it each hostname is assumed to be a simple CNAME to the Heroku
/// target with the plan's TTL. `zone_records` is the zone's record count (for listing pages).
pub fn dry_run(
    plan: &CutoverPlan,
    original: Option<&[RecordSet]>,
    zone_records: Option<usize>,
) -> Result<DryRunReport> {
    plan.validate()?;
    let plan = plan.clone().normalized();
    let original: Vec<RecordSet> = match original {
        Some(o) => o.to_vec(),
        None => plan
            .hostnames
            .iter()
            .map(|h| {
                let target = plan.heroku_target_of(&h.name).to_owned();
                RecordSet::simple(&h.name, "CNAME", plan.ttl, vec![target])
            })
            .collect(),
    };
    if original.is_empty() {
        return Err(Error::invalid_input("no current records to start from"));
    }
    let hosts = plan.hostnames.len();
    let base = zone_records.unwrap_or(2 + hosts);
    let pages = |n: usize| n.div_ceil(LIST_PAGE_SIZE).max(1) as u64;
    let mut calls = ApiCalls {
        zone_lookups: 1,
        list_pages: pages(base),
        ..Default::default()
    };
    // lock: one TXT CREATE per hostname, then a listing to read the locks back
    calls.changes += hosts.div_ceil(crate::dns::MAX_BATCH_RECORDS) as u64;
    calls.list_pages += pages(base + hosts);
    let during = base + 2 * hosts; // weighted pairs + locks
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let mut current: Vec<(String, Vec<RecordSet>)> = plan
        .names()
        .into_iter()
        .map(|h| {
            let current = original.iter().filter(|r| r.name == h).cloned().collect();
            (h, current)
        })
        .collect();
    let mut total = 0u64;
    let mut first_write = true;
    let already_weighted = original.iter().all(|r| r.is_weighted());
    let mut targets: Vec<(String, StepKind, u8, u64)> = Vec::new();
    if !already_weighted {
        targets.push(("convert".into(), StepKind::Convert, 0, 0));
    }
    for (i, p) in plan.stages.iter().enumerate() {
        targets.push((
            format!("stage {}", i + 1),
            StepKind::Stage { index: i },
            *p,
            plan.soak_seconds,
        ));
    }
    if plan.restore_ttl.is_some_and(|t| t != plan.ttl) {
        targets.push(("restore_ttl".into(), StepKind::RestoreTtl, 100, 0));
    }
    for (label, kind, percent, soak) in targets {
        let target = Target::Weighted { percent };
        let mut groups = Vec::new();
        let mut old_ttl = 0;
        let mut new_ttl = 0;
        for (host, cur) in current.iter_mut() {
            let want = desired_records(&plan, &original, host, kind, target);
            old_ttl = cur
                .iter()
                .filter_map(|r| r.ttl)
                .max()
                .unwrap_or(0)
                .max(old_ttl);
            new_ttl = want
                .iter()
                .filter_map(|r| r.ttl)
                .max()
                .unwrap_or(0)
                .max(new_ttl);
            groups.push(diff(cur, &want, false));
            *cur = want;
        }
        let batches = pack_batches(groups);
        if !first_write {
            calls.list_pages += pages(during);
        }
        first_write = false;
        calls.changes += batches.len() as u64;
        calls.get_changes += batches.len() as u64;
        if batches.len() > 1 {
            notes.push(format!(
                "{label}: {} batches (Route53 allows 1,000 ResourceRecord elements per batch); \
                 each batch is atomic, the step as a whole is not",
                batches.len()
            ));
        }
        let ttl_wait = if kind == StepKind::RestoreTtl {
            0
        } else {
            old_ttl.max(new_ttl).max(0) as u64
        };
        if old_ttl > plan.ttl {
            notes.push(format!(
                "{label}: the current TTL is {old_ttl} s; the engine waits it out before judging"
            ));
        }
        total += ttl_wait + soak;
        steps.push(DryRunStep {
            step: label,
            aws_percent: percent,
            heroku_percent: 100 - percent,
            batches,
            ttl_wait_seconds: ttl_wait,
            soak_seconds: soak,
        });
    }
    // lock release: DELETE batch(es)
    calls.changes += hosts.div_ceil(crate::dns::MAX_BATCH_RECORDS) as u64;
    let rollback = pack_batches(
        current
            .iter()
            .map(|(h, cur)| {
                diff(
                    cur,
                    &desired_records(&plan, &original, h, StepKind::Restore, Target::Original),
                    true,
                )
            })
            .collect(),
    );
    if let Some(w) = &plan.warmup {
        let requests = w.max_routes_per_host() * hosts as u64 * u64::from(w.requests_per_path);
        let seconds =
            requests.saturating_sub(1) * super::warmup::interval_ms(w.rate_per_second) / 1000;
        total += seconds;
        notes.push(format!(
            "stage 0 warm-up: up to {requests} {} request(s) against the AWS target before the \
             first weight, at most {}/s (about {seconds} s); no request moves traffic. The \
             run stops there when a hostname gets no answer below 500, no connection for \
             its first {} requests (the rest are then not sent), a 4xx saying not served \
             where Heroku's logs show 2xx, or 404 everywhere",
            if w.paths.is_empty() && !w.logs.is_empty() {
                "GET/HEAD"
            } else {
                w.method.as_str()
            },
            w.rate_per_second,
            super::warmup::SILENT_REQUESTS_TO_STOP
        ));
    }
    Ok(DryRunReport {
        steps,
        rollback,
        api_calls: calls,
        minimum_seconds: total,
        notes,
    })
}

#[cfg(test)]
mod counts_tests {
    use super::*;

    #[test]
    fn a_step_counts_its_batches_and_changes() {
        let plan = CutoverPlan::new(
            vec!["www.example.com".into(), "api.example.com".into()],
            "example.com",
            "x.herokudns.com",
            "lb.elb.amazonaws.com",
        );
        let report = dry_run(&plan, None, None).unwrap();
        let first = &report.steps[0];
        assert_eq!(first.batch_count(), first.batches.len());
        assert_eq!(first.change_count(), first.batches.iter().flatten().count());
        assert!(first.change_count() >= 2, "{first:?}");
    }
}

//! Writing a step's records: what each hostname should hold at a target, the change batches,
//! and waiting for Route53 to report them INSYNC.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cutover::events::CutoverEvent;
use crate::cutover::journal::{Journal, RunMode, StepKind, StepStatus, Target};
use crate::cutover::plan::CutoverPlan;
use crate::dns::{Change, ChangeAction, ChangeStatus, RecordSet, pack_batches};
use crate::{Error, ErrorKind, Result};

use super::{Engine, Flow};

impl Engine {
    pub(super) fn desired(
        &self,
        j: &Journal,
        host: &str,
        at: (StepKind, Target),
    ) -> Vec<RecordSet> {
        desired_records(&j.plan, &j.original, host, at.0, at.1)
    }

    /// Where the records should be before the last step (the previous written step, or the
    /// originals).
    pub(super) fn previous_target(&self, j: &Journal) -> (StepKind, Target) {
        let n = j.steps.len();
        j.steps[..n.saturating_sub(1)]
            .iter()
            .rev()
            .find(|s| s.status >= StepStatus::Written)
            .map(|s| (s.kind, s.target))
            .unwrap_or((StepKind::Restore, Target::Original))
    }

    pub(super) async fn advance_step(&mut self, j: &mut Journal) -> Result<()> {
        let idx = j.steps.len() - 1;
        let step = j.steps[idx].clone();
        if matches!(j.mode, RunMode::RollingBack { .. })
            && matches!(step.kind, StepKind::Stage { .. })
            && step.status >= StepStatus::Written
        {
            // A rollback was requested: a forward stage already written needs no INSYNC,
            // TTL or soak wait before going back.
            j.steps[idx].status = StepStatus::Done;
            j.steps[idx].done_at_ms = Some(self.run.clock.now_ms());
            return self.save(j).await;
        }
        if matches!(j.mode, RunMode::RollingBack { .. })
            && matches!(step.kind, StepKind::Stage { .. } | StepKind::Convert)
            && step.status == StepStatus::Intent
        {
            // A forward step only journaled as intent when the rollback was asked for (the
            // run stopped between the intent and the write's answer): never push traffic
            // further to AWS on the way back. If the write did land, the step counts as
            // done (the rollback starts from there); if not, it never happened.
            if self
                .landed(j, &j.plan.names(), (step.kind, step.target))
                .await?
            {
                let now = self.run.clock.now_ms();
                let s = &mut j.steps[idx];
                s.status = StepStatus::Done;
                s.written_at_ms = Some(now);
                s.done_at_ms = Some(now);
            } else {
                j.steps.pop();
            }
            return self.save(j).await;
        }
        match step.status {
            StepStatus::Intent => self.write_step(j, idx).await,
            StepStatus::Written => {
                let started = self.run.clock.now_ms();
                self.wait_insync(&step.change_ids, &j.plan).await?;
                let now = self.run.clock.now_ms();
                j.steps[idx].status = StepStatus::InSync;
                j.steps[idx].insync_at_ms = Some(now);
                self.save(j).await?;
                self.emit(CutoverEvent::InSync {
                    change_ids: step.change_ids.clone(),
                    waited_seconds: (now.saturating_sub(started)) as f64 / 1000.0,
                });
                Ok(())
            }
            StepStatus::InSync => {
                let since = self
                    .run
                    .clock
                    .now_ms()
                    .saturating_sub(step.insync_at_ms.unwrap_or(0))
                    / 1000;
                let left = step.ttl_wait_seconds.saturating_sub(since);
                if left > 0 {
                    self.emit(CutoverEvent::TtlWait { seconds: left });
                    self.run.clock.sleep(Duration::from_secs(left)).await;
                }
                j.steps[idx].status = StepStatus::Settled;
                j.steps[idx].settled_at_ms = Some(self.run.clock.now_ms());
                self.save(j).await
            }
            StepStatus::Settled => {
                let forward = matches!(j.mode, RunMode::Forward) && !j.promote_requested;
                let pre_soak = j.plan.pre_soak_seconds.unwrap_or(0);
                // (stage, percent, seconds, next percent, a stage that passes)
                let soak = match (step.kind, step.target) {
                    // stage 0: before the first weight, the gates judge the AWS target for
                    // the plan's pre-soak (the records are weighted, 0% to AWS)
                    (StepKind::Convert, _)
                        if forward && pre_soak > 0 && !self.run.gates.is_empty() =>
                    {
                        Some((0, 0, pre_soak, Some(j.plan.stages[0]), false))
                    }
                    (StepKind::Stage { index }, Target::Weighted { percent }) if forward => Some((
                        index,
                        percent,
                        j.plan.soak_seconds,
                        j.plan.stages.get(index + 1).copied(),
                        true,
                    )),
                    _ => None,
                };
                if let Some((stage, percent, seconds, next, is_stage)) = soak {
                    match self.soak(j, stage, percent, seconds, next).await? {
                        Flow::Continue => {}
                        Flow::Stop(o) => {
                            self.finish(j, o).await?;
                            return Ok(());
                        }
                        flow => {
                            // the step is over (its records stay written); the flow decides next
                            j.steps[idx].status = StepStatus::Done;
                            j.steps[idx].done_at_ms = Some(self.run.clock.now_ms());
                            self.save(j).await?;
                            self.apply_flow(j, flow).await?;
                            return Ok(());
                        }
                    }
                    if is_stage {
                        self.emit(CutoverEvent::StagePassed { stage, percent });
                    }
                }
                j.steps[idx].status = StepStatus::Done;
                j.steps[idx].done_at_ms = Some(self.run.clock.now_ms());
                self.save(j).await
            }
            StepStatus::Done => Ok(()),
        }
    }

    pub(super) async fn write_step(&mut self, j: &mut Journal, idx: usize) -> Result<()> {
        let step = j.steps[idx].clone();
        let before = self.previous_target(j);
        let records = match self.cached_listing.take() {
            Some(r) => r,
            None => self.run.provider.list_records(&j.zone_id).await?,
        };
        let mut by_host: BTreeMap<&str, Vec<&RecordSet>> = BTreeMap::new();
        for r in records.iter().filter(|r| r.rtype == "CNAME") {
            by_host.entry(r.name.as_str()).or_default().push(r);
        }
        let mut groups = Vec::new();
        let mut old_ttl = 0i64;
        let mut new_ttl = 0i64;
        let mut drift = Vec::new();
        for host in &j.plan.names() {
            let current: Vec<RecordSet> = by_host
                .get(host.as_str())
                .map(|v| v.iter().map(|r| (*r).clone()).collect())
                .unwrap_or_default();
            let want = self.desired(j, host, (step.kind, step.target));
            let expected = self.desired(j, host, before);
            new_ttl = new_ttl.max(want.iter().filter_map(|r| r.ttl).max().unwrap_or(0));
            if same_set(&current, &want) {
                continue; // already there (written before a crash)
            }
            if !same_set(&current, &expected) {
                drift.push(format!(
                    "{host}: expected {}, found {}",
                    describe(&expected),
                    describe(&current)
                ));
            }
            old_ttl = old_ttl.max(current.iter().filter_map(|r| r.ttl).max().unwrap_or(0));
            groups.push(diff(&current, &want, step.target == Target::Original));
        }
        if !drift.is_empty() {
            let detail = drift.join("; ");
            self.emit(CutoverEvent::DriftDetected {
                detail: detail.clone(),
                forced: self.run.options.force,
            });
            if !self.run.options.force {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "the records changed outside dynoshift since the last step ({detail}); \
                         check who changed them, then resume with force to adopt their state \
                         or roll back"
                    ),
                ));
            }
        }
        let batches = pack_batches(groups);
        // A step whose records equal those of the step before (e.g. a rollback of a run that
        // never changed a record) writes nothing and has nothing to wait for. (A step found
        // already in place for another reason was written before a crash: its propagation
        // is still waited for below.)
        let noop = j.plan.names().iter().all(|h| {
            same_set(
                &self.desired(j, h, before),
                &self.desired(j, h, (step.kind, step.target)),
            )
        });
        if batches.is_empty() && noop && j.steps[idx].change_ids.is_empty() {
            let now = self.run.clock.now_ms();
            let s = &mut j.steps[idx];
            s.status = StepStatus::InSync;
            s.written_at_ms = Some(now);
            s.insync_at_ms = Some(now);
            s.ttl_wait_seconds = 0;
            return self.save(j).await;
        }
        let percent = match step.target {
            Target::Weighted { percent } => Some(percent),
            Target::Original => None,
        };
        self.emit(CutoverEvent::Writing {
            step: step.kind.label().into(),
            percent,
            batches: batches.len(),
        });
        let comment = format!(
            "dynoshift {} {} {}",
            j.run_id,
            step.kind.label(),
            percent
                .map(|p| format!("{p}%"))
                .unwrap_or_else(|| "original".into())
        );
        let mut ids = Vec::new();
        for batch in batches {
            let mut hosts: Vec<String> = batch.iter().map(|c| c.record.name.clone()).collect();
            hosts.dedup();
            match self.run.provider.apply(&j.zone_id, batch, &comment).await {
                Ok(info) => {
                    ids.push(info.id.clone());
                    j.steps[idx].change_ids.push(info.id);
                    self.save(j).await?;
                }
                // A retried batch refused as "already exists" / "not found": an earlier
                // attempt whose answer was lost (timeout, dropped connection) may have landed.
                // If the records are exactly what this batch writes, it did.
                Err(e)
                    if matches!(e.kind(), ErrorKind::Conflict | ErrorKind::NotFound)
                        && self.landed(j, &hosts, (step.kind, step.target)).await? => {}
                Err(e) => return Err(e),
            }
        }
        let s = &mut j.steps[idx];
        s.status = StepStatus::Written;
        s.written_at_ms = Some(self.run.clock.now_ms());
        // raising the TTL once promoted needs no wait: nothing is judged afterwards
        s.ttl_wait_seconds = if step.kind == StepKind::RestoreTtl {
            0
        } else {
            old_ttl.max(new_ttl).max(0) as u64
        };
        self.save(j).await?;
        self.emit(CutoverEvent::ChangeSubmitted { change_ids: ids });
        Ok(())
    }

    /// Whether every host of `hosts` already holds the records of `at` (read fresh).
    pub(super) async fn landed(
        &self,
        j: &Journal,
        hosts: &[String],
        at: (StepKind, Target),
    ) -> Result<bool> {
        let records = self.run.provider.list_records(&j.zone_id).await?;
        Ok(hosts.iter().all(|h| {
            let current: Vec<RecordSet> = records
                .iter()
                .filter(|r| r.rtype == "CNAME" && &r.name == h)
                .cloned()
                .collect();
            same_set(&current, &self.desired(j, h, at))
        }))
    }

    pub(super) async fn wait_insync(&self, ids: &[String], plan: &CutoverPlan) -> Result<()> {
        let deadline = self.run.clock.now_ms() + plan.insync_timeout_seconds * 1000;
        if ids.is_empty() {
            // Written before a crash, change id lost: allow Route53's usual propagation time.
            self.run
                .clock
                .sleep(Duration::from_secs(60.min(plan.insync_timeout_seconds)))
                .await;
            return Ok(());
        }
        for id in ids {
            loop {
                if self.run.provider.change_status(id).await? == ChangeStatus::Insync {
                    break;
                }
                if self.run.clock.now_ms() >= deadline {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "change {id} was not INSYNC after {} s; the run is journaled: resume \
                             it later",
                            plan.insync_timeout_seconds
                        ),
                    ));
                }
                self.run
                    .clock
                    .sleep(Duration::from_secs(plan.poll_seconds))
                    .await;
            }
        }
        Ok(())
    }
}

/// The records a hostname should have at `target` (written by a step of `kind`).
pub(crate) fn desired_records(
    plan: &CutoverPlan,
    original: &[RecordSet],
    host: &str,
    kind: StepKind,
    target: Target,
) -> Vec<RecordSet> {
    let ttl = match kind {
        StepKind::RestoreTtl => plan.restore_ttl.unwrap_or(plan.ttl),
        _ => plan.ttl,
    };
    match target {
        Target::Original => original
            .iter()
            .filter(|r| r.name == host)
            .cloned()
            .collect(),
        Target::Weighted { percent } => {
            let (hw, aw) = CutoverPlan::weights(percent);
            let p = plan;
            let aws_target = p.aws_target_of(host);
            let mut aws =
                RecordSet::weighted_cname(host, &p.aws_set_identifier, aw, ttl, aws_target);
            aws.health_check_id = p.aws_health_check_id.clone();
            let heroku_target = p.heroku_target_of(host);
            vec![
                RecordSet::weighted_cname(host, &p.heroku_set_identifier, hw, ttl, heroku_target),
                aws,
            ]
        }
    }
}

fn same_set(a: &[RecordSet], b: &[RecordSet]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.same_as(y)))
}

fn describe(rs: &[RecordSet]) -> String {
    if rs.is_empty() {
        return "no CNAME".into();
    }
    rs.iter()
        .map(|r| match (&r.set_identifier, r.weight) {
            (Some(id), Some(w)) => {
                format!("{id}={w}→{} ttl {}", r.values.join(","), r.ttl.unwrap_or(0))
            }
            _ => format!("CNAME {} ttl {}", r.values.join(","), r.ttl.unwrap_or(0)),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The changes that turn `current` into `want` for one hostname: DELETE what goes away
/// (exact current values), UPSERT what changes, CREATE what is new — one atomic group. A
/// restore re-creates the originals with UPSERT (same effect when absent; some Route53
/// implementations check CREATE against the state before the batch's DELETEs).
pub(crate) fn diff(current: &[RecordSet], want: &[RecordSet], restore: bool) -> Vec<Change> {
    let mut out = Vec::new();
    for c in current {
        if !want.iter().any(|w| w.key() == c.key()) {
            out.push(Change::new(ChangeAction::Delete, c.clone()));
        }
    }
    for w in want {
        match current.iter().find(|c| c.key() == w.key()) {
            Some(c) if c.same_as(w) => {}
            Some(_) => out.push(Change::new(ChangeAction::Upsert, w.clone())),
            None if restore => out.push(Change::new(ChangeAction::Upsert, w.clone())),
            None => out.push(Change::new(ChangeAction::Create, w.clone())),
        }
    }
    out
}

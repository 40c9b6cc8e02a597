//! A stage's soak: the gates asked on every tick, their policies applied, and the verdict that
//! continues, extends, pauses or rolls back the run.

use std::time::Duration;

use crate::Result;
use crate::cutover::events::CutoverEvent;
use crate::cutover::gate::{GateContext, Verdict, VerdictStatus};
use crate::cutover::journal::{Journal, VerdictRecord};

use super::{Engine, Flow, PauseKind};

impl Engine {
    pub(super) async fn soak(
        &mut self,
        j: &mut Journal,
        stage: usize,
        percent: u8,
        seconds: u64,
        next_percent: Option<u8>,
    ) -> Result<Flow> {
        let plan = j.plan.clone();
        self.emit(CutoverEvent::SoakStarted {
            stage,
            percent,
            seconds,
        });
        let tick = plan.tick_seconds;
        let mut end = seconds;
        let mut extension = 0u64;
        let mut elapsed = 0u64;
        let mut tick_no = 0u64;
        // per-gate counters for this stage: fails so far, consecutive errors
        let mut fails = vec![0u32; self.run.gates.len()];
        let mut errors = vec![0u32; self.run.gates.len()];
        loop {
            match self.poll_controls(j).await? {
                Flow::Continue => {}
                other => return Ok(other),
            }
            let mut inconclusive = false;
            // the tightest extension limit among the gates still inconclusive this tick
            let mut max_extension = plan.max_extension();
            if !self.run.gates.is_empty() {
                let ctx = GateContext {
                    run_id: j.run_id.clone(),
                    stage,
                    percent,
                    tick: tick_no,
                    elapsed_seconds: elapsed,
                    hostnames: plan.names(),
                    targets: plan.targets(),
                    next_percent,
                };
                let mut error_pause = None;
                let mut failed = None;
                // every gate is asked at once; verdicts are handled as they arrive, and the
                // first counted fail rolls back without waiting for slower gates
                let gates = self.run.gates.clone();
                let mut pending: Vec<Option<crate::dns::BoxFuture<'static, Verdict>>> =
                    gates.iter().map(|g| Some(g.check(ctx.clone()))).collect();
                while let Some((i, mut v)) = next_ready(&mut pending).await {
                    let g = &gates[i];
                    if v.gate.is_empty() {
                        v.gate = g.name();
                    }
                    let policy = g.policy();
                    apply_policy(&mut v, &policy, &mut fails[i]);
                    j.verdicts.push(VerdictRecord {
                        stage,
                        at_ms: self.run.clock.now_ms(),
                        verdict: v.clone(),
                    });
                    self.emit(CutoverEvent::GateVerdict {
                        stage,
                        verdict: v.clone(),
                    });
                    errors[i] = if v.status == VerdictStatus::Error {
                        errors[i] + 1
                    } else {
                        0
                    };
                    match v.status {
                        VerdictStatus::Pass => {}
                        VerdictStatus::Fail => {
                            failed = Some(format!(
                                "gate {} failed at {percent}%: {}",
                                v.gate, v.reason
                            ));
                            break;
                        }
                        VerdictStatus::Inconclusive | VerdictStatus::Error => {
                            inconclusive = true;
                            if let Some(limit) = policy.max_soak_extension_seconds {
                                max_extension = max_extension.min(limit);
                            }
                        }
                    }
                    let limit = policy
                        .max_consecutive_errors
                        .unwrap_or(plan.max_consecutive_errors)
                        .max(1);
                    if errors[i] >= limit && error_pause.is_none() {
                        error_pause = Some(format!(
                            "{} consecutive errors of gate {} at {percent}% (last: {})",
                            errors[i], v.gate, v.reason
                        ));
                    }
                }
                self.save(j).await?;
                if let Some(reason) = failed {
                    return Ok(Flow::Rollback(reason, plan.rollback));
                }
                if let Some(reason) = error_pause {
                    let flow = self.paused(j, reason, PauseKind::Evidence).await?;
                    if !matches!(flow, Flow::Continue) {
                        return Ok(flow);
                    }
                    errors.iter_mut().for_each(|e| *e = 0);
                }
            }
            if elapsed >= end {
                if !inconclusive {
                    return Ok(Flow::Continue);
                }
                if extension + tick <= max_extension {
                    extension += tick;
                    end += tick;
                    self.emit(CutoverEvent::SoakExtended {
                        extension_seconds: extension,
                    });
                } else {
                    let flow = self
                        .paused(
                            j,
                            format!(
                                "gates still inconclusive at {percent}% after a {extension} s \
                                 extension: approve to continue"
                            ),
                            PauseKind::Evidence,
                        )
                        .await?;
                    if !matches!(flow, Flow::Continue) {
                        return Ok(flow);
                    }
                    return Ok(Flow::Continue);
                }
            }
            let step = tick.min(end - elapsed).max(1);
            self.run.clock.sleep(Duration::from_secs(step)).await;
            elapsed += step;
            tick_no += 1;
        }
    }
}

/// Waits for the next gate to answer: (its index, its verdict), or None when all have.
async fn next_ready(
    pending: &mut [Option<crate::dns::BoxFuture<'static, Verdict>>],
) -> Option<(usize, Verdict)> {
    std::future::poll_fn(|cx| {
        let mut left = false;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
                    *slot = None;
                    return std::task::Poll::Ready(Some((i, v)));
                }
                left = true;
            }
        }
        if left {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(None)
        }
    })
    .await
}

/// Applies a gate's policy to its verdict: a pass below `min_samples` and a fail within
/// `failure_limit` become inconclusive (the reason says why).
fn apply_policy(v: &mut Verdict, policy: &crate::cutover::gate::GatePolicy, fails: &mut u32) {
    match v.status {
        VerdictStatus::Pass if policy.min_samples > 0 => {
            let samples = v.samples().unwrap_or(0);
            if samples < policy.min_samples {
                v.status = VerdictStatus::Inconclusive;
                v.reason = format!(
                    "{samples} samples, the policy needs {} before a pass ({})",
                    policy.min_samples, v.reason
                );
            }
        }
        VerdictStatus::Fail => {
            *fails += 1;
            if *fails <= policy.failure_limit {
                v.status = VerdictStatus::Inconclusive;
                v.reason = format!(
                    "fail {} of {} tolerated by the failure limit: {}",
                    fails, policy.failure_limit, v.reason
                );
            }
        }
        _ => {}
    }
}

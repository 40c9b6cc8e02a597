//! Node-planning benchmark (run by `make bench` in release): generated fixtures of 5–200 pods on
//! the full built-in catalog (burstable types excluded, as by default); prints the exact solver's
//! cost against the FFD (Karpenter-like) baseline, the proven gap and the time.
//!
//! Targets: gap 0 proven in < 1 s for ≤ 50 pods; gap ≤ 1% within 2 s for 200 pods.

use std::time::Instant;

use dynoshift::nodes::{Catalog, PlanOptions, PodGroup, Solver, plan_nodes};

/// Process-type shapes as the sizing produces them: (name, CPU m, memory MiB, share of pods).
const SHAPES: [(&str, u64, u64, u32); 6] = [
    ("web", 500, 1024, 40),
    ("worker", 250, 768, 20),
    ("api", 1000, 2048, 15),
    ("reports", 300, 3500, 10),
    ("media", 1500, 1200, 10),
    ("clock", 100, 256, 5),
];

/// `total` pods over as many process types as the size suggests (2 for 5 pods, 6 from 100).
fn fixture(total: u32, variant: u32) -> Vec<PodGroup> {
    let groups = (2 + total / 20).min(6) as usize;
    let shapes = &SHAPES[..groups];
    let weight: u32 = shapes.iter().map(|s| s.3).sum();
    let mut left = total;
    let mut out = Vec::new();
    for (i, &(name, cpu, mem, share)) in shapes.iter().enumerate() {
        let n = if i + 1 == groups {
            left
        } else {
            (total * share / weight)
                .max(1)
                .min(left.saturating_sub((groups - i - 1) as u32))
        };
        left -= n;
        // Vary the requests a little per variant so fixtures differ.
        let jitter = 1.0 + 0.07 * f64::from((variant * 7 + i as u32 * 3) % 5);
        out.push(PodGroup {
            process_type: name.into(),
            replicas: n,
            cpu_millis: (cpu as f64 * jitter).round() as u64,
            memory_mib: (mem as f64 * jitter).round() as u64,
        });
    }
    out.retain(|g| g.replicas > 0);
    out
}

fn main() {
    let catalog = Catalog::builtin("us-east-1").expect("built-in catalog");
    println!(
        "{:>5} {:>6} {:>3} {:>11} {:>11} {:>8} {:>11} {:>8} {:>7} {:>9}",
        "pods",
        "types",
        "var",
        "FFD $/mo",
        "exact $/mo",
        "vs FFD",
        "bound $/mo",
        "gap %",
        "proven",
        "time ms"
    );
    let mut worst_small: f64 = 0.0;
    let mut worst_small_gap: f64 = 0.0;
    let mut worst_large: f64 = 0.0;
    let mut worst_large_gap: f64 = 0.0;
    for &total in &[5u32, 10, 20, 30, 50, 75, 100, 150, 200] {
        for variant in 0..3 {
            let pods = fixture(total, variant);
            let budget = if total <= 50 { 1000 } else { 1900 };
            let opts = PlanOptions {
                solver: Solver::Exact,
                time_budget_ms: budget,
                ..PlanOptions::default()
            };
            let t0 = Instant::now();
            let plan = plan_nodes(&pods, &catalog, &opts).expect("fixture plans");
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            let gap = plan.gap_percent.unwrap_or(f64::NAN);
            let saving = (plan.ffd_monthly_usd - plan.monthly_usd) / plan.ffd_monthly_usd * 100.0;
            println!(
                "{:>5} {:>6} {:>3} {:>11.2} {:>11.2} {:>7.2}% {:>11.2} {:>8.3} {:>7} {:>9.1}",
                total,
                pods.len(),
                variant,
                plan.ffd_monthly_usd,
                plan.monthly_usd,
                -saving,
                plan.lower_bound_monthly_usd.unwrap_or(f64::NAN),
                gap,
                plan.proven_optimal,
                ms
            );
            if std::env::var_os("DYNOSHIFT_DEBUG").is_some() {
                for line in &plan.explanation {
                    eprintln!("      {line}");
                }
            }
            if total <= 50 {
                worst_small = worst_small.max(ms);
                worst_small_gap = worst_small_gap.max(gap);
            } else if total == 200 {
                worst_large = worst_large.max(ms);
                worst_large_gap = worst_large_gap.max(gap);
            }
        }
    }
    println!(
        "≤ 50 pods: worst gap {worst_small_gap:.3}% in ≤ {worst_small:.0} ms (target: 0% in < 1000 ms) — {}",
        if worst_small_gap == 0.0 && worst_small < 1000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "200 pods: worst gap {worst_large_gap:.3}% in ≤ {worst_large:.0} ms (target: ≤ 1% in < 2000 ms) — {}",
        if worst_large_gap <= 1.0 && worst_large < 2000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}

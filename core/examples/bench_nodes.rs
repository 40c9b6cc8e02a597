//! Node-planning benchmark (run by `make bench` in release): generated fixtures of 5–200 pods on
//! the full built-in catalog (burstable types excluded, as by default); prints the exact solver's
//! cost against the FFD (Karpenter-like) baseline, the proven gap and the time.
//!
//! Targets: gap 0 proven in < 1 s for ≤ 50 pods; gap ≤ 1% within 2 s for 200 pods.
//!
//! `bench_nodes --export FILE [--small]` instead plans the HiGHS comparison's fixtures (the
//! mixed ones above plus memory-heavy, max-pods-bound and spread-bound shapes; `--small`: a few
//! small ones for the consistency test) and writes one JSON line per fixture: the pods, the
//! rules (spread, surge), every allowed type with what the planner's own allocatable model leaves
//! to pods (CPU, memory, pod slots) and price, and our plan with its cost, bound and time.
//! `tests/bench/nodes_highs.py` builds the same problem as a MILP for HiGHS from that file.
//! `--only ID,ID` plans only those fixtures, `--budget-ms N` gives the planner that budget; `DYNOSHIFT_DEBUG=1` prints each plan's explanation.

use std::io::Read;
use std::time::Instant;

use dynoshift::nodes::{
    Catalog, Plan, PlanOptions, PodGroup, Solver, import_offer_file, plan_nodes,
};
use serde_json::json;

/// A synthetic EC2 offer file in AWS's shape, generated while it is read (never held whole):
/// `n` products cycling over the catalog's types, 4 operating systems, 3 tenancies and 3
/// capacity statuses, then their on-demand terms and a Reserved section.
struct OfferGen {
    names: Vec<(String, u32, u64)>,
    n: usize,
    i: usize,
    phase: u8,
    buf: Vec<u8>,
    pos: usize,
    bytes: u64,
}

impl OfferGen {
    fn new(catalog: &Catalog, n: usize) -> OfferGen {
        OfferGen {
            names: catalog
                .types
                .iter()
                .map(|t| (t.name.clone(), t.vcpu, t.memory_mib / 1024))
                .collect(),
            n,
            i: 0,
            phase: 0,
            buf: Vec::new(),
            pos: 0,
            bytes: 0,
        }
    }

    fn refill(&mut self) -> bool {
        self.buf.clear();
        self.pos = 0;
        let os = ["Linux", "Windows", "RHEL", "SUSE"];
        let ten = ["Shared", "Dedicated", "Host"];
        let cap = [
            "Used",
            "UnusedCapacityReservation",
            "AllocatedCapacityReservation",
        ];
        let s = match self.phase {
            0 => {
                self.phase = 1;
                r#"{"formatVersion":"v1.0","disclaimer":"synthetic","offerCode":"AmazonEC2","version":"bench","publicationDate":"2026-11-26T00:00:00Z","products":{"#.to_owned()
            }
            1 if self.i < self.n => {
                let i = self.i;
                self.i += 1;
                let (name, vcpu, gib) = &self.names[i % self.names.len()];
                let arm = name.contains('g');
                format!(
                    r#"{}"SKU{i:08}":{{"sku":"SKU{i:08}","productFamily":"Compute Instance","attributes":{{"servicecode":"AmazonEC2","location":"US East (N. Virginia)","locationType":"AWS Region","regionCode":"us-east-1","instanceType":"{name}","currentGeneration":"Yes","instanceFamily":"General purpose","vcpu":"{vcpu}","physicalProcessor":"{}","clockSpeed":"3.2 GHz","memory":"{gib} GiB","storage":"EBS only","networkPerformance":"Up to 12500 Megabit","processorArchitecture":"64-bit","tenancy":"{}","operatingSystem":"{}","licenseModel":"No License required","usagetype":"BoxUsage:{name}","operation":"RunInstances","capacitystatus":"{}","preInstalledSw":"NA","marketoption":"OnDemand"}}}}"#,
                    if i == 0 { "" } else { "," },
                    if arm {
                        "AWS Graviton2 Processor"
                    } else {
                        "Intel Xeon Platinum 8375C"
                    },
                    ten[(i / self.names.len()) % 3],
                    os[(i / (3 * self.names.len())) % 4],
                    cap[(i / (12 * self.names.len())) % 3],
                )
            }
            1 => {
                self.phase = 2;
                self.i = 0;
                r#"},"terms":{"OnDemand":{"#.to_owned()
            }
            2 if self.i < self.n => {
                let i = self.i;
                self.i += 1;
                format!(
                    r#"{}"SKU{i:08}":{{"SKU{i:08}.JRTCKXETXF":{{"offerTermCode":"JRTCKXETXF","sku":"SKU{i:08}","effectiveDate":"2026-11-01T00:00:00Z","priceDimensions":{{"SKU{i:08}.JRTCKXETXF.6YS6EN2CT7":{{"rateCode":"SKU{i:08}.JRTCKXETXF.6YS6EN2CT7","description":"$0.1 per On Demand Linux hour","beginRange":"0","endRange":"Inf","unit":"Hrs","pricePerUnit":{{"USD":"{:.10}"}},"appliesTo":[]}}}},"termAttributes":{{}}}}}}"#,
                    if i == 0 { "" } else { "," },
                    0.01 + (i % 997) as f64 / 1000.0
                )
            }
            2 => {
                self.phase = 3;
                r#"},"Reserved":{}}}"#.to_owned()
            }
            _ => return false,
        };
        self.buf.extend_from_slice(s.as_bytes());
        true
    }
}

impl Read for OfferGen {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() && !self.refill() {
            return Ok(0);
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Peak resident memory of this process, MiB (Linux), if known.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn bench_import(catalog: &Catalog) {
    let mut offers = OfferGen::new(catalog, 300_000);
    let t0 = Instant::now();
    let report =
        import_offer_file(&mut offers, "us-east-1", catalog).expect("synthetic offer file imports");
    println!(
        "offer-file import: {:.0} MB streamed, {} products, {} matched, {} types kept, {:.2} s, peak RSS {} MiB (target < 64 MiB)",
        offers.bytes as f64 / 1e6,
        report.products_seen,
        report.products_matched,
        report.catalog.types.len(),
        t0.elapsed().as_secs_f64(),
        peak_rss_mib().map_or("unknown".to_owned(), |m| format!("{m:.1}"))
    );
}

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
    let mut counted = Vec::new();
    for (i, &(name, cpu, mem, share)) in shapes.iter().enumerate() {
        let n = if i + 1 == groups {
            left
        } else {
            (total * share / weight)
                .max(1)
                .min(left.saturating_sub((groups - i - 1) as u32))
        };
        left -= n;
        counted.push((name, cpu, mem, n));
    }
    let mut out = shaped(&counted, variant);
    out.retain(|g| g.replicas > 0);
    out
}

/// Pod groups of one shape (name, CPU m, memory MiB, replicas), with the requests varied a
/// little per seed so fixtures differ.
fn shaped(groups: &[(&str, u64, u64, u32)], seed: u32) -> Vec<PodGroup> {
    groups
        .iter()
        .enumerate()
        .map(|(i, &(name, cpu, mem, replicas))| {
            let jitter = 1.0 + 0.07 * f64::from((seed * 7 + i as u32 * 3) % 5);
            PodGroup {
                process_type: name.into(),
                replicas,
                cpu_millis: (cpu as f64 * jitter).round() as u64,
                memory_mib: (mem as f64 * jitter).round() as u64,
            }
        })
        .collect()
}

/// The HiGHS comparison's fixtures: (id, pods, spread, surge).
fn highs_fixtures(small: bool) -> Vec<(String, Vec<PodGroup>, bool, bool)> {
    let mut out = Vec::new();
    let totals: &[u32] = if small {
        &[5, 10]
    } else {
        &[5, 10, 20, 30, 50, 75, 100, 150, 200]
    };
    let seeds = if small { 0..2 } else { 0..3 };
    for &total in totals {
        for seed in seeds.clone() {
            out.push((
                format!("mixed-{total}-s{seed}"),
                fixture(total, seed),
                true,
                true,
            ));
        }
    }
    let extra_seeds = if small { 0..1 } else { 0..2 };
    for seed in extra_seeds {
        // Memory-heavy: GiBs per pod and little CPU, so memory decides the node.
        let mem: &[(&str, u64, u64, u32)] = if small {
            &[("cache", 200, 6144, 3), ("etl", 400, 12288, 2)]
        } else {
            &[
                ("cache", 200, 6144, 24),
                ("etl", 400, 12288, 10),
                ("reports", 300, 3500, 30),
            ]
        };
        // Max-pods-bound: tiny pods, so a node's pod slots run out before its CPU or memory.
        let tiny: &[(&str, u64, u64, u32)] = if small {
            &[("sidecar", 10, 32, 40), ("beacon", 20, 48, 25)]
        } else {
            &[("sidecar", 10, 32, 120), ("beacon", 20, 48, 80)]
        };
        // Spread-bound: many process types of 2–3 small replicas; without the spread rule they
        // would share one node.
        let spread: &[(&str, u64, u64, u32)] = if small {
            &[("a", 250, 512, 2), ("b", 300, 384, 2), ("c", 200, 640, 3)]
        } else {
            &[
                ("a", 250, 512, 2),
                ("b", 300, 384, 2),
                ("c", 200, 640, 3),
                ("d", 150, 256, 2),
                ("e", 400, 768, 3),
                ("f", 100, 320, 2),
                ("g", 350, 896, 2),
                ("h", 500, 1024, 2),
            ]
        };
        out.push((
            format!("memory-heavy-s{seed}"),
            shaped(mem, seed),
            true,
            true,
        ));
        out.push((format!("max-pods-s{seed}"), shaped(tiny, seed), true, true));
        out.push((format!("spread-s{seed}"), shaped(spread, seed), true, true));
        out.push((
            format!("spread-off-s{seed}"),
            shaped(spread, seed),
            false,
            false,
        ));
    }
    out
}

/// Writes the HiGHS comparison's fixtures with our plans to `path`, one JSON line each.
/// `only`: fixture ids to plan (all when empty); `budget_ms`: the planner's budget instead of
/// the benchmark's own (1 s up to 50 pods, 1.9 s above).
fn export(catalog: &Catalog, path: &str, small: bool, only: &[String], budget_ms: Option<u64>) {
    let mut lines = String::new();
    for (id, pods, spread, surge) in highs_fixtures(small) {
        if !only.is_empty() && !only.contains(&id) {
            continue;
        }
        let total: u32 = pods.iter().map(|g| g.replicas).sum();
        let opts = PlanOptions {
            solver: Solver::Exact,
            time_budget_ms: budget_ms.unwrap_or(if total <= 50 { 1000 } else { 1900 }),
            spread,
            surge,
            ..PlanOptions::default()
        };
        let types: Vec<serde_json::Value> = catalog
            .filtered(&opts.filter)
            .expect("default filter")
            .iter()
            .map(|t| {
                let a = opts.allocatable.allocatable(t).expect("allocatable");
                json!({
                    "name": t.name,
                    "usd_per_hour": t.usd_per_hour,
                    "cpu_millis": a.pod_cpu_millis,
                    "memory_mib": a.pod_memory_mib,
                    "pod_slots": a.pod_slots,
                    "max_pods": a.max_pods,
                })
            })
            .collect();
        let t0 = Instant::now();
        let plan: Plan = plan_nodes(&pods, catalog, &opts).expect("fixture plans");
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if std::env::var_os("DYNOSHIFT_DEBUG").is_some() {
            eprintln!("{id}: ${:.2}/mo, {ms:.0} ms", plan.monthly_usd);
            for line in &plan.explanation {
                eprintln!("      {line}");
            }
        }
        let nodes: Vec<serde_json::Value> = plan
            .nodes
            .iter()
            .map(|n| json!({"instance_type": n.instance_type, "pods": n.pods}))
            .collect();
        let line = json!({
            "id": id,
            "pods": pods,
            "spread": spread,
            "surge": surge,
            "time_budget_ms": opts.time_budget_ms,
            "types": types,
            "plan": {
                "usd_per_hour": plan.usd_per_hour,
                "monthly_usd": plan.monthly_usd,
                "ffd_monthly_usd": plan.ffd_monthly_usd,
                "lower_bound_monthly_usd": plan.lower_bound_monthly_usd,
                "gap_percent": plan.gap_percent,
                "proven_optimal": plan.proven_optimal,
                "surge_process_type": plan.surge_process_type,
                "nodes": nodes,
                "elapsed_ms": ms,
            },
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    std::fs::write(path, lines).expect("write the export file");
}

fn main() {
    let catalog = Catalog::builtin("us-east-1").expect("built-in catalog");
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--export") {
        let path = args.get(i + 1).expect("--export FILE");
        let only: Vec<String> = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|j| args.get(j + 1))
            .map(|ids| ids.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        let budget_ms = args
            .iter()
            .position(|a| a == "--budget-ms")
            .and_then(|j| args.get(j + 1))
            .map(|ms| ms.parse().expect("--budget-ms N"));
        export(
            &catalog,
            path,
            args.iter().any(|a| a == "--small"),
            &only,
            budget_ms,
        );
        return;
    }
    bench_import(&catalog);
    println!(
        "{:>5} {:>6} {:>3} {:>11} {:>11} {:>8} {:>11} {:>8} {:>7} {:>9}",
        "pods",
        "types",
        "var",
        "FFD $/mo",
        "exact $/mo",
        "saved",
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
                saving,
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

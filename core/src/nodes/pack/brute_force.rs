use super::*;
use crate::error::ErrorKind;
use crate::nodes::catalog::{Arch, InstanceType};

/// Cheapest plan by trying every partition of the pods into nodes.
fn brute(p: &Problem) -> f64 {
    let mut items = Vec::new();
    for (k, c) in p.classes.iter().enumerate() {
        for _ in 0..c.demand {
            items.push(k);
        }
    }
    fn rec(p: &Problem, items: &[usize], i: usize, blocks: &mut Vec<Vec<u64>>, best: &mut f64) {
        let partial: f64 = blocks
            .iter()
            .map(|b| {
                p.cheapest_fitting(b)
                    .map_or(f64::INFINITY, |t| p.types[t].cost)
            })
            .sum();
        if partial >= *best {
            return;
        }
        if i == items.len() {
            *best = partial;
            return;
        }
        let k = items[i];
        for b in 0..blocks.len() {
            if blocks[b][k] < p.classes[k].cap {
                blocks[b][k] += 1;
                rec(p, items, i + 1, blocks, best);
                blocks[b][k] -= 1;
            }
        }
        let mut fresh = vec![0; p.classes.len()];
        fresh[k] = 1;
        blocks.push(fresh);
        rec(p, items, i + 1, blocks, best);
        blocks.pop();
    }
    let mut best = f64::INFINITY;
    rec(p, &items, 0, &mut Vec::new(), &mut best);
    best
}

/// A seeded LCG: `rnd(n)` is uniform-ish in [0, n).
fn lcg(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    }
}

/// Plans `pods` and asserts the plan is proven optimal and costs what brute force finds.
fn assert_matches_brute(
    case: usize,
    p: &Problem,
    pods: &[PodGroup],
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Plan {
    let want = brute(p) * AWS_HOURS_PER_MONTH;
    let plan = plan_nodes(pods, catalog, opts).unwrap();
    assert!(plan.proven_optimal, "case {case}: {plan:#?}");
    assert!(
        (plan.monthly_usd - want).abs() < 0.011,
        "case {case}: exact {} vs brute force {want} for {pods:?}",
        plan.monthly_usd
    );
    plan
}

#[test]
fn exact_matches_brute_force_on_small_random_cases() {
    let catalog = Catalog::new(
        "test-1",
        "hand-made",
        vec![
            InstanceType::new("s.medium", Arch::X86_64, 1, 4096, 2, 4, 0.05).unwrap(),
            InstanceType::new("s.large", Arch::X86_64, 2, 8192, 3, 10, 0.096).unwrap(),
            InstanceType::new("c.large", Arch::X86_64, 2, 4096, 3, 10, 0.085).unwrap(),
            InstanceType::new("r.large", Arch::X86_64, 2, 16384, 3, 10, 0.126).unwrap(),
            InstanceType::new("s.xlarge", Arch::X86_64, 4, 16384, 4, 15, 0.19).unwrap(),
        ],
    )
    .unwrap();
    let mut rnd = lcg(0x5eed);
    let mut beaten = 0;
    for case in 0..40 {
        let groups = 1 + rnd(3) as usize;
        let pods: Vec<PodGroup> = (0..groups)
            .map(|g| PodGroup {
                process_type: format!("p{g}"),
                replicas: 1 + rnd(3) as u32,
                cpu_millis: 100 + rnd(1500),
                memory_mib: 256 + rnd(7000),
            })
            .collect();
        let opts = PlanOptions {
            surge: case % 2 == 0,
            spread: case % 3 != 0,
            ..PlanOptions::default()
        };
        let (p, _) = build_problem(&pods, &catalog, &opts).unwrap();
        let plan = assert_matches_brute(case, &p, &pods, &catalog, &opts);
        if plan.ffd_monthly_usd > plan.monthly_usd + 0.01 {
            beaten += 1;
        }
    }
    assert!(
        beaten > 0,
        "FFD was optimal on every case; the cases are too easy"
    );
}

#[test]
fn exact_matches_brute_force_on_graviton_sizes() {
    let catalog = Catalog::builtin("us-east-1").unwrap();
    let filter = CatalogFilter {
        families: vec!["c6g".into(), "m6g".into(), "r6g".into()],
        max_vcpu: Some(4),
        ..CatalogFilter::default()
    };
    let mut rnd = lcg(0xC0FFEE);
    let mut checked = 0;
    for case in 0..25 {
        let groups = 1 + rnd(3) as usize;
        let pods: Vec<PodGroup> = (0..groups)
            .map(|g| PodGroup {
                process_type: format!("p{g}"),
                replicas: 1 + rnd(3) as u32,
                cpu_millis: 50 + rnd(1800),
                memory_mib: 128 + rnd(9000),
            })
            .collect();
        let opts = PlanOptions {
            filter: filter.clone(),
            surge: case % 2 == 1,
            ..PlanOptions::default()
        };
        let (p, _) = match build_problem(&pods, &catalog, &opts) {
            Ok(x) => x,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Infeasible, "{e}");
                continue;
            }
        };
        assert_matches_brute(case, &p, &pods, &catalog, &opts);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} feasible cases");
}

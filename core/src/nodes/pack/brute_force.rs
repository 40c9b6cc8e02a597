use std::time::{Duration, Instant};

use super::bnb::{branch_and_bound, grid_round};
use super::bp::Tree;
use super::colgen::column_generation;
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

/// Five hand-made types: small enough for brute force, varied enough that FFD loses.
fn hand_catalog() -> Catalog {
    Catalog::new(
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
    .unwrap()
}

/// One to three process types of one to three replicas of random size.
fn random_pods(rnd: &mut impl FnMut(u64) -> u64) -> Vec<PodGroup> {
    let groups = 1 + rnd(3) as usize;
    (0..groups)
        .map(|g| PodGroup {
            process_type: format!("p{g}"),
            replicas: 1 + rnd(3) as u32,
            cpu_millis: 100 + rnd(1500),
            memory_mib: 256 + rnd(7000),
        })
        .collect()
}

#[test]
fn exact_matches_brute_force_on_small_random_cases() {
    let catalog = hand_catalog();
    let mut rnd = lcg(0x5eed);
    let mut beaten = 0;
    for case in 0..40 {
        let pods = random_pods(&mut rnd);
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

/// The bound logic on hand-checkable cases (brute force gives the optimum): the LP bound rounded
/// to the price grid never exceeds the optimum; the branch-and-price tree searched to the end
/// finds a valid plan of exactly the optimum's cost, and one stopped early (after a few tree
/// nodes, or with a pivot cap that leaves its LPs unsolved, so only the Lagrangian bound holds)
/// never claims a bound above it; the exact search used on small groups finds the optimum just
/// above it and nothing below; and every plan the planner reports has its lower bound at most
/// the optimum, equal to its cost exactly when it says the plan is optimal — also when a tiny
/// time budget cuts the search short.
#[test]
fn bounds_never_pass_the_optimum_and_meet_the_cost_only_when_proven() {
    let catalog = hand_catalog();
    let far = || Instant::now() + Duration::from_secs(600);
    let mut rnd = lcg(0xB0B);
    let (mut lp_below, mut cut_below, mut gave_up) = (0, 0, 0);
    for case in 0..30 {
        let pods = random_pods(&mut rnd);
        let opts = PlanOptions {
            surge: case % 2 == 0,
            ..PlanOptions::default()
        };
        let (p, _) = build_problem(&pods, &catalog, &opts).unwrap();
        let opt = brute(&p);
        let lp = column_generation(&p, far());
        let lp_bound = grid_round(&p, lp.bound);
        assert!(
            lp_bound <= opt + 1e-9,
            "case {case}: LP bound {lp_bound} > optimum {opt}"
        );
        if lp_bound < opt - 1e-6 {
            lp_below += 1;
        }
        let demand = p.demand();
        let start = ffd::ffd(&p, &demand);
        let start_cost = cost_of(&p, &start);
        let mut tree = Tree::new(&p, &[]);
        let best = tree.run(start_cost, far()).unwrap_or(start);
        assert!(tree.complete(), "case {case}: the tree did not finish");
        assert!(p.holds(&best), "case {case}: {best:?}");
        let best_cost = cost_of(&p, &best);
        assert!(
            (best_cost - opt).abs() < 1e-9,
            "case {case}: tree {best_cost} vs brute {opt}"
        );
        for (nodes, pivots) in [
            (1, 20_000),
            (2, 20_000),
            (4, 20_000),
            (1, 1),
            (3, 2),
            (9, 4),
        ] {
            let mut tree = Tree::new(&p, &[]);
            tree.max_nodes = nodes;
            tree.max_pivots = pivots;
            let found = tree.run(start_cost, far());
            let cost = found.as_ref().map_or(start_cost, |plan| {
                assert!(p.holds(plan), "case {case}: {plan:?}");
                cost_of(&p, plan)
            });
            assert!(cost >= opt - 1e-9, "case {case}: a plan below the optimum");
            let bound = tree.bound(cost);
            assert!(
                bound <= opt + 1e-9,
                "case {case}, {nodes} node(s), {pivots} pivot(s): bound {bound} > optimum {opt}"
            );
            if bound < opt - 1e-6 {
                cut_below += 1;
            }
        }
        // Subtrees given up for memory keep the tree from claiming it searched everything.
        let mut tree = Tree::new(&p, &[]);
        tree.max_nodes = 3;
        tree.run(start_cost, far());
        if tree.open() > 1 {
            gave_up += 1;
            let before = tree.bound(start_cost);
            tree.keep_open(1);
            assert_eq!(tree.open(), 1);
            assert!(tree.bound(start_cost) <= before + 1e-12, "case {case}");
            tree.max_nodes = usize::MAX;
            tree.run(start_cost, far());
            assert!(
                !tree.complete(),
                "case {case}: complete after giving subtrees up"
            );
        }
        assert!(
            branch_and_bound(&p, &lp, Vec::new(), opt - 1e-7, usize::MAX, far()).is_none(),
            "case {case}: a plan below the optimum {opt}"
        );
        let found = branch_and_bound(&p, &lp, Vec::new(), opt + 1e-6, usize::MAX, far())
            .expect("the optimum is below the budget");
        assert!(
            (cost_of(&p, &found) - opt).abs() < 1e-9,
            "case {case}: {found:?}"
        );
        for ms in [1, 1000] {
            let plan = plan_nodes(
                &pods,
                &catalog,
                &PlanOptions {
                    time_budget_ms: ms,
                    ..opts.clone()
                },
            )
            .unwrap();
            let lb = plan.lower_bound_monthly_usd.unwrap();
            assert!(
                lb <= opt * AWS_HOURS_PER_MONTH + 1e-6,
                "case {case}, {ms} ms: bound {lb} above the optimum {}",
                opt * AWS_HOURS_PER_MONTH
            );
            assert_eq!(
                plan.proven_optimal,
                plan.gap_percent == Some(0.0),
                "case {case}, {ms} ms: {plan:#?}"
            );
            if plan.proven_optimal {
                assert!(
                    (plan.usd_per_hour - opt).abs() < 1e-6,
                    "case {case}: {plan:#?}"
                );
                assert_eq!(lb, plan.monthly_usd);
            }
        }
    }
    assert!(
        lp_below >= 3,
        "only {lp_below} cases where the LP bound is below the optimum"
    );
    // The early stops must leave real gaps, or they would not test the bound's validity.
    assert!(cut_below >= 20, "only {cut_below} early stops left a gap");
    assert!(gave_up >= 3, "only {gave_up} trees had subtrees to give up");
}

#[test]
fn grid_rounding_never_passes_a_cost_a_plan_can_have() {
    let catalog = hand_catalog();
    let mut rnd = lcg(0x9d1d);
    for _ in 0..10 {
        let pods = random_pods(&mut rnd);
        let (p, _) = build_problem(&pods, &catalog, &PlanOptions::default()).unwrap();
        for t in &p.types {
            // three nodes of one type: a cost some plan has, so a point of the grid
            let x = t.cost * 3.0;
            // float noise just above it (an LP value, a search target) must not round past it
            assert!(grid_round(&p, x + 1e-10) <= x + 1e-9, "{x}");
            let below = grid_round(&p, x - 1e-4);
            assert!(below <= x + 1e-12 && below >= x - 1e-4, "{x} -> {below}");
        }
    }
}

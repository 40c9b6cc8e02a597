use super::colgen::column_generation;
use super::lns::lns;
use super::*;
use crate::error::ErrorKind;
use crate::nodes::catalog::{Arch, InstanceType};

fn tiny() -> Catalog {
    Catalog::new(
        "test-1",
        "hand-made",
        vec![
            InstanceType::new("a.small", Arch::X86_64, 2, 8192, 3, 10, 0.10).unwrap(),
            InstanceType::new("a.big", Arch::X86_64, 8, 32768, 4, 15, 0.40).unwrap(),
        ],
    )
    .unwrap()
}

fn group(name: &str, replicas: u32, cpu: u64, mem: u64) -> PodGroup {
    PodGroup {
        process_type: name.into(),
        replicas,
        cpu_millis: cpu,
        memory_mib: mem,
    }
}

/// Every pod placed once, no node over its allocatable, spread respected.
fn check_valid(plan: &Plan, pods: &[PodGroup], options: &PlanOptions) {
    let mut seen = std::collections::BTreeMap::new();
    for n in &plan.nodes {
        assert!(n.cpu_used_millis <= n.cpu_available_millis, "{n:?}");
        assert!(n.memory_used_mib <= n.memory_available_mib, "{n:?}");
        assert!(n.pods.len() as u32 <= n.pod_slots, "{n:?}");
        for g in pods {
            let here = n
                .pods
                .iter()
                .filter(|p| p.starts_with(&format!("{}-", g.process_type)) && !p.ends_with("surge"))
                .count() as u32;
            if options.spread && g.replicas >= 2 {
                assert!(
                    here < g.replicas,
                    "{} all on one node: {n:?}",
                    g.process_type
                );
            }
        }
        for p in &n.pods {
            *seen.entry(p.clone()).or_insert(0) += 1;
        }
    }
    for g in pods {
        for i in 1..=g.replicas {
            assert_eq!(
                seen.get(&format!("{}-{i}", g.process_type)),
                Some(&1),
                "{plan:?}"
            );
        }
    }
    let total: f64 = plan.types.iter().map(|t| t.monthly_usd).sum();
    assert!(
        (total - plan.monthly_usd).abs() < 0.05,
        "{total} vs {}",
        plan.monthly_usd
    );
    if let Some(lb) = plan.lower_bound_monthly_usd {
        assert!(lb <= plan.monthly_usd + 1e-9);
    }
}

fn no_surge() -> PlanOptions {
    PlanOptions {
        surge: false,
        ..PlanOptions::default()
    }
}

#[test]
fn spread_makes_ffd_pay_for_a_big_node_and_exact_does_not() {
    let pods = [group("web", 3, 1000, 1024)];
    let opts = no_surge();
    let exact = plan_nodes(&pods, &tiny(), &opts).unwrap();
    check_valid(&exact, &pods, &opts);
    assert_eq!(exact.monthly_usd, 219.0);
    assert_eq!(exact.instance_types(), vec!["a.small".to_owned()]);
    assert!(exact.proven_optimal);
    assert_eq!(exact.gap_percent, Some(0.0));
    assert_eq!(exact.ffd_monthly_usd, 365.0);
    let ffd = plan_nodes(
        &pods,
        &tiny(),
        &PlanOptions {
            solver: Solver::Ffd,
            ..opts.clone()
        },
    )
    .unwrap();
    check_valid(&ffd, &pods, &opts);
    assert_eq!(ffd.monthly_usd, 365.0);
    assert_eq!(ffd.gap_percent, None);
}

#[test]
fn surge_room_is_reserved() {
    let pods = [group("web", 2, 1000, 1024), group("worker", 1, 100, 128)];
    let opts = PlanOptions::default();
    let plan = plan_nodes(&pods, &tiny(), &opts).unwrap();
    check_valid(&plan, &pods, &opts);
    // web ×2 + surge, at most one web per node: three small nodes (worker fits beside).
    assert_eq!(plan.surge_process_type.as_deref(), Some("web"));
    assert_eq!(plan.node_count, 3);
    assert_eq!(plan.monthly_usd, 219.0);
    assert!(
        plan.nodes
            .iter()
            .any(|n| n.pods.contains(&"web-surge".to_owned()))
    );
}

#[test]
fn memory_bound_pods() {
    let pods = [group("worker", 4, 200, 3000)];
    let plan = plan_nodes(&pods, &tiny(), &no_surge()).unwrap();
    check_valid(&plan, &pods, &no_surge());
    assert_eq!(plan.monthly_usd, 146.0);
    assert!(plan.proven_optimal);
}

#[test]
fn a_pod_bigger_than_every_type_is_infeasible() {
    let pods = [group("web", 1, 100, 256), group("ml", 1, 8000, 1024)];
    let err = plan_nodes(&pods, &tiny(), &PlanOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Infeasible);
    assert!(
        err.message().contains("ml") && err.message().contains("a.big"),
        "{err}"
    );
    let bad = plan_nodes(&[group("web", 1, 0, 256)], &tiny(), &PlanOptions::default());
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
    let dup = [group("web", 1, 1, 1), group("web", 1, 1, 1)];
    assert!(plan_nodes(&dup, &tiny(), &PlanOptions::default()).is_err());
}

#[test]
fn seed_shape_on_the_builtin_catalog() {
    let c = Catalog::builtin("us-east-1").unwrap();
    let pods = [group("web", 4, 500, 1024), group("worker", 2, 250, 512)];
    let opts = PlanOptions::default();
    let exact = plan_nodes(&pods, &c, &opts).unwrap();
    check_valid(&exact, &pods, &opts);
    assert!(exact.proven_optimal, "{:#?}", exact.explanation);
    assert!(exact.monthly_usd <= exact.ffd_monthly_usd);
    assert!(exact.node_count >= 2);
}

#[test]
fn many_process_types_stay_within_the_budget_and_valid() {
    let c = Catalog::builtin("us-east-1").unwrap();
    let pods: Vec<PodGroup> = (0..25u64)
        .map(|i| {
            group(
                &format!("p{i}"),
                1 + (i % 4) as u32,
                100 + i * 37 % 900,
                200 + i * 311 % 3000,
            )
        })
        .collect();
    let opts = PlanOptions {
        time_budget_ms: 300,
        ..PlanOptions::default()
    };
    let plan = plan_nodes(&pods, &c, &opts).unwrap();
    check_valid(&plan, &pods, &opts);
    assert!(plan.monthly_usd <= plan.ffd_monthly_usd + 1e-9);
    assert!(plan.lower_bound_monthly_usd.unwrap() <= plan.monthly_usd);
}

/// The pods of the benchmark fixture `mixed-75-s0` (`bench_nodes --export`).
fn mixed_75_s0() -> Vec<PodGroup> {
    vec![
        group("web", 31, 500, 1024),
        group("worker", 15, 303, 929),
        group("api", 11, 1070, 2191),
        group("reports", 7, 384, 4480),
        group("media", 11, 1710, 1368),
    ]
}

/// HiGHS 1.15.1 (tests/bench/nodes_highs.py, time limit 30 s, `make bench` of issue 21)
/// proved $1,420.95/month optimal for `mixed-75-s0` (one each of c6g.8xlarge, m6g.4xlarge,
/// c6g.xlarge, c6g.large and m6g.medium). The planner used to stop at $1,442.48 (+1.52%),
/// the 7-node plan below: re-planning 2 or 3 nodes at a time cannot leave it, HiGHS's plan
/// changes 5 of its nodes. From that plan the search must reach the optimum.
#[test]
fn lns_leaves_the_plan_highs_beat_on_mixed_75_s0() {
    const HIGHS_OPTIMUM_MONTHLY: f64 = 1420.95;
    let c = Catalog::builtin("us-east-1").unwrap();
    let pods = mixed_75_s0();
    let (p, surge) = build_problem(&pods, &c, &PlanOptions::default()).unwrap();
    assert_eq!(surge.as_deref(), Some("reports"));
    let ty = |name: &str| p.types.iter().position(|t| t.name == name).unwrap();
    // web, worker, api, reports (7 + surge), media per node.
    let stuck: Vec<Pattern> = [
        ("c6g.4xlarge", [10, 1, 3, 1, 4]),
        ("c6g.4xlarge", [5, 0, 4, 1, 5]),
        ("c6g.large", [0, 0, 0, 0, 1]),
        ("c6g.medium", [1, 0, 0, 0, 0]),
        ("c6g.medium", [1, 0, 0, 0, 0]),
        ("c6g.xlarge", [2, 0, 1, 0, 1]),
        ("m6g.4xlarge", [12, 14, 3, 6, 0]),
    ]
    .iter()
    .map(|(name, counts)| Pattern {
        ty: ty(name),
        counts: counts.to_vec(),
    })
    .collect();
    let before = cost_of(&p, &stuck) * AWS_HOURS_PER_MONTH;
    assert!((before - 1442.48).abs() < 0.01, "{before}");
    let lp = column_generation(&p, Instant::now() + Duration::from_secs(60));
    let sol = lns(&p, &stuck, &lp.pi, Instant::now() + Duration::from_secs(60));
    let after = cost_of(&p, &sol) * AWS_HOURS_PER_MONTH;
    assert!(
        after <= HIGHS_OPTIMUM_MONTHLY + 0.005,
        "${after:.2}/month, HiGHS proved ${HIGHS_OPTIMUM_MONTHLY}: {sol:?}"
    );
    let demand: Vec<u64> = p.classes.iter().map(|c| c.demand).collect();
    let mut held = vec![0; demand.len()];
    for n in &sol {
        assert!(p.fits(n.ty, &n.counts), "{n:?}");
        for (k, &m) in n.counts.iter().enumerate() {
            assert!(m <= p.limit(k), "{n:?}");
            held[k] += m;
        }
    }
    assert_eq!(held, demand);
}

/// The whole planner on `mixed-75-s0` with the budget the benchmark gives it.
#[test]
fn mixed_75_s0_plan_is_valid_and_no_worse_than_before() {
    let c = Catalog::builtin("us-east-1").unwrap();
    let pods = mixed_75_s0();
    let opts = PlanOptions {
        time_budget_ms: 1900,
        ..PlanOptions::default()
    };
    let plan = plan_nodes(&pods, &c, &opts).unwrap();
    check_valid(&plan, &pods, &opts);
    assert!(plan.monthly_usd <= 1442.48, "{:#?}", plan.explanation);
}

#[test]
fn exact_never_loses_to_ffd_on_mixed_fixtures() {
    let c = Catalog::builtin("us-east-1").unwrap();
    let shapes = [
        (250u64, 512u64),
        (1000, 2048),
        (500, 3800),
        (2000, 1500),
        (150, 700),
    ];
    for n in 1..=4u32 {
        let pods: Vec<PodGroup> = shapes
            .iter()
            .take(n as usize + 1)
            .enumerate()
            .map(|(i, &(cpu, mem))| group(&format!("p{i}"), 2 + n * (i as u32 % 3), cpu, mem))
            .collect();
        let opts = PlanOptions {
            time_budget_ms: 500,
            ..PlanOptions::default()
        };
        let plan = plan_nodes(&pods, &c, &opts).unwrap();
        check_valid(&plan, &pods, &opts);
        assert!(plan.monthly_usd <= plan.ffd_monthly_usd + 1e-9, "{plan:#?}");
        let lb = plan.lower_bound_monthly_usd.unwrap();
        assert!(lb > 0.0 && lb <= plan.monthly_usd);
    }
}

/// A pricing knapsack stopped by its deadline (apps with many process types make the search
/// long) returns a pattern that fits and an upper bound no lower than the best pattern the full
/// search finds: bounds built on it stay valid.
#[test]
fn a_knapsack_cut_short_still_bounds_the_best_pattern() {
    use super::knapsack::Knap;
    let pods: Vec<PodGroup> = (0..14u64)
        .map(|i| {
            group(
                &format!("p{i}"),
                40,
                80 + 137 * i % 900,
                200 + 911 * i % 3000,
            )
        })
        .collect();
    let (p, _) = build_problem(
        &pods,
        &Catalog::builtin("us-east-1").unwrap(),
        &PlanOptions::default(),
    )
    .unwrap();
    let limit: Vec<u64> = (0..p.classes.len()).map(|k| p.limit(k)).collect();
    let pi: Vec<f64> = (0..p.classes.len())
        .map(|k| 0.001 + 0.0007 * ((k * 7) % 5) as f64)
        .collect();
    let past = Instant::now() - Duration::from_secs(1);
    let mut cut_short = 0;
    for t in 0..p.types.len() {
        let (full, _, full_upper) = Knap::new(&p, t, &pi, &limit, false).best_above(0.0);
        assert!(
            (full - full_upper).abs() < 1e-12,
            "the full search is exact"
        );
        let (value, counts, upper) = Knap::new(&p, t, &pi, &limit, false)
            .until(past)
            .best_above(0.0);
        assert!(
            p.fits(t, &counts),
            "{counts:?} does not fit {}",
            p.types[t].name
        );
        assert!(
            value <= full + 1e-9 && upper >= full - 1e-9,
            "{value} / {upper} vs {full}"
        );
        if upper > value + 1e-9 {
            cut_short += 1;
        }
    }
    assert!(
        cut_short > 0,
        "no search was long enough to be cut: the test proves nothing"
    );
}

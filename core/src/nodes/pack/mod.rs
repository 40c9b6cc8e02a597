//! Packing pods onto EC2 worker nodes at the lowest monthly cost.
//!
//! The problem: pods of a few process types (replicas × requests) must go onto nodes whose
//! allocatable CPU, memory and pod slots (after the DaemonSets) hold them; each node type has an
//! hourly price. Two rules from production clusters apply by default:
//! - **spread**: a process type with 2 or more replicas never has all of them on one node;
//! - **surge**: the plan keeps room for one extra pod of the largest process type (largest
//!   memory request, then CPU) so a rolling update's surge pod fits.
//!
//! Two solvers:
//! - [`Solver::Ffd`], the Karpenter-like baseline: pods sorted by CPU then memory, descending;
//!   each goes on the first open node where some allowed type still holds all of that node's
//!   pods, else on a new node; each node finally gets the cheapest type that holds its pods.
//! - [`Solver::Exact`]: a set-covering model over node *patterns* (a type and how many pods of
//!   each process type it holds), in steps that share one time budget:
//!   1. column generation solves the LP relaxation (a revised simplex with one row per process
//!      type, priced by an exact bounded knapsack per type); its duals, scaled to be feasible
//!      (Farley), give a proven lower bound even if the budget cuts it short;
//!   2. LP diving (keep the LP's whole nodes, re-solve the rest) gives a good plan fast;
//!   3. branch-and-price (until 70% of the budget) branches on the number of nodes of each type — a
//!      plan's cost depends only on those counts — then on the pods of a process type on the
//!      nodes of a type, re-solving the LP by column generation in every tree node and reading
//!      plans off each node's LP; a tree searched to the end proves the best plan optimal, and
//!      one cut short still proves the least bound of its open subtrees;
//!   4. if the tree is not finished, a large-neighbourhood search re-plans groups of 2 to 5
//!      nodes exactly (looking only for something cheaper than the group) until 85% of the
//!      budget, and the tree then goes on with the better plan until the budget ends.
//!
//!   The result is the best plan, the best proven lower bound and the gap between them. Apps of
//!   up to about 150 pods are normally proven optimal within the default budget; for 200 pods
//!   the reported gap is typically below 0.5% when the tree does not finish
//!   (`tests/bench/README.md`).
//!
//! Layout: this file holds the public types and [`plan_nodes`]; `model` the internal problem
//! (types, classes, patterns), `ffd` the baseline, `knapsack` the pricing and enumeration
//! knapsack, `colgen` the root LP, `dive` LP diving, `bp` the branch-and-price tree, `bnb` the
//! exact search over small groups of pods (used by the neighbourhood search and the tree's
//! repairs), `lns` the large-neighbourhood search and `exact` the solver's steps in one budget.

// Dense numeric code (simplex pivots, knapsacks) reads best with index loops.
#![allow(clippy::needless_range_loop)]

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

mod bnb;
mod bp;
mod colgen;
mod dive;
mod exact;
mod ffd;
mod knapsack;
mod lns;
mod model;

use exact::exact;
use ffd::ffd;
use model::{Class, Pattern, Problem, build_problem, cost_of};

use crate::error::Result;
use crate::nodes::allocatable::AllocatableModel;
use crate::nodes::catalog::{Catalog, CatalogFilter};

/// AWS bills a month as 730 hours.
pub const AWS_HOURS_PER_MONTH: f64 = 730.0;

const EPS: f64 = 1e-9;
const MAX_PODS_TOTAL: u64 = 20_000;
const MAX_PATTERNS: usize = 400_000;
/// Longest time budget honoured (one hour); larger values are clamped.
const MAX_BUDGET_MS: u64 = 3_600_000;
/// Time for re-planning one group of nodes in the large-neighbourhood search, ms.
const LNS_SLICE_MS: u64 = 150;
/// Search nodes one pricing knapsack may use; past it, the bound uses the knapsack's
/// relaxation instead of its optimum (still valid, weaker).
const KNAPSACK_STEP_CAP: u64 = 2_000_000;

/// The pods of one process type: replicas × requests (what the sizing produces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodGroup {
    /// Process type, e.g. `web`.
    pub process_type: String,
    /// Number of pods.
    pub replicas: u32,
    /// CPU request per pod, millicores (at least 1).
    pub cpu_millis: u64,
    /// Memory request per pod, MiB (at least 1).
    pub memory_mib: u64,
}

/// Which solver produces the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// Branch-and-price over column-generated node patterns, with a proven lower bound.
    #[default]
    Exact,
    /// First-fit-decreasing, the Karpenter-like baseline (no bound).
    Ffd,
}

/// Options of [`plan_nodes`]. `Default`: exact solver, 1.5 s budget, spread and surge on, the
/// default catalog filter and allocatable model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanOptions {
    /// Which types may be used.
    pub filter: CatalogFilter,
    /// How allocatable resources are computed.
    pub allocatable: AllocatableModel,
    /// Spread replicas of a process type over at least two nodes.
    pub spread: bool,
    /// Keep room for one surge pod of the largest process type.
    pub surge: bool,
    /// Exact or FFD.
    pub solver: Solver,
    /// Time budget of the exact solver, milliseconds (1 ms to one hour).
    pub time_budget_ms: u64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            filter: CatalogFilter::default(),
            allocatable: AllocatableModel::default(),
            spread: true,
            surge: true,
            solver: Solver::Exact,
            time_budget_ms: 1500,
        }
    }
}

/// One node of a plan with the pods placed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedNode {
    /// Instance type.
    pub instance_type: String,
    /// USD per hour (on-demand).
    pub usd_per_hour: f64,
    /// Pods placed here, `web-1`, `worker-2`, and `web-surge` for the reserved surge room.
    pub pods: Vec<String>,
    /// CPU requested by those pods, millicores.
    pub cpu_used_millis: u64,
    /// Memory requested, MiB.
    pub memory_used_mib: u64,
    /// CPU left for app pods on this type (after reservations and DaemonSets), millicores.
    pub cpu_available_millis: u64,
    /// Memory left for app pods, MiB.
    pub memory_available_mib: u64,
    /// Pod slots left for app pods.
    pub pod_slots: u32,
}

/// How many nodes of one type a plan uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeCount {
    /// Instance type.
    pub instance_type: String,
    /// Nodes of that type.
    pub count: u32,
    /// USD per hour for one node.
    pub usd_per_hour: f64,
    /// count × $/h × 730.
    pub monthly_usd: f64,
}

/// A node plan: types, counts, placement, cost and how close to optimal it is proven to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The solver that produced it.
    pub solver: Solver,
    /// Region of the catalog used.
    pub region: String,
    /// Nodes with their pods.
    pub nodes: Vec<PlannedNode>,
    /// Count per type, cheapest type first.
    pub types: Vec<TypeCount>,
    /// Number of nodes.
    pub node_count: u32,
    /// Sum of node prices, USD per hour (on-demand).
    pub usd_per_hour: f64,
    /// usd_per_hour × 730.
    pub monthly_usd: f64,
    /// Proven lower bound on any plan's monthly cost (exact solver only).
    pub lower_bound_monthly_usd: Option<f64>,
    /// (cost − lower bound) / cost × 100 (exact solver only); 0 means proven optimal.
    pub gap_percent: Option<f64>,
    /// Whether the plan is proven to be the cheapest.
    pub proven_optimal: bool,
    /// The FFD baseline's monthly cost, for comparison.
    pub ffd_monthly_usd: f64,
    /// Solver time, milliseconds.
    pub elapsed_ms: f64,
    /// The process type whose surge pod has room reserved, if any.
    pub surge_process_type: Option<String>,
    /// Total CPU requested by the app's pods (surge excluded), millicores.
    pub cpu_requested_millis: u64,
    /// Total memory requested (surge excluded), MiB.
    pub memory_requested_mib: u64,
    /// Number of app pods (surge excluded).
    pub pod_count: u64,
    /// How the plan was reached, in words.
    pub explanation: Vec<String>,
    /// What the user should know about the plan's inputs (e.g. pods sized from a damaged log:
    /// see [`crate::sizing::SizingReport::input_warnings`]); the planner itself adds none.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Plan {
    /// JSON text of the plan.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a plan always serialises")
    }

    /// The distinct instance types the plan uses.
    pub fn instance_types(&self) -> Vec<String> {
        self.types.iter().map(|t| t.instance_type.clone()).collect()
    }
}

// ---------------------------------------------------------------- public entry point

/// Plans the cheapest node mix for `pods` from `catalog` under `options`.
///
/// Errors: `invalid_input` for malformed pods or options; `infeasible` when a pod fits no
/// allowed type (naming the pod and the biggest allowed type) or the filter allows none.
pub fn plan_nodes(pods: &[PodGroup], catalog: &Catalog, options: &PlanOptions) -> Result<Plan> {
    let started = Instant::now();
    let (p, surge) = build_problem(pods, catalog, options)?;
    let demand = p.demand();
    let baseline = ffd(&p, &demand);
    let ffd_cost = cost_of(&p, &baseline);
    let mut explanation = vec![format!(
        "{} allowed instance types ({}), {} after removing types that a cheaper type matches on \
         CPU, memory and pod slots",
        catalog.filtered(&options.filter)?.len(),
        options.filter.describe(),
        p.types.len()
    )];
    for c in &p.classes {
        let rule = if c.cap < c.demand {
            format!("at most {} per node (spread over ≥ 2 nodes)", c.cap)
        } else {
            "no spread needed".to_owned()
        };
        explanation.push(format!(
            "{}: {} pod(s) of {}m CPU / {} MiB{}; {rule}",
            c.name,
            c.replicas,
            c.cpu,
            c.mem,
            if c.demand > c.replicas {
                " + 1 surge pod reserved"
            } else {
                ""
            }
        ));
    }
    explanation.push(format!(
        "FFD baseline (Karpenter-like): {} node(s), ${:.4}/h",
        baseline.len(),
        ffd_cost
    ));
    let (solution, bound, proven) = match options.solver {
        Solver::Ffd => (baseline, None, false),
        Solver::Exact => {
            let r = exact(
                &p,
                baseline,
                Duration::from_millis(options.time_budget_ms.clamp(1, MAX_BUDGET_MS)),
            );
            explanation.extend(r.notes);
            (r.solution, Some(r.bound), r.proven)
        }
    };
    let cost = cost_of(&p, &solution);
    let nodes = place(&p, &solution);
    let mut types: Vec<TypeCount> = Vec::new();
    for t in 0..p.types.len() {
        let count = solution.iter().filter(|n| n.ty == t).count() as u32;
        if count > 0 {
            types.push(TypeCount {
                instance_type: p.types[t].name.clone(),
                count,
                usd_per_hour: p.types[t].cost,
                monthly_usd: round2(f64::from(count) * p.types[t].cost * AWS_HOURS_PER_MONTH),
            });
        }
    }
    let monthly = round2(cost * AWS_HOURS_PER_MONTH);
    // A lower bound is rounded down to the cent so that it stays a bound.
    let lb_monthly = bound.map(|b| {
        if proven {
            monthly
        } else {
            (b.min(cost) * AWS_HOURS_PER_MONTH * 100.0 + 1e-6).floor() / 100.0
        }
    });
    let gap = bound.map(|b| {
        if proven {
            0.0
        } else {
            ((cost - b.min(cost)) / cost * 100.0 * 1000.0).round() / 1000.0
        }
    });
    if let Some(g) = gap {
        explanation.push(if proven {
            format!("proven optimal: no plan costs less than ${monthly:.2}/month")
        } else {
            format!(
                "best plan ${monthly:.2}/month; no plan can cost less than ${:.2}/month (gap {g:.3}%)",
                lb_monthly.unwrap_or(0.0)
            )
        });
    }
    if nodes_use_arm(catalog, &types) {
        explanation.push(
            "the plan uses arm64 (Graviton) types: the app's container images must be built for \
             arm64 (or multi-arch); set filter.arch to x86_64 to avoid them"
                .to_owned(),
        );
    }
    let real: Vec<&Class> = p.classes.iter().collect();
    Ok(Plan {
        solver: options.solver,
        region: catalog.region.clone(),
        node_count: nodes.len() as u32,
        nodes,
        types,
        usd_per_hour: (cost * 1e6).round() / 1e6,
        monthly_usd: monthly,
        lower_bound_monthly_usd: lb_monthly,
        gap_percent: gap,
        proven_optimal: proven,
        ffd_monthly_usd: round2(ffd_cost * AWS_HOURS_PER_MONTH),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        surge_process_type: surge,
        cpu_requested_millis: real.iter().map(|c| c.cpu * c.replicas).sum(),
        memory_requested_mib: real.iter().map(|c| c.mem * c.replicas).sum(),
        pod_count: real.iter().map(|c| c.replicas).sum(),
        explanation,
        warnings: Vec::new(),
    })
}

fn nodes_use_arm(catalog: &Catalog, types: &[TypeCount]) -> bool {
    types.iter().any(|t| {
        catalog
            .get(&t.instance_type)
            .is_some_and(|it| it.arch == crate::nodes::catalog::Arch::Arm64)
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn place(p: &Problem, sol: &[Pattern]) -> Vec<PlannedNode> {
    let mut next: Vec<u64> = vec![0; p.classes.len()];
    sol.iter()
        .map(|pat| {
            let ty = &p.types[pat.ty];
            let mut pods = Vec::new();
            let (mut cpu, mut mem) = (0, 0);
            for (k, &n) in pat.counts.iter().enumerate() {
                let c = &p.classes[k];
                for _ in 0..n {
                    next[k] += 1;
                    if next[k] > c.replicas {
                        pods.push(format!("{}-surge", c.name));
                    } else {
                        pods.push(format!("{}-{}", c.name, next[k]));
                    }
                    cpu += c.cpu;
                    mem += c.mem;
                }
            }
            PlannedNode {
                instance_type: ty.name.clone(),
                usd_per_hour: ty.cost,
                pods,
                cpu_used_millis: cpu,
                memory_used_mib: mem,
                cpu_available_millis: ty.cpu,
                memory_available_mib: ty.mem,
                pod_slots: ty.slots as u32,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod brute_force;

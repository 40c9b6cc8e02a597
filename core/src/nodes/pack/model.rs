//! The internal model: node types, process types (classes), patterns, and the problem built
//! from the public inputs.

use super::{MAX_PODS_TOTAL, PlanOptions, PodGroup};
use crate::error::{Error, ErrorKind, Result};
use crate::nodes::catalog::Catalog;

#[derive(Debug, Clone)]
pub(super) struct NodeType {
    pub(super) name: String,
    pub(super) cost: f64,
    pub(super) cpu: u64,
    pub(super) mem: u64,
    pub(super) slots: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Class {
    pub(super) name: String,
    pub(super) cpu: u64,
    pub(super) mem: u64,
    /// Pods to place (replicas, + 1 for the surge class).
    pub(super) demand: u64,
    /// Real replicas.
    pub(super) replicas: u64,
    /// Most pods of this class on one node.
    pub(super) cap: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub(super) types: Vec<NodeType>,
    pub(super) classes: Vec<Class>,
}

impl Problem {
    pub(super) fn limit(&self, k: usize) -> u64 {
        self.classes[k].cap.min(self.classes[k].demand)
    }

    pub(super) fn fits(&self, t: usize, counts: &[u64]) -> bool {
        let ty = &self.types[t];
        let (mut c, mut m, mut s) = (0u64, 0u64, 0u64);
        for (k, &n) in counts.iter().enumerate() {
            c += n * self.classes[k].cpu;
            m += n * self.classes[k].mem;
            s += n;
        }
        c <= ty.cpu && m <= ty.mem && s <= ty.slots
    }

    /// What a node costs less what its pods are worth at prices `pi` (its reduced cost).
    pub(super) fn reduced_cost(&self, pat: &Pattern, pi: &[f64]) -> f64 {
        self.types[pat.ty].cost
            - pat
                .counts
                .iter()
                .zip(pi)
                .map(|(&n, &v)| n as f64 * v)
                .sum::<f64>()
    }

    /// Pods to place per class.
    pub(super) fn demand(&self) -> Vec<u64> {
        self.classes.iter().map(|c| c.demand).collect()
    }

    /// Whether `plan` places every pod, no node beyond its type's allocatable and no class
    /// beyond its per-node cap (the spread rule).
    pub(super) fn holds(&self, plan: &[Pattern]) -> bool {
        let nodes_fit = plan.iter().all(|pat| {
            self.fits(pat.ty, &pat.counts)
                && pat
                    .counts
                    .iter()
                    .zip(&self.classes)
                    .all(|(&n, c)| n <= c.cap)
        });
        nodes_fit
            && self
                .classes
                .iter()
                .enumerate()
                .all(|(k, c)| plan.iter().map(|pat| pat.counts[k]).sum::<u64>() >= c.demand)
    }

    pub(super) fn cheapest_fitting(&self, counts: &[u64]) -> Option<usize> {
        (0..self.types.len()).find(|&t| self.fits(t, counts))
    }
}

/// A node in a solution: a type and the pods per class it may hold.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pattern {
    pub(super) ty: usize,
    pub(super) counts: Vec<u64>,
}

pub(super) fn cost_of(p: &Problem, sol: &[Pattern]) -> f64 {
    sol.iter().map(|n| p.types[n.ty].cost).sum()
}

/// Validates the pods and builds the internal problem over the allowed, non-dominated types.
pub(super) fn build_problem(
    pods: &[PodGroup],
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<(Problem, Option<String>)> {
    options.allocatable.validate()?;
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0u64;
    for (i, g) in pods.iter().enumerate() {
        let at = format!("pods[{i}]");
        if g.process_type.trim().is_empty() {
            return Err(Error::invalid_input("process_type must not be empty").at(at));
        }
        if !seen.insert(g.process_type.clone()) {
            return Err(Error::invalid_input(format!(
                "process type {:?} appears twice; give one entry per process type",
                g.process_type
            ))
            .at(at));
        }
        if g.cpu_millis == 0 || g.memory_mib == 0 {
            return Err(Error::invalid_input(format!(
                "{}: CPU and memory requests must be at least 1m and 1 MiB",
                g.process_type
            ))
            .at(at));
        }
        total += u64::from(g.replicas);
    }
    if total == 0 {
        return Err(Error::invalid_input(
            "there are no pods to place; give at least one process type with replicas ≥ 1",
        ));
    }
    if total > MAX_PODS_TOTAL {
        return Err(Error::invalid_input(format!(
            "{total} pods is more than dynoshift plans at once ({MAX_PODS_TOTAL}); plan per \
             process type group"
        )));
    }
    let allowed = catalog.filtered(&options.filter)?;
    let mut types = Vec::with_capacity(allowed.len());
    for t in &allowed {
        let a = options.allocatable.allocatable(t)?;
        if a.pod_slots == 0 || a.pod_cpu_millis == 0 || a.pod_memory_mib == 0 {
            continue;
        }
        types.push(NodeType {
            name: t.name.clone(),
            cost: t.usd_per_hour,
            cpu: a.pod_cpu_millis,
            mem: a.pod_memory_mib,
            slots: u64::from(a.pod_slots),
        });
    }
    if types.is_empty() {
        return Err(Error::new(
            ErrorKind::Infeasible,
            "after reservations and DaemonSets no allowed instance type has room for a pod; \
             allow bigger types or lower the DaemonSet requests",
        ));
    }
    // Already cheapest first (catalog order). Drop dominated types: a type at least as
    // expensive as an earlier one that offers no more of anything.
    let mut kept: Vec<NodeType> = Vec::new();
    for t in types {
        let dominated = kept
            .iter()
            .any(|k| k.cost <= t.cost && k.cpu >= t.cpu && k.mem >= t.mem && k.slots >= t.slots);
        if !dominated {
            kept.push(t);
        }
    }
    let biggest = kept
        .iter()
        .max_by(|a, b| a.mem.cmp(&b.mem).then(a.cpu.cmp(&b.cpu)))
        .expect("kept is not empty")
        .clone();
    let mut classes = Vec::new();
    for g in pods.iter().filter(|g| g.replicas > 0) {
        let fits_some = kept
            .iter()
            .any(|t| g.cpu_millis <= t.cpu && g.memory_mib <= t.mem);
        if !fits_some {
            return Err(Error::new(
                ErrorKind::Infeasible,
                format!(
                    "a {} pod ({}m CPU, {} MiB) fits no allowed instance type: the biggest, {}, \
                     offers {}m CPU and {} MiB to pods after reservations and DaemonSets; lower \
                     the requests, split the process, or allow bigger types",
                    g.process_type,
                    g.cpu_millis,
                    g.memory_mib,
                    biggest.name,
                    biggest.cpu,
                    biggest.mem
                ),
            )
            .at(&g.process_type));
        }
        let r = u64::from(g.replicas);
        classes.push(Class {
            name: g.process_type.clone(),
            cpu: g.cpu_millis,
            mem: g.memory_mib,
            demand: r,
            replicas: r,
            cap: if options.spread && r >= 2 { r - 1 } else { r },
        });
    }
    let mut surge = None;
    if options.surge {
        let k = (0..classes.len())
            .max_by(|&a, &b| {
                let (x, y) = (&classes[a], &classes[b]);
                x.mem.cmp(&y.mem).then(x.cpu.cmp(&y.cpu)).then(b.cmp(&a))
            })
            .expect("classes is not empty");
        classes[k].demand += 1;
        if !(options.spread && classes[k].replicas >= 2) {
            classes[k].cap = classes[k].demand;
        }
        surge = Some(classes[k].name.clone());
    }
    Ok((
        Problem {
            types: kept,
            classes,
        },
        surge,
    ))
}

pub(super) fn with_demand(p: &Problem, demand: &[u64]) -> Problem {
    let mut sub = p.clone();
    for (c, &d) in sub.classes.iter_mut().zip(demand) {
        c.demand = d;
    }
    sub
}

/// Assigns exactly the demand to the nodes (first nodes first), drops empty nodes, and gives
/// each node the cheapest type that holds what it actually carries.
pub(super) fn shrink(p: &Problem, sol: Vec<Pattern>, demand: &[u64]) -> Vec<Pattern> {
    let mut left = demand.to_vec();
    let mut out = Vec::with_capacity(sol.len());
    for pat in sol {
        let counts: Vec<u64> = pat
            .counts
            .iter()
            .zip(left.iter_mut())
            .map(|(&a, l)| {
                let n = a.min(*l);
                *l -= n;
                n
            })
            .collect();
        if counts.iter().all(|&n| n == 0) {
            continue;
        }
        let ty = p.cheapest_fitting(&counts).unwrap_or(pat.ty);
        let ty = if p.types[ty].cost <= p.types[pat.ty].cost {
            ty
        } else {
            pat.ty
        };
        out.push(Pattern { ty, counts });
    }
    out
}

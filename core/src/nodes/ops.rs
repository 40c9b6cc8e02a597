//! The node-planning operations as serde request/response pairs, so that every front end (the
//! CLI, Python, Node, the language-neutral vectors in `tests/vectors/nodes/`) calls the same
//! code with the same JSON shapes.
//!
//! | op | input | output |
//! |---|---|---|
//! | `kube_reserved` | [`KubeReservedRequest`] | [`KubeReserved`] |
//! | `max_pods` | [`MaxPodsRequest`] | [`MaxPods`] |
//! | `allocatable` | [`AllocatableRequest`] | [`Allocatable`] |
//! | `plan` | [`PlanRequest`] | [`Plan`] |
//! | `bill` | [`BillRequest`] | [`Bill`] |
//! | `karpenter` | [`KarpenterRequest`] | [`KarpenterConfig`] |

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::heroku::cost::Prices;
use crate::heroku::formation::Formation;
use crate::nodes::allocatable::{
    Allocatable, AllocatableModel, eni_max_pods, kube_reserved_cpu_millis, kube_reserved_memory_mib,
};
use crate::nodes::bill::{AwsCostOptions, Bill, compare_bill};
use crate::nodes::catalog::{BUILTIN_REGION, Catalog, InstanceType};
use crate::nodes::karpenter::{KarpenterConfig, KarpenterOptions, karpenter_config};
use crate::nodes::pack::{Plan, PlanOptions, PodGroup, plan_nodes};

/// Input of `kube_reserved`: either or both of max pods (memory rule) and vCPU (CPU rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeReservedRequest {
    /// Max pods of the node.
    #[serde(default)]
    pub max_pods: Option<u32>,
    /// vCPUs of the node.
    #[serde(default)]
    pub vcpu: Option<u32>,
}

/// Output of `kube_reserved`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeReserved {
    /// 11 MiB × max pods + 255 MiB, when max pods was given.
    pub memory_mib: Option<u64>,
    /// 6%/1%/0.5%/0.25% of the cores, when vCPU was given.
    pub cpu_millis: Option<u64>,
}

/// Input of `max_pods`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPodsRequest {
    /// Network interfaces.
    pub max_enis: u32,
    /// IPv4 addresses per interface.
    pub ipv4_per_eni: u32,
}

/// Output of `max_pods`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaxPods {
    /// ENIs × (IPv4 per ENI − 1) + 2.
    pub max_pods: u32,
}

/// Where the instance types come from: an inline catalog, or the built-in one of a region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CatalogSource {
    /// Region of the built-in catalog (default `us-east-1`), or of the inline types.
    #[serde(default)]
    pub region: Option<String>,
    /// Inline instance types; when absent the built-in catalog is used.
    #[serde(default)]
    pub types: Option<Vec<InstanceType>>,
}

impl CatalogSource {
    /// Resolves to a catalog.
    pub fn resolve(&self) -> Result<Catalog> {
        let region = self.region.as_deref().unwrap_or(BUILTIN_REGION);
        match &self.types {
            Some(types) => Catalog::new(region, "inline catalog", types.clone()),
            None => Catalog::builtin(region),
        }
    }
}

/// Input of `allocatable`: a type by name from the catalog, or an inline type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocatableRequest {
    /// Name of a type in the catalog.
    #[serde(default)]
    pub instance_type: Option<String>,
    /// An inline type instead.
    #[serde(default)]
    pub instance: Option<InstanceType>,
    /// The catalog to look the name up in.
    #[serde(default)]
    pub catalog: CatalogSource,
    /// The model (defaults documented on [`AllocatableModel`]).
    #[serde(default)]
    pub model: AllocatableModel,
}

/// Input of `plan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// The pods.
    pub pods: Vec<PodGroup>,
    /// Solver, filter, allocatable model, spread/surge, budget.
    #[serde(default)]
    pub options: PlanOptions,
    /// The catalog.
    #[serde(default)]
    pub catalog: CatalogSource,
}

/// Input of `bill`: a formation (any shape [`Formation::from_value`] reads), Heroku price
/// overrides, the plan request, and the AWS options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillRequest {
    /// The Heroku formation.
    pub formation: serde_json::Value,
    /// Monthly price overrides per dyno size.
    #[serde(default)]
    pub prices: Option<serde_json::Value>,
    /// What to plan.
    pub plan: PlanRequest,
    /// AWS cost inputs.
    #[serde(default)]
    pub aws: AwsCostOptions,
}

/// Input of `karpenter`: what to plan and the Karpenter options. The close alternatives are
/// drawn from the types the plan's own filter allows (`options.filter` is ignored here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KarpenterRequest {
    /// What to plan.
    pub plan: PlanRequest,
    /// Cluster name, pool name, role, alternatives, capacity types.
    #[serde(default)]
    pub options: KarpenterOptions,
}

/// `karpenter`: plans, then renders the NodePool and EC2NodeClass.
pub fn karpenter(req: &KarpenterRequest) -> Result<KarpenterConfig> {
    let catalog = req.plan.catalog.resolve()?;
    let plan = plan_nodes(&req.plan.pods, &catalog, &req.plan.options)?;
    let options = KarpenterOptions {
        filter: req.plan.options.filter.clone(),
        ..req.options.clone()
    };
    karpenter_config(&plan, &catalog, &options)
}

/// `kube_reserved`.
pub fn kube_reserved(req: &KubeReservedRequest) -> Result<KubeReserved> {
    if req.max_pods.is_none() && req.vcpu.is_none() {
        return Err(Error::invalid_input(
            "give max_pods (memory rule), vcpu (CPU rule) or both",
        ));
    }
    for (field, v) in [("max_pods", req.max_pods), ("vcpu", req.vcpu)] {
        if v == Some(0) {
            return Err(Error::invalid_input(format!(
                "{field} is 0: a node has at least 1 (leave it out to skip that rule)"
            ))
            .at(field));
        }
    }
    Ok(KubeReserved {
        memory_mib: req.max_pods.map(kube_reserved_memory_mib),
        cpu_millis: req.vcpu.map(kube_reserved_cpu_millis),
    })
}

/// `max_pods`.
pub fn max_pods(req: &MaxPodsRequest) -> Result<MaxPods> {
    if req.max_enis == 0 || req.ipv4_per_eni < 2 {
        return Err(Error::invalid_input(
            "a node needs at least 1 ENI with 2 or more IPv4 addresses",
        ));
    }
    Ok(MaxPods {
        max_pods: eni_max_pods(req.max_enis, req.ipv4_per_eni),
    })
}

/// `allocatable`.
pub fn allocatable(req: &AllocatableRequest) -> Result<Allocatable> {
    match (&req.instance_type, &req.instance) {
        (Some(name), None) => {
            let catalog = req.catalog.resolve()?;
            let t = catalog.get(name).ok_or_else(|| {
                Error::new(
                    crate::error::ErrorKind::NotFound,
                    format!(
                        "instance type {name:?} is not in the {} catalog; check the name or pass \
                         the type inline",
                        catalog.region
                    ),
                )
            })?;
            req.model.allocatable(t)
        }
        (None, Some(t)) => {
            let c = Catalog::new("inline", "inline", vec![t.clone()])?;
            req.model.allocatable(&c.types[0])
        }
        _ => Err(Error::invalid_input(
            "give exactly one of instance_type (a catalog name) or instance (an inline type)",
        )),
    }
}

/// `plan`.
pub fn plan(req: &PlanRequest) -> Result<Plan> {
    plan_nodes(&req.pods, &req.catalog.resolve()?, &req.options)
}

/// `bill`.
pub fn bill(req: &BillRequest) -> Result<Bill> {
    let formation = Formation::from_value(&req.formation).map_err(|e| e.at("formation"))?;
    let prices = match &req.prices {
        Some(v) => Prices::from_json(&v.to_string())?,
        None => Prices::list(),
    };
    let heroku = formation.monthly_cost(&prices)?;
    compare_bill(&heroku, &plan(&req.plan)?, &req.aws)
}

/// The names of the operations [`call_json`] accepts.
pub const OPS: [&str; 6] = [
    "kube_reserved",
    "max_pods",
    "allocatable",
    "plan",
    "bill",
    "karpenter",
];

fn run<Req: for<'de> Deserialize<'de>, Resp: Serialize>(
    input: &str,
    f: impl FnOnce(&Req) -> Result<Resp>,
) -> Result<String> {
    let req: Req = crate::jsonerr::from_str(input).map_err(|(message, _)| {
        Error::invalid_input(format!(
            "the request does not have the expected shape: {message}"
        ))
    })?;
    let resp = f(&req)?;
    serde_json::to_string(&resp).map_err(|e| Error::internal(format!("response: {e}")))
}

/// Runs operation `op` on a JSON request and returns the JSON response. Unknown operations are
/// `invalid_input` listing [`OPS`].
pub fn call_json(op: &str, input: &str) -> Result<String> {
    match op {
        "kube_reserved" => run(input, kube_reserved),
        "max_pods" => run(input, max_pods),
        "allocatable" => run(input, allocatable),
        "plan" => run(input, plan),
        "bill" => run(input, bill),
        "karpenter" => run(input, karpenter),
        other => Err(Error::invalid_input(format!(
            "unknown node-planning operation {other:?}; known: {}",
            OPS.join(", ")
        ))),
    }
}

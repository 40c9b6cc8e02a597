//! Node planning: the EC2 catalog, what an EKS node really offers pods, the cheapest worker mix
//! that holds the pods (with a proven optimality gap), the monthly bill against Heroku's, and the
//! Karpenter configuration that restricts the cluster to the plan's types.

pub mod allocatable;
pub mod bill;
pub mod catalog;
pub mod karpenter;
pub mod offers;
pub mod ops;
pub mod pack;

pub use allocatable::{Allocatable, AllocatableModel, DaemonSetLoad};
pub use bill::{AwsCostOptions, Bill, BillLine, CapacityComparison, compare_bill};
pub use catalog::{Arch, Catalog, CatalogFilter, InstanceType};
pub use karpenter::{
    Ec2NodeClass, KarpenterConfig, KarpenterOptions, NodePool, karpenter_config,
    parse_karpenter_yaml,
};
pub use offers::{ImportReport, import_offer_file};
pub use pack::{
    AWS_HOURS_PER_MONTH, Plan, PlanOptions, PlannedNode, PodGroup, Solver, TypeCount, plan_nodes,
};

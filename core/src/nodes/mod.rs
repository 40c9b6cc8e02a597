//! Node planning: the EC2 catalog, what an EKS node really offers pods, the cheapest worker mix
//! that holds the pods (with a proven optimality gap), the monthly bill against Heroku's, and the
//! Karpenter configuration that restricts the cluster to the plan's types.

pub mod allocatable;
pub mod catalog;
pub mod pack;

pub use allocatable::{Allocatable, AllocatableModel, DaemonSetLoad};
pub use catalog::{Arch, Catalog, CatalogFilter, InstanceType};
pub use pack::{PlanOptions, Plan, PlannedNode, PodGroup, Solver, TypeCount, plan_nodes};

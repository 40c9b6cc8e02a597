//! EC2 node planning: plain data in and out. Each function takes the request as JSON and returns
//! the core's JSON result (`dynoshift::nodes::ops`); `lib/dynoshift.rb` turns Hashes into JSON
//! and back, so Ruby callers pass and get Hashes.

use dynoshift::nodes::ops;

use crate::errors::Result;

/// EKS kube-reserved CPU and memory for a node (`nodes::ops` request `kube_reserved`).
#[uniffi::export]
pub fn kube_reserved(request: String) -> Result<String> {
    Ok(ops::call_json("kube_reserved", &request)?)
}

/// Pods per node for an instance type (`max_pods`).
#[uniffi::export]
pub fn max_pods(request: String) -> Result<String> {
    Ok(ops::call_json("max_pods", &request)?)
}

/// Allocatable CPU, memory and pods of an instance type (`allocatable`).
#[uniffi::export]
pub fn allocatable(request: String) -> Result<String> {
    Ok(ops::call_json("allocatable", &request)?)
}

/// The cheapest set of nodes holding the pods, with its optimality gap (`plan`).
#[uniffi::export]
pub fn plan_nodes(request: String) -> Result<String> {
    Ok(ops::call_json("plan", &request)?)
}

/// The monthly AWS bill of a node plan next to Heroku's (`bill`).
#[uniffi::export]
pub fn compare_bill(request: String) -> Result<String> {
    Ok(ops::call_json("bill", &request)?)
}

/// Karpenter NodePool/EC2NodeClass settings for a plan (`karpenter`).
#[uniffi::export]
pub fn karpenter_config(request: String) -> Result<String> {
    Ok(ops::call_json("karpenter", &request)?)
}

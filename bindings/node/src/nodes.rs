//! EC2 node planning: the core's `nodes::ops` as sync functions taking the op's request as a
//! plain object and returning the op's response as a plain object (the core's JSON shape).

use dynoshift::nodes::ops;
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;

use crate::convert::json_arg;
use crate::errors::{IntoJs, Result};

/// `request` → JSON text → `ops::call_json(op, ..)` → plain object.
fn call(env: &Env, op: &'static str, request: Unknown<'_>) -> Result<serde_json::Value> {
    let request = json_arg(env, request, "request")?;
    let answer = ops::call_json(op, &request.to_string()).js_err()?;
    serde_json::from_str(&answer)
        .map_err(|e| dynoshift::Error::internal(format!("{op} response: {e}")))
        .js_err()
}

/// Kube-reserved memory (`max_pods`) and CPU (`vcpu`) of a node: `{memory_mib, cpu_millis}`.
#[napi(
    ts_args_type = "request: { max_pods?: number; vcpu?: number }",
    ts_return_type = "{ memory_mib: number | null; cpu_millis: number | null }"
)]
pub fn kube_reserved(env: Env, request: Unknown<'_>) -> Result<serde_json::Value> {
    call(&env, "kube_reserved", request)
}

/// Max pods from the ENI limits: `{max_pods}`.
#[napi(
    ts_args_type = "request: { max_enis: number; ipv4_per_eni: number }",
    ts_return_type = "{ max_pods: number }"
)]
pub fn max_pods(env: Env, request: Unknown<'_>) -> Result<serde_json::Value> {
    call(&env, "max_pods", request)
}

/// What a node type leaves for pods (`instance_type` or inline `instance`, `catalog`, `model`).
#[napi(
    ts_args_type = "request: Record<string, any>",
    ts_return_type = "Record<string, any>"
)]
pub fn allocatable(env: Env, request: Unknown<'_>) -> Result<serde_json::Value> {
    call(&env, "allocatable", request)
}

/// The cheapest node mix for `pods` (`options`, `catalog`), with its cost, lower bound, gap and
/// the FFD baseline. A pod no allowed type can hold throws with `code === 'infeasible'`.
#[napi(
    ts_args_type = "request: { pods: Array<{ process_type: string; replicas: number; cpu_millis: number; memory_mib: number }>; options?: Record<string, any>; catalog?: Record<string, any> }",
    ts_return_type = "{ solver: 'exact' | 'ffd'; monthly_usd: number; ffd_monthly_usd: number; gap_percent: number | null; lower_bound_monthly_usd: number | null; proven_optimal: boolean; node_count: number; [key: string]: any }"
)]
pub fn plan_nodes(env: Env, request: Unknown<'_>) -> Result<serde_json::Value> {
    call(&env, "plan", request)
}

/// Heroku's monthly bill (`formation`, `prices`) against AWS's for the planned nodes (`plan`,
/// `aws`), with the saving and the capacity ratio.
#[napi(
    ts_args_type = "request: Record<string, any>",
    ts_return_type = "Record<string, any>"
)]
pub fn compare_bill(env: Env, request: Unknown<'_>) -> Result<serde_json::Value> {
    call(&env, "bill", request)
}

/// A Karpenter NodePool and EC2NodeClass restricted to the plan's types (`plan`, `options`).
#[napi(
    ts_args_type = "request: Record<string, any>",
    ts_return_type = "Record<string, any>"
)]
pub fn karpenter_config(env: Env, request: Unknown<'_>) -> Result<serde_json::Value> {
    call(&env, "karpenter", request)
}

//! What an EKS worker node really offers pods: capacity minus VM overhead, kube-reserved,
//! system-reserved, the eviction threshold and the DaemonSets every node runs.
//!
//! Rules (EKS AMI nodeadm and Karpenter, see the reference `sizing-and-nodes.md`):
//! - max pods = ENIs × (IPv4 per ENI − 1) + 2 (VPC CNI without prefix delegation), capped at
//!   110 (the kubelet default; "110 when not ENI-limited"), unless overridden;
//! - kube-reserved memory = 11 MiB × max pods + 255 MiB;
//! - kube-reserved CPU = 6% of the first core + 1% of the second + 0.5% of cores 3–4 + 0.25%
//!   of the rest, rounded up to a whole millicore;
//! - eviction threshold = 100 MiB;
//! - VM overhead = 7.5% of memory, rounded up to a MiB (Karpenter's default
//!   `vmMemoryOverheadPercent`; measured real overhead is 1.7–5.3%, so this is conservative);
//! - DaemonSets: by default aws-node (25m CPU) and kube-proxy (100m CPU), the EKS add-ons'
//!   requests, 2 pods per node.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nodes::catalog::InstanceType;

/// The kubelet's default pod limit, used as the cap when a node is not ENI-limited.
pub const DEFAULT_MAX_PODS_CAP: u32 = 110;
/// Karpenter's default VM memory overhead (7.5%).
pub const DEFAULT_VM_OVERHEAD_PERCENT: f64 = 7.5;
/// The kubelet's hard eviction threshold for memory on EKS, MiB.
pub const DEFAULT_EVICTION_MIB: u64 = 100;

/// The resources the DaemonSets take on every node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSetLoad {
    /// Sum of CPU requests, millicores.
    pub cpu_millis: u64,
    /// Sum of memory requests, MiB.
    pub memory_mib: u64,
    /// Number of DaemonSet pods (they count against max pods).
    pub pods: u32,
}

impl DaemonSetLoad {
    /// aws-node (25m) + kube-proxy (100m): the EKS default add-ons.
    pub fn eks_default() -> DaemonSetLoad {
        DaemonSetLoad {
            cpu_millis: 125,
            memory_mib: 0,
            pods: 2,
        }
    }

    /// No DaemonSets.
    pub fn none() -> DaemonSetLoad {
        DaemonSetLoad {
            cpu_millis: 0,
            memory_mib: 0,
            pods: 0,
        }
    }
}

/// The tunable allocatable model. `Default` gives the documented EKS/Karpenter values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AllocatableModel {
    /// Fixed max pods per node instead of the ENI formula (e.g. 110 with prefix delegation).
    pub max_pods_override: Option<u32>,
    /// Cap on the ENI formula (default 110).
    pub max_pods_cap: u32,
    /// VM memory overhead in percent of memory (default 7.5).
    pub vm_overhead_percent: f64,
    /// Hard eviction threshold, MiB (default 100).
    pub eviction_mib: u64,
    /// system-reserved CPU, millicores (default 0, as the EKS AMI).
    pub system_reserved_cpu_millis: u64,
    /// system-reserved memory, MiB (default 0, as the EKS AMI).
    pub system_reserved_mib: u64,
    /// DaemonSet requests per node (default: aws-node + kube-proxy).
    pub daemonsets: DaemonSetLoad,
}

impl Default for AllocatableModel {
    fn default() -> Self {
        AllocatableModel {
            max_pods_override: None,
            max_pods_cap: DEFAULT_MAX_PODS_CAP,
            vm_overhead_percent: DEFAULT_VM_OVERHEAD_PERCENT,
            eviction_mib: DEFAULT_EVICTION_MIB,
            system_reserved_cpu_millis: 0,
            system_reserved_mib: 0,
            daemonsets: DaemonSetLoad::eks_default(),
        }
    }
}

/// What one node of a type offers, with every deduction spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocatable {
    /// Instance type.
    pub instance_type: String,
    /// Max pods the kubelet admits (DaemonSets included).
    pub max_pods: u32,
    /// Capacity: vCPU × 1000.
    pub capacity_cpu_millis: u64,
    /// Capacity: memory, MiB.
    pub capacity_memory_mib: u64,
    /// VM overhead, MiB.
    pub vm_overhead_mib: u64,
    /// kube-reserved CPU, millicores.
    pub kube_reserved_cpu_millis: u64,
    /// kube-reserved memory, MiB.
    pub kube_reserved_mib: u64,
    /// system-reserved CPU, millicores.
    pub system_reserved_cpu_millis: u64,
    /// system-reserved memory, MiB.
    pub system_reserved_mib: u64,
    /// Eviction threshold, MiB.
    pub eviction_mib: u64,
    /// Node allocatable CPU as the kubelet reports it, millicores.
    pub allocatable_cpu_millis: u64,
    /// Node allocatable memory as the kubelet reports it, MiB.
    pub allocatable_memory_mib: u64,
    /// What is left for application pods after the DaemonSets: CPU, millicores.
    pub pod_cpu_millis: u64,
    /// ... memory, MiB.
    pub pod_memory_mib: u64,
    /// ... pod slots.
    pub pod_slots: u32,
    /// The rules applied, in words.
    pub explanation: Vec<String>,
}

/// Max pods with the VPC CNI without prefix delegation: ENIs × (IPv4 per ENI − 1) + 2.
pub fn eni_max_pods(max_enis: u32, ipv4_per_eni: u32) -> u32 {
    max_enis
        .saturating_mul(ipv4_per_eni.saturating_sub(1))
        .saturating_add(2)
}

/// kube-reserved memory for `max_pods`: 11 MiB × max pods + 255 MiB.
pub fn kube_reserved_memory_mib(max_pods: u32) -> u64 {
    11 * u64::from(max_pods) + 255 // at most 11 × u32::MAX + 255: no overflow
}

/// kube-reserved CPU for `vcpu` cores in millicores (6% of core 1, 1% of core 2, 0.5% of cores
/// 3–4, 0.25% of the rest), rounded up to a whole millicore.
pub fn kube_reserved_cpu_millis(vcpu: u32) -> u64 {
    // In tenths of a millicore to stay exact: 600, 100, 50, 25 per core.
    let v = u64::from(vcpu);
    let tenths = 600 * v.min(1)
        + 100 * v.saturating_sub(1).min(1)
        + 50 * v.saturating_sub(2).min(2)
        + 25 * v.saturating_sub(4);
    tenths.div_ceil(10)
}

impl AllocatableModel {
    /// Checks the numbers: overhead 0–50%, caps ≥ 1.
    pub fn validate(&self) -> Result<()> {
        if !(self.vm_overhead_percent.is_finite()
            && (0.0..=50.0).contains(&self.vm_overhead_percent))
        {
            return Err(Error::invalid_input(format!(
                "vm_overhead_percent must be between 0 and 50 (default {DEFAULT_VM_OVERHEAD_PERCENT}), got {}",
                self.vm_overhead_percent
            ))
            .at("allocatable"));
        }
        if self.max_pods_cap == 0 || self.max_pods_override == Some(0) {
            return Err(Error::invalid_input(
                "max pods must be at least 1 (the kubelet default is 110)",
            )
            .at("allocatable"));
        }
        Ok(())
    }

    /// Max pods for `t` under this model.
    pub fn max_pods(&self, t: &InstanceType) -> u32 {
        self.max_pods_override
            .unwrap_or_else(|| eni_max_pods(t.max_enis, t.ipv4_per_eni).min(self.max_pods_cap))
    }

    /// The allocatable resources of one node of type `t`.
    pub fn allocatable(&self, t: &InstanceType) -> Result<Allocatable> {
        self.validate()?;
        let max_pods = self.max_pods(t);
        let cap_cpu = u64::from(t.vcpu) * 1000;
        let cap_mem = t.memory_mib;
        let vm = (cap_mem as f64 * self.vm_overhead_percent / 100.0 - 1e-9)
            .ceil()
            .max(0.0) as u64;
        let kr_cpu = kube_reserved_cpu_millis(t.vcpu);
        let kr_mem = kube_reserved_memory_mib(max_pods);
        let alloc_cpu = cap_cpu.saturating_sub(kr_cpu + self.system_reserved_cpu_millis);
        let alloc_mem =
            cap_mem.saturating_sub(vm + kr_mem + self.system_reserved_mib + self.eviction_mib);
        let ds = &self.daemonsets;
        let pod_cpu = alloc_cpu.saturating_sub(ds.cpu_millis);
        let pod_mem = alloc_mem.saturating_sub(ds.memory_mib);
        let slots = max_pods.saturating_sub(ds.pods);
        let pods_rule = match self.max_pods_override {
            Some(n) => format!("max pods {n} (override)"),
            None => format!(
                "max pods = min({} ENIs × ({} IPv4 − 1) + 2, cap {}) = {max_pods}",
                t.max_enis, t.ipv4_per_eni, self.max_pods_cap
            ),
        };
        let explanation = vec![
            pods_rule,
            format!(
                "CPU {cap_cpu}m − kube-reserved {kr_cpu}m (6%/1%/0.5%/0.25% per core) − \
                 system-reserved {}m = {alloc_cpu}m allocatable",
                self.system_reserved_cpu_millis
            ),
            format!(
                "memory {cap_mem} MiB − VM overhead {vm} MiB ({}%) − kube-reserved {kr_mem} MiB \
                 (11 × {max_pods} + 255) − system-reserved {} MiB − eviction {} MiB = {alloc_mem} MiB \
                 allocatable",
                self.vm_overhead_percent, self.system_reserved_mib, self.eviction_mib
            ),
            format!(
                "DaemonSets take {}m CPU, {} MiB, {} pod(s): {pod_cpu}m, {pod_mem} MiB and {slots} \
                 pod slots left for the app",
                ds.cpu_millis, ds.memory_mib, ds.pods
            ),
        ];
        Ok(Allocatable {
            instance_type: t.name.clone(),
            max_pods,
            capacity_cpu_millis: cap_cpu,
            capacity_memory_mib: cap_mem,
            vm_overhead_mib: vm,
            kube_reserved_cpu_millis: kr_cpu,
            kube_reserved_mib: kr_mem,
            system_reserved_cpu_millis: self.system_reserved_cpu_millis,
            system_reserved_mib: self.system_reserved_mib,
            eviction_mib: self.eviction_mib,
            allocatable_cpu_millis: alloc_cpu,
            allocatable_memory_mib: alloc_mem,
            pod_cpu_millis: pod_cpu,
            pod_memory_mib: pod_mem,
            pod_slots: slots,
            explanation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::catalog::Catalog;

    #[test]
    fn reference_check_values() {
        assert_eq!(kube_reserved_memory_mib(110), 1465);
        assert_eq!(kube_reserved_memory_mib(44), 739);
        assert_eq!(kube_reserved_cpu_millis(2), 70);
        assert_eq!(kube_reserved_cpu_millis(1), 60);
        assert_eq!(kube_reserved_cpu_millis(4), 80);
        assert_eq!(kube_reserved_cpu_millis(8), 90);
        assert_eq!(kube_reserved_cpu_millis(5), 83); // 82.5 rounded up
        assert_eq!(eni_max_pods(3, 10), 29);
        assert_eq!(eni_max_pods(8, 30), 234);
    }

    #[test]
    fn m7i_large_allocatable() {
        let c = Catalog::builtin("us-east-1").unwrap();
        let a = AllocatableModel::default()
            .allocatable(c.get("m7i.large").unwrap())
            .unwrap();
        // 8192 − ceil(614.4)=615 − (11×29+255=574) − 100 = 6903
        assert_eq!(a.max_pods, 29);
        assert_eq!(a.vm_overhead_mib, 615);
        assert_eq!(a.kube_reserved_mib, 574);
        assert_eq!(a.allocatable_memory_mib, 6903);
        assert_eq!(a.allocatable_cpu_millis, 1930);
        assert_eq!(a.pod_cpu_millis, 1805);
        assert_eq!(a.pod_slots, 27);
        let big = AllocatableModel::default()
            .allocatable(c.get("m7i.8xlarge").unwrap())
            .unwrap();
        assert_eq!(big.max_pods, 110);
        assert_eq!(big.kube_reserved_mib, 1465);
        let over = AllocatableModel {
            max_pods_override: Some(44),
            vm_overhead_percent: 0.0,
            ..AllocatableModel::default()
        }
        .allocatable(c.get("m7i.large").unwrap())
        .unwrap();
        assert_eq!(over.kube_reserved_mib, 739);
        assert_eq!(over.allocatable_memory_mib, 8192 - 739 - 100);
        let bad = AllocatableModel {
            vm_overhead_percent: 80.0,
            ..AllocatableModel::default()
        };
        assert!(bad.allocatable(c.get("m7i.large").unwrap()).is_err());
    }
}

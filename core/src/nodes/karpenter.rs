//! Karpenter configuration for a node plan: a `NodePool` (karpenter.sh/v1) whose requirements
//! restrict instance types to the plan's choices plus a few close alternatives (same vCPU and
//! memory, same architecture, at most 15% dearer — so Karpenter can still launch when a type is
//! short in a zone), and the `EC2NodeClass` (karpenter.k8s.aws/v1) it refers to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nodes::catalog::{Catalog, CatalogFilter, InstanceType};
use crate::nodes::pack::Plan;

/// How close an alternative's price must be: at most this factor of the chosen type's price.
pub const ALTERNATIVE_PRICE_FACTOR: f64 = 1.15;

/// Inputs of [`karpenter_config`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KarpenterOptions {
    /// EKS cluster name (used in the discovery tags and the default node role).
    pub cluster_name: String,
    /// Name of the NodePool and the EC2NodeClass.
    pub name: String,
    /// IAM role of the nodes; default `KarpenterNodeRole-<cluster>`.
    pub node_role: Option<String>,
    /// Alternatives per chosen type (default 2).
    pub alternatives: usize,
    /// Capacity types (`on-demand`, `spot`); default on-demand.
    pub capacity_types: Vec<String>,
    /// Filter the alternatives must pass (default: the plan's default filter).
    pub filter: CatalogFilter,
}

impl Default for KarpenterOptions {
    fn default() -> Self {
        KarpenterOptions {
            cluster_name: "dynoshift".into(),
            name: "dynoshift".into(),
            node_role: None,
            alternatives: 2,
            capacity_types: vec!["on-demand".into()],
            filter: CatalogFilter::default(),
        }
    }
}

/// `metadata` of a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// Object name.
    pub name: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A node selector requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, ...
    pub operator: String,
    /// Values.
    pub values: Vec<String>,
}

/// Reference to the node class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeClassRef {
    /// `karpenter.k8s.aws`.
    pub group: String,
    /// `EC2NodeClass`.
    pub kind: String,
    /// Its name.
    pub name: String,
}

/// NodePool `spec.template.spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeClaimSpec {
    /// The node class.
    pub node_class_ref: NodeClassRef,
    /// Scheduling requirements.
    pub requirements: Vec<Requirement>,
    /// Node lifetime before replacement.
    pub expire_after: String,
}

/// NodePool `spec.template`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeClaimTemplate {
    /// Labels put on nodes.
    pub metadata: TemplateMeta,
    /// The node claim spec.
    pub spec: NodeClaimSpec,
}

/// Labels of the template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateMeta {
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// NodePool `spec.disruption`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disruption {
    /// `WhenEmptyOrUnderutilized`.
    pub consolidation_policy: String,
    /// Wait before consolidating.
    pub consolidate_after: String,
}

/// NodePool `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodePoolSpec {
    /// The node template.
    pub template: NodeClaimTemplate,
    /// Ceiling on the pool's total resources.
    pub limits: BTreeMap<String, String>,
    /// Consolidation.
    pub disruption: Disruption,
}

/// A Karpenter NodePool (karpenter.sh/v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// `karpenter.sh/v1`.
    pub api_version: String,
    /// `NodePool`.
    pub kind: String,
    /// Name and labels.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: NodePoolSpec,
}

/// A selector term by tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagSelector {
    /// Tags to match.
    pub tags: BTreeMap<String, String>,
}

/// An AMI selector term by alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmiSelector {
    /// e.g. `al2023@latest`.
    pub alias: String,
}

/// EC2NodeClass `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ec2NodeClassSpec {
    /// Node IAM role.
    pub role: String,
    /// AMI family by alias.
    pub ami_selector_terms: Vec<AmiSelector>,
    /// Subnets by discovery tag.
    pub subnet_selector_terms: Vec<TagSelector>,
    /// Security groups by discovery tag.
    pub security_group_selector_terms: Vec<TagSelector>,
}

/// A Karpenter EC2NodeClass (karpenter.k8s.aws/v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ec2NodeClass {
    /// `karpenter.k8s.aws/v1`.
    pub api_version: String,
    /// `EC2NodeClass`.
    pub kind: String,
    /// Name.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: Ec2NodeClassSpec,
}

/// The Karpenter objects for a plan, and their YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KarpenterConfig {
    /// The NodePool.
    pub node_pool: NodePool,
    /// The EC2NodeClass.
    pub node_class: Ec2NodeClass,
    /// Instance types the plan chose.
    pub chosen_types: Vec<String>,
    /// Close alternatives added.
    pub alternative_types: Vec<String>,
    /// Both objects as a multi-document YAML stream.
    pub yaml: String,
}

fn alternatives_for<'a>(
    chosen: &InstanceType,
    pool: &'a [InstanceType],
    taken: &[String],
    n: usize,
) -> Vec<&'a InstanceType> {
    let mut c: Vec<&InstanceType> = pool
        .iter()
        .filter(|t| {
            t.arch == chosen.arch
                && t.vcpu == chosen.vcpu
                && t.memory_mib == chosen.memory_mib
                && t.usd_per_hour <= chosen.usd_per_hour * ALTERNATIVE_PRICE_FACTOR + 1e-12
                && !taken.contains(&t.name)
        })
        .collect();
    c.sort_by(|a, b| a.usd_per_hour.total_cmp(&b.usd_per_hour));
    c.truncate(n);
    c
}

/// Builds the NodePool and EC2NodeClass for `plan`. Its types must be in `catalog`
/// (`invalid_input` otherwise). The pool's limits are twice the plan's total vCPU and memory,
/// room for surges and consolidation swaps but a ceiling on runaway scaling.
pub fn karpenter_config(
    plan: &Plan,
    catalog: &Catalog,
    options: &KarpenterOptions,
) -> Result<KarpenterConfig> {
    if options.cluster_name.trim().is_empty() || options.name.trim().is_empty() {
        return Err(
            Error::invalid_input("cluster_name and name must not be empty").at("karpenter"),
        );
    }
    // the NodePool and EC2NodeClass are named `name`, and Karpenter labels every node with it
    // (karpenter.sh/nodepool), so it must be a DNS-1123 label or the API server refuses both
    if !crate::manifests::dns_label(&options.name) {
        return Err(Error::invalid_input(format!(
            "name {:?} is not a Kubernetes object name: use at most 63 lower-case letters, \
             digits and '-', starting and ending with a letter or digit (e.g. \"web-nodes\")",
            options.name
        ))
        .at("karpenter"));
    }
    // the EC2NodeClass CRD refuses an empty role ("role cannot be empty")
    if options
        .node_role
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(Error::invalid_input(
            "node_role must not be empty: give the IAM role of the nodes, or leave it out for \
             KarpenterNodeRole-<cluster_name>",
        )
        .at("karpenter"));
    }
    let pool = catalog.filtered(&options.filter).unwrap_or_default();
    let mut chosen = Vec::new();
    for name in plan.instance_types() {
        let t = catalog.get(&name).ok_or_else(|| {
            Error::invalid_input(format!(
                "the plan uses {name}, which is not in the {} catalog; give the catalog the plan \
                 was made with",
                catalog.region
            ))
        })?;
        chosen.push(t.clone());
    }
    let mut names: Vec<String> = chosen.iter().map(|t| t.name.clone()).collect();
    let mut alternatives = Vec::new();
    for t in &chosen {
        for alt in alternatives_for(t, &pool, &names, options.alternatives) {
            names.push(alt.name.clone());
            alternatives.push(alt.name.clone());
        }
    }
    let mut archs: Vec<&str> = chosen.iter().map(|t| t.arch.kubernetes_label()).collect();
    archs.sort_unstable();
    archs.dedup();
    let (mut vcpu, mut mem_gib) = (0u64, 0u64);
    for t in &plan.types {
        if let Some(it) = catalog.get(&t.instance_type) {
            vcpu += u64::from(it.vcpu) * u64::from(t.count);
            mem_gib += it.memory_mib.div_ceil(1024) * u64::from(t.count);
        }
    }
    let labels: BTreeMap<String, String> = [(
        "app.kubernetes.io/managed-by".to_owned(),
        "dynoshift".to_owned(),
    )]
    .into();
    let discovery: BTreeMap<String, String> = [(
        "karpenter.sh/discovery".to_owned(),
        options.cluster_name.clone(),
    )]
    .into();
    let node_pool = NodePool {
        api_version: "karpenter.sh/v1".into(),
        kind: "NodePool".into(),
        metadata: ObjectMeta {
            name: options.name.clone(),
            labels: labels.clone(),
        },
        spec: NodePoolSpec {
            template: NodeClaimTemplate {
                metadata: TemplateMeta {
                    labels: labels.clone(),
                },
                spec: NodeClaimSpec {
                    node_class_ref: NodeClassRef {
                        group: "karpenter.k8s.aws".into(),
                        kind: "EC2NodeClass".into(),
                        name: options.name.clone(),
                    },
                    requirements: vec![
                        Requirement {
                            key: "node.kubernetes.io/instance-type".into(),
                            operator: "In".into(),
                            values: names.clone(),
                        },
                        Requirement {
                            key: "kubernetes.io/arch".into(),
                            operator: "In".into(),
                            values: archs.iter().map(|s| (*s).to_owned()).collect(),
                        },
                        Requirement {
                            key: "karpenter.sh/capacity-type".into(),
                            operator: "In".into(),
                            values: options.capacity_types.clone(),
                        },
                        Requirement {
                            key: "kubernetes.io/os".into(),
                            operator: "In".into(),
                            values: vec!["linux".into()],
                        },
                    ],
                    expire_after: "720h".into(),
                },
            },
            limits: [
                ("cpu".to_owned(), (vcpu * 2).max(2).to_string()),
                ("memory".to_owned(), format!("{}Gi", (mem_gib * 2).max(4))),
            ]
            .into(),
            disruption: Disruption {
                consolidation_policy: "WhenEmptyOrUnderutilized".into(),
                consolidate_after: "1m".into(),
            },
        },
    };
    let node_class = Ec2NodeClass {
        api_version: "karpenter.k8s.aws/v1".into(),
        kind: "EC2NodeClass".into(),
        metadata: ObjectMeta {
            name: options.name.clone(),
            labels,
        },
        spec: Ec2NodeClassSpec {
            role: options
                .node_role
                .clone()
                .unwrap_or_else(|| format!("KarpenterNodeRole-{}", options.cluster_name)),
            ami_selector_terms: vec![AmiSelector {
                alias: "al2023@latest".into(),
            }],
            subnet_selector_terms: vec![TagSelector {
                tags: discovery.clone(),
            }],
            security_group_selector_terms: vec![TagSelector { tags: discovery }],
        },
    };
    let yaml_err = |e: serde_yaml_ng::Error| Error::internal(format!("YAML rendering failed: {e}"));
    let yaml = format!(
        "# Karpenter NodePool and EC2NodeClass generated by dynoshift.\n\
         # Plan: {} node(s), ${:.2}/month on-demand; chosen types: {}; close alternatives: {}.\n\
         ---\n{}---\n{}",
        plan.node_count,
        plan.monthly_usd,
        chosen
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        if alternatives.is_empty() {
            "none".to_owned()
        } else {
            alternatives.join(", ")
        },
        serde_yaml_ng::to_string(&node_pool).map_err(yaml_err)?,
        serde_yaml_ng::to_string(&node_class).map_err(yaml_err)?,
    );
    Ok(KarpenterConfig {
        node_pool,
        node_class,
        chosen_types: chosen.into_iter().map(|t| t.name).collect(),
        alternative_types: alternatives,
        yaml,
    })
}

/// Parses a multi-document YAML stream back into a NodePool and an EC2NodeClass (in either
/// order). Anything else is `invalid_input`.
pub fn parse_karpenter_yaml(text: &str) -> Result<(NodePool, Ec2NodeClass)> {
    let mut pool = None;
    let mut class = None;
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let value = serde_yaml_ng::Value::deserialize(doc)
            .map_err(|e| Error::invalid_input(format!("not valid YAML: {e}")))?;
        if value.is_null() {
            continue;
        }
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_owned();
        let bad = |e: serde_yaml_ng::Error| Error::invalid_input(format!("{kind}: {e}"));
        match kind.as_str() {
            "NodePool" => pool = Some(serde_yaml_ng::from_value(value).map_err(bad)?),
            "EC2NodeClass" => class = Some(serde_yaml_ng::from_value(value).map_err(bad)?),
            other => {
                return Err(Error::invalid_input(format!(
                    "unexpected document of kind {other:?}; expected NodePool and EC2NodeClass"
                )));
            }
        }
    }
    match (pool, class) {
        (Some(p), Some(c)) => Ok((p, c)),
        _ => Err(Error::invalid_input(
            "the YAML must hold one NodePool and one EC2NodeClass",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::pack::{PlanOptions, PodGroup, plan_nodes};

    #[test]
    fn yaml_parses_back_and_restricts_types() {
        let catalog = Catalog::builtin("us-east-1").unwrap();
        let pods = [
            PodGroup {
                process_type: "web".into(),
                replicas: 4,
                cpu_millis: 500,
                memory_mib: 1024,
            },
            PodGroup {
                process_type: "worker".into(),
                replicas: 2,
                cpu_millis: 250,
                memory_mib: 512,
            },
        ];
        let plan = plan_nodes(&pods, &catalog, &PlanOptions::default()).unwrap();
        let cfg = karpenter_config(&plan, &catalog, &KarpenterOptions::default()).unwrap();
        let (pool, class) = parse_karpenter_yaml(&cfg.yaml).unwrap();
        assert_eq!(pool, cfg.node_pool);
        assert_eq!(class, cfg.node_class);
        let types = &pool.spec.template.spec.requirements[0].values;
        for t in plan.instance_types() {
            assert!(types.contains(&t), "{t} missing from {types:?}");
        }
        assert!(!cfg.alternative_types.is_empty(), "{:?}", cfg.chosen_types);
        for alt in &cfg.alternative_types {
            let a = catalog.get(alt).unwrap();
            let close = cfg.chosen_types.iter().any(|c| {
                let c = catalog.get(c).unwrap();
                c.vcpu == a.vcpu && c.memory_mib == a.memory_mib && c.arch == a.arch
            });
            assert!(close, "{alt} is not close to any chosen type");
        }
        assert!(parse_karpenter_yaml("kind: Deployment\n").is_err());
        let bad = KarpenterOptions {
            cluster_name: " ".into(),
            ..KarpenterOptions::default()
        };
        assert!(karpenter_config(&plan, &catalog, &bad).is_err());
        // names the API server would refuse, and an empty role the EC2NodeClass CRD refuses
        for name in ["Shop_Web", "web nodes", "-web", &"a".repeat(64)] {
            let bad = KarpenterOptions {
                name: name.into(),
                ..KarpenterOptions::default()
            };
            let err = karpenter_config(&plan, &catalog, &bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{name}");
            assert!(err.to_string().contains("lower-case"), "{err}");
        }
        let bad = KarpenterOptions {
            node_role: Some(" ".into()),
            ..KarpenterOptions::default()
        };
        assert!(karpenter_config(&plan, &catalog, &bad).is_err());
        let ok = KarpenterOptions {
            name: "web-nodes".into(),
            node_role: Some("shop-nodes".into()),
            ..KarpenterOptions::default()
        };
        assert!(karpenter_config(&plan, &catalog, &ok).is_ok());
    }
}

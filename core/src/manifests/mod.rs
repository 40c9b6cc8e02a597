//! Kubernetes manifests from a [`SizingReport`]: per process type a Deployment (container
//! resources, replicas, the dyno's command), a HorizontalPodAutoscaler (`autoscaling/v2`) where
//! the sizing autoscales, and a PodDisruptionBudget, as typed objects rendered to multi-document
//! YAML (and parsed back by [`from_yaml`]).
//!
//! The objects are small typed serde structs with the Kubernetes field names (only the fields
//! dynoshift writes), which keeps the crate free of the large `k8s-openapi`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sizing::{ProcessSizing, SizingReport};

/// `metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    /// `name`.
    pub name: String,
    /// `namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `labels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `annotations` (dynoshift puts each number's rule here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `selector`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub match_labels: BTreeMap<String, String>,
}

/// `resources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirements {
    /// `requests` (`cpu: 250m`, `memory: 512Mi`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, String>,
    /// `limits`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
}

/// `env[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
}

/// `ports[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    /// `name`.
    pub name: String,
    /// `containerPort`.
    pub container_port: u16,
}

/// `containers[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `image`.
    pub image: String,
    /// `command` (the dyno's command through `/bin/sh -c`, so `$PORT` expands as on Heroku).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// `env`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// `ports`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// `resources`.
    pub resources: ResourceRequirements,
}

/// `template.spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    /// `containers`.
    pub containers: Vec<Container>,
}

/// `template.metadata` (labels only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateMeta {
    /// `labels`.
    pub labels: BTreeMap<String, String>,
}

/// `template`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateSpec {
    /// `metadata`.
    pub metadata: TemplateMeta,
    /// `spec`.
    pub spec: PodSpec,
}

/// Deployment `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentSpec {
    /// `replicas`.
    pub replicas: u32,
    /// `selector`.
    pub selector: LabelSelector,
    /// `template`.
    pub template: PodTemplateSpec,
}

/// `apps/v1` Deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    /// `apps/v1`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: DeploymentSpec,
}

/// `scaleTargetRef`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrossVersionObjectReference {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `name`.
    pub name: String,
}

/// `metrics[].resource.target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricTarget {
    /// `Utilization`.
    #[serde(rename = "type")]
    pub target_type: String,
    /// `averageUtilization`, percent of the request.
    pub average_utilization: u32,
}

/// `metrics[].resource`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceMetricSource {
    /// `cpu`.
    pub name: String,
    /// `target`.
    pub target: MetricTarget,
}

/// `metrics[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricSpec {
    /// `Resource`.
    #[serde(rename = "type")]
    pub metric_type: String,
    /// `resource`.
    pub resource: ResourceMetricSource,
}

/// HPA `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HpaSpec {
    /// `scaleTargetRef`.
    pub scale_target_ref: CrossVersionObjectReference,
    /// `minReplicas`.
    pub min_replicas: u32,
    /// `maxReplicas`.
    pub max_replicas: u32,
    /// `metrics`.
    pub metrics: Vec<MetricSpec>,
}

/// `autoscaling/v2` HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HorizontalPodAutoscaler {
    /// `autoscaling/v2`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: HpaSpec,
}

/// An `int-or-string` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// A count.
    Int(i32),
    /// A percentage such as `"25%"`.
    String(String),
}

/// PDB `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbSpec {
    /// `maxUnavailable`.
    pub max_unavailable: IntOrString,
    /// `selector`.
    pub selector: LabelSelector,
}

/// `policy/v1` PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodDisruptionBudget {
    /// `policy/v1`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: PdbSpec,
}

/// One Kubernetes object (the `kind` field selects the variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Manifest {
    /// `apps/v1` Deployment.
    Deployment(Deployment),
    /// `autoscaling/v2` HorizontalPodAutoscaler.
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    /// `policy/v1` PodDisruptionBudget.
    PodDisruptionBudget(PodDisruptionBudget),
}

impl Manifest {
    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Manifest::Deployment(d) => &d.metadata,
            Manifest::HorizontalPodAutoscaler(h) => &h.metadata,
            Manifest::PodDisruptionBudget(p) => &p.metadata,
        }
    }
}

/// Inputs of [`build`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManifestOptions {
    /// Container image (required), e.g. `registry.example.com/myapp:v42`.
    pub image: String,
    /// Namespace of every object (default `default`).
    pub namespace: String,
    /// App name: objects are named `<app>-<process type>` (default `app`).
    pub app: String,
    /// Port web listens on; set as `$PORT` as on Heroku (default 5000).
    pub port: u16,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            image: String::new(),
            namespace: "default".into(),
            app: "app".into(),
            port: 5000,
        }
    }
}

impl ManifestOptions {
    /// Parses options from JSON (`{"image": ..., "namespace": ..., "app": ..., "port": ...}`;
    /// missing fields take their defaults, unknown ones are refused as `invalid_input`).
    pub fn from_json(text: &str) -> Result<ManifestOptions> {
        serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!(
                "the manifest options are not valid ({e}); fields: image (required), namespace, \
                 app, port"
            ))
        })
    }
}

/// A DNS-1123 label: lower-case letters, digits and `-`, starting and ending alphanumeric.
fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn k8s_name(app: &str, process_type: &str) -> String {
    let ty: String = process_type
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .collect();
    let name = format!("{app}-{ty}");
    name.trim_matches('-').chars().take(63).collect::<String>()
}

const ANNOTATION: &str = "dynoshift.dev";

/// Builds the objects for every process type of `report`: a Deployment each, an HPA where the
/// sizing autoscales, a PodDisruptionBudget (`maxUnavailable: 1`) for each Deployment with at
/// least one replica. A missing image or an invalid namespace/app name is `invalid_input`.
pub fn build(report: &SizingReport, options: &ManifestOptions) -> Result<Vec<Manifest>> {
    if options.image.trim().is_empty() || options.image.chars().any(char::is_whitespace) {
        return Err(Error::invalid_input(
            "a container image is required (e.g. registry.example.com/myapp:v42), without spaces",
        )
        .at("image"));
    }
    if !dns_label(&options.namespace) {
        return Err(Error::invalid_input(format!(
            "namespace {:?} is not a valid Kubernetes name: use lower-case letters, digits and \
             '-' (at most 63)",
            options.namespace
        ))
        .at("namespace"));
    }
    if !dns_label(&options.app) || options.app.len() > 40 {
        return Err(Error::invalid_input(format!(
            "app name {:?} is not valid: use lower-case letters, digits and '-' (at most 40)",
            options.app
        ))
        .at("app"));
    }
    if options.port == 0 {
        return Err(Error::invalid_input("port must be 1..=65535").at("port"));
    }
    let mut out = Vec::new();
    for p in &report.processes {
        out.extend(objects(p, report, options));
    }
    Ok(out)
}

fn objects(p: &ProcessSizing, report: &SizingReport, o: &ManifestOptions) -> Vec<Manifest> {
    let name = k8s_name(&o.app, &p.process_type);
    let mut selector = BTreeMap::new();
    selector.insert("app.kubernetes.io/name".to_owned(), o.app.clone());
    selector.insert("app.kubernetes.io/component".to_owned(), name.clone());
    let mut labels = selector.clone();
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        "dynoshift".to_owned(),
    );
    let meta = |annotations: BTreeMap<String, String>| ObjectMeta {
        name: name.clone(),
        namespace: Some(o.namespace.clone()),
        labels: labels.clone(),
        annotations,
    };
    let mut requests = BTreeMap::new();
    requests.insert(
        "cpu".to_owned(),
        format!("{}m", p.cpu_request_millicores.value),
    );
    requests.insert(
        "memory".to_owned(),
        format!("{}Mi", p.memory_request_mib.value),
    );
    let mut limits = BTreeMap::new();
    limits.insert(
        "memory".to_owned(),
        format!("{}Mi", p.memory_limit_mib.value),
    );
    if let Some(l) = &p.cpu_limit_millicores {
        limits.insert("cpu".to_owned(), format!("{}m", l.value));
    }
    let web = p.process_type == "web";
    let mut annotations = BTreeMap::new();
    let mut note = |key: &str, text: &str| {
        annotations.insert(format!("{ANNOTATION}/{key}"), text.to_owned());
    };
    note("strategy", report.strategy.as_str());
    note("heroku-dyno", &format!("{} x{}", p.dyno_size, p.quantity));
    note("cpu-request", &p.cpu_request_millicores.explanation.rule);
    note("memory", &p.memory_limit_mib.explanation.rule);
    note("replicas", &p.replicas.explanation.rule);
    if p.command.is_none() {
        note(
            "command",
            "the formation gave no command: the image's default process runs",
        );
    }
    let container = Container {
        name: k8s_name("", &p.process_type),
        image: o.image.clone(),
        command: p
            .command
            .as_ref()
            .map(|c| vec!["/bin/sh".to_owned(), "-c".to_owned(), c.clone()])
            .unwrap_or_default(),
        env: if web {
            vec![EnvVar {
                name: "PORT".into(),
                value: o.port.to_string(),
            }]
        } else {
            vec![]
        },
        ports: if web {
            vec![ContainerPort {
                name: "http".into(),
                container_port: o.port,
            }]
        } else {
            vec![]
        },
        resources: ResourceRequirements { requests, limits },
    };
    let mut out = vec![Manifest::Deployment(Deployment {
        api_version: "apps/v1".into(),
        metadata: meta(annotations),
        spec: DeploymentSpec {
            replicas: p.replicas.value,
            selector: LabelSelector {
                match_labels: selector.clone(),
            },
            template: PodTemplateSpec {
                metadata: TemplateMeta {
                    labels: labels.clone(),
                },
                spec: PodSpec {
                    containers: vec![container],
                },
            },
        },
    })];
    if let Some(h) = &p.hpa {
        let mut ann = BTreeMap::new();
        ann.insert(
            format!("{ANNOTATION}/min-replicas"),
            h.min_replicas.explanation.rule.clone(),
        );
        ann.insert(
            format!("{ANNOTATION}/max-replicas"),
            h.max_replicas.explanation.rule.clone(),
        );
        out.push(Manifest::HorizontalPodAutoscaler(HorizontalPodAutoscaler {
            api_version: "autoscaling/v2".into(),
            metadata: meta(ann),
            spec: HpaSpec {
                scale_target_ref: CrossVersionObjectReference {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    name: name.clone(),
                },
                min_replicas: h.min_replicas.value.max(1),
                max_replicas: h.max_replicas.value.max(h.min_replicas.value.max(1)),
                metrics: vec![MetricSpec {
                    metric_type: "Resource".into(),
                    resource: ResourceMetricSource {
                        name: "cpu".into(),
                        target: MetricTarget {
                            target_type: "Utilization".into(),
                            average_utilization: h.target_cpu_utilization_percent.value,
                        },
                    },
                }],
            },
        }));
    }
    if p.replicas.value > 0 {
        out.push(Manifest::PodDisruptionBudget(PodDisruptionBudget {
            api_version: "policy/v1".into(),
            metadata: meta(BTreeMap::new()),
            spec: PdbSpec {
                max_unavailable: IntOrString::Int(1),
                selector: LabelSelector {
                    match_labels: selector,
                },
            },
        }));
    }
    out
}

/// Renders objects as multi-document YAML (`---` between documents).
pub fn to_yaml(manifests: &[Manifest]) -> Result<String> {
    let mut out = String::new();
    for m in manifests {
        let doc = serde_yaml_ng::to_string(m)
            .map_err(|e| Error::internal(format!("rendering YAML failed: {e}")))?;
        out.push_str("---\n");
        out.push_str(&doc);
    }
    Ok(out)
}

/// [`build`] then [`to_yaml`]: the multi-document YAML of every object for `report`. When an
/// input of the report was damaged, the YAML starts with one `# dynoshift: warning: ...`
/// comment per damaged input, so that the warning travels with the manifests.
pub fn render(report: &SizingReport, options: &ManifestOptions) -> Result<String> {
    let mut out = String::new();
    for w in report.input_warnings() {
        out.push_str("# dynoshift: warning: ");
        out.push_str(&w.replace(['\n', '\r'], " "));
        out.push('\n');
    }
    out.push_str(&to_yaml(&build(report, options)?)?);
    Ok(out)
}

/// [`from_yaml`], as the JSON array of the objects (Kubernetes field names, `kind` included).
pub fn from_yaml_to_json(text: &str) -> Result<String> {
    serde_json::to_string(&from_yaml(text)?)
        .map_err(|e| Error::internal(format!("writing the objects as JSON failed: {e}")))
}

/// Parses multi-document YAML written by [`to_yaml`] (or by hand) back into objects. A document
/// of another kind, or with fields dynoshift does not model, is `invalid_input`.
pub fn from_yaml(text: &str) -> Result<Vec<Manifest>> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = serde_yaml_ng::Value::deserialize(doc).map_err(|e| {
            Error::invalid_input(format!("document {} is not valid YAML: {e}", i + 1))
        })?;
        if value.is_null() {
            continue;
        }
        let m: Manifest = serde_yaml_ng::from_value(value).map_err(|e| {
            Error::invalid_input(format!(
                "document {} is not a Deployment, HorizontalPodAutoscaler or \
                 PodDisruptionBudget that dynoshift models: {e}",
                i + 1
            ))
        })?;
        out.push(m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

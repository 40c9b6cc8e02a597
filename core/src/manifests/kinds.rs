//! The objects around the Deployments that make the app reachable and configured: probes and
//! the preStop pause of a container, a Service and an ALB Ingress for web, the config Secret
//! and the release Job. Typed serde structs with the Kubernetes field names, as in the parent
//! module (only the fields dynoshift writes; unknown fields refused when parsed back).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConfigVars, IntOrString, ObjectMeta, PodTemplateSpec};

/// `tcpSocket`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpSocketAction {
    /// `port` (the container port's name).
    pub port: IntOrString,
}

/// `httpGet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpGetAction {
    /// `path`.
    pub path: String,
    /// `port` (the container port's name).
    pub port: IntOrString,
}

/// A container probe: exactly one of `tcpSocket` / `httpGet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    /// `tcpSocket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<TcpSocketAction>,
    /// `httpGet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGetAction>,
    /// `periodSeconds`.
    pub period_seconds: u32,
    /// `timeoutSeconds`.
    pub timeout_seconds: u32,
    /// `failureThreshold`.
    pub failure_threshold: u32,
}

/// `lifecycle.preStop.sleep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SleepAction {
    /// `seconds`.
    pub seconds: u32,
}

/// `lifecycle.preStop`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleHandler {
    /// `sleep` (Kubernetes' own pause: nothing needed in the image).
    pub sleep: SleepAction,
}

/// `lifecycle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lifecycle {
    /// `preStop`.
    pub pre_stop: LifecycleHandler,
}

/// `envFrom[].secretRef`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretEnvSource {
    /// `name`.
    pub name: String,
}

/// `envFrom[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvFromSource {
    /// `secretRef`.
    pub secret_ref: SecretEnvSource,
}

/// `ports[]` of a Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    /// `name`.
    pub name: String,
    /// `port`.
    pub port: u16,
    /// `targetPort` (the container port's name).
    pub target_port: IntOrString,
}

/// Service `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    /// `type` (`ClusterIP`: the ALB reaches the pods directly, `ip` targets).
    #[serde(rename = "type")]
    pub service_type: String,
    /// `selector`.
    pub selector: BTreeMap<String, String>,
    /// `ports`.
    pub ports: Vec<ServicePort>,
}

/// `v1` Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// `v1`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: ServiceSpec,
}

/// `backend.service.port`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceBackendPort {
    /// `name`.
    pub name: String,
}

/// `backend.service`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressServiceBackend {
    /// `name`.
    pub name: String,
    /// `port`.
    pub port: ServiceBackendPort,
}

/// `backend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressBackend {
    /// `service`.
    pub service: IngressServiceBackend,
}

/// `http.paths[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpIngressPath {
    /// `path`.
    pub path: String,
    /// `pathType`.
    pub path_type: String,
    /// `backend`.
    pub backend: IngressBackend,
}

/// `rules[].http`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpIngressRuleValue {
    /// `paths`.
    pub paths: Vec<HttpIngressPath>,
}

/// `rules[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    /// `host` (none: any host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `http`.
    pub http: HttpIngressRuleValue,
}

/// Ingress `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSpec {
    /// `ingressClassName` (`alb`: the AWS Load Balancer Controller).
    pub ingress_class_name: String,
    /// `rules`, one per custom domain.
    pub rules: Vec<IngressRule>,
}

/// `networking.k8s.io/v1` Ingress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    /// `networking.k8s.io/v1`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: IngressSpec,
}

/// `v1` Secret (`type: Opaque`, the values as `stringData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    /// `v1`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `type`.
    #[serde(rename = "type")]
    pub secret_type: String,
    /// `stringData`: config var name → value (written only when the values were asked for);
    /// `Debug` shows the names only.
    pub string_data: ConfigVars,
}

/// Job `spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSpec {
    /// `backoffLimit` (0: a failed release is not retried, as on Heroku).
    pub backoff_limit: u32,
    /// `template`.
    pub template: PodTemplateSpec,
}

/// `batch/v1` Job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Job {
    /// `batch/v1`.
    pub api_version: String,
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: JobSpec,
}

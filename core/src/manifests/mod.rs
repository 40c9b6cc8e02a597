//! Kubernetes manifests from a [`SizingReport`]: the whole app, not only its sizes. Per process
//! type with dynos a Deployment (the dyno's command, the sized resources, Heroku's shutdown
//! rules, probes for web), a HorizontalPodAutoscaler (`autoscaling/v2`) where the sizing
//! autoscales and a PodDisruptionBudget; for web a Service and an Ingress for the AWS Load
//! Balancer Controller with the custom domains as rules; a Secret with the config vars; the
//! `release` process as a Job. Typed objects rendered to multi-document YAML (parsed back by
//! [`from_yaml`]) or to a kustomize directory ([`ManifestSet::files`]).
//!
//! The objects are small typed serde structs with the Kubernetes field names (only the fields
//! dynoshift writes), which keeps the crate free of the large `k8s-openapi`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sizing::{ProcessSizing, SizingReport};

mod app;
mod kinds;

pub use app::{ConfigVars, ManifestSet};
pub use kinds::*;

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
    /// `envFrom` (the config Secret).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<EnvFromSource>,
    /// `ports`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// `resources`.
    pub resources: ResourceRequirements,
    /// `startupProbe` (web: Heroku's 60 s boot window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    /// `readinessProbe` (web).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// `livenessProbe` (only when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    /// `lifecycle` (web: a preStop pause while the load balancer deregisters the pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
}

/// `template.spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    /// `containers`.
    pub containers: Vec<Container>,
    /// `terminationGracePeriodSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<u32>,
    /// `restartPolicy` (`Never` for the release Job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
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
    /// `v1` Service (web).
    Service(Service),
    /// `networking.k8s.io/v1` Ingress (web, AWS Load Balancer Controller).
    Ingress(Ingress),
    /// `v1` Secret (the config vars).
    Secret(Secret),
    /// `batch/v1` Job (the release phase).
    Job(Job),
}

impl Manifest {
    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Manifest::Deployment(d) => &d.metadata,
            Manifest::HorizontalPodAutoscaler(h) => &h.metadata,
            Manifest::PodDisruptionBudget(p) => &p.metadata,
            Manifest::Service(s) => &s.metadata,
            Manifest::Ingress(i) => &i.metadata,
            Manifest::Secret(s) => &s.metadata,
            Manifest::Job(j) => &j.metadata,
        }
    }

    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Manifest::Deployment(_) => "Deployment",
            Manifest::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
            Manifest::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Manifest::Service(_) => "Service",
            Manifest::Ingress(_) => "Ingress",
            Manifest::Secret(_) => "Secret",
            Manifest::Job(_) => "Job",
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
    /// HTTP path for web's readiness probe and the load balancer's health check (e.g.
    /// `/healthz`); without it readiness is a TCP connect to the port and the ALB checks `/`
    /// accepting any 2xx or 3xx.
    pub health_path: Option<String>,
    /// Add a liveness probe to web (off by default: a liveness probe that times out under load
    /// restarts healthy pods, which Heroku never does).
    pub liveness_probe: bool,
    /// Seconds web's preStop pause lasts, so that the load balancer stops sending requests
    /// before the app gets SIGTERM (default 15).
    pub pre_stop_seconds: u32,
    /// The custom domains: one Ingress rule each (none: one rule for any host).
    pub domains: Vec<String>,
    /// ACM certificate ARN for the ALB's HTTPS listener (none: HTTP only, with a warning).
    pub certificate_arn: Option<String>,
    /// The app's config vars (`heroku config --json`, or `GET /apps/{app}/config-vars`): the
    /// Secret's keys. Values are written only with `include_values`.
    pub config_vars: ConfigVars,
    /// Config var names that Heroku add-ons set (`DATABASE_URL`, `REDIS_URL`, ...): listed
    /// apart, since they point at Heroku-managed services.
    pub addon_config_vars: Vec<String>,
    /// Write the Secret with the config vars' values (otherwise no Secret object: the warnings
    /// name the keys it must hold, and [`ManifestSet::config_keys`] lists them).
    pub include_values: bool,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            image: String::new(),
            namespace: "default".into(),
            app: "app".into(),
            port: 5000,
            health_path: None,
            liveness_probe: false,
            pre_stop_seconds: 15,
            domains: Vec::new(),
            certificate_arn: None,
            config_vars: ConfigVars::default(),
            addon_config_vars: Vec::new(),
            include_values: false,
        }
    }
}

impl ManifestOptions {
    /// Parses options from JSON (`{"image": ..., "namespace": ..., "app": ..., "port": ...}`;
    /// missing fields take their defaults, unknown ones are refused as `invalid_input`).
    pub fn from_json(text: &str) -> Result<ManifestOptions> {
        const FIELDS: &str = "fields: image (required), namespace, app, port, health_path, \
                              liveness_probe, pre_stop_seconds, domains, certificate_arn, \
                              config_vars, addon_config_vars, include_values";
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            // serde quotes the offending value in type errors, and a config var's value is a
            // secret: say where and what was expected, never the value
            let what =
                if message.starts_with("unknown field") || message.starts_with("missing field") {
                    message
                } else {
                    format!(
                        "the value at {path} has the wrong type or form (line {}, column {})",
                        inner.line(),
                        inner.column()
                    )
                };
            Error::invalid_input(format!(
                "the manifest options are not valid ({what}); {FIELDS}"
            ))
        })
    }
}

/// A DNS-1123 label: lower-case letters, digits and `-`, starting and ending alphanumeric.
pub(crate) fn dns_label(s: &str) -> bool {
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

/// Builds the objects for every process type of `report` (see [`ManifestSet`] for what is
/// written for what); [`build_set`] also returns the warnings. A missing image or an invalid
/// option is `invalid_input` naming the option.
pub fn build(report: &SizingReport, options: &ManifestOptions) -> Result<Vec<Manifest>> {
    Ok(build_set(report, options)?.objects)
}

pub use app::build_set;

/// Checks the options that name things: the image, the namespace, the app name and the port.
fn check_names(options: &ManifestOptions) -> Result<()> {
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
    Ok(())
}

/// The name, selector and labels of one process type's objects.
struct Names {
    name: String,
    selector: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
}

impl Names {
    fn of(o: &ManifestOptions, process_type: &str) -> Names {
        let name = k8s_name(&o.app, process_type);
        let mut selector = BTreeMap::new();
        selector.insert("app.kubernetes.io/name".to_owned(), o.app.clone());
        selector.insert("app.kubernetes.io/component".to_owned(), name.clone());
        let mut labels = selector.clone();
        labels.insert(
            "app.kubernetes.io/managed-by".to_owned(),
            "dynoshift".to_owned(),
        );
        Names {
            name,
            selector,
            labels,
        }
    }

    fn meta(&self, o: &ManifestOptions, annotations: BTreeMap<String, String>) -> ObjectMeta {
        ObjectMeta {
            name: self.name.clone(),
            namespace: Some(o.namespace.clone()),
            labels: self.labels.clone(),
            annotations,
        }
    }
}

/// Heroku sends SIGTERM and allows this long before SIGKILL.
const HEROKU_SHUTDOWN_SECONDS: u32 = 30;
/// Heroku's boot timeout (R10): a web dyno must bind `$PORT` within this.
const HEROKU_BOOT_SECONDS: u32 = 60;
const PROBE_PERIOD_SECONDS: u32 = 5;

fn port_probe(o: &ManifestOptions, period: u32, timeout: u32, failures: u32) -> Probe {
    let port = IntOrString::String("http".into());
    let (tcp_socket, http_get) = match &o.health_path {
        Some(path) => (
            None,
            Some(HttpGetAction {
                path: path.clone(),
                port,
            }),
        ),
        None => (Some(TcpSocketAction { port }), None),
    };
    Probe {
        tcp_socket,
        http_get,
        period_seconds: period,
        timeout_seconds: timeout,
        failure_threshold: failures,
    }
}

/// The container of process type `p` (its command through `/bin/sh -c`, the sized resources,
/// the config Secret; for web `$PORT`, probes and the preStop pause), and the pod's grace
/// period; each setting taken from Heroku is explained in `annotations`.
fn pod(
    p: &ProcessSizing,
    o: &ManifestOptions,
    annotations: &mut BTreeMap<String, String>,
) -> PodSpec {
    let mut note = |key: &str, text: String| {
        annotations.insert(format!("{ANNOTATION}/{key}"), text);
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
    note("heroku-dyno", format!("{} x{}", p.dyno_size, p.quantity));
    note(
        "cpu-request",
        p.cpu_request_millicores.explanation.rule.clone(),
    );
    note("memory", p.memory_limit_mib.explanation.rule.clone());
    if p.command.is_none() {
        note(
            "command",
            "the formation gave no command: the image's default process runs".into(),
        );
    }
    let web = p.process_type == "web" && p.quantity > 0;
    let mut container = Container {
        name: k8s_name("", &p.process_type),
        image: o.image.clone(),
        command: p
            .command
            .as_ref()
            .map(|c| vec!["/bin/sh".to_owned(), "-c".to_owned(), c.clone()])
            .unwrap_or_default(),
        env: Vec::new(),
        env_from: if o.config_vars.is_empty() {
            Vec::new()
        } else {
            vec![EnvFromSource {
                secret_ref: SecretEnvSource {
                    name: app::secret_name(o),
                },
            }]
        },
        ports: Vec::new(),
        resources: ResourceRequirements { requests, limits },
        startup_probe: None,
        readiness_probe: None,
        liveness_probe: None,
        lifecycle: None,
    };
    let mut grace = HEROKU_SHUTDOWN_SECONDS;
    if web {
        container.env.push(EnvVar {
            name: "PORT".into(),
            value: o.port.to_string(),
        });
        container.ports.push(ContainerPort {
            name: "http".into(),
            container_port: o.port,
        });
        let failures = HEROKU_BOOT_SECONDS / PROBE_PERIOD_SECONDS;
        container.startup_probe = Some(Probe {
            http_get: None,
            tcp_socket: Some(TcpSocketAction {
                port: IntOrString::String("http".into()),
            }),
            period_seconds: PROBE_PERIOD_SECONDS,
            timeout_seconds: 2,
            failure_threshold: failures,
        });
        container.readiness_probe = Some(port_probe(o, PROBE_PERIOD_SECONDS, 2, 3));
        let readiness = match &o.health_path {
            Some(path) => format!("HTTP GET {path} every {PROBE_PERIOD_SECONDS} s"),
            None => format!(
                "a TCP connect to $PORT every {PROBE_PERIOD_SECONDS} s (no health path given)"
            ),
        };
        let liveness = if o.liveness_probe {
            container.liveness_probe = Some(port_probe(o, 10, 5, 6));
            "liveness: the same check every 10 s, restarting after 6 failures in a row (asked for)"
        } else {
            "no liveness probe: one that times out under load restarts healthy pods, which Heroku \
             never does (ask for one with liveness_probe)"
        };
        note(
            "probes",
            format!(
                "startup: a TCP connect to $PORT every {PROBE_PERIOD_SECONDS} s, {failures} \
                 failures allowed = Heroku's {HEROKU_BOOT_SECONDS} s to bind $PORT (R10); \
                 readiness: {readiness}; {liveness}"
            ),
        );
        // `sleep: {seconds: 0}` is refused before Kubernetes 1.33: no pause, no lifecycle
        container.lifecycle = (o.pre_stop_seconds > 0).then_some(Lifecycle {
            pre_stop: LifecycleHandler {
                sleep: SleepAction {
                    seconds: o.pre_stop_seconds,
                },
            },
        });
        grace += o.pre_stop_seconds;
        note(
            "termination",
            format!(
                "Heroku sends SIGTERM and allows {HEROKU_SHUTDOWN_SECONDS} s before SIGKILL; the \
                 grace period also covers the {} s preStop pause that lets the load balancer \
                 deregister the pod before SIGTERM: {grace} s",
                o.pre_stop_seconds
            ),
        );
    } else {
        note(
            "termination",
            format!("Heroku sends SIGTERM and allows {HEROKU_SHUTDOWN_SECONDS} s before SIGKILL"),
        );
    }
    PodSpec {
        containers: vec![container],
        termination_grace_period_seconds: Some(grace),
        restart_policy: None,
    }
}

/// A process type with dynos: its Deployment, its HPA where the sizing autoscales, and a
/// PodDisruptionBudget (`maxUnavailable: 1`).
fn objects(p: &ProcessSizing, report: &SizingReport, o: &ManifestOptions) -> Vec<Manifest> {
    let names = Names::of(o, &p.process_type);
    let mut annotations = BTreeMap::new();
    annotations.insert(
        format!("{ANNOTATION}/strategy"),
        report.strategy.as_str().to_owned(),
    );
    annotations.insert(
        format!("{ANNOTATION}/replicas"),
        p.replicas.explanation.rule.clone(),
    );
    let spec = pod(p, o, &mut annotations);
    let mut out = vec![Manifest::Deployment(Deployment {
        api_version: "apps/v1".into(),
        metadata: names.meta(o, annotations),
        spec: DeploymentSpec {
            replicas: p.replicas.value,
            selector: LabelSelector {
                match_labels: names.selector.clone(),
            },
            template: PodTemplateSpec {
                metadata: TemplateMeta {
                    labels: names.labels.clone(),
                },
                spec,
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
            metadata: names.meta(o, ann),
            spec: HpaSpec {
                scale_target_ref: CrossVersionObjectReference {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    name: names.name.clone(),
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
            metadata: names.meta(o, BTreeMap::new()),
            spec: PdbSpec {
                max_unavailable: IntOrString::Int(1),
                selector: LabelSelector {
                    match_labels: names.selector,
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

/// [`build_set`] then [`ManifestSet::to_yaml`]: the multi-document YAML of every object for
/// `report`, starting with one `# dynoshift: warning: ...` comment per warning (a damaged
/// input of the report, config values left empty, add-on config vars, ...), so that the
/// warnings travel with the manifests.
pub fn render(report: &SizingReport, options: &ManifestOptions) -> Result<String> {
    build_set(report, options)?.to_yaml()
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
                "document {} is not a Deployment, HorizontalPodAutoscaler, \
                 PodDisruptionBudget, Service, Ingress, Secret or Job that dynoshift models: {e}",
                i + 1
            ))
        })?;
        out.push(m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

//! The whole app's objects: which process type gets what, the web Service and its ALB Ingress,
//! the config Secret, the release Job, the warnings that travel with them, and the kustomize
//! layout.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    ANNOTATION, HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IntOrString, Job, JobSpec, Manifest, ManifestOptions,
    Names, PodTemplateSpec, Secret, Service, ServiceBackendPort, ServicePort, ServiceSpec,
    TemplateMeta, check_names, pod, to_yaml,
};
use crate::cutover::plan::valid_dns_name;
use crate::dns::normalize_name;
use crate::error::{Error, Result};
use crate::sizing::{ProcessSizing, SizingReport};

/// Config var name → value. The values are secrets: `Debug` lists the names only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigVars(pub BTreeMap<String, String>);

impl fmt::Debug for ConfigVars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()?;
        f.write_str(" (values redacted)")
    }
}

impl ConfigVars {
    /// No config vars.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl From<BTreeMap<String, String>> for ConfigVars {
    fn from(map: BTreeMap<String, String>) -> Self {
        ConfigVars(map)
    }
}

/// The objects of an app and the warnings that go with them.
///
/// What is written for what:
/// - a process type with dynos: a Deployment, an HPA where the sizing autoscales and a
///   PodDisruptionBudget; for `web` also a Service and an Ingress (the ALB);
/// - the `release` process type (Heroku's release phase): a Job;
/// - any other process type without dynos (a one-off type such as `console`): nothing, listed
///   in the warnings;
/// - config vars given: a Secret every container reads (`envFrom`).
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestSet {
    /// The objects, process type by process type, then the Secret (only with the values).
    pub objects: Vec<Manifest>,
    /// What the user should know before applying them, one sentence each.
    pub warnings: Vec<String>,
    /// Config var names the pods expect in a Secret that was not written (no values asked
    /// for): `files` writes them to `config.env.example`.
    pub config_keys: Vec<String>,
}

impl ManifestSet {
    /// The warnings as `# dynoshift: warning: ...` comment lines, then every object as
    /// multi-document YAML.
    pub fn to_yaml(&self) -> Result<String> {
        let mut out = self.warning_comments();
        out.push_str(&to_yaml(&self.objects)?);
        Ok(out)
    }

    fn warning_comments(&self) -> String {
        let mut out = String::new();
        for w in &self.warnings {
            out.push_str("# dynoshift: warning: ");
            out.push_str(&w.replace(['\n', '\r'], " "));
            out.push('\n');
        }
        out
    }

    /// A kustomize directory: one file per kind (`deployment.yaml`, `service.yaml`, ...) and a
    /// `kustomization.yaml` listing them (with the warnings as comments), as (file name, text)
    /// in the order to write them.
    pub fn files(&self) -> Result<Vec<(String, String)>> {
        let mut by_kind: BTreeMap<&'static str, Vec<Manifest>> = BTreeMap::new();
        for m in &self.objects {
            by_kind.entry(m.kind()).or_default().push(m.clone());
        }
        let mut files = Vec::new();
        for (kind, objects) in &by_kind {
            files.push((file_name(kind), to_yaml(objects)?));
        }
        let mut kustomization = self.warning_comments();
        kustomization.push_str(
            "# Written by dynoshift: `kubectl apply -k .` applies every file listed here.\n\
             apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
        );
        for (name, _) in &files {
            kustomization.push_str(&format!("  - {name}\n"));
        }
        if !self.config_keys.is_empty() {
            let secret = self
                .objects
                .iter()
                .find_map(|m| match m {
                    Manifest::Deployment(d) => d.spec.template.spec.containers[0]
                        .env_from
                        .first()
                        .map(|e| e.secret_ref.name.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "app-config".to_owned());
            kustomization.push_str(&format!(
                "# The pods read the Secret {secret}: copy config.env.example to config.env, fill \
                 it in (never commit it), and uncomment:\n\
                 # secretGenerator:\n\
                 #   - name: {secret}\n\
                 #     envs: [config.env]\n\
                 # generatorOptions:\n\
                 #   disableNameSuffixHash: true\n"
            ));
            let mut example = String::from(
                "# The config vars the app reads (values not copied from Heroku): fill in a copy.\n",
            );
            for key in &self.config_keys {
                example.push_str(&format!("{key}=\n"));
            }
            files.push(("config.env.example".to_owned(), example));
        }
        files.push(("kustomization.yaml".to_owned(), kustomization));
        Ok(files)
    }
}

fn file_name(kind: &str) -> String {
    let short = match kind {
        "HorizontalPodAutoscaler" => "hpa",
        "PodDisruptionBudget" => "pdb",
        other => other,
    };
    format!("{}.yaml", short.to_ascii_lowercase())
}

/// The config Secret's name.
pub(super) fn secret_name(o: &ManifestOptions) -> String {
    format!("{}-config", o.app)
}

/// The ALB's idle timeout, seconds (its default), against Heroku's 30 s router timeout.
const ALB_IDLE_TIMEOUT_SECONDS: u32 = 60;
/// How long the ALB lets requests in flight finish on a deregistered pod: Heroku's router
/// never lets a request run longer than 30 s (H12).
const DEREGISTRATION_DELAY_SECONDS: u32 = 30;

/// Builds every object for `report` with `options`, and the warnings (see [`ManifestSet`]).
/// Invalid options are `invalid_input` naming the option.
pub fn build_set(report: &SizingReport, options: &ManifestOptions) -> Result<ManifestSet> {
    check_names(options)?;
    check_app_options(options)?;
    let mut warnings = report.input_warnings();
    let mut objects = Vec::new();
    let mut one_offs = Vec::new();
    for p in &report.processes {
        if p.quantity > 0 {
            objects.extend(super::objects(p, report, options));
            if p.process_type == "web" {
                objects.push(service(p, options));
                let (ingress, ingress_warnings) = ingress(options);
                objects.push(ingress);
                warnings.extend(ingress_warnings);
            }
        } else if p.process_type == "release" {
            objects.push(release_job(p, options));
        } else {
            one_offs.push(p.process_type.as_str());
        }
    }
    if !one_offs.is_empty() {
        warnings.push(format!(
            "no objects for {} (no dynos on Heroku: one-off process types); run them when needed \
             with `kubectl run` or a Job from the same image",
            one_offs.join(", ")
        ));
    }
    if report.process("web").is_none_or(|w| w.quantity == 0) {
        warnings.push(
            "the formation has no web dynos: no Service or Ingress (nothing to shift traffic to)"
                .to_owned(),
        );
    }
    if let Some(secret) = secret(options, &mut warnings) {
        objects.push(secret);
    }
    let config_keys = if options.include_values {
        Vec::new()
    } else {
        options.config_vars.names().map(str::to_owned).collect()
    };
    Ok(ManifestSet {
        objects,
        warnings,
        config_keys,
    })
}

fn check_app_options(o: &ManifestOptions) -> Result<()> {
    if let Some(path) = &o.health_path
        && (!path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(Error::invalid_input(format!(
            "health path {path:?} must start with '/' and hold no spaces, e.g. /healthz"
        ))
        .at("health_path"));
    }
    if o.pre_stop_seconds > 300 {
        return Err(Error::invalid_input(format!(
            "pre_stop_seconds {} is more than 300; a few seconds longer than the load \
             balancer's deregistration (10-20 s) is enough",
            o.pre_stop_seconds
        ))
        .at("pre_stop_seconds"));
    }
    for (i, d) in o.domains.iter().enumerate() {
        let n = normalize_name(d);
        if !valid_dns_name(n.strip_prefix("*.").unwrap_or(&n)) {
            return Err(Error::invalid_input(format!(
                "domain {d:?} is not a hostname (e.g. www.shop.com or *.shop.com)"
            ))
            .at(format!("domains[{i}]")));
        }
    }
    if let Some(arn) = &o.certificate_arn
        && !(arn.starts_with("arn:aws") && arn.contains(":acm:") && arn.contains(":certificate/"))
    {
        return Err(Error::invalid_input(format!(
            "certificate_arn {arn:?} is not an ACM certificate ARN \
             (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
        ))
        .at("certificate_arn"));
    }
    for (i, name) in o
        .config_vars
        .names()
        .chain(o.addon_config_vars.iter().map(String::as_str))
        .enumerate()
    {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if !valid {
            return Err(Error::invalid_input(format!(
                "config var name {name:?} cannot be a Kubernetes Secret key (letters, digits, \
                 '_', '-', '.')"
            ))
            .at(format!("config_vars[{i}]")));
        }
    }
    Ok(())
}

fn service(web: &ProcessSizing, o: &ManifestOptions) -> Manifest {
    let names = Names::of(o, &web.process_type);
    Manifest::Service(Service {
        api_version: "v1".into(),
        metadata: names.meta(o, BTreeMap::new()),
        spec: ServiceSpec {
            service_type: "ClusterIP".into(),
            selector: names.selector.clone(),
            ports: vec![ServicePort {
                name: "http".into(),
                port: 80,
                target_port: IntOrString::String("http".into()),
            }],
        },
    })
}

fn ingress(o: &ManifestOptions) -> (Manifest, Vec<String>) {
    let names = Names::of(o, "web");
    let mut warnings = Vec::new();
    let mut ann = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        ann.insert(k.to_owned(), v);
    };
    set("alb.ingress.kubernetes.io/scheme", "internet-facing".into());
    set("alb.ingress.kubernetes.io/target-type", "ip".into());
    match &o.certificate_arn {
        Some(arn) => {
            set(
                "alb.ingress.kubernetes.io/listen-ports",
                r#"[{"HTTP": 80}, {"HTTPS": 443}]"#.into(),
            );
            set("alb.ingress.kubernetes.io/certificate-arn", arn.clone());
            set("alb.ingress.kubernetes.io/ssl-redirect", "443".into());
        }
        None => {
            set(
                "alb.ingress.kubernetes.io/listen-ports",
                r#"[{"HTTP": 80}]"#.into(),
            );
            warnings.push(
                "no certificate ARN: the ALB listens on HTTP only, so https:// users would fail \
                 once traffic shifts; give the ACM certificate ARN covering the domains \
                 (certificate_arn / --certificate-arn)"
                    .to_owned(),
            );
        }
    }
    match &o.health_path {
        Some(path) => set("alb.ingress.kubernetes.io/healthcheck-path", path.clone()),
        None => {
            set("alb.ingress.kubernetes.io/healthcheck-path", "/".into());
            set("alb.ingress.kubernetes.io/success-codes", "200-399".into());
        }
    }
    set(
        "alb.ingress.kubernetes.io/load-balancer-attributes",
        format!("idle_timeout.timeout_seconds={ALB_IDLE_TIMEOUT_SECONDS}"),
    );
    set(
        "alb.ingress.kubernetes.io/target-group-attributes",
        format!("deregistration_delay.timeout_seconds={DEREGISTRATION_DELAY_SECONDS}"),
    );
    set(
        &format!("{ANNOTATION}/timeouts"),
        format!(
            "Heroku's router ends a request after 30 s (H12) and an idle connection after 55 s; \
             the ALB has no request limit and closes idle connections after \
             {ALB_IDLE_TIMEOUT_SECONDS} s (its default), so requests that H12 used to cut off \
             now run to the end; in-flight requests get {DEREGISTRATION_DELAY_SECONDS} s on a \
             pod being removed"
        ),
    );
    set(
        &format!("{ANNOTATION}/aws-target"),
        "the ALB's DNS name (kubectl get ingress: ADDRESS) is the cutover plan's aws_target".into(),
    );
    let backend = || IngressBackend {
        service: IngressServiceBackend {
            name: names.name.clone(),
            port: ServiceBackendPort {
                name: "http".into(),
            },
        },
    };
    let paths = || HttpIngressRuleValue {
        paths: vec![HttpIngressPath {
            path: "/".into(),
            path_type: "Prefix".into(),
            backend: backend(),
        }],
    };
    let rules = if o.domains.is_empty() {
        warnings.push(
            "no custom domains given: the Ingress answers any Host; give the app's domains \
             (domains / --domains, or --app to read them) for one rule each"
                .to_owned(),
        );
        vec![IngressRule {
            host: None,
            http: paths(),
        }]
    } else {
        o.domains
            .iter()
            .map(|d| IngressRule {
                host: Some(normalize_name(d)),
                http: paths(),
            })
            .collect()
    };
    let ingress = Ingress {
        api_version: "networking.k8s.io/v1".into(),
        metadata: names.meta(o, ann),
        spec: IngressSpec {
            ingress_class_name: "alb".into(),
            rules,
        },
    };
    (Manifest::Ingress(ingress), warnings)
}

fn release_job(p: &ProcessSizing, o: &ManifestOptions) -> Manifest {
    let names = Names::of(o, &p.process_type);
    let mut annotations = BTreeMap::new();
    annotations.insert(
        format!("{ANNOTATION}/release"),
        "Heroku's release phase: runs after each build, before the new release takes traffic, \
         and a failure stops the release; apply this Job (a new name per release, e.g. a \
         kustomize nameSuffix, or your CD tool's pre-sync hook) and wait for it before rolling \
         out the Deployments"
            .to_owned(),
    );
    let mut spec = pod(p, o, &mut annotations);
    spec.restart_policy = Some("Never".into());
    Manifest::Job(Job {
        api_version: "batch/v1".into(),
        metadata: names.meta(o, annotations),
        spec: JobSpec {
            backoff_limit: 0,
            template: PodTemplateSpec {
                metadata: TemplateMeta {
                    labels: names.labels.clone(),
                },
                spec,
            },
        },
    })
}

fn secret(o: &ManifestOptions, warnings: &mut Vec<String>) -> Option<Manifest> {
    if o.config_vars.is_empty() {
        return None;
    }
    let addon: Vec<&str> = o
        .addon_config_vars
        .iter()
        .map(String::as_str)
        .filter(|n| o.config_vars.0.contains_key(*n))
        .collect();
    let mut annotations = BTreeMap::new();
    if !addon.is_empty() {
        let list = addon.join(", ");
        annotations.insert(format!("{ANNOTATION}/addon-config-vars"), list.clone());
        warnings.push(format!(
            "{list} are set by Heroku add-ons and point at Heroku-managed services (a database, \
             Redis, ...): move those services or check that the cluster may reach them"
        ));
    }
    if !o.include_values {
        // A Secret of empty placeholders, applied again after someone filled it in, would set
        // every config var to "": the pods instead wait for a Secret the team creates.
        let names: Vec<&str> = o.config_vars.names().collect();
        warnings.push(format!(
            "no Secret written: the pods read {} config vars ({}) from the Secret {}, which \
             must exist before they can start; create it from your values (kubectl create \
             secret generic {} --from-env-file=config.env, or your secret manager), or ask \
             for the values (--include-values)",
            names.len(),
            names.join(", "),
            secret_name(o),
            secret_name(o)
        ));
        return None;
    }
    annotations.insert(
        format!("{ANNOTATION}/values"),
        "copied from Heroku's config vars (include_values): keep this file out of version \
         control"
            .to_owned(),
    );
    warnings.push(format!(
        "the Secret {} holds the config vars' values: keep it out of version control",
        secret_name(o)
    ));
    let names = Names::of(o, "config");
    Some(Manifest::Secret(Secret {
        api_version: "v1".into(),
        metadata: names.meta(o, annotations),
        secret_type: "Opaque".into(),
        string_data: o.config_vars.clone(),
    }))
}

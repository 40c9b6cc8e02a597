use super::*;
use crate::ErrorKind;
use crate::heroku::formation::Formation;
use crate::sizing::{SizingPolicy, recommend};
use crate::telemetry::Ingest;

fn report() -> SizingReport {
    let formation = Formation::from_json(
        r#"{"web": {"size": "standard-2x", "quantity": 2, "command": "bundle exec puma -p $PORT"},
            "clock_tick": {"size": "standard-1x", "quantity": 1}}"#,
    )
    .unwrap();
    let mut ingest = Ingest::new();
    ingest.feed(
        b"2026-11-02T10:00:00+00:00 heroku[web.1]: source=web.1 dyno=heroku.1.a sample#memory_total=300.00MB sample#memory_rss=300.00MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_quota=1024.00MB\n\
2026-11-02T10:00:00+00:00 heroku[web.1]: source=web.1 dyno=heroku.1.a sample#load_avg_1m=0.40\n\
2026-11-02T10:00:01+00:00 heroku[router]: at=info method=GET path=\"/\" host=a.herokuapp.com dyno=web.1 connect=1ms service=30000ms status=200 bytes=1\n",
    );
    recommend(&formation, &ingest.finish(), &SizingPolicy::default()).unwrap()
}

fn options() -> ManifestOptions {
    ManifestOptions {
        image: "registry.example.com/shop:v42".into(),
        namespace: "shop".into(),
        app: "shop".into(),
        port: 8080,
        ..ManifestOptions::default()
    }
}

#[test]
fn yaml_parses_back_into_the_same_objects() {
    let r = report();
    let objects = build(&r, &options()).unwrap();
    let yaml = to_yaml(&objects).unwrap();
    assert_eq!(yaml.matches("---\n").count(), objects.len());
    let back = from_yaml(&yaml).unwrap();
    assert_eq!(back, objects);
    // web: Deployment, HPA, PDB, Service, Ingress; the worker: Deployment and PDB.
    let kinds: Vec<&str> = back.iter().map(Manifest::kind).collect();
    assert_eq!(
        kinds,
        [
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Service",
            "Ingress",
            "Deployment",
            "PodDisruptionBudget"
        ]
    );
    let web = r.process("web").unwrap();
    let Manifest::Deployment(d) = &back[0] else {
        panic!("web first")
    };
    assert_eq!(d.metadata.name, "shop-web");
    assert_eq!(d.metadata.namespace.as_deref(), Some("shop"));
    assert_eq!(d.spec.replicas, web.replicas.value);
    let c = &d.spec.template.spec.containers[0];
    assert_eq!(c.image, "registry.example.com/shop:v42");
    assert_eq!(c.command, ["/bin/sh", "-c", "bundle exec puma -p $PORT"]);
    assert_eq!(
        c.resources.requests["memory"],
        format!("{}Mi", web.memory_request_mib.value)
    );
    assert_eq!(
        c.resources.requests["cpu"],
        format!("{}m", web.cpu_request_millicores.value)
    );
    assert!(!c.resources.limits.contains_key("cpu"));
    assert_eq!(c.env[0].value, "8080");
    let Manifest::HorizontalPodAutoscaler(h) = &back[1] else {
        panic!("then the HPA")
    };
    let hpa = web.hpa.as_ref().unwrap();
    assert_eq!(h.spec.min_replicas, hpa.min_replicas.value);
    assert_eq!(h.spec.max_replicas, hpa.max_replicas.value);
    assert_eq!(h.spec.scale_target_ref.name, "shop-web");
    // Underscores become dashes; no command means the image's default.
    assert_eq!(back[5].metadata().name, "shop-clock-tick");
    assert!(yaml.contains("apiVersion: autoscaling/v2"));
    assert!(yaml.contains("maxUnavailable: 1"));
}

#[test]
fn bad_inputs_are_refused() {
    let r = report();
    for (o, field) in [
        (
            ManifestOptions {
                image: " ".into(),
                ..options()
            },
            "image",
        ),
        (
            ManifestOptions {
                namespace: "Shop_NS".into(),
                ..options()
            },
            "namespace",
        ),
        (
            ManifestOptions {
                app: "-x".into(),
                ..options()
            },
            "app",
        ),
        (
            ManifestOptions {
                health_path: Some("healthz".into()),
                ..options()
            },
            "health_path",
        ),
        (
            ManifestOptions {
                domains: vec!["www.shop.com".into(), "shop .com".into()],
                ..options()
            },
            "domains[1]",
        ),
        (
            ManifestOptions {
                certificate_arn: Some("arn:aws:iam::123456789012:role/x".into()),
                ..options()
            },
            "certificate_arn",
        ),
        (
            ManifestOptions {
                config_vars: config(&[("GOOD", "1"), ("BAD NAME", "2")]),
                ..options()
            },
            "config_vars[0]",
        ),
    ] {
        let err = build(&r, &o).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.context(), Some(field));
    }
    let err = from_yaml("kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = from_yaml("kind: [").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn render_parses_back_as_json_and_options_read_from_json() {
    let options =
        ManifestOptions::from_json(r#"{"image": "registry.example.com/shop:v42", "app": "shop"}"#)
            .unwrap();
    assert_eq!(options.namespace, "default");
    assert_eq!(options.port, 5000);
    let yaml = render(&report(), &options).unwrap();
    let objects: serde_json::Value =
        serde_json::from_str(&from_yaml_to_json(&yaml).unwrap()).unwrap();
    let objects = objects.as_array().unwrap();
    assert_eq!(objects.len(), build(&report(), &options).unwrap().len());
    assert_eq!(objects[0]["kind"], "Deployment");
    assert_eq!(objects[0]["metadata"]["name"], "shop-web");
    let err = ManifestOptions::from_json(r#"{"image": "x", "replicas": 3}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("replicas"), "{err}");
}

fn config(vars: &[(&str, &str)]) -> ConfigVars {
    ConfigVars(
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A formation with a web, a worker, a release process and a one-off type, as the Platform API
/// lists them (release and console scaled to 0).
fn app_report() -> SizingReport {
    let formation = Formation::from_json(
        r#"{"web": {"size": "standard-2x", "quantity": 2, "command": "bundle exec puma -p $PORT"},
            "worker": {"size": "standard-1x", "quantity": 1, "command": "bundle exec sidekiq"},
            "release": {"size": "standard-1x", "quantity": 0, "command": "rake db:migrate"},
            "console": {"size": "standard-1x", "quantity": 0, "command": "rails console"}}"#,
    )
    .unwrap();
    recommend(
        &formation,
        &Ingest::new().finish(),
        &SizingPolicy::default(),
    )
    .unwrap()
}

fn ingress_of(set: &ManifestSet) -> &Ingress {
    set.objects
        .iter()
        .find_map(|m| match m {
            Manifest::Ingress(i) => Some(i),
            _ => None,
        })
        .expect("an Ingress")
}

fn secret_of(set: &ManifestSet) -> &Secret {
    set.objects
        .iter()
        .find_map(|m| match m {
            Manifest::Secret(s) => Some(s),
            _ => None,
        })
        .expect("a Secret")
}

fn web_deployment(set: &ManifestSet) -> &Deployment {
    set.objects
        .iter()
        .find_map(|m| match m {
            Manifest::Deployment(d) if d.metadata.name == "shop-web" => Some(d),
            _ => None,
        })
        .expect("a web Deployment")
}

#[test]
fn the_whole_app_web_service_ingress_secret_release_job() {
    let o = ManifestOptions {
        health_path: Some("/healthz".into()),
        domains: vec!["WWW.shop.com.".into(), "api.shop.com".into()],
        certificate_arn: Some(
            "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
                .into(),
        ),
        config_vars: config(&[
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
            ("SECRET_KEY_BASE", "s3cr3t-value"),
        ]),
        addon_config_vars: vec!["DATABASE_URL".into(), "REDIS_URL".into()],
        ..options()
    };
    let set = build_set(&app_report(), &o).unwrap();
    let kinds: Vec<(&str, &str)> = set
        .objects
        .iter()
        .map(|m| (m.kind(), m.metadata().name.as_str()))
        .collect();
    // the console type (no dynos) gets nothing; release becomes a Job
    assert!(kinds.contains(&("Job", "shop-release")), "{kinds:?}");
    assert!(
        !kinds.iter().any(|(_, n)| n.contains("console")),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&("Deployment", "shop-release")),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("Service", "shop-web")) && kinds.contains(&("Ingress", "shop-web")));
    assert!(
        !kinds.contains(&("Service", "shop-worker")),
        "no Service for a worker"
    );
    // no values asked for: no Secret object (a placeholder would wipe filled-in values)
    assert!(!kinds.iter().any(|(k, _)| *k == "Secret"), "{kinds:?}");
    assert_eq!(set.config_keys, ["DATABASE_URL", "SECRET_KEY_BASE"]);
    assert!(
        set.warnings.iter().any(|w| w.contains("console")),
        "{:?}",
        set.warnings
    );

    // web: Heroku's timings, probes on the health path, no liveness probe, the preStop pause
    let d = web_deployment(&set);
    let pod = &d.spec.template.spec;
    let c = &pod.containers[0];
    assert_eq!(pod.termination_grace_period_seconds, Some(30 + 15));
    assert_eq!(c.lifecycle.as_ref().unwrap().pre_stop.sleep.seconds, 15);
    let startup = c.startup_probe.as_ref().unwrap();
    assert_eq!(startup.period_seconds * startup.failure_threshold, 60);
    assert!(startup.tcp_socket.is_some());
    let ready = c.readiness_probe.as_ref().unwrap();
    assert_eq!(ready.http_get.as_ref().unwrap().path, "/healthz");
    assert!(c.liveness_probe.is_none());
    assert_eq!(c.env_from[0].secret_ref.name, "shop-config");
    for key in ["probes", "termination", "replicas", "memory", "cpu-request"] {
        assert!(
            d.metadata
                .annotations
                .contains_key(&format!("dynoshift.dev/{key}")),
            "{key}"
        );
    }
    // the worker: Heroku's 30 s, no probes, no port
    let worker = set
        .objects
        .iter()
        .find_map(|m| match m {
            Manifest::Deployment(d) if d.metadata.name == "shop-worker" => Some(d),
            _ => None,
        })
        .unwrap();
    let wc = &worker.spec.template.spec.containers[0];
    assert_eq!(
        worker.spec.template.spec.termination_grace_period_seconds,
        Some(30)
    );
    assert!(wc.startup_probe.is_none() && wc.readiness_probe.is_none() && wc.ports.is_empty());

    // the Ingress: one rule per domain (normalised), HTTPS with the certificate, the health path
    let ingress = ingress_of(&set);
    let hosts: Vec<_> = ingress
        .spec
        .rules
        .iter()
        .map(|r| r.host.as_deref().unwrap())
        .collect();
    assert_eq!(hosts, ["www.shop.com", "api.shop.com"]);
    assert_eq!(ingress.spec.ingress_class_name, "alb");
    let a = &ingress.metadata.annotations;
    assert_eq!(a["alb.ingress.kubernetes.io/target-type"], "ip");
    assert_eq!(a["alb.ingress.kubernetes.io/healthcheck-path"], "/healthz");
    assert!(a["alb.ingress.kubernetes.io/listen-ports"].contains("443"));
    assert!(a["alb.ingress.kubernetes.io/load-balancer-attributes"].ends_with("=60"));
    assert!(a["dynoshift.dev/timeouts"].contains("30 s"));

    // the config: the names the pods expect, add-on vars listed, values never in Debug
    assert!(
        set.warnings
            .iter()
            .any(|w| w.starts_with("no Secret written") && w.contains("SECRET_KEY_BASE")),
        "{:?}",
        set.warnings
    );
    assert!(
        set.warnings
            .iter()
            .any(|w| w.starts_with("DATABASE_URL are set by Heroku add-ons"))
    );
    let yaml = set.to_yaml().unwrap();
    assert!(!yaml.contains("hunter2") && !yaml.contains("s3cr3t-value"));
    let debug = format!("{o:?}");
    assert!(
        !debug.contains("hunter2") && debug.contains("DATABASE_URL"),
        "{debug}"
    );
    assert_eq!(from_yaml(&yaml).unwrap(), set.objects);

    // with include_values the values are there (and Debug still hides them)
    let with = ManifestOptions {
        include_values: true,
        ..o
    };
    let set = build_set(&app_report(), &with).unwrap();
    assert!(set.to_yaml().unwrap().contains("s3cr3t-value"));
    assert!(!format!("{set:?}").contains("s3cr3t-value"));
    let secret = secret_of(&set);
    assert_eq!(secret.metadata.name, "shop-config");
    assert_eq!(
        secret.metadata.annotations["dynoshift.dev/addon-config-vars"],
        "DATABASE_URL"
    );
    assert!(set.config_keys.is_empty());
}

#[test]
fn without_domains_or_certificate_the_ingress_answers_any_host_and_says_so() {
    let set = build_set(&app_report(), &options()).unwrap();
    let ingress = ingress_of(&set);
    assert_eq!(ingress.spec.rules.len(), 1);
    assert!(ingress.spec.rules[0].host.is_none());
    assert_eq!(
        ingress.metadata.annotations["alb.ingress.kubernetes.io/listen-ports"],
        r#"[{"HTTP": 80}]"#
    );
    assert!(
        set.warnings
            .iter()
            .any(|w| w.contains("no certificate ARN"))
    );
    assert!(set.warnings.iter().any(|w| w.contains("no custom domains")));
    // readiness without a health path: a TCP connect; liveness only when asked for
    let c = &web_deployment(&set).spec.template.spec.containers[0];
    assert!(c.readiness_probe.as_ref().unwrap().tcp_socket.is_some());
    let asked = ManifestOptions {
        liveness_probe: true,
        ..options()
    };
    let set = build_set(&app_report(), &asked).unwrap();
    assert!(
        web_deployment(&set).spec.template.spec.containers[0]
            .liveness_probe
            .is_some()
    );
    // the warnings travel with the YAML
    assert!(set.to_yaml().unwrap().starts_with("# dynoshift: warning: "));
}

#[test]
fn a_kustomize_directory_lists_one_file_per_kind() {
    let o = ManifestOptions {
        config_vars: config(&[("A", "1")]),
        ..options()
    };
    let set = build_set(&app_report(), &o).unwrap();
    let files = set.files().unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "deployment.yaml",
            "hpa.yaml",
            "ingress.yaml",
            "job.yaml",
            "pdb.yaml",
            "service.yaml",
            "config.env.example",
            "kustomization.yaml"
        ]
        .iter()
        .filter(|n| **n != "hpa.yaml"
            || set
                .objects
                .iter()
                .any(|m| m.kind() == "HorizontalPodAutoscaler"))
        .copied()
        .collect::<Vec<_>>()
    );
    let (_, kustomization) = files.last().unwrap();
    let (_, example) = &files[files.len() - 2];
    assert_eq!(example.lines().last(), Some("A="), "names only: {example}");
    assert!(
        !kustomization.contains("  - config.env.example"),
        "never applied"
    );
    assert!(
        kustomization.contains("#   - name: shop-config"),
        "{kustomization}"
    );
    let files = &files[..files.len() - 1];
    let files: Vec<_> = files
        .iter()
        .filter(|(n, _)| n != "config.env.example")
        .cloned()
        .collect();
    for (name, text) in &files {
        assert!(kustomization.contains(&format!("  - {name}\n")), "{name}");
        // every object of the set is in exactly one file
        assert!(!from_yaml(text).unwrap().is_empty());
    }
    let total: usize = files.iter().map(|(_, t)| from_yaml(t).unwrap().len()).sum();
    assert_eq!(total, set.objects.len());
}

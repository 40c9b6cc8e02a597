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
    // web: Deployment, HPA, PDB; the worker: Deployment and PDB (no autoscaling).
    let kinds: Vec<&str> = back
        .iter()
        .map(|m| match m {
            Manifest::Deployment(_) => "Deployment",
            Manifest::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
            Manifest::PodDisruptionBudget(_) => "PodDisruptionBudget",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
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
    assert_eq!(back[3].metadata().name, "shop-clock-tick");
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
    ] {
        let err = build(&r, &o).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.context(), Some(field));
    }
    let err = from_yaml("kind: Service\napiVersion: v1\nmetadata: {name: x}\n").unwrap_err();
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

//! `cutover init`: plans built from a Heroku app's domains. The core builder against the
//! in-memory DNS provider (domains from the recorded Platform API and hand-made ones), and the
//! CLI end to end against moto_server and the recorded API, its plans then accepted by
//! `dynoshift cutover preflight`. Everything on loopback.

use crate::support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use dynoshift::cutover::{InitOptions, InitReport, plans_from_app, plans_from_domains, preflight};
use dynoshift::dns::{Change, ChangeAction, DnsProvider, RecordSet};
use dynoshift::{
    CutoverPlan, ErrorKind, GateConfig, HerokuApiOptions, HerokuClient, HerokuDomain,
    MemoryProvider, Token,
};
use support::heroku_api::HerokuApiServer;
use support::moto::Moto;

const TOKEN: &str = "hrku-INITSECRET-5d1e0c2b-8a7f-4e3d-9c6b-1a0f9e8d7c6b";
const ALB: &str = "shop-alb-1234.us-east-1.elb.amazonaws.com";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn client(server: &HerokuApiServer) -> HerokuClient {
    HerokuClient::new(HerokuApiOptions {
        token: Some(Token::new(TOKEN)),
        base_url: Some(server.url()),
        timeout: Some(Duration::from_secs(10)),
        danger_accept_invalid_certs: false,
    })
    .unwrap()
}

/// A memory provider with `zones`, and each `(host, target)` a simple CNAME in the zone that
/// is its longest suffix.
fn memory(zones: &[&str], cnames: &[(&str, &str)]) -> MemoryProvider {
    let p = MemoryProvider::default();
    let infos: Vec<_> = zones.iter().map(|z| p.create_zone(z)).collect();
    for (host, target) in cnames {
        let zone = infos
            .iter()
            .filter(|z| host.ends_with(&format!(".{}", z.name)))
            .max_by_key(|z| z.name.len())
            .expect("a zone for the CNAME");
        p.apply_now(
            &zone.id,
            vec![Change::new(
                ChangeAction::Create,
                RecordSet::simple(host, "CNAME", 300, vec![(*target).to_owned()]),
            )],
            "seed",
        )
        .unwrap();
    }
    p
}

fn codes(report: &InitReport) -> Vec<(String, String)> {
    report
        .skipped
        .iter()
        .map(|s| (s.hostname.clone(), s.code.clone()))
        .collect()
}

fn warning_codes(report: &InitReport) -> Vec<(Option<String>, String)> {
    report
        .warnings
        .iter()
        .map(|w| (w.hostname.clone(), w.code.clone()))
        .collect()
}

#[test]
fn the_recorded_app_makes_one_plan_that_preflight_accepts() {
    let server = HerokuApiServer::start(TOKEN);
    let zone = memory(
        &["shop.example.test"],
        &[
            ("www.shop.example.test", "sushi-1a2b.herokudns.com"),
            ("api.shop.example.test", "tokyo-9z8y.herokudns.com"),
        ],
    );
    let provider: Arc<dyn DnsProvider> = Arc::new(zone);
    let report = block_on(plans_from_app(
        &client(&server),
        "shop-production",
        InitOptions::new(ALB),
        provider.clone(),
    ))
    .expect("plans");
    assert_eq!(report.plans.len(), 1, "{report:#?}");
    assert!(!report.spans_zones());
    let zp = &report.plans[0];
    assert_eq!(zp.zone.name, "shop.example.test");
    let plan = &zp.plan;
    assert_eq!(plan.zone, "shop.example.test");
    assert_eq!(plan.heroku_target, "", "every hostname names its own");
    assert_eq!(plan.aws_target, ALB);
    let targets: Vec<_> = plan.targets().into_iter().collect();
    assert_eq!(
        targets,
        [
            (
                "api.shop.example.test".to_owned(),
                ("tokyo-9z8y.herokudns.com".to_owned(), ALB.to_owned())
            ),
            (
                "www.shop.example.test".to_owned(),
                ("sushi-1a2b.herokudns.com".to_owned(), ALB.to_owned())
            ),
        ]
    );
    assert_eq!(plan.stages, [10, 25, 50, 100]);
    assert_eq!(
        codes(&report),
        [
            (
                "shop-production.herokuapp.com".to_owned(),
                "heroku_domain".to_owned()
            ),
            ("shop.example.test".to_owned(), "apex".to_owned()),
        ]
    );
    let apex = &report.skipped[1].reason;
    assert!(apex.contains("apex") && apex.contains("CNAME"), "{apex}");
    // every domain here has an issued certificate: only the renewal caveat
    assert_eq!(warning_codes(&report), [(None, "acm_renewal".to_owned())]);

    // one HTTP gate per hostname, straight at the load balancer with the hostname as Host
    let gates = plan.gate_configs().unwrap();
    assert_eq!(gates.len(), 2);
    for (gate, host) in gates
        .iter()
        .zip(["api.shop.example.test", "www.shop.example.test"])
    {
        let GateConfig::Http(http) = gate else {
            panic!("{gate:?}")
        };
        assert_eq!(http.probe.url, format!("http://{ALB}/"));
        assert_eq!(http.probe.host.as_deref(), Some(host));
        assert_eq!(http.name.as_deref(), Some(format!("aws {host}").as_str()));
        gate.build().expect("the gate builds");
    }

    // the plan is valid as written, in JSON and in YAML
    plan.validate().unwrap();
    assert_eq!(&CutoverPlan::from_text(&plan.to_json()).unwrap(), plan);
    assert_eq!(&CutoverPlan::from_text(&plan.to_yaml()).unwrap(), plan);

    let pre = block_on(preflight(plan.clone(), provider)).unwrap();
    assert!(pre.ok, "{:#?}", pre.summary());
    assert_eq!(pre.errors().count(), 0);

    // and preflight does judge it: a hostname pointing elsewhere is refused
    let drifted = memory(
        &["shop.example.test"],
        &[
            ("www.shop.example.test", "tokyo-9z8y.herokudns.com"),
            ("api.shop.example.test", "tokyo-9z8y.herokudns.com"),
        ],
    );
    let pre = block_on(preflight(plan.clone(), Arc::new(drifted))).unwrap();
    assert!(!pre.ok);
    assert!(
        pre.errors().any(|f| f.code == "unexpected_target"
            && f.hostname.as_deref() == Some("www.shop.example.test")),
        "{:#?}",
        pre.summary()
    );
}

fn domains(json: serde_json::Value) -> Vec<HerokuDomain> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|v| HerokuDomain::from_value(v).unwrap())
        .collect()
}

fn app_domains() -> Vec<HerokuDomain> {
    let issued = "cert issued";
    domains(serde_json::json!([
        {"hostname": "myapp.herokuapp.com", "kind": "heroku", "cname": null},
        {"hostname": "WWW.Shop.Example.Test.", "kind": "custom", "cname": "a-1.herokudns.com", "acm_status": issued},
        {"hostname": "api.eu.shop.example.test", "kind": "custom", "cname": "b-2.herokudns.com", "acm_status": issued},
        {"hostname": "eu.shop.example.test", "kind": "custom", "cname": "c-3.herokudns.com", "acm_status": issued},
        {"hostname": "*.shop.example.test", "kind": "custom", "cname": "d-4.herokudns.com"},
        {"hostname": "nocname.shop.example.test", "kind": "custom", "cname": null},
        {"hostname": "pending.other.example.test", "kind": "custom", "cname": "e-5.herokudns.com",
         "acm_status": "pending", "acm_status_reason": "CNAME record not found"},
        {"hostname": "failed.shop.example.test", "kind": "custom", "cname": "f-6.herokudns.com",
         "acm_status": "failed", "acm_status_reason": "validation failed"},
        {"hostname": "manual.shop.example.test", "kind": "custom", "cname": "g-7.herokudns.com",
         "sni_endpoint": {"id": "x", "name": "stegosaurus-123"}},
        {"hostname": "nowhere.unknown.test", "kind": "custom", "cname": "h-8.herokudns.com"},
        {"hostname": "www.shop.example.test", "kind": "custom", "cname": "a-1.herokudns.com"},
        {"hostname": "odd.shop.example.test", "kind": "mystery", "cname": "i-9.herokudns.com"}
    ]))
}

fn app_zone() -> MemoryProvider {
    memory(
        &[
            "shop.example.test",
            "eu.shop.example.test",
            "other.example.test",
        ],
        &[
            ("www.shop.example.test", "a-1.herokudns.com"),
            ("api.eu.shop.example.test", "b-2.herokudns.com"),
            ("pending.other.example.test", "e-5.herokudns.com"),
            ("manual.shop.example.test", "g-7.herokudns.com"),
            ("failed.shop.example.test", "f-6.herokudns.com"),
        ],
    )
}

#[test]
fn domains_across_zones_make_one_plan_per_zone_with_reasons_for_the_rest() {
    let provider: Arc<dyn DnsProvider> = Arc::new(app_zone());
    let mut options = InitOptions::new(ALB);
    options.stages = Some(vec![5, 50, 100]);
    options.ttl = Some(30);
    options.soak_seconds = Some(120);
    options.health_path = "healthz".into();
    let report = block_on(plans_from_domains(app_domains(), options, provider.clone())).unwrap();

    let zones: Vec<_> = report
        .plans
        .iter()
        .map(|p| (p.zone.name.as_str(), p.plan.names()))
        .collect();
    assert_eq!(
        zones,
        [
            // the longest zone suffix wins: api.eu.shop... is in eu.shop...
            (
                "eu.shop.example.test",
                vec!["api.eu.shop.example.test".to_owned()]
            ),
            (
                "other.example.test",
                vec!["pending.other.example.test".to_owned()]
            ),
            (
                "shop.example.test",
                vec![
                    "manual.shop.example.test".to_owned(),
                    "www.shop.example.test".to_owned()
                ]
            ),
        ]
    );
    assert!(report.spans_zones());
    let skipped = codes(&report);
    let expect = [
        ("myapp.herokuapp.com", "heroku_domain"),
        ("eu.shop.example.test", "apex"),
        ("*.shop.example.test", "wildcard"),
        ("nocname.shop.example.test", "no_cname"),
        ("failed.shop.example.test", "certificate_failed"),
        ("nowhere.unknown.test", "no_zone"),
        ("www.shop.example.test", "duplicate"),
        ("odd.shop.example.test", "not_custom"),
    ];
    assert_eq!(
        skipped,
        expect.map(|(h, c)| (h.to_owned(), c.to_owned())),
        "{:#?}",
        report.summary()
    );
    let failed = &report.skipped[4].reason;
    assert!(
        failed.contains("validation failed") && failed.contains("--allow-failed-certificates"),
        "{failed}"
    );
    let warnings = warning_codes(&report);
    assert!(warnings.contains(&(
        Some("pending.other.example.test".into()),
        "certificate_not_issued".into()
    )));
    assert!(
        !warnings
            .iter()
            .any(|(h, _)| h.as_deref() == Some("manual.shop.example.test")),
        "an uploaded certificate is fine: {warnings:?}"
    );
    let spans = report
        .warnings
        .iter()
        .find(|w| w.code == "multiple_zones")
        .expect("the span across zones is said");
    assert!(
        spans.message.contains("3 hosted zones") && spans.message.contains("other.example.test"),
        "{}",
        spans.message
    );
    let summary = report.summary().join("\n");
    assert!(
        summary.contains("skipped *.shop.example.test [wildcard]"),
        "{summary}"
    );

    for zp in &report.plans {
        let p = &zp.plan;
        assert_eq!(p.zone, zp.zone.name);
        assert_eq!(
            (p.stages.as_slice(), p.ttl, p.soak_seconds),
            (&[5u8, 50, 100][..], 30, 120)
        );
        for gate in p.gate_configs().unwrap() {
            let GateConfig::Http(http) = gate else {
                panic!()
            };
            assert_eq!(http.probe.url, format!("http://{ALB}/healthz"));
        }
        let pre = block_on(preflight(p.clone(), provider.clone())).unwrap();
        assert!(pre.ok, "{}: {:#?}", zp.zone.name, pre.summary());
    }

    // a failed certificate planned on request, with a warning
    let mut options = InitOptions::new(ALB);
    options.allow_failed_certificates = true;
    options.gates = false;
    let report = block_on(plans_from_domains(app_domains(), options, provider.clone())).unwrap();
    let shop = report
        .plans
        .iter()
        .find(|p| p.zone.name == "shop.example.test")
        .unwrap();
    assert!(shop.plan.has_host("failed.shop.example.test"));
    assert!(shop.plan.gates.is_empty());
    assert!(warning_codes(&report).contains(&(
        Some("failed.shop.example.test".into()),
        "certificate_failed".into()
    )));
}

#[test]
fn per_hostname_targets_and_a_fixed_zone() {
    let provider: Arc<dyn DnsProvider> = Arc::new(app_zone());
    let mut options = InitOptions::new(ALB);
    options.zone = Some("Shop.Example.Test.".into());
    options.aws_targets = [
        (
            "www.shop.example.test",
            "www-alb-9.eu-west-1.elb.amazonaws.com",
        ),
        ("gone.shop.example.test", "x-alb.elb.amazonaws.com"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let report = block_on(plans_from_domains(app_domains(), options, provider.clone())).unwrap();
    assert_eq!(report.plans.len(), 1);
    let plan = &report.plans[0].plan;
    assert_eq!(plan.zone, "shop.example.test");
    // inside the fixed zone by name (the delegated eu zone is the caller's choice)
    assert_eq!(
        plan.names(),
        [
            "api.eu.shop.example.test",
            "eu.shop.example.test",
            "manual.shop.example.test",
            "www.shop.example.test"
        ]
    );
    assert_eq!(
        plan.aws_target_of("www.shop.example.test"),
        "www-alb-9.eu-west-1.elb.amazonaws.com"
    );
    assert_eq!(plan.aws_target_of("manual.shop.example.test"), ALB);
    let www = plan
        .hostnames
        .iter()
        .find(|h| h.name == "www.shop.example.test")
        .unwrap();
    assert_eq!(www.heroku_target.as_deref(), Some("a-1.herokudns.com"));
    let gates = plan.gate_configs().unwrap();
    assert!(gates.iter().any(|g| matches!(g, GateConfig::Http(h)
        if h.probe.url == "http://www-alb-9.eu-west-1.elb.amazonaws.com/"
            && h.probe.host.as_deref() == Some("www.shop.example.test"))));
    assert!(codes(&report).contains(&("pending.other.example.test".into(), "outside_zone".into())));
    assert!(warning_codes(&report).contains(&(
        Some("gone.shop.example.test".into()),
        "unused_aws_target".into()
    )));
    // the written plan reads back with its per-hostname targets
    let again = CutoverPlan::from_text(&plan.to_yaml()).unwrap();
    assert_eq!(&again, plan);
    assert!(
        plan.to_json()
            .contains("\"heroku_target\": \"a-1.herokudns.com\"")
    );
}

#[test]
fn bad_options_and_nothing_to_move_are_errors() {
    let provider: Arc<dyn DnsProvider> = Arc::new(app_zone());
    let run = |options: InitOptions, domains: Vec<HerokuDomain>| {
        block_on(plans_from_domains(domains, options, provider.clone())).unwrap_err()
    };
    let err = run(InitOptions::default(), app_domains());
    assert_eq!(
        (err.kind(), err.context()),
        (ErrorKind::InvalidInput, Some("aws_target"))
    );
    let err = run(InitOptions::new("not a name"), app_domains());
    assert_eq!(
        (err.kind(), err.context()),
        (ErrorKind::InvalidInput, Some("aws_target")),
        "{err}"
    );
    let mut o = InitOptions::new(ALB);
    o.stages = Some(vec![50, 25, 100]);
    let err = run(o, app_domains());
    assert_eq!(err.context(), Some("stages[1]"), "{err}");
    let mut o = InitOptions::new(ALB);
    o.health_path = "/health check".into();
    assert_eq!(run(o, app_domains()).context(), Some("health_path"));
    let mut o = InitOptions::new(ALB);
    o.zone = Some("nope.example.test".into());
    let err = run(o, app_domains());
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // the AWS target must not be a Heroku target
    let mut o = InitOptions::new(ALB);
    o.aws_targets = [("www.shop.example.test".into(), "a-1.herokudns.com".into())].into();
    let report = block_on(plans_from_domains(app_domains(), o, provider.clone())).unwrap();
    assert!(codes(&report).contains(&("www.shop.example.test".into(), "same_target".into())));

    // nothing left to move: not_found with every reason
    let only = domains(serde_json::json!([
        {"hostname": "myapp.herokuapp.com", "kind": "heroku"},
        {"hostname": "shop.example.test", "kind": "custom", "cname": "z-1.herokudns.com",
         "acm_status": "cert issued"}
    ]));
    let err = run(InitOptions::new(ALB), only);
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.message().contains("shop.example.test [apex]")
            && err.message().contains("[heroku_domain]"),
        "{err}"
    );
    let err = run(InitOptions::new(ALB), Vec::new());
    assert!(err.message().contains("no domains"), "{err}");
}

#[test]
fn options_read_from_json() {
    let o: InitOptions = serde_json::from_str(
        r#"{"aws_target": "lb.elb.amazonaws.com", "zone": "shop.example.test", "stages": [10, 100]}"#,
    )
    .unwrap();
    assert_eq!(o.health_path, "/");
    assert!(o.gates && !o.allow_failed_certificates);
    assert_eq!(o.stages, Some(vec![10, 100]));
    assert!(serde_json::from_str::<InitOptions>(r#"{"aws_targt": "x"}"#).is_err());
}

// ---- the CLI, against moto_server and the recorded Platform API ----

/// Runs the CLI with the Heroku token, dummy AWS credentials and no AWS config files.
fn cli(args: &[&str], token: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynoshift"));
    cmd.args(args)
        .env_remove("HEROKU_API_KEY")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/dynoshift-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/dynoshift-test");
    if let Some(t) = token {
        cmd.env("HEROKU_API_KEY", t);
    }
    let out = cmd.output().expect("the CLI runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Creates `zone` on moto with `cnames` as simple CNAMEs (TTL 300).
fn moto_zone(moto: &Moto, zone: &str, cnames: &[(&str, &str)]) {
    block_on(async {
        let sdk = dynoshift::dns::route53::connect(&moto.route53_options()).await;
        let created = sdk
            .create_hosted_zone()
            .name(format!("{zone}."))
            .caller_reference(format!("dynoshift-init-{zone}"))
            .send()
            .await
            .expect("moto creates the zone");
        let id = created.hosted_zone().unwrap().id().to_owned();
        let provider = dynoshift::Route53Provider::from_client(sdk);
        let changes = cnames
            .iter()
            .map(|(h, t)| {
                Change::new(
                    ChangeAction::Create,
                    RecordSet::simple(h, "CNAME", 300, vec![(*t).to_owned()]),
                )
            })
            .collect();
        provider
            .apply(&id, changes, "seed")
            .await
            .expect("CNAMEs created");
    });
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dynoshift-init-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn cli_init_writes_a_plan_that_preflight_accepts_on_moto() {
    let moto = Moto::start();
    let api = HerokuApiServer::start(TOKEN);
    moto_zone(
        &moto,
        "shop.example.test",
        &[
            ("www.shop.example.test", "sushi-1a2b.herokudns.com"),
            ("api.shop.example.test", "tokyo-9z8y.herokudns.com"),
        ],
    );
    let endpoint = moto.endpoint_url();
    let api_url = api.url();
    let dir = scratch("one-zone");
    let yaml = dir.join("plan.yaml");
    let base = [
        "cutover",
        "init",
        "--app",
        "shop-production",
        "--aws-target",
        ALB,
        "--api-url",
        &api_url,
        "--endpoint-url",
        &endpoint,
        "--stages",
        "10,50,100",
    ];
    let mut args = base.to_vec();
    args.extend(["-o", yaml.to_str().unwrap()]);
    let (code, out, err) = cli(&args, Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("skipped shop.example.test [apex]"),
        "skipped domains and reasons on stderr: {err}"
    );
    assert!(
        err.contains("skipped shop-production.herokuapp.com [heroku_domain]"),
        "{err}"
    );
    assert!(err.contains(&format!("wrote {}", yaml.display())), "{err}");
    assert!(!err.contains("INITSECRET"), "{err}");
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(
        !text.trim_start().starts_with('{'),
        "YAML by extension: {text}"
    );
    let plan = CutoverPlan::from_text(&text).unwrap();
    assert_eq!(plan.stages, [10, 50, 100]);
    assert_eq!(
        plan.heroku_target_of("www.shop.example.test"),
        "sushi-1a2b.herokudns.com"
    );
    assert_eq!(
        plan.heroku_target_of("api.shop.example.test"),
        "tokyo-9z8y.herokudns.com"
    );
    assert_eq!(plan.gates.len(), 2);

    // preflight on moto accepts it (YAML and JSON alike)
    let (code, out, err) = cli(
        &[
            "cutover",
            "preflight",
            "--plan",
            yaml.to_str().unwrap(),
            "--endpoint-url",
            &endpoint,
        ],
        None,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("preflight passed on zone shop.example.test"),
        "{out}"
    );

    // without -o: the same plan as JSON on stdout
    let (code, out, err) = cli(&base, Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    let from_stdout = CutoverPlan::from_json(&out).unwrap();
    assert_eq!(from_stdout, plan);
    let json = dir.join("plan.json");
    std::fs::write(&json, &out).unwrap();
    let (code, out, err) = cli(
        &[
            "cutover",
            "preflight",
            "--plan",
            json.to_str().unwrap(),
            "--endpoint-url",
            &endpoint,
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true);

    // an existing file is not overwritten without --force (conflict, exit 4)
    let (code, _, err) = cli(&args, Some(TOKEN));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("--force"), "{err}");
    args.push("--force");
    assert_eq!(cli(&args, Some(TOKEN)).0, 0);

    // no token: unauthorized (exit 7), nothing written
    let other = dir.join("other.json");
    let mut no_token = base.to_vec();
    no_token.extend(["-o", other.to_str().unwrap()]);
    let (code, _, err) = cli(&no_token, None);
    assert_eq!(code, 7, "{err}");
    assert!(err.contains("HEROKU_API_KEY"), "{err}");
    assert!(!other.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_init_writes_one_file_per_zone() {
    let moto = Moto::start();
    let api = HerokuApiServer::start(TOKEN);
    moto_zone(
        &moto,
        "noodle.example.test",
        &[("www.noodle.example.test", "ramen-3c4d.herokudns.com")],
    );
    moto_zone(
        &moto,
        "noodle-eu.example.test",
        &[("order.noodle-eu.example.test", "udon-5e6f.herokudns.com")],
    );
    let endpoint = moto.endpoint_url();
    let api_url = api.url();
    let dir = scratch("zones");
    let target_file = dir.join("alb.txt");
    std::fs::write(&target_file, format!("# terraform output\n{ALB}\n")).unwrap();
    let out_path = dir.join("noodle.json");
    let (code, out, err) = cli(
        &[
            "cutover",
            "init",
            "--app",
            "noodle-bar",
            "--aws-target-file",
            target_file.to_str().unwrap(),
            "--api-url",
            &api_url,
            "--endpoint-url",
            &endpoint,
            "--health-path",
            "/up",
            "-o",
            out_path.to_str().unwrap(),
        ],
        Some(TOKEN),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("span 2 hosted zones"), "{err}");
    assert!(
        err.contains("skipped legacy.noodle.example.test [certificate_failed]"),
        "{err}"
    );
    assert!(
        err.contains("skipped *.noodle.example.test [wildcard]"),
        "{err}"
    );
    assert!(
        err.contains("warning [certificate_not_issued] order.noodle-eu.example.test"),
        "{err}"
    );
    assert!(
        !out_path.exists(),
        "one file per zone, none under the bare name"
    );
    for (zone, host, heroku) in [
        (
            "noodle.example.test",
            "www.noodle.example.test",
            "ramen-3c4d.herokudns.com",
        ),
        (
            "noodle-eu.example.test",
            "order.noodle-eu.example.test",
            "udon-5e6f.herokudns.com",
        ),
    ] {
        let file = dir.join(format!("noodle.{zone}.json"));
        assert!(err.contains(&format!("wrote {}", file.display())), "{err}");
        let plan = CutoverPlan::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(plan.zone, zone);
        assert_eq!(plan.names(), [host]);
        assert_eq!(plan.heroku_target_of(host), heroku);
        assert_eq!(plan.aws_target_of(host), ALB);
        let GateConfig::Http(gate) = &plan.gate_configs().unwrap()[0] else {
            panic!()
        };
        assert_eq!(gate.probe.url, format!("http://{ALB}/up"));
        let (code, out, err) = cli(
            &[
                "cutover",
                "preflight",
                "--plan",
                file.to_str().unwrap(),
                "--endpoint-url",
                &endpoint,
            ],
            None,
        );
        assert_eq!(code, 0, "{zone}: {out}\n{err}");
        assert!(
            out.contains(&format!("preflight passed on zone {zone}")),
            "{out}"
        );
    }

    // without -o: a JSON list of the plans, and a note on stderr
    let (code, out, err) = cli(
        &[
            "cutover",
            "init",
            "--app",
            "noodle-bar",
            "--aws-target",
            ALB,
            "--api-url",
            &api_url,
            "--endpoint-url",
            &endpoint,
        ],
        Some(TOKEN),
    );
    assert_eq!(code, 0, "{err}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(list.len(), 2);
    assert!(err.contains("-o plan.json"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! `dynoshift plan` end to end: the seed's shape (web and worker on Standard dynos, a report
//! process on Performance-M) yields a plan, its gap and the bill against Heroku, and the
//! Karpenter YAML it writes parses back.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/nodes")
        .join(name)
}

#[test]
fn plan_prints_plan_gap_and_bill_and_writes_karpenter_yaml() {
    let yaml = std::env::temp_dir().join(format!("dynoshift-np-{}.yaml", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["plan", "--json", "--pods"])
        .arg(fixture("seed-pods.json"))
        .arg("--formation")
        .arg(fixture("seed-formation.json"))
        .arg("--karpenter")
        .arg(&yaml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = &v["plan"];
    assert_eq!(plan["pod_count"], 7);
    assert!(plan["gap_percent"].as_f64().is_some());
    assert!(plan["monthly_usd"].as_f64().unwrap() <= plan["ffd_monthly_usd"].as_f64().unwrap());
    // Heroku: 4 × $50 + 2 × $25 + 1 × $250.
    assert_eq!(v["bill"]["heroku_monthly_usd"], 500.0);
    let aws = v["bill"]["aws_monthly_usd"].as_f64().unwrap();
    assert!(aws > 73.0, "the EKS fee alone is $73: {aws}");
    let text = std::fs::read_to_string(&yaml).unwrap();
    let (pool, _) = dynoshift::nodes::parse_karpenter_yaml(&text).unwrap();
    let allowed = &pool.spec.template.spec.requirements[0].values;
    for t in plan["types"].as_array().unwrap() {
        assert!(allowed.contains(&t["instance_type"].as_str().unwrap().to_owned()));
    }
    std::fs::remove_file(&yaml).ok();

    // The human output names the verdict and the gap.
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["plan", "--pods"])
        .arg(fixture("seed-pods.json"))
        .arg("--formation")
        .arg(fixture("seed-formation.json"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Optimality:") && text.contains("Verdict:"),
        "{text}"
    );
}

#[test]
fn infeasible_pods_exit_with_the_infeasible_code() {
    let pods = std::env::temp_dir().join(format!("dynoshift-pods-{}.json", std::process::id()));
    std::fs::write(
        &pods,
        r#"[{"process_type":"ml","replicas":1,"cpu_millis":500,"memory_mib":900000}]"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["plan", "--pods"])
        .arg(&pods)
        .arg("--formation")
        .arg(fixture("seed-formation.json"))
        .output()
        .unwrap();
    std::fs::remove_file(&pods).ok();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("infeasible") && err.contains("ml"), "{err}");
}

#[test]
fn catalog_list_and_import() {
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["catalog", "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c =
        dynoshift::nodes::Catalog::from_json("x", &String::from_utf8_lossy(&out.stdout)).unwrap();
    assert!(c.types.iter().all(|t| !t.burstable));
    assert_eq!(c.region, "us-east-1");

    let offer = std::env::temp_dir().join(format!("dynoshift-offer-{}.json", std::process::id()));
    std::fs::write(
        &offer,
        r#"{"products":{"S1":{"attributes":{"instanceType":"m7i.large","vcpu":"2","memory":"8 GiB","operatingSystem":"Linux","tenancy":"Shared","preInstalledSw":"NA","capacitystatus":"Used","regionCode":"us-east-1"}}},
            "terms":{"OnDemand":{"S1":{"S1.T":{"priceDimensions":{"S1.T.D":{"unit":"Hrs","pricePerUnit":{"USD":"0.0999"}}}}}}}}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["catalog", "import", "--offer-file"])
        .arg(&offer)
        .output()
        .unwrap();
    std::fs::remove_file(&offer).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c =
        dynoshift::nodes::Catalog::from_json("x", &String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(c.types.len(), 1);
    assert!((c.types[0].usd_per_hour - 0.0999).abs() < 1e-12);
}

/// `--logs` sizes the pods first: synthetic logs of the sample formation go through ingest,
/// sizing and packing, and every sized process type gets its replicas placed.
#[test]
fn plan_from_logs_places_the_sized_pods() {
    let dir = std::env::temp_dir().join(format!("dynoshift-plan-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let formation =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/formation-sample.json");
    let log = dir.join("app.log");
    let synth = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args([
            "synth-logs",
            "--duration",
            "12h",
            "--rps",
            "1",
            "--seed",
            "5",
            "--formation",
        ])
        .arg(&formation)
        .arg("-o")
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["plan", "--json", "--formation"])
        .arg(&formation)
        .arg("--logs")
        .arg(&log)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let placed: Vec<String> = v["plan"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| {
            n["pods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap_or_default().to_owned())
        })
        .collect();
    for process in ["web", "worker"] {
        assert!(
            placed.iter().any(|p| p.starts_with(process)),
            "no {process} pod placed: {placed:?}"
        );
    }
    assert_eq!(v["bill"]["heroku_monthly_usd"], 250.0);
}

/// `--formation`, `--prices`, `--pods`, `--aws` take the inline JSON their help shows as well
/// as a file.
#[test]
fn json_options_take_inline_json_as_their_help_shows() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stderr}");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // the examples of `dynoshift cost --help` and of --prices
    let cost = run(&[
        "cost",
        "--formation",
        r#"{"web": {"size": "standard-2x", "quantity": 4}}"#,
        "--prices",
        r#"{"standard-2x": 40}"#,
        "--json",
    ]);
    assert_eq!(cost["total_monthly_usd"], 160.0, "{cost}");
    for line in ["cost", "plan"] {
        let help = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
            .args([line, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains(r#"--prices '{"private-m": 600}'"#), "{help}");
    }
    let plan = run(&[
        "plan",
        "--pods",
        r#"[{"process_type": "web", "replicas": 2, "cpu_millis": 500, "memory_mib": 1024}]"#,
        "--formation",
        r#"{"web": {"size": "standard-2x", "quantity": 2}}"#,
        "--prices",
        r#"{"standard-2x": 40}"#,
        "--aws",
        r#"{"nat_gateway_usd_per_month": 0}"#,
        "--json",
    ]);
    assert_eq!(plan["plan"]["pod_count"], 2, "{plan}");
    assert_eq!(plan["bill"]["heroku_monthly_usd"], 80.0, "{plan}");
    // a file still works, and a missing one is still not_found (exit 3), named
    let out = Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["cost", "--formation", "/nonexistent/formation.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/formation.json"));
    let from_file = run(&[
        "cost",
        "--json",
        "--formation",
        fixture("seed-formation.json").to_str().unwrap(),
    ]);
    assert_eq!(from_file["total_monthly_usd"], 500.0);
}

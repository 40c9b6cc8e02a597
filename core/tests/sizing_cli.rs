//! `dynoshift size` and `dynoshift backtest` on a generated two-day log: the table shows each
//! number's rule, --json is the library's report, --yaml parses back into manifests, errors
//! exit with the invalid-input code.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dynoshift::heroku::synth::generate;
use dynoshift::manifests::{Manifest, from_yaml};
use dynoshift::sizing::BacktestReport;
use dynoshift::{Formation, SizingReport, SynthOptions};

fn dynoshift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(args)
        .output()
        .expect("run dynoshift")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Fixture {
    dir: PathBuf,
    formation: PathBuf,
    log: PathBuf,
    peaks: Vec<(String, f64)>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(tag: &str) -> Fixture {
    let dir =
        std::env::temp_dir().join(format!("dynoshift-sizing-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = r#"{"web": {"size": "standard-2x", "quantity": 2, "command": "bin/web"}, "worker": {"size": "standard-1x", "quantity": 1}}"#;
    let formation = dir.join("formation.json");
    std::fs::write(&formation, json).unwrap();
    let log = dir.join("app.log");
    let options = SynthOptions {
        duration_s: 2 * 86_400,
        web_rps: 0.3,
        r14_episodes: 2,
        seed: 4,
        ..SynthOptions::default()
    };
    let truth = generate(
        &Formation::from_json(json).unwrap(),
        &options,
        std::fs::File::create(&log).unwrap(),
    )
    .unwrap();
    let peaks = truth
        .process_types
        .iter()
        .map(|(k, t)| (k.clone(), t.peak_memory_total_mb))
        .collect();
    Fixture {
        dir,
        formation,
        log,
        peaks,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn size_prints_a_table_json_and_yaml() {
    let fx = fixture("size");
    let base = [
        "size",
        "--formation",
        s(&fx.formation),
        "--logs",
        s(&fx.log),
    ];
    let out = dynoshift(&base);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for part in [
        "web — why:",
        "worker — why:",
        "Little's law",
        "an estimate",
        "R14",
    ] {
        assert!(table.contains(part), "{part} missing from\n{table}");
    }

    let out = dynoshift(&[&base[..], &["--json"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: SizingReport = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(report.processes.len(), 2);
    for (ty, peak) in &fx.peaks {
        let p = report.process(ty).unwrap();
        assert!(f64::from(p.memory_limit_mib.value) >= *peak, "{ty}");
    }

    let out = dynoshift(
        &[
            &base[..],
            &[
                "--yaml",
                "--image",
                "registry.example.com/app:1",
                "--namespace",
                "shop",
            ],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let objects = from_yaml(&text(&out.stdout)).unwrap();
    let deployments: Vec<_> = objects
        .iter()
        .filter_map(|m| match m {
            Manifest::Deployment(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(deployments.len(), 2);
    assert!(
        deployments
            .iter()
            .all(|d| d.metadata.namespace.as_deref() == Some("shop"))
    );

    let vpa = dynoshift(&[&base[..], &["--strategy", "vpa", "--json"]].concat());
    let vpa: SizingReport = serde_json::from_str(&text(&vpa.stdout)).unwrap();
    assert_eq!(vpa.strategy.as_str(), "vpa");

    let bad = dynoshift(&[&base[..], &["--strategy", "goldilocks"]].concat());
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("invalid_input"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn backtest_on_logs_and_on_a_scenario() {
    let fx = fixture("backtest");
    let out = dynoshift(&[
        "backtest",
        "--formation",
        s(&fx.formation),
        "--logs",
        s(&fx.log),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: BacktestReport = serde_json::from_str(&text(&out.stdout)).unwrap();
    // Two process types × three strategies.
    assert_eq!(report.rows.len(), 6);
    assert_eq!(report.summary.len(), 3);
    assert!(report.fit_window.unwrap().end_ms < report.eval_window.unwrap().start_ms);

    let out = dynoshift(&["backtest", "--scenario", "swap-use", "--days", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for part in ["== swap-use", "dynoshift", "vpa", "krr", "all scenarios"] {
        assert!(table.contains(part), "{part} missing from\n{table}");
    }
    let bad = dynoshift(&["backtest", "--scenario", "nope", "--days", "1"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// The fixture's log as gzip, damaged: cut at half its length (`truncated`) or with a run of
/// garbage bytes in the middle of the deflate stream (corrupt).
fn damaged_gzip(fx: &Fixture, truncated: bool) -> PathBuf {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&fx.log).unwrap()).unwrap();
    let mut gz = enc.finish().unwrap();
    let half = gz.len() / 2;
    let name = if truncated {
        gz.truncate(half);
        "truncated.log.gz"
    } else {
        gz[half..half + 64].fill(0xA5);
        "corrupt.log.gz"
    };
    let path = fx.dir.join(name);
    std::fs::write(&path, gz).unwrap();
    path
}

#[test]
fn damaged_logs_are_refused_unless_allowed_and_then_warned_about_everywhere() {
    let fx = fixture("damaged");
    for truncated in [true, false] {
        let gz = damaged_gzip(&fx, truncated);
        let size = ["size", "--formation", s(&fx.formation), "--logs", s(&gz)];
        let plan = ["plan", "--formation", s(&fx.formation), "--logs", s(&gz)];
        let yaml = ["--yaml", "--image", "registry.example.com/app:1"];
        // refused: exit 2 (invalid_input), the reason and the way out on stderr, nothing on stdout
        for args in [
            size.to_vec(),
            [&size[..], &yaml[..]].concat(),
            [&size[..], &["--json"]].concat(),
            plan.to_vec(),
        ] {
            let out = dynoshift(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains("warning: damaged input ")
                    && err.contains(gz.file_name().unwrap().to_str().unwrap())
                    && err.contains("--allow-damaged-input"),
                "{args:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
        }
        // allowed: exit 0, the warning on stderr and in every output
        let allow = ["--allow-damaged-input"];
        let out = dynoshift(&[&size[..], &allow[..], &["--json"]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("warning: damaged input "));
        let report: SizingReport = serde_json::from_str(&text(&out.stdout)).unwrap();
        assert_eq!(report.input_issues.len(), 1, "{:?}", report.warnings);
        assert!(
            report.warnings[0].contains("truncated or corrupt"),
            "{:?}",
            report.warnings
        );
        let out = dynoshift(&[&size[..], &allow[..]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("warning: damaged input "));
        let out = dynoshift(&[&size[..], &allow[..], &yaml[..]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let manifests = text(&out.stdout);
        assert!(
            manifests.starts_with("# dynoshift: warning: damaged input "),
            "{manifests}"
        );
        assert!(!from_yaml(&manifests).unwrap().is_empty());
        let out = dynoshift(&[&plan[..], &allow[..], &["--json"]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let planned: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
        let warnings = planned["plan"]["warnings"].as_array().unwrap();
        assert!(
            warnings.len() == 1 && warnings[0].as_str().unwrap().contains("damaged input"),
            "{planned}"
        );
        let out = dynoshift(&[&plan[..], &allow[..]].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("warning: damaged input "));
    }
    // an intact gzip of the same log is not damaged
    let intact = fx.dir.join("intact.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&fx.log).unwrap()).unwrap();
    std::fs::write(&intact, enc.finish().unwrap()).unwrap();
    let out = dynoshift(&[
        "size",
        "--formation",
        s(&fx.formation),
        "--logs",
        s(&intact),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

//! The fuzz targets of `fuzz/` as property tests, so that `cargo test` exercises the same
//! properties on every run (cargo-fuzz runs them much longer: `make fuzz`). Arbitrary text and
//! bytes, plus mutations of well-formed inputs, through every decoder that reads caller input:
//! no panic, and errors of the expected kind. `FUZZ_PROPTEST_CASES` raises the case count.

use dynoshift::cutover::{JournalFile, dry_run, read_journal};
use dynoshift::{CutoverPlan, ErrorKind, Formation, Ingest, Prices};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const PLAN: &str = r#"{"hostnames": ["www.example.com"], "zone": "example.com", "heroku_target": "x.herokudns.com", "aws_target": "lb-1.elb.amazonaws.com", "stages": [10, 50, 100]}"#;
const FORMATION: &str = r#"{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "basic", "quantity": 1}}"#;
const LINE: &str = "2026-11-02T10:00:00+00:00 heroku[web.1]: source=web.1 dyno=heroku.1.a sample#memory_total=300.00MB sample#memory_rss=300.00MB sample#load_avg_1m=0.5";

/// `base` with a few bytes replaced, inserted or removed (what a fuzzer's mutator does).
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6).prop_map(
        move |edits| {
            let mut bytes = base.as_bytes().to_vec();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len().max(1)).min(bytes.len());
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        },
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~]{0,200}"]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_line_never_panics(line in prop_oneof![text(), mutated(LINE)]) {
        let json = dynoshift::parse_line(&line).to_json();
        prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }

    #[test]
    fn ingest_accounts_for_every_byte(data in proptest::collection::vec(any::<u8>(), 0..2048), step in 1usize..64) {
        let mut ingest = Ingest::new();
        ingest.begin_input("prop");
        for chunk in data.chunks(step) {
            ingest.feed(chunk);
        }
        ingest.end_input();
        let profiles = ingest.finish();
        prop_assert_eq!(profiles.lines.bytes, data.len() as u64);
        let mut gz = vec![0x1f, 0x8b];
        gz.extend_from_slice(&data);
        let mut corrupt = Ingest::new();
        corrupt.begin_input("corrupt.gz");
        let _ = corrupt.feed_reader(gz.as_slice());
        let _ = corrupt.finish().to_json();
    }

    #[test]
    fn formations_parse_or_say_why(t in prop_oneof![text(), mutated(FORMATION)]) {
        match Formation::from_json(&t) {
            Ok(f) => {
                let again = Formation::from_json(&f.to_json()).expect("own JSON parses");
                prop_assert_eq!(again.to_json(), f.to_json());
                if let Ok(cost) = f.monthly_cost(&Prices::list()) {
                    prop_assert!(cost.total_monthly_usd.is_finite());
                }
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput),
        }
    }

    #[test]
    fn plans_parse_validate_and_dry_run(t in prop_oneof![text(), mutated(PLAN)]) {
        match CutoverPlan::from_json(&t) {
            Ok(plan) => {
                prop_assert_eq!(CutoverPlan::from_json(&plan.to_json()).unwrap(), plan.clone());
                prop_assert!(dry_run(&plan, None, None).is_ok());
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e),
        }
    }

    #[test]
    fn node_requests_never_panic(t in prop_oneof![text(), mutated(r#"{"pods": [{"process_type": "web", "replicas": 2, "cpu_millis": 500, "memory_mib": 512}], "options": {"time_budget_ms": 20}}"#)]) {
        for op in ["plan", "max_pods", "kube_reserved", "allocatable"] {
            if let Err(e) = dynoshift::nodes::ops::call_json(op, &t) {
                prop_assert!(matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::Infeasible | ErrorKind::NotFound), "{}", e);
            }
        }
    }

    #[test]
    fn journals_load_or_are_invalid_input(t in prop_oneof![text(), mutated(JOURNAL)]) {
        let dir = std::env::temp_dir().join(format!("dynoshift-fuzz-props-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.json");
        std::fs::write(&path, &t).unwrap();
        match read_journal(&path) {
            Ok(j) => {
                j.validate().unwrap();
                let copy = dir.join("copy.json");
                JournalFile::new(&copy).save(&j).unwrap();
                prop_assert!(read_journal(&copy).is_ok());
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e),
        }
    }
}

const JOURNAL: &str = r#"{"version": 1, "run_id": "run-1", "plan_digest": "00", "plan": {"hostnames": ["www.example.com"], "zone": "example.com", "heroku_target": "x.herokudns.com", "aws_target": "lb-1.elb.amazonaws.com"}, "zone_id": "Z1", "zone_name": "example.com", "started_at_ms": 1, "updated_at_ms": 2, "original": [{"name": "www.example.com", "type": "CNAME", "ttl": 60, "values": ["x.herokudns.com"]}], "mode": {"mode": "forward"}, "steps": [{"kind": {"kind": "stage", "index": 1}, "target": {"kind": "weighted", "percent": 25}, "status": "written", "intent_at_ms": 1}]}"#;

#[test]
fn the_seed_journal_and_plan_are_valid() {
    // the mutation bases must be valid, or the properties above only ever see errors
    CutoverPlan::from_json(PLAN).unwrap();
    Formation::from_json(FORMATION).unwrap();
    let dir = std::env::temp_dir().join(format!("dynoshift-fuzz-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("j.json"), JOURNAL).unwrap();
    read_journal(dir.join("j.json")).unwrap();
}

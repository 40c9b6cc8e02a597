//! Runs every shared vector in `tests/vectors` against the Rust API. An op this runner does not
//! know is a failure: every language must run every case.

mod support;

use dynoshift::sizing::{SizingPolicy, recommend_lines};
use dynoshift::{DynoSize, Error, Formation, Prices};
use serde_json::Value;
use support::vectors::{load, root, subset};

fn formation(input: &Value) -> Result<Formation, Error> {
    match (input.get("formation_text"), input.get("formation")) {
        (Some(Value::String(text)), _) => Formation::from_json(text),
        (_, Some(v)) => Formation::from_json(&v.to_string()),
        _ => panic!("vector input needs formation or formation_text"),
    }
}

fn prices(input: &Value) -> Result<Prices, Error> {
    match input.get("prices") {
        Some(p) => Prices::from_json(&p.to_string()),
        None => Ok(Prices::list()),
    }
}

fn sizing_recommend(input: &Value) -> Result<Value, Error> {
    let f = formation(input)?;
    let policy = match input.get("policy") {
        Some(p) => SizingPolicy::from_json(&p.to_string())?,
        None => SizingPolicy::default(),
    };
    let lines = input["logs"]
        .as_array()
        .expect("sizing vectors give logs: [lines]");
    let report = recommend_lines(&f, lines.iter().map(|l| l.as_str().unwrap()), &policy)?;
    Ok(serde_json::from_str(&report.to_json()).unwrap())
}

fn sizing_policy(input: &Value) -> Result<SizingPolicy, Error> {
    match input.get("policy") {
        Some(p) => SizingPolicy::from_json(&p.to_string()),
        None => Ok(SizingPolicy::default()),
    }
}

/// `sizing.manifests`: the report and options from JSON, rendered to YAML, parsed back.
fn sizing_manifests(input: &Value) -> Result<Value, Error> {
    let report = dynoshift::SizingReport::from_json(&input["report"].to_string())?;
    let options = dynoshift::ManifestOptions::from_json(&input["options"].to_string())?;
    let yaml = dynoshift::manifests::render(&report, &options)?;
    Ok(serde_json::from_str(&dynoshift::manifests::from_yaml_to_json(&yaml)?).unwrap())
}

/// `sizing.backtest`: `{formation, logs, policy?, strategies?, fit_fraction?}`.
fn sizing_backtest(input: &Value) -> Result<Value, Error> {
    let f = formation(input)?;
    let policy = sizing_policy(input)?;
    let names: Vec<&str> = input
        .get("strategies")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|s| s.as_str().unwrap()).collect())
        .unwrap_or_default();
    let strategies = dynoshift::Strategy::parse_all(&names)?;
    let fit = input
        .get("fit_fraction")
        .map_or(0.5, |v| v.as_f64().unwrap());
    let lines = input["logs"]
        .as_array()
        .expect("backtest vectors give logs");
    let report = dynoshift::sizing::backtest_lines(
        &f,
        lines.iter().map(|l| l.as_str().unwrap()),
        &policy,
        &strategies,
        fit,
    )?;
    Ok(serde_json::from_str(&report.to_json()).unwrap())
}

fn run(op: &str, input: &Value) -> Option<Result<Value, Error>> {
    let to_value = |s: String| serde_json::from_str::<Value>(&s).unwrap();
    Some(match op {
        "dyno_size" => DynoSize::lookup(input["name"].as_str().unwrap())
            .map(|s| serde_json::to_value(s).unwrap()),
        "formation.parse" => formation(input).map(|f| to_value(f.to_json())),
        op if op.starts_with("nodes.") => {
            dynoshift::nodes::ops::call_json(&op["nodes.".len()..], &input.to_string())
                .map(to_value)
        }
        "logs.parse_line" => Ok(to_value(
            dynoshift::parse_line(input["line"].as_str().unwrap()).to_json(),
        )),
        "formation.monthly_cost" => formation(input)
            .and_then(|f| f.monthly_cost(&prices(input)?))
            .map(|r| to_value(r.to_json())),
        "sizing.recommend" => sizing_recommend(input),
        "sizing.manifests" => sizing_manifests(input),
        "sizing.backtest" => sizing_backtest(input),
        _ => return None,
    })
}

#[test]
fn every_vector_passes_in_rust() {
    let cases = load(&root());
    assert!(
        cases.len() >= 30,
        "expected the shared vectors, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let where_ = format!("{} [{}]", file.display(), case.id);
        match (run(&case.op, &case.input), &case.expect, &case.error) {
            (None, _, _) => failures.push(format!(
                "{where_}: op {:?} is not run by the Rust runner",
                case.op
            )),
            (Some(Ok(got)), Some(expect), None) => {
                if let Err(m) = subset(expect, &got, "") {
                    failures.push(format!("{where_}: {m}"));
                }
            }
            (Some(Err(e)), None, Some(want)) => {
                if e.kind().as_str() != want.kind {
                    failures.push(format!(
                        "{where_}: expected kind {}, got {} ({e})",
                        want.kind,
                        e.kind()
                    ));
                }
                for part in &want.message_contains {
                    if !e.to_string().contains(part.as_str()) {
                        failures.push(format!("{where_}: message {e:?} lacks {part:?}"));
                    }
                }
            }
            (Some(Ok(got)), _, Some(want)) => {
                failures.push(format!("{where_}: expected error {}, got {got}", want.kind))
            }
            (Some(Err(e)), _, _) => failures.push(format!("{where_}: unexpected error {e}")),
            (Some(Ok(_)), None, None) => {
                failures.push(format!("{where_}: case has neither expect nor error"))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

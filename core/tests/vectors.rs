//! Runs every shared vector in `tests/vectors` against the Rust API. An op this runner does not
//! know is a failure: every language must run every case.

use crate::support;

use std::path::PathBuf;
use std::sync::Arc;

use dynoshift::cutover::{
    InitOptions, dry_run, plans_from_app, preflight, read_journal, rehearsal_provider,
};
use dynoshift::sizing::{SizingPolicy, recommend_lines, recommend_paths};
use dynoshift::{
    CutoverPlan, DynoSize, Error, Formation, HerokuApiOptions, HerokuClient, MemoryOptions, Prices,
    Token, VirtualClock, gates_from_json, ingest_paths,
};
use serde_json::Value;
use support::heroku_api::HerokuApiServer;
use support::vectors::{json_text, load, root, subset};

/// `{key}` (a JSON value, `{"$float": "NaN"}` markers written as bare `NaN`) or `{key}_text`.
fn text(input: &Value, key: &str) -> String {
    match (input.get(format!("{key}_text")), input.get(key)) {
        (Some(Value::String(text)), _) => text.clone(),
        (_, Some(v)) => json_text(v),
        _ => panic!("vector input needs {key} or {key}_text"),
    }
}

fn formation(input: &Value) -> Result<Formation, Error> {
    Formation::from_json(&text(input, "formation"))
}

fn prices(input: &Value) -> Result<Prices, Error> {
    match input.get("prices") {
        Some(p) => Prices::from_json(&json_text(p)),
        None => Ok(Prices::list()),
    }
}

fn policy(input: &Value) -> Result<SizingPolicy, Error> {
    match input.get("policy") {
        Some(p) => SizingPolicy::from_json(&json_text(p)),
        None => Ok(SizingPolicy::default()),
    }
}

fn paths(input: &Value, key: &str) -> Vec<PathBuf> {
    input[key]
        .as_array()
        .unwrap_or_else(|| panic!("vector input needs {key}: [paths]"))
        .iter()
        .map(|p| PathBuf::from(p.as_str().unwrap()))
        .collect()
}

fn plan(input: &Value, key: &str) -> Result<CutoverPlan, Error> {
    CutoverPlan::from_json(&text(input, key))
}

/// `{plan, lines | profiles, now}`: the drain report.
fn cutover_drained(input: &Value) -> Result<Value, Error> {
    let plan = plan(input, "plan")?;
    let lines: Option<Vec<String>> = input
        .get("lines")
        .map(|v| serde_json::from_value(v.clone()).unwrap());
    let profiles = input.get("profiles").map(json_text);
    dynoshift::cutover::drained::drained_from(
        &plan,
        lines.as_deref(),
        profiles.as_deref(),
        input["now"].as_str(),
    )
    .map(|r| serde_json::to_value(r).unwrap())
}

/// `{path}`, or `{journal}` / `{journal_text}` written to a scratch file first.
fn journal_path(input: &Value, id: &str) -> PathBuf {
    if let Some(p) = input.get("path") {
        return PathBuf::from(p.as_str().unwrap());
    }
    let dir = std::env::temp_dir().join(format!("dynoshift-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{id}.journal.json"));
    std::fs::write(&path, text(input, "journal")).unwrap();
    path
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn cutover_preflight(input: &Value) -> Result<Value, Error> {
    let zone_plan = plan(input, "memory_plan")?;
    let clock = Arc::new(VirtualClock::new());
    let zone = rehearsal_provider(&zone_plan, MemoryOptions::default(), clock)?;
    let report = block_on(preflight(plan(input, "plan")?, Arc::new(zone)))?;
    Ok(serde_json::from_str(&report.to_json()).unwrap())
}

/// Plans from the app's domains as recorded in tests/fixtures/heroku-api (served on loopback),
/// zones from an in-memory zone seeded from `memory_plan`.
fn cutover_from_heroku_app(input: &Value) -> Result<Value, Error> {
    const TOKEN: &str = "hk-test-0123456789abcdef";
    let server = HerokuApiServer::start(TOKEN);
    let client = HerokuClient::new(HerokuApiOptions {
        token: Some(Token::new(TOKEN)),
        base_url: Some(server.url()),
        ..HerokuApiOptions::default()
    })?;
    let zone_plan = plan(input, "memory_plan")?;
    let zone = rehearsal_provider(
        &zone_plan,
        MemoryOptions::default(),
        Arc::new(VirtualClock::new()),
    )?;
    let options = InitOptions::from_json(&text(input, "options"))?;
    let app = input["app"].as_str().expect("vector input needs app");
    let report = block_on(plans_from_app(&client, app, options, Arc::new(zone)))?;
    Ok(serde_json::from_str(&report.to_json()).unwrap())
}

fn sizing_recommend(input: &Value) -> Result<Value, Error> {
    let f = formation(input)?;
    let policy = policy(input)?;
    let lines = input["logs"]
        .as_array()
        .expect("sizing vectors give logs: [lines]");
    let report = recommend_lines(&f, lines.iter().map(|l| l.as_str().unwrap()), &policy)?;
    Ok(serde_json::from_str(&report.to_json()).unwrap())
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
    let policy = policy(input)?;
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

fn run(op: &str, input: &Value, id: &str) -> Option<Result<Value, Error>> {
    let to_value = |s: String| serde_json::from_str::<Value>(&s).unwrap();
    Some(match op {
        "dyno_size" => DynoSize::lookup(input["name"].as_str().unwrap())
            .map(|s| serde_json::to_value(s).unwrap()),
        "formation.parse" => formation(input).map(|f| to_value(f.to_json())),
        op if op.starts_with("nodes.") => {
            dynoshift::nodes::ops::call_json(&op["nodes.".len()..], &json_text(input)).map(to_value)
        }
        "logs.parse_line" => Ok(to_value(
            dynoshift::parse_line(input["line"].as_str().unwrap()).to_json(),
        )),
        "formation.monthly_cost" => formation(input)
            .and_then(|f| f.monthly_cost(&prices(input)?))
            .map(|r| to_value(r.to_json())),
        "sizing.recommend" => sizing_recommend(input),
        "sizing.recommend_files" => formation(input).and_then(|f| {
            let report = recommend_paths(&f, &paths(input, "log_paths"), &policy(input)?)?;
            Ok(to_value(report.to_json()))
        }),
        "ingest" => ingest_paths(&paths(input, "paths")).map(|p| to_value(p.to_json())),
        "cutover.plan" => plan(input, "plan").map(|p| to_value(p.to_json())),
        "cutover.dry_run" => {
            plan(input, "plan").and_then(|p| dry_run(&p, None, None).map(|r| to_value(r.to_json())))
        }
        "cutover.preflight" => cutover_preflight(input),
        "cutover.from_heroku_app" => cutover_from_heroku_app(input),
        "cutover.read_journal" => {
            read_journal(journal_path(input, id)).map(|j| serde_json::to_value(j).unwrap())
        }
        "cutover.drained" => cutover_drained(input),
        "gates.validate" => gates_from_json(&text(input, "gates"))
            .map(|gates| gates.iter().map(|g| Value::String(g.name())).collect()),
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
        match (
            run(&case.op, &case.input, &case.id),
            &case.expect,
            &case.error,
        ) {
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

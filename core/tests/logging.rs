//! The log forwarding the bindings use: a real ingest's tracing events reach the sink, with
//! their fields, and only at the levels asked for. (Its own test binary: it installs the
//! process-wide subscriber.)

use std::sync::{Arc, Mutex};

use dynoshift::logging::{LogLevel, LogRecord, set_log_sink};

#[test]
fn core_events_reach_the_sink_at_the_chosen_level() {
    let seen: Arc<Mutex<Vec<LogRecord>>> = Arc::default();
    let s2 = seen.clone();
    set_log_sink(
        Some(Arc::new(move |r: &LogRecord| {
            s2.lock().unwrap().push(r.clone())
        })),
        LogLevel::Info,
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("dynoshift-logging-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("app.log");
    std::fs::write(
        &log,
        "2026-11-02T00:00:00+00:00 heroku[web.1]: source=web.1 dyno=heroku.1.a sample#memory_total=100.0MB sample#load_avg_1m=0.5\n",
    )
    .unwrap();
    let profiles = dynoshift::ingest_paths(std::slice::from_ref(&log)).unwrap();
    assert_eq!(profiles.lines.records, 1);
    let records = seen.lock().unwrap().clone();
    let finished = records
        .iter()
        .find(|r| r.message.starts_with("ingest: finished"))
        .unwrap_or_else(|| panic!("no ingest event in {records:?}"));
    assert_eq!(finished.level, LogLevel::Info);
    assert_eq!(finished.target, "dynoshift::telemetry");
    assert!(finished.message.contains(" records=1"), "{finished:?}");

    // off: nothing more arrives
    set_log_sink(None, LogLevel::Trace).unwrap();
    let before = seen.lock().unwrap().len();
    dynoshift::ingest_paths(std::slice::from_ref(&log)).unwrap();
    assert_eq!(seen.lock().unwrap().len(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

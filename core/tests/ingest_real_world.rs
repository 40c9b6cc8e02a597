//! Real-world input, end to end.
//!
//! 1. A realistic mixed file (`fixtures/real-world-mixed.log`: `heroku logs` output with ANSI
//!    colours, three generations of runtime metrics, router lines with empty, unitless and
//!    extra values, Fir dyno names, drain bodies with glued frames, counts off by the line
//!    feed and stale counts, Papertrail archive rows, and lines that must stay unparsed): its
//!    profile JSON is pinned in `fixtures/real-world-mixed.golden.json` (regenerate with
//!    `DYNOSHIFT_UPDATE_GOLDEN=1` only when the output is meant to change), and the numbers
//!    that matter are asserted here by hand.
//! 2. A Papertrail archive (`.tsv` and `.tsv.gz`) of the same events as a plain log gives the
//!    same profiles.

use std::io::Write;

use dynoshift::Formation;
use dynoshift::heroku::synth::{SynthOptions, generate};
use dynoshift::telemetry::{Ingest, Profiles, ingest_paths};

const MIXED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/real-world-mixed.log"
);
const MIXED_GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/real-world-mixed.golden.json"
);

fn ingest(name: &str, data: &[u8]) -> Profiles {
    let mut i = Ingest::new();
    i.begin_input(name);
    i.feed(data);
    i.finish()
}

#[test]
fn a_realistic_mixed_file_gives_the_golden_profiles() {
    let data = std::fs::read(MIXED).unwrap();
    let p = ingest("real-world-mixed.log", &data);
    let json = p.to_json_pretty() + "\n";
    if std::env::var_os("DYNOSHIFT_UPDATE_GOLDEN").is_some() {
        std::fs::write(MIXED_GOLDEN, &json).unwrap();
    }

    // Every record accounted for: three unparsed on purpose, each sampled with its reason.
    let l = &p.lines;
    assert_eq!(l.unparsed, 3, "{:#?}", p.unparsed_examples);
    assert_eq!(p.unparsed_examples.len(), 3);
    assert_eq!(l.records, l.telemetry + l.other + l.unparsed);
    let r = l.repairs;
    assert_eq!(r.ansi_stripped, 2, "{r:?}");
    assert_eq!(r.octet_count_off_by_one, 1, "{r:?}");
    assert_eq!(r.glued_frames, 1, "{r:?}");
    assert_eq!(r.frames_found_by_header, 2, "{r:?}");
    assert_eq!(r.zone_offsets_inferred, 1, "{r:?}");
    assert_eq!(r.years_inferred, 0, "{r:?}");

    let web = &p.process_types["web"];
    // web.1 (sample# and measure=), web.3 (no source=), web.5 (Papertrail), web.2, the Fir dyno.
    let dynos: Vec<&str> = web.dynos.keys().map(String::as_str).collect();
    assert_eq!(
        dynos,
        ["web-1234abcde44-123ab", "web.1", "web.2", "web.3", "web.5"]
    );
    assert_eq!(web.dynos["web.1"].memory.samples, 2);
    assert_eq!(web.dynos["web.1"].load_samples, 2);
    assert_eq!(
        web.dynos["web.5"].memory.swap_mb.as_ref().unwrap().max,
        78.24
    );
    assert_eq!(web.dynos["web-1234abcde44-123ab"].requests, 1);
    // R14s: web.2 (a drain frame found by header) and web.5 (Papertrail).
    assert_eq!(web.memory_errors.r14, 2);
    let router = web.router.as_ref().unwrap();
    // ANSI-coloured, unitless, sock=, H12, H81 (no dyno: web), drain x2, Fir, Papertrail x2.
    assert_eq!(router.requests, 10);
    assert_eq!(router.h_codes["H12"], 2);
    assert_eq!(router.h_codes["H81"], 1);
    assert_eq!(router.status_classes["5xx"], 3);
    let worker = &p.process_types["worker"];
    assert_eq!(worker.load_samples, 2);
    assert_eq!(worker.memory.total_mb.as_ref().unwrap().max, 627.0);
    assert_eq!(
        worker.memory.process_running_mb.as_ref().unwrap().max,
        627.0
    );
    assert_eq!(worker.memory_errors.r14, 1);
    // The Logplex L10 and Postgres metrics are records without dyno telemetry.
    assert!(!p.process_types.contains_key("logplex"));
    assert!(!p.process_types.contains_key("heroku-postgres"));

    let want = std::fs::read_to_string(MIXED_GOLDEN).unwrap();
    assert!(
        json == want,
        "the profile JSON differs from {MIXED_GOLDEN}; regenerate with DYNOSHIFT_UPDATE_GOLDEN=1 \
         only if the change is intended"
    );
}

/// A plain `heroku logs` file and the Papertrail archive rows of the same events (what
/// Papertrail writes: second-precision zone-less `generated_at`, `received_at` in UTC, the
/// process in `program`).
fn plain_and_archive() -> (Vec<u8>, Vec<u8>) {
    let formation = Formation::from_json(
        r#"{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}"#,
    )
    .unwrap();
    let opts = SynthOptions {
        seed: 5,
        duration_s: 2 * 3600,
        web_rps: 0.5,
        r14_episodes: 1,
        h12_per_hour: 4.0,
        leak_mb_per_hour: 200.0,
        leak_types: vec!["worker".into()],
        ..SynthOptions::default()
    };
    let mut log = Vec::new();
    generate(&formation, &opts, &mut log).unwrap();
    let text = String::from_utf8(log).unwrap();
    let (mut plain, mut archive) = (String::new(), String::new());
    for (i, line) in text.lines().enumerate() {
        // 2026-11-02T05:00:00.123456+00:00 heroku[web.1]: MESSAGE
        let (ts, rest) = line.split_once(' ').unwrap();
        let (source, rest) = rest.split_once('[').unwrap();
        let (process, msg) = rest.split_once("]: ").unwrap();
        let seconds = &ts[..19];
        plain += &format!("{seconds}+00:00 {source}[{process}]: {msg}\n");
        archive += &format!(
            "{}\t{seconds}\t{seconds}Z\t505641143\tmyapp\t54.144.85.82\tLocal3\tInfo\t{source}/{process}\t{msg}\n",
            700_000_000_000_000_000u64 + i as u64
        );
    }
    (plain.into_bytes(), archive.into_bytes())
}

/// The profiles without what necessarily differs between two framings of the same events
/// (the byte count and the input names).
fn comparable(mut p: Profiles) -> String {
    p.lines.bytes = 0;
    for e in &mut p.unparsed_examples {
        e.input = None;
    }
    p.to_json_pretty()
}

#[test]
fn a_papertrail_archive_gives_the_profiles_of_the_plain_log() {
    let (plain, archive) = plain_and_archive();
    let want = ingest("app.log", &plain);
    assert!(want.lines.telemetry > 1000, "{:?}", want.lines);
    assert_eq!(want.lines.unparsed, 0);
    let got = ingest("archive.tsv", &archive);
    assert_eq!(got.lines.unparsed, 0, "{:?}", got.unparsed_examples);
    assert_eq!(comparable(got), comparable(want.clone()));

    // The same as files, the archive gzipped like Papertrail's `.tsv.gz`.
    let dir = std::env::temp_dir().join(format!("dynoshift-papertrail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz_path = dir.join("2026-11-02.tsv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&archive).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let plain_path = dir.join("app.log");
    std::fs::write(&plain_path, &plain).unwrap();
    let from_gz = ingest_paths(std::slice::from_ref(&gz_path)).unwrap();
    let from_plain = ingest_paths(std::slice::from_ref(&plain_path)).unwrap();
    assert_eq!(comparable(from_gz), comparable(from_plain));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_cli_summary_shows_the_repairs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dynoshift"))
        .args(["ingest", MIXED])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("repairs 7  (octet count off by one 1, glued frames 1, frames found by header 2, ANSI stripped 2, zone offsets inferred 1, years inferred 0)"),
        "{text}"
    );
    assert!(text.contains("unparsed 3"), "{text}");
}

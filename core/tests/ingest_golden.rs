//! The ingest's output is pinned: the profile JSON of a small seeded mixed log (generated text
//! and drain logs plus hand-written edge cases) must stay byte-identical to
//! `core/tests/fixtures/ingest-golden.json`, which was written by the implementation before
//! the hot-path optimisations. Speed work must not change a single reported number.
//!
//! The golden file also records the SHA-256 of the generated input: if the generator itself
//! changes, the test says so instead of blaming the ingest. To regenerate the golden (only when
//! the ingest's output is meant to change, or the generator changed), run with
//! `DYNOSHIFT_UPDATE_GOLDEN=1` on the implementation whose output is the reference.

use std::io::Write;

use dynoshift::Formation;
use dynoshift::heroku::synth::{SynthFraming, SynthOptions, generate};
use dynoshift::telemetry::{Ingest, ingest_paths};
use sha2::{Digest, Sha256};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/ingest-golden.json"
);

/// Lines the generator never writes: old `measure=` metrics, quoted and empty router values,
/// H10 with empty fields, CRLF endings, blank lines, bare messages, bad numbers, invalid UTF-8,
/// octet counts that do not add up, several frames on one line, `sock=` router lines, kB/GB
/// units, negative and huge values, a drain token in PROCID.
const EDGES: &[&[u8]] = &[
    b"2018-08-10T08:20:12.324796+00:00 heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99",
    b"2018-08-10T08:20:12.324796+00:00 heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7 sample#memory_total=21.00MB sample#memory_rss=21.22MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB",
    b"2018-08-10T08:20:32.000000+00:00 heroku[web.2]: source=web.2 dyno=heroku.2808254.aaaa sample#memory_total=300.50MB sample#memory_rss=280.00MB sample#memory_cache=1.00MB sample#memory_swap=20.50MB sample#memory_quota=512.00MB\r",
    b"2018-08-10T08:20:40+00:00 heroku[router]: at=info method=GET path=\"/\" host=myapp.herokuapp.com request_id=76fe fwd=\"204.204.204.204\" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https",
    b"2018-08-10T08:20:41+00:00 heroku[router]: at=error code=H12 desc=\"Request timeout\" method=GET path=/ host=myapp.herokuapp.com fwd=\"204.204.204.204\" dyno=web.2 connect= service=30000ms status=503 bytes=0",
    b"2010-10-06T21:51:12-07:00 heroku[router]: at=error code=H10 desc=\"App crashed\" method=GET path=\"/\" host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes=",
    b"2018-08-10T08:21:10+00:00 heroku[worker.1]: Process running mem=1028MB(103.3%)",
    b"2018-08-10T08:21:11+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)",
    b"2018-08-10T08:21:12Z heroku[worker.1]: Error R15 (Memory quota vastly exceeded)",
    b"2018-08-10T08:21:12+00:00 app[web.1]: Started GET \"/\" for 1.2.3.4",
    b"",
    b"\r",
    b"this is not a heroku line",
    b"source=web.3 sample#memory_total=NaNMB",
    b"source=web.3 sample#memory_total=1.5GB sample#memory_rss=700000kB sample#load_avg_1m=0",
    b"measure=load_avg_1m val=3.25 source=clock.1",
    b"measure=memory_total val=2 units=GB source=clock.1",
    b"measure=memory_total source=clock.1",
    b"at=info dyno=web.9 connect=0ms service=123456789012345678901ms status=302 bytes=1",
    b"at=warning code=H27 dyno=web.1 service=5 status=499",
    b"at=bogus dyno=web.1",
    b"sock=client at=warning code=H27 desc=\"Client Request Interrupted\" method=POST path=\"/a b\" dyno=web.1 service=100ms status=499 bytes=",
    b"2018-08-10T08:22:00.5+01:30 heroku[router]: at=info dyno=web.1 service=-5ms status=200",
    b"2018-08-10T08:22:00+00:00 heroku[router]: at=info dyno=web.1 service=5ms status=2000",
    b"2018-08-10T08:22:00+00:00 heroku[router]: at=info dyno=we\xffb.1 service=5ms status=200",
    b"2018-08-10T08:22:00+00:00 heroku[router]: at=info dyno=web.1 path=\"unterminated",
    b"2018-02-30T08:22:00+00:00 heroku[web.1]: bad date",
    b"2018-08-10T08:22:00+00:00 heroku web.1: no brackets",
    b"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - too short count",
    b"70 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up 61 <40>1 2012-11-30T06:45:30+00:00 host heroku web.3 - Error R14 (Memory quota exceeded)",
    b"<40>1 2012-11-30T06:45:31+00:00 heroku web.4 d.73ea7440-270a-435a-a0ea-adf50b4e5f5a - Error R14 (Memory quota exceeded)",
    b"<40>1 2012-11-30T06:45:31+00:00 host app web.4 -",
    b"\xff\xfe\x00binary\x01garbage",
    b"2018-08-10T09:00:00+00:00 heroku[worker.2]: source=worker.2 sample#memory_total=0.00MB sample#memory_quota=1GB sample#load_avg_1m=0.01",
];

fn formation() -> Formation {
    Formation::from_json(
        r#"{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}, "clock": {"size": "basic", "quantity": 1}}"#,
    )
    .unwrap()
}

fn input() -> Vec<u8> {
    let mut log = Vec::new();
    let text = SynthOptions {
        seed: 11,
        duration_s: 3 * 3600,
        web_rps: 0.5,
        leak_mb_per_hour: 300.0,
        leak_types: vec!["worker".into()],
        r14_episodes: 2,
        h12_per_hour: 6.0,
        app_lines_per_request: 0.3,
        ..SynthOptions::default()
    };
    generate(&formation(), &text, &mut log).unwrap();
    for (i, line) in EDGES.iter().enumerate() {
        log.extend_from_slice(line);
        log.push(b'\n');
        if i % 3 == 0 {
            log.push(b'\n');
        }
    }
    let drain = SynthOptions {
        seed: 12,
        duration_s: 3600,
        start_unix_s: text.start_unix_s + 3 * 3600,
        web_rps: 0.5,
        r14_episodes: 1,
        h12_per_hour: 6.0,
        framing: SynthFraming::Drain,
        ..SynthOptions::default()
    };
    generate(&formation(), &drain, &mut log).unwrap();
    // A last line without its newline.
    log.extend_from_slice(b"2026-11-02T05:00:00+00:00 heroku[worker.1]: Error R14 (x)");
    log
}

fn golden_text(input: &[u8], json: &str) -> String {
    format!(
        "{{\"input_sha256\": \"{}\",\n\"profiles\": {json}}}\n",
        hex::encode(Sha256::digest(input))
    )
}

fn check(what: &str, got: &str, input: &[u8]) {
    let want = std::fs::read_to_string(GOLDEN).unwrap();
    let sha = hex::encode(Sha256::digest(input));
    assert!(
        want.contains(&sha),
        "the generated input changed (synth-logs output differs), so the golden profile no \
         longer applies: regenerate it with DYNOSHIFT_UPDATE_GOLDEN=1 on the reference ingest"
    );
    let got = golden_text(input, got);
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{what}: profile JSON differs from the golden at line {}:\n got: {}\nwant: {}",
            line + 1,
            got.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}

#[test]
fn profile_json_is_byte_identical_to_the_golden() {
    let log = input();
    let mut whole = Ingest::new();
    whole.begin_input("golden.log");
    whole.feed(&log);
    let json = whole.finish().to_json_pretty();
    if std::env::var_os("DYNOSHIFT_UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, golden_text(&log, &json)).unwrap();
    }
    check("one feed", &json, &log);

    // Odd chunk sizes (lines and frames split anywhere) give the same bytes.
    for chunk in [1usize, 13, 4096 + 7] {
        let mut i = Ingest::new();
        i.begin_input("golden.log");
        for c in log.chunks(chunk) {
            i.feed(c);
        }
        check(
            &format!("chunks of {chunk}"),
            &i.finish().to_json_pretty(),
            &log,
        );
    }
}

#[test]
fn gzip_file_gives_the_golden_profile() {
    let log = input();
    let dir = std::env::temp_dir().join(format!("dynoshift-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("golden.log");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&log).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let mut p = ingest_paths(std::slice::from_ref(&path)).unwrap();
    for e in &mut p.unparsed_examples {
        e.input = Some("golden.log".into());
    }
    check("gzip file", &p.to_json_pretty(), &log);
    std::fs::remove_dir_all(&dir).unwrap();
}

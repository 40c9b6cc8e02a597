//! Ingesting the generator's output reproduces the parameters it injected: exact maxima,
//! counts and means; quantiles within the sketch's relative error.

use std::io::Write;

use dynoshift::Formation;
use dynoshift::heroku::synth::{SynthFraming, SynthOptions, SynthReport, generate};
use dynoshift::telemetry::{Ingest, Profiles, RELATIVE_ERROR, ingest_paths};
use dynoshift::{ParsedLine, parse_line};

fn formation() -> Formation {
    Formation::from_json(
        r#"{"web": {"size": "standard-2x", "quantity": 3}, "worker": {"size": "standard-1x", "quantity": 2}}"#,
    )
    .unwrap()
}

fn options(framing: SynthFraming) -> SynthOptions {
    SynthOptions {
        seed: 42,
        duration_s: 6 * 3600,
        web_rps: 2.0,
        leak_mb_per_hour: 200.0,
        leak_types: vec!["worker".into()],
        r14_episodes: 3,
        h12_per_hour: 20.0,
        framing,
        ..SynthOptions::default()
    }
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs() + 1e-9,
        "{what}: got {got}, want {want} (±{rel})"
    );
}

fn check(report: &SynthReport, profiles: &Profiles, log: &[u8]) {
    assert_eq!(
        profiles.lines.unparsed, 0,
        "{:?}",
        profiles.unparsed_examples
    );
    assert_eq!(profiles.lines.records, report.lines);
    assert_eq!(profiles.lines.bytes, report.bytes);
    for (name, truth) in &report.process_types {
        let p = &profiles.process_types[name];
        let total = p.memory.total_mb.as_ref().unwrap();
        assert_eq!(total.max, truth.peak_memory_total_mb, "{name} peak memory");
        assert_eq!(p.memory.samples, truth.memory_samples, "{name} samples");
        close(total.mean, truth.mean_memory_total_mb, 1e-9, "mean memory");
        assert_eq!(p.load_avg_1m.as_ref().unwrap().max, truth.peak_load_avg_1m);
        assert_eq!(p.memory_errors.r14, truth.r14, "{name} R14");
        assert_eq!(p.memory_errors.r15, truth.r15, "{name} R15");
        assert_eq!(p.dynos.len() as u32, truth.dynos);
        assert_eq!(p.memory.quota_mb, Some(truth.quota_mb));
        if truth.requests > 0 {
            let r = p.router.as_ref().unwrap();
            assert_eq!(r.requests, truth.requests);
            assert_eq!(r.h_codes.get("H12").copied().unwrap_or(0), truth.h12);
            close(r.mean_rps, truth.mean_rps, RELATIVE_ERROR, "mean rps");
            close(
                r.service_ms.as_ref().unwrap().mean,
                truth.mean_service_ms,
                1e-9,
                "mean service",
            );
            // Little's law: mean in flight = rate × mean service time.
            let inflight = r.concurrency.total.as_ref().unwrap().mean;
            close(
                inflight,
                truth.mean_rps * truth.mean_service_ms / 1000.0,
                RELATIVE_ERROR,
                "mean in flight",
            );
        }
    }
    let worker = &report.process_types["worker"];
    assert!(
        worker.r14 > 0 && worker.r15 > 0,
        "the leak must cause R14 and R15"
    );
    assert!(report.process_types["web"].h12 > 0);
    let span = profiles.span.as_ref().unwrap();
    close(
        span.seconds,
        report.options.duration_s as f64,
        0.001,
        "span",
    );

    // Quantiles against the exact values, read back with the owned parser.
    let mut values: Vec<f64> = String::from_utf8_lossy(log)
        .lines()
        .filter_map(|l| match parse_line(l) {
            ParsedLine::RuntimeMetrics {
                source: Some(s),
                memory_total_mb: Some(v),
                ..
            } if s.starts_with("web.") => Some(v),
            _ => None,
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let web = profiles.process_types["web"]
        .memory
        .total_mb
        .as_ref()
        .unwrap();
    for (q, got) in [(0.5, web.p50), (0.95, web.p95), (0.99, web.p99)] {
        let want = values[(q * (values.len() - 1) as f64).floor() as usize];
        close(got, want, RELATIVE_ERROR, "memory quantile");
    }
}

#[test]
fn ingest_reproduces_the_generator_text_and_drain() {
    for framing in [SynthFraming::Text, SynthFraming::Drain] {
        let opts = options(framing);
        let mut log = Vec::new();
        let report = generate(&formation(), &opts, &mut log).unwrap();
        let mut ingest = Ingest::new();
        for chunk in log.chunks(64 * 1024 + 17) {
            ingest.feed(chunk);
        }
        check(&report, &ingest.finish(), &log);
    }
}

#[test]
fn ingest_paths_reads_gzip_and_plain_files_in_parallel() {
    let dir = std::env::temp_dir().join(format!("dynoshift-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = options(SynthFraming::Text);
    let mut log = Vec::new();
    let report = generate(&formation(), &opts, &mut log).unwrap();
    // Split the log into three files at line boundaries, the middle one gzip-compressed.
    let cut1 = log[..log.len() / 3]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let cut2 = log[..2 * log.len() / 3]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let a = dir.join("a.log");
    let b = dir.join("b.log.gz");
    let c = dir.join("c.log");
    std::fs::write(&a, &log[..cut1]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&log[cut1..cut2]).unwrap();
    std::fs::write(&b, gz.finish().unwrap()).unwrap();
    std::fs::write(&c, &log[cut2..]).unwrap();
    let profiles = ingest_paths(&[a, b, c]).unwrap();
    check(&report, &profiles, &log);
    std::fs::remove_dir_all(&dir).unwrap();
}

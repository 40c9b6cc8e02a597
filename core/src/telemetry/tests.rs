use std::io::Write;

use proptest::prelude::*;

use super::bulk::ingest_pieces;
use super::*;
use crate::ErrorKind;

const SAMPLE: &str = r#"2018-08-10T08:20:12.324796+00:00 heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99
2018-08-10T08:20:12.324796+00:00 heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7 sample#memory_total=21.00MB sample#memory_rss=21.22MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB
2018-08-10T08:20:32.000000+00:00 heroku[web.2]: source=web.2 dyno=heroku.2808254.aaaa sample#memory_total=300.50MB sample#memory_rss=280.00MB sample#memory_cache=1.00MB sample#memory_swap=20.50MB sample#memory_quota=512.00MB
2018-08-10T08:20:40+00:00 heroku[router]: at=info method=GET path="/" host=myapp.herokuapp.com request_id=76fe fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https
2018-08-10T08:20:41+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.2 connect= service=30000ms status=503 bytes=0
2018-08-10T08:20:42+00:00 heroku[router]: at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes=
2018-08-10T08:21:10+00:00 heroku[worker.1]: Process running mem=1028MB(103.3%)
2018-08-10T08:21:11+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)
2018-08-10T08:21:12+00:00 app[web.1]: Started GET "/" for 1.2.3.4
this is not a heroku line
"#;

fn one_shot(data: &[u8]) -> Profiles {
    let mut i = Ingest::new();
    i.feed(data);
    i.finish()
}

#[test]
fn aggregates_per_type_and_dyno() {
    let p = one_shot(SAMPLE.as_bytes());
    assert_eq!(p.lines.records, 10);
    assert_eq!(p.lines.telemetry, 8);
    assert_eq!(p.lines.other, 1);
    assert_eq!(p.lines.unparsed, 1);
    assert_eq!(p.unparsed_examples[0].text, "this is not a heroku line");
    assert_eq!(p.unparsed_examples[0].record, 10);

    let web = &p.process_types["web"];
    let total = web.memory.total_mb.as_ref().unwrap();
    assert_eq!(total.count, 2);
    assert_eq!(total.max, 300.5);
    assert_eq!(web.memory.swap_mb.as_ref().unwrap().max, 20.5);
    assert_eq!(web.memory.quota_mb, Some(512.0));
    assert_eq!(web.load_avg_1m.as_ref().unwrap().max, 2.46);
    assert_eq!(
        web.dynos["web.2"].memory.total_mb.as_ref().unwrap().max,
        300.5
    );
    let router = web.router.as_ref().unwrap();
    assert_eq!(router.requests, 3);
    assert_eq!(router.error_lines, 2);
    assert_eq!(router.h_codes["H12"], 1);
    assert_eq!(router.h_codes["H10"], 1);
    assert_eq!(router.status_classes["2xx"], 1);
    assert_eq!(router.status_classes["5xx"], 2);
    assert_eq!(router.service_ms.as_ref().unwrap().max, 30000.0);
    assert_eq!(router.minutes, 1);
    // (18 + 30000) ms of service in one minute = 0.5003 requests in flight.
    let inflight = router.concurrency.total.as_ref().unwrap();
    assert!((inflight.max - 30018.0 / 60000.0).abs() < 1e-9);
    assert_eq!(router.concurrency.dynos, 2);
    assert_eq!(web.hourly.len(), 1);
    assert_eq!(web.hourly[0].memory_total_mb_max, Some(300.5));
    assert_eq!(web.hourly[0].start, "2018-08-10T08:00:00.000Z");
    assert_eq!(web.daily[0].start, "2018-08-10T00:00:00.000Z");

    let worker = &p.process_types["worker"];
    assert_eq!(worker.memory_errors.r14, 1);
    assert_eq!(worker.memory_errors.events[0].source, "worker.1");
    assert_eq!(
        worker.memory_errors.events[0].time.as_deref(),
        Some("2018-08-10T08:21:11.000Z")
    );
    assert_eq!(
        worker.memory.process_running_mb.as_ref().unwrap().max,
        1028.0
    );
    let span = p.span.unwrap();
    assert_eq!(span.start, "2018-08-10T08:20:12.324Z");
    assert_eq!(span.end, "2018-08-10T08:21:12.000Z");
}

#[test]
fn merge_matches_feeding_both() {
    let cut = SAMPLE[..SAMPLE.len() / 2].rfind('\n').unwrap() + 1;
    let a = &SAMPLE[..cut];
    let mut first = Ingest::new();
    first.feed(a.as_bytes());
    let mut second = Ingest::new();
    second.feed(&SAMPLE.as_bytes()[cut..]);
    first.merge(second);
    let merged = first.finish();
    let mut whole = one_shot(SAMPLE.as_bytes());
    // Record numbers restart per ingest; everything else must agree.
    whole.unparsed_examples.clear();
    let mut merged = merged;
    merged.unparsed_examples.clear();
    assert_eq!(merged.to_json(), whole.to_json());
}

#[test]
fn bad_input_is_counted_and_good_lines_survive() {
    let good = "2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)\n";
    let mut data = Vec::new();
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(b"\xff\xfe\x00binary\x01garbage\n");
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(b"source=web.1 sample#memory_total=NaNMB\n");
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(&vec![b'x'; 1_000_000]);
    data.push(b'\n');
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(&vec![b'y'; 2_000_000]);
    data.push(b'\n');
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(b"83 <40>1 no header can be found in this frame\n");
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice("source=web.1 sample#memory_total=\u{fffd}MB\n".as_bytes());
    data.extend_from_slice(good.as_bytes());
    for chunk in [1usize, 7, 4096, usize::MAX] {
        let mut i = Ingest::new();
        for c in data.chunks(chunk.min(data.len())) {
            i.feed(c);
        }
        let p = i.finish();
        assert_eq!(
            p.process_types["worker"].memory_errors.r14, 7,
            "chunk {chunk}"
        );
        assert_eq!(
            p.lines.unparsed, 6,
            "chunk {chunk}: {:?}",
            p.unparsed_examples
        );
        assert_eq!(p.unparsed_examples.len(), MAX_EXAMPLES);
        assert!(
            p.unparsed_examples
                .iter()
                .all(|e| e.text.len() <= EXAMPLE_BYTES)
        );
        assert_eq!(
            p.unparsed_examples[2].reason,
            "record longer than 65536 bytes"
        );
        assert_eq!(p.unparsed_examples[3].reason, "line longer than 1 MiB");
        assert_eq!(
            p.unparsed_examples[4].reason,
            "octet count is larger than the frame"
        );
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_is_detected_and_truncation_reported() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(
            "2018-08-10T08:20:{:02}+00:00 heroku[router]: at=info dyno=web.1 service={i}ms status=200\n",
            i % 60
        ));
    }
    let gz = gzip(text.as_bytes());
    let mut whole = Ingest::new();
    whole.feed_reader(&gz[..]).unwrap();
    let p = whole.finish();
    assert_eq!(
        p.process_types["web"].router.as_ref().unwrap().requests,
        2000
    );
    assert!(p.input_issues.is_empty());

    let mut cut = Ingest::new();
    cut.begin_input("cut.gz");
    cut.feed_reader(&gz[..gz.len() / 2]).unwrap();
    let p = cut.finish();
    let n = p.process_types["web"].router.as_ref().unwrap().requests;
    assert!(n > 0 && n < 2000, "kept {n} lines before the break");
    assert_eq!(p.input_issues.len(), 1);
    assert_eq!(p.input_issues[0].input.as_deref(), Some("cut.gz"));
    assert!(p.input_issues[0].message.contains("truncated"));
    // At most the one line cut in half is unparsed.
    assert!(p.lines.unparsed <= 1);
    assert_eq!(n + p.lines.unparsed, p.lines.records);
}

#[test]
fn files_missing_unreadable_and_mixed() {
    let dir = std::env::temp_dir().join(format!("dynoshift-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("a.log");
    std::fs::write(&plain, SAMPLE).unwrap();
    let gz = dir.join("b.log.gz");
    std::fs::write(&gz, gzip(SAMPLE.as_bytes())).unwrap();
    let p = ingest_paths(&[plain.clone(), gz.clone(), plain.clone()]).unwrap();
    assert_eq!(p.lines.records, 30);
    assert_eq!(p.process_types["worker"].memory_errors.r14, 3);
    assert_eq!(
        p.unparsed_examples[1].input.as_deref(),
        Some(gz.display().to_string().as_str())
    );

    let missing = dir.join("nope.log");
    let err = ingest_paths(&[plain.clone(), missing]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("nope.log"));
    let err = ingest_paths(std::slice::from_ref(&dir)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains(&dir.display().to_string()));
    assert_eq!(
        ingest_paths(&[]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    for bad in [0, -1, 257] {
        let err = ingest_paths_on(std::slice::from_ref(&plain), Some(bad), &|_| {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains(&format!("got {bad}")), "{err}");
    }
    let one = ingest_paths_on(std::slice::from_ref(&plain), Some(1), &|_| {}).unwrap();
    assert_eq!(
        one.to_json(),
        ingest_paths(std::slice::from_ref(&plain))
            .unwrap()
            .to_json()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn last_line_of_an_input_is_not_joined_to_the_next() {
    let mut i = Ingest::new();
    i.feed_reader(&b"2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R14 (x)"[..])
        .unwrap();
    i.feed_reader(&b"2011-05-03T17:40:12+00:00 heroku[worker.1]: Error R15 (x)\n"[..])
        .unwrap();
    let p = i.finish();
    assert_eq!(p.process_types["worker"].memory_errors.r14, 1);
    assert_eq!(p.process_types["worker"].memory_errors.r15, 1);
}

#[test]
fn invalid_utf8_dyno_names_stay_one_dyno_across_merges() {
    let line = b"2018-08-10T08:20:12+00:00 heroku[router]: at=info dyno=we\xffb.1 service=5ms status=200\n";
    let mut a = Ingest::new();
    a.feed(line);
    let mut b = Ingest::new();
    b.feed(line);
    a.merge(b);
    a.feed(line);
    let p = a.finish();
    assert_eq!(p.process_types.len(), 1);
    let t = &p.process_types["we\u{fffd}b"];
    assert_eq!(t.dynos["we\u{fffd}b.1"].requests, 3);
    let huge = format!("source=web.1 sample#memory_total={}MB", "9".repeat(400));
    assert_eq!(one_shot(huge.as_bytes()).lines.unparsed, 1);
}

struct Failing(usize);

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("disk on fire"));
        }
        self.0 -= 1;
        let line = b"2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R14 (x)\n";
        buf[..line.len()].copy_from_slice(line);
        Ok(line.len())
    }
}

#[test]
fn reader_errors_are_invalid_input_and_keep_what_was_read() {
    let mut i = Ingest::new();
    i.begin_input("flaky");
    let err = i.feed_reader(Failing(3)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("flaky") && err.message().contains("disk on fire"));
    assert_eq!(i.finish().process_types["worker"].memory_errors.r14, 3);
}

fn lines_strategy() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"2018-08-10T08:20:12.324796+00:00 heroku[web.1]: source=web.1 sample#memory_total=21.00MB sample#load_avg_1m=0.5".to_vec()),
        Just(b"2012-10-11T03:47:20+00:00 heroku[router]: at=info dyno=web.2 connect=1ms service=18ms status=200 bytes=13".to_vec()),
        Just(b"2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)".to_vec()),
        Just(b"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up".to_vec()),
        Just(b"source=web.1 sample#memory_total=NaNMB".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..300),
    ];
    proptest::collection::vec(line, 0..40).prop_map(|lines| {
        let mut out = Vec::new();
        for l in lines {
            out.extend_from_slice(&l);
            out.push(b'\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let p = one_shot(&data);
        prop_assert_eq!(p.lines.records, p.lines.telemetry + p.lines.other + p.lines.unparsed);
        let s = String::from_utf8_lossy(&data);
        for line in s.lines() {
            let _ = crate::heroku::logs::parse_line(line).to_json();
        }
    }

    #[test]
    fn any_split_gives_the_same_result(data in lines_strategy(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let whole = one_shot(&data).to_json();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        points.sort_unstable();
        let mut i = Ingest::new();
        let mut prev = 0;
        for p in points {
            i.feed(&data[prev..p]);
            prev = p;
        }
        i.feed(&data[prev..]);
        prop_assert_eq!(i.finish().to_json(), whole);
    }
}

/// The source cache's packed key is exact: two sources of up to 16 bytes have the same key only
/// when they are the same bytes (so a cache hit is never another dyno).
#[test]
fn source_cache_keys_are_exact() {
    let alphabet = [b'w', b'e', b'b', b'.', b'1', b'2', 0, 0xff];
    let mut rng = crate::heroku::synth::SplitMix64::new(5);
    let mut seen: std::collections::HashMap<(u64, u64, usize), Vec<u8>> = Default::default();
    for _ in 0..200_000 {
        let len = rng.below(19) as usize;
        let s = rng.draw(&alphabet, len);
        match SourceCache::key(&s) {
            Some(k) => {
                assert!((1..=16).contains(&len));
                let prev = seen.entry(k).or_insert_with(|| s.clone());
                assert_eq!(*prev, s, "two sources share a key");
            }
            None => assert!(len == 0 || len > 16),
        }
    }
    // The cache in use: many dynos, looked up again and again, always the right index.
    let mut ingest = Ingest::new();
    let names: Vec<String> = (0..40).map(|i| format!("web.{i}")).collect();
    let first: Vec<_> = names
        .iter()
        .map(|n| ingest.source_idx(n.as_bytes()))
        .collect();
    for _ in 0..3 {
        for (n, want) in names.iter().zip(&first) {
            assert_eq!(ingest.source_idx(n.as_bytes()), *want, "{n}");
        }
    }
}

/// Two JSON values equal except that numbers may differ in their last binary digits (sums of
/// fractions added in another order).
fn assert_json_close(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                "{at}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_json_close(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(x), keys(y), "{at}");
            for (k, v) in x {
                assert_json_close(v, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

/// A plain file read in segments by several threads gives what one read from start to end
/// gives: lines cut by a segment boundary are read once, by the segment they start in; a line
/// longer than several segments (and longer than the 1 MiB line limit) is one unparsed record;
/// examples keep their record numbers in the file. And the result does not depend on the
/// number of threads.
#[test]
fn segments_read_like_the_whole_file() {
    use crate::heroku::synth::{SynthFraming, SynthOptions, generate};
    let dir = std::env::temp_dir().join(format!("dynoshift-segments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let formation = crate::Formation::from_json(
        r#"{"web": {"size": "standard-1x", "quantity": 2}, "worker": {"size": "standard-2x", "quantity": 1}}"#,
    )
    .unwrap();
    let mut text = Vec::new();
    for (i, framing) in [SynthFraming::Text, SynthFraming::Drain]
        .into_iter()
        .enumerate()
    {
        let opts = SynthOptions {
            duration_s: 1800,
            seed: 7 + i as u64,
            framing,
            ..SynthOptions::default()
        };
        generate(&formation, &opts, &mut text).unwrap();
        // An unparsed line, a CRLF line, blank lines and a line of 1.5 MiB between the parts.
        text.extend_from_slice(b"not a heroku line\r\n\n\n");
        text.extend(std::iter::repeat_n(b'x', 3 << 19));
        text.extend_from_slice(b"\nanother bad line\n");
    }
    text.extend_from_slice(SAMPLE.as_bytes());
    text.extend_from_slice(b"2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R15 (no newline)");
    let path = dir.join("big.log");
    std::fs::write(&path, &text).unwrap();
    let paths = [path.clone(), path];
    let json = |threads: usize, segment: u64| {
        let p = ingest_pieces(&paths, threads, segment, &|_| {})
            .unwrap()
            .finish();
        serde_json::to_value(&p).unwrap()
    };
    let whole = json(1, u64::MAX);
    assert_eq!(whole["lines"]["bytes"], 2 * text.len() as u64);
    // Odd segment sizes, so boundaries fall everywhere in lines (and inside the long one).
    for segment in [4099, 65_536 + 17, 1 << 20] {
        let one = json(1, segment);
        assert_json_close(&whole, &one, "profiles");
        assert_eq!(
            one,
            json(3, segment),
            "the result depends on the number of threads"
        );
    }
    let examples = whole["unparsed_examples"].as_array().unwrap();
    assert!(examples.len() >= 4, "{examples:?}");
    // Progress over segments read by three threads: never backwards, and complete at the end.
    let seen = std::sync::Mutex::new(Vec::new());
    ingest_pieces(&paths, 3, 4099, &|p| seen.lock().unwrap().push(p))
        .unwrap()
        .finish();
    let seen = seen.into_inner().unwrap();
    assert!(
        seen.windows(2)
            .all(|w| w[0].bytes <= w[1].bytes && w[0].files_done <= w[1].files_done)
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last.bytes, last.files_done, last.files),
        (2 * text.len() as u64, 2, 2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Segment edges that fall exactly after a line break, and a file with no line break at all
/// (every segment after the first is empty; none reads on to the end of the file).
#[test]
fn segments_at_line_breaks_and_without_any() {
    let dir = std::env::temp_dir().join(format!("dynoshift-seg-edges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Lines of exactly 64 bytes, the `\n` included.
    let mut lines = Vec::new();
    for i in 0..200 {
        let mut l = format!(
            "2018-08-10T08:20:{:02}+00:00 heroku[worker.1]: Error R14 (x)",
            i % 60
        )
        .into_bytes();
        l.resize(63, b'.');
        l.push(b'\n');
        lines.extend_from_slice(&l);
    }
    let aligned = dir.join("aligned.log");
    std::fs::write(&aligned, &lines).unwrap();
    let flat = dir.join("flat.log");
    std::fs::write(&flat, vec![b'x'; 10_000]).unwrap();
    for (path, segments) in [
        (&aligned, &[64u64, 128, 640][..]),
        (&flat, &[1000, 4096][..]),
    ] {
        let paths = [path.clone()];
        let whole = serde_json::to_value(
            ingest_pieces(&paths, 1, u64::MAX, &|_| {})
                .unwrap()
                .finish(),
        )
        .unwrap();
        for &segment in segments {
            let got =
                serde_json::to_value(ingest_pieces(&paths, 2, segment, &|_| {}).unwrap().finish());
            assert_eq!(
                got.unwrap(),
                whole,
                "{} in segments of {segment}",
                path.display()
            );
        }
    }
    let p = ingest_pieces(&[aligned], 2, 64, &|_| {}).unwrap().finish();
    assert_eq!(p.process_types["worker"].memory_errors.r14, 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn real_world_repairs_are_counted_in_the_profiles() {
    let r14 =
        "<45>1 2012-11-30T06:45:30+00:00 host heroku web.1 - Error R14 (Memory quota exceeded)";
    let l10 = "<172>1 2012-11-30T06:45:26+00:00 host heroku logplex - Error L10 (output buffer overflow): 5 messages dropped since 2012-11-30T06:40:00+00:00.";
    let mut data = String::new();
    // L10 glued to the next frame, its count including the missing line feed.
    data += &format!("{} {l10}{} {r14}\n", l10.len() + 1, r14.len() + 1);
    // A stale count (a re-exporter dropped the drain token).
    data += &format!("{} {r14}\n", r14.len() + 38);
    // ANSI colours.
    data += "\u{1b}[36m2012-11-30T06:45:31+00:00 heroku[web.2]:\u{1b}[0m Error R14 (Memory quota exceeded)\n";
    // Old measure= metrics: three lines, one memory sample.
    for (name, v) in [
        ("memory_total", "100.00"),
        ("memory_rss", "90.00"),
        ("load_avg_1m", "0.5"),
    ] {
        data += &format!(
            "2012-11-30T06:45:32+00:00 heroku[web.3]: source=heroku.6041702.web.3.dabb0da6-d9d5-4627-a299-0b218adf1d3e measure={name} val={v} units=MB\n"
        );
    }
    // A Fir dyno.
    data += "2012-11-30T06:45:33+00:00 heroku[router]: at=info method=GET path=/ host=a.com dyno=web-1234abcde44-123ab connect=0ms service=3ms status=200 bytes=10\n";
    // A Papertrail archive row whose generated_at is in UTC+1, and a display line.
    data += "9\t2012-11-30T07:45:34\t2012-11-30T06:45:34Z\t1\tapp\t1.2.3.4\tLocal0\tInfo\theroku/worker.1\tError R15 (Memory quota vastly exceeded)\n";
    data += "Nov 30 06:45:35 app heroku/worker.1: Process running mem=627M(122.7%)\n";
    let p = one_shot(data.as_bytes());
    let r = p.lines.repairs;
    assert_eq!(r.octet_count_off_by_one, 1, "{r:?}");
    assert_eq!(r.glued_frames, 1, "{r:?}");
    assert_eq!(r.frames_found_by_header, 1, "{r:?}");
    assert_eq!(r.ansi_stripped, 1, "{r:?}");
    assert_eq!(r.zone_offsets_inferred, 1, "{r:?}");
    assert_eq!(r.years_inferred, 1, "{r:?}");
    assert_eq!(p.lines.unparsed, 0, "{:?}", p.unparsed_examples);
    let json: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
    assert_eq!(json["lines"]["repairs"]["frames_found_by_header"], 1);
    let web = &p.process_types["web"];
    assert_eq!(web.memory_errors.r14, 3);
    assert_eq!(web.memory.samples, 1);
    assert_eq!(web.memory.rss_mb.as_ref().unwrap().max, 90.0);
    assert_eq!(web.load_samples, 1);
    assert!(web.dynos.contains_key("web.3"), "{:?}", web.dynos.keys());
    assert_eq!(web.dynos["web-1234abcde44-123ab"].requests, 1);
    let worker = &p.process_types["worker"];
    assert_eq!(worker.memory_errors.r15, 1);
    assert_eq!(
        worker.memory_errors.events[0].time.as_deref(),
        Some("2012-11-30T06:45:34.000Z")
    );
    assert_eq!(
        worker.memory.process_running_mb.as_ref().unwrap().max,
        627.0
    );
    // Profiles written before repairs were counted still read.
    let mut old = json.clone();
    old["lines"].as_object_mut().unwrap().remove("repairs");
    let back: Profiles = serde_json::from_value(old).unwrap();
    assert_eq!(back.lines.repairs, Repairs::default());
}

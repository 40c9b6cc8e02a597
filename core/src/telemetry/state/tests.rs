use proptest::prelude::*;

use super::*;
use crate::ErrorKind;

/// One log line of any kind the ingest treats differently, with values whose sums are exact in
/// binary floating point (halves and quarters), so that adding them in another grouping (what a
/// merge does) gives the very same bits.
fn line() -> impl Strategy<Value = String> {
    let ts = (0u32..3, 0u32..24, 0u32..60, 0u32..60)
        .prop_map(|(d, h, m, s)| format!("2024-03-{:02}T{h:02}:{m:02}:{s:02}+00:00", d + 1));
    let dyno = prop_oneof![
        Just("web.1"),
        Just("web.2"),
        Just("worker.1"),
        Just("clock.1")
    ];
    prop_oneof![
        (ts.clone(), dyno.clone(), 0u32..4000, 0u32..40, 0u32..8).prop_map(
            |(t, d, mem, load, q)| format!(
                "{t} heroku[{d}]: source={d} dyno=heroku.1.x sample#memory_total={}MB \
                 sample#memory_rss={}MB sample#memory_swap=0.25MB sample#memory_quota={}MB \
                 sample#load_avg_1m={}",
                f64::from(mem) / 4.0,
                f64::from(mem) / 8.0,
                512 * (q + 1),
                f64::from(load) / 4.0
            )
        ),
        (ts.clone(), dyno.clone(), 0u32..5000, 0u32..20, 1u32..6).prop_map(
            |(t, d, service, connect, status)| format!(
                "{t} heroku[router]: at=info method=GET path=/ host=a.example dyno={d} \
                 connect={connect}ms service={service}ms status={status}00 bytes=10"
            )
        ),
        (ts.clone(), dyno.clone()).prop_map(|(t, d)| format!(
            "{t} heroku[router]: at=error code=H12 desc=\"Request timeout\" method=GET path=/ \
             host=a.example dyno={d} connect=1ms service=30000ms status=503 bytes=0"
        )),
        (ts.clone(), dyno.clone(), any::<bool>()).prop_map(|(t, d, r15)| format!(
            "{t} heroku[{d}]: Error {} (Memory quota exceeded)",
            if r15 { "R15" } else { "R14" }
        )),
        (ts.clone(), dyno.clone(), 0u32..2000)
            .prop_map(|(t, d, mb)| format!("{t} heroku[{d}]: Process running mem={mb}MB(99.0%)")),
        (ts, dyno).prop_map(|(t, d)| {
            let frame = format!("<190>1 {t} host app {d} - Started GET /");
            format!("{} {frame}", frame.len())
        }),
        "[a-z ]{0,30}".prop_map(|s| format!("not a log line {s}")),
        Just(String::new()),
    ]
}

fn log() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(line(), 0..60)
}

fn json(i: Ingest) -> String {
    i.finish().to_json()
}

fn round_trip(i: &Ingest) -> Ingest {
    Ingest::from_bytes(&i.to_bytes()).expect("a saved state loads")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The fan-out pattern: the parts of an input ingested apart, saved, moved (bytes), loaded
    /// and merged in order give the same profiles as one ingest of all the parts.
    #[test]
    fn merged_saved_parts_equal_one_ingest(
        lines in log(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(lines.len() + 1)).collect();
        cuts.push(0);
        cuts.push(lines.len());
        cuts.sort_unstable();
        let parts: Vec<String> = cuts
            .windows(2)
            .map(|w| lines[w[0]..w[1]].iter().map(|l| format!("{l}\n")).collect())
            .collect();

        let mut one = Ingest::new();
        for (k, p) in parts.iter().enumerate() {
            one.begin_input(format!("part-{k}"));
            one.feed(p.as_bytes());
        }

        let mut merged = Ingest::new();
        for (k, p) in parts.iter().enumerate() {
            let mut part = Ingest::new();
            part.begin_input(format!("part-{k}"));
            part.feed(p.as_bytes());
            part.end_input();
            let bytes = part.to_bytes();
            merged.merge(Ingest::from_bytes(&bytes).expect("loads"));
        }
        prop_assert_eq!(json(merged), json(one));
    }

    /// Saving and loading at any byte of a stream (mid-line, mid-frame, mid-hour) and feeding
    /// on gives exactly the profiles of an ingest never saved.
    #[test]
    fn saving_anywhere_mid_stream_changes_nothing(
        lines in log(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let data = text.as_bytes();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        cuts.push(0);
        cuts.push(data.len());
        cuts.sort_unstable();
        let mut resumed = Ingest::new();
        for w in cuts.windows(2) {
            resumed.feed(&data[w[0]..w[1]]);
            resumed = round_trip(&resumed);
        }
        let mut once = Ingest::new();
        once.feed(data);
        prop_assert_eq!(json(resumed), json(once));
    }

    /// The same state always gives the same bytes, and a loaded state saves to the bytes it
    /// was loaded from.
    #[test]
    fn bytes_are_canonical(lines in log(), tail in "[a-z0-9 ]{0,20}") {
        let mut i = Ingest::new();
        i.begin_input("x");
        for l in &lines {
            i.feed(l.as_bytes());
            i.feed(b"\n");
        }
        i.feed(tail.as_bytes());
        let bytes = i.to_bytes();
        prop_assert_eq!(&bytes, &i.clone().to_bytes());
        prop_assert_eq!(&round_trip(&i).to_bytes(), &bytes);
    }

    /// Arbitrary bytes past the header never panic the decoder.
    #[test]
    fn any_body_is_refused_or_loaded_without_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode_body(&body);
    }

    /// A real state with one byte changed (past the checksum) never panics the decoder either.
    #[test]
    fn altered_states_never_panic(lines in log(), at in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut i = Ingest::new();
        for l in &lines {
            i.feed(l.as_bytes());
            i.feed(b"\n");
        }
        let bytes = i.to_bytes();
        let mut body = bytes[HEADER_BYTES..].to_vec();
        let k = at.index(body.len());
        body[k] = b;
        if let Ok(loaded) = decode_body(&body) {
            let _ = loaded.finish().to_json();
        }
    }
}

fn sample() -> Ingest {
    let mut i = Ingest::new();
    i.begin_input("a.log");
    i.feed(
        b"2024-03-01T10:00:00+00:00 heroku[web.1]: source=web.1 sample#memory_total=300MB\n\
          2024-03-01T10:00:01+00:00 heroku[router]: at=info dyno=web.1 connect=1ms service=20ms \
          status=200 bytes=1\nhalf a li",
    );
    i
}

fn kind(bytes: &[u8]) -> (ErrorKind, String) {
    let e = Ingest::from_bytes(bytes).expect_err("refused");
    (e.kind(), e.message().to_owned())
}

#[test]
fn the_state_starts_with_its_magic_and_version() {
    let b = sample().to_bytes();
    assert_eq!(&b[..16], b"dynoshift-ingest");
    assert_eq!(b[16..20], 1u32.to_le_bytes());
}

#[test]
fn foreign_cut_altered_and_future_states_are_invalid_input() {
    let good = sample().to_bytes();

    let (k, m) = kind(b"{\"process_types\": {}}");
    assert_eq!(k, ErrorKind::InvalidInput);
    assert!(m.contains("not a saved dynoshift ingest state"), "{m}");

    let mut future = good.clone();
    future[16..20].copy_from_slice(&2u32.to_le_bytes());
    let (k, m) = kind(&future);
    assert_eq!(k, ErrorKind::InvalidInput);
    assert!(m.contains("format version 2"), "{m}");

    let (k, m) = kind(&good[..good.len() - 3]);
    assert_eq!(k, ErrorKind::InvalidInput);
    assert!(m.contains("cut short"), "{m}");

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let (k, m) = kind(&flipped);
    assert_eq!(k, ErrorKind::InvalidInput);
    assert!(m.contains("checksum"), "{m}");

    assert_eq!(kind(&[]).0, ErrorKind::InvalidInput);
}

#[test]
fn an_unfinished_line_survives_the_trip() {
    let mut i = round_trip(&sample());
    i.feed(b"ne\n");
    let p = i.finish();
    assert_eq!(p.lines.unparsed, 1);
    assert_eq!(p.unparsed_examples[0].text, "half a line");
    assert_eq!(p.unparsed_examples[0].input.as_deref(), Some("a.log"));
    assert_eq!(p.unparsed_examples[0].record, 3);
}

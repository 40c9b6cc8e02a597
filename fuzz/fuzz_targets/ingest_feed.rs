//! Arbitrary bytes through the streaming ingest, in arbitrary chunks: as fed bytes, as a valid
//! gzip stream of them (through `feed_reader`), and as raw bytes behind the gzip magic (a corrupt
//! stream). Never a panic; every byte is accounted for.
#![no_main]
use std::io::Write;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut ingest = dynoshift::Ingest::new();
    ingest.begin_input("fuzz");
    match mode % 3 {
        0 => {
            // chunk sizes from the data itself, so boundaries land anywhere (mid-line, mid-UTF-8)
            let step = usize::from(rest.first().copied().unwrap_or(1)).max(1);
            for chunk in rest.chunks(step) {
                ingest.feed(chunk);
            }
            ingest.end_input();
        }
        1 => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(rest).unwrap();
            let compressed = gz.finish().unwrap();
            ingest
                .feed_reader(compressed.as_slice())
                .expect("a valid gzip stream is read whole");
        }
        _ => {
            let mut bytes = vec![0x1f, 0x8b];
            bytes.extend_from_slice(rest);
            let _ = ingest.feed_reader(bytes.as_slice());
        }
    }
    let profiles = ingest.finish();
    let json = profiles.to_json();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    if mode % 3 != 2 {
        assert_eq!(profiles.lines.bytes, rest.len() as u64, "bytes lost");
    }
});

//! Any text through the log-line parser (every framing): no panic, and the result serialises.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let parsed = dynoshift::parse_line(&line);
    let json = parsed.to_json();
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "{json}"
    );
});

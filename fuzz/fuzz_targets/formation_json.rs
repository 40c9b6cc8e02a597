//! Any text as a formation: an error or a formation that round-trips through its JSON and can
//! be priced (or refused) without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match dynoshift::Formation::from_json(text) {
        Ok(f) => {
            let again = dynoshift::Formation::from_json(&f.to_json())
                .expect("a formation's own JSON parses");
            assert_eq!(again.to_json(), f.to_json());
            if let Ok(cost) = f.monthly_cost(&dynoshift::Prices::list()) {
                assert!(cost.total_monthly_usd.is_finite() && cost.total_monthly_usd >= 0.0);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});

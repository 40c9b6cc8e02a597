//! Any text as a node-planning request: decoding and validation never panic; a request that
//! decodes is planned (with a small time budget) to an answer or a typed error.
#![no_main]
use dynoshift::ErrorKind;
use dynoshift::nodes::ops::{self, PlanRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = ops::call_json("max_pods", text) {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    let _ = ops::call_json("kube_reserved", text);
    let Ok(mut req) = serde_json::from_str::<PlanRequest>(text) else {
        return;
    };
    req.options.time_budget_ms = req.options.time_budget_ms.min(20);
    match ops::plan(&req) {
        Ok(plan) => {
            let json = serde_json::to_string(&plan).expect("a plan serialises");
            assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        }
        Err(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidInput | ErrorKind::Infeasible | ErrorKind::NotFound
            ),
            "{e}"
        ),
    }
});

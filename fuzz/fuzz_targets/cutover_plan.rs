//! Any text as a cutover plan: an `invalid_input` error, or a valid plan whose own JSON parses
//! back to the same plan and whose dry run succeeds with weights that never all become 0.
#![no_main]
use dynoshift::{CutoverPlan, ErrorKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match CutoverPlan::from_json(text) {
        Ok(plan) => {
            let again = CutoverPlan::from_json(&plan.to_json()).expect("a plan's own JSON parses");
            assert_eq!(again, plan);
            assert_eq!(again.digest(), plan.digest());
            dynoshift::cutover::dry_run(&plan, None, None).expect("a valid plan dry-runs");
            for &s in &plan.stages {
                let (h, a) = CutoverPlan::weights(s);
                assert!(h + a == 100 && (0..=255).contains(&h) && (0..=255).contains(&a));
            }
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
    }
});

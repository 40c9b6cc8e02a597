use super::*;

#[test]
fn scenario_probe() {
    for name in SCENARIOS {
        let t = std::time::Instant::now();
        let s = Scenario::named(name, 14 * 86_400, 7).unwrap();
        let r = run_scenario(&s, 0.5, &Strategy::ALL).unwrap();
        println!("== {name} ({:?})\n{}", t.elapsed(), r.report.table());
    }
}

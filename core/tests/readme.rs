//! The README's Rust quick start, run as written: the lines between the markers are the
//! README's block (tests/readme/test_readme.py checks that they still are).

#[test]
fn the_readme_quick_start_runs() -> Result<(), Box<dyn std::error::Error>> {
    // readme:begin
    use dynoshift::{Formation, Prices};

    let formation = Formation::from_json(r#"{"web": {"size": "standard-2x", "quantity": 4}}"#)?;
    let bill = formation.monthly_cost(&Prices::list())?;
    println!("{} USD/month", bill.total_monthly_usd); // 200
    // readme:end
    assert_eq!(bill.total_monthly_usd, 200.0);
    Ok(())
}

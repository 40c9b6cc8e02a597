//! Writes the sample report input (the one `tests/report.rs` checks) as JSON, for rendering
//! and looking at: `cargo run --example report_sample -- rehearsal.json`, then
//! `dynoshift report --input rehearsal.json -o report.html`.

#[path = "../tests/support/report_input.rs"]
mod report_input;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "rehearsal.json".into());
    let input = report_input::build();
    if let Err(e) = std::fs::write(&out, input.to_json()) {
        eprintln!("report_sample: cannot write {out}: {e}");
        std::process::exit(2);
    }
    println!("wrote {out}");
}

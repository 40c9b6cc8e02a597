//! Helpers shared by the gate examples (`bench_gates`, `reliability_gates`); included with
//! `#[path]`, so it is not an example of its own.

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This process's resident set size in KiB (0 when /proc is unavailable).
pub fn rss_kib() -> u64 {
    rss_kib_of("self")
}

/// The resident set size of process `pid` (a number, or `self`) in KiB (0 when /proc is
/// unavailable).
pub fn rss_kib_of(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

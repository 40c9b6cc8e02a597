//! Gate probing held at a fixed rate against a loopback app, with the RSS sampled every second
//! (`make reliability`): HTTP probe checks of `rps / 4` samples every 250 ms, 16 in flight, on a
//! current-thread runtime (one core, as the CLI drives gates). The app is the test app, started
//! in this process on its own threads, so the RSS covers both.
//!
//! Prints a few lines for people, then one JSON line: probes, failures, achieved rate, and the
//! RSS at start, after the warm-up, at its peak and at the end (KiB).
//!
//! Run: `cargo run -p dynoshift --example reliability_gates -- --seconds 60 --rps 500`.

#[path = "common/mod.rs"]
mod common;

use common::{arg, rss_kib};
use std::time::{Duration, Instant};

use dynoshift::health::{Gate, GateContext, HttpGateConfig, HttpProbeGate};
use dynoshift::rehearse::LocalApp;

const TICK: Duration = Duration::from_millis(250);

async fn paced(seconds: u64, rps: u64) -> serde_json::Value {
    let rss_start = rss_kib();
    let app = LocalApp::start("aws").expect("start a loopback app");
    let mut c = HttpGateConfig::new(app.url("/healthz"));
    c.samples_per_check = (rps / 4).max(1) as usize;
    c.concurrency = 16;
    c.window = 1000;
    c.min_samples = 0;
    let gate = HttpProbeGate::new(c).expect("gate");
    let ctx = |tick: u64| GateContext {
        run_id: "reliability".into(),
        stage: 0,
        percent: 10,
        tick,
        elapsed_seconds: tick / 4,
        hostnames: vec![],
        targets: Default::default(),
        next_percent: None,
    };
    // warm-up: 2 s at the same pace (connections, allocator arenas)
    let mut tick = 0u64;
    let warm_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < warm_until {
        let next = Instant::now() + TICK;
        gate.check(ctx(tick)).await;
        tick += 1;
        tokio::time::sleep_until(next.into()).await;
    }
    let rss_warm = rss_kib();
    let mut rss_peak = rss_warm;
    let mut samples = vec![];
    let start = Instant::now();
    let mut next_rss = start + Duration::from_secs(1);
    let (mut probes, mut failures) = (0u64, 0u64);
    let mut next = start;
    while start.elapsed() < Duration::from_secs(seconds) {
        next += TICK;
        let v = gate.check(ctx(tick)).await;
        probes += v.measurements["last_check"]["probes"].as_u64().unwrap_or(0);
        failures += v.measurements["last_check"]["failed"].as_u64().unwrap_or(0);
        tick += 1;
        if Instant::now() >= next_rss {
            let r = rss_kib();
            rss_peak = rss_peak.max(r);
            samples.push(r);
            next_rss += Duration::from_secs(1);
        }
        tokio::time::sleep_until(next.into()).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let rss_end = rss_kib();
    rss_peak = rss_peak.max(rss_end);
    serde_json::json!({
        "seconds": seconds,
        "target_rps": rps,
        "probes": probes,
        "failures": failures,
        "rps": probes as f64 / elapsed,
        "rss_start_kib": rss_start,
        "rss_warm_kib": rss_warm,
        "rss_peak_kib": rss_peak,
        "rss_end_kib": rss_end,
        "rss_samples_kib": samples,
    })
}

fn main() {
    let seconds = arg("--seconds", 60);
    let rps = arg("--rps", 500);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let r = rt.block_on(paced(seconds, rps));
    let mib = |k: &str| r[k].as_u64().unwrap_or(0) as f64 / 1024.0;
    println!(
        "gates: {:.0} probes/s over {seconds} s (target {rps}), {} probes, {} failed",
        r["rps"].as_f64().unwrap_or(0.0),
        r["probes"],
        r["failures"]
    );
    println!(
        "RSS MiB: start {:.1}, after warm-up {:.1}, peak {:.1}, end {:.1}",
        mib("rss_start_kib"),
        mib("rss_warm_kib"),
        mib("rss_peak_kib"),
        mib("rss_end_kib")
    );
    println!("{r}");
}

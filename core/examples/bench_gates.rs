//! Health-gate figures:
//! 1. reaction: time from the first failing probe (the AWS app's first 500) to the rollback's
//!    change batch being accepted, at 1 s ticks with the real clock on the memory provider
//!    (target ≤ 1 tick, ≤ 2 s); also from the moment the app broke;
//! 2. probe overhead: probes/s one core (a current-thread runtime) sustains against a loopback
//!    app, and the RSS at the start and end of the run.
//!
//! Run: `cargo run -p dynoshift --release --example bench_gates -- [--seconds 60] [--runs 3]`.

#[path = "common/mod.rs"]
mod common;

use common::{arg, rss_kib};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynoshift::cutover::{CutoverEvent, EventRecord, FnObserver, rehearsal_provider};
use dynoshift::health::{Gate, GateContext, HttpGateConfig, HttpProbeGate};
use dynoshift::rehearse::LocalApp;
use dynoshift::{Cutover, CutoverPlan, MemoryOptions, Outcome, SystemClock};

/// One gated run; the AWS app breaks `break_after` into the 25% soak. Returns (first failing
/// probe → rollback batch accepted, app broke → rollback batch accepted).
async fn reaction(run: u64, break_after: Duration) -> (Duration, Duration) {
    let aws = Arc::new(LocalApp::start("aws").unwrap());
    let mut plan = CutoverPlan::new(
        vec!["www.example.test".into()],
        "example.test",
        "app-1a2b.herokudns.com",
        "lb-1.elb.amazonaws.com",
    );
    plan.soak_seconds = 3;
    plan.tick_seconds = 1;
    plan.ttl = 1;
    plan.poll_seconds = 1;
    let clock = Arc::new(SystemClock);
    let provider = rehearsal_provider(&plan, MemoryOptions::default(), clock.clone()).unwrap();
    let journal = std::env::temp_dir().join(format!(
        "dynoshift-bench-gates-{}-{run}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&journal);
    let mut gate = HttpGateConfig::new(aws.url("/healthz"));
    gate.name = Some("aws".into());
    gate.min_samples = 10;
    let broke_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let batch_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let restoring = Arc::new(Mutex::new(false));
    let (a2, b2, bt, rs) = (
        aws.clone(),
        broke_at.clone(),
        batch_at.clone(),
        restoring.clone(),
    );
    let observer = FnObserver(Arc::new(move |e: &EventRecord| match &e.event {
        CutoverEvent::SoakStarted { percent: 25, .. } => {
            let (app, broke) = (a2.clone(), b2.clone());
            std::thread::spawn(move || {
                std::thread::sleep(break_after);
                *broke.lock().unwrap() = Some(Instant::now());
                app.set_failing(true);
            });
        }
        CutoverEvent::Writing { step, .. } if step == "restore" => *rs.lock().unwrap() = true,
        CutoverEvent::ChangeSubmitted { .. } if *rs.lock().unwrap() => {
            bt.lock().unwrap().get_or_insert_with(Instant::now);
        }
        _ => {}
    }));
    let outcome = Cutover::new(plan, Arc::new(provider), &journal)
        .unwrap()
        .with_clock(clock)
        .with_gate(Arc::new(HttpProbeGate::new(gate).unwrap()))
        .with_observer(Arc::new(observer))
        .run()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&journal);
    assert!(matches!(outcome, Outcome::RolledBack { .. }), "{outcome:?}");
    let batch = batch_at.lock().unwrap().expect("rollback batch");
    let first = aws.first_failure().expect("a failing probe");
    let broke = broke_at.lock().unwrap().expect("broken");
    (batch - first, batch - broke)
}

async fn throughput(seconds: u64) -> (f64, u64, u64, u64) {
    let app = LocalApp::start("aws").unwrap();
    let mut c = HttpGateConfig::new(app.url("/healthz"));
    c.samples_per_check = 200;
    c.concurrency = 16;
    c.window = 1000;
    c.min_samples = 0;
    let gate = HttpProbeGate::new(c).unwrap();
    let ctx = |tick| GateContext {
        run_id: "bench".into(),
        stage: 0,
        percent: 10,
        tick,
        elapsed_seconds: tick,
        hostnames: vec![],
        targets: Default::default(),
        next_percent: None,
    };
    // warm up (connections, allocator) before the first RSS reading
    for t in 0..5 {
        gate.check(ctx(t)).await;
    }
    let rss_start = rss_kib();
    let start = Instant::now();
    let mut probes = 0u64;
    let mut tick = 0;
    let mut rss_mid = 0;
    while start.elapsed() < Duration::from_secs(seconds) {
        let v = gate.check(ctx(tick)).await;
        probes += v.measurements["last_check"]["probes"].as_u64().unwrap_or(0);
        tick += 1;
        if rss_mid == 0 && start.elapsed() >= Duration::from_secs(seconds / 2) {
            rss_mid = rss_kib();
        }
    }
    let rate = probes as f64 / start.elapsed().as_secs_f64();
    (rate, rss_start, rss_mid, rss_kib())
}

fn main() {
    let seconds = arg("--seconds", 60);
    let runs = arg("--runs", 3);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("health gates (memory provider, real clock, 1 s ticks, loopback apps)");
    let mut worst = Duration::ZERO;
    for run in 0..runs {
        // break the app at different phases of a tick
        let offset = Duration::from_millis(1100 + 300 * (run % 3));
        let (from_probe, from_break) = rt.block_on(reaction(run, offset));
        worst = worst.max(from_break);
        println!(
            "  run {run}: first failing probe → rollback batch {:>7.1} ms; app broke → rollback \
             batch {:>7.1} ms",
            from_probe.as_secs_f64() * 1000.0,
            from_break.as_secs_f64() * 1000.0
        );
    }
    println!(
        "  worst app-broke → rollback: {:.3} s (target ≤ 1 tick + probe time, ≤ 2 s)",
        worst.as_secs_f64()
    );
    let (rate, rss0, rss_mid, rss1) = rt.block_on(throughput(seconds));
    println!(
        "probe overhead, one core (current-thread runtime; the app's threads share the machine):"
    );
    println!("  {rate:.0} probes/s sustained over {seconds} s (200 per check, 16 in flight)");
    println!(
        "  RSS start {:.1} MiB, middle {:.1} MiB, end {:.1} MiB",
        rss0 as f64 / 1024.0,
        rss_mid as f64 / 1024.0,
        rss1 as f64 / 1024.0
    );
}

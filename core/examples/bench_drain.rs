//! Drain receiver figures, measured in one run:
//! 1. throughput: frames/s the receiver (`DrainServer` on its own current-thread runtime: one
//!    thread for HTTP; the receiver's store thread appends every batch waiting, then parses
//!    them one at a time while its two syncer threads `fdatasync` the log) takes from
//!    `--clients` (8) concurrent loopback clients, each with one POST in flight like a Logplex
//!    drain process, in batches of `--batch` frames, every batch durable before its 2xx, against
//!    `ingest` of the same frames from a file on one thread; the ratio; and the mean group
//!    commit (batches made durable per fdatasync of the log, from its `/metrics`). Logplex
//!    batches up to `http_drain_target_bytes` (100 KiB by default), about 400 of these frames;
//!    `make bench` runs both 400 and 100;
//! 2. latency: p50/p99/max of POSTs sent open-loop at a steady `--rate` frames/s for
//!    `--seconds`, and the process RSS before and after.
//!
//! 3. with `--soak-seconds N --cli PATH`, only this: the RSS of a `dynoshift drain serve`
//!    process (the CLI at PATH, its own process) sampled every 10 s while it takes `--rate`
//!    frames/s for N seconds (the issue's soak: 600 s, flat, at most 64 MiB). First, as fast as
//!    it takes them, `--soak-fill` one-frame batches (default: the dedupe window plus 1,000) so
//!    the receiver's dedupe window is full and evicting during the whole soak: at 50 batches/s
//!    it would take 17 minutes to fill by itself, and only a full window shows the plateau.
//!
//! Run: `cargo run -p dynoshift --release --example bench_drain -- [--hours 6] [--batch 100]
//! [--rate 5000] [--seconds 20] [--soak-seconds 600 --cli target/.../release/dynoshift]`.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{arg, rss_kib};
use dynoshift::drain::{DrainOptions, DrainServer};
use dynoshift::heroku::synth::{SynthFraming, SynthOptions, generate};
use dynoshift::{Formation, telemetry};

/// A receiver on its own thread and current-thread runtime; the address, and a sender that
/// stops it.
fn start_receiver(
    state: PathBuf,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<u64>,
) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .max_blocking_threads(8)
            .build()
            .unwrap();
        rt.block_on(async move {
            let options = DrainOptions::new("127.0.0.1:0".parse().unwrap(), state);
            let server = DrainServer::start(options).await.unwrap();
            addr_tx.send(server.url()).unwrap();
            // (Not a blocking wait: the runtime serves the HTTP requests.)
            let _ = stop_rx.await;
            let frames = server
                .profiles()
                .values()
                .map(|p| p.lines.records)
                .sum::<u64>();
            server.stop().await.unwrap();
            frames
        })
    });
    (addr_rx.recv().unwrap(), stop_tx, thread)
}

fn rss_of(pid: u32) -> u64 {
    common::rss_kib_of(&pid.to_string())
}

/// The receiver as its own process under a steady load; its RSS every 10 s.
fn soak(
    cli: &str,
    seconds: u64,
    rate: u64,
    batch: usize,
    bodies: &[(Vec<u8>, usize)],
    state: &std::path::Path,
) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(cli)
        .args(["drain", "serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(state)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("dynoshift drain: listening on ")
        .expect("the CLI prints its URL")
        .to_owned();
    let pid = child.id();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder().build().unwrap();
    let per_batch = (rate as usize / batch).max(1);
    let interval = Duration::from_secs_f64(1.0 / per_batch as f64);
    let total = per_batch * seconds as usize;
    let fill = common::arg(
        "--soak-fill",
        dynoshift::drain::DEFAULT_DEDUPE_WINDOW as u64 + 1000,
    ) as usize;
    let rss_start = rss_of(pid);
    let t = Instant::now();
    let one_frame: Vec<u8> = bodies[0]
        .0
        .split_inclusive(|b| *b == b'\n')
        .next()
        .unwrap()
        .to_vec();
    rt.block_on(async {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (client, url, next, body) =
                (client.clone(), url.clone(), next.clone(), one_frame.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= fill {
                        break;
                    }
                    let r = client
                        .post(&url)
                        .header("Content-Type", "application/logplex-1")
                        .header("Logplex-Msg-Count", "1")
                        .header("Logplex-Frame-Id", format!("fill{k:032x}"))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    println!(
        "receiver RSS {:.1} MiB at start, {:.1} MiB after {fill} one-frame batches with distinct \
         frame ids ({:.0} s; its dedupe window is now full)",
        rss_start as f64 / 1024.0,
        rss_of(pid) as f64 / 1024.0,
        t.elapsed().as_secs_f64()
    );
    let samples = rt.block_on(async {
        let mut samples = vec![(0u64, rss_of(pid))];
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let started = Instant::now();
        let mut next_sample = 10;
        let mut inflight = tokio::task::JoinSet::new();
        for k in 0..total {
            tick.tick().await;
            let (body, n) = bodies[k % bodies.len()].clone();
            let (client, url) = (client.clone(), url.clone());
            inflight.spawn(async move {
                let r = client
                    .post(&url)
                    .header("Content-Type", "application/logplex-1")
                    .header("Logplex-Msg-Count", n.to_string())
                    .header("Logplex-Frame-Id", format!("soak{k:032x}"))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            });
            while let Some(done) = inflight.try_join_next() {
                done.unwrap();
            }
            if started.elapsed().as_secs() >= next_sample {
                samples.push((next_sample, rss_of(pid)));
                next_sample += 10;
            }
        }
        while let Some(done) = inflight.join_next().await {
            done.unwrap();
        }
        samples.push((started.elapsed().as_secs(), rss_of(pid)));
        samples
    });
    let _ = child.kill();
    let _ = child.wait();
    let mib = |k: u64| k as f64 / 1024.0;
    let line: Vec<String> = samples
        .iter()
        .map(|(t, k)| format!("{t}s {:.1}", mib(*k)))
        .collect();
    println!("receiver RSS (MiB) every 10 s: {}", line.join(", "));
    let warm = samples
        .iter()
        .find(|(t, _)| *t >= 60)
        .unwrap_or(&samples[0])
        .1;
    let max = samples.iter().map(|(_, k)| *k).max().unwrap_or(0);
    let last = samples.last().map_or(0, |(_, k)| *k);
    println!(
        "receiver RSS over a {seconds} s soak at {} frames/s (window full): {:.1} MiB after 60 s, {:.1} MiB at the end \
         ({:+.1} MiB), max {:.1} MiB (target: flat, <= 64)",
        per_batch * batch,
        mib(warm),
        mib(last),
        mib(last) - mib(warm),
        mib(max)
    );
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hours = arg("--hours", 6);
    let batch = arg("--batch", 100) as usize;
    let rate = arg("--rate", 5000);
    let seconds = arg("--seconds", 20);
    let soak_seconds = arg("--soak-seconds", 0);
    let clients = arg("--clients", 8) as usize;
    let cli = {
        let args: Vec<String> = std::env::args().collect();
        args.iter()
            .position(|a| a == "--cli")
            .and_then(|i| args.get(i + 1).cloned())
    };

    let formation = Formation::from_json(
        r#"{"web": {"size": "standard-2x", "quantity": 4}, "worker": {"size": "standard-1x", "quantity": 2}}"#,
    )
    .unwrap();
    let options = SynthOptions {
        duration_s: hours * 3600,
        web_rps: 20.0,
        framing: SynthFraming::Drain,
        ..SynthOptions::default()
    };
    let mut log = Vec::new();
    generate(&formation, &options, &mut log).unwrap();
    let frames: Vec<&[u8]> = log.split_inclusive(|b| *b == b'\n').collect();
    let bodies: Vec<(Vec<u8>, usize)> = frames
        .chunks(batch)
        .map(|c| (c.concat(), c.len()))
        .collect();
    let dir = std::env::temp_dir().join(format!("dynoshift-bench-drain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("frames.log");
    std::fs::write(&file, &log).unwrap();
    println!(
        "{} frames ({:.1} MB) in {} batches of up to {batch}",
        frames.len(),
        log.len() as f64 / 1e6,
        bodies.len()
    );

    if soak_seconds > 0 {
        let cli = cli.expect("--soak-seconds needs --cli PATH (the release dynoshift binary)");
        soak(
            &cli,
            soak_seconds,
            rate,
            batch,
            &bodies,
            &dir.join("state-soak"),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }

    // 1a. The baseline: ingest of the same frames from a file, one thread.
    let t = Instant::now();
    let p = telemetry::ingest_paths_on(std::slice::from_ref(&file), Some(1), &|_| {}).unwrap();
    let ingest_fps = p.lines.records as f64 / t.elapsed().as_secs_f64();

    // 1b. The receiver, every batch durable before its 2xx.
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder().build().unwrap();
    let (url, stop, thread) = start_receiver(dir.join("state-throughput"));
    let bodies = Arc::new(bodies);
    let t = Instant::now();
    client_rt.block_on(async {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (client, url, bodies, next) =
                (client.clone(), url.clone(), bodies.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((body, n)) = bodies.get(k) else {
                        break;
                    };
                    let r = client
                        .post(&url)
                        .header("Content-Type", "application/logplex-1")
                        .header("Logplex-Msg-Count", n.to_string())
                        .header("Logplex-Frame-Id", format!("t{k}"))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let elapsed = t.elapsed();
    let metrics = client_rt.block_on(async {
        client
            .get(url.replace("/drain", "/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let counter = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let syncs = counter("dynoshift_drain_log_syncs_total ");
    let synced = counter("dynoshift_drain_log_synced_batches_total ");
    stop.send(()).unwrap();
    let received = thread.join().unwrap();
    assert_eq!(
        received, p.lines.records,
        "the receiver holds every frame once"
    );
    let drain_fps = received as f64 / elapsed.as_secs_f64();
    println!("ingest from a file, 1 thread:   {ingest_fps:>12.0} frames/s");
    println!("receiver (HTTP + fsync):          {drain_fps:>12.0} frames/s");
    println!(
        "ratio receiver / ingest:         {:>12.3}   (target >= 0.5; {clients} clients, batches of {batch})",
        drain_fps / ingest_fps
    );
    println!(
        "group commit: {syncs:.0} fdatasyncs for {synced:.0} batches, {:.2} batches per sync, \
         one sync every {:.2} ms",
        synced / syncs.max(1.0),
        elapsed.as_secs_f64() * 1000.0 / syncs.max(1.0)
    );

    // 2. Latency at a steady rate: one batch every `batch / rate` seconds, open loop.
    let per_batch = (rate as usize / batch).max(1);
    let interval = Duration::from_secs_f64(1.0 / per_batch as f64);
    let rss_before = rss_kib();
    let (url, stop, thread) = start_receiver(dir.join("state-latency"));
    let total = (per_batch as u64 * seconds) as usize;
    let latencies = client_rt.block_on(async {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut tasks = Vec::with_capacity(total);
        for k in 0..total {
            tick.tick().await;
            let (body, n) = bodies[k % bodies.len()].clone();
            let (client, url) = (client.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .header("Content-Type", "application/logplex-1")
                    .header("Logplex-Msg-Count", n.to_string())
                    .header("Logplex-Frame-Id", format!("l{k}"))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                t.elapsed()
            }));
        }
        let mut out = Vec::with_capacity(total);
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let rss_after = rss_kib();
    stop.send(()).unwrap();
    thread.join().unwrap();
    let mut sorted = latencies;
    sorted.sort_unstable();
    println!(
        "POST latency at {} frames/s ({per_batch} batches/s of {batch}) for {seconds} s: p50 {:.2} ms, p99 {:.2} ms (target <= 20), max {:.2} ms",
        per_batch * batch,
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.99)),
        ms(*sorted.last().unwrap()),
    );
    println!(
        "RSS of this process (receiver and clients): {:.1} MiB before, {:.1} MiB after",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Cutover engine overhead on the in-memory provider with zero delays (virtual clock, so the
//! INSYNC, TTL and soak waits cost nothing): wall time per stage beyond those waits, and
//! Route53 calls per stage and per run, for 1 and 500 hostnames.
//!
//! Run: `cargo run -p dynoshift --example bench_cutover` (add `--release` for figures).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use dynoshift::cutover::{CutoverEvent, EventRecord, FnObserver, JournalFile, read_journal};
use dynoshift::dns::{ApiCalls, Change, ChangeAction, DnsProvider, RecordSet};
use dynoshift::{Cutover, CutoverPlan, MemoryProvider, Outcome, VirtualClock};

const HEROKU: &str = "shop-1a2b.herokudns.com";
const AWS: &str = "shop-lb-123.us-east-1.elb.amazonaws.com";

struct Sample {
    hosts: usize,
    save_ms: f64,
    wall_ms: f64,
    per_step_ms: Vec<(String, f64, ApiCalls)>,
    total: ApiCalls,
}

async fn one_run(hosts: usize, round: usize) -> Sample {
    let clock = Arc::new(VirtualClock::new());
    let provider = MemoryProvider::default().with_clock(clock.clone());
    let zone = provider.create_zone("example.test");
    let names: Vec<String> = (0..hosts).map(|i| format!("h{i}.example.test")).collect();
    let seed: Vec<Change> = names
        .iter()
        .map(|h| {
            Change::new(
                ChangeAction::Create,
                RecordSet::simple(h, "CNAME", 60, vec![HEROKU.into()]),
            )
        })
        .collect();
    provider.apply_now(&zone.id, seed, "seed").expect("seed");
    let mut plan = CutoverPlan::new(names, "example.test", HEROKU, AWS);
    plan.soak_seconds = 0;
    let journal = std::env::temp_dir().join(format!(
        "dynoshift-bench-{}-{hosts}-{round}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&journal);
    // stamp each Writing event with the wall clock and the call counters
    let marks: Arc<Mutex<Vec<(String, Instant, ApiCalls)>>> = Arc::default();
    let m2 = marks.clone();
    let p2 = provider.clone();
    let observer = FnObserver(Arc::new(move |e: &EventRecord| {
        let label = match &e.event {
            CutoverEvent::Writing { step, percent, .. } => {
                format!(
                    "{step} {}%",
                    percent.map(|p| p.to_string()).unwrap_or_default()
                )
            }
            CutoverEvent::LockReleased => "end".into(),
            _ => return,
        };
        m2.lock()
            .unwrap()
            .push((label, Instant::now(), p2.api_calls()));
    }));
    let start = Instant::now();
    let outcome = Cutover::new(plan, Arc::new(provider.clone()), &journal)
        .expect("plan")
        .with_clock(clock)
        .with_observer(Arc::new(observer))
        .run()
        .await
        .expect("run");
    let wall = start.elapsed();
    assert_eq!(outcome, Outcome::Promoted);
    // the cost of one durable journal write (temp + fsync + rename + fsync dir)
    let j = read_journal(&journal).expect("journal");
    let file = JournalFile::new(&journal);
    let t = Instant::now();
    for _ in 0..10 {
        file.save(&j).expect("save");
    }
    let save_ms = t.elapsed().as_secs_f64() * 100.0;
    let _ = std::fs::remove_file(&journal);
    let marks = marks.lock().unwrap().clone();
    let mut per_step = Vec::new();
    for w in marks.windows(2) {
        per_step.push((
            w[0].0.clone(),
            (w[1].1 - w[0].1).as_secs_f64() * 1000.0,
            w[1].2.since(&w[0].2),
        ));
    }
    Sample {
        hosts,
        save_ms,
        wall_ms: wall.as_secs_f64() * 1000.0,
        per_step_ms: per_step,
        total: provider.api_calls(),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("cutover engine overhead (memory provider, zero delays, virtual clock)");
    for hosts in [1usize, 500] {
        let rounds = if hosts == 1 { 20 } else { 5 };
        let mut samples: Vec<Sample> = (0..rounds)
            .map(|r| rt.block_on(one_run(hosts, r)))
            .collect();
        samples.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
        let median = &samples[samples.len() / 2];
        println!(
            "\n{} hostname(s): whole run {:.2} ms (median of {rounds}); Route53 calls {} \
             (zone {}, list pages {}, ChangeResourceRecordSets {}, GetChange {}) — target < 60: {}",
            median.hosts,
            median.wall_ms,
            median.total.total(),
            median.total.zone_lookups,
            median.total.list_pages,
            median.total.changes,
            median.total.get_changes,
            if median.total.total() < 60 {
                "met"
            } else {
                "MISSED"
            }
        );
        println!(
            "  one journal write (fsync'd): {:.2} ms; a stage writes the journal 6 times",
            median.save_ms
        );
        println!(
            "  {:<16} {:>12} {:>8} {:>8} {:>10}",
            "step", "overhead ms", "calls", "changes", "list pages"
        );
        for (label, ms, calls) in &median.per_step_ms {
            println!(
                "  {label:<16} {ms:>12.3} {:>8} {:>8} {:>10}",
                calls.total(),
                calls.changes,
                calls.list_pages
            );
        }
    }
}

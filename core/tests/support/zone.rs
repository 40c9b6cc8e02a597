//! A DNS zone for engine tests: the in-memory provider or Route53 through the real SDK against
//! moto_server, with hosts as simple CNAMEs to Heroku (TTL 300), a virtual clock and a scratch
//! directory for the journal.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dynoshift::dns::route53::connect;
use dynoshift::dns::{Change, ChangeAction, DnsProvider, RecordSet, ZoneInfo};
use dynoshift::{MemoryOptions, MemoryProvider, VirtualClock};

use super::moto::Moto;

pub const HEROKU: &str = "shop-1a2b.herokudns.com";
pub const AWS: &str = "shop-lb-123.us-east-1.elb.amazonaws.com";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Memory,
    Moto,
}

/// A zone with `www` (and any extra hosts) as simple CNAMEs to Heroku, TTL 300.
pub struct Env {
    pub provider: Arc<dyn DnsProvider>,
    pub zone: ZoneInfo,
    pub clock: Arc<VirtualClock>,
    pub dir: std::path::PathBuf,
    pub _moto: Option<Moto>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "dynoshift-cutover-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub async fn env_with(backend: Backend, zone_name: &str, hosts: &[&str]) -> Env {
    let clock = Arc::new(VirtualClock::new());
    let (provider, zone, moto): (Arc<dyn DnsProvider>, ZoneInfo, Option<Moto>) = match backend {
        Backend::Memory => {
            let p = MemoryProvider::new(MemoryOptions::default()).with_clock(clock.clone());
            let z = p.create_zone(zone_name);
            (Arc::new(p), z, None)
        }
        Backend::Moto => {
            let moto = Moto::start();
            let client = connect(&moto.route53_options()).await;
            client
                .create_hosted_zone()
                .name(format!("{zone_name}."))
                .caller_reference(format!("suite-{}", COUNTER.fetch_add(1, Ordering::SeqCst)))
                .send()
                .await
                .expect("moto creates the zone");
            let p = super::moto::provider(client).with_clock(clock.clone());
            let z = p.zone(zone_name).await.expect("zone by name");
            (Arc::new(p), z, Some(moto))
        }
    };
    let creates: Vec<Change> = hosts
        .iter()
        .map(|h| {
            Change::new(
                ChangeAction::Create,
                RecordSet::simple(
                    &format!("{h}.{zone_name}"),
                    "CNAME",
                    300,
                    vec![HEROKU.into()],
                ),
            )
        })
        .collect();
    if !creates.is_empty() {
        provider
            .apply(&zone.id, creates, "seed")
            .await
            .expect("seed records");
    }
    Env {
        provider,
        zone,
        clock,
        dir: temp_dir(),
        _moto: moto,
    }
}

pub async fn env(backend: Backend) -> Env {
    env_with(backend, "example.test", &["www"]).await
}

/// The percent of every write of a run, in order (None: the original records restored).
pub fn writes(events: &[dynoshift::cutover::CutoverEvent]) -> Vec<Option<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            dynoshift::cutover::CutoverEvent::Writing { percent, .. } => Some(*percent),
            _ => None,
        })
        .collect()
}

impl Env {
    /// Runs `plan` on this zone and clock with `gate`, journaled at `journal.json` in the
    /// scratch directory: (outcome, every event).
    pub async fn run_gated(
        &self,
        plan: dynoshift::CutoverPlan,
        gate: Arc<dyn dynoshift::cutover::Gate>,
    ) -> (
        dynoshift::cutover::Outcome,
        Vec<dynoshift::cutover::CutoverEvent>,
    ) {
        let events = Arc::new(dynoshift::cutover::EventLog::default());
        let outcome =
            dynoshift::Cutover::new(plan, self.provider.clone(), self.dir.join("journal.json"))
                .unwrap()
                .with_clock(self.clock.clone())
                .with_gate(gate)
                .with_observer(events.clone())
                .run()
                .await
                .unwrap();
        (
            outcome,
            events.events().into_iter().map(|e| e.event).collect(),
        )
    }
}

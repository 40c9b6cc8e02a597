//! Throttling injected by a loopback proxy in front of moto: the Route53 provider retries with
//! backoff, then reports `throttled`; a cutover rides through a burst of throttling.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use dynoshift::dns::route53::{RetryPolicy, Route53Provider, connect};
use dynoshift::dns::{Change, ChangeAction, DnsProvider, RecordSet};
use dynoshift::{Cutover, CutoverPlan, ErrorKind, Outcome, VirtualClock};
use support::moto::Moto;
use support::throttle::ThrottleProxy;

#[tokio::test]
async fn throttling_is_retried_then_reported() {
    let moto = Moto::start();
    let proxy = ThrottleProxy::start(moto.addr());
    let mut opts = moto.route53_options();
    opts.endpoint_url = Some(proxy.endpoint_url());
    let client = connect(&opts).await;
    client
        .create_hosted_zone()
        .name("example.test.")
        .caller_reference("throttle-1")
        .send()
        .await
        .unwrap();
    let clock = Arc::new(VirtualClock::new());
    let provider = Route53Provider::from_client(client)
        .with_clock(clock.clone())
        .with_retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        });
    let zone = provider.zone("example.test").await.unwrap();

    // two throttled answers, then success: retried transparently
    proxy.throttle_next(2, "Throttling");
    let before = proxy.seen();
    provider
        .apply(
            &zone.id,
            vec![Change::new(
                ChangeAction::Create,
                RecordSet::simple(
                    "www.example.test",
                    "CNAME",
                    300,
                    vec!["a.herokudns.com".into()],
                ),
            )],
            "seed",
        )
        .await
        .expect("succeeds after 2 retries");
    assert_eq!(proxy.seen() - before, 3);
    assert_eq!(provider.api_calls().retries, 2);

    // PriorRequestNotComplete is retried the same way
    proxy.throttle_next(1, "PriorRequestNotComplete");
    provider.list_records(&zone.id).await.expect("retried");

    // throttled beyond the policy: `throttled`, after exactly max_attempts requests
    proxy.throttle_next(100, "Throttling");
    let before = proxy.seen();
    let err = provider.list_records(&zone.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert!(err.message().contains("4 attempts"), "{err}");
    assert_eq!(proxy.seen() - before, 4);
    assert!(
        !err.to_string().contains("testing"),
        "no credentials in errors"
    );

    // a cutover rides through a burst of throttling
    proxy.throttle_next(3, "Throttling");
    let mut plan = CutoverPlan::new(
        vec!["www.example.test".into()],
        "example.test",
        "a.herokudns.com",
        "lb.elb.amazonaws.com",
    );
    plan.soak_seconds = 0;
    let dir = std::env::temp_dir().join(format!("dynoshift-throttle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let outcome = Cutover::new(plan, Arc::new(provider.clone()), dir.join("j.json"))
        .unwrap()
        .with_clock(clock)
        .run()
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Promoted);
    let _ = std::fs::remove_dir_all(&dir);
}

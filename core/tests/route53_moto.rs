//! The Route53 client built by `dns::route53::connect` talks to a real Route53 API (moto).

mod support;

use dynoshift::dns::route53::connect;
use support::moto::Moto;

#[tokio::test]
async fn creates_and_lists_a_hosted_zone_on_moto() {
    let moto = Moto::start();
    let client = connect(&moto.route53_options()).await;
    let created = client
        .create_hosted_zone()
        .name("shop.example.test.")
        .caller_reference("dynoshift-harness-1")
        .send()
        .await
        .expect("moto creates the zone (an SDK without an HTTP client fails here)");
    let zone_id = created
        .hosted_zone()
        .expect("zone in the answer")
        .id()
        .to_owned();

    let listed = client.list_hosted_zones().send().await.expect("list zones");
    let names: Vec<_> = listed
        .hosted_zones()
        .iter()
        .map(|z| (z.id().to_owned(), z.name().to_owned()))
        .collect();
    assert!(
        names.contains(&(zone_id, "shop.example.test.".to_owned())),
        "zone missing from {names:?}"
    );
}

//! The Route53 client built by `dns::route53::connect` talks to a real Route53 API (moto).

use crate::support;

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

#[tokio::test]
async fn a_public_zone_tells_its_delegation_set() {
    // the observed-split gate asks these servers directly (UDP/53); here only the names are
    // read — resolving moto's made-up awsdns names would leave the loopback
    let moto = Moto::start();
    let client = connect(&moto.route53_options()).await;
    let created = client
        .create_hosted_zone()
        .name("split.example.test.")
        .caller_reference("dynoshift-delegation-1")
        .send()
        .await
        .expect("moto creates the zone");
    let zone_id = created.hosted_zone().unwrap().id().to_owned();
    let provider = dynoshift::Route53Provider::from_client(client);
    let names = provider.delegation_set(&zone_id).await.unwrap();
    assert!(!names.is_empty());
    assert!(
        names
            .iter()
            .all(|n| !n.ends_with('.') && n.contains("awsdns")),
        "{names:?}"
    );
    let err = provider.delegation_set("ZNOSUCHZONE").await.unwrap_err();
    assert_eq!(err.kind(), dynoshift::ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn name_server_names_resolve_through_the_system_resolver() {
    // /etc/hosts answers for localhost: nothing leaves the machine
    use dynoshift::dns::route53::resolve_name_servers;
    let addrs = resolve_name_servers(&["localhost".into()]).await.unwrap();
    assert!(
        addrs.iter().all(|a| a.port() == 53 && a.ip().is_loopback()),
        "{addrs:?}"
    );
    // (an unresolvable name is not tried here: it would ask the machine's resolver upstream)
    assert!(resolve_name_servers(&[]).await.is_err());
}

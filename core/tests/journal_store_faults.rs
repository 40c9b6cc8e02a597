//! The journal stores under faults (moto_server behind a loopback proxy that can lose a reply
//! or hold a request): a write whose reply was lost and whose retry then fails its condition
//! against our own write is a success, not fencing; deletes (`remove_if_run`, the delete of an
//! archive) only remove the version read; the file store's conditional update is atomic
//! across concurrent writers.

use crate::support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use dynoshift::ErrorKind;
use dynoshift::cutover::store::{
    FileStore, JournalLocation, JournalStore, RecordKind, S3Store, Version,
};
use dynoshift::dns::route53::RetryPolicy;
use support::moto::Moto;
use support::throttle::ThrottleProxy;

/// A store at `url` reached through `proxy`, with quick retries.
fn through(moto: &Moto, proxy: &ThrottleProxy, url: &str) -> S3Store {
    let mut options = moto.route53_options();
    options.endpoint_url = Some(proxy.endpoint_url());
    S3Store::new(JournalLocation::parse(url).unwrap(), options).with_retry(RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    })
}

fn direct(moto: &Moto, url: &str) -> S3Store {
    S3Store::new(JournalLocation::parse(url).unwrap(), moto.route53_options())
}

/// moto, a proxy in front of it, a journal URL in a new bucket, a store through the proxy, and
/// the version of the journal it created (`{"rev":1}`).
async fn journal_behind_proxy(bucket: &str) -> (Moto, ThrottleProxy, String, S3Store, Version) {
    let moto = Moto::start();
    let bucket = moto.bucket(bucket).await;
    let proxy = ThrottleProxy::start(moto.addr());
    let url = format!("s3://{bucket}/app.journal.json");
    let store = through(&moto, &proxy, &url);
    let v1 = store
        .create(RecordKind::Journal, b"{\"rev\":1}".to_vec())
        .await
        .unwrap();
    (moto, proxy, url, store, v1)
}

#[tokio::test]
async fn a_write_that_landed_with_its_reply_lost_is_not_taken_for_fencing() {
    let (moto, proxy, url, store, v1) = journal_behind_proxy("lost-replies").await;
    // the update lands, its reply is lost, the retry's If-Match meets our own write: 412
    proxy.drop_reply_of_next("PUT", 1);
    let v2 = store
        .update(RecordKind::Journal, b"{\"rev\":2}".to_vec(), v1.clone())
        .await
        .expect("our own write, not another writer's");
    let got = store.load(RecordKind::Journal).await.unwrap().unwrap();
    assert_eq!((got.bytes, got.version), (b"{\"rev\":2}".to_vec(), v2));

    // the same for a create (If-None-Match: *)
    proxy.drop_reply_of_next("PUT", 1);
    store
        .create(RecordKind::Control, b"{\"seq\":1}".to_vec())
        .await
        .expect("our own create");

    // another writer's bytes after a retry are still fencing
    let other = direct(&moto, &url);
    let v3 = other
        .update(
            RecordKind::Journal,
            b"{\"rev\":3}".to_vec(),
            got_version(&store).await,
        )
        .await
        .unwrap();
    proxy.drop_reply_of_next("PUT", 1);
    let stale = store
        .update(RecordKind::Journal, b"{\"rev\":4}".to_vec(), v1)
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Conflict, "{stale}");
    let got = store.load(RecordKind::Journal).await.unwrap().unwrap();
    assert_eq!((got.bytes, got.version), (b"{\"rev\":3}".to_vec(), v3));
}

async fn got_version(store: &S3Store) -> Version {
    store
        .load(RecordKind::Journal)
        .await
        .unwrap()
        .unwrap()
        .version
}

#[tokio::test]
async fn s3_deletes_remove_only_the_version_read() {
    let (moto, proxy, url, store, v1) = journal_behind_proxy("conditional-deletes").await;
    let v2 = store
        .update(RecordKind::Journal, b"{\"rev\":2}".to_vec(), v1.clone())
        .await
        .unwrap();
    let e = store.delete_if(RecordKind::Journal, v1).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(store.load(RecordKind::Journal).await.unwrap().is_some());
    // a delete that landed with its reply lost: the retry finds nothing, which is fine
    proxy.drop_reply_of_next("DELETE", 1);
    store
        .delete_if(RecordKind::Journal, v2.clone())
        .await
        .unwrap();
    assert!(store.load(RecordKind::Journal).await.unwrap().is_none());
    store.delete_if(RecordKind::Journal, v2).await.unwrap();

    // an archive whose journal moves on between the copy and the delete leaves it in place
    let v1 = store
        .create(RecordKind::Journal, b"{\"rev\":1}".to_vec())
        .await
        .unwrap();
    proxy.delay_next("PUT", Duration::from_millis(1500));
    let archiving = tokio::spawn(async move { store.archive("run-1").await });
    while proxy.held() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // the archive copy is held in the proxy: another writer moves the journal on
    direct(&moto, &url)
        .update(RecordKind::Journal, b"{\"rev\":2}".to_vec(), v1)
        .await
        .unwrap();
    let e = archiving.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let kept = direct(&moto, &url)
        .load(RecordKind::Journal)
        .await
        .unwrap()
        .expect("the journal written since is kept");
    assert_eq!(kept.bytes, b"{\"rev\":2}".to_vec());
}

#[test]
fn the_file_store_lets_exactly_one_of_racing_updates_through() {
    let dir = std::env::temp_dir().join(format!("dynoshift-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("j.json");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    const WRITERS: usize = 8;
    for round in 0..20 {
        let _ = std::fs::remove_file(&path);
        let store = FileStore::new(&path);
        let v = rt
            .block_on(store.create(RecordKind::Journal, format!("{round}").into_bytes()))
            .unwrap();
        let barrier = Arc::new(Barrier::new(WRITERS));
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, v, barrier) = (FileStore::new(&path), v.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    barrier.wait();
                    rt.block_on(store.update(
                        RecordKind::Journal,
                        format!("{round}-{w}").into_bytes(),
                        v,
                    ))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won: Vec<usize> = (0..WRITERS).filter(|w| results[*w].is_ok()).collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        for r in results.iter().filter(|r| r.is_err()) {
            assert_eq!(r.as_ref().unwrap_err().kind(), ErrorKind::Conflict);
        }
        let got = rt
            .block_on(store.load(RecordKind::Journal))
            .unwrap()
            .unwrap();
        assert_eq!(got.bytes, format!("{round}-{}", won[0]).into_bytes());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

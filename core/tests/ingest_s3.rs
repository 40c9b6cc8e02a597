//! `s3://bucket/prefix` inputs against moto_server's S3 (an independent implementation of the
//! S3 API on loopback), through the real `aws-sdk-s3` client: an S3 prefix of plain, gzip and
//! Papertrail `.tsv.gz` objects gives the same profiles as the same files ingested locally —
//! through the library and through the CLI (`ingest`, `size`, `plan`, `backtest`).

use crate::cli;
use crate::support;

use std::io::Write;
use std::path::PathBuf;

use aws_sdk_s3::primitives::ByteStream;
use dynoshift::Formation;
use dynoshift::dns::route53::StaticCredentials;
use dynoshift::heroku::synth::{SynthFraming, SynthOptions, generate};
use dynoshift::telemetry::s3input::{S3InputOptions, ingest_s3};
use dynoshift::telemetry::{Profiles, ingest_paths};
use dynoshift::{ErrorKind, Ingest};
use support::moto::Moto;

const FORMATION: &str = r#"{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}"#;

fn options(moto: &Moto) -> S3InputOptions {
    S3InputOptions {
        endpoint_url: Some(moto.endpoint_url()),
        region: Some("us-east-1".into()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
        concurrency: Some(3),
        list_page_size: Some(2),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// Six hours of logs for the formation, as objects: hourly text logs (some gzip), a drain body,
/// and a Papertrail-style archive row file, named so that key order is time order.
fn objects() -> Vec<(String, Vec<u8>)> {
    let formation = Formation::from_json(FORMATION).unwrap();
    let mut out = Vec::new();
    for hour in 0..6u64 {
        let opts = SynthOptions {
            seed: 40 + hour,
            duration_s: 3600,
            start_unix_s: 1_793_577_600 + hour as i64 * 3600,
            web_rps: 0.3,
            r14_episodes: u32::from(hour == 2),
            framing: if hour == 4 {
                SynthFraming::Drain
            } else {
                SynthFraming::Text
            },
            ..SynthOptions::default()
        };
        let mut log = Vec::new();
        generate(&formation, &opts, &mut log).unwrap();
        let (name, body) = match hour {
            1 | 3 => (format!("hour-{hour}.log.gz"), gzip(&log)),
            5 => {
                // A Papertrail archive of this hour.
                let text = String::from_utf8(log).unwrap();
                let mut tsv = String::new();
                for (i, line) in text.lines().enumerate() {
                    let (ts, rest) = line.split_once(' ').unwrap();
                    let (source, rest) = rest.split_once('[').unwrap();
                    let (process, msg) = rest.split_once("]: ").unwrap();
                    tsv += &format!(
                        "{i}\t{}\t{}Z\t1\tapp\t1.2.3.4\tLocal3\tInfo\t{source}/{process}\t{msg}\n",
                        &ts[..19],
                        &ts[..19]
                    );
                }
                (format!("hour-{hour}.tsv.gz"), gzip(tsv.as_bytes()))
            }
            _ => (format!("hour-{hour}.log"), log),
        };
        out.push((name, body));
    }
    out
}

async fn upload(moto: &Moto, bucket: &str, prefix: &str, objects: &[(String, Vec<u8>)]) {
    let client = options(moto).client().await.unwrap();
    client.create_bucket().bucket(bucket).send().await.unwrap();
    for (name, body) in objects {
        client
            .put_object()
            .bucket(bucket)
            .key(format!("{prefix}{name}"))
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
    }
    // Outside the prefix (must not be read) and a folder marker (skipped).
    for key in ["other/unrelated.log", &format!("{prefix}sub/")] {
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(
                b"2026-01-01T00:00:00Z heroku[web.9]: Error R15 (x)\n",
            ))
            .send()
            .await
            .unwrap();
    }
}

/// The same objects as local files (named so that their order is the key order).
fn local_files(objects: &[(String, Vec<u8>)]) -> (PathBuf, Vec<PathBuf>) {
    let dir = std::env::temp_dir().join(format!("dynoshift-s3-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths = objects
        .iter()
        .map(|(name, body)| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p
        })
        .collect();
    (dir, paths)
}

/// Profiles as JSON without the input names (s3://... against local paths).
fn comparable(mut p: Profiles) -> String {
    for e in &mut p.unparsed_examples {
        e.input = None;
    }
    for i in &mut p.input_issues {
        i.input = None;
    }
    p.to_json_pretty()
}

#[test]
fn an_s3_prefix_gives_the_profiles_of_the_same_files_read_locally() {
    let moto = Moto::start();
    let objects = objects();
    let rt = runtime();
    rt.block_on(upload(
        &moto,
        "app-logs",
        "papertrail/logs/54321/",
        &objects,
    ));
    let (dir, paths) = local_files(&objects);
    let want = ingest_paths(&paths).unwrap();
    assert!(want.lines.telemetry > 1000, "{:?}", want.lines);
    assert_eq!(want.process_types["web"].dynos.len(), 2);
    assert!(
        want.process_types["web"].memory_errors.r14
            + want.process_types["worker"].memory_errors.r14
            > 0
    );

    let got: Ingest = rt
        .block_on(ingest_s3(
            vec!["s3://app-logs/papertrail/logs/54321/".into()],
            options(&moto),
        ))
        .unwrap();
    let got = got.finish();
    assert_eq!(got.lines.bytes, want.lines.bytes);
    assert_eq!(comparable(got), comparable(want.clone()));

    // One object at a time gives the same result.
    let one = S3InputOptions {
        concurrency: Some(1),
        list_page_size: None,
        ..options(&moto)
    };
    let serial = rt
        .block_on(ingest_s3(vec!["s3://app-logs/papertrail/".into()], one))
        .unwrap()
        .finish();
    assert_eq!(comparable(serial), comparable(want.clone()));

    // A truncated .gz object keeps the lines before the break and says so, like a local file.
    let whole = gzip(&objects[0].1);
    let cut = whole[..whole.len() / 2].to_vec();
    rt.block_on(async {
        let client = options(&moto).client().await.unwrap();
        client
            .put_object()
            .bucket("app-logs")
            .key("broken/hour-0.log.gz")
            .body(ByteStream::from(cut))
            .send()
            .await
            .unwrap();
    });
    let broken = rt
        .block_on(ingest_s3(
            vec!["s3://app-logs/broken/".into()],
            options(&moto),
        ))
        .unwrap()
        .finish();
    assert_eq!(broken.input_issues.len(), 1, "{:?}", broken.input_issues);
    let issue = &broken.input_issues[0];
    assert_eq!(
        issue.input.as_deref(),
        Some("s3://app-logs/broken/hour-0.log.gz")
    );
    assert!(issue.message.contains("truncated or corrupt"), "{issue:?}");
    assert!(broken.lines.records > 100, "{:?}", broken.lines);

    // A prefix with nothing under it, a missing bucket, a bad URL, a bad endpoint.
    let err = |urls: Vec<String>, o: S3InputOptions| {
        rt.block_on(ingest_s3(urls, o)).map(|_| ()).unwrap_err()
    };
    let e = err(vec!["s3://app-logs/nothing-here/".into()], options(&moto));
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("no objects under"), "{e}");
    let e = err(vec!["s3://no-such-bucket/x".into()], options(&moto));
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("NoSuchBucket"), "{e}");
    let e = err(vec!["s3://Bad_Bucket/x".into()], options(&moto));
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let bad_endpoint = S3InputOptions {
        endpoint_url: Some("ftp://nowhere".into()),
        ..options(&moto)
    };
    let e = err(vec!["s3://app-logs/x".into()], bad_endpoint);
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(!format!("{e:?}").contains("testing"), "no secret in errors");

    // The CLI: `ingest` of the prefix and of the local files print the same profiles, and the
    // commands that size from logs take the prefix too.
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ];
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dynoshift"))
            .args(args)
            .envs(env)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let endpoint = moto.endpoint_url();
    let prefix = "s3://app-logs/papertrail/logs/54321/";
    let (code, s3_json, stderr) = run(&["ingest", prefix, "--endpoint-url", &endpoint, "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let local: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    let (code, local_json, stderr) = cli::dynoshift(&[&["ingest", "--json"][..], &local].concat());
    assert_eq!(code, 0, "{stderr}");
    let parse = |s: &str| comparable(serde_json::from_str::<Profiles>(s).unwrap());
    assert_eq!(parse(&s3_json), parse(&local_json));

    // `size`, `plan` and `backtest` of the prefix, and of the local files.
    let from_logs = |cmd: &str, s3: bool| {
        let mut args = vec![cmd, "--formation", FORMATION, "--json", "--logs"];
        if s3 {
            args.extend([prefix, "--endpoint-url", &endpoint]);
        } else {
            args.extend(&local);
        }
        let (code, out, stderr) = run(&args);
        assert_eq!(code, 0, "{cmd} (s3: {s3}): {stderr}");
        out
    };
    assert_eq!(from_logs("size", true), from_logs("size", false));
    assert_eq!(from_logs("backtest", true), from_logs("backtest", false));
    let plan = from_logs("plan", true);
    assert!(plan.contains("\"nodes\""), "{plan}");

    // Without credentials for the endpoint's bucket: a missing bucket exits with not_found (3).
    let (code, _, stderr) = run(&[
        "ingest",
        "s3://missing-bucket/x",
        "--endpoint-url",
        &endpoint,
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

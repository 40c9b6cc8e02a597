//! `s3://bucket/prefix` inputs: every object under the prefix (listed page by page), read
//! several at a time as streams, gzip detected per object by its magic bytes, each ingested as
//! its own input and merged in key order — so the result does not depend on which object
//! arrives first, and equals ingesting the same files from a local directory in name order.
//!
//! Memory is bounded by the number of objects in flight ([`S3InputOptions::concurrency`]) times
//! one network chunk and one gzip window, plus the aggregates themselves; never by the size of
//! an object. Credentials come from the standard AWS chain (or static keys); an endpoint URL
//! points the client at an S3-compatible server (moto_server, MinIO).

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::{GZIP_MAGIC, Ingest, InputIssue, Profiles};
use crate::dns::route53::{Route53Options, StaticCredentials};
use crate::{Error, ErrorKind, Result};

/// Objects read at the same time when [`S3InputOptions::concurrency`] is not set.
pub const DEFAULT_S3_CONCURRENCY: usize = 8;

/// Time limit of one S3 request attempt (listing a page, or reading an object's body: the
/// body of a large object streams for longer, this bounds each attempt to start).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// How to reach S3 for `s3://` inputs.
#[derive(Debug, Clone, Default)]
pub struct S3InputOptions {
    /// Send requests here instead of AWS (e.g. `http://127.0.0.1:5000` for moto_server); path-style
    /// addressing is used then. Default: `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` if set.
    pub endpoint_url: Option<String>,
    /// Region; default: the standard chain's (`AWS_REGION`, profile), else `us-east-1`.
    pub region: Option<String>,
    /// Use these instead of the standard credential chain.
    pub credentials: Option<StaticCredentials>,
    /// Objects read at the same time (1 to 64; default [`DEFAULT_S3_CONCURRENCY`]).
    pub concurrency: Option<usize>,
    /// Keys per listing page (S3's default and maximum: 1,000); smaller pages only make more
    /// requests (tests use them to exercise the paging).
    pub list_page_size: Option<i32>,
}

/// A parsed `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (may be empty: the whole bucket).
    pub prefix: String,
}

/// Whether an input names an S3 prefix rather than a local file.
pub fn is_s3_url(input: &str) -> bool {
    input
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("s3://"))
}

impl S3Url {
    /// Parses `s3://bucket[/prefix]`; anything else is `invalid_input`.
    pub fn parse(url: &str) -> Result<S3Url> {
        let bad = || {
            Error::invalid_input(format!(
                "{url:?} is not an S3 URL: give s3://BUCKET/PREFIX (e.g. \
                 s3://my-logs/papertrail/logs/54321/)"
            ))
        };
        if !is_s3_url(url) {
            return Err(bad());
        }
        let rest = &url[5..];
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid {
            return Err(bad());
        }
        Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

/// One object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Its size in bytes (as listed).
    pub size: u64,
}

impl S3Object {
    /// `s3://bucket/key` (the input name in examples and issues).
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

impl S3InputOptions {
    fn concurrency(&self) -> Result<usize> {
        match self.concurrency {
            None => Ok(DEFAULT_S3_CONCURRENCY),
            Some(n @ 1..=64) => Ok(n),
            Some(n) => Err(Error::invalid_input(format!(
                "S3 concurrency must be between 1 and 64, got {n}"
            ))
            .at("concurrency")),
        }
    }

    /// The endpoint URL: the option, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (the
    /// variables the AWS tools read), else none (AWS itself).
    fn endpoint(&self) -> Option<String> {
        self.endpoint_url.clone().or_else(|| {
            ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        })
    }

    /// An S3 client for these options.
    pub async fn client(&self) -> Result<aws_sdk_s3::Client> {
        let endpoint = self.endpoint();
        let options = Route53Options {
            endpoint_url: endpoint.clone(),
            region: Some(region_of(self.region.as_deref())),
            credentials: self.credentials.clone(),
            attempt_timeout: Some(ATTEMPT_TIMEOUT),
        };
        if endpoint.is_some() && options.validate().is_err() {
            let url = endpoint.as_deref().unwrap_or_default();
            let shown: String = url.chars().take(200).collect();
            return Err(Error::invalid_input(format!(
                "the S3 endpoint URL {shown:?} is not valid: give an http:// or https:// URL \
                 with a host, e.g. http://127.0.0.1:5000 for moto_server (or none for AWS)"
            ))
            .at("endpoint_url"));
        }
        let config = crate::aws::sdk_config(&options, None).await;
        let conf = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(endpoint.is_some())
            .build();
        Ok(aws_sdk_s3::Client::from_conf(conf))
    }
}

impl S3InputOptions {
    /// The credentials an error must never show: the static ones given, and those of the
    /// standard chain's environment variables.
    fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .collect();
        if let Some(c) = &self.credentials {
            out.push(c.access_key_id.clone());
            out.push(c.secret_access_key.clone());
            out.extend(c.session_token.clone());
        }
        out
    }
}

/// An S3 input's error without credentials: the given `secrets`, anything shaped like an access
/// key id, URL passwords and signed-URL parameters (an SDK or a proxy may echo a presigned URL
/// or the request's headers) — through [`crate::redact`], as the Route53 and Heroku errors.
fn scrub(e: Error, secrets: &[String]) -> Error {
    let clean = |t: &str| crate::redact::redact_urls(&crate::aws::scrub_text(t, secrets));
    let mut out = Error::new(e.kind(), clean(e.message()));
    if let Some(at) = e.context() {
        out = out.at(clean(at));
    }
    out
}

/// The region: the one given, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
fn region_of(given: Option<&str>) -> String {
    match given {
        Some(r) => r.to_owned(),
        None => std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".to_owned()),
    }
}

/// What to tell the user about a failed S3 call (never a credential).
fn s3_error<E, R>(op: &str, target: &str, err: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown");
            let msg = e.message().unwrap_or("");
            let kind = match code {
                "NoSuchBucket" | "NoSuchKey" | "NotFound" => ErrorKind::NotFound,
                "AccessDenied"
                | "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "InvalidToken"
                | "AllAccessDisabled" => ErrorKind::Unauthorized,
                "SlowDown" | "Throttling" | "RequestLimitExceeded" => ErrorKind::Throttled,
                "InvalidBucketName" | "InvalidArgument" => ErrorKind::InvalidInput,
                _ => ErrorKind::Unavailable,
            };
            let hint = match kind {
                ErrorKind::NotFound => "; check the bucket and prefix",
                ErrorKind::Unauthorized => {
                    "; check the AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID) and that \
                     they may list and read the bucket"
                }
                _ => "",
            };
            Error::new(kind, format!("S3 {op} {target}: {code}: {msg}{hint}"))
        }
        SdkError::TimeoutError(_) => Error::new(
            ErrorKind::Timeout,
            format!("S3 {op} {target}: timed out; check the network or the endpoint URL"),
        ),
        SdkError::DispatchFailure(d) => {
            let source = d
                .as_connector_error()
                .map(|c| c as &(dyn std::error::Error + 'static));
            match crate::aws::credentials_failure(source) {
                Some(why) => {
                    Error::new(ErrorKind::Unauthorized, format!("S3 {op} {target}: {why}"))
                }
                None => Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "S3 {op} {target}: could not reach the endpoint; check the network or \
                         --endpoint-url"
                    ),
                ),
            }
        }
        _ => Error::new(
            ErrorKind::Unavailable,
            format!("S3 {op} {target}: the request failed; try again"),
        ),
    }
}

/// Every object under `url`, listed page by page (1,000 keys a page), in key order. Keys that
/// end in `/` (folder markers) are left out.
pub async fn list_objects(
    client: &aws_sdk_s3::Client,
    url: &S3Url,
    page_size: Option<i32>,
) -> Result<Vec<S3Object>> {
    let target = format!("s3://{}/{}", url.bucket, url.prefix);
    let mut pages = client
        .list_objects_v2()
        .bucket(&url.bucket)
        .prefix(&url.prefix)
        .set_max_keys(page_size)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| s3_error("listing", &target, &e))?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            if key.ends_with('/') {
                continue;
            }
            out.push(S3Object {
                bucket: url.bucket.clone(),
                key: key.to_owned(),
                size: o.size().unwrap_or(0).max(0) as u64,
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Lists every URL's objects (an empty prefix is `not_found`: a typo should not read as "no
/// traffic").
pub async fn list_all(
    client: &aws_sdk_s3::Client,
    urls: &[String],
    page_size: Option<i32>,
) -> Result<Vec<S3Object>> {
    let mut objects = Vec::new();
    for u in urls {
        let url = S3Url::parse(u)?;
        let found = list_objects(client, &url, page_size).await?;
        if found.is_empty() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no objects under {u}; check the bucket and prefix"),
            ));
        }
        objects.extend(found);
    }
    Ok(objects)
}

/// Feeds what a gzip decoder writes into an ingest.
struct Feed<'a>(&'a mut Ingest);

impl Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.feed(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads one object as a stream into its own ingest.
async fn ingest_object(client: aws_sdk_s3::Client, object: S3Object) -> Result<Ingest> {
    let (name, mut body) = open_object(&client, &object).await?;
    let broke_off = |e| broke_off(&name, e);
    let mut ingest = Ingest::new();
    ingest.begin_input(name.clone());
    let Some(first) = body.try_next().await.map_err(broke_off)? else {
        ingest.end_input();
        return Ok(ingest);
    };
    if !first.starts_with(&GZIP_MAGIC) {
        ingest.feed(&first);
        while let Some(chunk) = body.try_next().await.map_err(broke_off)? {
            ingest.feed(&chunk);
        }
        ingest.end_input();
        return Ok(ingest);
    }
    let mut broken: Option<std::io::Error> = None;
    {
        let mut dec = flate2::write::MultiGzDecoder::new(Feed(&mut ingest));
        if let Err(e) = dec.write_all(&first) {
            broken = Some(e);
        }
        while broken.is_none()
            && let Some(chunk) = body.try_next().await.map_err(broke_off)?
        {
            if let Err(e) = dec.write_all(&chunk) {
                // Corrupt from here on: the rest of the object is not downloaded.
                broken = Some(e);
            }
        }
        if broken.is_none()
            && let Err(e) = dec.try_finish()
        {
            broken = Some(e);
        }
    }
    ingest.end_input();
    if let Some(e) = broken {
        let bytes_read = ingest.counts.bytes;
        ingest.issues.push(InputIssue {
            input: Some(name),
            bytes_read,
            message: format!(
                "the gzip stream is truncated or corrupt after {bytes_read} decompressed bytes \
                 ({e}); the lines before the break were ingested, the rest is missing — \
                 re-upload the archive for complete profiles"
            ),
        });
    }
    Ok(ingest)
}

/// A future in flight and, once it is done, its result.
type Running<F, T> = (Pin<Box<F>>, Option<Result<T>>);

/// Starts reading an object: its `s3://` name and its body, as a stream.
async fn open_object(
    client: &aws_sdk_s3::Client,
    object: &S3Object,
) -> Result<(String, aws_sdk_s3::primitives::ByteStream)> {
    let name = object.url();
    let resp = client
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .send()
        .await
        .map_err(|e| s3_error("reading", &name, &e))?;
    Ok((name, resp.body))
}

fn broke_off(name: &str, e: aws_sdk_s3::primitives::ByteStreamError) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("S3 reading {name}: the download broke off ({e}); try again"),
    )
}

/// Runs the futures `limit` at a time (in one task: no runtime is needed beyond the caller's)
/// and hands their results to `each` in the order of `futures`.
async fn in_order_bounded<T, F>(
    futures: impl IntoIterator<Item = F>,
    limit: usize,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()>
where
    F: Future<Output = Result<T>>,
{
    let mut pending = futures.into_iter();
    let mut exhausted = false;
    let mut running: VecDeque<Running<F, T>> = VecDeque::new();
    std::future::poll_fn(|cx| {
        loop {
            while !exhausted && running.len() < limit {
                match pending.next() {
                    Some(f) => running.push_back((Box::pin(f), None)),
                    None => exhausted = true,
                }
            }
            for (f, done) in running.iter_mut() {
                if done.is_none()
                    && let Poll::Ready(r) = f.as_mut().poll(cx)
                {
                    *done = Some(r);
                }
            }
            let mut progressed = false;
            while running.front().is_some_and(|(_, d)| d.is_some()) {
                let (_, done) = running.pop_front().expect("front checked");
                progressed = true;
                if let Err(e) = done.expect("checked").and_then(&mut each) {
                    return Poll::Ready(Err(e));
                }
            }
            if running.is_empty() && exhausted {
                return Poll::Ready(Ok(()));
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    })
    .await
}

/// Ingests every object under the `s3://bucket/prefix` URLs, each as its own input named
/// `s3://bucket/key`, merged in the order of the URLs and, within one, of the keys. Returns
/// the ingest unfinished, so that local files can be merged into it.
#[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
pub fn ingest_s3(
    urls: Vec<String>,
    options: S3InputOptions,
) -> impl Future<Output = Result<Ingest>> + Send + 'static {
    async move {
        let secrets = options.secrets();
        ingest_s3_unscrubbed(urls, options)
            .await
            .map_err(|e| scrub(e, &secrets))
    }
}

async fn ingest_s3_unscrubbed(urls: Vec<String>, options: S3InputOptions) -> Result<Ingest> {
    let limit = options.concurrency()?;
    let client = options.client().await?;
    let objects = list_all(&client, &urls, options.list_page_size).await?;
    let bytes: u64 = objects.iter().map(|o| o.size).sum();
    tracing::info!(objects = objects.len(), bytes, limit, "s3 ingest: started");
    let mut total = Ingest::new();
    let reads = objects
        .into_iter()
        .map(|o| ingest_object(client.clone(), o));
    in_order_bounded(reads, limit, |one| {
        total.merge(one);
        Ok(())
    })
    .await?;
    tracing::info!(
        records = total.counts.records,
        unparsed = total.counts.unparsed,
        "s3 ingest: finished"
    );
    Ok(total)
}

/// A boxed S3 ingest, for [`ingest_inputs`]'s `run`.
pub type S3Ingest = Pin<Box<dyn Future<Output = Result<Ingest>> + Send + 'static>>;

/// Ingests local files and `s3://bucket/prefix` URLs together into one result: the local files
/// first (on `threads` threads, as [`super::ingest_paths_on`]), then the S3 objects (as
/// [`ingest_s3`]). The library never starts or blocks on a runtime itself: `run` drives the S3
/// future to completion on the caller's (the CLI's and the bindings' synchronous `ingest`
/// pass their runtime's `block_on`); it is not called when no input is an S3 URL. `progress`
/// reports on the local files only.
pub fn ingest_inputs(
    inputs: &[PathBuf],
    threads: Option<i64>,
    options: &S3InputOptions,
    progress: &(dyn Fn(super::IngestProgress) + Sync),
    run: impl FnOnce(S3Ingest) -> Result<Ingest>,
) -> Result<Profiles> {
    let mut local = Vec::new();
    let mut urls = Vec::new();
    for i in inputs {
        match i.to_str().filter(|s| is_s3_url(s)) {
            Some(url) => urls.push(url.to_owned()),
            None => local.push(i.clone()),
        }
    }
    if local.is_empty() && urls.is_empty() {
        return Err(Error::invalid_input(
            "no log files given; pass one or more files (plain or .gz) or s3://bucket/prefix URLs",
        ));
    }
    let mut total = if local.is_empty() {
        Ingest::new()
    } else {
        super::ingest_paths_unfinished(&local, threads, progress)?
    };
    if !urls.is_empty() {
        total.merge(run(Box::pin(ingest_s3(urls, options.clone())))?);
    }
    Ok(total.finish())
}

/// Copies every object under the URLs into `dir` (as `NNNNN-<last part of the key>`, in the
/// order [`ingest_s3`] reads them), streaming, `concurrency` at a time, for commands that read
/// their input more than once (`backtest`). The paths, in that order.
#[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
pub fn download_s3(
    urls: Vec<String>,
    options: S3InputOptions,
    dir: PathBuf,
) -> impl Future<Output = Result<Vec<PathBuf>>> + Send + 'static {
    async move {
        let secrets = options.secrets();
        download_s3_unscrubbed(urls, options, dir)
            .await
            .map_err(|e| scrub(e, &secrets))
    }
}

async fn download_s3_unscrubbed(
    urls: Vec<String>,
    options: S3InputOptions,
    dir: PathBuf,
) -> Result<Vec<PathBuf>> {
    let limit = options.concurrency()?;
    let client = options.client().await?;
    let objects = list_all(&client, &urls, options.list_page_size).await?;
    let mut paths = Vec::with_capacity(objects.len());
    let copies = objects.into_iter().enumerate().map(|(i, o)| {
        let leaf = o.key.rsplit('/').next().unwrap_or("object").to_owned();
        let path = dir.join(format!("{i:05}-{leaf}"));
        download_object(client.clone(), o, path)
    });
    in_order_bounded(copies, limit, |p| {
        paths.push(p);
        Ok(())
    })
    .await?;
    Ok(paths)
}

async fn download_object(
    client: aws_sdk_s3::Client,
    object: S3Object,
    path: PathBuf,
) -> Result<PathBuf> {
    let (name, mut body) = open_object(&client, &object).await?;
    let io = |e: std::io::Error, p: &Path| crate::files::io_error(&e, p);
    let mut file = std::fs::File::create(&path).map_err(|e| io(e, &path))?;
    while let Some(chunk) = body.try_next().await.map_err(|e| broke_off(&name, e))? {
        file.write_all(&chunk).map_err(|e| io(e, &path))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error quoting a presigned URL, the static keys or a URL's password reaches the caller
    /// without them; here through the real entry point (a bad endpoint URL is refused before
    /// any request, quoting it).
    #[test]
    fn s3_errors_are_scrubbed_of_credentials() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let creds = StaticCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: secret.into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
        };
        let options = S3InputOptions {
            endpoint_url: Some(format!(
                "ftp://AKIAIOSFODNN7EXAMPLE:{secret}@h/?X-Amz-Signature=abc123"
            )),
            credentials: Some(creds),
            ..S3InputOptions::default()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let e = rt
            .block_on(ingest_s3(vec!["s3://bucket/p/".into()], options.clone()))
            .unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(text.contains("endpoint URL"), "{text}");
        for s in [secret, "AKIAIOSFODNN7EXAMPLE", "abc123"] {
            assert!(!text.contains(s), "{s} in {text}");
        }
        let sdk_like = Error::new(
            ErrorKind::Unavailable,
            "S3 reading s3://b/k: dispatch failure: https://b.s3.amazonaws.com/k?X-Amz-Credential=\
             AKIAIOSFODNN7EXAMPLE%2F20261207&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLETOKEN\
             &X-Amz-Signature=feedbeef",
        )
        .at(format!("secret {secret}"));
        let clean = scrub(sdk_like, &options.secrets());
        let text = format!("{clean} {clean:?}");
        for s in [
            secret,
            "AKIAIOSFODNN7EXAMPLE",
            "FwoGZXIvYXdzEXAMPLETOKEN",
            "feedbeef",
        ] {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert!(text.contains("S3 reading s3://b/k"), "{text}");
    }

    #[test]
    fn urls_parse_or_say_how() {
        assert_eq!(
            S3Url::parse("s3://my-logs/papertrail/logs/").unwrap(),
            S3Url {
                bucket: "my-logs".into(),
                prefix: "papertrail/logs/".into()
            }
        );
        assert_eq!(S3Url::parse("S3://my-logs").unwrap().prefix, "");
        for bad in [
            "s3://",
            "s3://A_B/x",
            "http://x/y",
            "s3://ab/x",
            "logs/app.log",
        ] {
            let e = S3Url::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(e.message().contains("s3://BUCKET/PREFIX"));
        }
        assert!(is_s3_url("s3://b/k") && !is_s3_url("./s3:/x") && !is_s3_url("s3"));
    }

    #[test]
    fn bounded_futures_finish_in_order_whatever_their_speed() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let in_flight = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut got = Vec::new();
        rt.block_on(in_order_bounded(
            (0..20u64).map(|i| {
                let (in_flight, most) = (in_flight.clone(), most.clone());
                async move {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = in_flight.fetch_add(1, SeqCst) + 1;
                    most.fetch_max(now, SeqCst);
                    // Later ones finish first.
                    tokio::time::sleep(Duration::from_millis((20 - i) % 7)).await;
                    in_flight.fetch_sub(1, SeqCst);
                    Ok(i)
                }
            }),
            3,
            |i| {
                got.push(i);
                Ok(())
            },
        ))
        .unwrap();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) <= 3);
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    }
}

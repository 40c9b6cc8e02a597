//! Where a run's journal and the records beside it (control, live heartbeat) are kept, behind
//! one trait: a local file (today's default) or an S3 object (`s3://bucket/key`), so that a
//! runner on another machine can resume the run.
//!
//! Every record is read with a version token and written with a condition on it: creating
//! fails when the record exists, updating fails when it changed since the version read. A file's
//! version is the hash of its bytes; an S3 object's is its ETag, and the writes carry
//! `If-None-Match: *` (create) and `If-Match: <etag>` (update), so that S3 itself refuses a
//! writer whose view is stale. Either way the refusal is `conflict`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};

use crate::aws::AwsOptions;
use crate::dns::route53::RetryPolicy;
use crate::dns::{BoxFuture, SystemClock};
use crate::{Error, ErrorKind, Result};

/// Where a journal is: a file path, or an S3 object named `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalLocation {
    /// A local file.
    File(PathBuf),
    /// An object in S3 (or an S3-compatible endpoint).
    S3 {
        /// Bucket.
        bucket: String,
        /// Key of the journal; the control and live records are `<key>.control.json` and
        /// `<key>.live.json`.
        key: String,
    },
}

impl JournalLocation {
    /// `s3://bucket/key` is S3 (`invalid_input` without a bucket or a key); anything else is a
    /// file path. An empty string is `invalid_input`.
    pub fn parse(text: &str) -> Result<JournalLocation> {
        if text.trim().is_empty() {
            return Err(Error::invalid_input(
                "give the journal a path (e.g. cutover.journal.json) or an S3 URL \
                 (s3://bucket/key): it is what lets a crashed run resume",
            )
            .at("journal_path"));
        }
        let Some(rest) = text
            .get(..5)
            .filter(|h| h.eq_ignore_ascii_case("s3://"))
            .map(|_| &text[5..])
        else {
            return Ok(JournalLocation::File(PathBuf::from(text)));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || key.is_empty() || key.ends_with('/') {
            return Err(Error::invalid_input(format!(
                "{text:?} is not an S3 journal URL: give s3://BUCKET/KEY, e.g. \
                 s3://my-bucket/cutovers/www.journal.json"
            ))
            .at("journal_path"));
        }
        Ok(JournalLocation::S3 {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// [`JournalLocation::parse`] of a path as the CLI and the bindings receive it.
    pub fn from_path(path: &Path) -> Result<JournalLocation> {
        match path.to_str() {
            Some(text) => JournalLocation::parse(text),
            // not UTF-8: cannot be an S3 URL
            None => Ok(JournalLocation::File(path.to_owned())),
        }
    }

    /// The journal as a path (an S3 location as its URL, which is how it was given).
    pub fn to_path(&self) -> PathBuf {
        match self {
            JournalLocation::File(p) => p.clone(),
            other => PathBuf::from(other.to_string()),
        }
    }

    /// Whether the journal is in S3.
    pub fn is_s3(&self) -> bool {
        matches!(self, JournalLocation::S3 { .. })
    }
}

impl fmt::Display for JournalLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalLocation::File(p) => write!(f, "{}", p.display()),
            JournalLocation::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// The records kept at a journal location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The journal itself.
    Journal,
    /// `<journal>.control.json`: the last command sent to the live run.
    Control,
    /// `<journal>.live.json`: the heartbeat of the process driving the run.
    Live,
}

impl RecordKind {
    /// What is appended to the journal's name.
    pub fn suffix(&self) -> &'static str {
        match self {
            RecordKind::Journal => "",
            RecordKind::Control => ".control.json",
            RecordKind::Live => ".live.json",
        }
    }
}

/// The version of a record as read or written: what an update must still find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// A record's bytes and version.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The bytes (JSON).
    pub bytes: Vec<u8>,
    /// Its version.
    pub version: Version,
}

/// Where a journal and its control and live records are kept. Every method is a single
/// conditional operation on one record; `conflict` is how a condition's failure is reported.
pub trait JournalStore: Send + Sync + fmt::Debug {
    /// The journal's location.
    fn location(&self) -> &JournalLocation;

    /// The record, or None when there is none.
    fn load(&self, record: RecordKind) -> BoxFuture<'_, Result<Option<Stored>>>;

    /// Writes the record only if there is none (`conflict` otherwise).
    fn create(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>>;

    /// Replaces the record only if it is still at `expected` (`conflict` otherwise, also when
    /// it is gone).
    fn update(
        &self,
        record: RecordKind,
        bytes: Vec<u8>,
        expected: Version,
    ) -> BoxFuture<'_, Result<Version>>;

    /// Writes the record whatever is there (the live heartbeat: one writer, no history).
    fn put(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>>;

    /// Removes the record (nothing to remove is fine).
    fn delete(&self, record: RecordKind) -> BoxFuture<'_, Result<()>>;

    /// Removes the record only if it is still at `expected` (`conflict` when it changed since;
    /// nothing to remove is fine). The default reads, compares and deletes, which leaves a
    /// window between the read and the delete: the stores of this module override it with an
    /// atomic conditional delete.
    fn delete_if(&self, record: RecordKind, expected: Version) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            match self.load(record).await? {
                None => Ok(()),
                Some(cur) if cur.version == expected => self.delete(record).await,
                Some(_) => Err(Error::new(
                    ErrorKind::Conflict,
                    format!("{} changed since it was read", self.name_of(record)),
                )),
            }
        })
    }

    /// Moves the journal aside (`<journal>.<run_id>.json`) so a new run can start there;
    /// returns where it went.
    fn archive<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<String>>;

    /// The name of `record` in messages (a path or an `s3://` URL).
    fn name_of(&self, record: RecordKind) -> String {
        format!("{}{}", self.location(), record.suffix())
    }
}

/// The store for `location`: a file store, or an S3 store that connects (with `options`:
/// endpoint URL, region, credentials) on its first call.
pub fn open(location: JournalLocation, options: &AwsOptions) -> Arc<dyn JournalStore> {
    match location {
        JournalLocation::File(path) => Arc::new(FileStore::new(path)),
        JournalLocation::S3 { .. } => Arc::new(S3Store::new(location, options.clone())),
    }
}

/// The store of a journal given as a path or URL string (see [`JournalLocation::parse`]).
pub fn open_path(path: &Path, options: &AwsOptions) -> Result<Arc<dyn JournalStore>> {
    Ok(open(JournalLocation::from_path(path)?, options))
}

// ---- files ----------------------------------------------------------------------------------

/// Journal records as local files, written atomically (temp file, fsync, rename; a hard link
/// for a create). A version is the SHA-256 of the bytes. A conditional update or delete checks
/// the version and replaces the file while holding an exclusive `flock` on the journal's
/// directory, so that two processes (or threads) updating from the same version cannot both
/// pass the check: the second one sees the first one's bytes and gets `conflict`.
#[derive(Debug, Clone)]
pub struct FileStore {
    location: JournalLocation,
    path: PathBuf,
}

fn hash_version(bytes: &[u8]) -> Version {
    Version(hex::encode(&Sha256::digest(bytes)[..16]))
}

impl FileStore {
    /// Records at `path` (the journal) and beside it.
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        let path = path.into();
        FileStore {
            location: JournalLocation::File(path.clone()),
            path,
        }
    }

    fn path_of(&self, record: RecordKind) -> PathBuf {
        let mut p = self.path.as_os_str().to_owned();
        p.push(record.suffix());
        PathBuf::from(p)
    }

    fn read(&self, record: RecordKind) -> Result<Option<Stored>> {
        let path = self.path_of(record);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(Stored {
                version: hash_version(&bytes),
                bytes,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err(Error::invalid_input(
                format!("journal {} is not a dynoshift journal: {e}", path.display()),
            )),
            Err(e) => Err(crate::files::io_error(&e, &path)),
        }
    }

    /// Runs `f` holding an exclusive lock on the journal's directory (released when `f`
    /// returns; the kernel releases it too if the process dies). Every conditional change of
    /// this store takes it, so their check and their rename never interleave.
    fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let handle = std::fs::File::open(&dir).map_err(|e| crate::files::io_error(&e, &dir))?;
        handle
            .lock()
            .map_err(|e| crate::files::io_error(&e, &dir))?;
        let out = f();
        drop(handle);
        out
    }

    fn changed(&self, record: RecordKind) -> Error {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "{} changed since it was read",
                self.path_of(record).display()
            ),
        )
    }

    fn remove(&self, record: RecordKind) -> Result<()> {
        let path = self.path_of(record);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(crate::files::io_error(&e, &path)),
        }
    }

    fn write(&self, record: RecordKind, bytes: &[u8], exclusive: bool) -> Result<Version> {
        let path = self.path_of(record);
        super::journal::write_atomically(&path, bytes, exclusive).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::Conflict,
                    format!("{} already exists", path.display()),
                )
            } else {
                crate::files::io_error(&e, &path)
            }
        })?;
        Ok(hash_version(bytes))
    }
}

impl JournalStore for FileStore {
    fn location(&self) -> &JournalLocation {
        &self.location
    }

    fn load(&self, record: RecordKind) -> BoxFuture<'_, Result<Option<Stored>>> {
        Box::pin(std::future::ready(self.read(record)))
    }

    fn create(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>> {
        Box::pin(std::future::ready(self.write(record, &bytes, true)))
    }

    fn update(
        &self,
        record: RecordKind,
        bytes: Vec<u8>,
        expected: Version,
    ) -> BoxFuture<'_, Result<Version>> {
        let result = self.locked(|| {
            let cur = self.read(record)?;
            if cur.as_ref().map(|c| &c.version) != Some(&expected) {
                return Err(self.changed(record));
            }
            self.write(record, &bytes, false)
        });
        Box::pin(std::future::ready(result))
    }

    fn put(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>> {
        Box::pin(std::future::ready(self.write(record, &bytes, false)))
    }

    fn delete(&self, record: RecordKind) -> BoxFuture<'_, Result<()>> {
        Box::pin(std::future::ready(self.remove(record)))
    }

    fn delete_if(&self, record: RecordKind, expected: Version) -> BoxFuture<'_, Result<()>> {
        let result = self.locked(|| match self.read(record)? {
            None => Ok(()),
            Some(cur) if cur.version == expected => self.remove(record),
            Some(_) => Err(self.changed(record)),
        });
        Box::pin(std::future::ready(result))
    }

    fn archive<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<String>> {
        let to = PathBuf::from(format!("{}.{run_id}.json", self.path.display()));
        // under the lock: an update in flight finishes before the journal moves (a rename
        // moves whatever is there, so the archive holds the last version written)
        let result = self.locked(|| {
            std::fs::rename(&self.path, &to)
                .map(|()| to.display().to_string())
                .map_err(|e| crate::files::io_error(&e, &self.path))
        });
        Box::pin(std::future::ready(result))
    }
}

// ---- S3 -------------------------------------------------------------------------------------

/// Journal records as S3 objects: the journal at `key`, the others at `key` + suffix. Reads
/// return the ETag; creates send `If-None-Match: *`, updates `If-Match: <etag>`. Failures are
/// classified like Route53's (throttling and 5xx retried with backoff, `PreconditionFailed`
/// is `conflict`). The client is built on the first call.
pub struct S3Store {
    location: JournalLocation,
    bucket: String,
    key: String,
    options: AwsOptions,
    client: tokio::sync::OnceCell<aws_sdk_s3::Client>,
    retry: RetryPolicy,
    secrets: Vec<String>,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("location", &self.location.to_string())
            .field("endpoint_url", &self.options.endpoint_url)
            .field("retry", &self.retry)
            .finish()
    }
}

/// S3's own error codes (the shared ones are in [`crate::aws::classify`]).
fn s3_code(code: &str, _message: &str) -> Option<(ErrorKind, bool)> {
    Some(match code {
        "PreconditionFailed" => (ErrorKind::Conflict, false),
        // two conditional writes at once: S3 asks to retry (the retry meets the condition)
        "ConditionalRequestConflict" | "OperationAborted" => (ErrorKind::Conflict, true),
        "NoSuchKey" | "NotFound" => (ErrorKind::NotFound, false),
        "NoSuchBucket" => (ErrorKind::NotFound, false),
        "SlowDown" | "RequestTimeout" => (ErrorKind::Throttled, true),
        "InternalError" | "ServiceUnavailable" => (ErrorKind::Unavailable, true),
        _ => return None,
    })
}

fn classify<E>(op: &str, err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> (Error, bool)
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + fmt::Debug,
{
    let (e, retry) = crate::aws::classify("S3", op, err, s3_code);
    // a bare 412 (no error code in the body) is still a failed precondition
    if let SdkError::ServiceError(se) = err
        && se.raw().status().as_u16() == 412
    {
        return (Error::new(ErrorKind::Conflict, e.message()), false);
    }
    (e, retry)
}

impl S3Store {
    /// The records of `location` (which must be S3), reached with `options`.
    pub fn new(location: JournalLocation, options: AwsOptions) -> S3Store {
        let (bucket, key) = match &location {
            JournalLocation::S3 { bucket, key } => (bucket.clone(), key.clone()),
            JournalLocation::File(p) => (String::new(), p.display().to_string()),
        };
        S3Store {
            secrets: crate::aws::secrets_of(&options),
            location,
            bucket,
            key,
            options,
            client: tokio::sync::OnceCell::new(),
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    async fn client(&self) -> Result<&aws_sdk_s3::Client> {
        self.options.validate()?;
        Ok(self
            .client
            .get_or_init(|| async {
                let shared = crate::aws::sdk_config(&self.options, None).await;
                let mut conf = aws_sdk_s3::config::Builder::from(&shared)
                    .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
                    .request_checksum_calculation(
                        aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                    )
                    .response_checksum_validation(
                        aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                    );
                if shared.region().is_none() {
                    conf = conf.region(aws_sdk_s3::config::Region::new("us-east-1"));
                }
                if self.options.endpoint_url.is_some() || endpoint_from_env() {
                    // moto and most S3-compatible endpoints serve buckets as paths
                    conf = conf.force_path_style(true);
                }
                aws_sdk_s3::Client::from_conf(conf.build())
            })
            .await)
    }

    fn key_of(&self, record: RecordKind) -> String {
        format!("{}{}", self.key, record.suffix())
    }

    async fn retrying<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, (Error, bool)>>,
    {
        crate::aws::with_retries(&self.retry, &SystemClock, |_| {}, f)
            .await
            .map_err(|e| Error::new(e.kind(), crate::aws::scrub_text(e.message(), &self.secrets)))
    }

    async fn get(&self, record: RecordKind) -> Result<Option<Stored>> {
        let client = self.client().await?;
        let key = self.key_of(record);
        let got = self
            .retrying(|| async {
                let out = client
                    .get_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .send()
                    .await;
                let out = match out {
                    Ok(out) => out,
                    Err(e) => {
                        let (err, retry) = classify("GetObject", &e);
                        if err.kind() == ErrorKind::NotFound && !is_no_bucket(&e) {
                            return Ok(None);
                        }
                        return Err((self.bucket_hint(err), retry));
                    }
                };
                let etag = out.e_tag().unwrap_or_default().to_owned();
                let bytes = out.body.collect().await.map_err(|e| {
                    (
                        Error::new(
                            ErrorKind::Unavailable,
                            format!("S3 GetObject: the body broke off: {e}"),
                        ),
                        true,
                    )
                })?;
                Ok(Some(Stored {
                    bytes: bytes.into_bytes().to_vec(),
                    version: Version(etag),
                }))
            })
            .await?;
        Ok(got)
    }

    /// `NoSuchBucket` names the bucket and what to do.
    fn bucket_hint(&self, err: Error) -> Error {
        if err.kind() == ErrorKind::NotFound && err.message().contains("NoSuchBucket") {
            return Error::new(
                ErrorKind::NotFound,
                format!(
                    "{}: the bucket {} does not exist (or is not in this region): create it, \
                     or give the journal another s3:// URL",
                    err.message(),
                    self.bucket
                ),
            );
        }
        err
    }

    async fn write(
        &self,
        record: RecordKind,
        bytes: Vec<u8>,
        condition: Condition,
    ) -> Result<Version> {
        let client = self.client().await?;
        let key = self.key_of(record);
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let out = self
            .retrying(|| async {
                attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut req = client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .content_type("application/json")
                    .body(ByteStream::from(bytes.clone()));
                req = match &condition {
                    Condition::None => req,
                    Condition::Absent => req.if_none_match("*"),
                    Condition::Matches(v) => req.if_match(&v.0),
                };
                req.send().await.map_err(|e| {
                    let (err, retry) = classify("PutObject", &e);
                    (self.bucket_hint(err), retry)
                })
            })
            .await;
        let retried = attempts.load(std::sync::atomic::Ordering::Relaxed) > 1;
        match out {
            Ok(out) => Ok(Version(out.e_tag().unwrap_or_default().to_owned())),
            Err(e) if e.kind() == ErrorKind::Conflict => {
                // An earlier attempt may have landed with its reply lost (a dropped connection,
                // a timeout): its retry then fails the condition against our own write. The
                // object holding exactly our bytes says so — the journal's bytes carry its run
                // id, revision and writer, so another writer's cannot be equal.
                if retried
                    && let Ok(Some(cur)) = self.get(record).await
                    && cur.bytes == bytes
                {
                    tracing::info!(
                        "S3 PutObject s3://{}/{key}: the write had landed (its reply was lost)",
                        self.bucket
                    );
                    return Ok(cur.version);
                }
                Err(self.refused(&key, &condition, &e))
            }
            Err(e) => Err(e),
        }
    }

    /// The `conflict` of a write whose condition failed.
    fn refused(&self, key: &str, condition: &Condition, e: &Error) -> Error {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "s3://{}/{key} {} ({})",
                self.bucket,
                match condition {
                    Condition::Absent => "already exists",
                    _ => "changed since it was read",
                },
                e.message()
            ),
        )
    }

    /// Deletes the record only while its ETag is `expected` (`If-Match` on DeleteObject,
    /// honoured by S3 since 2024 and by moto): `conflict` when it changed, nothing to delete
    /// (also a delete that landed with its reply lost, then retried) is fine.
    async fn remove_if(&self, record: RecordKind, expected: &Version) -> Result<()> {
        let client = self.client().await?;
        let key = self.key_of(record);
        let out = self
            .retrying(|| async {
                client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .if_match(&expected.0)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify("DeleteObject", &e))
            })
            .await;
        match out {
            Err(e) if e.kind() == ErrorKind::NotFound && !e.message().contains("NoSuchBucket") => {
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::Conflict => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "s3://{}/{key} changed since it was read, so it was left in place ({})",
                    self.bucket,
                    e.message()
                ),
            )),
            other => other,
        }
    }

    async fn remove(&self, record: RecordKind) -> Result<()> {
        let client = self.client().await?;
        let key = self.key_of(record);
        self.retrying(|| async {
            client
                .delete_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("DeleteObject", &e))
        })
        .await
    }
}

enum Condition {
    None,
    Absent,
    Matches(Version),
}

fn is_no_bucket<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> bool {
    matches!(e, SdkError::ServiceError(se) if se.err().code() == Some("NoSuchBucket"))
}

/// Whether the environment names an S3 endpoint (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`,
/// which the SDK honours by itself).
fn endpoint_from_env() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|u| !u.is_empty()))
}

impl JournalStore for S3Store {
    fn location(&self) -> &JournalLocation {
        &self.location
    }

    fn load(&self, record: RecordKind) -> BoxFuture<'_, Result<Option<Stored>>> {
        Box::pin(self.get(record))
    }

    fn create(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>> {
        Box::pin(self.write(record, bytes, Condition::Absent))
    }

    fn update(
        &self,
        record: RecordKind,
        bytes: Vec<u8>,
        expected: Version,
    ) -> BoxFuture<'_, Result<Version>> {
        Box::pin(self.write(record, bytes, Condition::Matches(expected)))
    }

    fn put(&self, record: RecordKind, bytes: Vec<u8>) -> BoxFuture<'_, Result<Version>> {
        Box::pin(self.write(record, bytes, Condition::None))
    }

    fn delete(&self, record: RecordKind) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.remove(record))
    }

    fn delete_if(&self, record: RecordKind, expected: Version) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.remove_if(record, &expected).await })
    }

    fn archive<'a>(&'a self, run_id: &'a str) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            let Some(cur) = self.get(RecordKind::Journal).await? else {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("no journal at {} to archive", self.location),
                ));
            };
            let client = self.client().await?;
            let to = format!("{}.{run_id}.json", self.key);
            self.retrying(|| async {
                client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&to)
                    .content_type("application/json")
                    .body(ByteStream::from(cur.bytes.clone()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify("PutObject", &e))
            })
            .await?;
            // only the version copied: a writer that moved the journal on since keeps it
            self.remove_if(RecordKind::Journal, &cur.version).await?;
            Ok(format!("s3://{}/{to}", self.bucket))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            JournalLocation::parse("s3://b/k/journal.json").unwrap(),
            JournalLocation::S3 {
                bucket: "b".into(),
                key: "k/journal.json".into()
            }
        );
        assert_eq!(
            JournalLocation::parse("S3://b/k").unwrap().to_string(),
            "s3://b/k"
        );
        assert_eq!(
            JournalLocation::parse("dir/j.json").unwrap(),
            JournalLocation::File("dir/j.json".into())
        );
        for bad in [
            "s3://",
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "s3://b/dir/",
            " ",
        ] {
            let e = JournalLocation::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        }
    }

    #[tokio::test]
    async fn the_file_store_refuses_a_stale_update_and_a_second_create() {
        let dir = std::env::temp_dir().join(format!("dynoshift-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let s = FileStore::new(dir.join("j.json"));
        assert!(s.load(RecordKind::Journal).await.unwrap().is_none());
        let v1 = s
            .create(RecordKind::Journal, b"one".to_vec())
            .await
            .unwrap();
        let e = s
            .create(RecordKind::Journal, b"two".to_vec())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let v2 = s
            .update(RecordKind::Journal, b"two".to_vec(), v1.clone())
            .await
            .unwrap();
        let e = s
            .update(RecordKind::Journal, b"three".to_vec(), v1)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let got = s.load(RecordKind::Journal).await.unwrap().unwrap();
        assert_eq!((got.bytes, got.version), (b"two".to_vec(), v2));
        s.put(RecordKind::Live, b"{}".to_vec()).await.unwrap();
        assert!(dir.join("j.json.live.json").exists());
        s.delete(RecordKind::Live).await.unwrap();
        s.delete(RecordKind::Live).await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! What every AWS client of dynoshift shares (Route53 for the records, S3 for the journal): the
//! SDK configuration (rustls-ring HTTPS client, timeouts, region, endpoint URL, static or chain
//! credentials), the classification of SDK errors into [`ErrorKind`]s with "retry or not", the
//! retry loop with exponential backoff and jitter on an injectable clock, and the scrubbing of
//! credentials from error text.

use std::future::Future;

use aws_config::BehaviorVersion;
use aws_sdk_route53::config::Region;
use aws_sdk_route53::config::http::HttpResponse;
use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};

use crate::dns::Clock;
use crate::dns::route53::{DEFAULT_ATTEMPT_TIMEOUT, RetryPolicy, Route53Options};
use crate::redact::REDACTED;
use crate::{Error, ErrorKind, Result};

/// The AWS options (endpoint URL, region, credentials, attempt timeout): one struct for every
/// AWS client; Route53 and the S3 journal store take the same.
pub type AwsOptions = Route53Options;

/// Time limit for connecting to the endpoint.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The shared SDK configuration: a rustls (ring) HTTPS client, connect and attempt timeouts,
/// the region (`options.region`, else `default_region`, else the standard chain's), the
/// endpoint URL when valid, and static credentials or the standard chain. Loading the chain
/// (env, profile, IMDS) is the only network work, and only when no static credentials were
/// given.
pub async fn sdk_config(
    options: &AwsOptions,
    default_region: Option<&str>,
) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let attempt = options.attempt_timeout.unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(attempt))
        .operation_attempt_timeout(attempt)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
    if let Some(region) = options.region.as_deref().or(default_region) {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(url) = options
        .endpoint_url
        .as_ref()
        .filter(|_| options.validate().is_ok())
    {
        loader = loader.endpoint_url(url);
    }
    if let Some(c) = &options.credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::from_keys(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
        ));
    }
    loader.load().await
}

/// The static credentials of `options` (to scrub from error text).
pub(crate) fn secrets_of(options: &AwsOptions) -> Vec<String> {
    options
        .credentials
        .iter()
        .flat_map(|c| {
            [Some(&c.access_key_id), Some(&c.secret_access_key)]
                .into_iter()
                .chain([c.session_token.as_ref()])
                .flatten()
                .cloned()
        })
        .collect()
}

/// An SDK error as an [`Error`] (`"{service} {op}: ..."`) and whether retrying may help.
/// `service_code` maps the service's own error codes first (code, message → kind, retry);
/// then the codes every AWS API shares (throttling, credentials), then the HTTP status.
/// (The raw response type is the same for every SDK crate.)
pub(crate) fn classify<E>(
    service: &str,
    op: &str,
    err: &SdkError<E, HttpResponse>,
    service_code: fn(&str, &str) -> Option<(ErrorKind, bool)>,
) -> (Error, bool)
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_owned();
            let msg = e.message().unwrap_or("").to_owned();
            let status = se.raw().status().as_u16();
            let text = format!("{service} {op}: {code}: {msg}");
            let (kind, retry) = service_code(&code, &msg).unwrap_or(match code.as_str() {
                "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "SlowDown" => (ErrorKind::Throttled, true),
                "AccessDenied"
                | "AccessDeniedException"
                | "InvalidClientTokenId"
                | "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "UnrecognizedClientException"
                | "ExpiredToken"
                | "MissingAuthenticationToken" => (ErrorKind::Unauthorized, false),
                _ if status == 403 => (ErrorKind::Unauthorized, false),
                _ if status == 404 => (ErrorKind::NotFound, false),
                _ if status == 429 || status == 503 => (ErrorKind::Throttled, true),
                _ if status >= 500 => (ErrorKind::Unavailable, true),
                _ => (ErrorKind::Internal, false),
            });
            (Error::new(kind, text), retry)
        }
        SdkError::TimeoutError(_) => (
            Error::new(ErrorKind::Timeout, format!("{service} {op}: timed out")),
            true,
        ),
        SdkError::DispatchFailure(d) => match credentials_failure(
            d.as_connector_error()
                .map(|c| c as &(dyn std::error::Error + 'static)),
        ) {
            // Resolving the credentials (before anything is sent) failed: retrying cannot help.
            Some(why) => (
                Error::new(ErrorKind::Unauthorized, format!("{service} {op}: {why}")),
                false,
            ),
            None => (
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "{service} {op}: could not reach the endpoint: {}; check the endpoint \
                         URL (--endpoint-url / endpoint_url, or AWS_ENDPOINT_URL) and the network",
                        causes(
                            d.as_connector_error()
                                .map(|c| c as &(dyn std::error::Error + 'static))
                        )
                    ),
                ),
                true,
            ),
        },
        SdkError::ResponseError(_) => (
            Error::new(
                ErrorKind::Unavailable,
                format!("{service} {op}: unreadable response"),
            ),
            true,
        ),
        _ => (
            Error::internal(format!("{service} {op}: request could not be built")),
            false,
        ),
    }
}

/// Runs `f` until it succeeds, fails for good, or `policy.max_attempts` are spent, sleeping an
/// exponential backoff with jitter on `clock` between attempts. `on_call(false)` is called
/// before every attempt and `on_call(true)` before every retry (for call counters). A retried
/// failure that gives up says after how many attempts.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    on_call: impl Fn(bool),
    mut f: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, (Error, bool)>>,
{
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        on_call(false);
        match f().await {
            Ok(v) => return Ok(v),
            Err((e, retryable)) => {
                if !retryable || attempt >= policy.max_attempts.max(1) {
                    if retryable && attempt > 1 {
                        return Err(Error::new(
                            e.kind(),
                            format!("{} (gave up after {attempt} attempts)", e.message()),
                        ));
                    }
                    return Err(e);
                }
                on_call(true);
                let exp = policy.base_delay.saturating_mul(1 << (attempt - 1).min(16));
                let capped = exp.min(policy.max_delay);
                let jitter = capped.mul_f64(fastrand::f64() * 0.5);
                clock.sleep(capped / 2 + jitter).await;
            }
        }
    }
}

/// The messages of an error and its causes, joined with ": ", each said once (connection
/// errors repeat their cause in their own message); "no detail" without an error.
fn causes(err: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut said: Vec<String> = Vec::new();
    let mut next = err;
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !said.iter().any(|s| s.contains(&text)) {
            said.push(text);
        }
        next = e.source();
    }
    if said.is_empty() {
        "no detail".to_owned()
    } else {
        said.join(": ")
    }
}

/// What to tell the user when `err` (or one of its causes) is the credential chain's failure,
/// `None` for any other failure.
pub(crate) fn credentials_failure(
    err: Option<&(dyn std::error::Error + 'static)>,
) -> Option<String> {
    use aws_credential_types::provider::error::CredentialsError;
    const NONE_FOUND: &str =
        "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
    let mut cur = err;
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(match c {
                CredentialsError::CredentialsNotLoaded(_)
                | CredentialsError::ProviderTimedOut(_) => {
                    format!("{NONE_FOUND} (or run where an instance or task role provides them)")
                }
                other => {
                    let detail = match std::error::Error::source(other) {
                        Some(s) => format!("{other}: {s}"),
                        None => other.to_string(),
                    };
                    // The chain's last provider, the instance metadata service, failing means
                    // every provider before it (environment, profile, ...) had none.
                    if detail.contains("IMDS") {
                        return Some(format!(
                            "{NONE_FOUND} (nor does the instance metadata service provide any: \
                             {detail})"
                        ));
                    }
                    format!(
                        "the AWS credentials could not be loaded ({detail}); check AWS_PROFILE and \
                         ~/.aws/config, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                    )
                }
            });
        }
        // The identity cache's own load timeout is not a public type: it is known by its text.
        if e.to_string().starts_with("identity resolver timed out") {
            return Some(format!(
                "{NONE_FOUND} (the credential chain found none in time: {e})"
            ));
        }
        cur = e.source();
    }
    None
}

/// `text` with the given `secrets` (see [`crate::redact`]: a short one only where it stands
/// alone, so that a one-letter test key does not eat into `ListHostedZonesByName`) and anything
/// shaped like an AWS access key id (`AKIA`/`ASIA` and 16 upper-case letters or digits)
/// replaced by `** redacted **`.
pub(crate) fn scrub_text(text: &str, secrets: &[String]) -> String {
    let out = crate::redact::redact(text, secrets);
    let bytes = out.as_bytes();
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < bytes.len() {
        let key_id = i + 20 <= bytes.len()
            && (bytes[i..].starts_with(b"AKIA") || bytes[i..].starts_with(b"ASIA"))
            && bytes[i + 4..i + 20]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && (i + 20 == bytes.len() || !bytes[i + 20].is_ascii_alphanumeric());
        if key_id {
            result.push_str(REDACTED);
            i += 20;
        } else {
            let ch = out[i..].chars().next().expect("inside the string");
            result.push(ch);
            i += ch.len_utf8();
        }
    }
    result
}

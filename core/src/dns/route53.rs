//! Connecting to Route53 through `aws-sdk-route53`, with the standard credential chain and
//! region, a rustls (ring) HTTPS client, and an optional endpoint URL (for moto_server or a
//! proxy in tests).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::types::{ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};

use super::{
    ApiCalls, BoxFuture, Call, CallCounter, Change, ChangeAction, ChangeInfo, ChangeStatus, Clock,
    DnsProvider, RecordSet, SystemClock, ZoneInfo, check_batch_limits, normalize_name,
};
use crate::{Error, ErrorKind, Result};

/// Static credentials, for tests against moto or scripts that manage keys themselves.
/// Debug output never shows the keys.
#[derive(Clone)]
pub struct StaticCredentials {
    /// AWS access key id.
    pub access_key_id: String,
    /// AWS secret access key.
    pub secret_access_key: String,
    /// Optional session token.
    pub session_token: Option<String>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &"** redacted **")
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// How to reach Route53.
#[derive(Debug, Clone, Default)]
pub struct Route53Options {
    /// Send requests here instead of AWS (e.g. `http://127.0.0.1:5000` for moto_server).
    pub endpoint_url: Option<String>,
    /// Region for signing; Route53 is global, `us-east-1` is used when nothing else is set.
    pub region: Option<String>,
    /// Use these instead of the standard credential chain.
    pub credentials: Option<StaticCredentials>,
    /// Give up on one attempt of a call after this long (then retried like any transient
    /// failure); default [`DEFAULT_ATTEMPT_TIMEOUT`]. Without it a response that never comes
    /// would hang the cutover.
    pub attempt_timeout: Option<Duration>,
}

/// Time limit of one Route53 API attempt when [`Route53Options::attempt_timeout`] is not set.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

impl Route53Options {
    /// Options from loose caller values (what every binding receives): static credentials only
    /// when both keys are given, the standard chain when neither is; one key alone is
    /// `invalid_input`.
    pub fn from_parts(
        endpoint_url: Option<String>,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    ) -> crate::Result<Route53Options> {
        let credentials = match (access_key_id, secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => Some(StaticCredentials {
                access_key_id,
                secret_access_key,
                session_token: None,
            }),
            (None, None) => None,
            _ => {
                return Err(crate::Error::invalid_input(
                    "give both the access key id and the secret access key, or neither to use \
                     the standard AWS credential chain (environment, profile, instance role)",
                ));
            }
        };
        let options = Route53Options {
            endpoint_url,
            region,
            credentials,
            attempt_timeout: None,
        };
        options.validate()?;
        Ok(options)
    }

    /// Checks the options before anything is sent: an endpoint URL must be `http://` or
    /// `https://` with a host (`invalid_input` otherwise — without a scheme the SDK would fail
    /// later with an unhelpful error, or retry). [`Route53Options::from_parts`] calls it, and
    /// a provider [connected](Route53Provider::connect) with invalid options answers every call
    /// with this error at once.
    pub fn validate(&self) -> crate::Result<()> {
        if let Some(url) = &self.endpoint_url {
            check_endpoint_url(url)?;
        }
        Ok(())
    }
}

fn check_endpoint_url(url: &str) -> crate::Result<()> {
    let rest = ["http://", "https://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &url[scheme.len()..])
    });
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let valid = match host {
        Some(host) => {
            let host = host.rsplit('@').next().unwrap_or(host);
            !host.is_empty()
                && !host.starts_with(':')
                && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        return Ok(());
    }
    let shown: String = url.chars().take(200).collect();
    Err(crate::Error::invalid_input(format!(
        "the Route53 endpoint URL {shown:?} is not valid: give an http:// or https:// URL with a \
         host, e.g. http://127.0.0.1:5000 for moto_server (or no endpoint URL for AWS itself)"
    ))
    .at("endpoint_url"))
}

/// Builds a Route53 client from the shared AWS configuration (see [`crate::aws::sdk_config`]);
/// the region is `us-east-1` unless the options name one (Route53 is global).
pub async fn connect(options: &Route53Options) -> aws_sdk_route53::Client {
    aws_sdk_route53::Client::new(&crate::aws::sdk_config(options, Some("us-east-1")).await)
}

/// Retries of throttled (`Throttling`, `PriorRequestNotComplete`) and transient (5xx,
/// connection) failures: exponential backoff with jitter, then `throttled` / `unavailable`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// First backoff; doubles each attempt.
    pub base_delay: Duration,
    /// Upper bound of one backoff.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// The Route53 implementation of [`DnsProvider`]. The SDK's own retries are turned off; this
/// provider retries with [`RetryPolicy`] on its injectable clock and counts every call. Its
/// Debug output never shows the client's configuration (credentials).
#[derive(Clone)]
pub struct Route53Provider {
    client: aws_sdk_route53::Client,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    calls: Arc<CallCounter>,
    /// Static credentials given to [`Route53Provider::connect`], scrubbed from every error
    /// (a proxy or a misconfigured endpoint may echo the request's headers back).
    secrets: Arc<Vec<String>>,
    /// Why the options given to [`Route53Provider::connect`] are unusable (see
    /// [`Route53Options::validate`]): every call fails with it, before sending anything.
    invalid: Option<Error>,
    /// The request budget every attempt waits for (Route53's account-wide limit; a fleet of
    /// runs shares one).
    budget: RequestBudget,
}

use crate::aws::scrub_text;
use crate::dns::budget::RequestBudget;

impl fmt::Debug for Route53Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route53Provider")
            .field("client", &"aws_sdk_route53::Client { .. }")
            .field("retry", &self.retry)
            .field("calls", &self.calls.snapshot())
            .field("budget", &self.budget.stats())
            .finish()
    }
}

fn classify<E>(
    op: &str,
    err: &SdkError<E, aws_sdk_route53::config::http::HttpResponse>,
) -> (Error, bool)
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    crate::aws::classify("Route53", op, err, route53_code)
}

/// Route53's own error codes (the shared ones are in [`crate::aws::classify`]).
fn route53_code(code: &str, message: &str) -> Option<(ErrorKind, bool)> {
    let lower = message.to_ascii_lowercase();
    Some(match code {
        "PriorRequestNotComplete" => (ErrorKind::Throttled, true),
        "InvalidChangeBatch" => {
            if lower.contains("already exists") || lower.contains("do not match") {
                (ErrorKind::Conflict, false)
            } else if lower.contains("not found") {
                (ErrorKind::NotFound, false)
            } else if lower.contains("conflicts with") {
                (ErrorKind::Conflict, false)
            } else {
                (ErrorKind::InvalidInput, false)
            }
        }
        "InvalidInput" if lower.contains("action=delete") => (ErrorKind::NotFound, false),
        "InvalidInput" | "InvalidArgument" | "InvalidDomainName" => {
            (ErrorKind::InvalidInput, false)
        }
        "NoSuchHostedZone" | "NoSuchChange" | "NoSuchHealthCheck" => (ErrorKind::NotFound, false),
        _ => return None,
    })
}

fn build_err(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("building a Route53 request: {e}"))
}

fn to_sdk_record(r: &RecordSet) -> Result<ResourceRecordSet> {
    let mut b = ResourceRecordSet::builder()
        .name(normalize_name(&r.name))
        .r#type(RrType::from(r.rtype.as_str()))
        .set_ttl(r.ttl)
        .set_set_identifier(r.set_identifier.clone())
        .set_weight(r.weight)
        .set_health_check_id(r.health_check_id.clone());
    for v in &r.values {
        b = b.resource_records(
            ResourceRecord::builder()
                .value(v)
                .build()
                .map_err(build_err)?,
        );
    }
    b.build().map_err(build_err)
}

fn from_sdk_record(r: &ResourceRecordSet) -> RecordSet {
    let alias = r.alias_target();
    let rtype = r.r#type().as_str().to_owned();
    let mut values: Vec<String> = match alias {
        Some(a) => vec![normalize_name(a.dns_name())],
        None => r
            .resource_records()
            .iter()
            .map(|v| v.value().to_owned())
            .collect(),
    };
    if rtype == "CNAME" {
        values = values.iter().map(|v| normalize_name(v)).collect();
    }
    RecordSet {
        name: normalize_name(r.name()),
        rtype,
        ttl: r.ttl(),
        values,
        set_identifier: r.set_identifier().map(str::to_owned),
        weight: r.weight(),
        health_check_id: r.health_check_id().map(str::to_owned),
        alias: alias.is_some(),
    }
}

fn sdk_status(s: &aws_sdk_route53::types::ChangeStatus) -> ChangeStatus {
    if s.as_str() == "INSYNC" {
        ChangeStatus::Insync
    } else {
        ChangeStatus::Pending
    }
}

impl Route53Provider {
    /// Connects (see [`connect`]) and wraps the client.
    #[allow(clippy::manual_async_fn)] // the Send + 'static contract is spelled out
    pub fn connect(
        options: Route53Options,
    ) -> impl Future<Output = Route53Provider> + Send + 'static {
        async move {
            let mut provider = Route53Provider::from_client(connect(&options).await);
            provider.invalid = options.validate().err();
            provider.secrets = Arc::new(crate::aws::secrets_of(&options));
            provider
        }
    }

    /// Wraps an existing client (its retry configuration is replaced by [`RetryPolicy`]).
    pub fn from_client(client: aws_sdk_route53::Client) -> Self {
        let conf = client
            .config()
            .to_builder()
            .retry_config(aws_sdk_route53::config::retry::RetryConfig::disabled())
            .build();
        Route53Provider {
            client: aws_sdk_route53::Client::from_conf(conf),
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            calls: Arc::default(),
            secrets: Arc::default(),
            invalid: None,
            budget: RequestBudget::default(),
        }
    }

    /// Sends every call through `budget` (shared with other providers: a fleet) instead of a
    /// budget of its own at Route53's default rate.
    pub fn with_budget(mut self, budget: RequestBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The budget this provider's calls go through (its counters are this provider's).
    pub fn budget(&self) -> &RequestBudget {
        &self.budget
    }

    /// Uses `clock` for backoff sleeps.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Runs `f` with retries; errors carry no credentials (see [`scrub_text`]).
    async fn retrying<T, F, Fut>(&self, call: Call, f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, (Error, bool)>>,
    {
        self.retrying_raw(call, f).await.map_err(|e| {
            let scrubbed = Error::new(e.kind(), scrub_text(e.message(), &self.secrets));
            match e.context() {
                Some(at) => scrubbed.at(at),
                None => scrubbed,
            }
        })
    }

    async fn retrying_raw<T, F, Fut>(&self, call: Call, f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, (Error, bool)>>,
    {
        if let Some(e) = &self.invalid {
            return Err(e.clone());
        }
        let budget = &self.budget;
        let mut f = f;
        crate::aws::with_retries(
            &self.retry,
            self.clock.as_ref(),
            |retry| self.calls.add(if retry { Call::Retry } else { call }),
            || {
                let attempt = f();
                async move {
                    budget.acquire().await;
                    let out = attempt.await;
                    if let Err((e, _)) = &out
                        && e.kind() == ErrorKind::Throttled
                    {
                        budget.note_throttle();
                    }
                    out
                }
            },
        )
        .await
    }
}

impl DnsProvider for Route53Provider {
    fn zone<'a>(&'a self, name_or_id: &'a str) -> BoxFuture<'a, Result<ZoneInfo>> {
        Box::pin(async move {
            let raw = name_or_id.trim();
            let looks_like_id = raw.starts_with("/hostedzone/")
                || (!raw.contains('.') && raw.chars().all(|c| c.is_ascii_alphanumeric()));
            if looks_like_id {
                let id = raw.trim_start_matches("/hostedzone/").to_owned();
                let out = self
                    .retrying(Call::Zone, || {
                        let id = id.clone();
                        async move {
                            self.client
                                .get_hosted_zone()
                                .id(id)
                                .send()
                                .await
                                .map_err(|e| classify("GetHostedZone", &e))
                        }
                    })
                    .await?;
                let z = out.hosted_zone().ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("no hosted zone with id {raw}"))
                })?;
                return Ok(ZoneInfo {
                    id: z.id().trim_start_matches("/hostedzone/").to_owned(),
                    name: normalize_name(z.name()),
                });
            }
            let wanted = normalize_name(raw);
            let out = self
                .retrying(Call::Zone, || {
                    let dns = format!("{wanted}.");
                    async move {
                        self.client
                            .list_hosted_zones_by_name()
                            .dns_name(dns)
                            .max_items(10)
                            .send()
                            .await
                            .map_err(|e| classify("ListHostedZonesByName", &e))
                    }
                })
                .await?;
            let mut found: Vec<ZoneInfo> = out
                .hosted_zones()
                .iter()
                .filter(|z| normalize_name(z.name()) == wanted)
                .map(|z| ZoneInfo {
                    id: z.id().trim_start_matches("/hostedzone/").to_owned(),
                    name: normalize_name(z.name()),
                })
                .collect();
            match found.len() {
                0 => Err(Error::new(
                    ErrorKind::NotFound,
                    format!("no hosted zone named {wanted}: check the name or pass the zone id"),
                )),
                1 => Ok(found.remove(0)),
                n => Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{n} hosted zones are named {wanted} (public and private?): pass the zone \
                         id instead ({})",
                        found
                            .iter()
                            .map(|z| z.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        })
    }

    fn list_records<'a>(&'a self, zone_id: &'a str) -> BoxFuture<'a, Result<Vec<RecordSet>>> {
        Box::pin(async move {
            let zone_id = zone_id.trim_start_matches("/hostedzone/").to_owned();
            let mut out = Vec::new();
            let mut next: Option<(String, RrType, Option<String>)> = None;
            loop {
                let page = self
                    .retrying(Call::List, || {
                        let mut req = self
                            .client
                            .list_resource_record_sets()
                            .hosted_zone_id(zone_id.clone());
                        if let Some((name, t, ident)) = &next {
                            req = req
                                .start_record_name(name.clone())
                                .start_record_type(t.clone())
                                .set_start_record_identifier(ident.clone());
                        }
                        async move {
                            req.send()
                                .await
                                .map_err(|e| classify("ListResourceRecordSets", &e))
                        }
                    })
                    .await?;
                out.extend(page.resource_record_sets().iter().map(from_sdk_record));
                if !page.is_truncated() {
                    break;
                }
                match (page.next_record_name(), page.next_record_type()) {
                    (Some(n), Some(t)) => {
                        next = Some((
                            n.to_owned(),
                            t.clone(),
                            page.next_record_identifier().map(str::to_owned),
                        ))
                    }
                    _ => break,
                }
            }
            // moto ignores StartRecordIdentifier, so a page boundary inside a weighted group
            // could repeat records: keep the first of each identity.
            let mut seen = std::collections::BTreeSet::new();
            out.retain(|r| seen.insert(r.key()));
            Ok(out)
        })
    }

    fn apply<'a>(
        &'a self,
        zone_id: &'a str,
        changes: Vec<Change>,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<ChangeInfo>> {
        Box::pin(async move {
            check_batch_limits(&changes)?;
            let mut sdk_changes = Vec::with_capacity(changes.len());
            for c in &changes {
                let action = match c.action {
                    ChangeAction::Create => aws_sdk_route53::types::ChangeAction::Create,
                    ChangeAction::Delete => aws_sdk_route53::types::ChangeAction::Delete,
                    ChangeAction::Upsert => aws_sdk_route53::types::ChangeAction::Upsert,
                };
                sdk_changes.push(
                    aws_sdk_route53::types::Change::builder()
                        .action(action)
                        .resource_record_set(to_sdk_record(&c.record)?)
                        .build()
                        .map_err(build_err)?,
                );
            }
            let batch = ChangeBatch::builder()
                .set_changes(Some(sdk_changes))
                .comment(comment)
                .build()
                .map_err(build_err)?;
            let zone_id = zone_id.trim_start_matches("/hostedzone/").to_owned();
            let out = self
                .retrying(Call::Change, || {
                    let req = self
                        .client
                        .change_resource_record_sets()
                        .hosted_zone_id(zone_id.clone())
                        .change_batch(batch.clone());
                    async move {
                        req.send()
                            .await
                            .map_err(|e| classify("ChangeResourceRecordSets", &e))
                    }
                })
                .await?;
            let info = out.change_info().ok_or_else(|| {
                Error::internal("ChangeResourceRecordSets answered without ChangeInfo")
            })?;
            Ok(ChangeInfo {
                id: info.id().trim_start_matches("/change/").to_owned(),
                status: sdk_status(info.status()),
            })
        })
    }

    fn change_status<'a>(&'a self, change_id: &'a str) -> BoxFuture<'a, Result<ChangeStatus>> {
        Box::pin(async move {
            let id = change_id.trim_start_matches("/change/").to_owned();
            let out = self
                .retrying(Call::GetChange, || {
                    let req = self.client.get_change().id(id.clone());
                    async move { req.send().await.map_err(|e| classify("GetChange", &e)) }
                })
                .await?;
            Ok(out
                .change_info()
                .map(|i| sdk_status(i.status()))
                .unwrap_or(ChangeStatus::Pending))
        })
    }

    fn api_calls(&self) -> ApiCalls {
        self.calls.snapshot()
    }

    fn name_servers<'a>(
        &'a self,
        zone_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<std::net::SocketAddr>>> {
        Box::pin(async move {
            let names = self.delegation_set(zone_id).await?;
            resolve_name_servers(&names).await
        })
    }
}

impl Route53Provider {
    /// The names of the zone's authoritative name servers (GetHostedZone → DelegationSet),
    /// lowercase without the trailing dot. A private zone has none (`invalid_input`).
    pub async fn delegation_set(&self, zone_id: &str) -> Result<Vec<String>> {
        let id = zone_id.trim().trim_start_matches("/hostedzone/").to_owned();
        let out = self
            .retrying(Call::Zone, || {
                let req = self.client.get_hosted_zone().id(id.clone());
                async move { req.send().await.map_err(|e| classify("GetHostedZone", &e)) }
            })
            .await?;
        let names: Vec<String> = out
            .delegation_set()
            .map(|d| d.name_servers().iter().map(|n| normalize_name(n)).collect())
            .unwrap_or_default();
        if names.is_empty() {
            return Err(Error::invalid_input(format!(
                "hosted zone {id} has no delegation set (a private zone?): the observed-split \
                 gate needs a public zone's name servers"
            )));
        }
        Ok(names)
    }
}

/// Resolves name-server names once through the system resolver, port 53 (`unavailable` when
/// none resolves).
pub async fn resolve_name_servers(names: &[String]) -> Result<Vec<std::net::SocketAddr>> {
    let mut out = Vec::new();
    let mut why = None;
    for n in names {
        match tokio::net::lookup_host((n.as_str(), 53)).await {
            Ok(addrs) => out.extend(addrs),
            Err(e) => {
                why.get_or_insert_with(|| format!("{n}: {e}"));
            }
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!(
                "none of the name servers {} resolves ({})",
                names.join(", "),
                why.unwrap_or_default()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_given_secrets_and_key_ids() {
        let secrets = vec!["s3cr3t/key+x".to_owned(), "tok".to_owned()];
        let text =
            "Credential=AKIAABCDEFGHIJKLMNOP/20260101 sig s3cr3t/key+x tok ASIA0123456789ABCDEF.";
        let out = scrub_text(text, &secrets);
        assert!(!out.contains("AKIAABCDEFGHIJKLMNOP"), "{out}");
        assert!(!out.contains("ASIA0123456789ABCDEF"), "{out}");
        assert!(!out.contains("s3cr3t") && !out.contains("tok"), "{out}");
        assert!(
            out.starts_with("Credential=** redacted **/20260101"),
            "{out}"
        );
        // not key ids: too short, lower case, part of a longer word
        for keep in [
            "AKIA123",
            "akiaabcdefghijklmnop",
            "AKIAABCDEFGHIJKLMNOPQ",
            "é AKIA",
        ] {
            assert_eq!(scrub_text(keep, &[]), keep);
        }
    }

    #[test]
    fn from_parts_needs_both_keys_or_neither() {
        let both = Route53Options::from_parts(None, None, Some("id".into()), Some("secret".into()))
            .unwrap();
        assert!(both.credentials.is_some());
        assert!(
            Route53Options::from_parts(None, None, None, None)
                .unwrap()
                .credentials
                .is_none()
        );
        let one = Route53Options::from_parts(None, None, Some("id".into()), None).unwrap_err();
        assert_eq!(one.kind(), crate::ErrorKind::InvalidInput);
        assert!(!one.to_string().contains("id\""), "{one}");
    }

    #[test]
    fn endpoint_urls_need_an_http_scheme_and_a_host() {
        for good in [
            "http://127.0.0.1:5000",
            "https://route53.amazonaws.com",
            "HTTP://localhost:5000/",
            "http://[::1]:5000",
        ] {
            Route53Options::from_parts(Some(good.into()), None, None, None)
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "127.0.0.1:5000",
            "localhost:5000",
            "ftp://127.0.0.1",
            "http://",
            "https://:443",
            "http://x y",
            "",
        ] {
            let err = Route53Options::from_parts(Some(bad.into()), None, None, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains("http:// or https://"), "{err}");
            let opts = Route53Options {
                endpoint_url: Some(bad.into()),
                ..Default::default()
            };
            assert_eq!(opts.validate().unwrap_err(), err);
        }
        // a provider connected with such options answers every call with that error, at once
        let provider = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let p = Route53Provider::connect(Route53Options {
                    endpoint_url: Some("127.0.0.1:5000".into()),
                    ..Default::default()
                })
                .await;
                let err = p.zone("example.com").await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
                p
            });
        assert_eq!(
            provider.api_calls(),
            ApiCalls::default(),
            "nothing was sent"
        );
    }

    #[test]
    fn credential_chain_failures_are_unauthorized_and_not_retried() {
        use aws_credential_types::provider::error::CredentialsError;
        use aws_sdk_route53::error::ConnectorError;
        use aws_sdk_route53::operation::list_hosted_zones_by_name::ListHostedZonesByNameError;
        let failure = |e: Box<dyn std::error::Error + Send + Sync>| {
            SdkError::<ListHostedZonesByNameError, aws_sdk_route53::config::http::HttpResponse>::dispatch_failure(
                ConnectorError::other(e, None),
            )
        };
        for cause in [
            CredentialsError::not_loaded("no providers in chain provided credentials"),
            CredentialsError::provider_error("failed to load IMDS session token"),
        ] {
            let (err, retry) = classify("ListHostedZonesByName", &failure(Box::new(cause)));
            assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
            assert!(!retry);
            assert!(
                err.message().starts_with(
                    "Route53 ListHostedZonesByName: no AWS credentials found: set AWS_PROFILE or \
                     AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                ),
                "{err}"
            );
        }
        let (err, retry) = classify(
            "ListHostedZonesByName",
            &failure(Box::new(CredentialsError::invalid_configuration(
                "profile `shop` has no region",
            ))),
        );
        assert_eq!((err.kind(), retry), (ErrorKind::Unauthorized, false));
        assert!(err.message().contains("profile `shop`"), "{err}");
        // anything else that fails before an answer is still a transient `unavailable`
        let (err, retry) = classify(
            "ListHostedZonesByName",
            &failure("connection refused".into()),
        );
        assert_eq!((err.kind(), retry), (ErrorKind::Unavailable, true));
    }

    #[test]
    fn debug_never_shows_keys() {
        let opts = Route53Options {
            credentials: Some(StaticCredentials {
                access_key_id: "AKIAEXAMPLEKEYID".into(),
                secret_access_key: "s3cr3t-value".into(),
                session_token: Some("tok-value".into()),
            }),
            ..Default::default()
        };
        let shown = format!("{opts:?}");
        let provider = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(Route53Provider::connect(opts.clone()));
        let shown = format!("{shown} {provider:?}");
        assert!(
            !shown.contains("AKIAEXAMPLEKEYID")
                && !shown.contains("s3cr3t")
                && !shown.contains("tok-value"),
            "{shown}"
        );
    }
}

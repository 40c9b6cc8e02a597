//! A small client for the Heroku Platform API: an app's formation and the dyno-size catalog.
//!
//! - Token from [`HerokuApiOptions::token`] or the `HEROKU_API_KEY` environment variable (what the
//!   Heroku CLI reads). The token only ever travels in the `Authorization` header: it never
//!   appears in `Debug` output, error messages or log events, and any text that comes back from
//!   the network is scrubbed of it before it reaches an [`Error`].
//! - Base URL `https://api.heroku.com` unless overridden (tests point it at a loopback server).
//! - TLS certificates are verified (rustls with the `ring` provider and the platform verifier)
//!   unless [`HerokuApiOptions::danger_accept_invalid_certs`] is set, which is logged as a warning.
//! - Redirects are not followed, so the token is never replayed to another host.
//! - Every method returns a `Send + 'static` future: the client is cheap to clone and each call
//!   owns what it needs, so any runtime (a binding's, the CLI's) can drive it. The library never
//!   starts a runtime.
//!
//! Errors: 401/403 → `unauthorized`, 404 → `not_found`, 429 → `throttled` (Heroku allows 4,500
//! requests per hour per account), 5xx, refused or broken connections and unreadable bodies →
//! `unavailable`, no answer in time → `timeout`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::heroku::formation::Formation;

/// The public Heroku Platform API.
pub const DEFAULT_BASE_URL: &str = "https://api.heroku.com";
/// The environment variable the token is read from when none is given (as the Heroku CLI does).
pub const TOKEN_ENV_VAR: &str = "HEROKU_API_KEY";
/// The `Accept` header that selects version 3 of the Platform API.
pub const ACCEPT: &str = "application/vnd.heroku+json; version=3";
/// How long a whole request may take when [`HerokuApiOptions::timeout`] is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Heroku's rate limit, per account.
pub const RATE_LIMIT_PER_HOUR: u32 = 4_500;
/// Bodies larger than this are refused (a formation or the size list is a few kilobytes).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
const REDACTED: &str = "** redacted **";

/// A Heroku API token. `Debug` and `Display` print `** redacted **`, never the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token (surrounding whitespace, e.g. a trailing newline from a file, is removed).
    pub fn new(token: impl Into<String>) -> Token {
        let token = token.into();
        let trimmed = token.trim();
        if trimmed.len() == token.len() {
            Token(token)
        } else {
            Token(trimmed.to_owned())
        }
    }

    /// The token from `HEROKU_API_KEY`, if that variable is set and not blank.
    pub fn from_env() -> Option<Token> {
        std::env::var(TOKEN_ENV_VAR)
            .ok()
            .map(Token::new)
            .filter(|t| !t.0.is_empty())
    }

    /// The secret itself. Crate-private: only the request builder needs it.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Token {
    fn from(token: String) -> Token {
        Token::new(token)
    }
}

impl From<&str> for Token {
    fn from(token: &str) -> Token {
        Token::new(token)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// How to reach the Platform API. `Default` means: token from `HEROKU_API_KEY`, the public API,
/// a 30 s timeout, certificates verified. `Debug` redacts the token and any credentials in the
/// base URL.
#[derive(Clone, Default)]
pub struct HerokuApiOptions {
    /// The API token; `None` reads `HEROKU_API_KEY`.
    pub token: Option<Token>,
    /// Another base URL (a proxy, a recorded-response server in tests); `None` is
    /// `https://api.heroku.com`. May carry a path prefix.
    pub base_url: Option<String>,
    /// Limit for a whole request, connection included; `None` is 30 s.
    pub timeout: Option<Duration>,
    /// Accept any TLS certificate. Only for a debugging proxy you control; logged as a warning
    /// every time a client is built with it.
    pub danger_accept_invalid_certs: bool,
}

impl fmt::Debug for HerokuApiOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base_url = self.base_url.as_deref().map(|u| match Url::parse(u) {
            Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
                let _ = url.set_username("");
                let _ = url.set_password(None);
                format!("{url} (credentials redacted)")
            }
            Ok(_) => u.to_owned(),
            Err(_) => "** unparsable, not shown **".to_owned(),
        });
        f.debug_struct("HerokuApiOptions")
            .field("token", &self.token)
            .field("base_url", &base_url)
            .field("timeout", &self.timeout)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish()
    }
}

/// The price of a dyno size, as the API gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiDynoCost {
    /// Price in US cents per `unit`.
    pub cents: u64,
    /// The billing unit, e.g. `month`.
    pub unit: String,
}

/// One entry of `GET /dyno-sizes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiDynoSize {
    /// The size's name, e.g. `Standard-2X`.
    pub name: String,
    /// Memory in GB (Heroku's unit; 0.5 for 512 MB).
    pub memory_gb: f64,
    /// Compute units: the minimum vCPUs (shared sizes may get more when the host is idle).
    pub compute: u32,
    /// Whether the dyno runs on dedicated CPUs.
    pub dedicated: bool,
    /// The list price, or `None` where Heroku prices by contract (Private/Shield, some Fir).
    pub cost: Option<ApiDynoCost>,
    /// The generation's name (`cedar`, `fir`), when the API gives it.
    pub generation: Option<String>,
}

#[derive(Deserialize)]
struct RawDynoSize {
    name: String,
    memory: f64,
    compute: u32,
    dedicated: bool,
    #[serde(default)]
    cost: Option<ApiDynoCost>,
    #[serde(default)]
    generation: Option<RawGeneration>,
}

#[derive(Deserialize)]
struct RawGeneration {
    #[serde(default)]
    name: Option<String>,
}

impl From<RawDynoSize> for ApiDynoSize {
    fn from(raw: RawDynoSize) -> ApiDynoSize {
        ApiDynoSize {
            name: raw.name,
            memory_gb: raw.memory,
            compute: raw.compute,
            dedicated: raw.dedicated,
            cost: raw.cost,
            generation: raw.generation.and_then(|g| g.name),
        }
    }
}

/// A Platform API client. Cheap to clone (the connection pool is shared); `Debug` shows the base
/// URL and timeout, never the token.
#[derive(Clone)]
pub struct HerokuClient {
    http: reqwest::Client,
    base: Url,
    token: Token,
    timeout: Duration,
}

impl fmt::Debug for HerokuClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HerokuClient")
            .field("base_url", &self.base.as_str())
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Installs rustls's `ring` provider as the process default (reqwest is built without one).
/// Harmless when some provider is already installed.
pub(crate) fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl HerokuClient {
    /// Builds a client. No network traffic happens here.
    ///
    /// Errors: no token in the options nor in `HEROKU_API_KEY` → `unauthorized`; a token that
    /// cannot be sent in a header, a base URL that is not `http(s)://host[/prefix]`, or a zero
    /// timeout → `invalid_input`.
    pub fn new(options: HerokuApiOptions) -> Result<HerokuClient> {
        let token = match options.token {
            Some(t) if t.0.is_empty() => {
                return Err(Error::new(
                    ErrorKind::Unauthorized,
                    format!(
                        "the Heroku API token given is empty: pass a token, or leave it out to \
                         use {TOKEN_ENV_VAR}"
                    ),
                ));
            }
            Some(t) => t,
            None => Token::from_env().ok_or_else(|| {
                Error::new(
                    ErrorKind::Unauthorized,
                    format!(
                        "no Heroku API token: set {TOKEN_ENV_VAR} (for example \
                         `export {TOKEN_ENV_VAR}=$(heroku auth:token)`, or a long-lived token from \
                         `heroku authorizations:create`) or pass a token explicitly"
                    ),
                )
            })?,
        };
        if token.0.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(Error::invalid_input(
                "the Heroku API token contains spaces or non-ASCII characters; copy it again \
                 (`heroku auth:token` prints it)",
            ));
        }
        let base = parse_base_url(options.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let timeout = options.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid_input(
                "the Heroku API timeout must be greater than zero",
            ));
        }
        if base.scheme() == "http" && !is_loopback(&base) {
            tracing::warn!(
                base_url = %base,
                "the Heroku API base URL uses plain http: the API token will cross the network unencrypted"
            );
        }
        if options.danger_accept_invalid_certs {
            tracing::warn!(
                base_url = %base,
                "TLS certificate verification is OFF for the Heroku API \
                 (danger_accept_invalid_certs); anyone on the path can read the API token"
            );
        }

        ensure_crypto_provider();
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("dynoshift/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(options.danger_accept_invalid_certs)
            .build()
            .map_err(|e| {
                Error::internal(format!(
                    "cannot build the HTTP client for the Heroku API: {}",
                    describe(&e.without_url())
                ))
            })?;
        Ok(HerokuClient {
            http,
            base,
            token,
            timeout,
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `GET /apps/{app}/formation`, parsed into a [`Formation`]. `app` is a name or id; it is
    /// percent-encoded into the path.
    ///
    /// Errors: see the module docs; an empty app name is `invalid_input`, an unknown app
    /// `not_found`, a formation the catalog cannot read `invalid_input` naming the entry.
    pub fn formation(&self, app: &str) -> impl Future<Output = Result<Formation>> + Send + 'static {
        let this = self.clone();
        let app = app.trim().to_owned();
        async move {
            check_app_name(&app)?;
            let value = this
                .get_json(&["apps", app.as_str(), "formation"], Some(&app))
                .await?;
            // Values from the body may be quoted in a parse error: scrub it too.
            Formation::from_value(&value).map_err(|e| this.scrub(e))
        }
    }

    /// `GET /dyno-sizes`: every dyno size Heroku offers this account, in the API's order.
    pub fn dyno_sizes(&self) -> impl Future<Output = Result<Vec<ApiDynoSize>>> + Send + 'static {
        let this = self.clone();
        async move {
            let value = this.get_json(&["dyno-sizes"], None).await?;
            let raw: Vec<RawDynoSize> = serde_json::from_value(value).map_err(|e| {
                this.scrub(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku answered GET /dyno-sizes with JSON of an unexpected shape ({e}); \
                         expected an array of {{name, memory, compute, dedicated, cost, generation}}"
                    ),
                ))
            })?;
            Ok(raw.into_iter().map(ApiDynoSize::from).collect())
        }
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("the base URL is http(s), checked when the client was built");
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        url
    }

    /// GETs `segments` under the base URL and decodes the JSON body. `app` names the app for a
    /// 404 message.
    async fn get_json(&self, segments: &[&str], app: Option<&str>) -> Result<Value> {
        let url = self.url(segments);
        let what = format!("GET {}", url.path());
        tracing::debug!(request = %what, "heroku platform api");
        // Scrubbed before anything is logged or returned.
        let result = self
            .fetch(&url, &what, app)
            .await
            .map_err(|e| self.scrub(e));
        match &result {
            Ok(_) => tracing::debug!(request = %what, "heroku platform api: ok"),
            Err(e) => {
                tracing::debug!(request = %what, kind = %e.kind(), error = %e, "heroku platform api: failed")
            }
        }
        result
    }

    async fn fetch(&self, url: &Url, what: &str, app: Option<&str>) -> Result<Value> {
        let mut auth = HeaderValue::try_from(format!("Bearer {}", self.token.expose()))
            .map_err(|_| Error::invalid_input("the Heroku API token cannot be sent in a header"))?;
        auth.set_sensitive(true);
        let response = self
            .http
            .get(url.clone())
            .header(header::AUTHORIZATION, auth)
            .send()
            .await
            .map_err(|e| self.transport_error(e, what))?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            let body = self.read_body(response, what).await?;
            return serde_json::from_slice(&body).map_err(|e| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku answered {what} with a body that is not JSON ({e}); is the base \
                         URL {} the Platform API?",
                        self.base
                    ),
                )
            });
        }
        // The error body is only used for Heroku's own message ({"id": ..., "message": ...}).
        let body = self.read_body(response, what).await.unwrap_or_default();
        Err(self.status_error(status, &headers, &body, what, app))
    }

    async fn read_body(&self, mut response: reqwest::Response, what: &str) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e, what))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku's answer to {what} is larger than {} MiB; is the base URL {} the \
                         Platform API?",
                        MAX_BODY_BYTES / (1024 * 1024),
                        self.base
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn status_error(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        what: &str,
        app: Option<&str>,
    ) -> Error {
        let heroku_says = heroku_message(body)
            .map(|m| format!(" Heroku says: {m}"))
            .unwrap_or_default();
        let code = status.as_u16();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let why = if status == StatusCode::UNAUTHORIZED {
                    "rejected the API token"
                } else {
                    "refused access with this API token"
                };
                let whose = app
                    .map(|a| format!(" (does this account have access to app {a:?}?)"))
                    .unwrap_or_default();
                Error::new(
                    ErrorKind::Unauthorized,
                    format!(
                        "Heroku {why} for {what} (HTTP {code}){whose}: check {TOKEN_ENV_VAR} or \
                         the token you passed (`heroku auth:token` prints a valid one).{heroku_says}"
                    ),
                )
            }
            StatusCode::NOT_FOUND => {
                let message = match app {
                    Some(a) => format!(
                        "Heroku has no app {a:?} visible to this token (HTTP 404 for {what}): \
                         check the name with `heroku apps`.{heroku_says}"
                    ),
                    None => format!(
                        "Heroku answered {what} with HTTP 404: is the base URL {} the Platform \
                         API?{heroku_says}",
                        self.base
                    ),
                };
                Error::new(ErrorKind::NotFound, message)
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let retry = headers
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| match v.parse::<u64>() {
                        Ok(secs) => format!(" Heroku asks to wait {secs} s before retrying."),
                        Err(_) => format!(" Heroku asks to retry after {}.", printable(v, 64)),
                    })
                    .unwrap_or_default();
                Error::new(
                    ErrorKind::Throttled,
                    format!(
                        "Heroku rate-limited {what} (HTTP 429): the Platform API allows \
                         4,500 requests per hour per account; wait and try again.\
                         {retry}{heroku_says}"
                    ),
                )
            }
            s if s.is_server_error() => Error::new(
                ErrorKind::Unavailable,
                format!(
                    "Heroku answered {what} with HTTP {code}: the Platform API is failing or \
                     unreachable behind a proxy; try again later (https://status.heroku.com).\
                     {heroku_says}"
                ),
            ),
            s if s.is_redirection() => Error::new(
                ErrorKind::Unavailable,
                format!(
                    "Heroku answered {what} with a redirect (HTTP {code}), which dynoshift does not \
                     follow so the token is never sent elsewhere; check the base URL {}",
                    self.base
                ),
            ),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => Error::new(
                ErrorKind::InvalidInput,
                format!("Heroku refused {what} (HTTP {code}).{heroku_says}"),
            ),
            _ => Error::new(
                ErrorKind::Unavailable,
                format!("Heroku answered {what} with unexpected HTTP {code}.{heroku_says}"),
            ),
        }
    }

    fn transport_error(&self, e: reqwest::Error, what: &str) -> Error {
        let e = e.without_url();
        let detail = describe(&e);
        if e.is_timeout() {
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "Heroku did not answer {what} within {:?} ({detail}); try again or raise the \
                     timeout",
                    self.timeout
                ),
            )
        } else if detail.contains("certificate") {
            Error::new(
                ErrorKind::Unavailable,
                format!(
                    "the TLS certificate of the Heroku API at {} is not trusted, so nothing was \
                     sent for {what} ({detail}); check the base URL, or the CA bundle when a \
                     corporate proxy intercepts TLS",
                    self.base
                ),
            )
        } else if e.is_connect() {
            Error::new(
                ErrorKind::Unavailable,
                format!(
                    "cannot connect to the Heroku API at {} for {what} ({detail}); check the \
                     network, a proxy, or the base URL",
                    self.base
                ),
            )
        } else {
            Error::new(
                ErrorKind::Unavailable,
                format!(
                    "the connection to the Heroku API at {} failed during {what} ({detail}); try \
                     again",
                    self.base
                ),
            )
        }
    }

    /// Removes the token from an error's text (defence in depth: server bodies are echoed).
    fn scrub(&self, e: Error) -> Error {
        let secret = self.token.expose();
        if secret.is_empty() || !e.to_string().contains(secret) {
            return e;
        }
        let mut clean = Error::new(e.kind(), e.message().replace(secret, REDACTED));
        if let Some(at) = e.context() {
            clean = clean.at(at.replace(secret, REDACTED));
        }
        clean
    }
}

/// The error and its causes, joined with `: `, without any URL.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Heroku's error bodies are `{"id": "not_found", "message": "Couldn't find that app."}`.
fn heroku_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?.as_str()?;
    let id = value.get("id").and_then(Value::as_str);
    let message = printable(message, 300);
    Some(match id {
        Some(id) => format!("{message} ({})", printable(id, 64)),
        None => message,
    })
}

/// Keeps at most `max` characters and drops control characters from remote text.
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Heroku app names are short lower-case slugs or UUIDs; anything is percent-encoded, but empty,
/// `.`/`..` (which URL normalisation would swallow) and control characters are refused.
fn check_app_name(app: &str) -> Result<()> {
    if app.is_empty() {
        return Err(Error::invalid_input(
            "the app name is empty; give the Heroku app's name or id",
        ));
    }
    if app == "." || app == ".." || app.len() > 255 || app.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "{:?} is not a Heroku app name; give the name shown by `heroku apps` or the app's id",
            printable(app, 64)
        )));
    }
    Ok(())
}

fn parse_base_url(text: &str) -> Result<Url> {
    let bad = |why: &str| {
        Error::invalid_input(format!(
            "the Heroku API base URL {why}; give something like {DEFAULT_BASE_URL} or \
             http://127.0.0.1:8080"
        ))
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(bad("must start with https:// or http://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed: the URL holds credentials.
        return Err(Error::invalid_input(
            "the Heroku API base URL must not contain a user name or password; pass the API \
             token as the token (or HEROKU_API_KEY) instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(token: &str, base: &str) -> HerokuClient {
        HerokuClient::new(HerokuApiOptions {
            token: Some(Token::new(token)),
            base_url: Some(base.to_owned()),
            ..HerokuApiOptions::default()
        })
        .unwrap()
    }

    #[test]
    fn token_and_client_debug_are_redacted() {
        let t = Token::new("  hrku-SECRET-1234\n");
        assert_eq!(format!("{t:?}"), REDACTED);
        assert_eq!(t.to_string(), REDACTED);
        assert_eq!(t.expose(), "hrku-SECRET-1234");
        let c = client("hrku-SECRET-1234", "https://api.heroku.com");
        let debug = format!("{c:?} {c:#?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("api.heroku.com"));
        let opts = HerokuApiOptions {
            token: Some(t),
            ..HerokuApiOptions::default()
        };
        assert!(!format!("{opts:?}").contains("SECRET"));
        let opts = HerokuApiOptions {
            base_url: Some("https://me:SECRET@proxy.example".to_owned()),
            ..opts
        };
        let debug = format!("{opts:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("proxy.example"), "{debug}");
    }

    #[test]
    fn urls_are_built_from_encoded_segments() {
        let c = client("t", "http://127.0.0.1:9/prefix/");
        assert_eq!(
            c.url(&["apps", "my app/../x?y#z", "formation"]).as_str(),
            "http://127.0.0.1:9/prefix/apps/my%20app%2F..%2Fx%3Fy%23z/formation"
        );
        let c = client("t", "https://api.heroku.com");
        assert_eq!(
            c.url(&["dyno-sizes"]).as_str(),
            "https://api.heroku.com/dyno-sizes"
        );
    }

    #[test]
    fn bad_options_are_invalid_input() {
        let opts = |base: &str, token: &str| HerokuApiOptions {
            token: Some(Token::new(token)),
            base_url: Some(base.to_owned()),
            ..HerokuApiOptions::default()
        };
        for base in ["ftp://x", "not a url", "http://u:pw@host", "https://h/?q=1"] {
            let err = HerokuClient::new(opts(base, "tok")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{base}: {err}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
        let err = HerokuClient::new(opts("https://h", "to ken-SECRET")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!err.to_string().contains("SECRET"));
        let err = HerokuClient::new(HerokuApiOptions {
            timeout: Some(Duration::ZERO),
            ..opts("https://h", "tok")
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn scrub_removes_the_token_from_messages_and_context() {
        let c = client("hrku-SECRET", "https://api.heroku.com");
        let e =
            c.scrub(Error::new(ErrorKind::Unavailable, "echo hrku-SECRET back").at("hrku-SECRET"));
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert!(e.to_string().contains(REDACTED));
    }

    #[test]
    fn heroku_error_bodies_are_summarised() {
        assert_eq!(
            heroku_message(br#"{"id":"not_found","message":"Couldn't find that app."}"#).as_deref(),
            Some("Couldn't find that app. (not_found)")
        );
        assert_eq!(heroku_message(b"<html>"), None);
        assert_eq!(printable("a\nb\u{7}c", 10), "abc");
        assert_eq!(printable("abcdef", 3), "abc…");
    }
}

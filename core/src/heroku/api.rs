//! A small client for the Heroku Platform API: an app's formation and domains, and the
//! dyno-size catalog.
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
//! - Lists are paged: a `206 Partial Content` answer carries `Next-Range`, which is sent back as
//!   `Range` until the last page (every list call is treated as pageable, as the Heroku CLI
//!   does).
//! - Rate limiting (429; Heroku's pool is 4,500 calls per account, refilled at about 75 a
//!   minute) is waited out, after `Retry-After` or 1, 2, 4, ... s, within
//!   [`HerokuClient::with_max_rate_limit_wait`] (60 s by default) per call.
//!
//! Errors: 401/403 → `unauthorized`, 404 → `not_found`, 429 beyond the wait allowed →
//! `throttled`, 5xx, refused or broken connections and unreadable bodies → `unavailable`, no
//! answer in time → `timeout`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dns::normalize_name;
use crate::error::{Error, ErrorKind, Result};
use crate::heroku::dynos::{Cpu, DynoSize, Generation, HOURS_PER_MONTH, Pricing};
use crate::heroku::formation::{Formation, unknown_size_names};

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
/// How long one call may wait out rate limiting (HTTP 429) by default.
pub const DEFAULT_MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// A list longer than this many pages is refused (at Heroku's default 200 per page, 200,000
/// items: no app has that many domains or process types).
const MAX_PAGES: usize = 1000;

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
    /// The billing unit as the API writes it (`month` or `monthly` have both been seen).
    pub unit: String,
}

impl ApiDynoCost {
    /// USD per dyno per month, when the unit is a month (`month`, `monthly`) or an hour
    /// (× 720, Heroku's rule); `None` for a unit this library does not know.
    pub fn monthly_usd(&self) -> Option<f64> {
        let usd = self.cents as f64 / 100.0;
        match self.unit.trim().to_ascii_lowercase().as_str() {
            "month" | "monthly" | "mo" => Some(usd),
            "hour" | "hourly" | "hr" => Some(usd * HOURS_PER_MONTH),
            _ => None,
        }
    }
}

/// One entry of `GET /dyno-sizes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiDynoSize {
    /// The size's name, e.g. `Standard-2X`.
    pub name: String,
    /// Memory in GB (Heroku's unit, a float: 0.5 for 512 MB, 2.5, 14).
    pub memory_gb: f64,
    /// Heroku's relative compute multiplier (Standard-1X 1, Standard-2X 2, Performance-M 11 or
    /// 12, Performance-L 46 or 50): not a vCPU count. Rounded; 0 when the API leaves it out.
    pub compute: u32,
    /// Whether the dyno runs on dedicated CPUs.
    pub dedicated: bool,
    /// The list price, or `None` where Heroku prices by contract (Private/Shield answer
    /// `{"cents": null, "unit": null}`, some Fir sizes `null`).
    pub cost: Option<ApiDynoCost>,
    /// The generation's name (`cedar`, `fir`), when the API gives it.
    pub generation: Option<String>,
}

/// `GET /dyno-sizes` as it comes: every field but the name tolerated missing or null, cost as
/// `{cents, unit}` with either part possibly null, generation as `{id, name}` or a plain
/// string (the `version=3.sdk` variant).
#[derive(Deserialize)]
struct RawDynoSize {
    name: String,
    #[serde(default)]
    memory: Option<f64>,
    #[serde(default)]
    compute: Option<f64>,
    #[serde(default)]
    dedicated: Option<bool>,
    #[serde(default)]
    cost: Option<RawCost>,
    #[serde(default)]
    generation: Option<RawGeneration>,
}

#[derive(Deserialize)]
struct RawCost {
    #[serde(default)]
    cents: Option<f64>,
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawGeneration {
    Name(String),
    Object {
        #[serde(default)]
        name: Option<String>,
    },
}

impl From<RawDynoSize> for ApiDynoSize {
    fn from(raw: RawDynoSize) -> ApiDynoSize {
        let cost = raw.cost.and_then(|c| match (c.cents, c.unit) {
            (Some(cents), Some(unit)) if cents.is_finite() && cents >= 0.0 => Some(ApiDynoCost {
                cents: cents.round() as u64,
                unit,
            }),
            _ => None,
        });
        ApiDynoSize {
            name: raw.name,
            memory_gb: raw.memory.filter(|m| m.is_finite()).unwrap_or(0.0),
            compute: raw
                .compute
                .filter(|c| c.is_finite() && *c >= 0.0)
                .map_or(0, |c| c.round().min(f64::from(u32::MAX)) as u32),
            dedicated: raw.dedicated.unwrap_or(false),
            cost,
            generation: raw.generation.and_then(|g| match g {
                RawGeneration::Name(n) => Some(n),
                RawGeneration::Object { name } => name,
            }),
        }
    }
}

impl ApiDynoSize {
    /// This live entry as a catalog [`DynoSize`], for a size the built-in catalog does not know
    /// (a new name Heroku started selling). Memory comes from the API (GB → MiB). The API gives
    /// no vCPU count and no R15 factor: they are borrowed from the built-in size of the same
    /// generation, CPU kind and memory when there is one, otherwise assumed (shared sizes: the
    /// compute multiplier; dedicated: 1 vCPU per 4 GB, at least 1) and said so in the note.
    /// A monthly (or hourly) price in cents above 0 is the list price; `null`, 0 (Eco's pool)
    /// or an unknown unit is a contract price, to be given as an override.
    pub fn to_dyno_size(&self) -> DynoSize {
        let generation = match self.generation.as_deref() {
            Some(g) if g.eq_ignore_ascii_case("fir") => Generation::Fir,
            _ => Generation::Cedar,
        };
        let memory_mb = self.memory_gb * 1024.0;
        let twin = DynoSize::all().into_iter().find(|s| {
            s.generation == generation
                && matches!(s.cpu, Cpu::Dedicated(_)) == self.dedicated
                && (s.memory_mb - memory_mb).abs() <= memory_mb * 0.01
        });
        let mut notes = vec![format!(
            "from Heroku's live dyno-size list (GET /dyno-sizes): {} GB",
            self.memory_gb
        )];
        let (cpu, r15_factor) = match &twin {
            Some(t) => {
                notes.push(format!("CPU and R15 limit as the built-in {}", t.name));
                (t.cpu, t.r15_factor)
            }
            None if self.dedicated => {
                let vcpu = (self.memory_gb / 4.0).round().max(1.0);
                notes.push(format!(
                    "the API publishes no vCPU count: {vcpu} dedicated vCPU assumed (1 per 4 GB)"
                ));
                (Cpu::Dedicated(vcpu), None)
            }
            None => (Cpu::Shared(self.compute.max(1)), None),
        };
        let pricing = match self.cost.as_ref().and_then(ApiDynoCost::monthly_usd) {
            Some(usd) if usd > 0.0 => Pricing::PerDyno(usd),
            _ => {
                notes.push("no list price in the API: pass a price override".into());
                Pricing::Contract
            }
        };
        DynoSize {
            name: self.name.clone(),
            generation,
            memory_mb,
            cpu,
            r15_factor,
            pricing,
            note: Some(notes.join("; ")),
        }
    }
}

/// The kind of an app domain: `custom` (yours, with its own DNS target) or `heroku` (the
/// built-in `APP.herokuapp.com`); any other value the API may add is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum DomainKind {
    /// A domain you added (`heroku domains:add`).
    Custom,
    /// Heroku's own `*.herokuapp.com` name.
    Heroku,
    /// A kind this library does not know.
    Other(String),
}

impl From<String> for DomainKind {
    fn from(s: String) -> DomainKind {
        match s.trim().to_ascii_lowercase().as_str() {
            "custom" => DomainKind::Custom,
            "heroku" => DomainKind::Heroku,
            _ => DomainKind::Other(s),
        }
    }
}

impl From<DomainKind> for String {
    fn from(k: DomainKind) -> String {
        k.as_str().to_owned()
    }
}

impl DomainKind {
    /// `custom`, `heroku`, or the value as written.
    pub fn as_str(&self) -> &str {
        match self {
            DomainKind::Custom => "custom",
            DomainKind::Heroku => "heroku",
            DomainKind::Other(s) => s,
        }
    }
}

/// One entry of `GET /apps/{app}/domains`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HerokuDomain {
    /// The hostname, lowercase, without a trailing dot.
    pub hostname: String,
    /// `custom` or `heroku`. When the API leaves it out: `heroku` for `*.herokuapp.com`,
    /// otherwise `custom`.
    pub kind: DomainKind,
    /// The domain's own DNS target (`sushi-1a2b.herokudns.com`): what its CNAME must point at.
    /// `None` for the built-in domain.
    #[serde(default)]
    pub cname: Option<String>,
    /// Status of the domain's DNS (`pending`, `succeeded`, ...), as written.
    #[serde(default)]
    pub status: Option<String>,
    /// Automated Certificate Management status (`cert issued`, `pending`, `failing`, `failed`,
    /// ...), as written; `None` when ACM is off for the domain.
    #[serde(default)]
    pub acm_status: Option<String>,
    /// Why ACM is in that status, when Heroku says.
    #[serde(default)]
    pub acm_status_reason: Option<String>,
    /// The SNI endpoint (uploaded certificate) serving the domain: its name, or its id.
    #[serde(default)]
    pub sni_endpoint: Option<String>,
    /// Heroku's id of the domain.
    #[serde(default)]
    pub id: Option<String>,
}

impl HerokuDomain {
    /// Reads one domain object leniently: only `hostname` is required; unknown fields are
    /// ignored, and a field of an unexpected type counts as absent.
    pub fn from_value(v: &Value) -> Result<HerokuDomain> {
        let text = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let hostname = text("hostname")
            .map(|h| normalize_name(&h))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                Error::invalid_input(
                    "a domain entry has no hostname; expected {\"hostname\": ..., \"kind\": ..., \
                     \"cname\": ...}",
                )
            })?;
        let kind = match text("kind") {
            Some(k) => DomainKind::from(k),
            None if hostname.ends_with(".herokuapp.com") => DomainKind::Heroku,
            None => DomainKind::Custom,
        };
        let sni_endpoint = match v.get("sni_endpoint") {
            Some(Value::Object(o)) => ["name", "id"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .map(str::to_owned),
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        };
        Ok(HerokuDomain {
            hostname,
            kind,
            cname: text("cname").map(|c| normalize_name(&c)),
            status: text("status"),
            acm_status: text("acm_status"),
            acm_status_reason: text("acm_status_reason"),
            sni_endpoint,
            id: text("id"),
        })
    }

    /// Whether ACM reports an issued certificate (`cert issued`).
    pub fn certificate_issued(&self) -> bool {
        self.acm_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("cert issued"))
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
    max_rate_limit_wait: Duration,
}

/// A successful answer: its status (200, or 206 with more to come), `Next-Range`, and body.
struct Answer {
    status: StatusCode,
    next_range: Option<String>,
    body: Value,
}

/// One request's outcome short of a hard error.
enum Attempt {
    Done(Answer),
    /// HTTP 429: the error to report if waiting is not allowed, and Heroku's `Retry-After`.
    RateLimited {
        retry_after: Option<Duration>,
        error: Error,
    },
}

impl fmt::Debug for HerokuClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HerokuClient")
            .field("base_url", &self.base.as_str())
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
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
            max_rate_limit_wait: DEFAULT_MAX_RATE_LIMIT_WAIT,
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `GET /apps/{app}/formation` (every page), parsed into a [`Formation`]. `app` is a name
    /// or id; it is percent-encoded into the path.
    ///
    /// A dyno size the built-in catalog does not know (a name Heroku introduced after this
    /// release) is resolved through the live list, `GET /dyno-sizes`, fetched once and only
    /// then; see [`ApiDynoSize::to_dyno_size`].
    ///
    /// Errors: see the module docs; an empty app name is `invalid_input`, an unknown app
    /// `not_found`, a formation neither the catalog nor the live list can read `invalid_input`
    /// naming the entry.
    pub fn formation(&self, app: &str) -> impl Future<Output = Result<Formation>> + Send + 'static {
        let this = self.clone();
        let app = app.trim().to_owned();
        async move {
            check_app_name(&app)?;
            let items = this
                .get_list(&["apps", app.as_str(), "formation"], Some(&app))
                .await?;
            let value = Value::Array(items);
            let unknown = unknown_size_names(&value);
            if unknown.is_empty() {
                // Values from the body may be quoted in a parse error: scrub it too.
                return Formation::from_value(&value).map_err(|e| this.scrub(e));
            }
            tracing::info!(
                sizes = %unknown.join(", "),
                "dyno sizes unknown to the built-in catalog: asking Heroku's live list"
            );
            let live: Vec<DynoSize> = this
                .dyno_sizes()
                .await?
                .iter()
                .filter(|s| s.memory_gb > 0.0)
                .map(ApiDynoSize::to_dyno_size)
                .collect();
            Formation::from_value_with_sizes(&value, &live).map_err(|e| this.scrub(e))
        }
    }

    /// `GET /dyno-sizes` (every page): every dyno size Heroku offers this account, in the
    /// API's order.
    pub fn dyno_sizes(&self) -> impl Future<Output = Result<Vec<ApiDynoSize>>> + Send + 'static {
        let this = self.clone();
        async move {
            let items = this.get_list(&["dyno-sizes"], None).await?;
            let raw: Vec<RawDynoSize> =
                serde_json::from_value(Value::Array(items)).map_err(|e| {
                    this.scrub(Error::new(
                        ErrorKind::Unavailable,
                        format!(
                            "Heroku answered GET /dyno-sizes with JSON of an unexpected shape \
                             ({e}); expected an array of {{name, memory, compute, dedicated, \
                             cost, generation}}"
                        ),
                    ))
                })?;
            Ok(raw.into_iter().map(ApiDynoSize::from).collect())
        }
    }

    /// `GET /apps/{app}/domains` (every page): the app's domains, custom ones with their own
    /// DNS target (`cname`), and Heroku's built-in `APP.herokuapp.com`. Entries are read
    /// leniently (see [`HerokuDomain::from_value`]).
    ///
    /// Errors: as [`HerokuClient::formation`]; an entry without a hostname is `unavailable`
    /// (that is not the Platform API talking).
    pub fn domains(
        &self,
        app: &str,
    ) -> impl Future<Output = Result<Vec<HerokuDomain>>> + Send + 'static {
        let this = self.clone();
        let app = app.trim().to_owned();
        async move {
            check_app_name(&app)?;
            let items = this
                .get_list(&["apps", app.as_str(), "domains"], Some(&app))
                .await?;
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    HerokuDomain::from_value(v).map_err(|e| {
                        this.scrub(Error::new(
                            ErrorKind::Unavailable,
                            format!(
                                "Heroku answered GET /apps/{app}/domains with an entry of an \
                                 unexpected shape at [{i}]: {}",
                                e.message()
                            ),
                        ))
                    })
                })
                .collect()
        }
    }

    /// `GET /apps/{app}/config-vars`: the app's config vars, name → value. The values are
    /// secrets: they are never logged, and [`ConfigVars`](crate::manifests::ConfigVars)'s
    /// `Debug` shows the names only. A `null` value (a var being unset) is left out; numbers
    /// and booleans are kept as their text.
    ///
    /// Errors: as [`HerokuClient::formation`]; an answer that is not an object is
    /// `unavailable` (without quoting it: it could hold values).
    pub fn config_vars(
        &self,
        app: &str,
    ) -> impl Future<Output = Result<crate::manifests::ConfigVars>> + Send + 'static {
        let this = self.clone();
        let app = app.trim().to_owned();
        async move {
            check_app_name(&app)?;
            let url = this.url(&["apps", app.as_str(), "config-vars"]);
            let what = format!("GET {}", url.path());
            tracing::debug!(request = %what, "heroku platform api");
            let answer = this
                .fetch(&url, &what, Some(&app), None, None)
                .await
                .map_err(|e| this.scrub(e))?;
            let Value::Object(map) = answer.body else {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku answered {what} with JSON of an unexpected shape ({}, not an \
                         object of name -> value)",
                        crate::jsonerr::kind_of(&answer.body)
                    ),
                ));
            };
            let vars = map
                .into_iter()
                .filter_map(|(name, value)| match value {
                    Value::Null => None,
                    Value::String(s) => Some((name, s)),
                    other => Some((name, other.to_string())),
                })
                .collect();
            tracing::debug!(request = %what, "heroku platform api: ok (values not logged)");
            Ok(crate::manifests::ConfigVars(vars))
        }
    }

    /// `GET /apps/{app}/addons` (every page): the names of the config vars each add-on sets
    /// (`DATABASE_URL` for Heroku Postgres, ...), sorted, each once.
    ///
    /// Errors: as [`HerokuClient::formation`].
    pub fn addon_config_vars(
        &self,
        app: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let this = self.clone();
        let app = app.trim().to_owned();
        async move {
            check_app_name(&app)?;
            let items = this
                .get_list(&["apps", app.as_str(), "addons"], Some(&app))
                .await?;
            let mut names: Vec<String> = items
                .iter()
                .filter_map(|addon| addon.get("config_vars")?.as_array())
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            names.sort();
            names.dedup();
            Ok(names)
        }
    }

    /// `PATCH /apps/{app}/formation` (Heroku's formation batch update) with
    /// `{"updates": [{"type": process_type, "quantity": quantity}]}`: scales one process type
    /// to `quantity` dynos, keeping its size. Returns the quantity Heroku's answer gives for
    /// that process type (the answer lists the process types changed). Heroku starts the new
    /// dynos after answering; they take seconds to boot.
    ///
    /// Errors: as [`HerokuClient::formation`]; an empty process type is `invalid_input`; a
    /// quantity Heroku refuses (over the account's limit, a free-tier app) comes back with
    /// Heroku's own message.
    pub fn scale_formation(
        &self,
        app: &str,
        process_type: &str,
        quantity: u32,
    ) -> impl Future<Output = Result<u32>> + Send + 'static {
        let this = self.clone();
        let app = app.trim().to_owned();
        let process_type = process_type.trim().to_owned();
        async move {
            check_app_name(&app)?;
            if process_type.is_empty() {
                return Err(Error::invalid_input(
                    "name the process type to scale (e.g. web)",
                ));
            }
            let url = this.url(&["apps", app.as_str(), "formation"]);
            let what = format!("PATCH {}", url.path());
            let body = serde_json::json!({
                "updates": [{"type": process_type, "quantity": quantity}]
            });
            tracing::info!(request = %what, process_type = %process_type, quantity, "heroku platform api");
            let answer = this
                .fetch(&url, &what, Some(&app), None, Some(&body))
                .await
                .map_err(|e| this.scrub(e))?;
            answer
                .body
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p.get("type").and_then(Value::as_str) == Some(process_type.as_str()))
                .find_map(|p| p.get("quantity").and_then(Value::as_u64))
                .map(|q| u32::try_from(q).unwrap_or(u32::MAX))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Unavailable,
                        format!(
                            "Heroku answered {what} without the {process_type} process type's \
                             quantity; check the formation with `heroku ps -a {app}`"
                        ),
                    )
                })
        }
    }

    /// How long one call may spend waiting out rate limiting (HTTP 429) before it gives up
    /// with `throttled`; default 60 s, `Duration::ZERO` never waits.
    pub fn with_max_rate_limit_wait(mut self, wait: Duration) -> HerokuClient {
        self.max_rate_limit_wait = wait;
        self
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

    /// GETs a list under the base URL, following Heroku's paging: a `206 Partial Content`
    /// answer carries a `Next-Range` header, sent back as `Range` to get the next page, until
    /// an answer without one (normally a `200`). Every list is treated as pageable (Heroku's
    /// own CLI pages lists the schema does not mark as such). `app` names the app for a 404.
    async fn get_list(&self, segments: &[&str], app: Option<&str>) -> Result<Vec<Value>> {
        let url = self.url(segments);
        let what = format!("GET {}", url.path());
        tracing::debug!(request = %what, "heroku platform api");
        // Scrubbed before anything is logged or returned.
        let result = self
            .pages(&url, &what, app)
            .await
            .map_err(|e| self.scrub(e));
        match &result {
            Ok(items) => {
                tracing::debug!(request = %what, items = items.len(), "heroku platform api: ok")
            }
            Err(e) => {
                tracing::debug!(request = %what, kind = %e.kind(), error = %e, "heroku platform api: failed")
            }
        }
        result
    }

    async fn pages(&self, url: &Url, what: &str, app: Option<&str>) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut range: Option<String> = None;
        let mut ranges_seen = std::collections::HashSet::new();
        for page in 1..=MAX_PAGES {
            let answer = self.fetch(url, what, app, range.as_deref(), None).await?;
            match answer.body {
                Value::Array(list) => items.extend(list),
                other => {
                    return Err(Error::new(
                        ErrorKind::Unavailable,
                        format!(
                            "Heroku answered {what} with JSON of an unexpected shape ({}, not a \
                             list); is the base URL {} the Platform API?",
                            crate::jsonerr::kind_of(&other),
                            self.base
                        ),
                    ));
                }
            }
            let next = match (answer.status, answer.next_range) {
                (StatusCode::PARTIAL_CONTENT, Some(next)) => next,
                (StatusCode::PARTIAL_CONTENT, None) => {
                    tracing::warn!(
                        request = %what,
                        "Heroku answered 206 Partial Content without a Next-Range header: \
                         keeping the {} item(s) received",
                        items.len()
                    );
                    return Ok(items);
                }
                _ => return Ok(items),
            };
            if !ranges_seen.insert(next.clone()) {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku's paging of {what} went round in a circle (Next-Range {} came \
                         twice); try again later",
                        printable(&next, 120)
                    ),
                ));
            }
            tracing::debug!(request = %what, page, next_range = %printable(&next, 120), "heroku platform api: next page");
            range = Some(next);
        }
        Err(Error::new(
            ErrorKind::Unavailable,
            format!("Heroku's answer to {what} did not end after {MAX_PAGES} pages"),
        ))
    }

    /// One request, with rate limiting waited out: a 429 is retried after `Retry-After`
    /// seconds when Heroku gives them, otherwise after 1, 2, 4, ... s (the account's pool
    /// refills by about 75 calls a minute), as long as the total wait stays within
    /// `max_rate_limit_wait`; then it is `throttled`.
    async fn fetch(
        &self,
        url: &Url,
        what: &str,
        app: Option<&str>,
        range: Option<&str>,
        patch: Option<&Value>,
    ) -> Result<Answer> {
        let mut waited = Duration::ZERO;
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.fetch_once(url, what, app, range, patch).await? {
                Attempt::Done(answer) => return Ok(answer),
                Attempt::RateLimited { retry_after, error } => {
                    let wait = retry_after.unwrap_or(backoff);
                    if waited + wait > self.max_rate_limit_wait {
                        let waited_text = if waited.is_zero() {
                            String::new()
                        } else {
                            format!(" (after waiting {} s)", waited.as_secs())
                        };
                        return Err(Error::new(
                            error.kind(),
                            format!("{}{waited_text}", error.message()),
                        ));
                    }
                    tracing::warn!(
                        request = %what,
                        wait_seconds = wait.as_secs_f64(),
                        "Heroku rate-limited the request (HTTP 429): waiting before retrying"
                    );
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    if retry_after.is_none() {
                        backoff = backoff.saturating_mul(2);
                    }
                }
            }
        }
    }

    async fn fetch_once(
        &self,
        url: &Url,
        what: &str,
        app: Option<&str>,
        range: Option<&str>,
        patch: Option<&Value>,
    ) -> Result<Attempt> {
        let mut auth = HeaderValue::try_from(format!("Bearer {}", self.token.expose()))
            .map_err(|_| Error::invalid_input("the Heroku API token cannot be sent in a header"))?;
        auth.set_sensitive(true);
        let request = match patch {
            None => self.http.get(url.clone()),
            Some(body) => self.http.patch(url.clone()).json(body),
        };
        let mut request = request.header(header::AUTHORIZATION, auth);
        if let Some(range) = range {
            let value = HeaderValue::from_str(range).map_err(|_| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku's Next-Range for {what} cannot be sent back as a header: {}",
                        printable(range, 120)
                    ),
                )
            })?;
            request = request.header(header::RANGE, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(e, what))?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(left) = headers
            .get("ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
        {
            tracing::trace!(request = %what, remaining = %printable(left, 16), "heroku rate limit");
        }
        if status.is_success() {
            let body = self.read_body(response, what).await?;
            let body = serde_json::from_slice(&body).map_err(|e| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Heroku answered {what} with a body that is not JSON ({e}); is the base \
                         URL {} the Platform API?",
                        self.base
                    ),
                )
            })?;
            let next_range = headers
                .get("next-range")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned);
            return Ok(Attempt::Done(Answer {
                status,
                next_range,
                body,
            }));
        }
        // The error body is only used for Heroku's own message ({"id": ..., "message": ...}).
        let body = self.read_body(response, what).await.unwrap_or_default();
        let error = self.status_error(status, &headers, &body, what, app);
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Ok(Attempt::RateLimited {
                retry_after: retry_after_seconds(&headers).map(Duration::from_secs),
                error,
            });
        }
        Err(error)
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
                    .map(|v| match retry_after_seconds(headers) {
                        Some(secs) => format!(" Heroku asks to wait {secs} s before retrying."),
                        None => format!(" Heroku asks to retry after {}.", printable(v, 64)),
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
        let mut clean = Error::new(e.kind(), crate::redact::redact(e.message(), &[secret]));
        if let Some(at) = e.context() {
            clean = clean.at(crate::redact::redact(at, &[secret]));
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

/// `Retry-After` in whole seconds, when given as a number (an HTTP date is not used).
fn retry_after_seconds(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
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
    fn live_sizes_parse_leniently_and_become_catalog_sizes() {
        let raw: Vec<RawDynoSize> = serde_json::from_str(
            r#"[{"name": "Private-L-RAM", "memory": 30, "compute": 24, "dedicated": true,
                 "cost": {"cents": null, "unit": null}, "generation": {"id": "x", "name": "cedar"}},
                {"name": "Standard-9X", "memory": 4.5, "compute": 9.4, "dedicated": false,
                 "cost": {"cents": 9000, "unit": "monthly"}, "generation": "cedar"},
                {"name": "Performance-9XL", "memory": 500, "dedicated": true, "cost": null},
                {"name": "Hourly-1X", "memory": 1, "compute": 1, "dedicated": false,
                 "cost": {"cents": 5, "unit": "hour"}},
                {"name": "dyno-4c-8gb", "memory": 8, "compute": 4, "dedicated": true,
                 "cost": {"cents": 0, "unit": "month"}, "generation": {"name": "fir"}}]"#,
        )
        .unwrap();
        let sizes: Vec<ApiDynoSize> = raw.into_iter().map(ApiDynoSize::from).collect();
        assert_eq!(sizes[0].cost, None);
        assert_eq!(sizes[1].compute, 9);
        assert_eq!(sizes[1].cost.as_ref().unwrap().monthly_usd(), Some(90.0));
        assert_eq!((sizes[2].compute, sizes[2].cost.as_ref()), (0, None));
        assert_eq!(sizes[3].cost.as_ref().unwrap().monthly_usd(), Some(36.0));
        assert_eq!(sizes[4].generation.as_deref(), Some("fir"));

        // a known memory twin lends its CPU and R15 factor
        let lram = sizes[0].to_dyno_size();
        assert_eq!((lram.memory_mb, lram.cpu), (30720.0, Cpu::Dedicated(4.0)));
        assert_eq!(lram.pricing, Pricing::Contract);
        assert!(lram.r15_factor.is_some());
        let shared = sizes[1].to_dyno_size();
        assert_eq!(shared.cpu, Cpu::Shared(9));
        assert_eq!(shared.pricing, Pricing::PerDyno(90.0));
        assert_eq!(shared.r15_factor, None);
        let big = sizes[2].to_dyno_size();
        assert_eq!(big.cpu, Cpu::Dedicated(125.0));
        assert!(big.note.as_deref().unwrap().contains("assumed"), "{big:?}");
        let fir = sizes[4].to_dyno_size();
        assert_eq!(fir.generation, Generation::Fir);
        assert_eq!(fir.pricing, Pricing::Contract, "0 cents is not a price");
    }

    #[test]
    fn domains_are_read_leniently() {
        let d = HerokuDomain::from_value(&serde_json::json!({
            "hostname": "WWW.Shop.Example.Test.", "cname": "Sushi-1a2b.herokudns.com.",
            "sni_endpoint": "tyrannosaurus-39112", "acm_status": 3, "new_field": [1]
        }))
        .unwrap();
        assert_eq!(d.hostname, "www.shop.example.test");
        assert_eq!(d.kind, DomainKind::Custom);
        assert_eq!(d.cname.as_deref(), Some("sushi-1a2b.herokudns.com"));
        assert_eq!(d.sni_endpoint.as_deref(), Some("tyrannosaurus-39112"));
        assert_eq!(
            d.acm_status, None,
            "a field of the wrong type counts as absent"
        );
        let h = HerokuDomain::from_value(&serde_json::json!({"hostname": "app.herokuapp.com"}))
            .unwrap();
        assert_eq!(h.kind, DomainKind::Heroku);
        let other =
            HerokuDomain::from_value(&serde_json::json!({"hostname": "x.test", "kind": "Fancy"}))
                .unwrap();
        assert_eq!(other.kind, DomainKind::Other("Fancy".into()));
        assert_eq!(serde_json::to_value(&other.kind).unwrap(), "Fancy");
        assert_eq!(
            serde_json::to_value(DomainKind::Custom).unwrap(),
            serde_json::json!("custom")
        );
        assert!(HerokuDomain::from_value(&serde_json::json!({"hostname": " "})).is_err());
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

//! A Heroku HTTPS log-drain endpoint that sizes as it listens (`dynoshift drain serve`).
//!
//! Logplex POSTs batches of octet-counted RFC 5424 frames (`Content-Type:
//! application/logplex-1`) to `/drain` (or `/drain/APP`); each batch is fed to the app's
//! [`Ingest`](crate::telemetry::Ingest) — the same parser as `dynoshift ingest` — and answered
//! 2xx only once it is durable in the state directory (see [`store`]): a receiver killed at any
//! moment and restarted has every acknowledged batch, each counted once (a batch Logplex sends
//! again carries the same `Logplex-Frame-Id` and is not counted again).
//!
//! Fir apps send OpenTelemetry instead of log lines: `POST /v1/metrics` (or
//! `/otlp/APP/v1/metrics`) takes OTLP/HTTP metrics exports (protobuf or JSON, gzip or not),
//! mapped onto the same profiles by a [`MetricMap`] (see [`crate::telemetry::otlp`]) and kept
//! the same way: logged and synced before the 200, replayed after a restart. OTLP has no frame
//! id, so an export's identity is the SHA-256 of its canonical protobuf encoding: an exporter's
//! retry of the same export is not counted again (within the last [`store::RECENT_FRAME_IDS`]
//! ids of the app), and a cumulative point at or before the last one of its series adds
//! nothing in any case.
//!
//! `GET /profiles/APP` is the app's profile JSON (what `dynoshift ingest --json` prints),
//! `GET /profiles` all apps' under `{"apps": {...}}`, `GET /metrics` Prometheus text and
//! `GET /healthz` a liveness answer. With credentials set, every route but `/healthz` needs
//! them (HTTP basic auth: 401 without, 403 wrong, compared in constant time).
//!
//! The server runs on the caller's tokio runtime (the library starts none): [`DrainServer::start`]
//! binds, loads the state and spawns; [`DrainServer::stop`] stops accepting, lets requests in
//! flight finish and writes a checkpoint.

mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::error::{Error, ErrorKind, Result};
use crate::telemetry::Profiles;
use crate::telemetry::otlp::{self, MetricMap};
use store::{Accepted, Batch, Kind, Store};

/// The default largest body accepted (Logplex's batches are far smaller).
pub const DEFAULT_MAX_BODY: usize = 4 << 20;
/// The default number of batches between checkpoints (the batch log holds those in between).
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 1000;
/// How long a client may take to finish its TLS handshake or send a request's headers.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Frame ids remembered per app to recognise a retried batch (see [`DrainOptions::dedupe_window`]).
pub const DEFAULT_DEDUPE_WINDOW: usize = store::RECENT_FRAME_IDS;
/// The app key used when a POST names none (no path segment, no `Logplex-Drain-Token`).
pub const DEFAULT_APP: &str = "default";

/// Basic-auth credentials. Only a digest of `user:password` is kept; `Debug` shows the user.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    digest: [u8; 32],
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Parses `user:password` (the form `heroku drains:add https://user:password@host/drain`
    /// uses). No colon or an empty user or password is `invalid_input`.
    pub fn parse(text: &str) -> Result<Credentials> {
        let text = text.trim_end_matches(['\n', '\r']);
        match text.split_once(':') {
            Some((user, password)) if !user.is_empty() && !password.is_empty() => Ok(Credentials {
                user: user.to_owned(),
                digest: Sha256::digest(text.as_bytes()).into(),
            }),
            _ => Err(Error::invalid_input(
                "drain credentials must be user:password, both non-empty (the same pair as in \
                 the drain URL https://user:password@host/drain)",
            )),
        }
    }

    /// Whether `Authorization: Basic ...` carries these credentials, compared in constant time
    /// (the digests of both, byte by byte, without an early exit).
    fn matches(&self, authorization: &[u8]) -> bool {
        let Some(b64) = authorization
            .strip_prefix(b"Basic ")
            .or_else(|| authorization.strip_prefix(b"basic "))
        else {
            return false;
        };
        let given = base64_decode(b64.trim_ascii()).unwrap_or_default();
        let d: [u8; 32] = Sha256::digest(&given).into();
        d.iter()
            .zip(self.digest)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in s {
        acc = acc << 6 | u32::from(val(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A PEM certificate chain and private key to serve HTTPS with (rustls).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, PEM.
    pub cert: PathBuf,
    /// The private key, PEM.
    pub key: PathBuf,
}

/// How to run the receiver.
#[derive(Debug, Clone)]
pub struct DrainOptions {
    /// Where to listen (`0.0.0.0:8080`; port 0 picks a free one, see [`DrainServer::addr`]).
    pub listen: SocketAddr,
    /// The state directory (batch log and checkpoint); created if missing.
    pub state_dir: PathBuf,
    /// Basic-auth credentials required on every route but `/healthz`.
    pub auth: Option<Credentials>,
    /// Serve HTTPS with this certificate (otherwise plain HTTP, e.g. behind a TLS proxy).
    pub tls: Option<TlsFiles>,
    /// The largest body accepted; larger ones get 413.
    pub max_body: usize,
    /// Batches between checkpoints.
    pub checkpoint_every: u64,
    /// How OTLP metrics map onto the profiles (the semantic conventions' names by default).
    pub otlp_map: Arc<MetricMap>,
    /// The dedupe window: how many of an app's last frame ids are remembered (as 16-byte
    /// digests, about 40 bytes each) to recognise a batch sent again. A retry older than that
    /// many batches of its app would be counted again. [`DEFAULT_DEDUPE_WINDOW`] by default.
    pub dedupe_window: usize,
}

impl DrainOptions {
    /// Options with the defaults: no auth, plain HTTP, [`DEFAULT_MAX_BODY`],
    /// [`DEFAULT_CHECKPOINT_EVERY`].
    pub fn new(listen: SocketAddr, state_dir: impl Into<PathBuf>) -> DrainOptions {
        DrainOptions {
            listen,
            state_dir: state_dir.into(),
            auth: None,
            tls: None,
            max_body: DEFAULT_MAX_BODY,
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            otlp_map: Arc::default(),
            dedupe_window: DEFAULT_DEDUPE_WINDOW,
        }
    }
}

/// The options as the front ends take them (CLI flags, Python and Node arguments), checked:
/// `listen` as `HOST:PORT`, `auth` as `user:password`, the TLS files both or neither, a
/// positive `max_body` and `checkpoint_every`. Anything else is `invalid_input`.
#[allow(clippy::too_many_arguments)]
pub fn options_from_args(
    listen: &str,
    state_dir: impl Into<PathBuf>,
    auth: Option<&str>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_body: Option<u64>,
    checkpoint_every: Option<u64>,
) -> Result<DrainOptions> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Error::invalid_input(format!(
            "listen address {listen:?} is not HOST:PORT with an IP host (e.g. 0.0.0.0:8080, \
             127.0.0.1:0, [::]:8443)"
        ))
    })?;
    let mut options = DrainOptions::new(addr, state_dir);
    options.auth = auth.map(Credentials::parse).transpose()?;
    options.tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => {
            return Err(Error::invalid_input(
                "HTTPS needs both a certificate chain and its key (tls_cert and tls_key)",
            ));
        }
    };
    if let Some(n) = max_body {
        options.max_body = usize::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| Error::invalid_input("max_body must be a positive number of bytes"))?;
    }
    if let Some(n) = checkpoint_every {
        if n == 0 {
            return Err(Error::invalid_input(
                "checkpoint_every must be at least 1 batch",
            ));
        }
        options.checkpoint_every = n;
    }
    Ok(options)
}

/// Counters of refused requests (not per app: a refused request names no trusted app).
#[derive(Debug, Default)]
struct Refused {
    unauthorized: u64,
    forbidden: u64,
    too_large: u64,
    bad_request: u64,
    failed: u64,
}

/// Batches for the store thread, and where its answer goes: `Ok` once they are durable and
/// parsed, or why they were not stored.
struct Job {
    batches: Vec<Batch>,
    reply: store::Reply,
}

struct Shared {
    store: Arc<Mutex<Store>>,
    /// To the one thread that appends and parses every batch (see [`store_thread`]).
    jobs: std::sync::mpsc::Sender<Job>,
    otlp_map: Arc<MetricMap>,
    max_body: usize,
    refused: Mutex<Refused>,
    auth: Option<Credentials>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running receiver. Dropping it without [`DrainServer::stop`] stops accepting too, but
/// skips the final checkpoint (nothing is lost: the next start replays the batch log).
pub struct DrainServer {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for DrainServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrainServer")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Drop for DrainServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl DrainServer {
    /// Binds `options.listen`, loads the state directory (checkpoint, then the batch log after
    /// it) and starts serving on the current tokio runtime. A port in use is `unavailable`; a
    /// damaged checkpoint or unreadable TLS files are `invalid_input`.
    pub async fn start(options: DrainOptions) -> Result<DrainServer> {
        let tls = match &options.tls {
            Some(files) => Some(tls_acceptor(files)?),
            None => None,
        };
        let dir = options.state_dir.clone();
        let every = options.checkpoint_every;
        let map = options.otlp_map.clone();
        let window = options.dedupe_window;
        let store = tokio::task::spawn_blocking(move || Store::open(&dir, every, window, map))
            .await
            .map_err(|e| Error::internal(format!("loading the drain state stopped: {e}")))??;
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "cannot listen on {}: {e}; pick another --listen address or port",
                        options.listen
                    ),
                )
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::internal(format!("the drain socket has no address: {e}")))?;
        store.durability.spawn_syncers()?;
        let store = Arc::new(Mutex::new(store));
        let (jobs, queue) = std::sync::mpsc::channel();
        let for_thread = store.clone();
        std::thread::Builder::new()
            .name("dynoshift-drain-store".into())
            .spawn(move || store_thread(&for_thread, &queue))
            .map_err(|e| Error::internal(format!("cannot start the drain store thread: {e}")))?;
        let shared = Arc::new(Shared {
            store,
            jobs,
            otlp_map: options.otlp_map.clone(),
            max_body: options.max_body,
            refused: Mutex::new(Refused::default()),
            auth: options.auth.clone(),
        });
        let app = router(shared.clone(), options.max_body);
        let (stop, stopped) = watch::channel(false);
        let is_tls = tls.is_some();
        let task = tokio::spawn(accept_loop(listener, app, tls, stopped, shared.clone()));
        tracing::info!(%addr, tls = is_tls, "drain: listening");
        Ok(DrainServer {
            addr,
            tls: is_tls,
            shared,
            stop,
            task: Mutex::new(Some(task)),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The drain URL to give `heroku drains:add` (without credentials).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/drain", self.addr)
    }

    /// The profiles of every app so far, by app key.
    pub fn profiles(&self) -> BTreeMap<String, Profiles> {
        let store = lock(&self.shared.store);
        store
            .apps
            .iter()
            .map(|(k, a)| (k.clone(), a.profiles()))
            .collect()
    }

    /// Stops accepting connections, lets the requests in flight finish, and writes a final
    /// checkpoint. Calling it again does nothing.
    pub fn stop(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let _ = self.stop.send(true);
        let task = lock(&self.task).take();
        let shared = self.shared.clone();
        async move {
            let Some(task) = task else { return Ok(()) };
            task.await
                .map_err(|e| Error::internal(format!("the drain server stopped badly: {e}")))?;
            tokio::task::spawn_blocking(move || lock(&shared.store).close())
                .await
                .map_err(|e| Error::internal(format!("the final checkpoint stopped: {e}")))?
        }
    }
}

fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        Error::invalid_input(format!(
            "cannot read the TLS {what} {}: {e}; give PEM files (--tls-cert chain, --tls-key key)",
            path.display()
        ))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad("certificate", &files.cert, &e))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad("certificate", &files.cert, &e))?;
    if certs.is_empty() {
        return Err(bad("certificate", &files.cert, &"no CERTIFICATE block"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad("key", &files.key, &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| bad("certificate and key", &files.cert, &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
    _shared: Arc<Shared>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (tcp, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "drain: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = until_stopped(&mut stopped) => break,
        };
        let _ = tcp.set_nodelay(true);
        let (app, tls, stopped) = (app.clone(), tls.clone(), stopped.clone());
        conns.spawn(async move {
            match tls {
                Some(acceptor) => {
                    let mut waiting = stopped.clone();
                    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
                    let stream = tokio::select! {
                        r = handshake => r.ok().and_then(std::result::Result::ok),
                        () = until_stopped(&mut waiting) => None,
                    };
                    if let Some(stream) = stream {
                        serve_conn(stream, app, stopped).await;
                    }
                }
                None => serve_conn(tcp, app, stopped).await,
            }
        });
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

/// Resolves once a stop is asked for (or the server handle is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

async fn serve_conn<S>(io: S, app: Router, mut stopped: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper_util::service::TowerToHyperService::new(app);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .serve_connection(hyper_util::rt::TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = until_stopped(&mut stopped) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn router(shared: Arc<Shared>, max_body: usize) -> Router {
    Router::new()
        .route("/drain", post(drain_default))
        .route("/drain/{app}", post(drain_app))
        .route("/v1/metrics", post(otlp_default))
        .route("/otlp/{app}/v1/metrics", post(otlp_app))
        .route("/profiles", get(all_profiles))
        .route("/profiles/{app}", get(app_profiles))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(shared.clone(), auth))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(shared)
}

fn refuse(shared: &Shared, status: StatusCode, message: &str) -> Response {
    {
        let mut r = lock(&shared.refused);
        match status {
            StatusCode::UNAUTHORIZED => r.unauthorized += 1,
            StatusCode::FORBIDDEN => r.forbidden += 1,
            StatusCode::PAYLOAD_TOO_LARGE => r.too_large += 1,
            s if s.is_client_error() => r.bad_request += 1,
            _ => r.failed += 1,
        }
    }
    (status, format!("{message}\n")).into_response()
}

async fn auth(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(creds) = &shared.auth else {
        return next.run(req).await;
    };
    match req.headers().get(header::AUTHORIZATION) {
        None => {
            let mut r = refuse(
                &shared,
                StatusCode::UNAUTHORIZED,
                "credentials required: add them to the drain URL (https://user:password@host/drain)",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"dynoshift drain\""),
            );
            r
        }
        Some(v) if creds.matches(v.as_bytes()) => next.run(req).await,
        Some(_) => refuse(&shared, StatusCode::FORBIDDEN, "wrong credentials"),
    }
}

/// Whether an app key is safe to use as a JSON key, a Prometheus label and in messages.
fn valid_key(k: &str) -> bool {
    (1..=128).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// Whether a body looks like logplex framing: after any leading whitespace, an octet count, a
/// space and a `<PRI>`. Anything else is refused whole (the frames inside are then parsed by
/// the ingest, which counts what it cannot read).
fn looks_like_logplex(body: &[u8]) -> bool {
    let s = body.trim_ascii_start();
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=10).contains(&digits) && s.get(digits) == Some(&b' ') && s.get(digits + 1) == Some(&b'<')
}

async fn drain_default(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: BodyResult,
) -> Response {
    let key = headers
        .get("logplex-drain-token")
        .and_then(|v| v.to_str().ok())
        .map_or(DEFAULT_APP.to_owned(), str::to_owned);
    receive(shared, key, headers, body).await
}

async fn drain_app(
    State(shared): State<Arc<Shared>>,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: BodyResult,
) -> Response {
    receive(shared, app, headers, body).await
}

type BodyResult = std::result::Result<Bytes, axum::extract::rejection::BytesRejection>;

/// The body, or the refusal to answer with (413 past `--max-body`, saying `too_large`).
fn body_or_refusal(
    shared: &Shared,
    body: BodyResult,
    too_large: &str,
) -> std::result::Result<Bytes, Box<Response>> {
    match body {
        Ok(b) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Box::new(refuse(
            shared,
            StatusCode::PAYLOAD_TOO_LARGE,
            too_large,
        ))),
        Err(e) => Err(Box::new(refuse(
            shared,
            StatusCode::BAD_REQUEST,
            &e.body_text(),
        ))),
    }
}

async fn receive(
    shared: Arc<Shared>,
    app: String,
    headers: HeaderMap,
    body: BodyResult,
) -> Response {
    let body = match body_or_refusal(
        &shared,
        body,
        "batch larger than --max-body; raise it if Logplex really sends such batches",
    ) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        let base = ct.split(';').next().unwrap_or("").trim();
        if !base.eq_ignore_ascii_case("application/logplex-1") {
            return refuse(
                &shared,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "a log drain POSTs Content-Type: application/logplex-1",
            );
        }
    }
    if !valid_key(&app) {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            "the app key (path segment or Logplex-Drain-Token) must be 1-128 of A-Z a-z 0-9 . _ - :",
        );
    }
    if !looks_like_logplex(&body) {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            "the body is not logplex framing (LEN <PRI>1 TIMESTAMP HOST APP PROC - MSG)",
        );
    }
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let batch = Batch {
        kind: Kind::Logplex,
        app,
        frame_id: text("logplex-frame-id"),
        msg_count: text("logplex-msg-count").and_then(|s| s.parse().ok()),
        body,
    };
    match store_durably(&shared, vec![batch]).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}

/// The most jobs the store thread takes at once (one group: written, handed to the syncers,
/// then parsed).
const GROUP_JOBS: usize = 64;

/// Appends and parses every batch on one thread. Writes come first: it takes every job
/// waiting (up to [`GROUP_JOBS`]), appends their batches and hands them to the syncers (see
/// [`store::Durability`]), then parses one logged batch and looks for new jobs again, so a
/// batch that arrives while others are parsed starts its sync at once; it waits for jobs only
/// when nothing is left to parse. Each request is answered once its batches are both durable
/// and parsed (so a `GET /profiles` after a 2xx sees the batch). One thread also keeps the
/// parse's allocations in one malloc arena, so memory does not creep as it would spread over
/// the runtime's blocking threads (each of which gets its own arena). Ends when the server is
/// gone (every sender dropped) and what was logged is parsed, and the syncers with it.
fn store_thread(store: &Mutex<Store>, queue: &std::sync::mpsc::Receiver<Job>) {
    use std::sync::mpsc::TryRecvError;
    let durability = lock(store).durability.clone();
    let mut group = Vec::with_capacity(GROUP_JOBS);
    let mut logged = std::collections::VecDeque::new();
    let mut open = true;
    while open || !logged.is_empty() {
        if logged.is_empty() {
            match queue.recv() {
                Ok(job) => group.push(job),
                Err(_) => open = false,
            }
        }
        while open && group.len() < GROUP_JOBS {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => open = false,
            }
        }
        let mut store = lock(store);
        for Job { batches, reply } in group.drain(..) {
            // A panic (a bug) fails this request with a 5xx and leaves the thread serving.
            let appended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut last = 0;
                for batch in batches {
                    let (accepted, seq) = store.append(&batch)?;
                    if accepted == Accepted::New {
                        logged.push_back((seq, batch));
                    }
                    last = seq;
                }
                Ok(last)
            }))
            .unwrap_or_else(|_| Err(Error::internal("storing a batch panicked")));
            match appended {
                Ok(seq) => durability.enqueue(seq, reply),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        }
        let parsed = match logged.pop_front() {
            Some((seq, batch)) => {
                // Logged already: a panic here (a bug) loses this batch's counts until the
                // next start replays it, and is reported.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.parse(&batch)))
                    .is_err()
                {
                    tracing::error!(app = %batch.app, "drain: parsing a logged batch panicked");
                }
                seq
            }
            None => store.seq(),
        };
        store.parsed(parsed);
        drop(store);
        durability.release();
    }
    durability.stop();
}

/// Accepts batches and returns once all are durable and parsed (a duplicate waits for the
/// batches appended before it); the error is the response to send (5xx: the sender tries
/// again).
async fn store_durably(
    shared: &Arc<Shared>,
    batches: Vec<Batch>,
) -> std::result::Result<(), Response> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sent = shared.jobs.send(Job { batches, reply });
    let done = match (sent, answer.await) {
        (Ok(()), Ok(r)) => r,
        _ => Err(Error::internal("the drain store thread stopped")),
    };
    match done {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "drain: a batch could not be made durable");
            Err(refuse(
                shared,
                StatusCode::SERVICE_UNAVAILABLE,
                "the batch could not be stored; it will be sent again",
            ))
        }
    }
}

async fn otlp_default(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: BodyResult,
) -> Response {
    receive_otlp(shared, None, headers, body).await
}

async fn otlp_app(
    State(shared): State<Arc<Shared>>,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: BodyResult,
) -> Response {
    receive_otlp(shared, Some(app), headers, body).await
}

/// How much an OTLP body may inflate to, in multiples of `--max-body`.
const OTLP_INFLATE_FACTOR: usize = 16;

/// `POST /v1/metrics`: an OTLP/HTTP metrics export, split by app, each part logged (its
/// dedupe key the SHA-256 of its canonical protobuf) and answered 200 once durable.
async fn receive_otlp(
    shared: Arc<Shared>,
    app: Option<String>,
    headers: HeaderMap,
    body: BodyResult,
) -> Response {
    let body = match body_or_refusal(
        &shared,
        body,
        "export larger than --max-body; lower the exporter's batch size or raise it",
    ) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| {
                s.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    };
    let (encoding, reply_type) = match header(header::CONTENT_TYPE).as_str() {
        "application/x-protobuf" | "application/protobuf" => {
            (otlp::Encoding::Protobuf, "application/x-protobuf")
        }
        "application/json" => (otlp::Encoding::Json, "application/json"),
        _ => {
            return refuse(
                &shared,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "OTLP/HTTP metrics are Content-Type application/x-protobuf or application/json",
            );
        }
    };
    let gzip = match header(header::CONTENT_ENCODING).as_str() {
        "" | "identity" => false,
        "gzip" => true,
        _ => {
            return refuse(
                &shared,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Encoding must be gzip or none",
            );
        }
    };
    if app.as_deref().is_some_and(|a| !valid_key(a)) {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            "the app key (path segment) must be 1-128 of A-Z a-z 0-9 . _ - :",
        );
    }
    let limit = shared.max_body.saturating_mul(OTLP_INFLATE_FACTOR);
    let s = shared.clone();
    let parts = tokio::task::spawn_blocking(move || {
        let req = otlp::decode_request(&body, encoding, gzip, limit)?;
        let parts = otlp::split_by_app(req, app.as_deref(), &s.otlp_map, DEFAULT_APP);
        Ok::<_, otlp::DecodeError>(
            parts
                .into_iter()
                .map(|(app, part)| {
                    let body = otlp::encode_request(&part);
                    let id = format!("otlp:{}", hex::encode(Sha256::digest(&body)));
                    Batch {
                        kind: Kind::Otlp,
                        app,
                        frame_id: Some(id),
                        msg_count: None,
                        body: body.into(),
                    }
                })
                .collect::<Vec<_>>(),
        )
    })
    .await;
    let batches = match parts {
        Ok(Ok(b)) => b,
        Ok(Err(otlp::DecodeError::TooLarge)) => {
            return refuse(
                &shared,
                StatusCode::PAYLOAD_TOO_LARGE,
                "the export inflates past 16 x --max-body",
            );
        }
        Ok(Err(otlp::DecodeError::Invalid(msg))) => {
            return refuse(&shared, StatusCode::BAD_REQUEST, &msg);
        }
        Err(_) => return refuse(&shared, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    if let Err(r) = store_durably(&shared, batches).await {
        return r;
    }
    // An empty ExportMetricsServiceResponse: no bytes in protobuf, `{}` in JSON.
    let reply = if encoding == otlp::Encoding::Json {
        "{}"
    } else {
        ""
    };
    ([(header::CONTENT_TYPE, reply_type)], reply).into_response()
}

fn json_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn all_profiles(State(shared): State<Arc<Shared>>) -> Response {
    let s = shared.clone();
    let text = tokio::task::spawn_blocking(move || {
        let store = lock(&s.store);
        let apps: BTreeMap<&str, Profiles> = store
            .apps
            .iter()
            .map(|(k, a)| (k.as_str(), a.profiles()))
            .collect();
        serde_json::json!({ "apps": apps }).to_string()
    })
    .await;
    match text {
        Ok(t) => json_response(t),
        Err(_) => refuse(&shared, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

async fn app_profiles(State(shared): State<Arc<Shared>>, Path(app): Path<String>) -> Response {
    let s = shared.clone();
    let text = tokio::task::spawn_blocking(move || {
        let store = lock(&s.store);
        store.apps.get(&app).map(|a| a.profiles().to_json())
    })
    .await;
    match text {
        Ok(Some(t)) => json_response(t),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "no batch received for this app yet\n",
        )
            .into_response(),
        Err(_) => refuse(&shared, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let text = metrics_text(&shared);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

fn metrics_text(shared: &Shared) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let store = lock(&shared.store);
    type Pick = fn(&store::App) -> f64;
    let series: [(&str, &str, &str, Pick); 11] = [
        (
            "dynoshift_drain_batches_total",
            "counter",
            "Batches accepted (each once).",
            |a| a.batches as f64,
        ),
        (
            "dynoshift_drain_frames_total",
            "counter",
            "Records (frames) parsed from accepted batches.",
            |a| a.ingest.lines().records as f64,
        ),
        (
            "dynoshift_drain_bytes_total",
            "counter",
            "Body bytes of accepted batches.",
            |a| a.ingest.lines().bytes as f64,
        ),
        (
            "dynoshift_drain_telemetry_total",
            "counter",
            "Records used as telemetry.",
            |a| a.ingest.lines().telemetry as f64,
        ),
        (
            "dynoshift_drain_unparsed_total",
            "counter",
            "Records that could not be parsed.",
            |a| a.ingest.lines().unparsed as f64,
        ),
        (
            "dynoshift_drain_count_mismatches_total",
            "counter",
            "Batches whose Logplex-Msg-Count differed from the frames found.",
            |a| a.count_mismatches as f64,
        ),
        (
            "dynoshift_drain_duplicate_batches_total",
            "counter",
            "Batches received again (same Logplex-Frame-Id) and not counted.",
            |a| a.duplicates as f64,
        ),
        (
            "dynoshift_drain_last_frame_timestamp_seconds",
            "gauge",
            "Latest timestamp of a parsed frame.",
            |a| a.ingest.span_ms().map_or(0.0, |(_, e)| e as f64 / 1000.0),
        ),
        (
            "dynoshift_drain_otlp_exports_total",
            "counter",
            "OTLP metrics exports accepted (each once).",
            |a| a.otlp_exports as f64,
        ),
        (
            "dynoshift_drain_otlp_points_total",
            "counter",
            "OTLP data points that fed a profile series.",
            |a| a.otlp_points as f64,
        ),
        (
            "dynoshift_drain_otlp_ignored_points_total",
            "counter",
            "OTLP data points not used (unmapped, unsupported, a cumulative baseline or resent).",
            |a| a.otlp_ignored as f64,
        ),
    ];
    for (name, kind, help, pick) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (key, app) in &store.apps {
            let _ = writeln!(out, "{name}{{app=\"{key}\"}} {}", pick(app));
        }
    }
    let d = &store.durability;
    for (name, help, n) in [
        (
            "dynoshift_drain_log_syncs_total",
            "fdatasyncs of the batch log (one makes every batch appended before it durable).",
            d.syncs.load(std::sync::atomic::Ordering::Relaxed),
        ),
        (
            "dynoshift_drain_log_synced_batches_total",
            "Batches made durable by those syncs (divided by the syncs: the mean group commit).",
            d.synced_batches.load(std::sync::atomic::Ordering::Relaxed),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {n}"
        );
    }
    drop(store);
    let r = lock(&shared.refused);
    let _ = writeln!(
        out,
        "# HELP dynoshift_drain_refused_total Requests refused, by reason.\n# TYPE dynoshift_drain_refused_total counter"
    );
    for (reason, n) in [
        ("unauthorized", r.unauthorized),
        ("forbidden", r.forbidden),
        ("too_large", r.too_large),
        ("bad_request", r.bad_request),
        ("failed", r.failed),
    ] {
        let _ = writeln!(
            out,
            "dynoshift_drain_refused_total{{reason=\"{reason}\"}} {n}"
        );
    }
    out
}

/// Reads saved profiles: the JSON `dynoshift ingest --json` prints (and `GET /profiles/APP`
/// serves), or the `{"apps": {...}}` of `GET /profiles` when it holds exactly one app.
pub fn profiles_from_json(text: &str) -> Result<Profiles> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid_input(format!(
            "the saved profiles are not JSON ({e}); give the output of `dynoshift ingest --json` \
             or of the receiver's GET /profiles/APP"
        ))
    })?;
    let value = match value.get("apps").and_then(serde_json::Value::as_object) {
        Some(apps) if apps.len() == 1 => apps.values().next().cloned().unwrap_or_default(),
        Some(apps) => {
            let keys: Vec<&str> = apps.keys().map(String::as_str).collect();
            return Err(Error::invalid_input(format!(
                "these saved profiles hold {} apps ({}); fetch one app's from GET /profiles/APP",
                keys.len(),
                keys.join(", ")
            )));
        }
        None => value,
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        Error::invalid_input(format!(
            "the saved profiles do not read at {}: {}; give the output of `dynoshift ingest \
             --json` or of GET /profiles/APP",
            e.path(),
            e.inner()
        ))
    })
}

/// Fetches saved profiles from a receiver (`http(s)://[user:password@]host/profiles/APP`;
/// credentials in the URL are sent as basic auth and never shown in errors).
pub async fn fetch_profiles(url: &str) -> Result<Profiles> {
    let mut parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::invalid_input(format!("--profiles is not a URL: {e}")))?;
    let user = parsed.username().to_owned();
    let password = parsed.password().map(str::to_owned);
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let client =
        crate::health::probe::http_client(std::time::Duration::from_secs(60), None, 1, false)?;
    let mut req = client.get(parsed.clone());
    if !user.is_empty() {
        req = req.basic_auth(user, password);
    }
    let fail = |what: String| {
        Error::new(
            ErrorKind::Unavailable,
            format!("fetching profiles from {parsed}: {what}"),
        )
    };
    let resp = req
        .send()
        .await
        .map_err(|e| fail(e.without_url().to_string()))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| fail(e.without_url().to_string()))?;
    match status.as_u16() {
        200..=299 => profiles_from_json(&text),
        401 | 403 => Err(Error::new(
            ErrorKind::Unauthorized,
            format!(
                "{parsed} answered {status}: put the drain's credentials in the URL (https://user:password@host/profiles/APP)"
            ),
        )),
        404 => Err(Error::new(
            ErrorKind::NotFound,
            format!("{parsed} answered 404: no such app (see GET /profiles for the keys)"),
        )),
        _ => Err(fail(format!("HTTP {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_compare_and_never_show_the_password() {
        let c = Credentials::parse("logplex:s3cret").unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
        // base64("logplex:s3cret")
        assert!(c.matches(b"Basic bG9ncGxleDpzM2NyZXQ="));
        assert!(!c.matches(b"Basic bG9ncGxleDpzM2NyZXU="));
        assert!(!c.matches(b"Bearer bG9ncGxleDpzM2NyZXQ="));
        assert!(!c.matches(b"Basic !!!"));
        for bad in ["", "user", ":pw", "user:"] {
            assert_eq!(
                Credentials::parse(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        }
    }

    #[test]
    fn logplex_bodies_are_recognised() {
        assert!(looks_like_logplex(
            b"83 <158>1 2024-03-01T10:00:01+00:00 h app router - x\n"
        ));
        assert!(looks_like_logplex(b"\n 5 <1>1 x"));
        assert!(!looks_like_logplex(b"{\"json\": 1}"));
        assert!(!looks_like_logplex(b""));
        assert!(!looks_like_logplex(b"12345678901 <1>"));
        assert!(valid_key("d.01234567-89ab-cdef-0123-456789abcdef"));
        assert!(!valid_key("a b"));
        assert!(!valid_key(""));
    }
}

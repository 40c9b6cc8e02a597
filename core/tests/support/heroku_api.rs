//! A loopback stand-in for the Heroku Platform API: a minimal HTTP/1.1 server on 127.0.0.1 and a
//! free port (std only, one thread per connection) that serves the recorded responses in
//! `tests/fixtures/heroku-api/` by path: `PATH.json` is a whole answer (200), `PATH.pages.json`
//! a paged one — a list of `{"range": null | "...", "status": 206 | 200, "headers": {...},
//! "body": [...]}`, the entry whose `range` equals the request's `Range` header (null: none)
//! answering, and 416 when none does (as Heroku answers a range it cannot serve).
//!
//! It checks what a real API checks first: `Accept: application/vnd.heroku+json; version=3`
//! (else 406) and `Authorization: Bearer <token>` (else 401 with Heroku's error body). Paths can
//! be told to answer another status (404, 429 with Retry-After, 500) or to stall. A `PATCH` with a
//! JSON body is answered with `PATH.patch.json` (Heroku's recorded answer to the update). Every
//! request's line, headers and body are recorded for assertions. The server stops when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub const ACCEPT: &str = "application/vnd.heroku+json; version=3";

/// A canned answer for one path.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (for timeouts).
    pub delay: Duration,
}

impl Canned {
    /// `status` with Heroku's error body `{"id": id, "message": message}`.
    pub fn error(status: u16, id: &str, message: &str) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: serde_json::json!({"id": id, "message": message}).to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn raw(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Canned {
        self.delay = delay;
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The raw (still percent-encoded) request target.
    pub path: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    /// The request body (a PATCH's JSON), as text.
    pub body: String,
}

struct State {
    token: String,
    fixtures: PathBuf,
    canned: Mutex<HashMap<String, Canned>>,
    once: Mutex<HashMap<String, std::collections::VecDeque<Canned>>>,
    seen: Mutex<Vec<Seen>>,
    stop: AtomicBool,
}

/// The running server.
pub struct HerokuApiServer {
    addr: SocketAddr,
    scheme: &'static str,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

/// `tests/fixtures/heroku-api` at the workspace root.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/heroku-api")
}

impl HerokuApiServer {
    /// Starts serving the recorded responses over plain HTTP to requests carrying `token`.
    pub fn start(token: &str) -> HerokuApiServer {
        HerokuApiServer::start_with(token, None)
    }

    /// The same over HTTPS, with the self-signed loopback certificate in
    /// `tests/fixtures/heroku-api/tls/` (which no client trusts unless told to).
    pub fn start_tls(token: &str) -> HerokuApiServer {
        let dir = fixtures_dir().join("tls");
        let cert = CertificateDer::from(std::fs::read(dir.join("cert.der")).expect("cert.der"));
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            std::fs::read(dir.join("key.der")).expect("key.der"),
        ));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("a valid loopback certificate");
        HerokuApiServer::start_with(token, Some(Arc::new(config)))
    }

    fn start_with(token: &str, tls: Option<Arc<rustls::ServerConfig>>) -> HerokuApiServer {
        let is_tls = tls.is_some();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            token: token.to_owned(),
            fixtures: fixtures_dir(),
            canned: Mutex::new(HashMap::new()),
            once: Mutex::new(HashMap::new()),
            seen: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    match tls {
                        None => {
                            let _ = serve(stream, &state);
                        }
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let _ = serve(rustls::StreamOwned::new(conn, stream), &state);
                        }
                    }
                });
            }
        });
        HerokuApiServer {
            addr,
            scheme: if is_tls { "https" } else { "http" },
            state,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` (or `https://` for [`HerokuApiServer::start_tls`]).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Answers `path` (exact request target, e.g. `/apps/x/formation`, or `PATCH /apps/x/formation`
    /// for one method only) with `canned` from now on.
    pub fn answer(&self, path: &str, canned: Canned) {
        self.state
            .canned
            .lock()
            .unwrap()
            .insert(path.to_owned(), canned);
    }

    /// Answers the next request for `path` with `canned`, once (queued answers go first, in
    /// order, before any [`HerokuApiServer::answer`] or recorded one).
    pub fn answer_once(&self, path: &str, canned: Canned) {
        self.state
            .once
            .lock()
            .unwrap()
            .entry(path.to_owned())
            .or_default()
            .push_back(canned);
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

impl Drop for HerokuApiServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve<S: Read + Write>(stream: S, state: &State) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    // One request per connection is enough: every answer says `Connection: close`.
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let mut body = Vec::new();
    if let Some(len) = headers
        .get("content-length")
        .and_then(|l| l.parse::<u64>().ok())
    {
        (&mut reader).take(len).read_to_end(&mut body)?;
    }
    state.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        headers: headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });

    let canned = respond(state, &method, &path, &headers);
    if !canned.delay.is_zero() {
        std::thread::sleep(canned.delay);
    }
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\nRateLimit-Remaining: 4499\r\n",
        canned.status,
        reason(canned.status),
        canned.body.len()
    );
    for (name, value) in &canned.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let out = reader.get_mut();
    out.write_all(head.as_bytes())?;
    out.write_all(canned.body.as_bytes())?;
    out.flush()
}

fn respond(state: &State, method: &str, path: &str, headers: &HashMap<String, String>) -> Canned {
    if headers.get("accept").map(String::as_str) != Some(ACCEPT) {
        return Canned::error(
            406,
            "bad_request",
            "Please specify a version along with Heroku's API MIME type.",
        );
    }
    let expected = format!("Bearer {}", state.token);
    if headers.get("authorization") != Some(&expected) {
        return Canned::error(
            401,
            "unauthorized",
            "There were no credentials in your `Authorization` header, or they were invalid.",
        );
    }
    // answers set for "METHOD /path" go before those set for "/path" (any method)
    let keyed = format!("{method} {path}");
    for key in [keyed.as_str(), path] {
        if let Some(c) = state
            .once
            .lock()
            .unwrap()
            .get_mut(key)
            .and_then(|q| q.pop_front())
        {
            return c;
        }
    }
    for key in [keyed.as_str(), path] {
        if let Some(c) = state.canned.lock().unwrap().get(key) {
            return c.clone();
        }
    }
    let relative = path.trim_start_matches('/');
    let safe = !relative.is_empty()
        && relative
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('%'));
    if method == "PATCH"
        && safe
        && headers.get("content-type").map(String::as_str) == Some("application/json")
        && let Ok(body) =
            std::fs::read_to_string(state.fixtures.join(format!("{relative}.patch.json")))
    {
        return Canned::raw(200, &body);
    }
    if method != "GET" {
        return Canned::error(405, "method_not_allowed", "Only GET is recorded.");
    }
    if safe
        && let Ok(text) =
            std::fs::read_to_string(state.fixtures.join(format!("{relative}.pages.json")))
    {
        return recorded_page(&text, headers.get("range").map(String::as_str));
    }
    if safe
        && let Ok(body) = std::fs::read_to_string(state.fixtures.join(format!("{relative}.json")))
    {
        return Canned::raw(200, &body);
    }
    Canned::error(404, "not_found", "Couldn't find that app.")
}

/// The page of a `.pages.json` recording that answers `range`.
fn recorded_page(text: &str, range: Option<&str>) -> Canned {
    let pages: Vec<serde_json::Value> =
        serde_json::from_str(text).expect("a .pages.json recording is a JSON list");
    let wanted = range.map(str::trim);
    for page in &pages {
        if page["range"].as_str().map(str::trim) == wanted {
            let mut canned = Canned::raw(
                page["status"]
                    .as_u64()
                    .expect("a recorded page has a status") as u16,
                &page["body"].to_string(),
            );
            if let Some(h) = page["headers"].as_object() {
                for (name, value) in h {
                    canned = canned.header(name, value.as_str().unwrap_or_default());
                }
            }
            return canned;
        }
    }
    Canned::error(
        416,
        "requested_range_not_satisfiable",
        "Requested range not satisfiable.",
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

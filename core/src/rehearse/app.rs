//! A loopback HTTP/1.1 app (std threads, keep-alive) that can be switched at runtime to slow or
//! failing, counts its requests, and exposes them at `/metrics` in Prometheus' text format.
//! `dynoshift rehearse` starts two of them ("heroku" and "aws"); the gate tests and
//! `examples/bench_gates.rs` use the same type. Every answer names the app in an `X-Backend`
//! header (the backend identity the observed-split gate counts).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Error, Result};

#[derive(Debug, Default)]
struct State {
    failing: AtomicBool,
    fail_every: AtomicU64,
    seen: AtomicU64,
    stopped: AtomicBool,
    delay_us: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
    first_failure: Mutex<Option<Instant>>,
    last_host: Mutex<String>,
}

/// A running local app on 127.0.0.1; stops when dropped.
#[derive(Debug)]
pub struct LocalApp {
    /// The name it answers with.
    pub name: String,
    /// Where it listens (127.0.0.1 and a free port).
    pub addr: SocketAddr,
    state: Arc<State>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl LocalApp {
    /// Starts an app named `name` on a free loopback port; every path but `/metrics` answers
    /// `{"status":"ok","app":name}`. A loopback port that cannot be bound is `unavailable`.
    pub fn start(name: &str) -> Result<LocalApp> {
        let bind_error = |e: std::io::Error| {
            Error::new(
                crate::ErrorKind::Unavailable,
                format!(
                    "cannot listen on 127.0.0.1 for the local {name} app ({e}); check that the \
                     loopback interface is up and ports are free"
                ),
            )
        };
        let listener = TcpListener::bind("127.0.0.1:0").map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let state = Arc::new(State::default());
        let st = state.clone();
        let app = name.to_owned();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                let app = app.clone();
                std::thread::spawn(move || serve(conn, &st, &app));
            }
        });
        Ok(LocalApp {
            name: name.to_owned(),
            addr,
            state,
        })
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answer 500 (true) or 200 (false) from now on.
    pub fn set_failing(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }

    /// Answer 500 to every `n`th request (0: off).
    pub fn set_fail_every(&self, n: u64) {
        self.state.fail_every.store(n, Ordering::SeqCst);
    }

    /// Delay every answer by `d`.
    pub fn set_delay(&self, d: Duration) {
        self.state
            .delay_us
            .store(d.as_micros() as u64, Ordering::SeqCst);
    }

    /// Requests answered (not counting `/metrics`): (ok, failed).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.state.ok.load(Ordering::SeqCst),
            self.state.failed.load(Ordering::SeqCst),
        )
    }

    /// When the first 500 was sent.
    pub fn first_failure(&self) -> Option<Instant> {
        *lock(&self.state.first_failure)
    }

    /// The Host header of the last request.
    pub fn last_host(&self) -> String {
        lock(&self.state.last_host).clone()
    }

    /// Stops accepting and closes connections at their next request.
    pub fn stop(&self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

impl Drop for LocalApp {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(conn: TcpStream, st: &State, app: &str) {
    let _ = conn.set_nodelay(true);
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut out = conn;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut content_length = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                match k.as_str() {
                    "content-length" => content_length = v.parse().unwrap_or(0),
                    "host" => *lock(&st.last_host) = v.to_owned(),
                    "connection" if v.eq_ignore_ascii_case("close") => close = true,
                    _ => {}
                }
            }
        }
        if content_length > 0 {
            let mut body = vec![0u8; content_length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        if st.stopped.load(Ordering::SeqCst) {
            return;
        }
        let (status, ctype, body) = if path == "/metrics" {
            let text = format!(
                "# HELP app_requests_total Requests answered.\n# TYPE app_requests_total counter\n\
                 app_requests_total{{code=\"200\"}} {}\napp_requests_total{{code=\"500\"}} {}\n",
                st.ok.load(Ordering::SeqCst),
                st.failed.load(Ordering::SeqCst)
            );
            ("200 OK", "text/plain; version=0.0.4", text)
        } else {
            let delay = st.delay_us.load(Ordering::SeqCst);
            if delay > 0 {
                std::thread::sleep(Duration::from_micros(delay));
            }
            let nth = st.seen.fetch_add(1, Ordering::SeqCst) + 1;
            let every = st.fail_every.load(Ordering::SeqCst);
            if st.failing.load(Ordering::SeqCst) || (every > 0 && nth.is_multiple_of(every)) {
                lock(&st.first_failure).get_or_insert_with(Instant::now);
                st.failed.fetch_add(1, Ordering::SeqCst);
                (
                    "500 Internal Server Error",
                    "application/json",
                    format!("{{\"status\":\"failing\",\"app\":\"{app}\"}}"),
                )
            } else {
                st.ok.fetch_add(1, Ordering::SeqCst);
                (
                    "200 OK",
                    "application/json",
                    format!("{{\"status\":\"ok\",\"app\":\"{app}\"}}"),
                )
            }
        };
        let resp = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nX-Backend: {app}\r\nContent-Length: \
             {}\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if out.write_all(resp.as_bytes()).is_err() || close {
            return;
        }
    }
}

//! A small loopback HTTP proxy in front of moto that answers the next N requests with a
//! Route53 throttling error (HTTP 400 `Throttling` or `PriorRequestNotComplete`) and forwards
//! the others. One request per connection (`Connection: close`). With [`ThrottleProxy::limit_rate`]
//! it also plays Route53's account-wide limit: a token bucket over every Route53 request (paths
//! under `/2013-04-01/`; S3 requests pass), answering `Throttling` when it is empty.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// The account's token bucket.
struct Limiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Limiter {
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        // a tenth of a token of slack for the clock's granularity
        if self.tokens >= 0.9 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
struct Shared {
    /// Requests of this method (PUT, DELETE) are forwarded, then their reply is dropped.
    drop_reply: Mutex<Option<(String, usize)>>,
    /// The next request of this method waits this long before it is forwarded.
    delay: Mutex<Option<(String, std::time::Duration)>>,
    /// Requests being held by `delay` right now.
    held: AtomicUsize,
    limiter: Mutex<Option<Limiter>>,
    rate_limited: AtomicUsize,
    route53_seen: AtomicUsize,
}

/// The running proxy; stops accepting when dropped.
pub struct ThrottleProxy {
    addr: SocketAddr,
    remaining: Arc<AtomicUsize>,
    code: Arc<Mutex<String>>,
    seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        if !lower.starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    head.extend_from_slice(&body);
    Ok(head)
}

fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    remaining: &AtomicUsize,
    code: &Mutex<String>,
    seen: &AtomicUsize,
    shared: &Shared,
) -> std::io::Result<()> {
    let request = read_request(&mut client)?;
    if request.is_empty() {
        return Ok(());
    }
    seen.fetch_add(1, Ordering::SeqCst);
    let route53 = request
        .split(|b| *b == b' ')
        .nth(1)
        .is_some_and(|path| path.starts_with(b"/2013-04-01/"));
    if route53 {
        shared.route53_seen.fetch_add(1, Ordering::SeqCst);
    }
    let throttle = remaining
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let over_rate = route53
        && !throttle
        && shared
            .limiter
            .lock()
            .unwrap()
            .as_mut()
            .is_some_and(|l| !l.allow());
    if over_rate {
        shared.rate_limited.fetch_add(1, Ordering::SeqCst);
    }
    let drop_reply = {
        let mut d = shared.drop_reply.lock().unwrap();
        match d.as_mut() {
            Some((method, n)) if *n > 0 && request.starts_with(format!("{method} ").as_bytes()) => {
                *n -= 1;
                true
            }
            _ => false,
        }
    };
    let delay = {
        let mut d = shared.delay.lock().unwrap();
        match d.as_ref() {
            Some((method, _)) if request.starts_with(format!("{method} ").as_bytes()) => {
                d.take().map(|(_, t)| t)
            }
            _ => None,
        }
    };
    if let Some(t) = delay {
        shared.held.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(t);
        shared.held.fetch_sub(1, Ordering::SeqCst);
    }
    if drop_reply {
        // the request lands upstream; the client never hears back
        let mut up = TcpStream::connect(upstream)?;
        up.write_all(&request)?;
        let mut response = Vec::new();
        up.read_to_end(&mut response)?;
        return client.shutdown(std::net::Shutdown::Both);
    }
    if throttle || over_rate {
        let code = if throttle {
            code.lock().unwrap().clone()
        } else {
            "Throttling".to_owned()
        };
        let body = format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
        );
        write!(
            client,
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return client.flush();
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&request)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    client.write_all(&response)?;
    client.flush()
}

impl ThrottleProxy {
    /// Proxies to `upstream` (moto's address).
    pub fn start(upstream: SocketAddr) -> ThrottleProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let remaining = Arc::new(AtomicUsize::new(0));
        let code = Arc::new(Mutex::new("Throttling".to_owned()));
        let seen = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared::default());
        let (r, c, s, st) = (remaining.clone(), code.clone(), seen.clone(), stop.clone());
        let sh = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, c, s, sh) = (r.clone(), c.clone(), s.clone(), sh.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, upstream, &r, &c, &s, &sh);
                });
            }
        });
        ThrottleProxy {
            addr,
            remaining,
            code,
            seen,
            stop,
            shared,
        }
    }

    /// Plays Route53's account limit: at most `rate` Route53 requests per second, `burst` at
    /// once after a quiet spell; the others are answered `Throttling`.
    pub fn limit_rate(&self, rate: f64, burst: u32) {
        *self.shared.limiter.lock().unwrap() = Some(Limiter {
            rate,
            burst: f64::from(burst),
            tokens: f64::from(burst),
            last: Instant::now(),
        });
    }

    /// Forwards the next `n` requests of `method` (e.g. `PUT`) upstream, where they land, and
    /// closes their connection without an answer (a reply lost on the way back).
    pub fn drop_reply_of_next(&self, method: &str, n: usize) {
        *self.shared.drop_reply.lock().unwrap() = Some((method.to_owned(), n));
    }

    /// Holds the next request of `method` for `delay` before forwarding it.
    pub fn delay_next(&self, method: &str, delay: std::time::Duration) {
        *self.shared.delay.lock().unwrap() = Some((method.to_owned(), delay));
    }

    /// Requests held by [`ThrottleProxy::delay_next`] right now.
    pub fn held(&self) -> usize {
        self.shared.held.load(Ordering::SeqCst)
    }

    /// Route53 requests answered `Throttling` by the rate limit so far.
    pub fn rate_limited(&self) -> usize {
        self.shared.rate_limited.load(Ordering::SeqCst)
    }

    /// Route53 requests seen so far (throttled or not).
    pub fn route53_seen(&self) -> usize {
        self.shared.route53_seen.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers the next `n` requests with `code`.
    pub fn throttle_next(&self, n: usize, code: &str) {
        *self.code.lock().unwrap() = code.to_owned();
        self.remaining.store(n, Ordering::SeqCst);
    }

    /// Requests seen so far.
    pub fn seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

impl Drop for ThrottleProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

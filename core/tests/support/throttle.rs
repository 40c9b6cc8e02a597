//! A small loopback HTTP proxy in front of moto that answers the next N requests with a
//! Route53 throttling error (HTTP 400 `Throttling` or `PriorRequestNotComplete`) and forwards
//! the others. One request per connection (`Connection: close`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The running proxy; stops accepting when dropped.
pub struct ThrottleProxy {
    addr: SocketAddr,
    remaining: Arc<AtomicUsize>,
    code: Arc<Mutex<String>>,
    seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
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
) -> std::io::Result<()> {
    let request = read_request(&mut client)?;
    if request.is_empty() {
        return Ok(());
    }
    seen.fetch_add(1, Ordering::SeqCst);
    let throttle = remaining
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if throttle {
        let code = code.lock().unwrap().clone();
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
        let (r, c, s, st) = (remaining.clone(), code.clone(), seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, c, s) = (r.clone(), c.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, upstream, &r, &c, &s);
                });
            }
        });
        ThrottleProxy {
            addr,
            remaining,
            code,
            seen,
            stop,
        }
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

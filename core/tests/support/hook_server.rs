//! A loopback HTTP sink for notification tests: a small HTTP/1.1 server (std threads, one per
//! connection, keep-alive) on 127.0.0.1 that records every request and answers from a script
//! of status codes, or accepts requests and never answers.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Lower-cased names.
    pub headers: HashMap<String, String>,
    pub body: String,
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    /// Statuses to answer in turn; 200 once it is empty.
    script: Mutex<VecDeque<u16>>,
    /// Read each request, then hold the connection without answering.
    hang: AtomicBool,
    held: Mutex<Vec<TcpStream>>,
    stop: AtomicBool,
}

/// A loopback HTTP sink on 127.0.0.1 and a free port; stops accepting when dropped.
pub struct HookServer {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl HookServer {
    pub fn start() -> HookServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let st = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(stream, &st));
            }
        });
        HookServer { addr, state }
    }

    /// Answers these statuses to the next requests, in order.
    pub fn script(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    pub fn hang(&self) {
        self.state.hang.store(true, Ordering::SeqCst);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// A URL on this server whose path and query hold secrets.
    /// `http://127.0.0.1:PORT` (any path is accepted).
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for HookServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        self.state.held.lock().unwrap().clear();
    }
}

fn serve(stream: TcpStream, st: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        st.seen.lock().unwrap().push(Seen {
            method,
            target,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        if st.hang.load(Ordering::SeqCst) {
            // Keep the connection open and never answer.
            st.held.lock().unwrap().push(writer);
            return;
        }
        let status = st.script.lock().unwrap().pop_front().unwrap_or(200);
        let answer = format!(
            "HTTP/1.1 {status} Scripted\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

//! A loopback TCP forwarder that behaves like a client population resolving the public name
//! afresh for every connection: each accepted connection asks the memory zone for the
//! hostname (Route53's weighted choice, seeded) and is piped to the backend the answer's
//! CNAME target maps to. Used by the header method of the observed-split gate.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use dynoshift::MemoryProvider;
use dynoshift::dns::memory::DnsLookup;

/// A running forwarder; stops accepting when dropped.
#[derive(Debug)]
pub struct WeightedForwarder {
    pub addr: SocketAddr,
    stopped: Arc<AtomicBool>,
}

impl WeightedForwarder {
    /// Forwards connections for `hostname` by the zone of `provider` to `backends`
    /// (CNAME target → address); an answer with no backend closes the connection.
    pub fn start(
        provider: MemoryProvider,
        hostname: &str,
        backends: HashMap<String, SocketAddr>,
        seed: u64,
    ) -> WeightedForwarder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = stopped.clone();
        let rng = Mutex::new(fastrand::Rng::with_seed(seed));
        let host = hostname.to_owned();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let lookup = provider.answer(&host, "A", &mut rng.lock().unwrap());
                let target = match lookup {
                    DnsLookup::Records(sets) => sets
                        .first()
                        .and_then(|s| s.values.first())
                        .and_then(|v| backends.get(v.as_str()).copied()),
                    _ => None,
                };
                let Some(target) = target else {
                    continue; // dropped: the client sees a closed connection
                };
                let Ok(backend) = TcpStream::connect(target) else {
                    continue;
                };
                pipe(client, backend);
            }
        });
        WeightedForwarder { addr, stopped }
    }
}

impl Drop for WeightedForwarder {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn pipe(client: TcpStream, backend: TcpStream) {
    let (Ok(c2), Ok(b2)) = (client.try_clone(), backend.try_clone()) else {
        return;
    };
    std::thread::spawn(move || copy(client, backend));
    std::thread::spawn(move || copy(b2, c2));
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 8192];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

//! A tiny authoritative DNS server over UDP for the memory provider: every query for a
//! weighted name is answered with Route53's weighted choice (see
//! [`MemoryProvider::answer`]), so clients — and the observed-split gate — see the split the
//! zone really serves. Meant for loopback: rehearsals and tests.
//!
//! The server runs on its own thread with a blocking socket (the library starts no async
//! runtime) and stops when its [`DnsServerHandle`] is dropped.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::memory::{DnsLookup, MemoryProvider};
use super::normalize_name;
use super::wire::{
    self, CLASS_IN, Header, Question, RData, Record, encode_response, rcode, type_name,
};
use crate::{Error, ErrorKind, Result};

/// A running DNS server; dropping it stops the server (and unregisters it from the provider).
#[derive(Debug)]
pub struct DnsServerHandle {
    addr: SocketAddr,
    provider: MemoryProvider,
    stop: Arc<AtomicBool>,
    queries: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl DnsServerHandle {
    /// The address the server answers on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Datagrams answered so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }
}

impl Drop for DnsServerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.provider.unregister_dns_server(self.addr);
        // wake the blocking receive; the read timeout ends it anyway
        let local: SocketAddr = if self.addr.is_ipv4() {
            (Ipv4Addr::LOCALHOST, 0).into()
        } else {
            (Ipv6Addr::LOCALHOST, 0).into()
        };
        if let Ok(s) = UdpSocket::bind(local) {
            let _ = s.send_to(&[], self.addr);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl MemoryProvider {
    /// Serves this provider's zones over DNS (UDP) on `addr` (port 0 picks a free port; see
    /// [`DnsServerHandle::addr`]). Weighted choices use a random seed.
    pub fn serve_dns(&self, addr: SocketAddr) -> Result<DnsServerHandle> {
        self.serve_dns_seeded(addr, fastrand::u64(..))
    }

    /// [`MemoryProvider::serve_dns`] with a seeded weighted choice (reproducible tests).
    pub fn serve_dns_seeded(&self, addr: SocketAddr, seed: u64) -> Result<DnsServerHandle> {
        let socket = UdpSocket::bind(addr).map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("cannot bind a DNS server to {addr}: {e}"),
            )
        })?;
        let bound = socket
            .local_addr()
            .map_err(|e| Error::internal(format!("the DNS server socket has no address: {e}")))?;
        socket
            .set_read_timeout(Some(Duration::from_millis(250)))
            .map_err(|e| Error::internal(format!("cannot set the DNS socket timeout: {e}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(AtomicU64::new(0));
        let provider = self.clone();
        let (st, q) = (stop.clone(), queries.clone());
        let thread = std::thread::Builder::new()
            .name(format!("dynoshift-dns-{}", bound.port()))
            .spawn(move || serve_loop(&socket, &provider, seed, &st, &q))
            .map_err(|e| Error::internal(format!("cannot start the DNS server thread: {e}")))?;
        self.register_dns_server(bound);
        Ok(DnsServerHandle {
            addr: bound,
            provider: self.clone(),
            stop,
            queries,
            thread: Some(thread),
        })
    }
}

fn serve_loop(
    socket: &UdpSocket,
    provider: &MemoryProvider,
    seed: u64,
    stop: &AtomicBool,
    queries: &AtomicU64,
) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let Ok((len, from)) = socket.recv_from(&mut buf) else {
            continue; // timeout or a transient error: look at the stop flag again
        };
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Some(reply) = respond(provider, &buf[..len], &mut rng) {
            queries.fetch_add(1, Ordering::Relaxed);
            let _ = socket.send_to(&reply, from);
        }
    }
}

/// The reply to one datagram (`None`: not a query worth answering — too short, or itself a
/// response).
pub fn respond(
    provider: &MemoryProvider,
    query: &[u8],
    rng: &mut fastrand::Rng,
) -> Option<Vec<u8>> {
    let header = Header::read(query)?;
    if header.qr {
        return None;
    }
    let reply = |q: Option<&Question>, code: u8, answers: &[Record]| {
        encode_response(header.id, header.rd, q, code, answers)
            .or_else(|_| encode_response(header.id, header.rd, None, rcode::SERVFAIL, &[]))
            .ok()
    };
    if header.opcode != 0 {
        return reply(None, rcode::NOTIMP, &[]);
    }
    let Ok(msg) = wire::decode(query) else {
        return reply(None, rcode::FORMERR, &[]);
    };
    let [q] = msg.questions.as_slice() else {
        return reply(None, rcode::FORMERR, &[]);
    };
    if q.qclass != CLASS_IN {
        return reply(Some(q), rcode::REFUSED, &[]);
    }
    match provider.answer(&q.name, &type_name(q.qtype), rng) {
        DnsLookup::NotAuthoritative => reply(Some(q), rcode::REFUSED, &[]),
        DnsLookup::NxDomain => reply(Some(q), rcode::NXDOMAIN, &[]),
        DnsLookup::NoData => reply(Some(q), rcode::NOERROR, &[]),
        DnsLookup::Records(sets) => {
            let mut answers = Vec::new();
            for set in &sets {
                let ttl = u32::try_from(set.ttl.unwrap_or(60).max(0)).unwrap_or(u32::MAX);
                for v in &set.values {
                    let data = match set.rtype.as_str() {
                        "CNAME" => RData::Cname(normalize_name(v)),
                        "A" => match v.trim().parse() {
                            Ok(ip) => RData::A(ip),
                            Err(_) => continue,
                        },
                        "AAAA" => match v.trim().parse() {
                            Ok(ip) => RData::Aaaa(ip),
                            Err(_) => continue,
                        },
                        _ => continue, // types this server does not encode answer NODATA
                    };
                    answers.push(Record {
                        name: q.name.clone(),
                        class: CLASS_IN,
                        ttl,
                        data,
                    });
                }
            }
            reply(Some(q), rcode::NOERROR, &answers)
        }
    }
}

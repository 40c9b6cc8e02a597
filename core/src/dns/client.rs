//! A minimal DNS client that asks authoritative name servers directly: recursion off (RD=0),
//! random query ids, a timeout per attempt and retries on the next server. It bypasses every
//! cache and resolver on the way, so its answers are the name servers' own choices — what the
//! observed-split gate counts. UDP only; a truncated answer is reported, not retried over TCP
//! (the answers counted here are one CNAME or a few addresses).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;

use super::normalize_name;
use super::wire::{self, Message, Question, encode_query, rcode};
use crate::health::probe::join_all;
use crate::{Error, ErrorKind, Result};

/// How queries are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOptions {
    /// Wait for one answer this long before retrying.
    pub timeout: Duration,
    /// Further attempts after the first (each on the next server of the list).
    pub retries: u32,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            timeout: Duration::from_millis(1000),
            retries: 2,
        }
    }
}

/// One answer from a name server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The server that answered.
    pub server: SocketAddr,
    /// The decoded message (its id and question match the query).
    pub message: Message,
}

impl Reply {
    /// The values answering for `name` (CNAME targets, addresses), sorted.
    pub fn values_for(&self, name: &str) -> Vec<String> {
        let name = normalize_name(name);
        let mut v: Vec<String> = self
            .message
            .answers
            .iter()
            .filter(|r| r.name == name)
            .filter_map(|r| r.data.value())
            .collect();
        v.sort();
        v
    }
}

fn unspecified_for(server: SocketAddr) -> SocketAddr {
    if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    }
}

/// Why one attempt did not give an answer.
enum Miss {
    Timeout,
    Unreachable(String),
}

async fn attempt(
    server: SocketAddr,
    name: &str,
    qtype: u16,
    timeout: Duration,
) -> std::result::Result<Message, Miss> {
    let id = fastrand::u16(..);
    let query = encode_query(id, name, qtype).map_err(|e| Miss::Unreachable(e.0))?;
    let sock = UdpSocket::bind(unspecified_for(server))
        .await
        .map_err(|e| Miss::Unreachable(format!("cannot open a UDP socket: {e}")))?;
    // a connected socket only receives datagrams from the server itself
    sock.connect(server)
        .await
        .map_err(|e| Miss::Unreachable(format!("{server}: {e}")))?;
    sock.send(&query)
        .await
        .map_err(|e| Miss::Unreachable(format!("{server}: {e}")))?;
    let wanted = Question {
        name: normalize_name(name),
        qtype,
        qclass: wire::CLASS_IN,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    loop {
        let got = tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await;
        let len = match got {
            Err(_) => return Err(Miss::Timeout),
            Ok(Err(e)) => return Err(Miss::Unreachable(format!("{server}: {e}"))),
            Ok(Ok(len)) => len,
        };
        // anything that is not the answer to this query (wrong id, not a response, another
        // question, garbage) is ignored; the wait for the real answer goes on
        let Ok(msg) = wire::decode(&buf[..len]) else {
            continue;
        };
        if msg.header.id != id || !msg.header.qr || msg.questions.as_slice() != [wanted.clone()] {
            continue;
        }
        return Ok(msg);
    }
}

/// Asks `servers` (in turn, starting with `servers[first % len]`) for `name` / `qtype` until
/// one answers: `timeout` when none answered within the attempts, `unavailable` when the
/// servers cannot be reached at all.
pub async fn query(
    servers: &[SocketAddr],
    first: usize,
    name: &str,
    qtype: u16,
    options: QueryOptions,
) -> Result<Reply> {
    if servers.is_empty() {
        return Err(Error::invalid_input("no name server to ask"));
    }
    wire::encode_query(0, name, qtype).map_err(|e| Error::invalid_input(e.0))?;
    let mut last = None;
    for a in 0..=options.retries {
        let server = servers[(first + a as usize) % servers.len()];
        match attempt(server, name, qtype, options.timeout).await {
            Ok(message) => return Ok(Reply { server, message }),
            Err(m) => last = Some(m),
        }
    }
    Err(match last {
        Some(Miss::Unreachable(why)) => Error::new(
            ErrorKind::Unavailable,
            format!("no name server answered for {name}: {why}"),
        ),
        _ => Error::new(
            ErrorKind::Timeout,
            format!(
                "no name server answered for {name} within {} ms × {} attempts",
                options.timeout.as_millis(),
                options.retries + 1
            ),
        ),
    })
}

/// What `n` queries got back, by answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerTally {
    /// Queries sent (each with its retries).
    pub queries: u64,
    /// Answers by value: the CNAME target or the addresses (joined by `,`) for the name.
    pub by_answer: BTreeMap<String, u64>,
    /// NOERROR without data for the name.
    pub nodata: u64,
    /// NXDOMAIN.
    pub nxdomain: u64,
    /// REFUSED (the server is not authoritative for the name).
    pub refused: u64,
    /// Any other response code (SERVFAIL, FORMERR, …).
    pub other_rcode: u64,
    /// Answers with the TC flag (counted by value too when they carried data).
    pub truncated: u64,
    /// Answers without the AA flag (a cache or a recursive resolver answered).
    pub not_authoritative: u64,
    /// Queries no server answered.
    pub unanswered: u64,
    /// The first reason a query went unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_error: Option<String>,
}

impl AnswerTally {
    /// Queries answered with data.
    pub fn answered(&self) -> u64 {
        self.by_answer.values().sum()
    }

    fn add(&mut self, name: &str, r: Result<Reply>) {
        self.queries += 1;
        let reply = match r {
            Ok(r) => r,
            Err(e) => {
                self.unanswered += 1;
                self.example_error
                    .get_or_insert_with(|| e.message().to_owned());
                return;
            }
        };
        let h = reply.message.header;
        if h.tc {
            self.truncated += 1;
        }
        if !h.aa {
            self.not_authoritative += 1;
        }
        match h.rcode {
            rcode::NOERROR => {
                let values = reply.values_for(name);
                if values.is_empty() {
                    self.nodata += 1;
                } else {
                    *self.by_answer.entry(values.join(",")).or_default() += 1;
                }
            }
            rcode::NXDOMAIN => self.nxdomain += 1,
            rcode::REFUSED => self.refused += 1,
            _ => self.other_rcode += 1,
        }
    }
}

/// Sends `n` queries for `name` / `qtype` to `servers` (spread over them in turn),
/// `concurrency` in flight, and counts the answers.
pub async fn tally(
    servers: Vec<SocketAddr>,
    name: String,
    qtype: u16,
    n: usize,
    concurrency: usize,
    options: QueryOptions,
) -> AnswerTally {
    let workers = concurrency.clamp(1, n.max(1));
    let mut futs = Vec::with_capacity(workers);
    for w in 0..workers {
        let count = n / workers + usize::from(w < n % workers);
        let (servers, name) = (servers.clone(), name.clone());
        futs.push(async move {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                out.push(query(&servers, w + i * workers, &name, qtype, options).await);
            }
            out
        });
    }
    let mut t = AnswerTally::default();
    for r in join_all(futs).await.into_iter().flatten() {
        t.add(&name, r);
    }
    t
}

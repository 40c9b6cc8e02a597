//! A minimal DNS wire format (RFC 1035 §4): the header, one question, and A / AAAA / CNAME
//! answers, with name compression read (pointers) but never written. Enough for the loopback
//! authoritative server of the memory provider and for the client the observed-split gate
//! uses to ask authoritative name servers directly.
//!
//! Decoding treats its input as hostile: every length is checked against the buffer, pointer
//! chains are bounded, and a malformed message is an [`WireError`], never a panic.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Record type A.
pub const TYPE_A: u16 = 1;
/// Record type CNAME.
pub const TYPE_CNAME: u16 = 5;
/// Record type SOA.
pub const TYPE_SOA: u16 = 6;
/// Record type AAAA.
pub const TYPE_AAAA: u16 = 28;
/// Class IN.
pub const CLASS_IN: u16 = 1;

/// Response codes used here.
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The query could not be parsed.
    pub const FORMERR: u8 = 1;
    /// The server failed.
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// Opcode not implemented.
    pub const NOTIMP: u8 = 4;
    /// The server will not answer (e.g. not authoritative for the name).
    pub const REFUSED: u8 = 5;
}

/// The largest message sent or read over UDP without EDNS.
pub const MAX_UDP: usize = 512;
const MAX_NAME: usize = 255;
const MAX_POINTERS: usize = 32;

/// Why a message could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WireError {}

fn err<T>(what: impl Into<String>) -> Result<T, WireError> {
    Err(WireError(what.into()))
}

/// The 12-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Query id, echoed by the answer.
    pub id: u16,
    /// True for a response.
    pub qr: bool,
    /// Opcode (0 = standard query).
    pub opcode: u8,
    /// Authoritative answer.
    pub aa: bool,
    /// Truncated.
    pub tc: bool,
    /// Recursion desired.
    pub rd: bool,
    /// Recursion available.
    pub ra: bool,
    /// Response code.
    pub rcode: u8,
    /// Questions.
    pub qdcount: u16,
    /// Answers.
    pub ancount: u16,
    /// Authority records.
    pub nscount: u16,
    /// Additional records.
    pub arcount: u16,
}

impl Header {
    /// Reads the header (`None` if fewer than 12 bytes).
    pub fn read(buf: &[u8]) -> Option<Header> {
        if buf.len() < 12 {
            return None;
        }
        let u = |i: usize| u16::from_be_bytes([buf[i], buf[i + 1]]);
        let flags = u(2);
        Some(Header {
            id: u(0),
            qr: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0xF) as u8,
            aa: flags & 0x0400 != 0,
            tc: flags & 0x0200 != 0,
            rd: flags & 0x0100 != 0,
            ra: flags & 0x0080 != 0,
            rcode: (flags & 0xF) as u8,
            qdcount: u(4),
            ancount: u(6),
            nscount: u(8),
            arcount: u(10),
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        let mut flags: u16 = u16::from(self.opcode & 0xF) << 11 | u16::from(self.rcode & 0xF);
        for (bit, on) in [
            (0x8000, self.qr),
            (0x0400, self.aa),
            (0x0200, self.tc),
            (0x0100, self.rd),
            (0x0080, self.ra),
        ] {
            if on {
                flags |= bit;
            }
        }
        for v in [
            self.id,
            flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// A question: name (lowercase, no trailing dot), type, class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked for.
    pub name: String,
    /// Type (e.g. [`TYPE_A`]).
    pub qtype: u16,
    /// Class (normally [`CLASS_IN`]).
    pub qclass: u16,
}

/// Record data the wire module understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A canonical name (lowercase, no trailing dot).
    Cname(String),
    /// Anything else, kept as its type and raw bytes.
    Other(u16, Vec<u8>),
}

impl RData {
    /// The record type of this data.
    pub fn rtype(&self) -> u16 {
        match self {
            RData::A(_) => TYPE_A,
            RData::Aaaa(_) => TYPE_AAAA,
            RData::Cname(_) => TYPE_CNAME,
            RData::Other(t, _) => *t,
        }
    }

    /// The value as text: the address or the target name (`None` for other types).
    pub fn value(&self) -> Option<String> {
        match self {
            RData::A(a) => Some(a.to_string()),
            RData::Aaaa(a) => Some(a.to_string()),
            RData::Cname(n) => Some(n.clone()),
            RData::Other(..) => None,
        }
    }
}

/// One resource record of the answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name (lowercase, no trailing dot).
    pub name: String,
    /// Class.
    pub class: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// A message: the header, its questions and its answer section (authority and additional
/// sections are counted in the header but not read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header as received (counts included).
    pub header: Header,
    /// Questions.
    pub questions: Vec<Question>,
    /// Answers.
    pub answers: Vec<Record>,
}

/// Type number of a record type name (`A`, `AAAA`, `CNAME`, `SOA`).
pub fn type_number(name: &str) -> Option<u16> {
    match name.trim().to_ascii_uppercase().as_str() {
        "A" => Some(TYPE_A),
        "AAAA" => Some(TYPE_AAAA),
        "CNAME" => Some(TYPE_CNAME),
        "SOA" => Some(TYPE_SOA),
        _ => None,
    }
}

/// Name of a record type number (`TYPE65280` style for unknown ones).
pub fn type_name(t: u16) -> String {
    match t {
        TYPE_A => "A".into(),
        TYPE_AAAA => "AAAA".into(),
        TYPE_CNAME => "CNAME".into(),
        TYPE_SOA => "SOA".into(),
        other => format!("TYPE{other}"),
    }
}

/// Writes a name uncompressed (`invalid` names — empty labels, labels over 63 bytes, names
/// over 255 bytes — are refused).
fn write_name(out: &mut Vec<u8>, name: &str) -> Result<(), WireError> {
    let name = name.trim_end_matches('.');
    let start = out.len();
    if !name.is_empty() {
        for label in name.split('.') {
            if label.is_empty() || label.len() > 63 {
                return err(format!("{name:?} is not a DNS name (label {label:?})"));
            }
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    if out.len() - start > MAX_NAME {
        return err(format!("{name:?} is longer than 255 bytes on the wire"));
    }
    Ok(())
}

/// Reads a name at `pos`, following compression pointers; returns it (lowercase, no trailing
/// dot) and the position just after it in the original stream.
fn read_name(buf: &[u8], mut pos: usize) -> Result<(String, usize), WireError> {
    let mut name = String::new();
    let mut wire_len = 1usize;
    let mut after: Option<usize> = None;
    let mut jumps = 0usize;
    loop {
        let Some(&len) = buf.get(pos) else {
            return err("a name runs past the end of the message");
        };
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    let next = after.unwrap_or(pos + 1);
                    return Ok((name, next));
                }
                let l = usize::from(len);
                let Some(label) = buf.get(pos + 1..pos + 1 + l) else {
                    return err("a label runs past the end of the message");
                };
                wire_len += l + 1;
                if wire_len > MAX_NAME {
                    return err("a name is longer than 255 bytes");
                }
                if !name.is_empty() {
                    name.push('.');
                }
                for &b in label {
                    let c = b.to_ascii_lowercase();
                    if c.is_ascii_graphic() && c != b'.' {
                        name.push(char::from(c));
                    } else {
                        // keep the name printable and unambiguous
                        name.push_str(&format!("\\{b:03}"));
                    }
                }
                pos += 1 + l;
            }
            0xC0 => {
                let Some(&lo) = buf.get(pos + 1) else {
                    return err("a compression pointer is cut short");
                };
                jumps += 1;
                if jumps > MAX_POINTERS {
                    return err("too many compression pointers (a loop?)");
                }
                let target = usize::from(u16::from_be_bytes([len & 0x3F, lo]));
                if target >= pos {
                    return err("a compression pointer points forward");
                }
                after.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return err("unknown label type"),
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u16(&mut self) -> Result<u16, WireError> {
        let Some(b) = self.buf.get(self.pos..self.pos + 2) else {
            return err("the message ends inside a field");
        };
        self.pos += 2;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        let hi = self.u16()?;
        let lo = self.u16()?;
        Ok(u32::from(hi) << 16 | u32::from(lo))
    }
    fn name(&mut self) -> Result<String, WireError> {
        let (n, next) = read_name(self.buf, self.pos)?;
        self.pos = next;
        Ok(n)
    }
    fn bytes(&mut self, n: usize) -> Result<&[u8], WireError> {
        let Some(b) = self.buf.get(self.pos..self.pos + n) else {
            return err("record data runs past the end of the message");
        };
        self.pos += n;
        Ok(b)
    }
}

/// Decodes a message: header, questions, answers. Never panics.
pub fn decode(buf: &[u8]) -> Result<Message, WireError> {
    let Some(header) = Header::read(buf) else {
        return err(format!("{} bytes is shorter than a DNS header", buf.len()));
    };
    let mut r = Reader { buf, pos: 12 };
    let mut questions = Vec::new();
    for _ in 0..header.qdcount {
        let name = r.name()?;
        let qtype = r.u16()?;
        let qclass = r.u16()?;
        questions.push(Question {
            name,
            qtype,
            qclass,
        });
    }
    let mut answers = Vec::new();
    for _ in 0..header.ancount {
        let name = r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        let ttl = r.u32()?;
        let len = usize::from(r.u16()?);
        let start = r.pos;
        let raw = r.bytes(len)?;
        let data = match rtype {
            TYPE_A => match <[u8; 4]>::try_from(raw) {
                Ok(a) => RData::A(Ipv4Addr::from(a)),
                Err(_) => return err(format!("an A record holds {len} bytes, not 4")),
            },
            TYPE_AAAA => match <[u8; 16]>::try_from(raw) {
                Ok(a) => RData::Aaaa(Ipv6Addr::from(a)),
                Err(_) => return err(format!("an AAAA record holds {len} bytes, not 16")),
            },
            TYPE_CNAME => {
                let (target, end) = read_name(buf, start)?;
                if end != start + len {
                    return err("a CNAME's data length does not match its name");
                }
                RData::Cname(target)
            }
            other => RData::Other(other, raw.to_vec()),
        };
        answers.push(Record {
            name,
            class,
            ttl,
            data,
        });
    }
    Ok(Message {
        header,
        questions,
        answers,
    })
}

/// A standard query for `name` / `qtype` with recursion desired off (what a client asking an
/// authoritative server directly sends).
pub fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(32 + name.len());
    Header {
        id,
        qdcount: 1,
        ..Header::default()
    }
    .write(&mut out);
    write_name(&mut out, name)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// A response to `query` (its id, question and RD flag echoed) with `rcode` and `answers`,
/// authoritative. A response that would exceed 512 bytes is cut to the records that fit and
/// flagged TC.
pub fn encode_response(
    id: u16,
    rd: bool,
    question: Option<&Question>,
    rcode: u8,
    answers: &[Record],
) -> Result<Vec<u8>, WireError> {
    let mut body = Vec::new();
    if let Some(q) = question {
        write_name(&mut body, &q.name)?;
        body.extend_from_slice(&q.qtype.to_be_bytes());
        body.extend_from_slice(&q.qclass.to_be_bytes());
    }
    let mut count = 0u16;
    let mut truncated = false;
    for a in answers {
        let mut rr = Vec::new();
        write_name(&mut rr, &a.name)?;
        rr.extend_from_slice(&a.data.rtype().to_be_bytes());
        rr.extend_from_slice(&a.class.to_be_bytes());
        rr.extend_from_slice(&a.ttl.to_be_bytes());
        let mut data = Vec::new();
        match &a.data {
            RData::A(ip) => data.extend_from_slice(&ip.octets()),
            RData::Aaaa(ip) => data.extend_from_slice(&ip.octets()),
            RData::Cname(n) => write_name(&mut data, n)?,
            RData::Other(_, raw) => data.extend_from_slice(raw),
        }
        let Ok(len) = u16::try_from(data.len()) else {
            return err("record data longer than 65535 bytes");
        };
        rr.extend_from_slice(&len.to_be_bytes());
        rr.extend_from_slice(&data);
        if 12 + body.len() + rr.len() > MAX_UDP {
            truncated = true;
            break;
        }
        body.extend_from_slice(&rr);
        count += 1;
    }
    let mut out = Vec::with_capacity(12 + body.len());
    Header {
        id,
        qr: true,
        aa: true,
        tc: truncated,
        rd,
        rcode,
        qdcount: u16::from(question.is_some()),
        ancount: count,
        ..Header::default()
    }
    .write(&mut out);
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, t: u16) -> Question {
        Question {
            name: name.into(),
            qtype: t,
            qclass: CLASS_IN,
        }
    }

    #[test]
    fn query_and_response_round_trip() {
        let bytes = encode_query(0xBEEF, "WWW.Example.test.", TYPE_A).unwrap();
        let m = decode(&bytes).unwrap();
        assert_eq!(m.header.id, 0xBEEF);
        assert!(!m.header.qr && !m.header.rd && m.header.opcode == 0);
        assert_eq!(m.questions, [q("www.example.test", TYPE_A)]);

        let answers = vec![
            Record {
                name: "www.example.test".into(),
                class: CLASS_IN,
                ttl: 60,
                data: RData::Cname("lb-1.elb.amazonaws.com".into()),
            },
            Record {
                name: "v4.example.test".into(),
                class: CLASS_IN,
                ttl: 5,
                data: RData::A(Ipv4Addr::new(192, 0, 2, 7)),
            },
            Record {
                name: "v6.example.test".into(),
                class: CLASS_IN,
                ttl: 5,
                data: RData::Aaaa("2001:db8::1".parse().unwrap()),
            },
        ];
        let bytes = encode_response(
            7,
            true,
            Some(&q("www.example.test", TYPE_A)),
            rcode::NOERROR,
            &answers,
        )
        .unwrap();
        let m = decode(&bytes).unwrap();
        assert!(m.header.qr && m.header.aa && m.header.rd && !m.header.tc);
        assert_eq!(m.header.ancount, 3);
        assert_eq!(m.answers, answers);
        assert_eq!(
            m.answers[0].data.value().as_deref(),
            Some("lb-1.elb.amazonaws.com")
        );
    }

    #[test]
    fn compressed_names_are_read_and_loops_refused() {
        // a response whose answer owner and CNAME target point back into the question
        let mut bytes = encode_response(
            1,
            false,
            Some(&q("www.example.test", TYPE_CNAME)),
            rcode::NOERROR,
            &[],
        )
        .unwrap();
        bytes[7] = 1; // ancount = 1
        bytes.extend_from_slice(&[0xC0, 12]); // owner: pointer to the question name
        bytes.extend_from_slice(&TYPE_CNAME.to_be_bytes());
        bytes.extend_from_slice(&CLASS_IN.to_be_bytes());
        bytes.extend_from_slice(&30u32.to_be_bytes());
        bytes.extend_from_slice(&6u16.to_be_bytes());
        bytes.extend_from_slice(&[3, b'a', b'p', b'p', 0xC0, 16]); // app.example.test
        let m = decode(&bytes).unwrap();
        assert_eq!(m.answers[0].name, "www.example.test");
        assert_eq!(m.answers[0].data, RData::Cname("app.example.test".into()));

        // a pointer to itself
        let mut looped = encode_query(1, "a.test", TYPE_A).unwrap();
        looped.truncate(12);
        looped.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert!(decode(&looped).is_err());
        // a truncated message
        let full = encode_query(1, "www.example.test", TYPE_A).unwrap();
        for cut in 0..full.len() {
            assert!(decode(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn bad_names_are_refused_and_big_answers_truncated() {
        assert!(encode_query(1, "a..b", TYPE_A).is_err());
        assert!(encode_query(1, &"x".repeat(64), TYPE_A).is_err());
        let long = vec!["abcdefghij"; 30].join(".");
        assert!(encode_query(1, &long, TYPE_A).is_err());
        let many: Vec<Record> = (0..60)
            .map(|i| Record {
                name: "www.example.test".into(),
                class: CLASS_IN,
                ttl: 1,
                data: RData::A(Ipv4Addr::new(10, 0, 0, i)),
            })
            .collect();
        let bytes =
            encode_response(1, false, Some(&q("www.example.test", TYPE_A)), 0, &many).unwrap();
        assert!(bytes.len() <= MAX_UDP);
        let m = decode(&bytes).unwrap();
        assert!(m.header.tc);
        assert!(m.answers.len() < 60 && !m.answers.is_empty());
    }
}

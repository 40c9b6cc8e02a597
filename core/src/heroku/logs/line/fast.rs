//! The fast paths of the parser.
//!
//! Heroku writes its router and runtime-metrics lines with the same keys in the same order every
//! time. The parsers here follow that layout directly: at each position they compare the bytes
//! with the one or two keys that may come next (constant compares, no key scanning) and take the
//! value with a word-wise search. They accept only lines that are exactly in that layout with
//! valid values, and then give the same result as the general parsers (`router_general`,
//! `metrics_general`); anything else — another order, an unknown key, a bad value, an
//! unterminated quote — returns `None`, and the general parser decides (and words the error).
//! `fast_paths_agree_with_the_general_parsers` checks the agreement on generated and mutated
//! lines.

use super::*;

/// A cursor over one message's `key=value` pairs, in the general parser's exact splitting rules:
/// spaces between pairs are skipped; a value starting with `"` ends at a `"` followed by a
/// space or the end; any other value ends at the first space.
struct Cursor<'a> {
    msg: &'a [u8],
    pos: usize,
    /// Cleared when a value cannot be split (an unterminated quote): the line goes to the
    /// general parser.
    ok: bool,
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn new(msg: &'a [u8]) -> Cursor<'a> {
        let mut c = Cursor {
            msg,
            pos: 0,
            ok: true,
        };
        c.skip_spaces();
        c
    }

    #[inline(always)]
    fn skip_spaces(&mut self) {
        while self.msg.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    /// The pair at the cursor if its key is `key` (given with its `=`), and moves past it.
    #[inline(always)]
    fn field(&mut self, key: &[u8]) -> Option<&'a [u8]> {
        if self.msg.get(self.pos..self.pos + key.len()) != Some(key) {
            return None;
        }
        self.value(self.pos + key.len())
    }

    /// The value that starts at `start` (just after a key's `=`), and moves past it.
    #[inline(always)]
    fn value(&mut self, start: usize) -> Option<&'a [u8]> {
        let msg = self.msg;
        let (value, end) = if msg.get(start) == Some(&b'"') {
            let inner = start + 1;
            let mut from = inner;
            loop {
                let q = find_from(msg, from, b'"');
                if q == msg.len() {
                    self.ok = false;
                    return None;
                }
                if q + 1 == msg.len() || msg[q + 1] == b' ' {
                    break (&msg[inner..q], q + 1);
                }
                from = q + 1;
            }
        } else {
            let end = find_from(msg, start, b' ');
            (&msg[start..end], end)
        };
        // `end` is the end of the message or a space.
        self.pos = (end + 1).min(msg.len());
        self.skip_spaces();
        Some(value)
    }

    /// Whether every pair was taken and split.
    fn done(&self) -> bool {
        self.ok && self.pos == self.msg.len()
    }
}

/// A router line in Heroku's layout (`at= [code= desc=] method= path= host= [request_id=]
/// fwd= dyno= connect= service= status= bytes= [protocol=]`, any field but `at=` optional),
/// or `None` for the general parser.
#[inline]
pub(super) fn router_fast(msg: &[u8]) -> Option<Router<'_>> {
    let mut c = Cursor::new(msg);
    let mut r = Router {
        error: match c.field(b"at=")? {
            b"info" => false,
            b"error" | b"warning" => true,
            _ => return None,
        },
        ..Router::default()
    };
    if let Some(v) = c.field(b"code=") {
        r.code = opt(v);
    }
    if let Some(v) = c.field(b"desc=") {
        r.desc = opt(v);
    }
    if let Some(v) = c.field(b"method=") {
        r.method = opt(v);
    }
    if let Some(v) = c.field(b"path=") {
        r.path = Some(v);
    }
    if let Some(v) = c.field(b"host=") {
        r.host = opt(v);
    }
    c.field(b"request_id=");
    c.field(b"fwd=");
    if let Some(v) = c.field(b"dyno=") {
        r.dyno = opt(v);
    }
    if let Some(v) = c.field(b"connect=") {
        r.connect_ms = router_ms(v).ok()?;
    }
    if let Some(v) = c.field(b"service=") {
        r.service_ms = router_ms(v).ok()?;
    }
    if let Some(v) = c.field(b"status=") {
        r.status = router_status(v).ok()?;
    }
    if let Some(v) = c.field(b"bytes=") {
        r.bytes = router_bytes(v).ok()?;
    }
    if let Some(v) = c.field(b"protocol=") {
        r.protocol = opt(v);
    }
    c.done().then_some(r)
}

/// A runtime-metrics line in Heroku's layout (`source= dyno= sample#...=...`, the samples in
/// any order, only the dyno samples this crate reads), or `None` for the general parser.
#[inline]
pub(super) fn metrics_fast(msg: &[u8]) -> Option<Msg<'_>> {
    let mut c = Cursor::new(msg);
    let mut m = Metrics {
        source: c.field(b"source="),
        dyno: c.field(b"dyno="),
        ..Metrics::default()
    };
    while c.pos < msg.len() {
        if !msg[c.pos..].starts_with(b"sample#") {
            return None;
        }
        // The key is everything up to the first `=`: one of the samples read, or the general
        // parser decides.
        let name_at = c.pos + b"sample#".len();
        let eq = find_from(msg, name_at, b'=');
        let name = &msg[name_at..eq];
        let &(_, kind, slot) = SAMPLES.iter().find(|(known, _, _)| *known == name)?;
        let v = c.value(eq + 1)?;
        *slot(&mut m) = Some(sample_value(kind, v, None)?);
    }
    if !c.done() {
        return None;
    }
    Some(metrics_result(m))
}

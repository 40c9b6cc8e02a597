//! The zero-copy parser: one record (a line, or one octet-counted frame) in, borrowed fields out.
//! No allocation happens here; [`super::parse_line`] turns the result into an owned value.

use super::time::parse_rfc3339_ms;

/// How a record was framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Framing {
    /// `heroku logs` text: `TIMESTAMP SOURCE[PROCESS]: MESSAGE`.
    Text,
    /// RFC 5424 syslog (a log-drain frame, with or without its octet count).
    Syslog,
    /// The message alone, with no prefix.
    Bare,
}

/// A record's envelope and message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framed<'a> {
    pub framing: Framing,
    pub ts_ms: Option<i64>,
    /// `web.1`, `router`, ... (the text prefix's `[PROCESS]`, or the syslog procid).
    pub process: Option<&'a [u8]>,
    pub msg: &'a [u8],
}

/// Runtime-metrics samples (new `sample#` form or one old `measure=` value).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Metrics<'a> {
    pub source: Option<&'a [u8]>,
    pub dyno: Option<&'a [u8]>,
    pub load_1m: Option<f64>,
    pub load_5m: Option<f64>,
    pub load_15m: Option<f64>,
    pub total: Option<f64>,
    pub rss: Option<f64>,
    pub cache: Option<f64>,
    pub swap: Option<f64>,
    pub pgpgin: Option<f64>,
    pub pgpgout: Option<f64>,
    pub quota: Option<f64>,
}

impl Metrics<'_> {
    pub fn has_load(&self) -> bool {
        self.load_1m.is_some() || self.load_5m.is_some() || self.load_15m.is_some()
    }
    pub fn has_memory(&self) -> bool {
        self.total.is_some()
            || self.rss.is_some()
            || self.cache.is_some()
            || self.swap.is_some()
            || self.pgpgin.is_some()
            || self.pgpgout.is_some()
            || self.quota.is_some()
    }
}

/// A router line's fields.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Router<'a> {
    pub error: bool,
    pub code: Option<&'a [u8]>,
    pub desc: Option<&'a [u8]>,
    pub method: Option<&'a [u8]>,
    pub path: Option<&'a [u8]>,
    pub host: Option<&'a [u8]>,
    pub dyno: Option<&'a [u8]>,
    pub connect_ms: Option<f64>,
    pub service_ms: Option<f64>,
    pub status: Option<u16>,
    pub bytes: Option<u64>,
    pub protocol: Option<&'a [u8]>,
}

/// What a message says.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Msg<'a> {
    Metrics(Metrics<'a>),
    Router(Router<'a>),
    /// `Process running mem=1028MB(103.3%)`.
    ProcessMem {
        mb: f64,
        percent: Option<f64>,
    },
    /// `Error R14 (Memory quota exceeded)`.
    R14,
    /// `Error R15 (Memory quota vastly exceeded)`.
    R15,
    /// A well-framed line that carries no telemetry (app output, state changes, ...).
    Other,
}

/// Why a record could not be parsed (a short, stable reason).
pub(crate) type Reason = &'static str;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn word(hay: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&hay[i..i + 8]);
    u64::from_le_bytes(b)
}

/// Bit 7 of each byte of the result is set where `w` has a byte equal to `pat`'s (exact for the
/// lowest match, which is all callers use).
#[inline(always)]
fn eq_mask(w: u64, pat: u64) -> u64 {
    let x = w ^ pat;
    x.wrapping_sub(LO) & !x & HI
}

/// The first `needle` in `hay`, eight bytes at a time: log fields are short, so this beats a
/// SIMD memchr's set-up cost.
#[inline]
pub(crate) fn find(hay: &[u8], needle: u8) -> Option<usize> {
    let pat = LO * u64::from(needle);
    let mut i = 0;
    while i + 8 <= hay.len() {
        let z = eq_mask(word(hay, i), pat);
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&b| b == needle).map(|p| i + p)
}

/// The first `a` or `b` in `hay`.
#[inline]
fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (LO * u64::from(a), LO * u64::from(b));
    let mut i = 0;
    while i + 8 <= hay.len() {
        let w = word(hay, i);
        let z = eq_mask(w, pa) | eq_mask(w, pb);
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..]
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| i + p)
}

/// Splits off the envelope.
pub(crate) fn frame(line: &[u8]) -> Result<Framed<'_>, Reason> {
    match line.first() {
        Some(b'<') => syslog(line),
        Some(b'0'..=b'9') => {
            // Either an octet count (`123 <40>1 ...`) or a text timestamp (`2012-...`).
            let n = line.iter().take_while(|b| b.is_ascii_digit()).count();
            match line.get(n) {
                Some(b' ') => Err("an octet-counted frame must be split by the framing layer"),
                Some(b'-') if n == 4 => text(line),
                _ => Err("not a Heroku log line (unknown prefix)"),
            }
        }
        _ => Ok(Framed {
            framing: Framing::Bare,
            ts_ms: None,
            process: None,
            msg: line,
        }),
    }
}

fn text(line: &[u8]) -> Result<Framed<'_>, Reason> {
    let sp = find(line, b' ').ok_or("text line has no space after the timestamp")?;
    let ts = parse_rfc3339_ms(&line[..sp]).ok_or("invalid timestamp")?;
    let rest = &line[sp + 1..];
    let open = find(rest, b'[').ok_or("text line has no SOURCE[PROCESS]: prefix")?;
    let src = &rest[..open];
    if src.is_empty() || find(src, b' ').is_some() {
        return Err("text line has no SOURCE[PROCESS]: prefix");
    }
    let after = &rest[open + 1..];
    let close = find(after, b']').ok_or("text line has no SOURCE[PROCESS]: prefix")?;
    let process = &after[..close];
    let tail = &after[close + 1..];
    let msg = tail
        .strip_prefix(b": ")
        .or_else(|| tail.strip_prefix(b":"))
        .ok_or("text line has no ': ' after SOURCE[PROCESS]")?;
    if process.is_empty() || process.contains(&b' ') {
        return Err("text line has an invalid [PROCESS]");
    }
    Ok(Framed {
        framing: Framing::Text,
        ts_ms: Some(ts),
        process: Some(process),
        msg,
    })
}

/// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID MSG`.
fn syslog(line: &[u8]) -> Result<Framed<'_>, Reason> {
    const BAD: Reason = "malformed RFC 5424 header (expected <PRI>1 TIMESTAMP HOST APP PROC - MSG)";
    let close = line.iter().take(6).position(|&b| b == b'>').ok_or(BAD)?;
    if close < 2 || !line[1..close].iter().all(u8::is_ascii_digit) {
        return Err(BAD);
    }
    let mut rest = line[close + 1..].strip_prefix(b"1 ").ok_or(BAD)?;
    let mut fields: [&[u8]; 5] = [&[]; 5];
    for f in &mut fields {
        let sp = find(rest, b' ');
        match sp {
            Some(i) => {
                *f = &rest[..i];
                rest = &rest[i + 1..];
            }
            None => {
                *f = rest;
                rest = &[];
            }
        }
        if f.is_empty() {
            return Err(BAD);
        }
    }
    let ts = parse_rfc3339_ms(fields[0]).ok_or("invalid timestamp")?;
    // Heroku puts the process in PROCID (`host app web.3 -`), but its own documentation also
    // shows `heroku web.3 d.<drain-token> -`: a drain token is never a process name.
    let process = if fields[3].starts_with(b"d.") && fields[3].len() >= 30 {
        fields[2]
    } else {
        fields[3]
    };
    Ok(Framed {
        framing: Framing::Syslog,
        ts_ms: Some(ts),
        process: Some(process),
        msg: rest,
    })
}

/// Decides what a message is.
pub(crate) fn parse_message<'a>(framed: &Framed<'a>) -> Result<Msg<'a>, Reason> {
    let msg = framed.msg;
    let bare = framed.framing == Framing::Bare;
    match msg.first() {
        Some(b's') if msg.starts_with(b"source=") || msg.starts_with(b"sample#") => metrics(msg),
        Some(b's') if msg.starts_with(b"sock=") => router(msg),
        Some(b'm') if msg.starts_with(b"measure=") => metrics(msg),
        Some(b'a') if msg.starts_with(b"at=") => router(msg),
        Some(b'P') if msg.starts_with(b"Process running mem=") => process_mem(msg),
        Some(b'E') if msg.starts_with(b"Error R14") => Ok(Msg::R14),
        Some(b'E') if msg.starts_with(b"Error R15") => Ok(Msg::R15),
        _ if framed.process == Some(b"router") => router(msg),
        _ if bare => Err("not a Heroku log line (no timestamp prefix and no known message)"),
        _ => Ok(Msg::Other),
    }
}

/// Iterates `key=value` pairs separated by spaces; values may be `"quoted"` or empty.
struct Pairs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), Reason>;
    fn next(&mut self) -> Option<Self::Item> {
        while let [b' ', tail @ ..] = self.rest {
            self.rest = tail;
        }
        if self.rest.is_empty() {
            return None;
        }
        let Some(eq) = find2(self.rest, b'=', b' ') else {
            self.rest = &[];
            return Some(Err("a field has no '='"));
        };
        if self.rest[eq] != b'=' || eq == 0 {
            self.rest = &[];
            return Some(Err("a field has no '='"));
        }
        let key = &self.rest[..eq];
        let v = &self.rest[eq + 1..];
        if let [b'"', inner @ ..] = v {
            // A quoted value ends at a quote followed by a space or the end.
            let mut i = 0;
            loop {
                match find(&inner[i..], b'"') {
                    Some(q) => {
                        let end = i + q;
                        if end + 1 == inner.len() || inner[end + 1] == b' ' {
                            self.rest = &inner[end + 1..];
                            return Some(Ok((key, &inner[..end])));
                        }
                        i = end + 1;
                    }
                    None => {
                        self.rest = &[];
                        return Some(Err("an unterminated quoted value"));
                    }
                }
            }
        }
        let end = find(v, b' ').unwrap_or(v.len());
        self.rest = &v[end..];
        Some(Ok((key, &v[..end])))
    }
}

const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// A plain decimal number (`21.00`, `-3`, `.5`): no `NaN`, `inf` or exponent.
pub(crate) fn number(s: &[u8]) -> Option<f64> {
    match number_unit(s)? {
        (v, []) => Some(v),
        _ => None,
    }
}

/// A number followed by a unit (`21.00MB`, `348836pages`, `18ms`); returns the number and unit.
fn number_unit(s: &[u8]) -> Option<(f64, &[u8])> {
    let (neg, body) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let mut i = 0;
    let mut mant = 0u64;
    while i < body.len() && body[i].is_ascii_digit() {
        mant = mant
            .wrapping_mul(10)
            .wrapping_add(u64::from(body[i] - b'0'));
        i += 1;
    }
    let int_digits = i;
    let mut frac = 0;
    if i < body.len() && body[i] == b'.' {
        i += 1;
        let start = i;
        while i < body.len() && body[i].is_ascii_digit() {
            mant = mant
                .wrapping_mul(10)
                .wrapping_add(u64::from(body[i] - b'0'));
            i += 1;
        }
        frac = i - start;
    }
    let digits = int_digits + frac;
    if digits == 0 {
        return None;
    }
    let v = if digits <= 18 {
        // Exact: both operands are exactly representable and IEEE division rounds once.
        mant as f64 / POW10[frac]
    } else {
        std::str::from_utf8(&body[..i])
            .ok()?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())?
    };
    Some((if neg { -v } else { v }, &body[i..]))
}

/// A memory amount in MB (Heroku's MB are MiB); kB and GB are converted.
fn megabytes(s: &[u8]) -> Option<f64> {
    let (v, unit) = number_unit(s)?;
    scale_megabytes(v, unit)
}

fn scale_megabytes(v: f64, unit: &[u8]) -> Option<f64> {
    match unit {
        b"MB" | b"" | b"M" | b"MiB" => Some(v),
        b"kB" | b"KB" | b"KiB" => Some(v / 1024.0),
        b"GB" | b"GiB" => Some(v * 1024.0),
        b"B" => Some(v / (1024.0 * 1024.0)),
        _ => None,
    }
}

fn pages(s: &[u8]) -> Option<f64> {
    let (v, unit) = number_unit(s)?;
    matches!(unit, b"pages" | b"").then_some(v)
}

fn set_metric(
    m: &mut Metrics<'_>,
    key: &[u8],
    value: &[u8],
    units: Option<&[u8]>,
) -> Result<(), Reason> {
    const BAD: Reason = "invalid runtime-metrics value";
    let mem = |value: &[u8]| match units {
        Some(u) => scale_megabytes(number(value)?, u),
        None => megabytes(value),
    };
    match key {
        b"load_avg_1m" => m.load_1m = Some(number(value).ok_or(BAD)?),
        b"load_avg_5m" => m.load_5m = Some(number(value).ok_or(BAD)?),
        b"load_avg_15m" => m.load_15m = Some(number(value).ok_or(BAD)?),
        b"memory_total" => m.total = Some(mem(value).ok_or(BAD)?),
        b"memory_rss" => m.rss = Some(mem(value).ok_or(BAD)?),
        b"memory_cache" => m.cache = Some(mem(value).ok_or(BAD)?),
        b"memory_swap" => m.swap = Some(mem(value).ok_or(BAD)?),
        b"memory_quota" => m.quota = Some(mem(value).ok_or(BAD)?),
        b"memory_pgpgin" => m.pgpgin = Some(pages(value).ok_or(BAD)?),
        b"memory_pgpgout" => m.pgpgout = Some(pages(value).ok_or(BAD)?),
        _ => {}
    }
    Ok(())
}

fn metrics(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    let mut m = Metrics::default();
    let mut measure: Option<&[u8]> = None;
    let mut val: Option<&[u8]> = None;
    let mut units: Option<&[u8]> = None;
    for pair in (Pairs { rest: msg }) {
        let (k, v) = pair?;
        match k {
            b"source" => m.source = Some(v),
            b"dyno" => m.dyno = Some(v),
            b"measure" => measure = Some(v),
            b"val" => val = Some(v),
            b"units" => units = Some(v),
            _ => {
                if let Some(key) = k.strip_prefix(b"sample#") {
                    set_metric(&mut m, key, v, None)?;
                }
            }
        }
    }
    match (measure, val) {
        (Some(name), Some(v)) => set_metric(&mut m, name, v, units)?,
        (Some(_), None) => return Err("measure= without val="),
        _ => {}
    }
    if !m.has_load() && !m.has_memory() {
        // e.g. Heroku Postgres / Redis metrics lines: well-formed, not dyno telemetry.
        return Ok(Msg::Other);
    }
    Ok(Msg::Metrics(m))
}

fn opt(v: &[u8]) -> Option<&[u8]> {
    if v.is_empty() { None } else { Some(v) }
}

fn router(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    const BAD: Reason = "invalid router field value";
    let mut r = Router::default();
    let mut at = false;
    let ms = |v: &[u8]| -> Result<Option<f64>, Reason> {
        if v.is_empty() {
            return Ok(None);
        }
        match number_unit(v) {
            Some((x, b"ms" | b"")) if x >= 0.0 => Ok(Some(x)),
            _ => Err(BAD),
        }
    };
    for pair in (Pairs { rest: msg }) {
        let (k, v) = pair?;
        match k {
            b"at" => {
                at = true;
                r.error = match v {
                    b"info" => false,
                    b"error" | b"warning" => true,
                    _ => return Err("router at= must be info, warning or error"),
                }
            }
            b"code" => r.code = opt(v),
            b"desc" => r.desc = opt(v),
            b"method" => r.method = opt(v),
            b"path" => r.path = Some(v),
            b"host" => r.host = opt(v),
            b"dyno" => r.dyno = opt(v),
            b"connect" => r.connect_ms = ms(v)?,
            b"service" => r.service_ms = ms(v)?,
            b"status" if !v.is_empty() => {
                let s = number(v).filter(|s| s.fract() == 0.0 && (100.0..=999.0).contains(s));
                r.status = Some(s.ok_or(BAD)? as u16);
            }
            b"bytes" if !v.is_empty() => {
                let b = number(v).filter(|b| b.fract() == 0.0 && *b >= 0.0);
                r.bytes = Some(b.ok_or(BAD)? as u64);
            }
            b"protocol" => r.protocol = opt(v),
            _ => {}
        }
    }
    if !at {
        return Err("router line without at=");
    }
    Ok(Msg::Router(r))
}

fn process_mem(msg: &[u8]) -> Result<Msg<'_>, Reason> {
    const BAD: Reason = "invalid 'Process running mem=' value";
    let rest = &msg[b"Process running mem=".len()..];
    let end = rest
        .iter()
        .position(|&b| b == b'(' || b == b' ')
        .unwrap_or(rest.len());
    let mb = megabytes(&rest[..end]).ok_or(BAD)?;
    let percent = match rest[end..].strip_prefix(b"(") {
        Some(p) => {
            let close = memchr::memchr(b')', p).ok_or(BAD)?;
            let pct = p[..close].strip_suffix(b"%").ok_or(BAD)?;
            Some(number(pct).ok_or(BAD)?)
        }
        None => None,
    };
    Ok(Msg::ProcessMem { mb, percent })
}

/// The process type of a dyno source: `web.1` → `web`, `worker` → `worker`.
pub(crate) fn process_type(source: &[u8]) -> &[u8] {
    match memchr::memrchr(b'.', source) {
        Some(i) if i > 0 => &source[..i],
        _ => source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reject_nan_inf_and_garbage() {
        assert_eq!(number(b"21.00"), Some(21.0));
        assert_eq!(number(b"2.46"), Some(2.46));
        assert_eq!(number(b"-0.5"), Some(-0.5));
        assert_eq!(
            number(b"123456789012345678901"),
            Some(123456789012345678901.0)
        );
        for bad in [&b"NaN"[..], b"inf", b"", b".", b"1e5", b"1.2.3", b"-"] {
            assert_eq!(number(bad), None);
        }
        assert_eq!(megabytes(b"NaNMB"), None);
        assert_eq!(megabytes(b"1.5GB"), Some(1536.0));
    }

    #[test]
    fn pairs_handle_quoted_bare_and_empty() {
        let got: Vec<_> = (Pairs {
            rest: br#"a="x y" b=1 c= d="""#,
        })
        .map(|p| p.unwrap())
        .collect();
        assert_eq!(
            got,
            vec![
                (&b"a"[..], &b"x y"[..]),
                (b"b", b"1"),
                (b"c", b""),
                (b"d", b"")
            ]
        );
        assert!((Pairs { rest: br#"a="x"# }).next().unwrap().is_err());
    }

    #[test]
    fn process_types() {
        assert_eq!(process_type(b"web.1"), b"web");
        assert_eq!(process_type(b"run.worker.12"), b"run.worker");
        assert_eq!(process_type(b"worker"), b"worker");
    }
}

#[cfg(test)]
mod swar_tests {
    use super::*;
    use proptest::prelude::*;

    type Owned = Result<(Vec<u8>, Vec<u8>), Reason>;

    /// The straightforward definition the word-wise iterator must agree with.
    fn reference(mut rest: &[u8]) -> Vec<Owned> {
        let mut out = Vec::new();
        loop {
            while let [b' ', tail @ ..] = rest {
                rest = tail;
            }
            if rest.is_empty() {
                return out;
            }
            let eq = rest.iter().position(|&b| b == b'=' || b == b' ');
            let Some(eq) = eq.filter(|&i| rest[i] == b'=' && i > 0) else {
                out.push(Err("a field has no '='"));
                return out;
            };
            let key = rest[..eq].to_vec();
            let v = &rest[eq + 1..];
            if let [b'"', inner @ ..] = v {
                let close = (0..inner.len())
                    .find(|&i| inner[i] == b'"' && (i + 1 == inner.len() || inner[i + 1] == b' '));
                match close {
                    Some(c) => {
                        out.push(Ok((key, inner[..c].to_vec())));
                        rest = &inner[c + 1..];
                    }
                    None => {
                        out.push(Err("an unterminated quoted value"));
                        return out;
                    }
                }
                continue;
            }
            let end = v.iter().position(|&b| b == b' ').unwrap_or(v.len());
            out.push(Ok((key, v[..end].to_vec())));
            rest = &v[end..];
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn pairs_agree_with_the_reference(
            msg in proptest::collection::vec(
                prop_oneof![Just(b' '), Just(b'='), Just(b'"'), Just(b'a'), Just(b'\xa0'), any::<u8>()],
                0..300,
            )
        ) {
            let got: Vec<_> = (Pairs { rest: &msg })
                .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())))
                .collect();
            prop_assert_eq!(got, reference(&msg));
        }
    }

    #[test]
    fn find_agrees_with_a_plain_scan() {
        let hay = b"at=info method=GET path=\"/a b\" dyno=web.1 \x80\xff= x";
        for start in 0..hay.len() {
            let h = &hay[start..];
            for needle in [b' ', b'=', b'"', b'\xff', b'z'] {
                assert_eq!(find(h, needle), h.iter().position(|&b| b == needle));
            }
            assert_eq!(
                find2(h, b'=', b' '),
                h.iter().position(|&b| b == b'=' || b == b' ')
            );
        }
    }
}

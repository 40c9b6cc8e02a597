//! Byte search for the parser: word-at-a-time and SSE2 scans for one byte, the field
//! delimiters of a logfmt message, and its `key=value` pairs.

use super::Reason;

pub(super) const LO: u64 = 0x0101_0101_0101_0101;
pub(super) const HI: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
pub(super) fn word(hay: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&hay[i..i + 8]);
    u64::from_le_bytes(b)
}

/// Bit 7 of each byte of the result is set where `w` has a byte equal to `pat`'s (exact for the
/// lowest match, which is all callers use).
#[inline(always)]
pub(super) fn eq_mask(w: u64, pat: u64) -> u64 {
    let x = w ^ pat;
    x.wrapping_sub(LO) & !x & HI
}

/// The first `needle` in `hay`, sixteen bytes at a time ([`eq16`]); log fields are short, so
/// this beats a general memchr's set-up cost.
#[inline]
pub(crate) fn find(hay: &[u8], needle: u8) -> Option<usize> {
    let at = find_from(hay, 0, needle);
    (at < hay.len()).then_some(at)
}

/// The first `needle` at or after index `from` of `hay`, or `hay.len()` if there is none.
#[inline]
pub(super) fn find_from(hay: &[u8], from: usize, needle: u8) -> usize {
    let len = hay.len();
    let mut i = from;
    while i + 16 <= len {
        let m = eq16(hay, i, needle);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    if i >= len {
        return len;
    }
    if len >= 16 {
        // The last, partial chunk: the final 16 bytes, without those already searched.
        let m = eq16(hay, len - 16, needle) >> (i - (len - 16));
        return if m != 0 {
            i + m.trailing_zeros() as usize
        } else {
            len
        };
    }
    let pat = LO * u64::from(needle);
    if i + 8 <= len {
        let z = eq_mask(word(hay, i), pat);
        if z != 0 {
            return i + (z.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    hay[i..]
        .iter()
        .position(|&b| b == needle)
        .map_or(len, |p| i + p)
}

/// Bit `i` of the result is set where byte `at + i` of `hay` (16 bytes from `at`) equals
/// `needle`: one SSE2 byte compare and one movemask instead of sixteen byte tests.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) fn eq16(hay: &[u8], at: usize, needle: u8) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    // The bytes are read with an ordinary bounds-checked slice load; only register operations
    // are left to the intrinsics.
    let chunk: [u8; 16] = hay[at..at + 16].try_into().expect("16 bytes");
    let w = u128::from_le_bytes(chunk);
    let (lo, hi) = (w as u64 as i64, (w >> 64) as u64 as i64);
    // SAFETY: these intrinsics only require SSE2, which every x86_64 CPU has (it is part of
    // the x86_64 baseline and enabled for every x86_64 Rust target); they take and return
    // values, never pointers, so there is no memory-safety condition to uphold. The tests
    // `delimiter_bitmaps_are_exact_at_every_length_and_offset` and
    // `find_agrees_with_a_plain_scan` check the results against a plain byte scan.
    unsafe {
        let v = _mm_set_epi64x(hi, lo);
        let eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(needle as i8));
        u64::from(_mm_movemask_epi8(eq) as u16)
    }
}

/// The portable version of the x86_64 [`eq16`].
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(super) fn eq16(hay: &[u8], at: usize, needle: u8) -> u64 {
    hay[at..at + 16]
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | u64::from(b == needle) << i)
}

/// Bit `i` of the result is set where byte `at + i` of `hay` (16 bytes from `at`) is a space,
/// `=` or `"`.
#[inline(always)]
pub(super) fn delims16(hay: &[u8], at: usize) -> u64 {
    eq16(hay, at, b' ') | eq16(hay, at, b'=') | eq16(hay, at, b'"')
}

/// Finds the delimiters (space, `=`, `"`) of a message 64 bytes at a time: a block's bitmap
/// is computed once with wide compares and then popped bit by bit, so the message is scanned
/// once however many fields it has.
pub(super) struct Delims<'a> {
    pub(super) hay: &'a [u8],
    /// Start of the block `mask` describes (a multiple of 64), or `usize::MAX` before the first.
    pub(super) base: usize,
    pub(super) mask: u64,
}

impl<'a> Delims<'a> {
    #[inline]
    pub(super) fn new(hay: &'a [u8]) -> Delims<'a> {
        Delims {
            hay,
            base: usize::MAX,
            mask: 0,
        }
    }

    #[inline(always)]
    pub(super) fn load(&mut self, base: usize) {
        let hay = self.hay;
        let len = hay.len();
        let mut mask = 0u64;
        let mut k = 0;
        while k < 64 && base + k < len {
            let at = base + k;
            if at + 16 <= len {
                mask |= delims16(hay, at) << k;
            } else if len >= 16 {
                // The last, partial chunk: the final 16 bytes, shifted to start at `at`.
                let start = len - 16;
                mask |= (delims16(hay, start) >> (at - start)) << k;
            } else {
                for (i, &b) in hay[at..].iter().enumerate() {
                    mask |= u64::from(matches!(b, b' ' | b'=' | b'"')) << (k + i);
                }
            }
            k += 16;
        }
        self.base = base;
        self.mask = mask;
    }

    /// The first space, `=` or `"` at or after `pos`.
    #[inline(always)]
    pub(super) fn next_from(&mut self, pos: usize) -> Option<usize> {
        if pos >= self.hay.len() {
            return None;
        }
        let block = pos & !63;
        if block != self.base {
            self.load(block);
        }
        let mut m = self.mask & (!0u64 << (pos & 63));
        loop {
            if m != 0 {
                return Some(self.base + m.trailing_zeros() as usize);
            }
            let next = self.base + 64;
            if next >= self.hay.len() {
                return None;
            }
            self.load(next);
            m = self.mask;
        }
    }
}

/// One `key=value` pair, or why the message could not be split.
pub(super) type PairResult<'a> = Result<(&'a [u8], &'a [u8]), Reason>;

/// Iterates `key=value` pairs separated by spaces; values may be `"quoted"` or empty.
pub(super) struct Pairs<'a> {
    pub(super) msg: &'a [u8],
    pub(super) pos: usize,
    pub(super) delims: Delims<'a>,
}

impl<'a> Pairs<'a> {
    #[inline]
    pub(super) fn new(msg: &'a [u8]) -> Pairs<'a> {
        Pairs {
            msg,
            pos: 0,
            delims: Delims::new(msg),
        }
    }

    #[inline]
    pub(super) fn fail(&mut self, reason: Reason) -> Option<PairResult<'a>> {
        self.pos = self.msg.len();
        Some(Err(reason))
    }
}

/// How many pairs [`Pairs::batch`] splits at a time.
pub(super) const PAIR_BATCH: usize = 16;

impl<'a> Pairs<'a> {
    /// Splits up to `out.len()` pairs into `out`: how many, and the error that stopped the
    /// splitting (after those pairs), if any. Fewer than `out.len()` without an error means
    /// the message is done.
    #[inline(never)]
    pub(super) fn batch(
        &mut self,
        out: &mut [(&'a [u8], &'a [u8]); PAIR_BATCH],
    ) -> (usize, Option<Reason>) {
        let mut n = 0;
        while n < out.len() {
            match self.next() {
                None => break,
                Some(Ok(kv)) => {
                    out[n] = kv;
                    n += 1;
                }
                Some(Err(e)) => return (n, Some(e)),
            }
        }
        (n, None)
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = PairResult<'a>;
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let msg = self.msg;
        let mut start = self.pos;
        while start < msg.len() && msg[start] == b' ' {
            start += 1;
        }
        if start >= msg.len() {
            self.pos = msg.len();
            return None;
        }
        // The key ends at the first `=` (a space first means a field without `=`).
        let mut from = start;
        let eq = loop {
            match self.delims.next_from(from) {
                None => return self.fail("a field has no '='"),
                Some(i) if msg[i] == b'"' => from = i + 1,
                Some(i) => break i,
            }
        };
        if msg[eq] != b'=' || eq == start {
            return self.fail("a field has no '='");
        }
        let key = &msg[start..eq];
        if msg.get(eq + 1) == Some(&b'"') {
            // A quoted value ends at a quote followed by a space or the end.
            let inner = eq + 2;
            let mut from = inner;
            loop {
                match self.delims.next_from(from) {
                    None => return self.fail("an unterminated quoted value"),
                    Some(i) if msg[i] == b'"' && (i + 1 == msg.len() || msg[i + 1] == b' ') => {
                        self.pos = i + 1;
                        return Some(Ok((key, &msg[inner..i])));
                    }
                    Some(i) => from = i + 1,
                }
            }
        }
        let mut from = eq + 1;
        let end = loop {
            match self.delims.next_from(from) {
                None => break msg.len(),
                Some(i) if msg[i] == b' ' => break i,
                Some(i) => from = i + 1,
            }
        };
        self.pos = end;
        Some(Ok((key, &msg[eq + 1..end])))
    }
}

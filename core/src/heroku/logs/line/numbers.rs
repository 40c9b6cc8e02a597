//! Numbers as Heroku writes them: decimals with an optional unit (`123.4MB`, `56pages`),
//! read without allocating.

pub(super) const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// A plain decimal number (`21.00`, `-3`, `.5`): no `NaN`, `inf` or exponent.
#[inline]
pub(crate) fn number(s: &[u8]) -> Option<f64> {
    match number_unit(s)? {
        (v, []) => Some(v),
        _ => None,
    }
}

/// A number followed by a unit (`21.00MB`, `348836pages`, `18ms`); returns the number and unit.
#[inline]
pub(super) fn number_unit(s: &[u8]) -> Option<(f64, &[u8])> {
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

/// The common case of [`number_unit`] on an integer: 1 to 15 digits (so exactly an `f64`)
/// not followed by a `.` or another digit, and the rest. `None` means "use `number_unit`",
/// which gives the same value for anything this accepts.
#[inline(always)]
pub(super) fn small_uint(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    let mut i = 0;
    while i < s.len() && i < 16 {
        let d = s[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v * 10 + u64::from(d);
        i += 1;
    }
    if i == 0 || i > 15 || s.get(i) == Some(&b'.') {
        return None;
    }
    Some((v, &s[i..]))
}

/// A memory amount in MB (Heroku's MB are MiB); kB and GB are converted.
#[inline]
pub(super) fn megabytes(s: &[u8]) -> Option<f64> {
    let (v, unit) = number_unit(s)?;
    scale_megabytes(v, unit)
}

#[inline]
pub(super) fn scale_megabytes(v: f64, unit: &[u8]) -> Option<f64> {
    match unit {
        b"MB" | b"" | b"M" | b"MiB" => Some(v),
        b"kB" | b"KB" | b"KiB" => Some(v / 1024.0),
        b"GB" | b"GiB" => Some(v * 1024.0),
        b"B" => Some(v / (1024.0 * 1024.0)),
        _ => None,
    }
}

#[inline]
pub(super) fn pages(s: &[u8]) -> Option<f64> {
    let (v, unit) = number_unit(s)?;
    matches!(unit, b"pages" | b"").then_some(v)
}

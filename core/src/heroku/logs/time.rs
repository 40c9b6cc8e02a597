//! RFC 3339 timestamps (`2018-08-10T08:20:12.324796+00:00`, `2012-10-11T03:47:20Z`) parsed by
//! hand into unix milliseconds: log ingestion parses one per line, so this must be cheap.

/// Parses an RFC 3339 timestamp with a `Z` or `±HH:MM` offset (fraction optional, any number of
/// digits, truncated to milliseconds) into unix milliseconds. `None` if it is not one.
pub fn parse_rfc3339_ms(s: &[u8]) -> Option<i64> {
    parse_rfc3339_ms_cached(s, &mut MinuteCache::default())
}

/// The last `YYYY-MM-DDTHH:MM` seen and its unix seconds: consecutive log lines almost always
/// share the minute, so the date and time-of-day arithmetic and most of the validation are
/// done once per minute instead of once per line.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MinuteCache {
    /// Whether `key` holds a validated `YYYY-MM-DDTHH:MM`.
    valid: bool,
    /// The 16 bytes of the last valid `YYYY-MM-DDTHH:MM`.
    key: [u8; 16],
    /// Its unix seconds.
    secs: i64,
    /// The clock's unix milliseconds when first asked (for dates without a year), 0 before.
    now_ms: i64,
}

impl MinuteCache {
    /// Now, read from the system clock once per cache (one ingest gives one answer).
    pub(crate) fn now_ms(&mut self) -> i64 {
        if self.now_ms == 0 {
            self.now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
        }
        self.now_ms
    }
}

/// [`parse_rfc3339_ms`] with a cache of the last minute; the result is the same for any cache.
pub(crate) fn parse_rfc3339_ms_cached(s: &[u8], cache: &mut MinuteCache) -> Option<i64> {
    if s.len() < 20 {
        return None;
    }
    let key = u128::from_le_bytes(s[..16].try_into().ok()?);
    let minute = if cache.valid && key == u128::from_le_bytes(cache.key) {
        if s.len() == 32 {
            // Heroku's own form, `:SS.ffffff+HH:MM` after the minute: fixed positions.
            if let Some(ms) = seconds_micros_offset(s, cache.secs) {
                return Some(ms);
            }
        }
        cache.secs
    } else {
        let secs = minute_secs(s)?;
        cache.key.copy_from_slice(&s[..16]);
        cache.secs = secs;
        cache.valid = true;
        secs
    };
    if s[16] != b':' {
        return None;
    }
    let second = digits(&s[17..19])?;
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let millis = fraction_ms(s, &mut i)?;
    let offset_s: i64 = match s.get(i)? {
        b'Z' | b'z' if i + 1 == s.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == s.len() && s[i + 3] == b':' => {
            let oh = digits(&s[i + 1..i + 3])? as i64;
            let om = digits(&s[i + 4..i + 6])? as i64;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    let secs = minute + i64::from(second) - offset_s;
    Some(secs * 1000 + millis)
}

/// The milliseconds of an optional `.fff…` fraction at `s[*i]` (digits past the third are
/// skipped), moving `*i` past it; `None` for a `.` without digits.
fn fraction_ms(s: &[u8], i: &mut usize) -> Option<i64> {
    if s.get(*i) != Some(&b'.') {
        return Some(0);
    }
    *i += 1;
    let start = *i;
    let mut millis = 0i64;
    while *i < s.len() && s[*i].is_ascii_digit() {
        if *i - start < 3 {
            millis = millis * 10 + i64::from(s[*i] - b'0');
        }
        *i += 1;
    }
    let n = *i - start;
    if n == 0 {
        return None;
    }
    for _ in n..3 {
        millis *= 10;
    }
    Some(millis)
}

/// A Papertrail timestamp: `YYYY-MM-DD[T ]HH:MM:SS[.fff]`, then nothing (no zone: read as
/// UTC), `Z`, or an offset `±HH:MM` / `±HHMM`, with or without a space before it. Unix
/// milliseconds and whether a zone was given.
pub(crate) fn parse_papertrail_ms(s: &[u8]) -> Option<(i64, bool)> {
    if s.len() < 19 || s[16] != b':' {
        return None;
    }
    let minute = minute_secs(s)?;
    let second = digits(&s[17..19])?;
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let millis = fraction_ms(s, &mut i)?;
    let local = (minute + i64::from(second)) * 1000 + millis;
    let mut zone = &s[i..];
    if zone.is_empty() {
        return Some((local, false));
    }
    if let [b' ', rest @ ..] = zone {
        zone = rest;
    }
    let offset_s: i64 = match zone {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, rest @ ..] => {
            let mm = match rest {
                [b':', m1, m2] | [m1, m2] => [*m1, *m2],
                _ => return None,
            };
            let oh = i64::from(digits(&[*h1, *h2])?);
            let om = i64::from(digits(&mm)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    Some((local - offset_s * 1000, true))
}

/// Unix milliseconds of a date without a year (`Mon DD HH:MM:SS`, month 1..=12, the time of
/// day in seconds) in the most recent year in which it is not more than a day after `now_ms`.
pub(crate) fn without_year_ms(
    month: u32,
    day: u32,
    time_of_day_s: i64,
    now_ms: i64,
) -> Option<i64> {
    let (this_year, _, _) = civil_from_days(now_ms.div_euclid(86_400_000));
    (this_year - 8..=this_year + 1)
        .rev()
        .filter(|&y| (1..=12).contains(&month) && day >= 1 && day <= days_in_month(y, month))
        .map(|y| (days_from_civil(y, month, day) * 86_400 + time_of_day_s) * 1000)
        .find(|&ms| ms <= now_ms + 86_400_000)
}

/// A mask with `byte` in each lane of `lanes` (a 16-lane little-endian u128).
const fn lanes(lanes: &[usize], byte: u8) -> u128 {
    let mut m = 0u128;
    let mut i = 0;
    while i < lanes.len() {
        m |= (byte as u128) << (8 * lanes[i]);
        i += 1;
    }
    m
}

/// In `:SS.ffffff+HH:MM` (bytes 16..32 of Heroku's timestamps): the digit lanes and the fixed
/// `:`, `.`, `:` lanes (the sign is checked on its own).
const DIGIT_LANES: [usize; 12] = [1, 2, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15];
const COLON_LANES: [usize; 2] = [0, 13];
const DOT_LANE: [usize; 1] = [3];
const FIXED_MASK: u128 = lanes(&COLON_LANES, 0xff) | lanes(&DOT_LANE, 0xff);
const FIXED: u128 = lanes(&COLON_LANES, b':') | lanes(&DOT_LANE, b'.');
const HIGH_NIBBLES: u128 = lanes(&DIGIT_LANES, 0xf0);
const DIGIT_HIGH: u128 = lanes(&DIGIT_LANES, 0x30);
const PLUS_SIX: u128 = lanes(&DIGIT_LANES, 0x06);

/// The rest of a 32-byte timestamp after its minute, `:SS.ffffff+HH:MM` (or `-HH:MM`), as unix
/// milliseconds given the minute's seconds; `None` if it is not exactly that form (the general
/// parser then decides). The same result as the general parser for what it accepts. The form is
/// checked as one 16-byte word: the fixed bytes by a mask, the twelve digits by their high nibble
/// being 3 before and after adding 6 (which no digit lane can carry out of once the first check
/// passed).
#[inline(always)]
fn seconds_micros_offset(s: &[u8], minute: i64) -> Option<i64> {
    let t: &[u8; 32] = s.try_into().ok()?;
    let w = u128::from_le_bytes(t[16..32].try_into().ok()?);
    if w & FIXED_MASK != FIXED
        || w & HIGH_NIBBLES != DIGIT_HIGH
        || w.wrapping_add(PLUS_SIX) & HIGH_NIBBLES != DIGIT_HIGH
    {
        return None;
    }
    let d = |i: usize| i64::from(t[i] - b'0');
    let second = d(17) * 10 + d(18);
    let millis = d(20) * 100 + d(21) * 10 + d(22);
    let oh = d(27) * 10 + d(28);
    let om = d(30) * 10 + d(31);
    if second > 60 || oh > 23 || om > 59 {
        return None;
    }
    let off = oh * 3600 + om * 60;
    let off = match t[26] {
        b'+' => off,
        b'-' => -off,
        _ => return None,
    };
    Some((minute + second - off) * 1000 + millis)
}

/// Unix seconds of a validated `YYYY-MM-DDTHH:MM` (the first 16 bytes of `s`, `s.len() >= 16`).
fn minute_secs(s: &[u8]) -> Option<i64> {
    let year = digits(&s[0..4])? as i64;
    if s[4] != b'-' || s[7] != b'-' || !(s[10] == b'T' || s[10] == b't' || s[10] == b' ') {
        return None;
    }
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    if s[13] != b':' {
        return None;
    }
    let hour = digits(&s[11..13])?;
    let minute = digits(&s[14..16])?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || year < 1970
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60)
}

fn digits(s: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
pub fn format_rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_fractions_and_zulu() {
        assert_eq!(
            parse_rfc3339_ms(b"2012-10-11T03:47:20+00:00"),
            Some(1_349_927_240_000)
        );
        assert_eq!(
            parse_rfc3339_ms(b"2012-10-11T03:47:20Z"),
            Some(1_349_927_240_000)
        );
        // -07:00 means UTC is 7 hours later.
        assert_eq!(
            parse_rfc3339_ms(b"2010-10-06T21:51:12-07:00"),
            parse_rfc3339_ms(b"2010-10-07T04:51:12+00:00")
        );
        assert_eq!(
            parse_rfc3339_ms(b"2018-08-10T08:20:12.324796+00:00"),
            Some(1_533_889_212_324)
        );
        assert_eq!(
            parse_rfc3339_ms(b"2018-08-10T08:20:12.3+00:00"),
            Some(1_533_889_212_300)
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b"2012-13-11T03:47:20Z"[..],
            b"2012-02-30T03:47:20Z",
            b"2012-10-11T03:47:20",
            b"2012-10-11T03:47:20+0000",
            b"2012-10-11T03:47:20.+00:00",
            b"2012-10-11 03:47:2x+00:00",
            b"1969-12-31T23:59:59Z",
            b"",
        ] {
            assert_eq!(
                parse_rfc3339_ms(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_minute_cache_never_changes_a_result() {
        let cases: &[&[u8]] = &[
            b"2018-08-10T08:20:12.324796+00:00",
            b"2018-08-10T08:20:59Z",
            b"2018-08-10T08:20:60.5-07:30",
            b"2018-08-10T08:20:61Z",
            b"2018-08-10T08:20:1xZ",
            b"2018-08-10T08:20;12Z",
            b"2018-08-10T08:21:00+24:00",
            b"2018-02-29T08:21:00Z",
            b"2016-02-29T08:21:00Z",
            b"2018-08-10 08:21:00.+00:00",
            b"1969-12-31T23:59:59Z",
            b"2018-08-10T08:21:00+00:00x",
            b"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0:00Z",
            b"short",
        ];
        let mut cache = MinuteCache::default();
        for _ in 0..2 {
            for a in cases {
                for b in cases {
                    assert_eq!(parse_rfc3339_ms_cached(a, &mut cache), parse_rfc3339_ms(a));
                    assert_eq!(parse_rfc3339_ms_cached(b, &mut cache), parse_rfc3339_ms(b));
                }
            }
        }
    }

    /// The fixed-position path (a warm cache and a 32-byte timestamp) against the general
    /// parser (a cold cache), on Heroku's form with any one byte after the minute changed.
    #[test]
    fn the_fixed_position_path_agrees_with_the_general_parser() {
        let base = *b"2018-08-10T08:20:12.324796+00:00";
        let alphabet = [
            b'0', b'5', b'9', b':', b'.', b'+', b'-', b'Z', b' ', b'/', b'a', b'?', 0xfa, 0xff,
        ];
        let mut warm = MinuteCache::default();
        assert_eq!(
            parse_rfc3339_ms_cached(&base, &mut warm),
            parse_rfc3339_ms(&base)
        );
        let mut checked = 0;
        for at in 16..32 {
            for &b in &alphabet {
                for &c in &alphabet {
                    let mut t = base;
                    t[at] = b;
                    t[(at + 7) % 16 + 16] = c;
                    assert_eq!(
                        parse_rfc3339_ms_cached(&t, &mut warm),
                        parse_rfc3339_ms(&t),
                        "{}",
                        String::from_utf8_lossy(&t)
                    );
                    checked += usize::from(parse_rfc3339_ms(&t).is_some());
                }
            }
        }
        // Some of the changed timestamps are still valid (other digits, another offset sign).
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn papertrail_times_with_and_without_zones() {
        let utc = parse_rfc3339_ms(b"2017-02-14T03:41:49Z").unwrap();
        assert_eq!(
            parse_papertrail_ms(b"2017-02-14T03:41:49"),
            Some((utc, false))
        );
        assert_eq!(
            parse_papertrail_ms(b"2017-02-14T03:41:49Z"),
            Some((utc, true))
        );
        assert_eq!(
            parse_papertrail_ms(b"2017-02-14 03:41:49"),
            Some((utc, false))
        );
        assert_eq!(
            parse_papertrail_ms(b"2017-02-13 19:41:49 -0800"),
            Some((utc, true))
        );
        assert_eq!(
            parse_papertrail_ms(b"2017-02-14T04:41:49+01:00"),
            Some((utc, true))
        );
        assert_eq!(
            parse_papertrail_ms(b"2017-02-14T03:41:49.25"),
            Some((utc + 250, false))
        );
        for bad in [
            &b"2017-02-14T03:41"[..],
            b"2017-02-14T03:41:49 x",
            b"2017-02-30 00:00:00",
        ] {
            assert_eq!(parse_papertrail_ms(bad), None);
        }
    }

    #[test]
    fn dates_without_a_year_take_the_latest_year_not_in_the_future() {
        let now = parse_rfc3339_ms(b"2026-12-07T13:00:00Z").unwrap();
        let day = |s: &[u8]| parse_rfc3339_ms(s).unwrap();
        assert_eq!(
            without_year_ms(12, 7, 12 * 3600, now),
            Some(day(b"2026-12-07T12:00:00Z"))
        );
        // Tomorrow is still this year (clocks differ); later dates are last year's.
        assert_eq!(
            without_year_ms(12, 8, 0, now),
            Some(day(b"2026-12-08T00:00:00Z"))
        );
        assert_eq!(
            without_year_ms(12, 25, 0, now),
            Some(day(b"2025-12-25T00:00:00Z"))
        );
        assert_eq!(
            without_year_ms(2, 29, 0, now),
            Some(day(b"2024-02-29T00:00:00Z"))
        );
        assert_eq!(without_year_ms(13, 1, 0, now), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1000i64, 0, 1, 59, 365, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            format_rfc3339_ms(1_533_889_212_324),
            "2018-08-10T08:20:12.324Z"
        );
    }
}

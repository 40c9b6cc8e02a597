//! Papertrail's two forms of Heroku logs: archive rows (`.tsv` / `.tsv.gz`, what Papertrail
//! copies to S3 every day or hour) and its syslog-like display lines (the event viewer, the
//! `papertrail` CLI). Both drop Heroku's `TIMESTAMP SOURCE[PROCESS]:` prefix and name the
//! process in a `program` (`heroku/router`, `app/web.1`, `heroku/web.1`).

use super::line::{Assumed, Framed, Framing, Reason, find, leading_digits};
use super::time::{parse_papertrail_ms, without_year_ms};

const BAD_ROW: Reason = "malformed Papertrail archive row (expected 10 tab-separated columns: id, \
                         generated_at, received_at, source_id, source_name, source_ip, \
                         facility_name, severity_name, program, message)";

/// Beyond this, a zone-less `generated_at` is taken to be in another zone than `received_at`'s
/// UTC (Papertrail receives within seconds).
const ZONE_GAP_MS: i64 = 30 * 60_000;
const QUARTER_HOUR_MS: i64 = 15 * 60_000;

/// The process a `program` names: what follows its `/` (`heroku/router` → `router`).
fn program_process(program: &[u8]) -> Option<&[u8]> {
    let p = match memchr::memrchr(b'/', program) {
        Some(i) => &program[i + 1..],
        None => program,
    };
    (!p.is_empty()).then_some(p)
}

/// One archive row: `id \t generated_at \t received_at \t source_id \t source_name \t
/// source_ip \t facility_name \t severity_name \t program \t message` (the message may hold
/// more tabs). The time is `generated_at` (when Heroku logged it), read as UTC when it has no
/// zone — unless it is hours away from the UTC `received_at`, when the whole quarter hours
/// between them are its zone offset ([`Assumed::ZoneOffset`]); `received_at` when
/// `generated_at` is unreadable.
pub(crate) fn archive_row(line: &[u8]) -> Result<Framed<'_>, Reason> {
    let mut cols: [&[u8]; 9] = [&[]; 9];
    let mut rest = line;
    for c in &mut cols {
        let tab = find(rest, b'\t').ok_or(BAD_ROW)?;
        *c = &rest[..tab];
        rest = &rest[tab + 1..];
    }
    if leading_digits(cols[0]) != cols[0].len() {
        return Err(BAD_ROW);
    }
    let generated = parse_papertrail_ms(cols[1]);
    let received = parse_papertrail_ms(cols[2]);
    let mut assumed = Assumed::Nothing;
    let ts = match (generated, received) {
        (Some((g, false)), Some((r, _))) if (g - r).abs() > ZONE_GAP_MS => {
            let quarters = ((g - r) as f64 / QUARTER_HOUR_MS as f64).round() as i64;
            assumed = Assumed::ZoneOffset;
            g - quarters * QUARTER_HOUR_MS
        }
        (Some((g, _)), _) => g,
        (None, Some((r, _))) => r,
        (None, None) => {
            return Err("Papertrail archive row without a valid generated_at or received_at");
        }
    };
    Ok(Framed {
        framing: Framing::PapertrailArchive,
        ts_ms: Some(ts),
        process: program_process(cols[8]),
        msg: rest,
        assumed,
    })
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Whether a line starts like a display line (`Mon ` with a month's name).
#[inline]
pub(crate) fn looks_like_display(line: &[u8]) -> bool {
    line.len() > 16 && line[3] == b' ' && month(&line[..3]).is_some()
}

fn month(s: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| &m[..] == s)
        .map(|i| i as u32 + 1)
}

fn skip_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ').count();
    &s[n..]
}

/// One display line: `Mon DD HH:MM:SS SOURCE PROGRAM: MESSAGE` (the day may be space-padded,
/// spacing varies). There is no year and no zone: the time is read as UTC in the latest year
/// in which it is not in the future of `now_ms` ([`Assumed::Year`]).
pub(crate) fn display_line(line: &[u8], now_ms: i64) -> Result<Framed<'_>, Reason> {
    const BAD: Reason =
        "malformed Papertrail display line (expected Mon DD HH:MM:SS SOURCE PROGRAM: MESSAGE)";
    let mon = month(line.get(..3).ok_or(BAD)?).ok_or(BAD)?;
    let rest = skip_spaces(&line[3..]);
    let d = leading_digits(rest);
    if !(1..=2).contains(&d) {
        return Err(BAD);
    }
    let day = rest[..d]
        .iter()
        .fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
    let rest = skip_spaces(&rest[d..]);
    let t = rest.get(..8).ok_or(BAD)?;
    let num = |s: &[u8]| -> Option<i64> {
        (s.len() == 2 && s.iter().all(u8::is_ascii_digit))
            .then(|| i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'))
    };
    let (h, m, s) = match (num(&t[0..2]), num(&t[3..5]), num(&t[6..8])) {
        (Some(h), Some(m), Some(s))
            if t[2] == b':' && t[5] == b':' && h < 24 && m < 60 && s <= 60 =>
        {
            (h, m, s)
        }
        _ => return Err(BAD),
    };
    let rest = skip_spaces(&rest[8..]);
    let sp = find(rest, b' ').ok_or(BAD)?;
    if sp == 0 {
        return Err(BAD);
    }
    let rest = skip_spaces(&rest[sp..]);
    let sp = find(rest, b' ').unwrap_or(rest.len());
    let program = rest[..sp].strip_suffix(b":").ok_or(BAD)?;
    let msg = skip_spaces(&rest[sp..]);
    let process = program_process(program);
    let ts = without_year_ms(mon, day, h * 3600 + m * 60 + s, now_ms)
        .ok_or("invalid date in a Papertrail display line")?;
    Ok(Framed {
        framing: Framing::PapertrailDisplay,
        ts_ms: Some(ts),
        process,
        msg,
        assumed: Assumed::Year,
    })
}

/// `SOURCE PROGRAM: MESSAGE` with a `/` in PROGRAM (`myapp heroku/router: at=info ...`): the
/// process the program names and the message.
pub(crate) fn source_program(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = find(rest, b' ').filter(|&i| i > 0)?;
    let rest = skip_spaces(&rest[sp..]);
    let sp = find(rest, b' ').unwrap_or(rest.len());
    let program = rest[..sp].strip_suffix(b":")?;
    if !program.contains(&b'/') {
        return None;
    }
    Some((program_process(program)?, skip_spaces(&rest[sp..])))
}

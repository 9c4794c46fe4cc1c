//! Values as they cross between the bindings and the protocols. Exact by construction: integers are
//! i64, decimals are text, temporal values are integer counts, so no conversion loses precision.

/// `i64::MAX` / `i64::MIN` microseconds stand for PostgreSQL's `infinity` / `-infinity`.
pub const INFINITY_MICROS: i64 = i64::MAX;
/// See [`INFINITY_MICROS`].
pub const NEG_INFINITY_MICROS: i64 = i64::MIN;
/// `i32::MAX` / `i32::MIN` days stand for `infinity` / `-infinity` dates.
pub const INFINITY_DAYS: i32 = i32::MAX;
/// See [`INFINITY_DAYS`].
pub const NEG_INFINITY_DAYS: i32 = i32::MIN;

/// A value, as a parameter or a cell. `Value::from` makes one from Rust values (`42`, `"text"`,
/// `None::<i64>`, `vec![1u8]`); [`crate::Row::try_get`] reads one as a Rust type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer of any width up to 64 bits, exact.
    Int(i64),
    /// A floating-point number (NaN and the infinities kept).
    Float(f64),
    /// An exact decimal in plain notation (`-12.340`, `NaN`, `Infinity`).
    Decimal(String),
    /// Text.
    Text(String),
    /// Binary data.
    Bytes(Vec<u8>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 1970-01-01 00:00, no time zone.
    Timestamp(i64),
    /// Microseconds since 1970-01-01 00:00 UTC.
    TimestampTz(i64),
    /// An interval: months, days and microseconds, kept apart as PostgreSQL keeps them.
    Interval(Interval),
    /// A UUID's 16 bytes.
    Uuid([u8; 16]),
    /// JSON document text.
    Json(String),
    /// An SQL array.
    Array(Vec<Value>),
}

/// An interval, as PostgreSQL keeps it: a month and a day have no fixed length in
/// microseconds, so the three parts stay apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Interval {
    /// Whole months.
    pub months: i32,
    /// Whole days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

/// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A timestamp as the HTTP databases write them: `YYYY-MM-DD`, then optionally `T` or a space,
/// `HH:MM[:SS[.f]]`, and an offset (`Z`, `±HH:MM`, `±HHMM`, perhaps after a space). Returns the
/// microseconds as written and the offset in seconds, if one was given. Digits beyond
/// microseconds must be zeros (a nanosecond is not silently dropped); anything malformed or out
/// of range is `None`, never a panic.
pub fn parse_timestamp(s: &str) -> Option<(i64, Option<i64>)> {
    let s = s.trim();
    let date = s.get(..10)?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let rest = s.get(10..)?.trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some((checked_micros((y, m, day), (0, 0, 0), 0)?, None));
    }
    let (clock, offset) = match rest.find(['Z', '+', '-']) {
        Some(i) => {
            let off = rest[i..].trim();
            let secs = if off == "Z" {
                0
            } else {
                let sign = if off.starts_with('-') { -1 } else { 1 };
                let digits: String = off[1..].chars().filter(char::is_ascii_digit).collect();
                let h: i64 = digits.get(..2)?.parse().ok()?;
                let mi: i64 = digits.get(2..4).unwrap_or("00").parse().ok()?;
                if h > 23 || mi > 59 || digits.len() > 4 {
                    return None;
                }
                sign * (h * 3600 + mi * 60)
            };
            (rest[..i].trim(), Some(secs))
        }
        None => (rest, None),
    };
    let mut parts = clock.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let mi: i64 = parts.next()?.parse().ok()?;
    let sec = parts.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.bytes().skip(6).any(|b| b != b'0') {
        return None;
    }
    let digits = &frac.as_bytes()[..frac.len().min(6)];
    let micros = digits
        .iter()
        .chain(std::iter::repeat(&b'0'))
        .take(6)
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    let micros = checked_micros((y, m, day), (h, mi, whole.parse().ok()?), micros)?;
    Some((micros, offset))
}

/// Microseconds since 1970-01-01 00:00 of a calendar date and clock time, checked: `None` for a
/// month, day or clock field out of range, a year beyond ±200,000 (so that offsets cannot
/// overflow either), or an overflow. For parsing
/// server text, which must never panic.
pub fn checked_micros(
    (year, month, day): (i64, u32, u32),
    (hour, minute, second): (i64, i64, i64),
    micros: i64,
) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && year.unsigned_abs() <= 200_000
        && (0..=24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second)
        && (0..1_000_000).contains(&micros);
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    days.checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?
        .checked_mul(1_000_000)?
        .checked_add(micros)
}

/// ISO 8601 date; years outside 0..=9999 get a sign and six digits, as ISO's expanded form.
pub fn format_date(days: i32) -> String {
    let mut s = String::with_capacity(10);
    write_date(&mut s, days);
    s
}

/// [`format_date`] onto `out`: these run for every date and timestamp of a result, so they
/// write digits themselves rather than through `format!`.
pub fn write_date(out: &mut String, days: i32) {
    match days {
        INFINITY_DAYS => out.push_str("infinity"),
        NEG_INFINITY_DAYS => out.push_str("-infinity"),
        _ => {
            let (y, m, d) = civil_from_days(i64::from(days));
            write_year(out, y);
            out.push('-');
            push_digits(out, u64::from(m), 2);
            out.push('-');
            push_digits(out, u64::from(d), 2);
        }
    }
}

fn write_year(out: &mut String, y: i64) {
    if (0..=9999).contains(&y) {
        push_digits(out, y as u64, 4);
    } else {
        out.push(if y < 0 { '-' } else { '+' });
        push_digits(out, y.unsigned_abs(), 6);
    }
}

/// `n` in decimal onto `out`: digits written here, not through `format!`, as results write one
/// per value.
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs(), 1);
}

/// `n` in decimal, zero-padded to at least `width` digits.
fn push_digits(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut at = buf.len();
    let mut n = n;
    while n > 0 || buf.len() - at < width {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(buf[at..].iter().map(|&b| b as char));
}

/// `HH:MM:SS[.ffffff]` of microseconds since midnight.
pub fn format_time(micros: i64) -> String {
    let mut s = String::with_capacity(15);
    write_time(&mut s, micros);
    s
}

/// [`format_time`] onto `out`.
pub fn write_time(out: &mut String, micros: i64) {
    let secs = micros.div_euclid(1_000_000);
    for (i, part) in [secs / 3600, secs / 60 % 60, secs % 60]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push(':');
        }
        push_digits(out, part as u64, 2);
    }
    push_fraction(out, micros.rem_euclid(1_000_000));
}

fn push_fraction(s: &mut String, frac: i64) {
    if frac != 0 {
        let mut digits = String::with_capacity(6);
        push_digits(&mut digits, frac as u64, 6);
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
}

/// ISO 8601 `YYYY-MM-DDTHH:MM:SS[.ffffff]`, with `Z` when `utc`.
pub fn format_timestamp(micros: i64, utc: bool) -> String {
    let mut s = String::with_capacity(27);
    write_timestamp(&mut s, micros, utc);
    s
}

/// [`format_timestamp`] onto `out`.
pub fn write_timestamp(out: &mut String, micros: i64, utc: bool) {
    match micros {
        INFINITY_MICROS => out.push_str("infinity"),
        NEG_INFINITY_MICROS => out.push_str("-infinity"),
        _ => {
            write_date(out, micros.div_euclid(86_400_000_000) as i32);
            out.push('T');
            write_time(out, micros.rem_euclid(86_400_000_000));
            if utc {
                out.push('Z');
            }
        }
    }
}

/// ISO 8601 duration, as PostgreSQL's `iso_8601` IntervalStyle writes it (`P1Y2M3DT4H5M6.5S`).
pub fn format_interval(iv: Interval) -> String {
    let mut s = String::from("P");
    let (years, months) = (iv.months / 12, iv.months % 12);
    for (n, unit) in [
        (years as i64, 'Y'),
        (months as i64, 'M'),
        (iv.days as i64, 'D'),
    ] {
        if n != 0 {
            s.push_str(&format!("{n}{unit}"));
        }
    }
    if iv.micros != 0 {
        s.push('T');
        let neg = iv.micros < 0;
        let abs = iv.micros.unsigned_abs();
        let (h, m, sec, frac) = (
            abs / 3_600_000_000,
            abs / 60_000_000 % 60,
            abs / 1_000_000 % 60,
            abs % 1_000_000,
        );
        let sign = if neg { "-" } else { "" };
        if h != 0 {
            s.push_str(&format!("{sign}{h}H"));
        }
        if m != 0 {
            s.push_str(&format!("{sign}{m}M"));
        }
        if sec != 0 || frac != 0 {
            s.push_str(&format!("{sign}{sec}"));
            push_fraction(&mut s, frac as i64);
            s.push('S');
        }
    }
    if s == "P" {
        s.push_str("T0S");
    }
    s
}

/// `NaN`, `Infinity` or `-Infinity`, the text databases read for a float that is not finite;
/// None for a finite one.
pub fn non_finite_text(f: f64) -> Option<&'static str> {
    match f {
        f if f.is_nan() => Some("NaN"),
        f if f.is_infinite() => Some(if f > 0.0 { "Infinity" } else { "-Infinity" }),
        _ => None,
    }
}

/// Lowercase hex digits of `b`.
pub fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 0xf)] as char);
    }
    s
}

/// The bytes of hex digits (either case); None for anything else, including an odd count.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| Some((digit(p[0])? << 4) | digit(p[1])?))
        .collect()
}

/// A UUID's 16 bytes from its text, with or without dashes.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let digits: String = s.chars().filter(|&c| c != '-').collect();
    unhex(&digits)?.try_into().ok()
}

/// A UUID's text form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn format_uuid(b: &[u8; 16]) -> String {
    let h = hex(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_strict() {
        assert_eq!(unhex("00fF"), Some(vec![0, 255]));
        for bad in ["0", "+f", "-1", "zz", "0 "] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
        let u = parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
        assert_eq!(format_uuid(&u), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assert_eq!(parse_uuid("a0eebc99"), None);
    }

    #[test]
    fn civil_round_trips() {
        for days in [-719_528i64, -1, 0, 1, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(10_957), (2000, 1, 1));
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
    }

    #[test]
    fn formats_temporal_values() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(INFINITY_DAYS), "infinity");
        assert_eq!(
            format_date(days_from_civil(-44, 3, 15) as i32),
            "-000044-03-15"
        );
        let y10k = days_from_civil(10_000, 1, 1) as i32;
        assert_eq!(format_date(y10k), "+010000-01-01");
        for n in [0, 7, -7, 1_000_000, i64::MIN, i64::MAX] {
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        assert_eq!(format_time(3_723_000_500), "01:02:03.0005");
        assert_eq!(
            format_timestamp(1_700_000_000_123_456, true),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(format_timestamp(-1, false), "1969-12-31T23:59:59.999999");
        assert_eq!(format_timestamp(NEG_INFINITY_MICROS, true), "-infinity");
    }

    #[test]
    fn formats_intervals_like_postgres_iso_8601() {
        let iv = Interval {
            months: 14,
            days: 3,
            micros: 4 * 3_600_000_000 + 5 * 60_000_000 + 6_500_000,
        };
        assert_eq!(format_interval(iv), "P1Y2M3DT4H5M6.5S");
        assert_eq!(format_interval(Interval::default()), "PT0S");
        assert_eq!(
            format_interval(Interval {
                months: -1,
                days: 0,
                micros: -1_000_000
            }),
            "P-1MT-1S"
        );
    }

    #[test]
    fn parses_server_timestamps_without_panicking() {
        assert_eq!(parse_timestamp("1970-01-01"), Some((0, None)));
        assert_eq!(
            parse_timestamp("1970-01-01T00:00:01.5Z"),
            Some((1_500_000, Some(0)))
        );
        assert_eq!(
            parse_timestamp("1970-01-01 01:00:00.000000 +0100"),
            Some((3_600_000_000, Some(3600)))
        );
        assert_eq!(
            parse_timestamp("2024-02-29 12:30:15.123456789"),
            None,
            "nanoseconds are not dropped"
        );
        assert_eq!(
            parse_timestamp("2024-02-29 12:30:15.123456000"),
            Some((1_709_209_815_123_456, None))
        );
        for bad in [
            "99999999999999999-01-01",
            "2024-13-01",
            "2024-01-01 99999999999999:00",
            "2024-01-01T25:00",
            "2024-01-01T10:00+99:00",
            "ü024-01-01",
            "2024-01-0",
            "",
            "2024-01-01T10:00:00.x",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_uuid() {
        let b = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        assert_eq!(format_uuid(&b), "12345678-9abc-def0-0102-030405060708");
    }
}

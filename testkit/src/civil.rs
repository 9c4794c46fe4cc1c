//! Timestamps as the test servers read and write them: microseconds since 1970 UTC. Written out
//! here (H. Hinnant's calendar algorithms) so that the servers share nothing with the client.

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH[:MM]|±HHMM]` as microseconds since 1970 UTC.
pub fn parse_micros(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = (s.get(..10)?, s.get(10..).unwrap_or(""));
    let d: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [y, mo, da] = d.as_slice() else {
        return None;
    };
    if !(1..=12).contains(mo) || !(1..=31).contains(da) {
        return None;
    }
    let rest = rest.trim_start_matches(['T', ' ']);
    let (clock, offset_secs) = match rest.rfind(['Z', '+', '-']) {
        Some(i) if rest[i..].starts_with('Z') => (&rest[..i], 0),
        Some(i) => {
            let sign = if &rest[i..i + 1] == "-" { -1 } else { 1 };
            let off = rest[i + 1..].replace(':', "");
            let h: i64 = off.get(..2)?.parse().ok()?;
            let m: i64 = off.get(2..4).unwrap_or("0").parse().ok()?;
            (rest[..i].trim(), sign * (h * 3600 + m * 60))
        }
        None => (rest, 0),
    };
    let mut parts = clock.splitn(3, ':');
    let h: i64 = parts
        .next()
        .filter(|p| !p.is_empty())
        .unwrap_or("0")
        .parse()
        .ok()?;
    let mi: i64 = parts.next().unwrap_or("0").parse().ok()?;
    let sec = parts.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let whole: i64 = whole.parse().ok()?;
    let micros: i64 = format!("{frac:0<6}").get(..6)?.parse().ok()?;
    let days = days_from_civil(*y, *mo, *da);
    Some((days * 86_400 + h * 3600 + mi * 60 + whole - offset_secs) * 1_000_000 + micros)
}

/// `YYYY-MM-DD{sep}HH:MM:SS.f…` in UTC with `digits` fraction digits (0, 3 or 6), `Z` appended
/// when `zulu`.
pub fn format_micros(micros: i64, sep: char, digits: usize, zulu: bool) -> String {
    let (days, rem) = (
        micros.div_euclid(86_400_000_000),
        micros.rem_euclid(86_400_000_000),
    );
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000;
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if digits > 0 {
        let frac = format!("{:06}", rem % 1_000_000);
        s.push('.');
        s.push_str(&frac[..digits.min(6)]);
    }
    if zulu {
        s.push('Z');
    }
    s
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_the_forms_clients_send() {
        assert_eq!(parse_micros("1970-01-01"), Some(0));
        assert_eq!(
            parse_micros("2000-01-01T00:00:00Z"),
            Some(946_684_800_000_000)
        );
        assert_eq!(
            parse_micros("2000-01-01T01:00:00.5+01:00"),
            Some(946_684_800_500_000)
        );
        assert_eq!(
            parse_micros("2000-01-01 01:00:00.5 +0100"),
            Some(946_684_800_500_000)
        );
        assert_eq!(parse_micros("1969-12-31 23:59:59.999999"), Some(-1));
        assert_eq!(parse_micros("2024-13-01"), None);
        assert_eq!(
            format_micros(-1, ' ', 6, false),
            "1969-12-31 23:59:59.999999"
        );
        assert_eq!(
            format_micros(1_500, 'T', 3, true),
            "1970-01-01T00:00:00.001Z"
        );
        let t = parse_micros("2024-02-29T12:30:15.123456Z").unwrap();
        assert_eq!(
            format_micros(t, 'T', 6, true),
            "2024-02-29T12:30:15.123456Z"
        );
    }
}

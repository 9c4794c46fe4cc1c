//! Exact decimals as text, the one place that checks and reshapes them: values never pass
//! through a float on their way between a server and the caller.

/// The parts of a plain decimal (`-12.340`): its sign, integer digits and fraction digits.
/// `None` for anything else (exponents, NaN, stray characters, no digits at all).
fn parts(s: &str) -> Option<(bool, &str, &str)> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    (!(int.is_empty() && frac.is_empty()) && all_digits(int) && all_digits(frac))
        .then_some((negative, int, frac))
}

/// Whether `s` is a plain decimal: an optional sign, digits, and an optional point with digits.
pub fn is_plain(s: &str) -> bool {
    parts(s).is_some()
}

/// The precision and scale that hold a plain decimal exactly (`-0012.340` → 5, 3).
pub fn precision_scale(s: &str) -> Option<(usize, usize)> {
    let (_, int, frac) = parts(s)?;
    let int = int.trim_start_matches('0');
    Some(((int.len() + frac.len()).max(1), frac.len()))
}

/// The canonical text of a plain decimal, for comparing two spellings of one number: no
/// leading or trailing zeros, no `+`, `0` for zero. Text that is not a plain decimal comes
/// back as it is.
pub fn canonical(s: &str) -> String {
    let Some((negative, int, frac)) = parts(s) else {
        return s.to_string();
    };
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let body = match (int.is_empty(), frac.is_empty()) {
        (true, true) => return "0".into(),
        (_, true) => int.to_string(),
        (true, false) => format!("0.{frac}"),
        (false, false) => format!("{int}.{frac}"),
    };
    if negative {
        format!("-{body}")
    } else {
        body
    }
}

/// A JSON number literal in plain notation (`1.5E+3` → `1500`), digit for digit. An exponent
/// beyond ±1000 is kept as written (exact still, and no runaway strings of zeros).
pub fn from_literal(lit: &str) -> String {
    let Some(e) = lit.find(['e', 'E']) else {
        return lit.to_string();
    };
    // unsigned_abs: `abs` of i64::MIN wraps (in release) to a negative that passes the check.
    let Some(exp) = lit[e + 1..]
        .parse::<i64>()
        .ok()
        .filter(|x| x.unsigned_abs() <= 1000)
    else {
        return lit.to_string();
    };
    let mantissa = &lit[..e];
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + exp; // position of the decimal point in `digits`
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    let body = body.trim_start_matches('0');
    let body = if body.is_empty() || body.starts_with('.') {
        format!("0{body}")
    } else {
        body.to_string()
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_only() {
        for s in ["1", "-1.5", "+0.25", ".5", "5.", "007"] {
            assert!(is_plain(s), "{s}");
        }
        for s in ["", "-", ".", "1e5", "NaN", "1.2.3", "1,5", " 1", "--1"] {
            assert!(!is_plain(s), "{s}");
        }
    }

    #[test]
    fn precision_and_scale() {
        assert_eq!(precision_scale("-0012.340"), Some((5, 3)));
        assert_eq!(precision_scale("0"), Some((1, 0)));
        assert_eq!(precision_scale("0.001"), Some((3, 3)));
        assert_eq!(precision_scale("1e3"), None);
    }

    #[test]
    fn canonical_spellings() {
        assert_eq!(canonical("-0012.3400"), "-12.34");
        assert_eq!(canonical("+0.0"), "0");
        assert_eq!(canonical("100"), "100");
        assert_eq!(canonical(".50"), "0.5");
        assert_eq!(canonical("1e5"), "1e5");
    }

    #[test]
    fn literals_in_plain_notation() {
        assert_eq!(from_literal("1.5E+3"), "1500");
        assert_eq!(from_literal("-1.25e-3"), "-0.00125");
        assert_eq!(from_literal("12e0"), "12");
        assert_eq!(from_literal("123.45"), "123.45");
        assert_eq!(from_literal("0.5E1"), "5");
        for huge in [
            "1e100000000000",
            "1e99999999999999999999",
            "-1e9223372036854775807",
            "1e-9223372036854775808",
        ] {
            assert_eq!(from_literal(huge), huge);
        }
    }
}

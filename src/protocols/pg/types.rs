//! PostgreSQL values in text format, both directions, plus type names and column metadata.
//!
//! Results are requested in text format: every type has one, it arrives in a single round trip
//! without describing the statement first, and numeric/int8 text is exact by nature. The session
//! settings the parsers rely on (DateStyle ISO, IntervalStyle iso_8601, bytea_output hex) are sent
//! in the startup packet.

use std::borrow::Cow;

use crate::core::error::{Error, Result};
use crate::core::value::{self, Interval, Value};
use crate::core::LogicalType;

/// (OID, name, array OID) of the types decoded to something other than text.
const TYPES: &[(u32, &str, u32)] = &[
    (16, "bool", 1000),
    (17, "bytea", 1001),
    (18, "char", 1002),
    (19, "name", 1003),
    (20, "int8", 1016),
    (21, "int2", 1005),
    (23, "int4", 1007),
    (25, "text", 1009),
    (26, "oid", 1028),
    (114, "json", 199),
    (700, "float4", 1021),
    (701, "float8", 1022),
    (705, "unknown", 0),
    (1042, "bpchar", 1014),
    (1043, "varchar", 1015),
    (1082, "date", 1182),
    (1083, "time", 1183),
    (1114, "timestamp", 1115),
    (1184, "timestamptz", 1185),
    (1186, "interval", 1187),
    (1266, "timetz", 1270),
    (1700, "numeric", 1231),
    (2950, "uuid", 2951),
    (3802, "jsonb", 3807),
    // Types read as text; named so `description` can say what they are.
    (142, "xml", 143),
    (600, "point", 1017),
    (650, "cidr", 651),
    (790, "money", 791),
    (829, "macaddr", 1040),
    (869, "inet", 1041),
    (1560, "bit", 1561),
    (1562, "varbit", 1563),
    (2249, "record", 2287),
];

pub const BYTEA: u32 = 17;

/// The element type of an array type, if `oid` is one we know.
pub fn element_of(oid: u32) -> Option<u32> {
    TYPES.iter().find(|t| t.2 == oid && oid != 0).map(|t| t.0)
}

/// `int8`, `text[]`, or `oid:NNN` for a type this driver has no name for.
pub fn type_name(oid: u32) -> String {
    if let Some(t) = TYPES.iter().find(|t| t.0 == oid) {
        return t.1.to_string();
    }
    match element_of(oid) {
        Some(elem) => format!("{}[]", type_name(elem)),
        None => format!("oid:{oid}"),
    }
}

/// What a type holds, for the bindings: by OID, arrays by their element.
pub fn logical_type(oid: u32) -> LogicalType {
    match oid {
        16 => LogicalType::Bool,
        17 => LogicalType::Bytes,
        20 => LogicalType::Int64,
        21 | 23 | 26 => LogicalType::Int,
        700 | 701 => LogicalType::Float,
        1700 => LogicalType::Decimal,
        18 | 19 | 25 | 1042 | 1043 => LogicalType::Text,
        114 | 3802 => LogicalType::Json,
        1082 => LogicalType::Date,
        1083 => LogicalType::Time,
        1114 => LogicalType::Timestamp,
        1184 => LogicalType::TimestampTz,
        1186 => LogicalType::Interval,
        2950 => LogicalType::Uuid,
        _ => match element_of(oid) {
            Some(elem) => LogicalType::Array(Box::new(logical_type(elem))),
            None => LogicalType::Other,
        },
    }
}

/// PEP 249's (display_size, internal_size, precision, scale) from the RowDescription fields.
pub fn column_sizes(oid: u32, typlen: i16, typmod: i32) -> [Option<i64>; 4] {
    let internal = (typlen > 0).then_some(i64::from(typlen));
    match oid {
        1700 if typmod >= 4 => {
            let m = typmod - 4;
            let (precision, scale) = (i64::from((m >> 16) & 0xffff), i64::from(m & 0xffff));
            [Some(precision + 2), internal, Some(precision), Some(scale)]
        }
        1042 | 1043 if typmod >= 4 => [Some(i64::from(typmod - 4)), internal, None, None],
        _ => [None, internal, None, None],
    }
}

fn bad(oid: u32, text: &str) -> Error {
    // A value can carry user data, so only its length goes in the message.
    Error::data(format!(
        "cannot decode a {} value from the server ({} bytes of text)",
        type_name(oid),
        text.len()
    ))
}

/// Decodes one result value. `format` is the column's format code (1 = binary).
pub fn decode(oid: u32, format: i16, raw: &[u8]) -> Result<Value> {
    if format == 1 {
        // Servers that ignore the requested format (QuestDB sends bytea in binary regardless).
        return match oid {
            BYTEA => Ok(Value::Bytes(raw.to_vec())),
            _ => Err(Error::not_supported(format!(
                "the server sent a {} value in binary format, which this driver does not read",
                type_name(oid)
            ))),
        };
    }
    let text = std::str::from_utf8(raw)
        .map_err(|_| Error::data("the server sent text that is not UTF-8"))?;
    decode_text(oid, text)
}

pub fn decode_text(oid: u32, s: &str) -> Result<Value> {
    let v = match oid {
        16 => match s {
            "t" => Value::Bool(true),
            "f" => Value::Bool(false),
            _ => return Err(bad(oid, s)),
        },
        20 | 21 | 23 | 26 => Value::Int(s.parse().map_err(|_| bad(oid, s))?),
        700 | 701 => Value::Float(s.parse().map_err(|_| bad(oid, s))?),
        1700 => Value::Decimal(s.to_string()),
        17 => Value::Bytes(parse_bytea(s).ok_or_else(|| bad(oid, s))?),
        1082 => Value::Date(parse_date(s).ok_or_else(|| bad(oid, s))?),
        1083 => Value::Time(parse_time(s).ok_or_else(|| bad(oid, s))?),
        1114 => Value::Timestamp(parse_timestamp(s, false).ok_or_else(|| bad(oid, s))?),
        1184 => Value::TimestampTz(parse_timestamp(s, true).ok_or_else(|| bad(oid, s))?),
        // Another IntervalStyle than the one set at startup: hand the server's text over as is.
        1186 => parse_interval(s).map_or_else(|| Value::Text(s.to_string()), Value::Interval),
        2950 => Value::Uuid(value::parse_uuid(s).ok_or_else(|| bad(oid, s))?),
        114 | 3802 => Value::Json(s.to_string()),
        _ => match element_of(oid) {
            Some(elem) => parse_array(elem, s)?,
            None => Value::Text(s.to_string()),
        },
    };
    Ok(v)
}

fn parse_bytea(s: &str) -> Option<Vec<u8>> {
    value::unhex(s.strip_prefix("\\x")?)
}

fn strip_bc(s: &str) -> (&str, bool) {
    match s.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (s, false),
    }
}

/// `YYYY-MM-DD` (year may have more digits) to days since 1970-01-01.
fn parse_ymd(s: &str, bc: bool) -> Option<i64> {
    let mut it = s.rsplitn(3, '-');
    let d: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let y: i64 = it.next()?.parse().ok()?;
    // PostgreSQL's own range ends at year 5874897; past a million, it is not PostgreSQL text.
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(0..=1_000_000).contains(&y) {
        return None;
    }
    let year = if bc { 1 - y } else { y };
    Some(value::days_from_civil(year, m, d))
}

fn parse_date(s: &str) -> Option<i32> {
    match s {
        "infinity" => Some(value::INFINITY_DAYS),
        "-infinity" => Some(value::NEG_INFINITY_DAYS),
        _ => {
            let (s, bc) = strip_bc(s);
            i32::try_from(parse_ymd(s, bc)?).ok()
        }
    }
}

/// `HH:MM:SS[.ffffff]` to microseconds.
fn parse_time(s: &str) -> Option<i64> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut it = hms.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec: i64 = it.next()?.parse().ok()?;
    if it.next().is_some()
        || !(0..=24).contains(&h)
        || !(0..=59).contains(&m)
        || !(0..=60).contains(&sec)
    {
        return None;
    }
    Some((h * 3600 + m * 60 + sec) * 1_000_000 + parse_micros_fraction(frac)?)
}

/// Fraction digits after the point (up to 6) to microseconds.
fn parse_micros_fraction(frac: &str) -> Option<i64> {
    if frac.is_empty() {
        return Some(0);
    }
    if frac.len() > 6 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32))
}

/// `YYYY-MM-DD HH:MM:SS[.f][+HH[:MM[:SS]]][ BC]` to microseconds since the epoch (UTC if `tz`).
fn parse_timestamp(s: &str, tz: bool) -> Option<i64> {
    match s {
        "infinity" => return Some(value::INFINITY_MICROS),
        "-infinity" => return Some(value::NEG_INFINITY_MICROS),
        _ => {}
    }
    let (s, bc) = strip_bc(s);
    let (date, rest) = s.split_once(' ')?;
    let (time, offset_secs) = if tz {
        let at = rest.rfind(['+', '-'])?;
        (&rest[..at], parse_offset(&rest[at..])?)
    } else {
        (rest, 0)
    };
    let days = parse_ymd(date, bc)?;
    let micros = days
        .checked_mul(86_400_000_000)?
        .checked_add(parse_time(time)?)?;
    micros.checked_sub(offset_secs * 1_000_000)
}

fn parse_offset(s: &str) -> Option<i64> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let mut secs = 0i64;
    for (i, part) in s[1..].split(':').enumerate() {
        let n: i64 = part.parse().ok().filter(|n| (0..100).contains(n))?;
        secs += n * [3600, 60, 1].get(i)?;
    }
    Some(sign * secs)
}

/// ISO 8601 duration as PostgreSQL's iso_8601 IntervalStyle writes it.
fn parse_interval(s: &str) -> Option<Interval> {
    let body = s.strip_prefix('P')?;
    let (date, time) = body.split_once('T').unwrap_or((body, ""));
    let mut iv = Interval::default();
    let mut num = String::new();
    for c in date.chars() {
        match c {
            'Y' => {
                iv.months = iv
                    .months
                    .checked_add(num.parse::<i32>().ok()?.checked_mul(12)?)?
            }
            'M' => iv.months = iv.months.checked_add(num.parse().ok()?)?,
            'W' => {
                iv.days = iv
                    .days
                    .checked_add(num.parse::<i32>().ok()?.checked_mul(7)?)?
            }
            'D' => iv.days = iv.days.checked_add(num.parse().ok()?)?,
            _ => {
                num.push(c);
                continue;
            }
        }
        num.clear();
    }
    for c in time.chars() {
        let unit = match c {
            'H' => 3_600_000_000,
            'M' => 60_000_000,
            'S' => 1_000_000,
            _ => {
                num.push(c);
                continue;
            }
        };
        let neg = num.starts_with('-');
        let (whole, frac) = num
            .trim_start_matches('-')
            .split_once('.')
            .unwrap_or((num.trim_start_matches('-'), ""));
        let mut micros = whole.parse::<i64>().ok()?.checked_mul(unit)?;
        if unit == 1_000_000 {
            micros = micros.checked_add(parse_micros_fraction(frac)?)?;
        } else if !frac.is_empty() {
            return None;
        }
        iv.micros = iv.micros.checked_add(if neg { -micros } else { micros })?;
        num.clear();
    }
    num.is_empty().then_some(iv)
}

/// A text array literal (`{1,NULL,"a b"}`, nested, optionally `[0:1]=` bounds) into Value::Array.
fn parse_array(elem: u32, s: &str) -> Result<Value> {
    let body = match s.find("={") {
        Some(eq) if s.starts_with('[') => &s[eq + 1..],
        _ => s,
    };
    let mut p = ArrayParser {
        s: body.as_bytes(),
        i: 0,
        elem,
    };
    let v = p.array(0).ok_or_else(|| bad(elem, s))??;
    if p.i != p.s.len() {
        return Err(bad(elem, s));
    }
    Ok(v)
}

const MAX_ARRAY_DEPTH: usize = 6;

struct ArrayParser<'a> {
    s: &'a [u8],
    i: usize,
    elem: u32,
}

impl ArrayParser<'_> {
    /// None: malformed literal; Some(Err): an element failed to decode.
    fn array(&mut self, depth: usize) -> Option<Result<Value>> {
        // PostgreSQL arrays have at most 6 dimensions; deeper text is not PostgreSQL's.
        if self.s.get(self.i) != Some(&b'{') || depth >= MAX_ARRAY_DEPTH {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Some(Ok(Value::Array(items)));
        }
        loop {
            let item = match self.s.get(self.i)? {
                b'{' => self.array(depth + 1)?,
                b'"' => {
                    let text = self.quoted()?;
                    decode_text(self.elem, &text)
                }
                _ => {
                    let start = self.i;
                    while !matches!(self.s.get(self.i)?, b',' | b'}') {
                        self.i += 1;
                    }
                    let raw = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                    if raw.eq_ignore_ascii_case("NULL") {
                        Ok(Value::Null)
                    } else {
                        decode_text(self.elem, raw)
                    }
                }
            };
            match item {
                Ok(v) => items.push(v),
                Err(e) => return Some(Err(e)),
            }
            match self.s.get(self.i)? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(Ok(Value::Array(items)));
                }
                _ => return None,
            }
        }
    }

    fn quoted(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match *self.s.get(self.i)? {
                b'\\' => {
                    out.push(*self.s.get(self.i + 1)?);
                    self.i += 2;
                }
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

/// The type a parameter declares in Parse. Everything is 0 (the server infers the type from
/// context: a string can fill a date, a numeric or a jsonb column) except bytes: bytea.
pub fn param_oid(v: &Value) -> u32 {
    match v {
        Value::Bytes(_) => BYTEA,
        _ => 0,
    }
}

/// A parameter as sent in Bind: `(format, bytes)`; `None` is NULL. Text, except bytes, which go
/// as binary bytea.
pub fn encode_param(v: &Value) -> (i16, Option<Cow<'_, [u8]>>) {
    match v {
        Value::Null => (0, None),
        Value::Bytes(b) => (1, Some(Cow::Borrowed(b))),
        Value::Text(s) | Value::Decimal(s) | Value::Json(s) => {
            (0, Some(Cow::Borrowed(s.as_bytes())))
        }
        _ => (0, Some(Cow::Owned(encode_text(v).into_bytes()))),
    }
}

/// The text form PostgreSQL's input functions accept.
pub fn encode_text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => (if *b { "true" } else { "false" }).into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => value::non_finite_text(*f).map_or_else(|| f.to_string(), str::to_string),
        Value::Decimal(s) | Value::Text(s) | Value::Json(s) => s.clone(),
        Value::Bytes(b) => {
            format!("\\x{}", value::hex(b))
        }
        Value::Date(d) => value::format_date(*d),
        Value::Time(t) => value::format_time(*t),
        Value::Timestamp(t) => value::format_timestamp(*t, false),
        Value::TimestampTz(t) => value::format_timestamp(*t, true),
        Value::Interval(iv) => value::format_interval(*iv),
        Value::Uuid(u) => value::format_uuid(u),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::Null => "NULL".to_string(),
                    Value::Array(_) => encode_text(item),
                    _ => {
                        let text = encode_text(item);
                        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
                    }
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(oid: u32, s: &str) -> Value {
        decode_text(oid, s).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(d(16, "t"), Value::Bool(true));
        assert_eq!(d(20, "-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(d(20, "9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(d(701, "NaN").to_string_lossy(), "NaN");
        assert_eq!(d(701, "-Infinity"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(d(701, "0.30000000000000004"), Value::Float(0.1 + 0.2));
        let n = "-123456789012345678901234567890.123456789";
        assert_eq!(d(1700, n), Value::Decimal(n.into()));
        assert_eq!(d(17, "\\x00ff10"), Value::Bytes(vec![0, 255, 16]));
        assert_eq!(d(17, "\\x"), Value::Bytes(vec![]));
        assert_eq!(d(25, ""), Value::Text(String::new()));
        assert_eq!(
            d(3802, "{\"a\": [1, 2]}"),
            Value::Json("{\"a\": [1, 2]}".into())
        );
        assert_eq!(
            d(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            Value::Uuid([
                0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
                0x0a, 0x11
            ])
        );
        assert!(decode_text(20, "12x").is_err());
        assert!(decode_text(17, "\\x0").is_err());
    }

    #[test]
    fn temporal() {
        assert_eq!(d(1082, "2000-01-01"), Value::Date(10_957));
        assert_eq!(
            d(1082, "0044-03-15 BC"),
            Value::Date(value::days_from_civil(-43, 3, 15) as i32)
        );
        assert_eq!(d(1082, "infinity"), Value::Date(value::INFINITY_DAYS));
        assert_eq!(d(1083, "13:14:15.5"), Value::Time(47_655_500_000));
        assert_eq!(
            d(1114, "2000-01-01 00:00:01.000001"),
            Value::Timestamp(946_684_801_000_001)
        );
        assert_eq!(
            d(1184, "2000-01-01 05:30:00+05:30"),
            Value::TimestampTz(946_684_800_000_000)
        );
        assert_eq!(
            d(1184, "1999-12-31 19:00:00-05"),
            Value::TimestampTz(946_684_800_000_000)
        );
        assert_eq!(
            d(1184, "-infinity"),
            Value::TimestampTz(value::NEG_INFINITY_MICROS)
        );
        assert_eq!(
            d(1186, "P1Y2M3DT4H5M6.5S"),
            Value::Interval(Interval {
                months: 14,
                days: 3,
                micros: 14_706_500_000
            })
        );
        assert_eq!(
            d(1186, "P-1Y-2M3DT-4H-5M-6S"),
            Value::Interval(Interval {
                months: -14,
                days: 3,
                micros: -14_706_000_000
            })
        );
        assert_eq!(d(1186, "1 day"), Value::Text("1 day".into()));
    }

    #[test]
    fn hostile_text_is_an_error_not_a_panic_or_a_wrong_value() {
        for (oid, s) in [
            (1083, "9223372036854775807:00:00"),
            (1082, "9223372036854775807-06-01"),
            (1114, "9223372036854775807-06-01 00:00:00"),
            (1184, "2000-01-01 00:00:00+2562047788015"),
            (1184, "2000-01-01 00:00:00+99999:00"),
        ] {
            assert!(decode_text(oid, s).is_err(), "{oid} {s}");
        }
        // An interval that does not fit falls back to the server's text, exactly.
        let huge = "PT2562047788H2562047788H2562047788H2562047788H";
        assert_eq!(decode_text(1186, huge).unwrap(), Value::Text(huge.into()));
        let deep = format!("{}1{}", "{".repeat(5000), "}".repeat(5000));
        assert!(decode_text(1007, &deep).is_err());
        let six = format!("{}1{}", "{".repeat(6), "}".repeat(6));
        assert!(decode_text(1007, &six).is_ok());
    }

    #[test]
    fn arrays() {
        assert_eq!(
            d(1007, "{1,NULL,-3}"),
            Value::Array(vec![Value::Int(1), Value::Null, Value::Int(-3)])
        );
        assert_eq!(
            d(1009, r#"{"a,b","NULL",NULL,"q\"\\",plain}"#),
            Value::Array(vec![
                Value::Text("a,b".into()),
                Value::Text("NULL".into()),
                Value::Null,
                Value::Text("q\"\\".into()),
                Value::Text("plain".into())
            ])
        );
        assert_eq!(d(1007, "{}"), Value::Array(vec![]));
        assert_eq!(
            d(1007, "[0:1]={5,6}"),
            Value::Array(vec![Value::Int(5), Value::Int(6)])
        );
        assert_eq!(
            d(1007, "{{1,2},{3,4}}"),
            Value::Array(vec![
                Value::Array(vec![Value::Int(1), Value::Int(2)]),
                Value::Array(vec![Value::Int(3), Value::Int(4)])
            ])
        );
        assert!(decode_text(1007, "{1,2").is_err());
        assert_eq!(type_name(1016), "int8[]");
        assert_eq!(type_name(1015), "varchar[]");
        assert_eq!(type_name(99999), "oid:99999");
    }

    #[test]
    fn params_encode_as_postgres_input_text() {
        let cases = [
            (
                Value::TimestampTz(1_700_000_000_123_456),
                "2023-11-14T22:13:20.123456Z",
            ),
            (Value::Timestamp(-1), "1969-12-31T23:59:59.999999"),
            (Value::Date(-1), "1969-12-31"),
            (
                Value::Interval(Interval {
                    months: -3,
                    days: 2,
                    micros: 1_500_000,
                }),
                "P-3M2DT1.5S",
            ),
            (Value::Uuid([7; 16]), "07070707-0707-0707-0707-070707070707"),
            (
                Value::Array(vec![
                    Value::Text("x\"y\\z".into()),
                    Value::Null,
                    Value::Text("".into()),
                ]),
                r#"{"x\"y\\z",NULL,""}"#,
            ),
            (
                Value::Array(vec![Value::Bytes(vec![0, 1])]),
                r#"{"\\x0001"}"#,
            ),
            (Value::Float(f64::INFINITY), "Infinity"),
            (Value::Bool(false), "false"),
        ];
        for (v, text) in cases {
            assert_eq!(encode_text(&v), text);
        }
        // What the server echoes back in its own text form decodes to the same value.
        for (oid, v) in [
            (
                1186,
                Value::Interval(Interval {
                    months: -3,
                    days: 2,
                    micros: 1_500_000,
                }),
            ),
            (
                1009,
                Value::Array(vec![Value::Text("x\"y\\z".into()), Value::Null]),
            ),
        ] {
            assert_eq!(decode_text(oid, &encode_text(&v)).unwrap(), v);
        }
        assert_eq!(
            encode_param(&Value::Bytes(vec![0])),
            (1, Some(Cow::Borrowed(&[0u8][..])))
        );
        assert_eq!(encode_param(&Value::Null), (0, None));
        assert_eq!(param_oid(&Value::Bytes(vec![])), BYTEA);
        assert_eq!(param_oid(&Value::Text("x".into())), 0);
    }

    #[test]
    fn numeric_sizes_from_typmod() {
        // numeric(10,3): typmod = (10 << 16 | 3) + 4
        assert_eq!(
            column_sizes(1700, -1, (10 << 16 | 3) + 4),
            [Some(12), None, Some(10), Some(3)]
        );
        assert_eq!(column_sizes(1043, -1, 24), [Some(20), None, None, None]);
        assert_eq!(column_sizes(20, 8, -1), [None, Some(8), None, None]);
    }

    impl Value {
        fn to_string_lossy(&self) -> String {
            match self {
                Value::Float(f) => format!("{f}"),
                other => format!("{other:?}"),
            }
        }
    }
}

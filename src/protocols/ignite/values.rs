//! Values in BinaryTuple elements, by column type: parameters encoded (integers shrunk to the
//! fewest bytes) and cells decoded.

use super::tuple::{int, shrunk, ty};
use crate::core::error::{Error, Result};
use crate::core::value::{self, Interval, Value};

/// An argument as the three elements Ignite wants: type id, scale, value.
pub fn argument(v: &Value) -> Result<[Option<Vec<u8>>; 3]> {
    let (t, scale, bytes): (i32, i32, Vec<u8>) = match v {
        Value::Null => return Ok([None, None, None]),
        Value::Bool(b) => (ty::BOOLEAN, 0, vec![u8::from(*b)]),
        Value::Int(i) => (ty::INT64, 0, shrunk(*i)),
        Value::Float(f) => (ty::DOUBLE, 0, double(*f)),
        Value::Decimal(s) => {
            let (scale, bytes) = decimal(s)?;
            (ty::DECIMAL, scale, bytes)
        }
        Value::Text(s) | Value::Json(s) => (ty::STRING, 0, string(s)),
        Value::Bytes(b) => (ty::BYTE_ARRAY, 0, byte_array(b)),
        Value::Date(d) => (ty::DATE, 0, date(*d)?),
        Value::Time(t) => (ty::TIME, 0, time(*t)),
        Value::Timestamp(t) => {
            let days = t.div_euclid(86_400_000_000);
            let mut b = date(i32::try_from(days).map_err(|_| Error::data("timestamp out of range"))?)?;
            b.extend(time(t.rem_euclid(86_400_000_000)));
            (ty::DATETIME, 0, b)
        }
        Value::TimestampTz(t) => (ty::TIMESTAMP, 0, seconds_nanos(*t)),
        Value::Uuid(u) => (ty::UUID, 0, uuid(u)),
        Value::Interval(iv) if iv.micros == 0 => (ty::PERIOD, 0, period(iv)),
        Value::Interval(iv) if iv.months == 0 && iv.days == 0 => {
            (ty::DURATION, 0, seconds_nanos(iv.micros))
        }
        Value::Interval(_) => {
            return Err(Error::not_supported(
                "Ignite has PERIOD (years, months, days) and DURATION (time): an interval mixing both cannot be a parameter",
            ))
        }
        Value::Array(_) => {
            return Err(Error::not_supported("Ignite SQL has no array parameters"))
        }
    };
    Ok([
        Some(shrunk(i64::from(t))),
        Some(shrunk(i64::from(scale))),
        Some(bytes),
    ])
}

/// A DOUBLE in 4 bytes when a float holds it exactly.
fn double(f: f64) -> Vec<u8> {
    let narrow = f as f32;
    if f64::from(narrow) == f || f.is_nan() {
        narrow.to_le_bytes().to_vec()
    } else {
        f.to_le_bytes().to_vec()
    }
}

fn string(s: &str) -> Vec<u8> {
    if s.is_empty() {
        vec![0x80]
    } else {
        s.as_bytes().to_vec()
    }
}

fn byte_array(b: &[u8]) -> Vec<u8> {
    if b.first().is_none_or(|&x| x == 0x80) {
        let mut out = vec![0x80];
        out.extend_from_slice(b);
        out
    } else {
        b.to_vec()
    }
}

fn date(days: i32) -> Result<Vec<u8>> {
    if days == value::INFINITY_DAYS || days == value::NEG_INFINITY_DAYS {
        return Err(Error::data("Ignite has no infinite dates"));
    }
    let (y, m, d) = value::civil_from_days(i64::from(days));
    if !(-(1 << 14)..(1 << 14)).contains(&y) {
        return Err(Error::data(format!("year {y} is beyond Ignite's DATE")));
    }
    let packed = ((y as i32) << 9) | ((m as i32) << 5) | d as i32;
    let le = packed.to_le_bytes();
    Ok(vec![le[0], le[1], le[2]])
}

/// TIME in 4 bytes (milliseconds) or 5 (microseconds), the shortest that is exact.
fn time(micros: i64) -> Vec<u8> {
    let secs = micros / 1_000_000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let frac = micros % 1_000_000;
    if frac % 1000 == 0 {
        let v = ((h << 22) | (m << 16) | (s << 10) | (frac / 1000)) as u32;
        v.to_le_bytes().to_vec()
    } else {
        let v = ((h << 32) | (m << 26) | (s << 20) | frac) as u64;
        v.to_le_bytes()[..5].to_vec()
    }
}

fn seconds_nanos(micros: i64) -> Vec<u8> {
    let secs = micros.div_euclid(1_000_000);
    let nanos = (micros.rem_euclid(1_000_000) * 1000) as i32;
    let mut b = secs.to_le_bytes().to_vec();
    if nanos != 0 {
        b.extend_from_slice(&nanos.to_le_bytes());
    }
    b
}

fn uuid(u: &[u8; 16]) -> Vec<u8> {
    let mut out = u[..8].to_vec();
    out.reverse();
    let mut lsb = u[8..].to_vec();
    lsb.reverse();
    out.extend(lsb);
    out
}

fn period(iv: &Interval) -> Vec<u8> {
    let (y, m, d) = (iv.months / 12, iv.months % 12, iv.days);
    if [y, m, d].iter().all(|v| i8::try_from(*v).is_ok()) {
        vec![y as u8, m as u8, d as u8]
    } else if [y, m, d].iter().all(|v| i16::try_from(*v).is_ok()) {
        [y, m, d]
            .iter()
            .flat_map(|v| (*v as i16).to_le_bytes())
            .collect()
    } else {
        [y, m, d].iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}

/// Ignite's largest DECIMAL precision (digits)...
const MAX_DECIMAL_DIGITS: usize = i16::MAX as usize;
/// ...and the most bytes an unscaled value of that many digits takes (log2(10)/8 bytes a digit,
/// plus a sign byte).
const MAX_DECIMAL_BYTES: usize = MAX_DECIMAL_DIGITS * 3322 / 8000 + 2;
const BILLION: u64 = 1_000_000_000;

/// A decimal text as (scale, unscaled big-endian two's complement, fewest bytes).
fn decimal(s: &str) -> Result<(i32, Vec<u8>)> {
    let bad = || Error::data(format!("{s:?} is not a decimal number"));
    if s.len() > MAX_DECIMAL_DIGITS + 2 {
        return Err(Error::data(format!(
            "a decimal of {} characters: Ignite's DECIMAL holds at most {MAX_DECIMAL_DIGITS} digits",
            s.len()
        )));
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let scale = i32::try_from(frac.len()).map_err(|_| bad())?;
    if scale > i32::from(i16::MAX) {
        return Err(bad());
    }
    // Base-2^32 magnitude, most significant limb first.
    // Nine digits at a time: multiply by 10^k, add the chunk.
    let mut limbs: Vec<u32> = vec![0];
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    for chunk in all.chunks(9) {
        let mut carry = chunk.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        let factor = 10u64.pow(chunk.len() as u32);
        for l in limbs.iter_mut().rev() {
            let v = u64::from(*l) * factor + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.insert(0, carry as u32);
        }
    }
    let mut mag: Vec<u8> = limbs.iter().flat_map(|l| l.to_be_bytes()).collect();
    while mag.len() > 1 && mag[0] == 0 {
        mag.remove(0);
    }
    let zero = mag.iter().all(|&b| b == 0);
    let mut bytes = if neg && !zero {
        // Two's complement: invert and add one.
        let mut b: Vec<u8> = mag.iter().map(|x| !x).collect();
        for x in b.iter_mut().rev() {
            let (v, overflow) = x.overflowing_add(1);
            *x = v;
            if !overflow {
                break;
            }
        }
        if b[0] & 0x80 == 0 {
            b.insert(0, 0xFF);
        }
        b
    } else {
        if mag[0] & 0x80 != 0 {
            mag.insert(0, 0);
        }
        mag
    };
    let mut out = (scale as i16).to_le_bytes().to_vec();
    out.append(&mut bytes);
    Ok((if zero { 0 } else { scale }, out))
}

/// Decimal text of a DECIMAL element, at `meta_scale` fraction digits when the column has one.
fn decimal_text(b: &[u8], meta_scale: Option<i32>) -> Result<String> {
    if b.len() < 3 {
        return Err(Error::malformed("DECIMAL of fewer than 3 bytes"));
    }
    let scale = i32::from(i16::from_le_bytes([b[0], b[1]]));
    let unscaled = &b[2..];
    if unscaled.len() > MAX_DECIMAL_BYTES {
        return Err(Error::malformed(format!(
            "a DECIMAL of {} bytes: more digits than Ignite's precision ({MAX_DECIMAL_DIGITS}) allows",
            unscaled.len()
        )));
    }
    let neg = unscaled[0] & 0x80 != 0;
    // Magnitude bytes, big-endian.
    let mag: Vec<u8> = if neg {
        let mut m: Vec<u8> = unscaled.iter().map(|x| !x).collect();
        for x in m.iter_mut().rev() {
            let (v, overflow) = x.overflowing_add(1);
            *x = v;
            if !overflow {
                break;
            }
        }
        m
    } else {
        unscaled.to_vec()
    };
    // To decimal digits, nine at a time: one pass of division by 10^9 per nine digits.
    let mut limbs: Vec<u32> = Vec::new();
    let pad = (4 - mag.len() % 4) % 4;
    let padded: Vec<u8> = std::iter::repeat_n(0u8, pad).chain(mag).collect();
    for c in padded.chunks(4) {
        limbs.push(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    }
    let mut groups: Vec<u32> = Vec::new(); // base 10^9, least significant first
    let mut start = 0;
    while start < limbs.len() {
        let mut rem = 0u64;
        for l in &mut limbs[start..] {
            let v = (rem << 32) | u64::from(*l);
            *l = (v / BILLION) as u32;
            rem = v % BILLION;
        }
        groups.push(rem as u32);
        while start < limbs.len() && limbs[start] == 0 {
            start += 1;
        }
    }
    let mut text = match groups.split_last() {
        None => "0".to_string(),
        Some((top, rest)) => {
            let mut t = top.to_string();
            for g in rest.iter().rev() {
                t.push_str(&format!("{g:09}"));
            }
            t
        }
    };
    // Negative scale: trailing zeros were stripped.
    let mut scale = scale;
    if scale < 0 {
        text.push_str(&"0".repeat((-scale) as usize));
        scale = 0;
    }
    let target = meta_scale
        .filter(|s| (0..=i32::from(i16::MAX)).contains(s))
        .unwrap_or(scale);
    let mut scale = scale as usize;
    let target = target as usize;
    while scale < target {
        text.push('0');
        scale += 1;
    }
    if text.len() <= scale {
        text = format!("{}{text}", "0".repeat(scale + 1 - text.len()));
    }
    if scale > 0 {
        text.insert(text.len() - scale, '.');
    }
    if neg && text.bytes().any(|b| b != b'0' && b != b'.') {
        text.insert(0, '-');
    }
    Ok(text)
}

/// Seconds since midnight and the fraction in nanoseconds, from a TIME element.
fn time_parts(b: &[u8]) -> Result<(i64, i64)> {
    let mut le = [0u8; 8];
    if !(4..=6).contains(&b.len()) {
        return Err(Error::malformed(format!("TIME of {} bytes", b.len())));
    }
    le[..b.len()].copy_from_slice(b);
    let v = u64::from_le_bytes(le) as i64;
    let (h, m, s, nanos) = match b.len() {
        4 => (
            v >> 22,
            (v >> 16) & 0x3F,
            (v >> 10) & 0x3F,
            (v & 0x3FF) * 1_000_000,
        ),
        5 => (
            v >> 32,
            (v >> 26) & 0x3F,
            (v >> 20) & 0x3F,
            (v & 0xF_FFFF) * 1000,
        ),
        _ => (v >> 42, (v >> 36) & 0x3F, (v >> 30) & 0x3F, v & 0x3FFF_FFFF),
    };
    if h > 23 || m > 59 || s > 60 || nanos >= 1_000_000_000 {
        return Err(Error::malformed("TIME out of range"));
    }
    Ok((h * 3600 + m * 60 + s, nanos))
}

fn date_days(b: &[u8]) -> Result<i64> {
    if b.len() != 3 {
        return Err(Error::malformed("DATE of wrong length"));
    }
    // 24-bit, sign-extended.
    let packed = i32::from_le_bytes([b[0], b[1], b[2], if b[2] & 0x80 != 0 { 0xFF } else { 0 }]);
    let (y, m, d) = (
        packed >> 9,
        ((packed >> 5) & 0xF) as u32,
        (packed & 0x1F) as u32,
    );
    value::checked_micros((i64::from(y), m, d), (0, 0, 0), 0)
        .map(|us| us / 86_400_000_000)
        .ok_or_else(|| Error::malformed("DATE out of range"))
}

/// Nanoseconds beyond microseconds cannot be a temporal value here: such a value is given as
/// ISO text with all nine digits, so nothing is lost.
fn with_nanos(micros_value: Value, text: impl FnOnce() -> String, nanos: i64) -> Value {
    if nanos % 1000 == 0 {
        micros_value
    } else {
        Value::Text(text())
    }
}

/// Seconds and nanoseconds of a TIMESTAMP or DURATION: 8 bytes of seconds, or 12 with an i32 of
/// nanoseconds after them (the reverse of [`seconds_nanos`]); None for another length.
fn secs_nanos(b: &[u8]) -> Option<(i64, i64)> {
    let secs = i64::from_le_bytes(b.get(..8)?.try_into().ok()?);
    match b.len() {
        8 => Some((secs, 0)),
        12 => Some((secs, i64::from(i32::from_le_bytes(b[8..].try_into().ok()?)))),
        _ => None,
    }
}

/// `secs` and `nanos` as microseconds (sub-microsecond digits dropped); malformed on overflow.
fn to_micros(secs: i64, nanos: i64, name: &str) -> Result<i64> {
    secs.checked_mul(1_000_000)
        .and_then(|s| s.checked_add(nanos / 1000))
        .ok_or_else(|| Error::malformed(format!("{name} out of range")))
}

/// `base`, a time of whole seconds, with all nine digits of `nanos`.
fn nanos_suffix(base: String, nanos: i64) -> String {
    format!("{base}.{nanos:09}")
}

/// An element of column type `t` (`scale` from the column's metadata) as a [`Value`].
pub fn decode(t: i32, scale: Option<i32>, b: Option<&[u8]>) -> Result<Value> {
    let Some(b) = b else {
        return Ok(Value::Null);
    };
    let len_err = |name: &str| Error::malformed(format!("{name} of {} bytes", b.len()));
    Ok(match t {
        ty::BOOLEAN => match b {
            [0] => Value::Bool(false),
            [1] => Value::Bool(true),
            _ => return Err(len_err("BOOLEAN")),
        },
        ty::INT8 | ty::INT16 | ty::INT32 | ty::INT64 => Value::Int(int(b)?),
        ty::FLOAT => match b.len() {
            4 => Value::Float(f64::from(f32::from_le_bytes(b.try_into().unwrap()))),
            _ => return Err(len_err("FLOAT")),
        },
        ty::DOUBLE => match b.len() {
            4 => Value::Float(f64::from(f32::from_le_bytes(b.try_into().unwrap()))),
            8 => Value::Float(f64::from_le_bytes(b.try_into().unwrap())),
            _ => return Err(len_err("DOUBLE")),
        },
        ty::DECIMAL => Value::Decimal(decimal_text(b, scale)?),
        ty::DATE => Value::Date(date_days(b)? as i32),
        ty::TIME => {
            let (secs, nanos) = time_parts(b)?;
            let micros = secs * 1_000_000 + nanos / 1000;
            with_nanos(
                Value::Time(micros),
                || nanos_suffix(value::format_time(secs * 1_000_000), nanos),
                nanos,
            )
        }
        ty::DATETIME => {
            if !(7..=9).contains(&b.len()) {
                return Err(len_err("DATETIME"));
            }
            let days = date_days(&b[..3])?;
            let (secs, nanos) = time_parts(&b[3..])?;
            let micros = days * 86_400_000_000 + secs * 1_000_000 + nanos / 1000;
            with_nanos(
                Value::Timestamp(micros),
                || {
                    nanos_suffix(
                        value::format_timestamp(micros - micros.rem_euclid(1_000_000), false),
                        nanos,
                    )
                },
                nanos,
            )
        }
        ty::TIMESTAMP => {
            let (secs, nanos) = secs_nanos(b).ok_or_else(|| len_err("TIMESTAMP"))?;
            if !(0..1_000_000_000).contains(&nanos) {
                return Err(Error::malformed("TIMESTAMP nanoseconds out of range"));
            }
            let micros = to_micros(secs, nanos, "TIMESTAMP")?;
            with_nanos(
                Value::TimestampTz(micros),
                || nanos_suffix(value::format_timestamp(secs * 1_000_000, false), nanos) + "Z",
                nanos,
            )
        }
        ty::UUID => {
            if b.len() != 16 {
                return Err(len_err("UUID"));
            }
            let mut u = [0u8; 16];
            for i in 0..8 {
                u[i] = b[7 - i];
                u[8 + i] = b[15 - i];
            }
            Value::Uuid(u)
        }
        ty::STRING => {
            let s = if b == [0x80] { &[][..] } else { b };
            Value::Text(
                String::from_utf8(s.to_vec())
                    .map_err(|_| Error::malformed("STRING is not UTF-8"))?,
            )
        }
        ty::BYTE_ARRAY => Value::Bytes(b.strip_prefix(&[0x80]).unwrap_or(b).to_vec()),
        ty::PERIOD => {
            let parts: Vec<i64> = match b.len() {
                3 => b.iter().map(|x| i64::from(*x as i8)).collect(),
                6 => b.chunks(2).map(int).collect::<Result<_>>()?,
                12 => b.chunks(4).map(int).collect::<Result<_>>()?,
                _ => return Err(len_err("PERIOD")),
            };
            let months = parts[0]
                .checked_mul(12)
                .and_then(|m| m.checked_add(parts[1]))
                .and_then(|m| i32::try_from(m).ok())
                .ok_or_else(|| Error::malformed("PERIOD out of range"))?;
            Value::Interval(Interval {
                months,
                days: i32::try_from(parts[2])
                    .map_err(|_| Error::malformed("PERIOD out of range"))?,
                micros: 0,
            })
        }
        ty::DURATION => {
            let (secs, nanos) = secs_nanos(b).ok_or_else(|| len_err("DURATION"))?;
            if nanos % 1000 != 0 {
                return Err(Error::data(
                    "a DURATION with nanoseconds does not fit an interval of microseconds",
                ));
            }
            let micros = to_micros(secs, nanos, "DURATION")?;
            Value::Interval(Interval {
                months: 0,
                days: 0,
                micros,
            })
        }
        ty::NULL => Value::Null,
        other => {
            return Err(Error::not_supported(format!(
                "Ignite column type {other} is not supported"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::tuple::{build, read};
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect()
    }

    fn one(v: Vec<u8>) -> Vec<u8> {
        build(&[Some(v)])
    }

    #[test]
    fn builds_the_byte_vectors_of_the_notes() {
        let arg = |v: Value| build(&argument(&v).unwrap());
        assert_eq!(
            build(&[Some(vec![4]), Some(vec![0]), Some(vec![42])]),
            hex("00 01 02 03 04 00 2a")
        );
        assert_eq!(arg(Value::Null), hex("00 00 00 00"));
        assert_eq!(
            build(&[Some(vec![15]), Some(vec![0]), Some(string("hi"))]),
            hex("00 01 02 04 0f 00 68 69")
        );
        assert_eq!(
            build(&[Some(vec![15]), Some(vec![0]), Some(string(""))]),
            hex("00 01 02 03 0f 00 80")
        );
        assert_eq!(one(shrunk(300)), hex("00 02 2c 01"));
        assert_eq!(one(shrunk(1 << 40)), hex("00 08 00 00 00 00 00 01 00 00"));
        assert_eq!(one(double(1.5)), hex("00 04 00 00 c0 3f"));
        assert_eq!(one(double(0.1)), hex("00 08 9a 99 99 99 99 99 b9 3f"));
        assert_eq!(one(vec![1]), hex("00 01 01"));
        assert_eq!(one(decimal("12.34").unwrap().1), hex("00 04 02 00 04 d2"));
        assert_eq!(one(decimal("-1.5").unwrap().1), hex("00 03 01 00 f1"));
        let days = value::days_from_civil(2024, 3, 15) as i32;
        assert_eq!(one(date(days).unwrap()), hex("00 03 6f d0 0f"));
        let t = (13 * 3600 + 45 * 60 + 30) * 1_000_000i64;
        assert_eq!(one(time(t)), hex("00 04 00 78 6d 03"));
        assert_eq!(one(time(t + 123_000)), hex("00 04 7b 78 6d 03"));
        assert_eq!(one(time(t + 123_456)), hex("00 05 40 e2 e1 b5 0d"));
        assert_eq!(
            one(seconds_nanos(1_700_000_000_000_000)),
            hex("00 08 00 f1 53 65 00 00 00 00")
        );
        let u = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        assert_eq!(
            one(uuid(&u)),
            hex("00 10 77 66 55 44 33 22 11 00 ff ee dd cc bb aa 99 88")
        );
        assert_eq!(one(byte_array(&[])), hex("00 01 80"));
        assert_eq!(one(byte_array(&[0x80, 0x01])), hex("00 03 80 80 01"));
        assert_eq!(
            one(period(&Interval {
                months: 14,
                days: 3,
                micros: 0
            })),
            hex("00 03 01 02 03")
        );
        assert_eq!(build(&[]), hex("00"));
        let long = "x".repeat(300);
        let two = build(&[Some(vec![7]), Some(string(&long))]);
        assert_eq!(two[..5], hex("01 01 00 2d 01")[..]);
    }

    #[test]
    fn reads_what_the_server_writes() {
        let d = |t: i32, scale: Option<i32>, v: &str| {
            let bytes = hex(v);
            let els = read(&bytes, 1).unwrap();
            decode(t, scale, els[0]).unwrap()
        };
        assert_eq!(
            d(ty::DECIMAL, Some(3), "00 04 02 00 04 d2"),
            Value::Decimal("12.340".into())
        );
        assert_eq!(
            d(ty::DECIMAL, Some(0), "00 03 fe ff 01"),
            Value::Decimal("100".into())
        );
        assert_eq!(
            d(ty::DECIMAL, Some(2), "00 03 01 00 f1"),
            Value::Decimal("-1.50".into())
        );
        assert_eq!(d(ty::INT64, None, "00 01 ff"), Value::Int(-1));
        assert_eq!(d(ty::DOUBLE, None, "00 04 00 00 c0 3f"), Value::Float(1.5));
        assert_eq!(
            d(ty::DATE, None, "00 03 6f d0 0f"),
            Value::Date(value::days_from_civil(2024, 3, 15) as i32)
        );
        assert_eq!(
            d(ty::TIME, None, "00 06 15 cd 5b 87 d7 36"),
            Value::Text("13:45:30.123456789".into())
        );
        assert_eq!(
            d(ty::DATETIME, None, "00 07 6f d0 0f 00 78 6d 03"),
            Value::Timestamp(1_710_510_330_000_000)
        );
        assert_eq!(
            d(
                ty::TIMESTAMP,
                None,
                "00 0c 00 f1 53 65 00 00 00 00 05 00 00 00"
            ),
            Value::Text("2023-11-14T22:13:20.000000005Z".into())
        );
        assert_eq!(d(ty::STRING, None, "00 01 80"), Value::Text(String::new()));
        assert_eq!(
            d(ty::BYTE_ARRAY, None, "00 03 80 80 01"),
            Value::Bytes(vec![0x80, 1])
        );
        assert_eq!(
            d(
                ty::DURATION,
                None,
                "00 0c 5a 00 00 00 00 00 00 00 e8 03 00 00"
            ),
            Value::Interval(Interval {
                months: 0,
                days: 0,
                micros: 90_000_001
            })
        );
        assert_eq!(read(&hex("00 00"), 1).unwrap(), vec![None]);
        for bad in ["", "00 05", "03 00", "00 02 01 00", "00 01"] {
            assert!(read(&hex(bad), 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_round_trip_exactly() {
        for s in [
            "0",
            "-0.5",
            "123456789012345678901234567890.123456789012345678901234567890",
            "-170141183460469231731687303715884105728",
            "0.000001",
            "1000000000000000001",
            "-1000000000",
            "999999999",
        ] {
            let (scale, bytes) = decimal(s).unwrap();
            let back = decimal_text(&bytes, Some(scale)).unwrap();
            assert_eq!(back, s.trim_start_matches('+'), "{s}");
        }
        // The largest precision Ignite has, both ways.
        let widest = format!("-{}.{}", "9".repeat(20_000), "1".repeat(12_767));
        let (scale, bytes) = decimal(&widest).unwrap();
        assert!(bytes.len() - 2 <= MAX_DECIMAL_BYTES);
        assert_eq!(decimal_text(&bytes, Some(scale)).unwrap(), widest);
    }

    #[test]
    fn decimals_wider_than_any_precision_are_refused_both_ways() {
        // 64 KiB of unscaled bytes: once 11 s of CPU, now an error before any arithmetic.
        let mut element = vec![0, 0];
        element.extend(std::iter::repeat_n(0x7f, 64 << 10));
        let e = decimal_text(&element, None).unwrap_err();
        assert_eq!(e.origin, crate::core::Origin::Malformed);
        assert!(e.message.contains("65536 bytes"), "{}", e.message);
        let e = decimal(&"1".repeat(40_000)).unwrap_err();
        assert_eq!(e.kind, crate::core::ErrorKind::Data);
    }
}

//! Ignite column types, and values both ways: SQLite values into BinaryTuple elements, and
//! the client's argument triples into SQLite values.

use rusqlite::types::Value as Sql;

use super::tuple::{le_int, shrink, untuple};
use super::wire::{Rd, R};
use crate::civil;
use crate::sqlite;

/// Ignite column types, as the node declares them.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Col {
    pub(super) id: i32,
    pub(super) precision: i32,
    pub(super) scale: i32,
    pub(super) nullable: bool,
}

impl Col {
    pub(super) fn of(id: i32) -> Col {
        Col {
            id,
            precision: -1,
            scale: i32::MIN,
            nullable: true,
        }
    }

    pub(super) fn parse(s: &str, not_null: bool) -> Option<Col> {
        let u = s.trim().to_ascii_uppercase();
        let args: Vec<i32> = u
            .split_once('(')
            .map(|(_, a)| {
                a.trim_end_matches(')')
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let mut c = Col::of(match u.split(['(', ' ']).next()? {
            "BOOLEAN" => 1,
            "TINYINT" => 2,
            "SMALLINT" => 3,
            "INT" | "INTEGER" => 4,
            "BIGINT" => 5,
            "REAL" | "FLOAT" => 6,
            "DOUBLE" => 7,
            "DECIMAL" | "NUMERIC" => 8,
            "DATE" => 9,
            "TIME" => 10,
            "TIMESTAMP" if u.contains("LOCAL TIME ZONE") => 12,
            "TIMESTAMP" => 11,
            "UUID" => 13,
            "VARCHAR" | "CHAR" | "STRING" => 15,
            "VARBINARY" | "BINARY" => 16,
            _ => return None,
        });
        c.nullable = !not_null;
        match c.id {
            8 => {
                c.precision = *args.first().unwrap_or(&32767);
                c.scale = *args.get(1).unwrap_or(&0);
            }
            10..=12 => {
                c.precision = *args.first().unwrap_or(&6);
                c.scale = 0;
            }
            15 | 16 => c.precision = *args.first().unwrap_or(&65536),
            _ => c.scale = 0,
        }
        Some(c)
    }

    pub(super) fn affinity(&self) -> &'static str {
        match self.id {
            1..=5 => "INTEGER",
            6 | 7 => "REAL",
            16 => "BLOB",
            _ => "TEXT",
        }
    }

    /// A stored value as this column's tuple element.
    pub(super) fn encode(&self, v: &Sql) -> R<Option<Vec<u8>>> {
        Ok(Some(match (self.id, v) {
            (_, Sql::Null) => return Ok(None),
            (1, Sql::Integer(i)) => vec![u8::from(*i != 0)],
            (2..=5, Sql::Integer(i)) => shrink(*i),
            (6, Sql::Real(f)) => (*f as f32).to_le_bytes().to_vec(),
            (7, Sql::Real(f)) => {
                if f64::from(*f as f32) == *f {
                    (*f as f32).to_le_bytes().to_vec()
                } else {
                    f.to_le_bytes().to_vec()
                }
            }
            (6 | 7, Sql::Integer(i)) => return Col::of(self.id).encode(&Sql::Real(*i as f64)),
            (8, v) => decimal_bytes(&sqlite::text(v), self.scale)?,
            (9, v) => date_bytes(&sqlite::text(v))?,
            (10, v) => time_bytes(&sqlite::text(v))?,
            (11, v) => {
                let t = sqlite::text(v);
                let (d, c) = t.split_once(['T', ' ']).unwrap_or((&t, "00:00:00"));
                let mut b = date_bytes(d)?;
                b.extend(time_bytes(c)?);
                b
            }
            (12, v) => {
                let t = sqlite::text(v);
                let (whole, nanos) = split_nanos(&t);
                let secs =
                    civil::parse_micros(&format!("{whole}Z")).ok_or("bad timestamp")? / 1_000_000;
                let mut b = secs.to_le_bytes().to_vec();
                if nanos != 0 {
                    b.extend((nanos as i32).to_le_bytes());
                }
                b
            }
            (13, v) => {
                let h: String = sqlite::text(v).chars().filter(|c| *c != '-').collect();
                let raw: Vec<u8> = (0..16)
                    .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect();
                raw[..8]
                    .iter()
                    .rev()
                    .chain(raw[8..].iter().rev())
                    .copied()
                    .collect()
            }
            (15, v) => {
                let t = sqlite::text(v);
                if t.is_empty() {
                    vec![0x80]
                } else {
                    t.into_bytes()
                }
            }
            (16, Sql::Blob(b)) => {
                if b.first().is_none_or(|&x| x == 0x80) {
                    std::iter::once(0x80).chain(b.iter().copied()).collect()
                } else {
                    b.clone()
                }
            }
            (0, _) => return Ok(None),
            (id, v) => return Err(format!("cannot encode {v:?} as type {id}")),
        }))
    }
}

/// `…HH:MM:SS.fffffffff` as the text before the fraction and the nanoseconds.
pub(super) fn split_nanos(t: &str) -> (&str, i64) {
    match t.split_once('.') {
        Some((w, f)) => (
            w,
            format!("{:0<9}", &f[..f.len().min(9)]).parse().unwrap_or(0),
        ),
        None => (t, 0),
    }
}

pub(super) fn date_bytes(d: &str) -> R<Vec<u8>> {
    let p: Vec<i32> = d
        .trim()
        .splitn(3, '-')
        .map(|x| x.parse().map_err(|_| "bad date".to_string()))
        .collect::<R<_>>()?;
    let [y, m, day] = p[..] else {
        return Err("bad date".into());
    };
    let packed = (y << 9) | (m << 5) | day;
    Ok(packed.to_le_bytes()[..3].to_vec())
}

/// TIME in the shortest of 4 (ms), 5 (µs) or 6 (ns) bytes that holds it exactly.
pub(super) fn time_bytes(t: &str) -> R<Vec<u8>> {
    let (whole, nanos) = split_nanos(t.trim());
    let p: Vec<i64> = whole
        .split(':')
        .map(|x| x.parse().map_err(|_| "bad time".to_string()))
        .collect::<R<_>>()?;
    let [h, m, s] = p[..] else {
        return Err("bad time".into());
    };
    Ok(if nanos % 1_000_000 == 0 {
        (((h << 22) | (m << 16) | (s << 10) | (nanos / 1_000_000)) as u32)
            .to_le_bytes()
            .to_vec()
    } else if nanos % 1000 == 0 {
        (((h << 32) | (m << 26) | (s << 20) | (nanos / 1000)) as u64).to_le_bytes()[..5].to_vec()
    } else {
        (((h << 42) | (m << 36) | (s << 30) | nanos) as u64).to_le_bytes()[..6].to_vec()
    })
}

/// DECIMAL: rounded half-up to the column's scale, trailing zeros stripped (a scale may become
/// negative), then i16 scale and the unscaled value, big-endian two's complement.
pub(super) fn decimal_bytes(s: &str, col_scale: i32) -> R<Vec<u8>> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut frac = frac.to_string();
    let keep = col_scale.max(0) as usize;
    let mut all: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().take(keep))
        .map(|b| b - b'0')
        .collect();
    if frac.len() > keep && frac.as_bytes()[keep] >= b'5' {
        // Half up.
        let mut i = all.len();
        loop {
            if i == 0 {
                all.insert(0, 1);
                break;
            }
            i -= 1;
            if all[i] == 9 {
                all[i] = 0;
            } else {
                all[i] += 1;
                break;
            }
        }
    }
    frac.truncate(keep);
    let mut scale = frac.len().min(keep) as i32;
    while all.len() > 1 && all.last() == Some(&0) {
        all.pop();
        scale -= 1;
    }
    if all.iter().all(|&d| d == 0) {
        scale = 0;
        all = vec![0];
    }
    // Decimal digits to a big-endian magnitude.
    let mut mag: Vec<u8> = vec![0];
    for d in all {
        let mut carry = u32::from(d);
        for b in mag.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    while mag.len() > 1 && mag[0] == 0 && mag[1] & 0x80 == 0 {
        mag.remove(0);
    }
    if mag[0] & 0x80 != 0 {
        mag.insert(0, 0);
    }
    if neg && mag.iter().any(|&b| b != 0) {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, o) = b.overflowing_add(1);
            *b = v;
            if !o {
                break;
            }
        }
        while mag.len() > 1 && mag[0] == 0xFF && mag[1] & 0x80 != 0 {
            mag.remove(0);
        }
    }
    let mut out = (scale as i16).to_le_bytes().to_vec();
    out.extend(mag);
    Ok(out)
}

/// Arguments as BinaryTuple triples (type, scale, value) as values SQLite binds; a DECIMAL
/// carries its own scale, so the triple's is not read.
pub(super) fn arguments(els: Vec<Option<Vec<u8>>>) -> R<Vec<Sql>> {
    els.chunks(3)
        .map(|c| argument(c[0].clone(), c[2].clone()))
        .collect()
}

/// An argument's type and value as a value SQLite binds.
pub(super) fn argument(t: Option<Vec<u8>>, v: Option<Vec<u8>>) -> R<Sql> {
    let (Some(t), Some(v)) = (t, v) else {
        return Ok(Sql::Null);
    };
    Ok(match le_int(&t) {
        1 => Sql::Integer(i64::from(v[0] != 0)),
        2..=5 => Sql::Integer(le_int(&v)),
        6 => Sql::Real(f64::from(f32::from_le_bytes(
            v[..4].try_into().map_err(|_| "bad float")?,
        ))),
        7 if v.len() == 4 => Sql::Real(f64::from(f32::from_le_bytes(v[..4].try_into().unwrap()))),
        7 => Sql::Real(f64::from_le_bytes(
            v[..8].try_into().map_err(|_| "bad double")?,
        )),
        8 => {
            let own = le_int(&v[..2]);
            Sql::Text(decimal_text(&v[2..], own))
        }
        9 => Sql::Text(date_text(&v)),
        10 => Sql::Text(time_text(&v)),
        11 => Sql::Text(format!("{}T{}", date_text(&v[..3]), time_text(&v[3..]))),
        12 => {
            let secs = le_int(&v[..8]);
            let nanos = if v.len() == 12 { le_int(&v[8..]) } else { 0 };
            Sql::Text(format!(
                "{}.{nanos:09}",
                civil::format_micros(secs * 1_000_000, 'T', 0, false)
            ))
        }
        13 => {
            let raw: Vec<u8> = v[..8]
                .iter()
                .rev()
                .chain(v[8..16].iter().rev())
                .copied()
                .collect();
            let h: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            Sql::Text(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ))
        }
        15 => Sql::Text(if v == [0x80] {
            String::new()
        } else {
            String::from_utf8(v).map_err(|_| "bad utf8")?
        }),
        16 => Sql::Blob(v.strip_prefix(&[0x80]).map_or(v.clone(), <[u8]>::to_vec)),
        17 | 18 => Sql::Text(format!("{v:?}")),
        other => return Err(format!("Unsupported argument type {other}")),
    })
}

pub(super) fn decimal_text(be: &[u8], scale: i64) -> String {
    let neg = be.first().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = be.to_vec();
    if neg {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, o) = b.overflowing_add(1);
            *b = v;
            if !o {
                break;
            }
        }
    }
    let mut digits = vec![0u8];
    for byte in mag {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut().rev() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.insert(0, (carry % 10) as u8);
            carry /= 10;
        }
    }
    let mut s: String = digits
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect::<String>()
        .trim_start_matches('0')
        .to_string();
    if s.is_empty() {
        s.push('0');
    }
    if scale < 0 {
        s.push_str(&"0".repeat((-scale) as usize));
    } else if scale > 0 {
        let sc = scale as usize;
        if s.len() <= sc {
            s = format!("{}{s}", "0".repeat(sc + 1 - s.len()));
        }
        s.insert(s.len() - sc, '.');
    }
    if neg {
        s.insert(0, '-');
    }
    s
}

pub(super) fn date_text(b: &[u8]) -> String {
    let packed = le_int(&b[..3]) as i32;
    format!(
        "{:04}-{:02}-{:02}",
        packed >> 9,
        (packed >> 5) & 0xF,
        packed & 0x1F
    )
}

pub(super) fn time_text(b: &[u8]) -> String {
    let v = le_int(b) as u64 & ((1u64 << (8 * b.len())) - 1);
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
            (v & 0xFFFFF) * 1000,
        ),
        _ => (v >> 42, (v >> 36) & 0x3F, (v >> 30) & 0x3F, v & 0x3FFF_FFFF),
    };
    format!("{h:02}:{m:02}:{s:02}.{nanos:09}")
}

pub(super) fn read_args(r: &mut Rd<'_>) -> R<Vec<Sql>> {
    if r.nil() {
        return Ok(Vec::new());
    }
    let n = r.int()? as usize;
    if n == 0 {
        return Ok(Vec::new());
    }
    arguments(untuple(r.bin()?, n * 3)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_as_the_node_writes_them() {
        assert_eq!(
            decimal_bytes("12.340", 3).unwrap(),
            [0x02, 0x00, 0x04, 0xd2]
        );
        assert_eq!(decimal_bytes("100", 0).unwrap(), [0xfe, 0xff, 0x01]);
        assert_eq!(decimal_bytes("-1.5", 2).unwrap(), [0x01, 0x00, 0xf1]);
        assert_eq!(decimal_bytes("0.125", 2).unwrap(), [0x02, 0x00, 0x0d]);
        assert_eq!(decimal_text(&[0x04, 0xd2], 2), "12.34");
        assert_eq!(decimal_text(&[0xf1], 1), "-1.5");
        assert_eq!(decimal_text(&[0x01], -2), "100");
    }

    #[test]
    fn times_in_their_shortest_form() {
        assert_eq!(time_bytes("13:45:30").unwrap(), [0x00, 0x78, 0x6d, 0x03]);
        assert_eq!(
            time_bytes("13:45:30.123456").unwrap(),
            [0x40, 0xe2, 0xe1, 0xb5, 0x0d]
        );
        assert_eq!(
            time_bytes("13:45:30.123456789").unwrap(),
            [0x15, 0xcd, 0x5b, 0x87, 0xd7, 0x36]
        );
        assert_eq!(date_bytes("2024-03-15").unwrap(), [0x6f, 0xd0, 0x0f]);
    }
}

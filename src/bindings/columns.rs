//! A batch of rows for the Python module (pkg-templates/python, `_rows_in`), column by column,
//! so that Python makes a column's values with one C-level call and the rows with one `zip`.
//!
//! A batch is three parts: `header`, JSON `[row count, [[kind, payload], ...]]`; `data`, the
//! packed columns' numbers one after another, little-endian; `text`, the text columns' values,
//! each followed by a NUL (one `str.split` cuts them all).
//!
//! | kind | a column of | in `data` or `text` | payload |
//! |---|---|---|---|
//! | `int` | integers | an i64 a row | its null rows |
//! | `float` | floats (NaN and infinities too) | an f64 a row | its null rows |
//! | `text` | text without a NUL | each value, then a NUL | its null rows |
//! | `date` | dates Python can hold | 4 bytes a row: Python's `date` pickle state | its null rows |
//! | `datetime`, `datetimetz` | timestamps Python can hold | 10 bytes a row: `datetime`'s pickle state | its null rows |
//! | a tag (tagged.rs) | values of that tag only | | their payloads (`["d", ["0.1", null]]`) |
//! | `""` | JSON's own values only | | the values |
//! | `"?"` | anything else | | the values, tagged one by one |
//!
//! Dates and timestamps go as the bytes Python's pickle keeps them in (big-endian year, month,
//! day, hour, minute, second, 3-byte microsecond): `datetime(state)` is the one constructor that
//! parses no arguments, three times as fast in Pyodide as `datetime(y, m, d, ...)`. A null row of
//! a packed column holds zeros (1970-01-01 for a date or timestamp), which Python replaces with
//! None. A date or timestamp beyond Python's range (infinity, year 10000) sends its column tagged,
//! where it fails its own row.

use super::tagged;
use crate::core::value::{self, Value};
use crate::core::Row;

/// One batch: see the module's documentation.
pub struct Columns {
    /// `[row count, [[kind, payload], ...]]`
    pub header: String,
    /// The packed columns' numbers.
    pub data: Vec<u8>,
    /// The text columns' values, each followed by a NUL.
    pub text: String,
}

/// How a column of one plain type is packed.
#[derive(Clone, Copy, PartialEq)]
enum Packed {
    Int,
    Float,
    Text,
    Date,
    Timestamp,
    TimestampTz,
}

impl Packed {
    fn of(v: &Value) -> Option<Packed> {
        Some(match v {
            Value::Int(_) => Packed::Int,
            Value::Float(_) => Packed::Float,
            Value::Text(s) if !s.contains('\0') => Packed::Text,
            Value::Date(d) if PYTHON_DAYS.contains(&i64::from(*d)) => Packed::Date,
            Value::Timestamp(t) if PYTHON_MICROS.contains(t) => Packed::Timestamp,
            Value::TimestampTz(t) if PYTHON_MICROS.contains(t) => Packed::TimestampTz,
            _ => return None,
        })
    }

    fn kind(self) -> &'static str {
        match self {
            Packed::Int => "int",
            Packed::Float => "float",
            Packed::Text => "text",
            Packed::Date => "date",
            Packed::Timestamp => "datetime",
            Packed::TimestampTz => "datetimetz",
        }
    }
}

/// Days and microseconds since 1970 of 0001-01-01 and 9999-12-31 (its last microsecond):
/// Python's date and datetime range.
const PYTHON_DAYS: std::ops::RangeInclusive<i64> = -719_162..=2_932_896;
const PYTHON_MICROS: std::ops::RangeInclusive<i64> =
    -62_135_596_800_000_000..=253_402_300_799_999_999;
const DAY_MICROS: i64 = 86_400_000_000;

/// Rows as one batch.
pub fn columns(rows: &[Row]) -> Columns {
    let width = rows.first().map_or(0, Vec::len);
    let mut batch = Columns {
        header: format!("[{},[", rows.len()),
        data: Vec::new(),
        text: String::new(),
    };
    for j in 0..width {
        if j > 0 {
            batch.header.push(',');
        }
        let column = rows.iter().map(|r| r.get(j).unwrap_or(&Value::Null));
        match one_kind(column.clone(), Packed::of) {
            Some(packed) => pack(packed, column, &mut batch),
            None => tagged_column(column, &mut batch.header),
        }
    }
    batch.header.push_str("]]");
    batch
}

/// The kind `of` gives every non-null value of a column, if it is one and there is one.
fn one_kind<'a, K: PartialEq>(
    column: impl Iterator<Item = &'a Value>,
    of: impl Fn(&Value) -> Option<K>,
) -> Option<K> {
    column
        .filter(|v| !matches!(v, Value::Null))
        .map(of)
        .try_fold(None, |kind, k| match (kind, k) {
            (_, None) => Err(()),
            (None, k) => Ok(k),
            (Some(kind), Some(k)) if kind == k => Ok(Some(kind)),
            _ => Err(()),
        })
        .ok()
        .flatten()
}

/// A packed column: its values into `data` or `text`, its kind and null rows into the header.
fn pack<'a>(packed: Packed, column: impl Iterator<Item = &'a Value>, batch: &mut Columns) {
    let mut nulls = String::new();
    for (i, v) in column.enumerate() {
        if matches!(v, Value::Null) {
            if !nulls.is_empty() {
                nulls.push(',');
            }
            value::push_int(&mut nulls, i as i64);
        }
        match (packed, v) {
            (Packed::Int, Value::Int(n)) => batch.data.extend_from_slice(&n.to_le_bytes()),
            (Packed::Int, _) => batch.data.extend_from_slice(&0i64.to_le_bytes()),
            (Packed::Float, Value::Float(f)) => batch.data.extend_from_slice(&f.to_le_bytes()),
            (Packed::Float, _) => batch.data.extend_from_slice(&0f64.to_le_bytes()),
            (Packed::Text, v) => {
                if let Value::Text(s) = v {
                    batch.text.push_str(s);
                }
                batch.text.push('\0');
            }
            (Packed::Date, v) => {
                let days = if let Value::Date(d) = v { *d } else { 0 };
                batch.data.extend_from_slice(&date_state(i64::from(days)));
            }
            (Packed::Timestamp | Packed::TimestampTz, v) => {
                let micros = match v {
                    Value::Timestamp(t) | Value::TimestampTz(t) => *t,
                    _ => 0,
                };
                batch
                    .data
                    .extend_from_slice(&date_state(micros.div_euclid(DAY_MICROS)));
                let rest = micros.rem_euclid(DAY_MICROS);
                let [_, us @ ..] = ((rest % 1_000_000) as u32).to_be_bytes();
                let hms = [
                    rest / 3_600_000_000,
                    rest / 60_000_000 % 60,
                    rest / 1_000_000 % 60,
                ];
                batch.data.extend(hms.map(|n| n as u8));
                batch.data.extend_from_slice(&us);
            }
        }
    }
    let header = &mut batch.header;
    header.push_str("[\"");
    header.push_str(packed.kind());
    header.push_str("\",[");
    header.push_str(&nulls);
    header.push_str("]]");
}

/// The first 4 bytes of Python's pickle state of a date or datetime: the date `days` after
/// 1970-01-01 as big-endian year, month, day.
fn date_state(days: i64) -> [u8; 4] {
    let (y, m, d) = value::civil_from_days(days);
    let [hi, lo] = (y as u16).to_be_bytes();
    [hi, lo, m as u8, d as u8]
}

/// A column that is not packed, as tagged JSON into the header: payloads alone when its values
/// are of one tag, else the values.
fn tagged_column<'a>(column: impl Iterator<Item = &'a Value> + Clone, header: &mut String) {
    let tag = one_kind(column.clone(), tagged::payload_tag);
    let mut values = String::new();
    let mut any_tagged = false;
    for (i, v) in column.enumerate() {
        if i > 0 {
            values.push(',');
        }
        match tag {
            Some(_) => tagged::write_payload(v, &mut values),
            None => any_tagged |= tagged::write(v, &mut values),
        }
    }
    header.push_str("[\"");
    header.push_str(tag.unwrap_or(if any_tagged { "?" } else { "" }));
    header.push_str("\",[");
    header.push_str(&values);
    header.push_str("]]");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::value::Interval;

    fn i64s(b: &[u8]) -> Vec<i64> {
        b.chunks(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn plain_columns_are_packed_the_rest_tagged() {
        let row = vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(i64::MIN),
            Value::Float(f64::NEG_INFINITY),
            Value::Decimal("12345678901234567890.0123456789".into()),
            Value::Text("Zoë \"q\"".into()),
            Value::Bytes(vec![0, 255]),
            Value::Date(-1),
            Value::TimestampTz(1),
            Value::Interval(Interval {
                months: 14,
                days: 3,
                micros: 1,
            }),
            Value::Uuid([0xab; 16]),
            Value::Array(vec![
                Value::Int(1),
                Value::Null,
                Value::Float(1.0),
                Value::Float(f64::NAN),
            ]),
            Value::Text("nul \0 inside".into()),
        ];
        let mut second = row.clone();
        second[2] = Value::Null;
        second[4] = Value::Null;
        second[5] = Value::Text(String::new());
        second[8] = Value::Null;
        second[12] = Value::Text("x".into());
        let batch = columns(&[row, second]);
        assert_eq!(
            batch.header,
            concat!(
                r#"[2,[["",[null,null]],["",[true,true]],["int",[1]],["float",[]],"#,
                r#"["d",["12345678901234567890.0123456789",null]],["text",[]],"#,
                r#"["b",["00ff","00ff"]],["date",[]],["datetimetz",[1]],"#,
                r#"["?",[["i",14,3,1,"P1Y2M3DT0.000001S"],["i",14,3,1,"P1Y2M3DT0.000001S"]]],"#,
                r#"["u",["abababababababababababababababab","abababababababababababababababab"]],"#,
                r#"["?",[["a",[1,null,1.0,["f","nan"]]],["a",[1,null,1.0,["f","nan"]]]]],["",["nul \u0000 inside","x"]]]]"#
            )
        );
        assert_eq!(batch.text, "Zoë \"q\"\0\0");
        let (ints, rest) = batch.data.split_at(16);
        assert_eq!(i64s(ints), [i64::MIN, 0]);
        let (floats, rest) = rest.split_at(16);
        assert_eq!(i64s(floats)[0], f64::NEG_INFINITY.to_bits() as i64);
        let (dates, stamps) = rest.split_at(8);
        assert_eq!(dates, [7, 177, 12, 31, 7, 177, 12, 31]);
        // Row 1 is null: 1970-01-01 stands in its place, Python puts None there.
        assert_eq!(
            stamps,
            [7, 178, 1, 1, 0, 0, 0, 0, 0, 1, 7, 178, 1, 1, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn dates_beyond_python_go_tagged_and_no_rows_make_no_columns() {
        // The last microsecond of 9999 still fits; infinity does not.
        let far = [
            vec![Value::Timestamp(253_402_300_799_999_999)],
            vec![Value::Timestamp(value::INFINITY_MICROS)],
        ];
        assert_eq!(
            columns(&far).header,
            r#"[2,[["T",[253402300799999999,9223372036854775807]]]]"#
        );
        let last = columns(&far[..1]);
        assert_eq!(last.header, r#"[1,[["datetime",[]]]]"#);
        // 9999 = 0x270f, 999999 = 0x0f423f
        assert_eq!(
            last.data,
            [0x27, 0x0f, 12, 31, 23, 59, 59, 0x0f, 0x42, 0x3f]
        );
        let dates = [vec![Value::Date(2_932_896)], vec![Value::Date(2_932_897)]];
        assert_eq!(columns(&dates).header, r#"[2,[["D",[2932896,2932897]]]]"#);
        // A column of two kinds is tagged value by value.
        let mixed = [vec![Value::Date(1)], vec![Value::TimestampTz(2)]];
        assert_eq!(columns(&mixed).header, r#"[2,[["?",[["D",1],["Z",2]]]]]"#);
        let none = columns(&[]);
        assert_eq!((none.header.as_str(), none.data.len()), ("[0,[]]", 0));
    }
}

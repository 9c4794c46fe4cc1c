//! Values as tagged JSON: how parameters cross from the Python module (pkg-templates/python),
//! and the row values that columns.rs does not pack. JSON's own null, booleans, integers, finite
//! floats and strings stand for themselves; every other value is a list `[tag, …]`, so each keeps
//! its exact type through JavaScript, where a number would blur `1.0` and `1` and a string would
//! blur text and decimals.
//!
//! | tag | value | payload |
//! |---|---|---|
//! | `f` | float NaN/±inf | `"nan"`, `"inf"`, `"-inf"` |
//! | `d` | decimal | plain-notation text (`NaN`, `Infinity` too) |
//! | `b` | bytes | lowercase hex |
//! | `D` | date | days since 1970-01-01 |
//! | `t` | time | microseconds since midnight |
//! | `T` | timestamp | microseconds since 1970-01-01 |
//! | `Z` | timestamp with time zone | microseconds since 1970-01-01 UTC |
//! | `i` | interval | months, days, microseconds (rows add its ISO 8601 text) |
//! | `u` | UUID | 32 hex digits |
//! | `j` | JSON document | its text |
//! | `a` | array | a list of values |

use serde_json::Value as Json;

use crate::core::value::{self, Interval, Value};
use crate::core::Params;
use crate::{Error, Result};

/// The tag of a value whose payload is one JSON number or string, for a column of one kind.
pub fn payload_tag(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Decimal(_) => "d",
        Value::Bytes(_) => "b",
        Value::Date(_) => "D",
        Value::Time(_) => "t",
        Value::Timestamp(_) => "T",
        Value::TimestampTz(_) => "Z",
        Value::Uuid(_) => "u",
        _ => return None,
    })
}

/// A value of a one-kind column: null, or its payload alone.
pub fn write_payload(v: &Value, out: &mut String) {
    use std::fmt::Write as _;
    let _ = match v {
        Value::Decimal(s) => {
            json_string(s, out);
            Ok(())
        }
        Value::Bytes(b) => {
            json_string(&value::hex(b), out);
            Ok(())
        }
        Value::Uuid(u) => {
            json_string(&value::hex(u), out);
            Ok(())
        }
        Value::Date(d) => {
            value::push_int(out, i64::from(*d));
            Ok(())
        }
        Value::Time(t) | Value::Timestamp(t) | Value::TimestampTz(t) => {
            value::push_int(out, *t);
            Ok(())
        }
        _ => write!(out, "null"),
    };
}

/// Writes `v`; true when it took a tag. Written in place: this runs for every value of a result.
pub fn write(v: &Value, out: &mut String) -> bool {
    use std::fmt::Write as _;
    // `["tag",text]`
    let text_tag = |tag: &str, text: &str, out: &mut String| {
        out.push_str("[\"");
        out.push_str(tag);
        out.push_str("\",");
        json_string(text, out);
        out.push(']');
    };
    // Writing into a String cannot fail.
    let _ = match v {
        Value::Null => write!(out, "null"),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Int(i) => {
            value::push_int(out, *i);
            Ok(())
        }
        // Debug is the shortest text that reads back exactly, with `.0` on whole numbers.
        Value::Float(f) if f.is_finite() => write!(out, "{f:?}"),
        Value::Float(f) => {
            let text = if f.is_nan() {
                "nan"
            } else if *f > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            write!(out, "[\"f\",\"{text}\"]")
        }
        Value::Text(s) => {
            json_string(s, out);
            Ok(())
        }
        Value::Decimal(s) => {
            text_tag("d", s, out);
            Ok(())
        }
        Value::Json(s) => {
            text_tag("j", s, out);
            Ok(())
        }
        Value::Bytes(b) => {
            text_tag("b", &value::hex(b), out);
            Ok(())
        }
        Value::Uuid(u) => {
            text_tag("u", &value::hex(u), out);
            Ok(())
        }
        Value::Date(d) => write!(out, "[\"D\",{d}]"),
        Value::Time(t) => write!(out, "[\"t\",{t}]"),
        Value::Timestamp(t) => write!(out, "[\"T\",{t}]"),
        Value::TimestampTz(t) => write!(out, "[\"Z\",{t}]"),
        Value::Interval(iv) => {
            let _ = write!(out, "[\"i\",{},{},{},", iv.months, iv.days, iv.micros);
            json_string(&value::format_interval(*iv), out);
            write!(out, "]")
        }
        Value::Array(items) => {
            out.push_str("[\"a\",[");
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            write!(out, "]]")
        }
    };
    // Tagged: all but JSON's own values.
    !matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Text(_)
    ) && !matches!(v, Value::Float(f) if f.is_finite())
}

fn json_string(s: &str, out: &mut String) {
    // Straight from the &str (no copy into a serde_json::Value first); serialising a str cannot
    // fail, and if it did the reader would refuse the empty text.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Parameters from JSON: an array for `?`, an object for `:name`, or null.
pub fn params_from_json(text: &str) -> Result<Params> {
    params(&parse(text)?)
}

/// Parameter sets from a JSON array of them.
pub fn param_sets_from_json(text: &str) -> Result<Vec<Params>> {
    match parse(text)? {
        Json::Array(sets) => sets.iter().map(params).collect(),
        _ => Err(Error::programming(
            "executemany takes a sequence of parameter sets",
        )),
    }
}

fn parse(text: &str) -> Result<Json> {
    serde_json::from_str(text).map_err(|e| Error::interface(format!("malformed parameters: {e}")))
}

fn params(j: &Json) -> Result<Params> {
    match j {
        Json::Null => Ok(Params::none()),
        Json::Array(items) => Ok(Params::Positional(
            items.iter().map(decode).collect::<Result<_>>()?,
        )),
        Json::Object(map) => Ok(Params::Named(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), decode(v)?)))
                .collect::<Result<_>>()?,
        )),
        _ => Err(Error::programming(
            "parameters must be a sequence (for ? placeholders) or a mapping (for :name placeholders)",
        )),
    }
}

fn decode(j: &Json) -> Result<Value> {
    Ok(match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            // Integers beyond 64 bits stay exact, as decimals.
            None if n
                .to_string()
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'-') =>
            {
                Value::Decimal(n.to_string())
            }
            None => Value::Float(
                n.as_f64()
                    .ok_or_else(|| Error::data(format!("unreadable number {n}")))?,
            ),
        },
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(items) => {
            let tag = items.first().and_then(Json::as_str).unwrap_or("");
            let text = |i: usize| {
                items
                    .get(i)
                    .and_then(Json::as_str)
                    .ok_or_else(|| malformed(tag))
            };
            let int = |i: usize| {
                items
                    .get(i)
                    .and_then(Json::as_i64)
                    .ok_or_else(|| malformed(tag))
            };
            match tag {
                "f" => Value::Float(match text(1)? {
                    "nan" => f64::NAN,
                    "inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    _ => return Err(malformed(tag)),
                }),
                "d" => Value::Decimal(text(1)?.to_string()),
                "b" => Value::Bytes(value::unhex(text(1)?).ok_or_else(|| malformed(tag))?),
                "D" => Value::Date(i32::try_from(int(1)?).map_err(|_| malformed(tag))?),
                "t" => Value::Time(int(1)?),
                "T" => Value::Timestamp(int(1)?),
                "Z" => Value::TimestampTz(int(1)?),
                "i" => Value::Interval(Interval {
                    months: i32::try_from(int(1)?).map_err(|_| malformed(tag))?,
                    days: i32::try_from(int(2)?).map_err(|_| malformed(tag))?,
                    micros: int(3)?,
                }),
                "u" => Value::Uuid(value::parse_uuid(text(1)?).ok_or_else(|| malformed(tag))?),
                "j" => Value::Json(text(1)?.to_string()),
                "a" => match items.get(1) {
                    Some(Json::Array(xs)) => {
                        Value::Array(xs.iter().map(decode).collect::<Result<_>>()?)
                    }
                    _ => return Err(malformed(tag)),
                },
                _ => return Err(malformed(tag)),
            }
        }
        Json::Object(_) => return Err(Error::interface("malformed parameter: an object")),
    })
}

fn malformed(tag: &str) -> Error {
    Error::interface(format!("malformed parameter of tag {tag:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_decode_exactly() {
        let p = params_from_json(
            r#"[1, 1.0, 123456789012345678901234567890, ["d", "0.1"], ["b", "00ff"], ["D", 19782], ["a", [["f", "nan"]]]]"#,
        )
        .unwrap();
        let Params::Positional(v) = p else { panic!() };
        assert_eq!(v[0], Value::Int(1));
        assert_eq!(v[1], Value::Float(1.0));
        assert_eq!(
            v[2],
            Value::Decimal("123456789012345678901234567890".into())
        );
        assert_eq!(v[3], Value::Decimal("0.1".into()));
        assert_eq!(v[4], Value::Bytes(vec![0, 255]));
        assert_eq!(v[5], Value::Date(19782));
        assert!(matches!(&v[6], Value::Array(a) if matches!(a[0], Value::Float(f) if f.is_nan())));
        let Params::Named(n) = params_from_json(r#"{"b": 2, "a": null}"#).unwrap() else {
            panic!()
        };
        assert_eq!(
            n,
            vec![("b".into(), Value::Int(2)), ("a".into(), Value::Null)]
        );
        for bad in [
            r#"[["b", "0"]]"#,
            r#"[["x", 1]]"#,
            r#"[{"k": 1}]"#,
            "[",
            r#"[["u", "00"]]"#,
        ] {
            assert!(params_from_json(bad).is_err(), "{bad}");
        }
        assert_eq!(param_sets_from_json("[[1], {\"a\": 2}]").unwrap().len(), 2);
    }
}

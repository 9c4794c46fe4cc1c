//! CrateDB's types: the names of its type ids, and values both ways (JSON cells to values,
//! parameters to JSON as crate-python sends them).

use serde_json::value::RawValue;
use serde_json::{json, Value as Json};

use crate::core::decimal;
use crate::core::error::{Error, Result};
use crate::core::value::{self, Value};
use crate::core::LogicalType;

/// A column type from `col_types`: an id, or `[100, inner]` for an array.
#[derive(Clone, Debug, PartialEq)]
pub enum ColType {
    Id(i64),
    Array(Box<ColType>),
    /// Not given (old servers) or not understood: values are read by their JSON shape.
    Unknown,
}

impl ColType {
    pub fn of(ty: &Json) -> ColType {
        if let Some([outer, inner]) = ty.as_array().map(Vec::as_slice) {
            if outer.as_i64() == Some(100) {
                return ColType::Array(Box::new(ColType::of(inner)));
            }
        }
        ty.as_i64().map_or(ColType::Unknown, ColType::Id)
    }

    /// CrateDB's name for the type.
    pub fn name(&self) -> String {
        let id = match self {
            ColType::Array(inner) => return format!("array({})", inner.name()),
            ColType::Unknown => return "unknown".into(),
            ColType::Id(id) => *id,
        };
        match id {
            0 => "undefined",
            2 => "\"char\"",
            3 => "boolean",
            4 => "text",
            5 => "ip",
            6 => "double precision",
            7 => "real",
            8 => "smallint",
            9 => "integer",
            10 => "bigint",
            11 => "timestamp with time zone",
            12 | 16 => "object",
            13 => "geo_point",
            14 => "geo_shape",
            15 => "timestamp without time zone",
            17 => "interval",
            18 => "record",
            19 => "regproc",
            20 => "time with time zone",
            21 => "oidvector",
            22 => "numeric",
            23 => "regclass",
            24 => "date",
            25 => "bit",
            26 => "json",
            27 => "character",
            28 => "float_vector",
            29 => "uuid",
            30 => "regtype",
            _ => "unknown",
        }
        .to_string()
    }

    /// What the type is, whatever CrateDB calls it.
    pub fn logical(&self) -> LogicalType {
        match self {
            ColType::Array(inner) => LogicalType::Array(Box::new(inner.logical())),
            ColType::Unknown => LogicalType::Other,
            ColType::Id(id) => match id {
                3 => LogicalType::Bool,
                2 | 8 | 9 | 23 => LogicalType::Int,
                10 => LogicalType::Int64,
                6 | 7 => LogicalType::Float,
                22 => LogicalType::Decimal,
                4 | 5 | 27 | 20 => LogicalType::Text,
                11 => LogicalType::TimestampTz,
                15 => LogicalType::Timestamp,
                24 => LogicalType::Date,
                12 | 14 | 16 | 26 => LogicalType::Json,
                29 => LogicalType::Uuid,
                _ => LogicalType::Other,
            },
        }
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// A cell as the reply's text: the common scalars read straight from it, without a JSON tree
/// (a reply of 100,000 rows has 100,000s of them); anything else through [`decode`].
pub fn decode_raw(ty: &ColType, raw: &RawValue) -> Result<Value> {
    let text = raw.get();
    if let (ColType::Id(id), Some(&first)) = (ty, text.as_bytes().first()) {
        let number = first == b'-' || first.is_ascii_digit();
        let fast = match id {
            _ if text == "null" => Some(Value::Null),
            2 | 8 | 9 | 10 | 23 if number => text.parse().ok().map(Value::Int),
            11 if number => text
                .parse()
                .ok()
                .map(|ms| millis_to_micros(ms).map(Value::TimestampTz))
                .transpose()?,
            15 if number => text
                .parse()
                .ok()
                .map(|ms| millis_to_micros(ms).map(Value::Timestamp))
                .transpose()?,
            // Out of f64's range is left to decode, which refuses it.
            6 | 7 if number => text
                .parse()
                .ok()
                .filter(|f: &f64| f.is_finite())
                .map(Value::Float),
            3 => match text {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            // A string without escapes is its text between the quotes (the reply's parse has
            // checked the JSON).
            4 | 5 | 27 if first == b'"' && !text.contains('\\') => {
                Some(Value::Text(text[1..text.len() - 1].to_string()))
            }
            _ => None,
        };
        if let Some(v) = fast {
            return Ok(v);
        }
    }
    let v: Json =
        serde_json::from_str(text).map_err(|e| Error::malformed(format!("a cell: {e}")))?;
    decode(ty, v)
}

/// A JSON value of type `ty` as a [`Value`]. Unknown types are read by their JSON shape.
pub fn decode(ty: &ColType, v: Json) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let bad = |what: &str, v: &Json| Error::malformed(format!("{what} value {v}"));
    let id = match ty {
        ColType::Array(inner) => {
            return match v {
                Json::Array(items) => Ok(Value::Array(
                    items
                        .into_iter()
                        .map(|x| decode(inner, x))
                        .collect::<Result<_>>()?,
                )),
                other => Err(bad("array", &other)),
            }
        }
        ColType::Unknown => return untyped(v),
        ColType::Id(id) => *id,
    };
    let int = |v: &Json| v.as_i64().ok_or_else(|| bad("integer", v));
    Ok(match id {
        2 | 8 | 9 | 10 | 23 => Value::Int(int(&v)?),
        3 => Value::Bool(v.as_bool().ok_or_else(|| bad("boolean", &v))?),
        6 | 7 => Value::Float(float(&v).ok_or_else(|| bad("double", &v))?),
        11 => Value::TimestampTz(millis_to_micros(int(&v)?)?),
        15 => Value::Timestamp(millis_to_micros(int(&v)?)?),
        24 => Value::Date(
            i32::try_from(int(&v)?.div_euclid(MS_PER_DAY)).map_err(|_| bad("date", &v))?,
        ),
        12 | 14 | 16 => Value::Json(v.to_string()),
        26 => match v {
            Json::String(s) => Value::Json(s),
            other => Value::Json(other.to_string()),
        },
        13 | 21 | 28 => match v {
            Json::Array(items) => {
                Value::Array(items.into_iter().map(untyped).collect::<Result<_>>()?)
            }
            other => return Err(bad("array", &other)),
        },
        22 => match &v {
            Json::Number(n) => Value::Decimal(decimal::from_literal(&n.to_string())),
            Json::String(s) => Value::Decimal(s.clone()),
            other => return Err(bad("numeric", other)),
        },
        29 => match v {
            Json::String(s) => value::parse_uuid(&s).map_or(Value::Text(s), Value::Uuid),
            other => return Err(bad("uuid", &other)),
        },
        20 => time_with_zone(&v).ok_or_else(|| bad("time with time zone", &v))?,
        _ => untyped(v)?,
    })
}

fn millis_to_micros(ms: i64) -> Result<i64> {
    ms.checked_mul(1000)
        .ok_or_else(|| Error::data(format!("timestamp {ms} ms is out of range")))
}

/// Doubles are JSON numbers; a server may quote the non-finite ones.
fn float(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// A value read by its JSON shape: integers stay exact (beyond i64 as decimals).
fn untyped(v: Json) -> Result<Value> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => {
                let text = n.to_string();
                if text.contains(['.', 'e', 'E']) {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                } else {
                    Value::Decimal(text)
                }
            }
        },
        Json::String(s) => Value::Text(s),
        Json::Array(items) => Value::Array(items.into_iter().map(untyped).collect::<Result<_>>()?),
        obj @ Json::Object(_) => Value::Json(obj.to_string()),
    })
}

/// `[micros since midnight, zone offset in seconds]` as `HH:MM:SS[.ffffff]±HH:MM`.
fn time_with_zone(v: &Json) -> Option<Value> {
    let [micros, offset] = v.as_array()?.as_slice() else {
        return None;
    };
    let (micros, offset) = (micros.as_i64()?, offset.as_i64()?);
    // unsigned_abs: abs() of i64::MIN overflows (and in release passed this check).
    if !(0..86_400_000_000).contains(&micros) || offset.unsigned_abs() > 86_400 {
        return None;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    Some(Value::Text(format!(
        "{}{sign}{:02}:{:02}",
        value::format_time(micros),
        off / 3600,
        off / 60 % 60
    )))
}

/// A parameter as JSON, as crate-python sends them: timestamps as epoch milliseconds (ISO text
/// when they carry microseconds, which milliseconds would lose), decimals as exact text.
pub fn arg(v: &Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => match value::non_finite_text(*f) {
            Some(text) => json!(text),
            None => json!(f),
        },
        Value::Decimal(s) | Value::Text(s) => json!(s),
        Value::Bytes(_) => {
            return Err(Error::not_supported(
                "CrateDB has no binary type: pass bytes as base64 or hex text",
            ))
        }
        Value::Date(d) => json!(i64::from(*d) * MS_PER_DAY),
        Value::Timestamp(t) | Value::TimestampTz(t) if t % 1000 == 0 => json!(t / 1000),
        Value::Timestamp(t) => json!(value::format_timestamp(*t, false)),
        Value::TimestampTz(t) => json!(value::format_timestamp(*t, true)),
        Value::Time(t) => json!(value::format_time(*t)),
        Value::Interval(iv) => json!(value::format_interval(*iv)),
        Value::Uuid(u) => json!(value::format_uuid(u)),
        Value::Json(text) => serde_json::from_str(text)
            .map_err(|_| Error::data("a JSON parameter is not valid JSON"))?,
        Value::Array(items) => Json::Array(items.iter().map(arg).collect::<Result<_>>()?),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_raw_cell_reads_as_its_json_does() {
        let cases: &[(i64, &[&str])] = &[
            (
                10,
                &[
                    "0",
                    "-0",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "9223372036854775808",
                    "1.0",
                    "\"7\"",
                    "null",
                ],
            ),
            (9, &["2147483647", "1e3"]),
            (11, &["1700000000123", "-1", "9223372036854775807", "\"x\""]),
            (15, &["0", "253402300799999"]),
            (
                6,
                &[
                    "1.25",
                    "-0.0",
                    "1e400",
                    "5e-324",
                    "0.1",
                    "\"NaN\"",
                    "\"Infinity\"",
                ],
            ),
            (3, &["true", "false", "1"]),
            (
                4,
                &[
                    "\"plain\"",
                    "\"tab\\t and \\u00e9\"",
                    "\"\"",
                    "\"é ✓\"",
                    "12",
                ],
            ),
            (5, &["\"10.0.0.1\""]),
            (22, &["1.10", "\"1e-3\""]),
            (24, &["86400000"]),
        ];
        for (id, texts) in cases {
            let ty = ColType::Id(*id);
            for text in *texts {
                let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
                let json: Json = serde_json::from_str(text).unwrap();
                let (fast, slow) = (decode_raw(&ty, &raw), decode(&ty, json));
                match (&fast, &slow) {
                    (Ok(a), Ok(b)) => assert!(
                        a == b
                            || matches!((a, b), (Value::Float(x), Value::Float(y)) if x.is_nan() && y.is_nan()),
                        "type {id}, {text}: {a:?} vs {b:?}"
                    ),
                    (Err(a), Err(b)) => assert_eq!(a.kind, b.kind, "type {id}, {text}"),
                    _ => panic!("type {id}, {text}: {fast:?} vs {slow:?}"),
                }
            }
        }
    }

    use super::*;
    use crate::core::ErrorKind;

    #[test]
    fn a_time_zone_offset_out_of_range_is_an_error_even_at_i64_min() {
        let ty = ColType::of(&json!(20));
        for offset in [i64::MIN, i64::MAX, 86_401, -86_401] {
            let e = decode(&ty, json!([0, offset])).unwrap_err();
            assert_eq!(e.origin, crate::core::Origin::Malformed, "{offset}");
        }
        assert_eq!(
            decode(&ty, json!([0, -19800])).unwrap(),
            Value::Text("00:00:00-05:30".into())
        );
    }

    #[test]
    fn parameters_keep_their_precision() {
        assert_eq!(
            arg(&Value::Int(i64::MAX)).unwrap().to_string(),
            "9223372036854775807"
        );
        assert_eq!(arg(&Value::Decimal("1.10".into())).unwrap(), json!("1.10"));
        assert_eq!(arg(&Value::TimestampTz(1_500_000)).unwrap(), json!(1500));
        assert_eq!(
            arg(&Value::TimestampTz(1_500_001)).unwrap(),
            json!("1970-01-01T00:00:01.500001Z")
        );
        assert_eq!(arg(&Value::Date(1)).unwrap(), json!(86_400_000));
        let j = arg(&Value::Json(
            r#"{"big": 123456789012345678901234567890}"#.into(),
        ))
        .unwrap();
        assert_eq!(j.to_string(), r#"{"big":123456789012345678901234567890}"#);
        assert_eq!(
            arg(&Value::Bytes(vec![1])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }

    #[test]
    fn type_names_and_logical_types() {
        let t = ColType::of(&json!([100, [100, 9]]));
        assert_eq!(t.name(), "array(array(integer))");
        assert!(!t.logical().is_int64());
        assert!(ColType::of(&json!(10)).logical().is_int64());
        assert!(ColType::of(&json!([100, 10])).logical().is_int64());
        assert_eq!(ColType::of(&Json::Null).name(), "unknown");
    }
}

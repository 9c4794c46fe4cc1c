//! Databend's types as their names print (`Nullable(Int64)`, `Array(Int32 NULL)`), and cells
//! in its display format as values.

use super::literal::{from_literal, Literal};
use crate::core::error::{Error, Result};
use crate::core::value::{self, Value};
use crate::core::LogicalType;

/// Databend's types as their names print (`Nullable(Int64)`, `Array(Int32 NULL)`).
#[derive(Clone, Debug, PartialEq)]
pub enum DbType {
    Null,
    Boolean,
    Int {
        wide: bool,
    },
    UInt64,
    Float,
    Decimal,
    String,
    Binary,
    Date,
    Timestamp,
    TimestampTz,
    Variant,
    /// Text kept as text: Interval, Bitmap, Geometry, Geography, Vector and unknown names.
    Text,
    Array(Box<DbType>),
    Tuple(Vec<DbType>),
    Map(Box<DbType>, Box<DbType>),
}

impl DbType {
    /// Parses a type name; nullability is dropped (a JSON null is NULL for any type).
    pub fn parse(name: &str) -> DbType {
        DbType::parse_nested(name, 0)
    }

    /// Nesting deeper than 32 types is read as text rather than recursed into.
    fn parse_nested(name: &str, depth: usize) -> DbType {
        if depth > 32 {
            return DbType::Text;
        }
        let name = name.trim();
        let name = name.strip_suffix(" NULL").unwrap_or(name);
        if let Some(inner) = strip_call(name, "Nullable") {
            return DbType::parse_nested(inner, depth + 1);
        }
        if let Some(inner) = strip_call(name, "Array") {
            return DbType::Array(Box::new(DbType::parse_nested(inner, depth + 1)));
        }
        if let Some(inner) = strip_call(name, "Tuple") {
            return DbType::Tuple(
                split_args(inner)
                    .iter()
                    // Named fields print as `name Type`.
                    .map(|f| {
                        let f = f.trim();
                        match f.split_once(' ') {
                            Some((_, t)) if !f.starts_with(|c: char| c.is_ascii_uppercase()) => {
                                DbType::parse_nested(t, depth + 1)
                            }
                            _ => DbType::parse_nested(f, depth + 1),
                        }
                    })
                    .collect(),
            );
        }
        if let Some(inner) = strip_call(name, "Map") {
            let args = split_args(inner);
            return match args.as_slice() {
                [k, v] => DbType::Map(
                    Box::new(DbType::parse_nested(k, depth + 1)),
                    Box::new(DbType::parse_nested(v, depth + 1)),
                ),
                _ => DbType::Map(Box::new(DbType::String), Box::new(DbType::Text)),
            };
        }
        if name.starts_with("Decimal") {
            return DbType::Decimal;
        }
        match name {
            "NULL" | "Null" | "Nothing" => DbType::Null,
            "Boolean" => DbType::Boolean,
            "Int8" | "Int16" | "Int32" | "UInt8" | "UInt16" | "UInt32" => {
                DbType::Int { wide: false }
            }
            "Int64" => DbType::Int { wide: true },
            "UInt64" => DbType::UInt64,
            "Float32" | "Float64" => DbType::Float,
            "String" => DbType::String,
            "Binary" => DbType::Binary,
            "Date" => DbType::Date,
            "Timestamp" => DbType::Timestamp,
            "Timestamp_Tz" => DbType::TimestampTz,
            "Variant" => DbType::Variant,
            _ => DbType::Text,
        }
    }

    pub fn logical(&self) -> LogicalType {
        match self {
            DbType::Null | DbType::Text => LogicalType::Other,
            DbType::Boolean => LogicalType::Bool,
            DbType::Int { wide: false } => LogicalType::Int,
            DbType::Int { wide: true } | DbType::UInt64 => LogicalType::Int64,
            DbType::Float => LogicalType::Float,
            DbType::Decimal => LogicalType::Decimal,
            DbType::String => LogicalType::Text,
            DbType::Binary => LogicalType::Bytes,
            DbType::Date => LogicalType::Date,
            DbType::Timestamp => LogicalType::Timestamp,
            DbType::TimestampTz => LogicalType::TimestampTz,
            DbType::Variant | DbType::Map(..) => LogicalType::Json,
            DbType::Array(e) => LogicalType::Array(Box::new(e.logical())),
            DbType::Tuple(_) => LogicalType::Array(Box::new(LogicalType::Other)),
        }
    }
}

fn strip_call<'a>(name: &'a str, f: &str) -> Option<&'a str> {
    name.strip_prefix(f)?.strip_prefix('(')?.strip_suffix(')')
}

/// Splits at commas outside parentheses.
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

/// A cell of type `ty` as a [`Value`]. `utc`: Timestamps are shown in UTC (the session's
/// timezone), so they are instants.
pub fn decode(ty: &DbType, cell: Option<String>, utc: bool) -> Result<Value> {
    let Some(text) = cell else {
        return Ok(Value::Null);
    };
    let text = text.as_str();
    // Old servers wrote NULL as text in nullable non-string columns (bendsql reads it so too).
    if text == "NULL" && !matches!(ty, DbType::String | DbType::Text | DbType::Variant) {
        return Ok(Value::Null);
    }
    decode_text(ty, text, utc)
}

pub(super) fn decode_text(ty: &DbType, text: &str, utc: bool) -> Result<Value> {
    let bad = || Error::malformed(format!("{ty:?} value {text:?}"));
    Ok(match ty {
        DbType::Null => Value::Null,
        DbType::Boolean => match text {
            "1" | "true" => Value::Bool(true),
            "0" | "false" => Value::Bool(false),
            _ => return Err(bad()),
        },
        DbType::Int { .. } => Value::Int(text.parse().map_err(|_| bad())?),
        // Beyond i64 it stays exact as a decimal.
        DbType::UInt64 => match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) if text.parse::<u64>().is_ok() => Value::Decimal(text.to_string()),
            Err(_) => return Err(bad()),
        },
        // Rust reads NaN and inf/infinity in any case, signed, as Databend writes them.
        DbType::Float => Value::Float(text.parse().map_err(|_| bad())?),
        DbType::Decimal => Value::Decimal(text.to_string()),
        DbType::String | DbType::Text => Value::Text(text.to_string()),
        DbType::Binary => Value::Bytes(value::unhex(text).ok_or_else(bad)?),
        DbType::Date => Value::Date(parse_date(text).ok_or_else(bad)?),
        DbType::Timestamp => {
            let (micros, offset) = value::parse_timestamp(text).ok_or_else(bad)?;
            match (offset, utc) {
                (Some(off), _) => Value::TimestampTz(micros - off * 1_000_000),
                (None, true) => Value::TimestampTz(micros),
                (None, false) => Value::Timestamp(micros),
            }
        }
        DbType::TimestampTz => {
            let (micros, offset) = value::parse_timestamp(text).ok_or_else(bad)?;
            Value::TimestampTz(micros - offset.unwrap_or(0) * 1_000_000)
        }
        DbType::Variant => Value::Json(text.to_string()),
        DbType::Array(_) | DbType::Tuple(_) | DbType::Map(..) => {
            let lit = Literal::parse(text).ok_or_else(bad)?;
            from_literal(ty, &lit, utc)?
        }
    })
}

fn parse_date(s: &str) -> Option<i32> {
    let (micros, _) = value::parse_timestamp(s.get(..10)?)?;
    i32::try_from(micros.div_euclid(86_400_000_000)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_names() {
        assert_eq!(DbType::parse("Nullable(Int64)"), DbType::Int { wide: true });
        assert_eq!(
            DbType::parse("Array(Int32 NULL)"),
            DbType::Array(Box::new(DbType::Int { wide: false }))
        );
        assert_eq!(
            DbType::parse("Map(String, Nullable(Decimal(38, 10)))"),
            DbType::Map(Box::new(DbType::String), Box::new(DbType::Decimal))
        );
        assert_eq!(
            DbType::parse("Tuple(a Int32, b String)"),
            DbType::Tuple(vec![DbType::Int { wide: false }, DbType::String])
        );
        assert!(DbType::parse("Array(UInt64)").logical().is_int64());
        let deep = format!("{}Int32{}", "Array(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(DbType::parse(&deep), DbType::Array(_)));
    }

    #[test]
    fn decodes_display_format_exactly() {
        let d = |t: &str, v: &str| decode(&DbType::parse(t), Some(v.into()), true).unwrap();
        assert_eq!(d("Boolean", "1"), Value::Bool(true));
        assert_eq!(d("Boolean", "0"), Value::Bool(false));
        assert_eq!(d("Int64", "-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(
            d("UInt64", "18446744073709551615"),
            Value::Decimal("18446744073709551615".into())
        );
        assert_eq!(
            d("Decimal(76, 20)", "-1.00000000000000000001"),
            Value::Decimal("-1.00000000000000000001".into())
        );
        assert!(matches!(d("Float64", "NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(d("Float64", "-Infinity"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(d("Binary", "00FF10"), Value::Bytes(vec![0, 255, 16]));
        assert_eq!(d("Date", "1970-01-02"), Value::Date(1));
        assert_eq!(
            d("Timestamp", "1970-01-01 00:00:01.5"),
            Value::TimestampTz(1_500_000)
        );
        assert_eq!(
            d("Timestamp_Tz", "1970-01-01 01:00:00.000000 +0100"),
            Value::TimestampTz(0)
        );
        assert_eq!(d("Nullable(Int32)", "NULL"), Value::Null);
        assert_eq!(d("Nullable(String)", "NULL"), Value::Text("NULL".into()));
        assert_eq!(
            d("Array(String NULL)", r#"["a,\"b", NULL, 'c''d']"#),
            Value::Array(vec![
                Value::Text("a,\"b".into()),
                Value::Null,
                Value::Text("c'd".into())
            ])
        );
        assert_eq!(
            d("Tuple(Int32, Array(Boolean))", "(7,[1,0])"),
            Value::Array(vec![
                Value::Int(7),
                Value::Array(vec![Value::Bool(true), Value::Bool(false)])
            ])
        );
        assert_eq!(
            d(
                "Map(String, Decimal(40, 1))",
                r#"{"k":123456789012345678901234567890.1,"n":NULL}"#
            ),
            Value::Json(r#"{"k":123456789012345678901234567890.1,"n":null}"#.into())
        );
        assert_eq!(
            decode(&DbType::Int { wide: false }, None, true).unwrap(),
            Value::Null
        );
        for (t, v) in [
            ("Int32", "1.5"),
            ("Boolean", "yes"),
            ("Binary", "0"),
            ("Date", "2024-13-01"),
            ("Array(Int32)", "[1,"),
        ] {
            assert!(
                decode(&DbType::parse(t), Some(v.into()), true).is_err(),
                "{t} {v}"
            );
        }
    }
}

//! QuestDB's column types and the `/exec` JSON values of each.

use serde_json::{json, Value as Json};

use super::response::ColumnInfo;
use crate::core::error::{Error, Result};
use crate::core::value::{self, Value};
use crate::core::LogicalType;

/// A QuestDB column type from `columns[]`.
#[derive(Clone, Debug, PartialEq)]
pub enum QType {
    Boolean,
    Int,
    Long,
    Double,
    /// DATE (milliseconds) and TIMESTAMP (microseconds), ISO text in UTC.
    Timestamp,
    /// TIMESTAMP_NS keeps its nanoseconds as text.
    Text,
    Uuid,
    Decimal,
    Array,
    Binary,
}

impl QType {
    pub fn of(column: &ColumnInfo) -> QType {
        match column.ty.as_str() {
            "BOOLEAN" => QType::Boolean,
            "BYTE" | "SHORT" | "INT" => QType::Int,
            "LONG" => QType::Long,
            "FLOAT" | "DOUBLE" => QType::Double,
            "DATE" | "TIMESTAMP" => QType::Timestamp,
            "UUID" => QType::Uuid,
            "ARRAY" => QType::Array,
            "BINARY" => QType::Binary,
            t if t.starts_with("DECIMAL") => QType::Decimal,
            _ => QType::Text,
        }
    }

    pub fn logical(&self) -> LogicalType {
        match self {
            QType::Boolean => LogicalType::Bool,
            QType::Int => LogicalType::Int,
            QType::Long => LogicalType::Int64,
            QType::Double => LogicalType::Float,
            QType::Timestamp => LogicalType::TimestampTz,
            QType::Text => LogicalType::Text,
            QType::Uuid => LogicalType::Uuid,
            QType::Decimal => LogicalType::Decimal,
            QType::Array => LogicalType::Array(Box::new(LogicalType::Float)),
            QType::Binary => LogicalType::Bytes,
        }
    }
}

/// The type's name as a description shows it: arrays with their element type and dimensions.
pub fn type_code(column: &ColumnInfo) -> String {
    if QType::of(column) != QType::Array {
        return column.ty.clone();
    }
    let elem = column.elem_type.as_deref().unwrap_or("DOUBLE");
    let dims = column.dim.unwrap_or(1).min(32) as usize;
    format!("{elem}{}", "[]".repeat(dims))
}

pub fn decode(ty: &QType, v: Json) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let bad = |v: &Json| Error::malformed(format!("{ty:?} value {v}"));
    Ok(match (ty, v) {
        (QType::Boolean, Json::Bool(b)) => Value::Bool(b),
        (QType::Int | QType::Long, Json::Number(n)) => {
            Value::Int(n.as_i64().ok_or_else(|| bad(&Json::Number(n.clone())))?)
        }
        // quoteLargeNum
        (QType::Long, Json::String(s)) => Value::Int(s.parse().map_err(|_| bad(&json!(s)))?),
        (QType::Double, Json::Number(n)) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        (QType::Timestamp, Json::String(s)) => {
            Value::TimestampTz(parse_iso(&s).ok_or_else(|| bad(&json!(s)))?)
        }
        (QType::Uuid, Json::String(s)) => match value::parse_uuid(&s) {
            Some(u) => Value::Uuid(u),
            None => Value::Text(s),
        },
        (QType::Decimal, Json::String(s)) => Value::Decimal(s),
        (QType::Array, v @ Json::Array(_)) => array(v)?,
        (QType::Binary, _) => {
            return Err(Error::not_supported(
                "QuestDB's /exec never sends BINARY contents: leave the column out of the SELECT",
            ))
        }
        (_, Json::String(s)) => Value::Text(s),
        (_, Json::Number(n)) => Value::Text(n.to_string()),
        (_, other) => return Err(bad(&other)),
    })
}

fn array(v: Json) -> Result<Value> {
    Ok(match v {
        Json::Array(items) => Value::Array(items.into_iter().map(array).collect::<Result<_>>()?),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::Null => Value::Null,
        other => return Err(Error::malformed(format!("array element {other}"))),
    })
}

/// QuestDB's `YYYY-MM-DDTHH:MM:SS[.f]Z` as microseconds since 1970.
fn parse_iso(s: &str) -> Option<i64> {
    match value::parse_timestamp(s)? {
        (micros, Some(0)) => Some(micros),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: &str) -> ColumnInfo {
        serde_json::from_value(json!({ "name": "c", "type": ty })).unwrap()
    }

    #[test]
    fn decodes_exec_values() {
        let d = |t: &str, v: Json| decode(&QType::of(&column(t)), v).unwrap();
        assert_eq!(
            d("LONG", json!(9223372036854775807i64)),
            Value::Int(i64::MAX)
        );
        assert_eq!(d("LONG", json!("-9")), Value::Int(-9));
        assert_eq!(
            d("TIMESTAMP", json!("2024-02-29T12:30:15.123456Z")),
            Value::TimestampTz(1_709_209_815_123_456)
        );
        assert_eq!(
            d("DATE", json!("1970-01-01T00:00:00.001Z")),
            Value::TimestampTz(1000)
        );
        assert_eq!(
            d("TIMESTAMP_NS", json!("2024-02-29T12:30:15.123456789Z")),
            Value::Text("2024-02-29T12:30:15.123456789Z".into())
        );
        assert_eq!(
            d("DECIMAL", json!("1.2300")),
            Value::Decimal("1.2300".into())
        );
        assert_eq!(
            d("ARRAY", json!([[1.0, 2.0]])),
            Value::Array(vec![Value::Array(vec![
                Value::Float(1.0),
                Value::Float(2.0)
            ])])
        );
        assert_eq!(d("SYMBOL", Json::Null), Value::Null);
        assert!(decode(&QType::Binary, json!([])).is_err());
    }

    #[test]
    fn array_columns_name_their_dimensions() {
        let c: ColumnInfo = serde_json::from_value(
            json!({"name": "a", "type": "ARRAY", "elemType": "DOUBLE", "dim": 2}),
        )
        .unwrap();
        assert_eq!(type_code(&c), "DOUBLE[][]");
        assert!(QType::of(&column("LONG")).logical().is_int64());
    }
}

//! Databricks' types: parameters as typed strings, and cells (JSON_ARRAY text) as values.

use serde_json::{json, Value as Json};

use super::response::ColumnInfo;
use crate::core::decimal;
use crate::core::error::{Error, Result};
use crate::core::value::{self, Value};
use crate::core::LogicalType;

/// A parameter as the API takes it: a string value (or null) and a SQL type.
pub fn parameter(name: &str, v: &Value) -> Result<Json> {
    let (value, ty): (Option<String>, Option<&str>) =
        match v {
            Value::Null => (None, None),
            Value::Bool(b) => (Some(b.to_string()), Some("BOOLEAN")),
            Value::Int(i) => (Some(i.to_string()), Some("BIGINT")),
            Value::Float(f) => (
                Some(value::non_finite_text(*f).map_or_else(|| format!("{f:?}"), str::to_string)),
                Some("DOUBLE"),
            ),
            Value::Decimal(s) => {
                let t = decimal_type(s)?;
                return Ok(json!({"name": name, "value": s, "type": t}));
            }
            Value::Text(s) | Value::Json(s) => (Some(s.clone()), None),
            Value::Date(d) => (Some(value::format_date(*d)), Some("DATE")),
            Value::TimestampTz(t) => (Some(value::format_timestamp(*t, true)), Some("TIMESTAMP")),
            Value::Timestamp(t) => (
                Some(value::format_timestamp(*t, false)),
                Some("TIMESTAMP_NTZ"),
            ),
            Value::Time(t) => (Some(value::format_time(*t)), None),
            Value::Interval(iv) => (Some(value::format_interval(*iv)), None),
            Value::Uuid(u) => (Some(value::format_uuid(u)), None),
            Value::Bytes(_) | Value::Array(_) => return Err(Error::not_supported(
                "Databricks parameters are scalars: binary and array values cannot be parameters",
            )),
        };
    let mut p = json!({ "name": name, "value": value });
    if let Some(t) = ty {
        p["type"] = json!(t);
    }
    Ok(p)
}

/// `DECIMAL(p,s)` that holds the decimal text exactly.
fn decimal_type(s: &str) -> Result<String> {
    let (precision, scale) = decimal::precision_scale(s)
        .ok_or_else(|| Error::data(format!("{s:?} is not a decimal number")))?;
    if precision > 38 {
        return Err(Error::data(format!(
            "{s} has {precision} digits: Databricks decimals hold at most 38"
        )));
    }
    Ok(format!("DECIMAL({precision},{scale})"))
}

/// A Databricks column type, from `type_name`.
#[derive(Clone, Debug, PartialEq)]
pub enum DType {
    Boolean,
    Int,
    Long,
    Double,
    Decimal,
    Date,
    Timestamp,
    TimestampNtz,
    Binary,
    /// ARRAY, MAP, STRUCT: JSON text.
    Complex,
    Text,
}

impl DType {
    pub fn of(column: &ColumnInfo) -> DType {
        match column.type_name.as_deref().unwrap_or("") {
            "BOOLEAN" => DType::Boolean,
            "BYTE" | "SHORT" | "INT" => DType::Int,
            "LONG" => DType::Long,
            "FLOAT" | "DOUBLE" => DType::Double,
            "DECIMAL" => DType::Decimal,
            "DATE" => DType::Date,
            "TIMESTAMP" => DType::Timestamp,
            "TIMESTAMP_NTZ" => DType::TimestampNtz,
            "BINARY" => DType::Binary,
            "ARRAY" | "MAP" | "STRUCT" => DType::Complex,
            _ if column.type_text.as_deref() == Some("TIMESTAMP_NTZ") => DType::TimestampNtz,
            _ => DType::Text,
        }
    }

    pub fn logical(&self) -> LogicalType {
        match self {
            DType::Boolean => LogicalType::Bool,
            DType::Int => LogicalType::Int,
            DType::Long => LogicalType::Int64,
            DType::Double => LogicalType::Float,
            DType::Decimal => LogicalType::Decimal,
            DType::Date => LogicalType::Date,
            DType::Timestamp => LogicalType::TimestampTz,
            DType::TimestampNtz => LogicalType::Timestamp,
            DType::Binary => LogicalType::Bytes,
            DType::Complex => LogicalType::Json,
            DType::Text => LogicalType::Text,
        }
    }
}

/// A JSON_ARRAY cell (text, or null) of type `ty` as a value.
pub fn decode(ty: &DType, cell: Option<String>) -> Result<Value> {
    let Some(s) = cell else {
        return Ok(Value::Null);
    };
    let s = s.as_str();
    let bad = || Error::malformed(format!("{ty:?} value {s:?}"));
    Ok(match ty {
        DType::Boolean => {
            let is = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
            match (
                is(&["true", "t", "1", "yes", "y"]),
                is(&["false", "f", "0", "no", "n"]),
            ) {
                (true, _) => Value::Bool(true),
                (_, true) => Value::Bool(false),
                _ => return Err(bad()),
            }
        }
        DType::Int | DType::Long => Value::Int(s.parse().map_err(|_| bad())?),
        // Rust reads NaN, Infinity and inf (any case, signed).
        DType::Double => Value::Float(s.parse().map_err(|_| bad())?),
        DType::Decimal => Value::Decimal(s.to_string()),
        DType::Date => Value::Date(
            value::parse_timestamp(s)
                .and_then(|(us, _)| i32::try_from(us.div_euclid(86_400_000_000)).ok())
                .ok_or_else(bad)?,
        ),
        DType::Timestamp => {
            let (us, offset) = value::parse_timestamp(s).ok_or_else(bad)?;
            Value::TimestampTz(us - offset.unwrap_or(0) * 1_000_000)
        }
        DType::TimestampNtz => Value::Timestamp(value::parse_timestamp(s).ok_or_else(bad)?.0),
        DType::Binary => Value::Bytes(binary(s).ok_or_else(bad)?),
        DType::Complex => Value::Json(s.to_string()),
        DType::Text => Value::Text(s.to_string()),
    })
}

/// BINARY cells: hex, as the connector reads them, or base64.
fn binary(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    crate::core::value::unhex(s)
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorKind;

    #[test]
    fn parameters_are_typed_strings() {
        assert_eq!(
            parameter("a", &Value::Int(i64::MAX)).unwrap(),
            json!({"name": "a", "value": "9223372036854775807", "type": "BIGINT"})
        );
        assert_eq!(
            parameter("n", &Value::Null).unwrap(),
            json!({"name": "n", "value": null})
        );
        assert_eq!(
            parameter("s", &Value::Text("x".into())).unwrap(),
            json!({"name": "s", "value": "x"})
        );
        assert_eq!(
            parameter("d", &Value::Decimal("-0012.340".into())).unwrap(),
            json!({"name": "d", "value": "-0012.340", "type": "DECIMAL(5,3)"})
        );
        assert_eq!(
            parameter("t", &Value::TimestampTz(1_500)).unwrap()["value"],
            "1970-01-01T00:00:00.0015Z"
        );
        assert!(parameter("d", &Value::Decimal("1".repeat(39))).is_err());
        assert_eq!(
            parameter("b", &Value::Bytes(vec![])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }

    #[test]
    fn decodes_json_array_cells() {
        let column = |t: &str| -> ColumnInfo {
            serde_json::from_value(json!({"name": "c", "type_name": t})).unwrap()
        };
        let d = |t: &str, v: &str| decode(&DType::of(&column(t)), Some(v.into())).unwrap();
        assert_eq!(d("LONG", "9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(d("BOOLEAN", "true"), Value::Bool(true));
        assert_eq!(
            d("DECIMAL", "12345678901234567890.123456789012345678"),
            Value::Decimal("12345678901234567890.123456789012345678".into())
        );
        assert_eq!(
            d("TIMESTAMP", "2024-01-31T12:00:00.000Z"),
            Value::TimestampTz(1_706_702_400_000_000)
        );
        assert_eq!(
            d("TIMESTAMP", "2024-01-31 13:00:00+01:00"),
            Value::TimestampTz(1_706_702_400_000_000)
        );
        assert_eq!(d("DATE", "1970-01-02"), Value::Date(1));
        assert_eq!(d("BINARY", "00ff"), Value::Bytes(vec![0, 255]));
        assert_eq!(d("ARRAY", "[1,2]"), Value::Json("[1,2]".into()));
        assert!(matches!(d("DOUBLE", "NaN"), Value::Float(f) if f.is_nan()));
        assert!(decode(&DType::Int, Some("1.5".into())).is_err());
    }
}

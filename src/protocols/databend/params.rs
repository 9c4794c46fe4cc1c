//! Parameters as Databend binds them: JSON, with what JSON has no type for as its text.

use serde_json::{json, Value as Json};

use super::literal::json_of;
use crate::core::value::{self, Value};

/// A value as the text Databend reads for it.
pub(super) fn text_param(v: &Value) -> String {
    match v {
        Value::Date(d) => value::format_date(*d),
        Value::Timestamp(t) => value::format_timestamp(*t, false).replace('T', " "),
        Value::TimestampTz(t) => format!(
            "{}+00:00",
            value::format_timestamp(*t, false).replace('T', " ")
        ),
        Value::Time(t) => value::format_time(*t),
        Value::Interval(iv) => value::format_interval(*iv),
        Value::Uuid(u) => value::format_uuid(u),
        Value::Bytes(b) => value::hex(b).to_ascii_uppercase(),
        Value::Text(s) | Value::Decimal(s) | Value::Json(s) => s.clone(),
        Value::Float(f) if !f.is_finite() => value::non_finite_text(*f).unwrap_or_default().into(),
        other => json_of(other).to_string(),
    }
}

/// A parameter as JSON for the server to bind.
pub fn param(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Array(items) => Json::Array(items.iter().map(param).collect()),
        other => json!(text_param(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_go_as_databend_reads_them() {
        assert_eq!(
            param(&Value::Int(i64::MAX)).to_string(),
            "9223372036854775807"
        );
        assert_eq!(param(&Value::Decimal("1.10".into())), json!("1.10"));
        assert_eq!(
            param(&Value::TimestampTz(1_500_000)),
            json!("1970-01-01 00:00:01.5+00:00")
        );
        assert_eq!(param(&Value::Bytes(vec![0, 255])), json!("00FF"));
        assert_eq!(param(&Value::Float(f64::NAN)), json!("NaN"));
    }
}

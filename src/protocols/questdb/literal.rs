//! Values as QuestDB SQL literals: QuestDB has no bind parameters, so [`literal`] is what
//! stands between a value and the SQL text.

use crate::core::decimal;
use crate::core::error::{Error, Result};
use crate::core::value::{
    self, Value, INFINITY_DAYS, INFINITY_MICROS, NEG_INFINITY_DAYS, NEG_INFINITY_MICROS,
};

/// A value as a QuestDB SQL literal. QuestDB has no bind parameters, so this is what stands
/// between a value and the SQL text: strings and everything text-like are quoted with quotes
/// doubled (QuestDB has no backslash escapes), numbers come from typed values only, and values
/// QuestDB would silently change are refused.
pub fn literal(v: &Value) -> Result<String> {
    let quote = |s: &str| -> Result<String> {
        if s.contains('\0') {
            return Err(Error::data("QuestDB strings cannot hold the NUL character"));
        }
        Ok(format!("'{}'", s.replace('\'', "''")))
    };
    Ok(match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i64::MIN) => {
            return Err(Error::data(
                "QuestDB stores -9223372036854775808 as NULL in a LONG: it cannot be a value",
            ))
        }
        Value::Int(i) => i.to_string(),
        Value::Float(f) => double(*f)?,
        Value::Decimal(s) => {
            if !decimal::is_plain(s) {
                return Err(Error::data(format!("{s:?} is not a decimal number")));
            }
            // As text, which QuestDB casts exactly; a bare literal would be a DOUBLE.
            quote(s)?
        }
        Value::Text(s) | Value::Json(s) => quote(s)?,
        Value::Bytes(_) => {
            return Err(Error::not_supported(
                "QuestDB has no binary literal: BINARY values cannot be parameters",
            ))
        }
        Value::Date(d) if *d == INFINITY_DAYS || *d == NEG_INFINITY_DAYS => {
            return Err(Error::data("QuestDB has no infinite dates"))
        }
        Value::Date(d) => quote(&value::format_date(*d))?,
        Value::Timestamp(t) | Value::TimestampTz(t)
            if *t == INFINITY_MICROS || *t == NEG_INFINITY_MICROS =>
        {
            return Err(Error::data("QuestDB has no infinite timestamps"))
        }
        Value::Timestamp(t) | Value::TimestampTz(t) => quote(&value::format_timestamp(*t, true))?,
        Value::Time(t) => quote(&value::format_time(*t))?,
        Value::Interval(iv) => quote(&value::format_interval(*iv))?,
        Value::Uuid(u) => quote(&value::format_uuid(u))?,
        Value::Array(items) => format!("ARRAY{}", double_array(items)?),
    })
}

/// A finite double with a decimal point or exponent, so QuestDB reads a DOUBLE.
fn double(f: f64) -> Result<String> {
    if !f.is_finite() {
        return Err(Error::data(
            "QuestDB stores NaN as NULL and has no literal for infinity: non-finite numbers cannot be values",
        ));
    }
    // Debug formatting is the shortest text that reads back as the same double.
    Ok(format!("{f:?}"))
}

/// QuestDB's arrays are DOUBLE arrays: `[1.0,2.5]`, nested for more dimensions.
fn double_array(items: &[Value]) -> Result<String> {
    let parts = items
        .iter()
        .map(|x| match x {
            Value::Float(f) => double(*f),
            Value::Int(i) if i.unsigned_abs() <= 1 << 53 => double(*i as f64),
            Value::Array(inner) => double_array(inner),
            _ => Err(Error::not_supported(
                "QuestDB arrays hold only finite doubles (no NULL, text or integers beyond 2^53)",
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("[{}]", parts.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_zero_keeps_its_sign() {
        assert_eq!(literal(&Value::Float(-0.0)).unwrap(), "-0.0");
        assert_eq!(literal(&Value::Float(0.0)).unwrap(), "0.0");
    }
    use crate::core::ErrorKind;

    fn lit(v: Value) -> String {
        literal(&v).unwrap()
    }

    #[test]
    fn literals_cannot_break_out_of_their_quotes() {
        for nasty in [
            "'",
            "''",
            "'; DROP TABLE t; --",
            "\\'",
            "\\",
            "a\\' OR '1'='1",
            "'/*",
            "*/'",
            "ünï 🎉 \" $1 ?",
            "\n'\r\t",
            "\u{2028}'",
        ] {
            let l = lit(Value::Text(nasty.into()));
            assert!(l.starts_with('\'') && l.ends_with('\''), "{l}");
            // Inside, every quote is doubled: reading pairs back gives the value exactly.
            let inner = &l[1..l.len() - 1];
            assert_eq!(inner.replace("''", "'"), nasty);
            assert!(!inner.replace("''", "").contains('\''), "{l}");
        }
        assert_eq!(
            literal(&Value::Text("a\0b".into())).unwrap_err().kind,
            ErrorKind::Data
        );
    }

    #[test]
    fn literals_keep_every_value_exact() {
        assert_eq!(lit(Value::Null), "NULL");
        assert_eq!(lit(Value::Bool(false)), "false");
        assert_eq!(lit(Value::Int(i64::MAX)), "9223372036854775807");
        assert_eq!(lit(Value::Int(-5)), "-5");
        assert_eq!(
            literal(&Value::Int(i64::MIN)).unwrap_err().kind,
            ErrorKind::Data
        );
        assert_eq!(lit(Value::Float(0.1)), "0.1");
        assert_eq!(lit(Value::Float(1e300)), "1e300");
        assert_eq!(lit(Value::Float(-0.0)), "-0.0");
        assert_eq!(lit(Value::Float(3.0)), "3.0");
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(literal(&Value::Float(f)).unwrap_err().kind, ErrorKind::Data);
        }
        assert_eq!(
            lit(Value::Decimal("-123456789012345678901234567890.5".into())),
            "'-123456789012345678901234567890.5'"
        );
        assert_eq!(
            literal(&Value::Decimal("1e5".into())).unwrap_err().kind,
            ErrorKind::Data
        );
        assert_eq!(
            lit(Value::TimestampTz(1_709_209_815_123_456)),
            "'2024-02-29T12:30:15.123456Z'"
        );
        assert_eq!(lit(Value::Date(0)), "'1970-01-01'");
        assert_eq!(
            literal(&Value::TimestampTz(INFINITY_MICROS))
                .unwrap_err()
                .kind,
            ErrorKind::Data
        );
        assert_eq!(
            lit(Value::Uuid([0xab; 16])),
            "'abababab-abab-abab-abab-abababababab'"
        );
        assert_eq!(
            lit(Value::Array(vec![
                Value::Array(vec![Value::Float(1.5), Value::Int(2)]),
                Value::Array(vec![])
            ])),
            "ARRAY[[1.5,2.0],[]]"
        );
        assert_eq!(
            literal(&Value::Array(vec![Value::Null])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
        assert_eq!(
            literal(&Value::Bytes(vec![1])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }
}

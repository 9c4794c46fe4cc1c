//! CrateDB's types: names as CREATE TABLE takes them, `col_types` ids, and values as JSON.

use base64::Engine as _;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;

/// CrateDB column types the server knows; anything else is kept as text.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    Undefined,
    Bool,
    Text,
    Ip,
    Double,
    Real,
    Smallint,
    Integer,
    Bigint,
    TimestampTz,
    Timestamp,
    Object,
    GeoPoint,
    GeoShape,
    Numeric,
    Date,
    Json,
    Uuid,
    Interval,
    FloatVector,
    Array(Box<Ty>),
}

impl Ty {
    pub(super) fn id(&self) -> Json {
        let n = match self {
            Ty::Undefined => 0,
            Ty::Bool => 3,
            Ty::Text => 4,
            Ty::Ip => 5,
            Ty::Double => 6,
            Ty::Real => 7,
            Ty::Smallint => 8,
            Ty::Integer => 9,
            Ty::Bigint => 10,
            Ty::TimestampTz => 11,
            Ty::Object => 12,
            Ty::GeoPoint => 13,
            Ty::GeoShape => 14,
            Ty::Timestamp => 15,
            Ty::Interval => 17,
            Ty::Numeric => 22,
            Ty::Date => 24,
            Ty::Json => 26,
            Ty::FloatVector => 28,
            Ty::Uuid => 29,
            Ty::Array(inner) => return json!([100, inner.id()]),
        };
        json!(n)
    }

    /// Reads a CrateDB type as written in DDL (`bigint`, `timestamp with time zone`,
    /// `array(text)`, `text[]`, `numeric(40, 10)`, `object(dynamic) as (...)`).
    pub(super) fn parse(s: &str) -> Option<Ty> {
        let s = s.trim().to_ascii_lowercase();
        if let Some(inner) = s.strip_suffix("[]") {
            return Some(Ty::Array(Box::new(Ty::parse(inner)?)));
        }
        if let Some(inner) = s
            .strip_prefix("array")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('('))
        {
            return Some(Ty::Array(Box::new(Ty::parse(inner.strip_suffix(')')?)?)));
        }
        let base = s.split(['(', ' ']).next().unwrap_or("");
        Some(match base {
            "boolean" | "bool" => Ty::Bool,
            "text" | "string" | "varchar" | "character" | "char" | "bit" => Ty::Text,
            "ip" => Ty::Ip,
            "double" | "float8" => Ty::Double,
            "real" | "float" | "float4" => Ty::Real,
            "smallint" | "short" | "byte" | "int2" => Ty::Smallint,
            "integer" | "int" | "int4" => Ty::Integer,
            "bigint" | "long" | "int8" => Ty::Bigint,
            "timestamptz" => Ty::TimestampTz,
            "timestamp" if s.contains("without") => Ty::Timestamp,
            "timestamp" => Ty::TimestampTz,
            "object" => Ty::Object,
            "geo_point" => Ty::GeoPoint,
            "geo_shape" => Ty::GeoShape,
            "numeric" | "decimal" => Ty::Numeric,
            "date" => Ty::Date,
            "json" => Ty::Json,
            "uuid" => Ty::Uuid,
            "interval" => Ty::Interval,
            "float_vector" => Ty::FloatVector,
            _ => return None,
        })
    }

    /// SQLite storage: exact text for decimals and documents, no affinity for timestamps (epoch
    /// ms or ISO text, normalised on the way out).
    pub(super) fn affinity(&self) -> &'static str {
        match self {
            Ty::Bool | Ty::Smallint | Ty::Integer | Ty::Bigint => "INTEGER",
            Ty::Double | Ty::Real => "REAL",
            Ty::TimestampTz | Ty::Timestamp | Ty::Date | Ty::Undefined => "BLOB",
            _ => "TEXT",
        }
    }

    /// A stored value as CrateDB encodes this type in JSON.
    pub(super) fn encode(&self, v: Json) -> Json {
        match (self, v) {
            (_, Json::Null) => Json::Null,
            (Ty::Bool, Json::Number(n)) => Json::Bool(n.as_i64() != Some(0)),
            (Ty::TimestampTz | Ty::Timestamp, Json::String(s)) => {
                parse_timestamp_ms(&s).map_or(Json::String(s), |ms| json!(ms))
            }
            (Ty::Date, Json::String(s)) => parse_timestamp_ms(&s)
                .map_or(Json::String(s), |ms| json!(ms - ms.rem_euclid(86_400_000))),
            (Ty::TimestampTz | Ty::Timestamp | Ty::Date, Json::Number(n)) => {
                json!(n.as_f64().unwrap_or(0.0) as i64)
            }
            (Ty::Numeric | Ty::Bigint | Ty::Integer | Ty::Smallint, Json::String(s)) => {
                match serde_json::from_str::<Json>(&s) {
                    Ok(n @ Json::Number(_)) => n,
                    _ => Json::String(s),
                }
            }
            (Ty::Object | Ty::GeoPoint | Ty::GeoShape | Ty::FloatVector, Json::String(s)) => {
                serde_json::from_str(&s).unwrap_or(Json::String(s))
            }
            (Ty::Array(inner), Json::String(s)) => match serde_json::from_str::<Json>(&s) {
                Ok(Json::Array(items)) => {
                    Json::Array(items.into_iter().map(|x| inner.encode(x)).collect())
                }
                _ => Json::String(s),
            },
            (Ty::Text | Ty::Json | Ty::Uuid | Ty::Ip | Ty::Interval, Json::Number(n)) => {
                Json::String(n.to_string())
            }
            (_, v) => v,
        }
    }
}

/// Epoch milliseconds of a timestamp text.
pub(super) fn parse_timestamp_ms(s: &str) -> Option<i64> {
    civil::parse_micros(s).map(|us| us.div_euclid(1000))
}

pub(super) fn to_json(v: Sql) -> Json {
    match v {
        Sql::Null => Json::Null,
        Sql::Integer(n) => json!(n),
        Sql::Real(f) => json!(f),
        Sql::Text(t) => Json::String(t),
        Sql::Blob(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

pub(super) fn guess_type<'a>(values: impl Iterator<Item = &'a Json>) -> Ty {
    let mut ty = Ty::Undefined;
    for v in values {
        ty = match (v, &ty) {
            (Json::Null, _) => continue,
            (Json::Number(n), Ty::Undefined | Ty::Integer)
                if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) =>
            {
                Ty::Integer
            }
            (Json::Number(n), Ty::Undefined | Ty::Integer | Ty::Bigint) if n.as_i64().is_some() => {
                Ty::Bigint
            }
            (Json::Number(_), _) => Ty::Double,
            (Json::String(_), _) => Ty::Text,
            _ => Ty::Text,
        };
    }
    ty
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_crate_types() {
        assert_eq!(Ty::parse("array(text)").unwrap().id(), json!([100, 4]));
        assert_eq!(
            Ty::parse("bigint[][]").unwrap().id(),
            json!([100, [100, 10]])
        );
        assert_eq!(
            Ty::parse("timestamp without time zone"),
            Some(Ty::Timestamp)
        );
        assert_eq!(Ty::parse("numeric(40, 10)"), Some(Ty::Numeric));
    }
}

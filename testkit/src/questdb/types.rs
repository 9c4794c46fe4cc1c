//! QuestDB's column types, and stored values as `/exec` JSON.

use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;
use crate::sqlite::{self, text};

/// QuestDB column types as `columns[].type` names them.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    Boolean,
    Byte,
    Short,
    Char,
    Int,
    Long,
    Float,
    Double,
    Date,
    Timestamp,
    String,
    Varchar,
    Symbol,
    Binary,
    Long256,
    Uuid,
    Ipv4,
    Geohash,
    Decimal(u32),
    /// DOUBLE[] with this many dimensions.
    DoubleArray(usize),
}

impl Ty {
    pub(super) fn parse(s: &str) -> Option<Ty> {
        let u = s.trim().to_ascii_uppercase();
        if let Some(base) = u.strip_suffix("[]") {
            let dims = 1 + base.matches("[]").count();
            return base.starts_with("DOUBLE").then_some(Ty::DoubleArray(dims));
        }
        if u.starts_with("DECIMAL") {
            let scale = u
                .split_once(',')
                .and_then(|(_, s)| s.trim_end_matches(')').trim().parse().ok())
                .unwrap_or(0);
            return Some(Ty::Decimal(scale));
        }
        Some(match u.split(['(', ' ']).next().unwrap_or("") {
            "BOOLEAN" => Ty::Boolean,
            "BYTE" => Ty::Byte,
            "SHORT" => Ty::Short,
            "CHAR" => Ty::Char,
            "INT" | "INTEGER" => Ty::Int,
            "LONG" => Ty::Long,
            "FLOAT" => Ty::Float,
            "DOUBLE" => Ty::Double,
            "DATE" => Ty::Date,
            "TIMESTAMP" => Ty::Timestamp,
            "STRING" => Ty::String,
            "VARCHAR" => Ty::Varchar,
            "SYMBOL" => Ty::Symbol,
            "BINARY" => Ty::Binary,
            "LONG256" => Ty::Long256,
            "UUID" => Ty::Uuid,
            "IPV4" => Ty::Ipv4,
            "GEOHASH" => Ty::Geohash,
            _ => return None,
        })
    }

    pub(super) fn column(&self, name: &str) -> Json {
        let t = match self {
            Ty::Boolean => "BOOLEAN",
            Ty::Byte => "BYTE",
            Ty::Short => "SHORT",
            Ty::Char => "CHAR",
            Ty::Int => "INT",
            Ty::Long => "LONG",
            Ty::Float => "FLOAT",
            Ty::Double => "DOUBLE",
            Ty::Date => "DATE",
            Ty::Timestamp => "TIMESTAMP",
            Ty::String => "STRING",
            Ty::Varchar => "VARCHAR",
            Ty::Symbol => "SYMBOL",
            Ty::Binary => "BINARY",
            Ty::Long256 => "LONG256",
            Ty::Uuid => "UUID",
            Ty::Ipv4 => "IPv4",
            Ty::Geohash => "GEOHASH(8c)",
            Ty::Decimal(_) => "DECIMAL",
            Ty::DoubleArray(dim) => {
                return json!({"name": name, "type": "ARRAY", "dim": dim, "elemType": "DOUBLE"})
            }
        };
        json!({"name": name, "type": t})
    }

    pub(super) fn affinity(&self) -> &'static str {
        match self {
            Ty::Boolean | Ty::Byte | Ty::Short | Ty::Int | Ty::Long => "INTEGER",
            Ty::Float | Ty::Double => "REAL",
            Ty::Date | Ty::Timestamp => "BLOB",
            _ => "TEXT",
        }
    }

    /// A stored value as `/exec` encodes it.
    pub(super) fn encode(&self, v: &Sql, quote_large: bool) -> Json {
        match (self, v) {
            (Ty::Boolean, Sql::Null) => json!(false),
            (Ty::Boolean, Sql::Integer(i)) => json!(*i != 0),
            (Ty::Byte | Ty::Short, Sql::Null) => json!(0),
            (Ty::Char, Sql::Null) => json!(""),
            // BINARY content is never sent.
            (Ty::Binary, _) => json!([]),
            (_, Sql::Null) => Json::Null,
            (Ty::Long, Sql::Integer(i)) if quote_large => json!(i.to_string()),
            (Ty::Float | Ty::Double, Sql::Real(f)) if f.is_nan() => Json::Null,
            (Ty::Date, v) => micros(v).map_or(Json::Null, |us| {
                json!(civil::format_micros(us - us.rem_euclid(1000), 'T', 3, true))
            }),
            (Ty::Timestamp, v) => micros(v).map_or(Json::Null, |us| {
                json!(civil::format_micros(us, 'T', 6, true))
            }),
            (Ty::Decimal(scale), v) => json!(sqlite::decimal_text(&text(v), *scale)),
            (Ty::DoubleArray(_), Sql::Text(t)) => {
                serde_json::from_str(t).unwrap_or_else(|_| json!(t))
            }
            (
                Ty::String
                | Ty::Varchar
                | Ty::Symbol
                | Ty::Char
                | Ty::Uuid
                | Ty::Ipv4
                | Ty::Long256
                | Ty::Geohash,
                v,
            ) => {
                json!(text(v))
            }
            (_, Sql::Integer(i)) => json!(i),
            (_, Sql::Real(f)) => json!(f),
            (_, v) => json!(text(v)),
        }
    }
}

/// Microseconds of a stored timestamp: epoch micros as a number, or text.
pub(super) fn micros(v: &Sql) -> Option<i64> {
    match v {
        Sql::Integer(i) => Some(*i),
        Sql::Real(f) => Some(*f as i64),
        Sql::Text(t) => civil::parse_micros(t),
        _ => None,
    }
}

pub(super) fn guess(values: &[&Sql]) -> Ty {
    let mut ty: Option<Ty> = None;
    for v in values {
        ty = Some(match (v, &ty) {
            (Sql::Null, _) => continue,
            (Sql::Integer(i), None | Some(Ty::Int)) if i32::try_from(*i).is_ok() => Ty::Int,
            (Sql::Integer(_), None | Some(Ty::Int | Ty::Long)) => Ty::Long,
            (Sql::Integer(_) | Sql::Real(_), Some(Ty::Int | Ty::Long | Ty::Double) | None) => {
                Ty::Double
            }
            _ => Ty::String,
        });
    }
    ty.unwrap_or(Ty::String) // a NULL-typed column reports STRING
}

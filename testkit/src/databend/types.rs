//! Databend's types as the server prints them, and values as display-format text.

use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;
use crate::sqlite;

/// Databend types as they print (`Nullable(Int32)`, `Array(Int32 NULL)`, `Decimal(38, 10)`).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    Null,
    Boolean,
    Int(&'static str),
    Float32,
    Float64,
    Decimal(u32, u32),
    String,
    Binary,
    Date,
    Timestamp,
    Variant,
    Array(Box<Col>),
    Tuple(Vec<Col>),
    Map(Box<Col>, Box<Col>),
}

/// A type and whether it holds NULL.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Col {
    pub(super) ty: Ty,
    pub(super) nullable: bool,
}

impl Col {
    pub(super) fn name(&self, top_level: bool) -> String {
        let inner = match &self.ty {
            Ty::Null => return "NULL".into(),
            Ty::Boolean => "Boolean".into(),
            Ty::Int(n) => n.to_string(),
            Ty::Float32 => "Float32".into(),
            Ty::Float64 => "Float64".into(),
            Ty::Decimal(p, s) => format!("Decimal({p}, {s})"),
            Ty::String => "String".into(),
            Ty::Binary => "Binary".into(),
            Ty::Date => "Date".into(),
            Ty::Timestamp => "Timestamp".into(),
            Ty::Variant => "Variant".into(),
            Ty::Array(e) => format!("Array({})", e.name(false)),
            Ty::Tuple(items) => format!(
                "Tuple({})",
                items
                    .iter()
                    .map(|c| c.name(false))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Ty::Map(k, v) => format!("Map({}, {})", k.name(false), v.name(false)),
        };
        match (self.nullable, top_level) {
            (false, _) => inner,
            (true, true) => format!("Nullable({inner})"),
            (true, false) => format!("{inner} NULL"),
        }
    }

    /// A column type as written in DDL; nullable unless `NOT NULL`.
    pub(super) fn parse(s: &str) -> Option<Col> {
        let s = s.trim();
        let upper = s.to_ascii_uppercase();
        let (upper, nullable) = match upper.strip_suffix(" NOT NULL") {
            Some(u) => (u.to_string(), false),
            None => (
                upper.strip_suffix(" NULL").unwrap_or(&upper).to_string(),
                true,
            ),
        };
        let s = &s[..upper.len()];
        let args = |prefix: &str| -> Option<&str> {
            let rest = s.get(prefix.len()..)?.trim_start();
            rest.strip_prefix('(')?.strip_suffix(')')
        };
        let ty = if upper.starts_with("ARRAY") {
            Ty::Array(Box::new(Col::parse(args("ARRAY")?)?))
        } else if upper.starts_with("TUPLE") {
            Ty::Tuple(
                sqlite::split_top_level(args("TUPLE")?)
                    .iter()
                    .map(|t| Col::parse(t))
                    .collect::<Option<_>>()?,
            )
        } else if upper.starts_with("MAP") {
            let kv = sqlite::split_top_level(args("MAP")?);
            let [k, v] = kv.as_slice() else { return None };
            let mut key = Col::parse(k)?;
            key.nullable = false;
            Ty::Map(Box::new(key), Box::new(Col::parse(v)?))
        } else if upper.starts_with("DECIMAL") || upper.starts_with("NUMERIC") {
            let (p, sc) = match args(&upper[..7]) {
                Some(a) => {
                    let (p, sc) = a.split_once(',').unwrap_or((a, "0"));
                    (p.trim().parse().ok()?, sc.trim().parse().ok()?)
                }
                None => (18, 3),
            };
            Ty::Decimal(p, sc)
        } else {
            match upper.split(['(', ' ']).next().unwrap_or("") {
                "BOOLEAN" | "BOOL" => Ty::Boolean,
                "TINYINT" | "INT8" => Ty::Int("Int8"),
                "SMALLINT" | "INT16" => Ty::Int("Int16"),
                "INT" | "INTEGER" | "INT32" => Ty::Int("Int32"),
                "BIGINT" | "INT64" => Ty::Int("Int64"),
                "UINT8" => Ty::Int("UInt8"),
                "UINT16" => Ty::Int("UInt16"),
                "UINT32" => Ty::Int("UInt32"),
                "UINT64" => Ty::Int("UInt64"),
                "FLOAT" | "FLOAT32" | "REAL" => Ty::Float32,
                "DOUBLE" | "FLOAT64" => Ty::Float64,
                "VARCHAR" | "STRING" | "TEXT" | "CHAR" => Ty::String,
                "BINARY" | "VARBINARY" => Ty::Binary,
                "DATE" => Ty::Date,
                "TIMESTAMP" | "DATETIME" => Ty::Timestamp,
                "VARIANT" | "JSON" => Ty::Variant,
                _ => return None,
            }
        };
        Some(Col { ty, nullable })
    }

    /// A table column: nullable unless declared NOT NULL.
    pub(super) fn parse_column(s: &str, not_null: bool) -> Option<Col> {
        let mut c = Col::parse(s)?;
        c.nullable &= !not_null;
        Some(c)
    }

    pub(super) fn affinity(&self) -> &'static str {
        match self.ty {
            Ty::Boolean | Ty::Int(_) if self.ty != Ty::Int("UInt64") => "INTEGER",
            Ty::Float32 | Ty::Float64 => "REAL",
            Ty::Int(_) | Ty::Null => "BLOB", // UInt64 beyond i64 stays text
            _ => "TEXT",
        }
    }

    /// A stored value as Databend displays it; `None` is SQL NULL.
    pub(super) fn display(&self, v: &Json) -> Option<String> {
        if v.is_null() {
            return None;
        }
        Some(match (&self.ty, v) {
            (Ty::Boolean, Json::Number(n)) => if n.as_i64() == Some(0) { "0" } else { "1" }.into(),
            (Ty::Boolean, Json::Bool(b)) => if *b { "1" } else { "0" }.into(),
            (Ty::Float32 | Ty::Float64, Json::Number(n)) => {
                float_text(n.as_f64().unwrap_or(f64::NAN))
            }
            (Ty::Decimal(_, scale), v) => sqlite::decimal_text(&text_of(v), *scale),
            (Ty::Binary, Json::String(s)) => s.clone(), // stored as uppercase hex
            (Ty::Date, v) => {
                timestamp_text(&text_of(v)).map_or(text_of(v), |t| t[..10].to_string())
            }
            (Ty::Timestamp, v) => timestamp_text(&text_of(v)).unwrap_or_else(|| text_of(v)),
            (Ty::Variant, Json::String(s)) => {
                serde_json::from_str::<Json>(s).map_or(s.clone(), |j| j.to_string())
            }
            (Ty::Array(_) | Ty::Tuple(_) | Ty::Map(..), Json::String(s)) => {
                match serde_json::from_str::<Json>(s) {
                    Ok(j) => self.nested(&j),
                    Err(_) => s.clone(),
                }
            }
            (_, v) => text_of(v),
        })
    }

    /// A nested value in Databend's display syntax: `[1,NULL]`, `(1,"a")`, `{"k":1}`.
    pub(super) fn nested(&self, v: &Json) -> String {
        if v.is_null() {
            return "NULL".into();
        }
        match (&self.ty, v) {
            (Ty::Array(e), Json::Array(items)) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|x| e.nested(x))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
            (Ty::Tuple(cols), Json::Array(items)) => format!(
                "({})",
                cols.iter()
                    .zip(items)
                    .map(|(c, x)| c.nested(x))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            (Ty::Map(k, val), Json::Object(m)) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(key, x)| format!("{}:{}", k.nested(&json!(key)), val.nested(x)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            (Ty::String | Ty::Date | Ty::Timestamp | Ty::Binary | Ty::Variant, x) => {
                let text = self.display(x).unwrap_or_default();
                format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
            (_, x) => self.display(x).unwrap_or_else(|| "NULL".into()),
        }
    }
}

pub(super) fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{f}")
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) from the forms clients send.
pub(super) fn timestamp_text(s: &str) -> Option<String> {
    civil::parse_micros(s).map(|us| civil::format_micros(us, ' ', 6, false))
}

/// The type of a computed column, from its values.
pub(super) fn guess(values: &[&Sql]) -> Col {
    let mut ty = Ty::Null;
    let mut nullable = false;
    for v in values {
        ty = match (v, &ty) {
            (Sql::Null, _) => {
                nullable = true;
                continue;
            }
            (Sql::Integer(_), Ty::Null | Ty::Int(_)) => Ty::Int("Int64"),
            (Sql::Integer(_) | Sql::Real(_), _) if ty != Ty::String => Ty::Float64,
            (Sql::Blob(_), _) => Ty::Binary,
            _ => Ty::String,
        };
    }
    if ty == Ty::Null {
        return Col {
            ty,
            nullable: false,
        };
    }
    Col { ty, nullable }
}

pub(super) fn to_json(v: &Sql) -> Json {
    match v {
        Sql::Null => Json::Null,
        Sql::Integer(n) => json!(n),
        Sql::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Sql::Text(t) => Json::String(t.clone()),
        Sql::Blob(b) => Json::String(b.iter().map(|x| format!("{x:02X}")).collect()),
    }
}

pub(super) fn empty_stats() -> Json {
    stats(0, 0)
}

pub(super) fn stats(result_rows: usize, written: i64) -> Json {
    json!({
        "scan_progress": {"rows": result_rows, "bytes": 0},
        "write_progress": {"rows": written, "bytes": 0},
        "result_progress": {"rows": result_rows, "bytes": 0},
        "total_scan": {"rows": result_rows, "bytes": 0},
        "spill_progress": {"file_nums": 0, "bytes": 0},
        "running_time_ms": 1.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_types_as_databend() {
        let c = Col::parse("ARRAY(INT)").unwrap();
        assert_eq!(c.name(true), "Nullable(Array(Int32 NULL))");
        assert_eq!(
            Col::parse("DECIMAL(38, 10) NOT NULL").unwrap().name(true),
            "Decimal(38, 10)"
        );
        assert_eq!(
            Col::parse("MAP(STRING, BIGINT)").unwrap().name(true),
            "Nullable(Map(String, Int64 NULL))"
        );
        assert_eq!(
            Col::parse("TUPLE(INT, STRING) NOT NULL")
                .unwrap()
                .name(true),
            "Tuple(Int32 NULL, String NULL)"
        );
    }

    #[test]
    fn displays_values_as_databend() {
        let arr = Col::parse("ARRAY(STRING)").unwrap();
        assert_eq!(
            arr.display(&json!("[\"a\\\"b\",null]")).unwrap(),
            "[\"a\\\"b\",NULL]"
        );
        assert_eq!(sqlite::decimal_text("1.5", 3), "1.500");
        assert_eq!(
            timestamp_text("2024-02-29T12:30:00.5+01:00").unwrap(),
            "2024-02-29 11:30:00.500000"
        );
        assert_eq!(
            timestamp_text("1969-12-31 23:59:59.999999").unwrap(),
            "1969-12-31 23:59:59.999999"
        );
        assert_eq!(float_text(f64::NEG_INFINITY), "-Infinity");
    }
}

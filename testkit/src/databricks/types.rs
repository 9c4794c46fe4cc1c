//! Databricks types as the API names them, and values as JSON_ARRAY text.

use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;
use crate::sqlite;

/// Databricks types: `type_name`, and `type_text` as DDL spells it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Ty {
    pub(super) name: &'static str,
    pub(super) text: String,
    pub(super) scale: Option<u32>,
}

impl Ty {
    pub(super) fn of(name: &'static str, text: &str) -> Ty {
        Ty {
            name,
            text: text.to_string(),
            scale: None,
        }
    }

    pub(super) fn parse(s: &str) -> Option<Ty> {
        let u = s.trim().to_ascii_uppercase();
        if u.starts_with("ARRAY<") {
            return Some(Ty::of("ARRAY", &u));
        }
        if u.starts_with("MAP<") {
            return Some(Ty::of("MAP", &u));
        }
        if u.starts_with("STRUCT<") {
            return Some(Ty::of("STRUCT", &u));
        }
        if u.starts_with("DECIMAL") {
            let scale = u
                .split_once(',')
                .and_then(|(_, s)| s.trim_end_matches(')').trim().parse().ok())
                .unwrap_or(0);
            return Some(Ty {
                name: "DECIMAL",
                text: u.replace(' ', ""),
                scale: Some(scale),
            });
        }
        let (name, text) = match u.split(['(', ' ']).next().unwrap_or("") {
            "STRING" | "VARCHAR" | "CHAR" => ("STRING", "STRING"),
            "INT" | "INTEGER" => ("INT", "INT"),
            "BIGINT" | "LONG" => ("LONG", "BIGINT"),
            "SMALLINT" | "SHORT" => ("SHORT", "SMALLINT"),
            "TINYINT" | "BYTE" => ("BYTE", "TINYINT"),
            "BOOLEAN" => ("BOOLEAN", "BOOLEAN"),
            "DOUBLE" => ("DOUBLE", "DOUBLE"),
            "FLOAT" | "REAL" => ("FLOAT", "FLOAT"),
            "DATE" => ("DATE", "DATE"),
            "TIMESTAMP" => ("TIMESTAMP", "TIMESTAMP"),
            "TIMESTAMP_NTZ" => ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
            "BINARY" => ("BINARY", "BINARY"),
            _ => return None,
        };
        Some(Ty::of(name, text))
    }

    pub(super) fn affinity(&self) -> &'static str {
        match self.name {
            "INT" | "LONG" | "SHORT" | "BYTE" | "BOOLEAN" => "INTEGER",
            "DOUBLE" | "FLOAT" => "REAL",
            "BINARY" => "BLOB",
            _ => "TEXT",
        }
    }

    pub(super) fn column(&self, name: &str, position: usize) -> Json {
        let mut c = json!({"name": name, "position": position, "type_name": self.name, "type_text": self.text});
        if let Some(s) = self.scale {
            let p: u32 = self
                .text
                .trim_start_matches("DECIMAL(")
                .split(',')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(10);
            c["type_precision"] = json!(p);
            c["type_scale"] = json!(s);
        }
        c
    }

    /// A stored value as a JSON_ARRAY cell: a string, or null.
    pub(super) fn cell(&self, v: &Sql) -> Json {
        let text = match (self.name, v) {
            (_, Sql::Null) => return Json::Null,
            ("BOOLEAN", Sql::Integer(i)) => (if *i != 0 { "true" } else { "false" }).to_string(),
            ("BOOLEAN", Sql::Text(t)) => t.to_ascii_lowercase(),
            ("DECIMAL", v) => sqlite::decimal_text(&sqlite::text(v), self.scale.unwrap_or(0)),
            ("TIMESTAMP", v) => civil::parse_micros(&sqlite::text(v))
                .map_or(sqlite::text(v), |us| civil::format_micros(us, 'T', 3, true)),
            ("TIMESTAMP_NTZ", v) => civil::parse_micros(&sqlite::text(v))
                .map_or(sqlite::text(v), |us| {
                    civil::format_micros(us, 'T', 6, false)
                }),
            ("DATE", v) => sqlite::text(v).chars().take(10).collect(),
            ("BINARY", Sql::Blob(b)) => b.iter().map(|x| format!("{x:02x}")).collect(),
            ("DOUBLE" | "FLOAT", Sql::Real(f)) => {
                if f.is_nan() {
                    "NaN".into()
                } else if f.is_infinite() {
                    if *f > 0.0 { "Infinity" } else { "-Infinity" }.into()
                } else {
                    format!("{f:?}")
                }
            }
            (_, v) => sqlite::text(v),
        };
        Json::String(text)
    }
}

pub(super) fn guess(values: &[&Sql]) -> Ty {
    let mut ty: Option<Ty> = None;
    for v in values {
        ty = Some(match (v, ty.as_ref().map(|t| t.name)) {
            (Sql::Null, _) => continue,
            (Sql::Integer(i), None | Some("INT")) if i32::try_from(*i).is_ok() => {
                Ty::of("INT", "INT")
            }
            (Sql::Integer(_), None | Some("INT" | "LONG")) => Ty::of("LONG", "BIGINT"),
            (Sql::Integer(_) | Sql::Real(_), None | Some("INT" | "LONG" | "DOUBLE")) => {
                Ty::of("DOUBLE", "DOUBLE")
            }
            (Sql::Blob(_), None) => Ty::of("BINARY", "BINARY"),
            _ => Ty::of("STRING", "STRING"),
        });
    }
    ty.unwrap_or_else(|| Ty::of("NULL", "VOID"))
}

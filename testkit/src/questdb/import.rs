//! `/imp`: multipart CSV loads, with types inferred from the values or taken from a schema.

use std::collections::HashMap;

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use super::server::*;
use super::types::*;
use super::{refusal, Shared, SCHEMA};
use crate::civil;
use crate::httpd::{json_reply, reply};
use crate::sqlite::Binds;

/// Splits one CSV line at `delimiter`, honouring double quotes.
pub(super) fn csv_fields(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

pub(super) fn infer(values: &[&str]) -> Ty {
    let present: Vec<&&str> = values.iter().filter(|v| !v.is_empty()).collect();
    if present.is_empty() {
        return Ty::String;
    }
    if present.iter().all(|v| v.parse::<i32>().is_ok()) {
        Ty::Int
    } else if present.iter().all(|v| v.parse::<i64>().is_ok()) {
        Ty::Long
    } else if present.iter().all(|v| v.parse::<f64>().is_ok()) {
        Ty::Double
    } else if present
        .iter()
        .all(|v| v.len() >= 19 && civil::parse_micros(v).is_some())
    {
        Ty::Timestamp
    } else {
        Ty::String
    }
}

pub(super) async fn import(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    mut form: Multipart,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let status = |msg: &str| json_reply(StatusCode::BAD_REQUEST, &json!({"status": msg}));
    let (mut schema, mut data, mut file_name) = (None, None, None);
    while let Ok(Some(part)) = form.next_field().await {
        match part.name() {
            Some("schema") => schema = part.text().await.ok(),
            Some("data") => {
                file_name = part.file_name().map(str::to_string);
                data = part.text().await.ok();
            }
            _ => {}
        }
    }
    let Some(data) = data else {
        return status("no data part");
    };
    let name = params
        .get("name")
        .cloned()
        .or(file_name)
        .unwrap_or_default()
        .trim_end_matches(".csv")
        .to_ascii_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return status("invalid table name");
    }
    let delimiter = params
        .get("delimiter")
        .and_then(|d| d.chars().next())
        .unwrap_or(',');
    let lines: Vec<&str> = data.lines().filter(|l| !l.trim().is_empty()).collect();
    let Some(first) = lines.first() else {
        return status("empty file");
    };
    let first = csv_fields(first, delimiter);
    let header = params.get("forceHeader").is_some_and(|v| v == "true")
        || first
            .iter()
            .all(|f| f.parse::<f64>().is_err() && civil::parse_micros(f).is_none());
    let overwrite = params.get("overwrite").is_some_and(|v| v == "true");
    // Without a header, values go to an existing table's columns by position.
    let existing = {
        let server = s.lock().unwrap_or_else(|e| e.into_inner());
        server.engine.columns(SCHEMA, &name).filter(|_| !overwrite)
    };
    let names: Vec<String> = match (&existing, header) {
        (_, true) => first.iter().map(|f| f.trim().to_string()).collect(),
        (Some(cols), false) => cols.iter().map(|(n, _)| n.clone()).collect(),
        (None, false) => (0..first.len()).map(|i| format!("f{i}")).collect(),
    };
    let records: Vec<Vec<String>> = lines[usize::from(header)..]
        .iter()
        .map(|l| csv_fields(l, delimiter))
        .collect();
    let declared: HashMap<String, Ty> = schema
        .and_then(|s| serde_json::from_str::<Json>(&s).ok())
        .and_then(|j| j.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                Ty::parse(c["type"].as_str()?)?,
            ))
        })
        .collect();
    let known: HashMap<String, Ty> = existing.unwrap_or_default().into_iter().collect();
    let types: Vec<Ty> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            declared
                .get(n)
                .or(known.get(n))
                .cloned()
                .unwrap_or_else(|| {
                    infer(
                        &records
                            .iter()
                            .map(|r| r.get(i).map_or("", String::as_str))
                            .collect::<Vec<_>>(),
                    )
                })
        })
        .collect();
    let atomicity = params
        .get("atomicity")
        .cloned()
        .unwrap_or_else(|| "skipCol".into());
    let mut server = s.lock().unwrap_or_else(|e| e.into_inner());
    let exists = server.engine.tables(SCHEMA).contains(&name);
    if exists && overwrite {
        let _ = server
            .engine
            .drop_table(SCHEMA, &format!("DROP TABLE {name}"));
    }
    if !exists || overwrite {
        let cols: Vec<String> = names
            .iter()
            .zip(&types)
            .map(|(n, t)| {
                format!(
                    "\"{n}\" {}",
                    t.column(n)["type"]
                        .as_str()
                        .unwrap_or("STRING")
                        .replace("ARRAY", "DOUBLE[]")
                        .replace("GEOHASH(8c)", "GEOHASH")
                )
            })
            .collect();
        let ddl = format!("CREATE TABLE {name} ({})", cols.join(", "));
        if let Err(f) = server
            .engine
            .create_table(SCHEMA, &ddl, |t, _| Ty::parse(t), Ty::affinity)
        {
            let Failure(_, msg, _) = failure(f, &ddl);
            return status(&msg);
        }
    }
    let mut errors = vec![0usize; names.len()];
    let (mut imported, mut rejected) = (0usize, 0usize);
    let placeholders = vec!["?"; names.len()].join(", ");
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let insert = format!(
        "INSERT INTO {name} ({}) VALUES ({placeholders})",
        quoted.join(", ")
    );
    for record in &records {
        let mut values = Vec::with_capacity(names.len());
        let mut bad = false;
        for (i, t) in types.iter().enumerate() {
            let raw = record.get(i).map_or("", |s| s.as_str());
            let v = match t {
                _ if raw.is_empty() => Some(Sql::Null),
                Ty::Int | Ty::Long | Ty::Short | Ty::Byte => raw.parse().ok().map(Sql::Integer),
                Ty::Double | Ty::Float => raw.parse().ok().map(Sql::Real),
                Ty::Timestamp | Ty::Date => civil::parse_micros(raw).map(Sql::Integer),
                Ty::Boolean => Some(Sql::Integer(i64::from(raw.eq_ignore_ascii_case("true")))),
                _ => Some(Sql::Text(raw.to_string())),
            };
            match v {
                Some(v) => values.push(v),
                None => {
                    errors[i] += 1;
                    bad = true;
                    values.push(Sql::Null);
                }
            }
        }
        if bad && atomicity == "abort" {
            return status(&format!(
                "import aborted: bad value in row {}",
                imported + rejected + 1
            ));
        }
        if bad && atomicity == "skipRow" {
            rejected += 1;
            continue;
        }
        match server
            .engine
            .run(None, SCHEMA, &insert, &Binds::Positional(values))
        {
            Ok(_) => imported += 1,
            Err(_) => rejected += 1,
        }
    }
    let columns: Vec<Json> = names
        .iter()
        .zip(&types)
        .zip(&errors)
        .map(|((n, t), e)| json!({"name": n, "type": t.column(n)["type"], "size": 0, "errors": e}))
        .collect();
    let body = json!({
        "status": "OK", "location": name, "rowsRejected": rejected, "rowsImported": imported,
        "header": header, "partitionBy": params.get("partitionBy").cloned().unwrap_or_else(|| "NONE".into()),
        "timestamp": params.get("timestamp"), "columns": columns
    });
    if params.get("fmt").is_some_and(|f| f == "json") {
        json_reply(StatusCode::OK, &body)
    } else {
        reply(
            StatusCode::OK,
            "text/plain",
            format!("|      Location:  |  {name}  |\n|   Rows handled  |  {}  |\n|  Rows imported  |  {imported}  |\n", imported + rejected),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_csv_lines() {
        assert_eq!(csv_fields("a,\"b,\"\"c\"\"\",", ','), ["a", "b,\"c\"", ""]);
    }
}

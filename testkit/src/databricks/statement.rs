//! Statements on the warehouse: their life (pending, running, done), what running one gives,
//! and how the API shows a statement and its chunks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use super::types::*;
use super::CHUNK_ROWS;
use crate::sqlite::{self, Binds, Fail};

/// A statement's life.
pub(super) enum Phase {
    Running,
    Succeeded { manifest: Json, chunks: Vec<Json> },
    Failed(Json),
    Canceled,
}

pub(super) struct Statement {
    pub(super) state: Phase,
    pub(super) external: bool,
    /// Chunks after the first are gone.
    pub(super) expired: bool,
    /// The external links' signatures, by chunk.
    pub(super) signature: String,
}

/// The warehouse. Statements and the engine have locks of their own, so that a cancel or a poll
/// never waits for a running statement.
pub(super) struct Node {
    pub(super) engine: Mutex<sqlite::Engine<Ty>>,
    /// The id of the statement the engine runs now, and the flag that stops it: a cancel of that
    /// id stops it, as a warehouse does.
    pub(super) running: Mutex<Option<String>>,
    pub(super) interrupt: Arc<std::sync::atomic::AtomicBool>,
    pub(super) statements: Mutex<HashMap<String, Statement>>,
    pub(super) next_id: std::sync::atomic::AtomicU64,
    pub(super) rate_limited: Mutex<Vec<String>>,
}

impl Node {
    pub(super) fn new() -> Node {
        let mut engine = sqlite::Engine::new(sqlite::unique_prefix("databricks"));
        engine.create_schema("default").unwrap();
        Node {
            running: Mutex::new(None),
            interrupt: engine.interrupter(),
            engine: Mutex::new(engine),
            statements: Mutex::new(HashMap::new()),
            next_id: std::sync::atomic::AtomicU64::new(1),
            rate_limited: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn statements(&self) -> std::sync::MutexGuard<'_, HashMap<String, Statement>> {
        self.statements.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What running a statement gives: its manifest and chunks, or its error.
pub(super) fn run(
    engine: &mut sqlite::Engine<Ty>,
    sql: &str,
    schema: &str,
    params: &[(String, Sql)],
) -> Result<(Json, Vec<Json>), Json> {
    let failed = |code: &str, class: &str, message: &str, state: &str| json!({"error_code": code, "message": format!("[{class}] {message} SQLSTATE: {state}"), "sql_state": state});
    let map = |f: Fail| match f {
        Fail::Syntax(m) => failed(
            "BAD_REQUEST",
            "PARSE_SYNTAX_ERROR",
            &format!("Syntax error: {m}."),
            "42601",
        ),
        Fail::NoSuchTable(t) => failed(
            "BAD_REQUEST",
            "TABLE_OR_VIEW_NOT_FOUND",
            &format!("The table or view `{t}` cannot be found."),
            "42P01",
        ),
        Fail::NoSuchColumn(c) => failed(
            "BAD_REQUEST",
            "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
            &format!("A column `{c}` cannot be resolved."),
            "42703",
        ),
        Fail::TableExists(t) => failed(
            "ALREADY_EXISTS",
            "TABLE_OR_VIEW_ALREADY_EXISTS",
            &format!("Cannot create table `{t}`."),
            "42P07",
        ),
        Fail::MissingParameter(m) => failed(
            "BAD_REQUEST",
            "UNBOUND_SQL_PARAMETER",
            &format!("Found the unbound parameter: {m}."),
            "42P02",
        ),
        Fail::UnknownType(t) => failed(
            "BAD_REQUEST",
            "UNSUPPORTED_DATATYPE",
            &format!("Unsupported data type {t}."),
            "0A000",
        ),
        Fail::NotNullViolation(m) | Fail::UniqueViolation(m) => failed(
            "BAD_REQUEST",
            "DELTA_NOT_NULL_CONSTRAINT_VIOLATED",
            &m,
            "23502",
        ),
        Fail::Injected(m) => failed("INTERNAL_ERROR", "INTERNAL_ERROR", &m, "XX000"),
        Fail::Timeout | Fail::Interrupted => failed(
            "DEADLINE_EXCEEDED",
            "QUERY_EXECUTION_TIMEOUT_EXCEEDED",
            "The statement timed out.",
            "57KD0",
        ),
        Fail::BadSchema(s) => failed(
            "NOT_FOUND",
            "SCHEMA_NOT_FOUND",
            &format!("The schema `{s}` cannot be found."),
            "42704",
        ),
        Fail::Other(m) => failed("INTERNAL_ERROR", "INTERNAL_ERROR", &m, "XX000"),
    };
    let words = sqlite::keywords(sql, 2);
    let w0 = words.first().map(String::as_str).unwrap_or("");
    let w1 = words.get(1).map(String::as_str).unwrap_or("");
    let empty = || {
        (
            json!({"format": "JSON_ARRAY", "schema": {"column_count": 0, "columns": []}, "total_chunk_count": 0, "chunks": [], "total_row_count": 0, "truncated": false}),
            Vec::new(),
        )
    };
    match (w0, w1) {
        ("CREATE", "TABLE") => {
            return engine
                .create_table(schema, sql, |t, _| Ty::parse(t), Ty::affinity)
                .map(|_| empty())
                .map_err(map)
        }
        ("DROP", "TABLE") => return engine.drop_table(schema, sql).map(|_| empty()).map_err(map),
        ("USE" | "SET", _) => return Ok(empty()),
        _ => {}
    }
    let binds = Binds::Named(params.to_vec());
    let (cols, types, rows) = match engine.run(None, schema, sql, &binds).map_err(map)? {
        sqlite::Outcome::Count(n) => {
            if !["INSERT", "UPDATE", "DELETE", "MERGE"].contains(&w0) {
                return Ok(empty());
            }
            let inserted = if w0 == "INSERT" { n } else { 0 };
            (
                vec![
                    "num_affected_rows".to_string(),
                    "num_inserted_rows".to_string(),
                ],
                vec![Ty::of("LONG", "BIGINT"), Ty::of("LONG", "BIGINT")],
                vec![vec![Sql::Integer(n), Sql::Integer(inserted)]],
            )
        }
        sqlite::Outcome::Rows {
            failed: Some(f), ..
        } => return Err(map(f)),
        sqlite::Outcome::Rows {
            cols, types, rows, ..
        } => {
            let types = sqlite::column_types(types, &rows, guess);
            (cols, types, rows)
        }
    };
    let data: Vec<Json> = rows
        .iter()
        .map(|r| Json::Array(r.iter().zip(&types).map(|(v, t)| t.cell(v)).collect()))
        .collect();
    let total = data.len();
    let chunks: Vec<Json> = data
        .chunks(CHUNK_ROWS)
        .map(|c| Json::Array(c.to_vec()))
        .collect();
    let manifest = json!({
        "format": "JSON_ARRAY",
        "schema": {"column_count": cols.len(), "columns": cols.iter().zip(&types).enumerate().map(|(i, (c, t))| t.column(c, i)).collect::<Vec<_>>()},
        "total_chunk_count": chunks.len(),
        // Int64 counters as strings, which clients must tolerate.
        "chunks": chunks.iter().enumerate().map(|(i, c)| json!({
            "chunk_index": i, "row_offset": (i * CHUNK_ROWS).to_string(), "row_count": c.as_array().map_or(0, Vec::len).to_string()
        })).collect::<Vec<_>>(),
        "total_row_count": total,
        "truncated": false,
    });
    Ok((manifest, chunks))
}

/// A chunk as `ResultData`: inline rows, or an external link.
pub(super) fn result_data(id: &str, st: &Statement, i: usize, port_base: &str) -> Json {
    let Phase::Succeeded { chunks, .. } = &st.state else {
        return Json::Null;
    };
    let Some(rows) = chunks.get(i) else {
        return json!({});
    };
    let row_count = rows.as_array().map_or(0, Vec::len);
    let mut r = json!({"chunk_index": i, "row_offset": i * CHUNK_ROWS, "row_count": row_count});
    let next = (i + 1 < chunks.len()).then_some(i + 1);
    if st.external {
        let mut link = json!({
            "chunk_index": i, "row_offset": i * CHUNK_ROWS, "row_count": row_count, "byte_count": rows.to_string().len(),
            "external_link": format!("{port_base}/external/{id}/{i}?sig={}", st.signature),
            "expiration": "2099-01-01T00:00:00.000Z",
            "http_headers": {"x-webdbc-storage-token": st.signature},
        });
        if let Some(n) = next {
            link["next_chunk_index"] = json!(n);
            link["next_chunk_internal_link"] =
                json!(format!("/api/2.0/sql/statements/{id}/result/chunks/{n}"));
        }
        r["external_links"] = json!([link]);
    } else {
        r["data_array"] = rows.clone();
        if let Some(n) = next {
            r["next_chunk_index"] = json!(n);
            r["next_chunk_internal_link"] =
                json!(format!("/api/2.0/sql/statements/{id}/result/chunks/{n}"));
        }
    }
    r
}

pub(super) fn statement_json(id: &str, st: &Statement, base: &str) -> Json {
    match &st.state {
        Phase::Running => json!({"statement_id": id, "status": {"state": "RUNNING"}}),
        Phase::Canceled => json!({"statement_id": id, "status": {"state": "CANCELED"}}),
        Phase::Failed(e) => {
            json!({"statement_id": id, "status": {"state": "FAILED", "error": {"error_code": e["error_code"], "message": e["message"]}, "sql_state": e["sql_state"]}})
        }
        Phase::Succeeded { manifest, .. } => {
            let mut body =
                json!({"statement_id": id, "status": {"state": "SUCCEEDED"}, "manifest": manifest});
            body["result"] = result_data(id, st, 0, base);
            body
        }
    }
}

pub(super) fn base_url(headers: &HeaderMap) -> String {
    // Links point back at this server, by the address the client used.
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Seconds of `wait_timeout`: "0s", or "5s" to "50s".
pub(super) fn wait_secs(v: &Json) -> Option<u64> {
    let secs = v
        .as_str()
        .unwrap_or("10s")
        .strip_suffix('s')?
        .parse::<u64>()
        .ok()?;
    (secs == 0 || (5..=50).contains(&secs)).then_some(secs)
}

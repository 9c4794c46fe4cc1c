//! A Databricks SQL Statement Execution API 2.0 endpoint over SQLite, written from
//! shared/protocols/databricks-sql-api.md and proven by the official `databricks-sdk`
//! (tests/python/test_databricks_server.py). It shares no code with the client.
//!
//! - `POST /api/2.0/sql/statements` with `warehouse_id`, `statement`, named `parameters` (string
//!   values, optional `type`), `catalog`/`schema`, `wait_timeout` ("0s" or "5s".."50s"),
//!   `on_wait_timeout` (CONTINUE | CANCEL), `disposition` (INLINE | EXTERNAL_LINKS, JSON_ARRAY),
//!   `row_limit`; statements run in the background, so a slow one answers PENDING and is polled
//!   with `GET /api/2.0/sql/statements/{id}`; `/cancel` (which stops a running `sleep()`);
//!   `/result/chunks/{i}`.
//! - Results in chunks of [`CHUNK_ROWS`] rows, every cell a string; EXTERNAL_LINKS point at
//!   `/external/…` on this server, which wants the link's `http_headers` and refuses an
//!   `Authorization` header, as cloud storage would (and sends CORS headers, as a bucket set up
//!   for browsers does).
//! - Execution errors are HTTP 200 with `FAILED`, an `error_code`, an `[ERROR_CLASS]` message and
//!   `sql_state`; request errors are 4xx with `error_code`. Bearer [`DATABRICKS_TOKEN`] only.
//! - DML answers one row of `num_affected_rows` and `num_inserted_rows`.
//! - Faults, by SQL: `sleep(ms)`; `/* fault:rate_limit */` answers 429 with `Retry-After: 1`
//!   the first time it is seen; `/* fault:expire */` lets the result expire after its first
//!   chunk (later chunks answer 404, as results do an hour after success).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;
use crate::httpd::{self, json_reply};
use crate::sqlite::{self, Binds, Fail};

pub const DATABRICKS_TOKEN: &str = "dapi-webdbc-test-token";
pub const WAREHOUSE_ID: &str = "abcdef1234567890";
pub const CHUNK_ROWS: usize = 1000;
/// INLINE results above this fail, as Databricks' 25 MiB limit.
const INLINE_LIMIT_BYTES: usize = 25 << 20;

pub fn start_databricks_server() -> u16 {
    let state = Arc::new(Node::new());
    let app = Router::new()
        .route("/api/2.0/sql/statements", post(execute))
        .route("/api/2.0/sql/statements/", post(execute))
        .route("/api/2.0/sql/statements/{id}", get(status))
        .route("/api/2.0/sql/statements/{id}/cancel", post(cancel))
        .route("/api/2.0/sql/statements/{id}/result/chunks/{i}", get(chunk))
        .route(
            "/external/{id}/{i}",
            get(external).options(external_preflight),
        )
        .with_state(state);
    httpd::serve(app)
}

type Shared = Arc<Node>;

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_reply(status, &json!({"error_code": code, "message": message}))
}

fn refusal(headers: &HeaderMap) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth == Some(&format!("Bearer {DATABRICKS_TOKEN}")) {
        return None;
    }
    Some(api_error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "Invalid access token.",
    ))
}

/// Databricks types: `type_name`, and `type_text` as DDL spells it.
#[derive(Clone, Debug, PartialEq)]
struct Ty {
    name: &'static str,
    text: String,
    scale: Option<u32>,
}

impl Ty {
    fn of(name: &'static str, text: &str) -> Ty {
        Ty {
            name,
            text: text.to_string(),
            scale: None,
        }
    }

    fn parse(s: &str) -> Option<Ty> {
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

    fn affinity(&self) -> &'static str {
        match self.name {
            "INT" | "LONG" | "SHORT" | "BYTE" | "BOOLEAN" => "INTEGER",
            "DOUBLE" | "FLOAT" => "REAL",
            "BINARY" => "BLOB",
            _ => "TEXT",
        }
    }

    fn column(&self, name: &str, position: usize) -> Json {
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
    fn cell(&self, v: &Sql) -> Json {
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

fn guess(values: &[&Sql]) -> Ty {
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

/// A statement's life.
enum Phase {
    Running,
    Succeeded { manifest: Json, chunks: Vec<Json> },
    Failed(Json),
    Canceled,
}

struct Statement {
    state: Phase,
    external: bool,
    /// Chunks after the first are gone.
    expired: bool,
    /// The external links' signatures, by chunk.
    signature: String,
}

/// The warehouse. Statements and the engine have locks of their own, so that a cancel or a poll
/// never waits for a running statement.
struct Node {
    engine: Mutex<sqlite::Engine<Ty>>,
    /// The id of the statement the engine runs now, and the flag that stops it: a cancel of that
    /// id stops it, as a warehouse does.
    running: Mutex<Option<String>>,
    interrupt: Arc<std::sync::atomic::AtomicBool>,
    statements: Mutex<HashMap<String, Statement>>,
    next_id: std::sync::atomic::AtomicU64,
    rate_limited: Mutex<Vec<String>>,
}

impl Node {
    fn new() -> Node {
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

    fn statements(&self) -> std::sync::MutexGuard<'_, HashMap<String, Statement>> {
        self.statements.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What running a statement gives: its manifest and chunks, or its error.
fn run(
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
fn result_data(id: &str, st: &Statement, i: usize, port_base: &str) -> Json {
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

fn statement_json(id: &str, st: &Statement, base: &str) -> Json {
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

fn base_url(headers: &HeaderMap) -> String {
    // Links point back at this server, by the address the client used.
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Seconds of `wait_timeout`: "0s", or "5s" to "50s".
fn wait_secs(v: &Json) -> Option<u64> {
    let secs = v
        .as_str()
        .unwrap_or("10s")
        .strip_suffix('s')?
        .parse::<u64>()
        .ok()?;
    (secs == 0 || (5..=50).contains(&secs)).then_some(secs)
}

async fn execute(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let bad = |m: &str| api_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", m);
    let Ok(req) = serde_json::from_slice::<Json>(&body) else {
        return bad("Malformed request body.");
    };
    let Some(sql) = req["statement"].as_str().map(str::to_string) else {
        return bad("statement is required");
    };
    match req["warehouse_id"].as_str() {
        Some(WAREHOUSE_ID) => {}
        Some(w) => {
            return api_error(
                StatusCode::NOT_FOUND,
                "RESOURCE_DOES_NOT_EXIST",
                &format!("Warehouse {w} does not exist."),
            )
        }
        None => return bad("warehouse_id is required"),
    }
    let Some(wait) = wait_secs(&req["wait_timeout"]) else {
        return bad(&format!(
            "wait_timeout must be 0s or between 5s and 50s, got {}",
            req["wait_timeout"]
        ));
    };
    let disposition = req["disposition"].as_str().unwrap_or("INLINE");
    let format = req["format"].as_str().unwrap_or("JSON_ARRAY");
    if format != "JSON_ARRAY" {
        return bad(&format!(
            "format {format} is not supported by this test server"
        ));
    }
    if !["INLINE", "EXTERNAL_LINKS"].contains(&disposition) {
        return bad(&format!("disposition {disposition} is not supported"));
    }
    if has_question_mark(&sql) {
        return bad(
            "Positional parameter markers (?) are not supported: use named markers (:name).",
        );
    }
    let mut params = Vec::new();
    for p in req["parameters"].as_array().into_iter().flatten() {
        let Some(name) = p["name"].as_str() else {
            return bad("a parameter needs a name");
        };
        let value = match &p["value"] {
            Json::Null => Sql::Null,
            Json::String(v) => match p["type"]
                .as_str()
                .unwrap_or("STRING")
                .to_ascii_uppercase()
                .as_str()
            {
                "INT" | "BIGINT" | "SMALLINT" | "TINYINT" => match v.parse() {
                    Ok(i) => Sql::Integer(i),
                    Err(_) => {
                        return bad(&format!("parameter {name}: {v:?} is not a {}", p["type"]))
                    }
                },
                "DOUBLE" | "FLOAT" => match v.parse() {
                    Ok(f) => Sql::Real(f),
                    Err(_) => return bad(&format!("parameter {name}: {v:?} is not a number")),
                },
                "BOOLEAN" => Sql::Integer(i64::from(v.eq_ignore_ascii_case("true"))),
                _ => Sql::Text(v.clone()),
            },
            _ => return bad(&format!("parameter {name}: value must be a string")),
        };
        params.push((name.to_string(), value));
    }
    let schema = req["schema"].as_str().unwrap_or("default").to_string();
    let row_limit = req["row_limit"].as_u64();
    let cancel_on_timeout = req["on_wait_timeout"].as_str() == Some("CANCEL");
    let base = base_url(&headers);
    if sql.contains("/* fault:rate_limit */") {
        let mut seen = s.rate_limited.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.contains(&sql) {
            seen.push(sql.clone());
            let mut r = api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "REQUEST_LIMIT_EXCEEDED",
                "Too many requests.",
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            return r;
        }
    }
    let n = s.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("01ef{n:028x}");
    s.statements().insert(
        id.clone(),
        Statement {
            state: Phase::Running,
            external: disposition == "EXTERNAL_LINKS",
            expired: sql.contains("/* fault:expire */"),
            signature: format!("sig{:x}", n * 7919),
        },
    );
    let (s2, id2) = (s.clone(), id.clone());
    let work = tokio::task::spawn_blocking(move || {
        let outcome = {
            let mut engine = s2.engine.lock().unwrap_or_else(|e| e.into_inner());
            *s2.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(id2.clone());
            let outcome = run(&mut engine, &sql, &schema, &params);
            *s2.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
            outcome
        };
        let mut statements = s2.statements();
        let Some(st) = statements.get_mut(&id2) else {
            return;
        };
        if matches!(st.state, Phase::Canceled) {
            return;
        }
        let external = st.external;
        st.state = match outcome {
            Err(e) => Phase::Failed(e),
            Ok((mut manifest, mut chunks)) => {
                if let Some(limit) = row_limit {
                    let rows: Vec<Json> = chunks
                        .iter()
                        .flat_map(|c| c.as_array().cloned().unwrap_or_default())
                        .collect();
                    if rows.len() as u64 > limit {
                        let kept: Vec<Json> = rows.into_iter().take(limit as usize).collect();
                        chunks = kept
                            .chunks(CHUNK_ROWS)
                            .map(|c| Json::Array(c.to_vec()))
                            .collect();
                        manifest["truncated"] = json!(true);
                        manifest["total_row_count"] = json!(limit);
                        manifest["total_chunk_count"] = json!(chunks.len());
                        manifest["chunks"] = json!(chunks.iter().enumerate().map(|(i, c)| json!({"chunk_index": i, "row_offset": i * CHUNK_ROWS, "row_count": c.as_array().map_or(0, Vec::len)})).collect::<Vec<_>>());
                    }
                }
                let bytes: usize = chunks.iter().map(|c| c.to_string().len()).sum();
                if !external && bytes > INLINE_LIMIT_BYTES {
                    Phase::Failed(
                        json!({"error_code": "BAD_REQUEST", "message": "[INLINE_RESULT_TOO_LARGE] The result exceeds the INLINE limit of 25 MiB: use EXTERNAL_LINKS.", "sql_state": "54000"}),
                    )
                } else {
                    Phase::Succeeded { manifest, chunks }
                }
            }
        };
    });
    let finished = if wait == 0 {
        false
    } else {
        tokio::time::timeout(Duration::from_secs(wait), work)
            .await
            .is_ok()
    };
    let mut statements = s.statements();
    let st = statements.get_mut(&id).expect("inserted above");
    if !finished && cancel_on_timeout {
        st.state = Phase::Canceled;
    }
    let mut body = statement_json(&id, st, &base);
    if !finished && !cancel_on_timeout && wait == 0 {
        body["status"]["state"] = json!("PENDING");
    }
    json_reply(StatusCode::OK, &body)
}

/// A `?` outside quotes: a positional marker, which the API refuses.
fn has_question_mark(sql: &str) -> bool {
    let mut quote = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c == '?' => return true,
            None => {}
        }
    }
    false
}

fn not_found(id: &str) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
        &format!("Statement {id} does not exist or has expired."),
    )
}

async fn status(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    match s.statements().get(&id) {
        Some(st) => json_reply(
            StatusCode::OK,
            &statement_json(&id, st, &base_url(&headers)),
        ),
        None => not_found(&id),
    }
}

async fn cancel(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    match s.statements().get_mut(&id) {
        Some(st) => {
            if matches!(st.state, Phase::Running) {
                st.state = Phase::Canceled;
                if s.running.lock().unwrap_or_else(|e| e.into_inner()).as_ref() == Some(&id) {
                    s.interrupt.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
            json_reply(StatusCode::OK, &json!({}))
        }
        None => not_found(&id),
    }
}

async fn chunk(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, i)): Path<(String, usize)>,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let statements = s.statements();
    let Some(st) = statements.get(&id) else {
        return not_found(&id);
    };
    if st.expired && i > 0 {
        return not_found(&id);
    }
    match &st.state {
        Phase::Succeeded { chunks, .. } if i < chunks.len() => json_reply(
            StatusCode::OK,
            &result_data(&id, st, i, &base_url(&headers)),
        ),
        Phase::Succeeded { .. } => api_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
            &format!("chunk {i} does not exist"),
        ),
        _ => api_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the statement has no result",
        ),
    }
}

fn storage_cors(r: &mut Response) {
    let h = r.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("x-webdbc-storage-token"),
    );
}

async fn external_preflight() -> Response {
    let mut r = httpd::reply(StatusCode::OK, "text/plain", "");
    storage_cors(&mut r);
    r
}

/// Cloud storage: the link's signature and headers are the credentials; an Authorization header
/// is refused (it would leak the workspace token to storage).
async fn external(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, i)): Path<(String, usize)>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let statements = s.statements();
    let mut r = match statements.get(&id) {
        _ if headers.contains_key("authorization") => httpd::reply(
            StatusCode::BAD_REQUEST,
            "application/xml",
            "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; the Authorization header must not be sent with a presigned URL</Message></Error>",
        ),
        Some(st)
            if q.get("sig") == Some(&st.signature)
                && headers.get("x-webdbc-storage-token").and_then(|v| v.to_str().ok()) == Some(&st.signature) =>
        {
            match &st.state {
                Phase::Succeeded { chunks, .. } if i < chunks.len() => json_reply(StatusCode::OK, &chunks[i]),
                _ => httpd::reply(StatusCode::NOT_FOUND, "application/xml", "<Error><Code>NoSuchKey</Code></Error>"),
            }
        }
        _ => httpd::reply(
            StatusCode::FORBIDDEN,
            "application/xml",
            "<Error><Code>AccessDenied</Code><Message>signature or headers missing</Message></Error>",
        ),
    };
    storage_cors(&mut r);
    r
}

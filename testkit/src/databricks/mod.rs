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

mod statement;
mod types;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::httpd::{self, json_reply};
use statement::*;

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

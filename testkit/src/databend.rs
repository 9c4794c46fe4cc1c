//! A Databend HTTP handler (`/v1/query` and its pages) over SQLite, written from
//! shared/protocols/databend-http.md and proven by the official clients `databend-driver` and
//! `databend-py` (tests/python/test_databend_server.py). It shares no code with the client.
//!
//! - `POST /v1/session/login` (version 1.2.905, so clients send `params`), `/heartbeat`,
//!   `/logout`; `POST /v1/query`; `GET /v1/query/{id}/page/{n}` (the current or the previous
//!   page again, anything else 404); `/final`, `/kill` (which stops the query if it runs: a
//!   `sleep()` fails with 1043); `GET /v1/query/{id}`; `GET /health`.
//! - Results are paged by `pagination.max_rows_per_page` (default 10,000). A result not polled
//!   for `result_timeout_secs` (60) is dropped; heartbeats keep it.
//! - Stateless sessions: the request's `session` is the state; the reply carries `session` only
//!   when it changed. `USE`, `SET`, `CREATE/DROP DATABASE`; BEGIN gives the session a
//!   transaction of its own (its id rides in the opaque `internal` string), which a failure
//!   turns to `Fail` until ROLLBACK.
//! - Cells are strings in Databend's display format; types print as Databend prints them.
//! - No CORS headers, as Databend. Users `root` (no password) and [`DATABEND_USER`].
//! - Faults, by SQL: `sleep(ms)`; `fail_at(n, i)` fails after rows were produced, which surfaces
//!   on the page after them; `/* fault:slow_start */` answers the POST with state Starting and no
//!   schema yet; `/* fault:short_timeout */` drops the result after 2 s without a poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rusqlite::types::Value as Sql;
use serde_json::{json, Map, Value as Json};

use crate::civil;
use crate::httpd::{self, json_reply};
use crate::sqlite::{self, Binds, Db, Fail};

/// The seed's tutorial user; `root` has no password.
pub const DATABEND_USER: (&str, &str) = ("user1", "abc123");
pub const DATABEND_VERSION: &str = "1.2.905";
const NODE_ID: &str = "webdbc-test-node";
const RESULT_TIMEOUT_SECS: u64 = 60;

pub fn start_databend_server() -> u16 {
    let server = Server::new();
    let state = Arc::new(Node {
        interrupt: server.engine.interrupter(),
        running: Mutex::new(None),
        sql: Mutex::new(server),
        results: Mutex::new(Results::default()),
    });
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/v1/session/login", post(login))
        .route("/v1/session/heartbeat", post(heartbeat))
        .route(
            "/v1/session/logout",
            post(|| async { json_reply(StatusCode::OK, &json!({})) }),
        )
        .route("/v1/query", post(start_query))
        .route("/v1/query/", post(start_query))
        .route("/v1/query/{id}", get(query_state))
        .route("/v1/query/{id}/page/{n}", get(page))
        .route("/v1/query/{id}/final", get(finish).post(finish))
        .route("/v1/query/{id}/kill", get(kill).post(kill))
        .with_state(state);
    httpd::serve(app)
}

/// The engine and the results have locks of their own, so that pages, final, kill and
/// heartbeats never wait for a running statement.
struct Node {
    sql: Mutex<Server>,
    results: Mutex<Results>,
    /// The id of the statement running now, and the flag that stops it: a kill of that id
    /// stops it, as Databend does.
    running: Mutex<Option<String>>,
    interrupt: Arc<std::sync::atomic::AtomicBool>,
}

impl Node {
    fn results(&self) -> std::sync::MutexGuard<'_, Results> {
        let mut r = self.results.lock().unwrap_or_else(|e| e.into_inner());
        r.expire();
        r
    }
}

/// Results being paged out, and the ids of those closed or killed.
#[derive(Default)]
struct Results {
    queries: HashMap<String, Query>,
    /// Finished or killed query ids: their pages answer 400.
    closed: Vec<String>,
    killed: Vec<String>,
}

impl Results {
    /// Drops results nobody polled within their timeout.
    fn expire(&mut self) {
        let now = Instant::now();
        self.queries
            .retain(|_, q| now.duration_since(q.touched) <= q.timeout);
    }
}

type Shared = Arc<Node>;

/// An HTTP-level error, as Databend's routes send them.
fn http_error(status: StatusCode, code: u32, message: &str) -> Response {
    json_reply(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

/// The 401 for a request without valid credentials.
fn refusal(headers: &HeaderMap) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    let ok = match httpd::basic_credentials(auth) {
        Some(Ok((u, p))) => {
            (u == "root" && p.is_empty()) || (u == DATABEND_USER.0 && p == DATABEND_USER.1)
        }
        _ => false,
    };
    if ok {
        return None;
    }
    let user = match httpd::basic_credentials(auth) {
        Some(Ok((u, _))) => u,
        _ => String::new(),
    };
    Some(http_error(
        StatusCode::UNAUTHORIZED,
        5100,
        &format!("AuthenticateFailure: wrong password or unknown user '{user}'"),
    ))
}

async fn login(headers: HeaderMap) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    json_reply(
        StatusCode::OK,
        &json!({"version": DATABEND_VERSION, "tokens": null}),
    )
}

async fn heartbeat(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let req: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
    let mut server = s.results();
    let mut gone = Vec::new();
    if let Some(nodes) = req["node_to_queries"].as_object() {
        for ids in nodes.values() {
            for id in ids
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
            {
                match server.queries.get_mut(id) {
                    Some(q) => q.touched = Instant::now(),
                    None => gone.push(json!(id)),
                }
            }
        }
    }
    json_reply(StatusCode::OK, &json!({"queries_to_remove": gone}))
}

async fn start_query(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<Json>(&body) else {
        return http_error(StatusCode::BAD_REQUEST, 400, "invalid JSON request body");
    };
    let Some(sql) = req["sql"].as_str().map(str::to_string) else {
        return http_error(StatusCode::BAD_REQUEST, 400, "missing field `sql`");
    };
    let given_id = headers
        .get("x-databend-query-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // The same id again is a retry: the query already runs.
    if let Some(q) = given_id
        .as_ref()
        .and_then(|id| s.results().queries.get(id).map(|q| q.page(0)))
    {
        return json_reply(StatusCode::OK, &q);
    }
    tokio::task::spawn_blocking(move || {
        let mut server = s.sql.lock().unwrap_or_else(|e| e.into_inner());
        *s.running.lock().unwrap_or_else(|e| e.into_inner()) = given_id.clone();
        let started = server.start(&sql, &req, given_id);
        *s.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
        drop(server);
        match started {
            Ok((body, query)) => {
                if let Some(q) = query {
                    s.results().queries.insert(q.id.clone(), q);
                }
                json_reply(StatusCode::OK, &body)
            }
            Err(body) => json_reply(StatusCode::OK, &body),
        }
    })
    .await
    .unwrap_or_else(|_| http_error(StatusCode::INTERNAL_SERVER_ERROR, 1001, "panic"))
}

async fn page(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let mut server = s.results();
    if server.closed.contains(&id) {
        return http_error(
            StatusCode::BAD_REQUEST,
            400,
            &format!("query id {id} is closed"),
        );
    }
    let Some(q) = server.queries.get_mut(&id) else {
        return http_error(
            StatusCode::NOT_FOUND,
            404,
            &format!("Query ID {id} not found on node {NODE_ID}"),
        );
    };
    // The current page, or the one before again (a retry); nothing else.
    if n != q.next_page && n + 1 != q.next_page {
        let current = q.next_page.saturating_sub(1);
        return http_error(
            StatusCode::NOT_FOUND,
            404,
            &format!("Invalid page number: requested {n}, current page is {current}"),
        );
    }
    q.touched = Instant::now();
    q.next_page = n + 1;
    json_reply(StatusCode::OK, &q.page(n))
}

async fn finish(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let mut server = s.results();
    match server.queries.remove(&id) {
        Some(q) => {
            server.closed.push(id);
            let mut body = q.envelope("Succeeded");
            body["next_uri"] = Json::Null;
            json_reply(StatusCode::OK, &body)
        }
        None => http_error(
            StatusCode::NOT_FOUND,
            404,
            &format!("Query ID {id} not found on node {NODE_ID}"),
        ),
    }
}

async fn kill(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    if s.running.lock().unwrap_or_else(|e| e.into_inner()).as_ref() == Some(&id) {
        s.interrupt.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    let mut server = s.results();
    server.queries.remove(&id);
    server.closed.push(id.clone());
    server.killed.push(id);
    httpd::reply(StatusCode::OK, "text/plain", "")
}

async fn query_state(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let server = s.results();
    match server.queries.get(&id) {
        Some(q) => json_reply(
            StatusCode::OK,
            &json!({"state": "Succeeded", "error": null, "warnings": [], "stats": q.stats()}),
        ),
        None if server.killed.contains(&id) => json_reply(
            StatusCode::OK,
            &json!({"state": "Failed", "error": {"code": 1043, "message": "AbortedQuery: killed by the client"},
                    "warnings": [], "stats": empty_stats()}),
        ),
        None => http_error(
            StatusCode::NOT_FOUND,
            404,
            &format!("Query ID {id} not found on node {NODE_ID}"),
        ),
    }
}

/// Databend types as they print (`Nullable(Int32)`, `Array(Int32 NULL)`, `Decimal(38, 10)`).
#[derive(Clone, Debug, PartialEq)]
enum Ty {
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
struct Col {
    ty: Ty,
    nullable: bool,
}

impl Col {
    fn name(&self, top_level: bool) -> String {
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
    fn parse(s: &str) -> Option<Col> {
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
    fn parse_column(s: &str, not_null: bool) -> Option<Col> {
        let mut c = Col::parse(s)?;
        c.nullable &= !not_null;
        Some(c)
    }

    fn affinity(&self) -> &'static str {
        match self.ty {
            Ty::Boolean | Ty::Int(_) if self.ty != Ty::Int("UInt64") => "INTEGER",
            Ty::Float32 | Ty::Float64 => "REAL",
            Ty::Int(_) | Ty::Null => "BLOB", // UInt64 beyond i64 stays text
            _ => "TEXT",
        }
    }

    /// A stored value as Databend displays it; `None` is SQL NULL.
    fn display(&self, v: &Json) -> Option<String> {
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
    fn nested(&self, v: &Json) -> String {
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

fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{f}")
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) from the forms clients send.
fn timestamp_text(s: &str) -> Option<String> {
    civil::parse_micros(s).map(|us| civil::format_micros(us, ' ', 6, false))
}

/// The type of a computed column, from its values.
fn guess(values: &[&Sql]) -> Col {
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

fn to_json(v: &Sql) -> Json {
    match v {
        Sql::Null => Json::Null,
        Sql::Integer(n) => json!(n),
        Sql::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Sql::Text(t) => Json::String(t.clone()),
        Sql::Blob(b) => Json::String(b.iter().map(|x| format!("{x:02X}")).collect()),
    }
}

fn empty_stats() -> Json {
    stats(0, 0)
}

fn stats(result_rows: usize, written: i64) -> Json {
    json!({
        "scan_progress": {"rows": result_rows, "bytes": 0},
        "write_progress": {"rows": written, "bytes": 0},
        "result_progress": {"rows": result_rows, "bytes": 0},
        "total_scan": {"rows": result_rows, "bytes": 0},
        "spill_progress": {"file_nums": 0, "bytes": 0},
        "running_time_ms": 1.0
    })
}

/// A result being paged out.
struct Query {
    id: String,
    schema: Json,
    pages: Vec<Vec<Json>>,
    /// The failure that ended the result after its rows, reported on the page after them.
    error: Option<(u32, String)>,
    written: i64,
    rows: usize,
    /// The page a client may ask for next (or this minus one again).
    next_page: usize,
    touched: Instant,
    timeout: Duration,
    session: Option<Json>,
}

impl Query {
    fn stats(&self) -> Json {
        stats(self.rows, self.written)
    }

    fn envelope(&self, state: &str) -> Json {
        let id = &self.id;
        json!({
            "id": id, "session_id": null, "node_id": NODE_ID, "state": state, "session": self.session,
            "error": null, "warnings": [], "has_result_set": !self.schema.as_array().is_some_and(Vec::is_empty),
            "schema": self.schema, "data": [], "affect": null, "result_timeout_secs": self.timeout.as_secs(),
            "settings": {"timezone": "UTC", "binary_output_format": "hex", "http_json_result_mode": "display"},
            "stats": self.stats(),
            "stats_uri": format!("/v1/query/{id}"), "final_uri": format!("/v1/query/{id}/final"),
            "kill_uri": format!("/v1/query/{id}/kill"), "next_uri": null
        })
    }

    fn page(&self, n: usize) -> Json {
        let id = &self.id;
        let mut body = self.envelope("Succeeded");
        body["session"] = Json::Null; // only the first reply reports a session change
        if let Some(rows) = self.pages.get(n) {
            body["data"] = Json::Array(rows.clone());
        }
        let last = n + 1 >= self.pages.len();
        body["next_uri"] = match (&self.error, last) {
            (Some(_), _) if n < self.pages.len() => json!(format!("/v1/query/{id}/page/{}", n + 1)),
            (None, false) => json!(format!("/v1/query/{id}/page/{}", n + 1)),
            _ => json!(format!("/v1/query/{id}/final")),
        };
        if n >= self.pages.len() {
            if let Some((code, message)) = &self.error {
                body["state"] = json!("Failed");
                body["error"] = json!({"code": code, "message": message});
            }
        }
        body
    }
}

/// What runs statements.
struct Server {
    engine: sqlite::Engine<Col>,
    /// Open transactions, by the id carried in the session's `internal`.
    txns: HashMap<String, Db>,
    next_id: u64,
}

/// Why a statement failed: a Databend error code and message.
struct Failure(u32, String);

impl From<Fail> for Failure {
    fn from(f: Fail) -> Failure {
        match f {
            Fail::Syntax(m) => Failure(1005, format!("SyntaxException. Code: 1005, Text = {m}.")),
            Fail::NoSuchTable(t) => Failure(1025, format!("Unknown table '{t}'")),
            Fail::NoSuchColumn(c) => Failure(1065, format!("error: column {c} doesn't exist")),
            Fail::TableExists(t) => Failure(2302, format!("Table '{t}' already exists")),
            Fail::UniqueViolation(m) | Fail::NotNullViolation(m) => {
                Failure(1006, format!("BadArguments: {m}"))
            }
            Fail::UnknownType(t) => Failure(1005, format!("SyntaxException: unknown type {t}")),
            Fail::BadSchema(s) => Failure(1003, format!("Unknown database '{s}'")),
            Fail::MissingParameter(m) => {
                Failure(1006, format!("BadArguments: missing parameter value ({m})"))
            }
            Fail::Injected(m) => Failure(1043, format!("AbortedQuery: {m}")),
            Fail::Timeout => Failure(1122, "Timeout: the query ran past its deadline".into()),
            Fail::Interrupted => Failure(1043, "AbortedQuery: killed".into()),
            Fail::Other(m) => Failure(1001, m),
        }
    }
}

impl Server {
    fn new() -> Server {
        let mut engine = sqlite::Engine::new(sqlite::unique_prefix("databend"));
        engine.create_schema("default").unwrap();
        engine.create_schema("system").unwrap();
        engine
            .create_table(
                "system",
                "CREATE TABLE system.one (dummy UINT8 NOT NULL)",
                Col::parse_column,
                Col::affinity,
            )
            .unwrap();
        Server {
            engine,
            txns: HashMap::new(),
            next_id: 1,
        }
    }

    /// Runs a query: the first reply, and the result to page (an `Err` reply when it failed
    /// before any row).
    fn start(
        &mut self,
        sql: &str,
        req: &Json,
        given_id: Option<String>,
    ) -> Result<(Json, Option<Query>), Json> {
        let mut session = match &req["session"] {
            Json::Object(m) => m.clone(),
            _ => Map::new(),
        };
        if !session.contains_key("database") {
            session.insert("database".into(), json!("default"));
        }
        let page_size = req["pagination"]["max_rows_per_page"]
            .as_u64()
            .filter(|n| *n > 0)
            .unwrap_or(10_000) as usize;
        let binds = match &req["params"] {
            Json::Array(a) => Binds::Positional(a.iter().map(sqlite::bind_json).collect()),
            Json::Object(m) => Binds::Named(
                m.iter()
                    .map(|(k, v)| (k.clone(), sqlite::bind_json(v)))
                    .collect(),
            ),
            _ => Binds::Positional(Vec::new()),
        };
        let id = given_id.unwrap_or_else(|| format!("{:032x}", self.next_id));
        self.next_id += 1;
        let before = Json::Object(session.clone());
        let result = self.execute(sql, &binds, &mut session);
        let changed = Json::Object(session.clone()) != before;
        let session_out = changed.then(|| Json::Object(session));
        let (schema, rows, written, error) = match result {
            Err(Failure(code, message)) => {
                // Failed before any row: no query to page, HTTP 200 with the error.
                let body = json!({
                    "id": "", "session_id": null, "node_id": null, "state": "Failed", "session": session_out,
                    "error": {"code": code, "message": message}, "warnings": [], "has_result_set": false,
                    "schema": [], "data": [], "affect": null, "stats": empty_stats(),
                    "stats_uri": null, "final_uri": null, "next_uri": null, "kill_uri": null
                });
                return Err(body);
            }
            Ok(r) => r,
        };
        let total = rows.len();
        let pages: Vec<Vec<Json>> = if rows.is_empty() {
            Vec::new()
        } else {
            rows.chunks(page_size).map(<[Json]>::to_vec).collect()
        };
        let timeout = if sql.contains("/* fault:short_timeout */") {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(RESULT_TIMEOUT_SECS)
        };
        let q = Query {
            id: id.clone(),
            schema,
            pages,
            error,
            written,
            rows: total,
            next_page: 1,
            touched: Instant::now(),
            timeout,
            session: session_out,
        };
        let mut body = q.page(0);
        body["session"] = q.session.clone().unwrap_or(Json::Null);
        if sql.contains("/* fault:slow_start */") {
            body["state"] = json!("Starting");
            body["schema"] = json!([]);
            body["data"] = json!([]);
            body["next_uri"] = json!(format!("/v1/query/{id}/page/0"));
        }
        Ok((body, Some(q)))
    }

    /// Runs a statement: (schema, rows, rows written, an error after the rows).
    #[allow(clippy::type_complexity)]
    fn execute(
        &mut self,
        sql: &str,
        binds: &Binds,
        session: &mut Map<String, Json>,
    ) -> Result<(Json, Vec<Json>, i64, Option<(u32, String)>), Failure> {
        let database = session["database"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let txn_id = session
            .get("internal")
            .and_then(Json::as_str)
            .and_then(|s| serde_json::from_str::<Json>(s).ok())
            .and_then(|j| j["txn"].as_str().map(str::to_string));
        let txn_state = session
            .get("txn_state")
            .and_then(Json::as_str)
            .unwrap_or("AutoCommit")
            .to_string();
        let words = sqlite::keywords(sql, 3);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let none = |written: i64| Ok((json!([]), Vec::new(), written, None));
        match (w(0), w(1)) {
            ("BEGIN", _) | ("START", "TRANSACTION") => {
                if txn_state != "AutoCommit" {
                    return none(0);
                }
                let mut db = self.engine.open(&database).map_err(Failure::from)?;
                self.engine
                    .run(
                        Some(&mut db),
                        &database,
                        "BEGIN",
                        &Binds::Positional(vec![]),
                    )
                    .map_err(Failure::from)?;
                let tid = format!("txn{}", self.next_id);
                self.next_id += 1;
                self.txns.insert(tid.clone(), db);
                session.insert("txn_state".into(), json!("Active"));
                session.insert("need_sticky".into(), json!(true));
                session.insert("internal".into(), json!(json!({"txn": tid}).to_string()));
                return none(0);
            }
            ("COMMIT" | "ROLLBACK" | "END" | "ABORT", _) => {
                let db = txn_id.as_ref().and_then(|t| self.txns.remove(t));
                session.insert("txn_state".into(), json!("AutoCommit"));
                session.insert("need_sticky".into(), json!(false));
                session.remove("internal");
                if let Some(mut db) = db {
                    let commit = w(0) != "ROLLBACK" && w(0) != "ABORT" && txn_state != "Fail";
                    let end = if commit { "COMMIT" } else { "ROLLBACK" };
                    self.engine
                        .run(Some(&mut db), &database, end, &Binds::Positional(vec![]))
                        .map_err(Failure::from)?;
                    if w(0) == "COMMIT" && txn_state == "Fail" {
                        return Err(Failure(
                            4002,
                            "TxnAborted: the transaction had failed and was rolled back".into(),
                        ));
                    }
                }
                return none(0);
            }
            _ => {}
        }
        if txn_state == "Fail" {
            return Err(Failure(
                4002,
                "TxnAborted: current transaction is aborted, commands ignored until end of transaction block".into(),
            ));
        }
        let result = self.execute_in(
            sql,
            binds,
            session,
            &database,
            txn_id.as_deref(),
            w(0),
            w(1),
        );
        if result.is_err() && txn_state == "Active" {
            session.insert("txn_state".into(), json!("Fail"));
        }
        result
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn execute_in(
        &mut self,
        sql: &str,
        binds: &Binds,
        session: &mut Map<String, Json>,
        database: &str,
        txn_id: Option<&str>,
        w0: &str,
        w1: &str,
    ) -> Result<(Json, Vec<Json>, i64, Option<(u32, String)>), Failure> {
        let none = || Ok((json!([]), Vec::new(), 0, None));
        let words = sqlite::keywords(sql, 8);
        let name = words
            .iter()
            .rev()
            .find(|w| {
                !matches!(
                    w.as_str(),
                    "IF" | "NOT" | "EXISTS" | "DATABASE" | "CREATE" | "DROP" | "USE"
                )
            })
            .map(|w| sqlite::unquote(w))
            .unwrap_or_default();
        match (w0, w1) {
            ("USE", _) => {
                if !self.engine.has_schema(&name) {
                    return Err(Failure(1003, format!("Unknown database '{name}'")));
                }
                session.insert("database".into(), json!(name));
                return none();
            }
            ("CREATE", "DATABASE") => {
                if self.engine.has_schema(&name) && !words.iter().any(|w| w == "EXISTS") {
                    return Err(Failure(2301, format!("Database '{name}' already exists")));
                }
                self.engine.create_schema(&name).map_err(Failure::from)?;
                return none();
            }
            ("DROP", "DATABASE") => {
                if !self.engine.has_schema(&name) {
                    if words.iter().any(|w| w == "EXISTS") {
                        return none();
                    }
                    return Err(Failure(1003, format!("Unknown database '{name}'")));
                }
                self.engine.drop_schema(&name).map_err(Failure::from)?;
                return none();
            }
            ("SET", _) => {
                let assignment = sqlite::strip_comments(sql)[3..]
                    .trim()
                    .trim_end_matches(';')
                    .to_string();
                let (k, v) = assignment
                    .split_once('=')
                    .ok_or(Failure(1005, "SyntaxException: SET name = value".into()))?;
                let (k, v) = (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('\'').to_string(),
                );
                if k == "timezone" && v != "UTC" {
                    return Err(Failure(
                        1002,
                        "Unimplemented: this test server runs in UTC only".into(),
                    ));
                }
                let settings = session.entry("settings").or_insert_with(|| json!({}));
                settings[k] = json!(v);
                return none();
            }
            ("CREATE", "TABLE") => {
                self.engine
                    .create_table(database, sql, Col::parse_column, Col::affinity)
                    .map_err(Failure::from)?;
                return none();
            }
            ("DROP", "TABLE") => {
                self.engine
                    .drop_table(database, sql)
                    .map_err(Failure::from)?;
                return none();
            }
            _ => {}
        }
        let mut txn = txn_id.and_then(|t| self.txns.remove(t));
        let sql_text = sql.replace(
            "version()",
            &format!("'8.0.26-v{DATABEND_VERSION}-webdbc-test'"),
        );
        let outcome = self.engine.run(txn.as_mut(), database, &sql_text, binds);
        if let (Some(t), Some(db)) = (txn_id, txn) {
            self.txns.insert(t.to_string(), db);
        }
        let (cols, types, raw, failed) = match outcome {
            Ok(sqlite::Outcome::Count(n)) => return Ok((json!([]), Vec::new(), n, None)),
            Ok(sqlite::Outcome::Rows {
                cols,
                types,
                rows,
                failed,
            }) => (cols, types, rows, failed),
            Err(f) => return Err(f.into()),
        };
        let cols_t: Vec<Col> = sqlite::column_types(types, &raw, guess);
        let schema = Json::Array(
            cols.iter()
                .zip(&cols_t)
                .map(|(n, c)| json!({"name": n, "type": c.name(true)}))
                .collect(),
        );
        let rows = raw
            .iter()
            .map(|r| {
                Json::Array(
                    r.iter()
                        .zip(&cols_t)
                        .map(|(v, c)| c.display(&to_json(v)).map_or(Json::Null, Json::String))
                        .collect(),
                )
            })
            .collect();
        // Rows, then the failure that ended them: reported on the page after the rows.
        let failed = failed.map(|f| {
            let Failure(code, message) = f.into();
            (code, message)
        });
        Ok((schema, rows, 0, failed))
    }
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

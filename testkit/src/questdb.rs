//! A QuestDB REST endpoint (`/exec`, `/imp`, `/chk`, `/settings`) over SQLite, written from
//! shared/protocols/questdb-http.md and proven by `questdb-rest` from PyPI
//! (tests/python/test_questdb_server.py). It shares no code with the client.
//!
//! - `/exec?query=` with `limit=N` / `limit=A,B` (1-based, inclusive), `count=true`, `nm=true`,
//!   `timings=true`, `quoteLargeNum=true` / `src=con`, `version=2`; the `Statement-Timeout`
//!   header bounds a statement. DQL replies carry `columns`/`dataset`/`count`; DDL `{"ddl":"OK"}`,
//!   INSERT `{"dml":"OK"}`, UPDATE `{"dml":"OK","updated":N}`.
//! - QuestDB's nulls: BOOLEAN/BYTE/SHORT are never null (false/0), CHAR null is `""`, NaN is null.
//! - Errors: 400 `{"query","error","position"}` before any row; a failure after rows ends a
//!   200 body with `"error"` and `"errorPos"`; an empty query is a 200 with a string `position`.
//! - `/imp` multipart CSV import (`schema` and `data` parts), `fmt=json` replies.
//! - HTTP Basic (`admin`/`quest`) required except on `/settings`; no CORS headers at all.
//! - QuestDB SQL the tests use: `long_sequence(n)`, `ARRAY[…]` literals (DOUBLE arrays), `SHOW
//!   TABLES`, `timestamp(col)` / `PARTITION BY` after CREATE TABLE, TRUNCATE TABLE.
//! - Faults: `sleep(ms)`, and `fail_at(n, i)` which fails once i reaches n, after rows went out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;
use crate::httpd::{self, json_reply, reply};
use crate::sqlite::{self, text, Binds, Fail};

pub const QUESTDB_USER: (&str, &str) = ("admin", "quest");
const SCHEMA: &str = "qdb";

pub fn start_questdb_server() -> u16 {
    let state = Arc::new(Mutex::new(Server::new()));
    let app = Router::new()
        .route("/exec", get(exec))
        .route("/imp", post(import))
        .route("/chk", get(check))
        .route(
            "/settings",
            get(|| async {
                json_reply(
                    StatusCode::OK,
                    &json!({"release.type": "OSS", "release.version": "9.0.0-webdbc-test"}),
                )
            }),
        )
        .with_state(state);
    httpd::serve(app)
}

type Shared = Arc<Mutex<Server>>;

fn refusal(headers: &HeaderMap) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    match httpd::basic_credentials(auth) {
        Some(Ok((u, p))) if u == QUESTDB_USER.0 && p == QUESTDB_USER.1 => None,
        _ => {
            let mut r = reply(StatusCode::UNAUTHORIZED, "text/plain", "Unauthorized\n");
            r.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Basic realm=\"questdb\""),
            );
            Some(r)
        }
    }
}

/// QuestDB column types as `columns[].type` names them.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
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
    fn parse(s: &str) -> Option<Ty> {
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

    fn column(&self, name: &str) -> Json {
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

    fn affinity(&self) -> &'static str {
        match self {
            Ty::Boolean | Ty::Byte | Ty::Short | Ty::Int | Ty::Long => "INTEGER",
            Ty::Float | Ty::Double => "REAL",
            Ty::Date | Ty::Timestamp => "BLOB",
            _ => "TEXT",
        }
    }

    /// A stored value as `/exec` encodes it.
    fn encode(&self, v: &Sql, quote_large: bool) -> Json {
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
fn micros(v: &Sql) -> Option<i64> {
    match v {
        Sql::Integer(i) => Some(*i),
        Sql::Real(f) => Some(*f as i64),
        Sql::Text(t) => civil::parse_micros(t),
        _ => None,
    }
}

fn guess(values: &[&Sql]) -> Ty {
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

/// An `/exec` failure: HTTP status, message and 0-based position in the query.
struct Failure(StatusCode, String, usize);

fn failure(f: Fail, query: &str) -> Failure {
    let find = |needle: &str| {
        let lower = query.to_ascii_lowercase();
        lower
            .find(&needle.to_ascii_lowercase())
            .map_or(0, |b| query[..b].chars().count())
    };
    let bad = StatusCode::BAD_REQUEST;
    match f {
        Fail::NoSuchTable(t) => {
            let t = t.rsplit('.').next().unwrap_or(&t).to_string();
            Failure(bad, format!("table does not exist [table={t}]"), find(&t))
        }
        Fail::NoSuchColumn(c) => Failure(bad, format!("Invalid column: {c}"), find(&c)),
        Fail::Syntax(m) => {
            let near = m
                .strip_prefix("near \"")
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            let pos = if near.is_empty() {
                query.chars().count()
            } else {
                find(near)
            };
            Failure(bad, format!("unexpected token [{near}]"), pos)
        }
        Fail::TableExists(t) => Failure(bad, format!("table already exists [table={t}]"), 0),
        Fail::UnknownType(t) => Failure(bad, format!("unsupported column type: {t}"), find(&t)),
        Fail::UniqueViolation(m) | Fail::NotNullViolation(m) => Failure(bad, m, 0),
        Fail::MissingParameter(m) => Failure(bad, format!("undefined bind variable: {m}"), 0),
        Fail::BadSchema(s) => Failure(bad, format!("bad schema {s}"), 0),
        Fail::Injected(m) => Failure(bad, m, find("fail_at")),
        Fail::Timeout | Fail::Interrupted => Failure(
            bad,
            "timeout, query aborted [fd=1, runtime=statement timeout]".into(),
            0,
        ),
        Fail::Other(m) => Failure(StatusCode::INTERNAL_SERVER_ERROR, m, 0),
    }
}

struct Server {
    engine: sqlite::Engine<Ty>,
}

/// What a statement produced.
enum Done {
    Ddl,
    Dml(Option<i64>),
    Rows {
        cols: Vec<String>,
        types: Vec<Ty>,
        rows: Vec<Vec<Sql>>,
        failed: Option<Failure>,
    },
}

impl Server {
    fn new() -> Server {
        let mut engine = sqlite::Engine::new(sqlite::unique_prefix("questdb"));
        engine.create_schema(SCHEMA).unwrap();
        Server { engine }
    }

    fn run(&mut self, query: &str) -> Result<Done, Failure> {
        let words = sqlite::keywords(query, 3);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let ddl = |r: sqlite::Result<bool>| r.map(|_| Done::Ddl).map_err(|f| failure(f, query));
        match (w(0), w(1)) {
            ("BEGIN" | "COMMIT" | "ROLLBACK" | "SET", _) => return Ok(Done::Ddl),
            ("CREATE", "TABLE") => {
                // QuestDB's clauses after the column list (timestamp(ts), PARTITION BY, WAL)
                // mean nothing to SQLite.
                let cut = sqlite::matching_paren(query, query.find('(').unwrap_or(0))
                    .map_or(query.len(), |i| i + 1);
                return ddl(self.engine.create_table(
                    SCHEMA,
                    &query[..cut],
                    |t, _| Ty::parse(t),
                    Ty::affinity,
                ));
            }
            ("DROP", "TABLE") => return ddl(self.engine.drop_table(SCHEMA, query)),
            ("TRUNCATE", "TABLE") => {
                let t = sqlite::strip_comments(query);
                let table = t.split_whitespace().nth(2).unwrap_or("");
                let sql = format!("DELETE FROM {table}");
                return self.sql(&sql, query).map(|_| Done::Ddl);
            }
            ("SHOW", "TABLES") => {
                let rows = self
                    .engine
                    .tables(SCHEMA)
                    .into_iter()
                    .map(|t| vec![Sql::Text(t)])
                    .collect();
                return Ok(Done::Rows {
                    cols: vec!["table_name".into()],
                    types: vec![Ty::String],
                    rows,
                    failed: None,
                });
            }
            _ => {}
        }
        let done = self.sql(&translate(query), query)?;
        Ok(match (w(0), done) {
            ("INSERT", _) => Done::Dml(None),
            ("UPDATE" | "DELETE", sqlite::Outcome::Count(n)) => Done::Dml(Some(n)),
            (_, sqlite::Outcome::Count(_)) => Done::Ddl,
            // Failing before its first row is failing before the body starts.
            (
                _,
                sqlite::Outcome::Rows {
                    rows,
                    failed: Some(f),
                    ..
                },
            ) if rows.is_empty() => return Err(failure(f, query)),
            (
                _,
                sqlite::Outcome::Rows {
                    cols,
                    types,
                    rows,
                    failed,
                },
            ) => {
                let types = sqlite::column_types(types, &rows, guess);
                Done::Rows {
                    cols,
                    types,
                    rows,
                    failed: failed.map(|f| failure(f, query)),
                }
            }
        })
    }

    fn sql(&mut self, sql: &str, query: &str) -> Result<sqlite::Outcome<Ty>, Failure> {
        self.engine
            .run(None, SCHEMA, sql, &Binds::Positional(vec![]))
            .map_err(|f| failure(f, query))
    }
}

/// QuestDB SQL the engine lacks, in SQLite terms: `long_sequence(n)` and `ARRAY[…]` literals.
fn translate(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    loop {
        let lower = rest.to_ascii_lowercase();
        let seq = lower.find("long_sequence(");
        let arr = lower.find("array[");
        match (seq, arr) {
            (Some(i), a) if a.is_none_or(|a| i < a) => {
                let open = i + "long_sequence".len();
                let close = sqlite::matching_paren(rest, open).unwrap_or(rest.len() - 1);
                let n = rest[open + 1..close].trim();
                out.push_str(&rest[..i]);
                out.push_str(&format!(
                    "(WITH RECURSIVE ls(x) AS (SELECT 1 WHERE {n} >= 1 UNION ALL SELECT x + 1 FROM ls WHERE x < {n}) SELECT x FROM ls)"
                ));
                rest = &rest[close + 1..];
            }
            (_, Some(i)) => {
                let open = i + "array".len();
                let mut depth = 0;
                let mut end = rest.len();
                for (j, c) in rest[open..].char_indices() {
                    match c {
                        '[' => depth += 1,
                        ']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + j + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                out.push_str(&rest[..i]);
                out.push('\'');
                out.push_str(&rest[open..end].replace(' ', ""));
                out.push('\'');
                rest = &rest[end..];
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

async fn exec(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let query = params.get("query").cloned().unwrap_or_default();
    let flag = |k: &str| params.get(k).is_some_and(|v| v == "true");
    if query.trim().is_empty() {
        let key = if params.get("version").is_some_and(|v| v == "2") {
            "notice"
        } else {
            "error"
        };
        return json_reply(
            StatusCode::OK,
            &json!({key: "empty query", "query": "", "position": "0"}),
        );
    }
    let deadline = headers
        .get("statement-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    let limit = params.get("limit").cloned();
    let (count_all, nm, timings) = (flag("count"), flag("nm"), flag("timings"));
    let quote_large = flag("quoteLargeNum") || params.get("src").is_some_and(|v| v == "con");
    let started = Instant::now();
    let q = query.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut server = s.lock().unwrap_or_else(|e| e.into_inner());
        sqlite::set_deadline(deadline);
        let r = server.run(&q);
        sqlite::set_deadline(None);
        r
    })
    .await;
    let done = match done {
        Ok(d) => d,
        Err(_) => {
            return json_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"query": query, "error": "panic", "position": 0}),
            )
        }
    };
    let (cols, types, rows, failed) = match done {
        Err(Failure(status, error, position)) => {
            return json_reply(
                status,
                &json!({"query": query, "error": error, "position": position}),
            )
        }
        Ok(Done::Ddl) => return json_reply(StatusCode::OK, &json!({"ddl": "OK"})),
        Ok(Done::Dml(None)) => return json_reply(StatusCode::OK, &json!({"dml": "OK"})),
        Ok(Done::Dml(Some(n))) => {
            return json_reply(StatusCode::OK, &json!({"dml": "OK", "updated": n}))
        }
        Ok(Done::Rows {
            cols,
            types,
            rows,
            failed,
        }) => (cols, types, rows, failed),
    };
    // limit=N: the first N rows; limit=A,B: rows A..B, 1-based and inclusive; negative: none.
    let total = rows.len();
    let (from, to) = match limit.as_deref().map(|l| l.split_once(',')) {
        None => (0, total),
        Some(Some((a, b))) => {
            let a: i64 = a.trim().parse().unwrap_or(1);
            let b: i64 = b.trim().parse().unwrap_or(0);
            ((a.max(1) - 1) as usize, b.max(0) as usize)
        }
        Some(None) => {
            let n: i64 = limit.as_deref().unwrap_or("0").trim().parse().unwrap_or(0);
            (0, n.max(0) as usize)
        }
    };
    let to = to.min(total);
    let from = from.min(to);
    // A failure after the rows: reached if the window runs into it, or if everything is counted.
    let failed = failed.filter(|_| to >= total || count_all);
    let dataset: Vec<Json> = rows[from..to]
        .iter()
        .map(|r| {
            Json::Array(
                r.iter()
                    .zip(&types)
                    .map(|(v, t)| t.encode(v, quote_large))
                    .collect(),
            )
        })
        .collect();
    let count = if count_all && failed.is_none() {
        total
    } else {
        to
    };
    let mut body = if nm {
        json!({"dataset": dataset, "count": count})
    } else {
        json!({
            "query": query,
            "columns": cols.iter().zip(&types).map(|(c, t)| t.column(c)).collect::<Vec<_>>(),
            "timestamp": -1,
            "dataset": dataset,
            "count": count,
        })
    };
    if timings {
        let ns = started.elapsed().as_nanos() as u64;
        body["timings"] =
            json!({"authentication": 0, "compiler": ns / 4, "execute": ns - ns / 4, "count": 0});
    }
    if let Some(Failure(_, error, position)) = failed {
        body["error"] = json!(error);
        body["errorPos"] = json!(position);
    }
    json_reply(StatusCode::OK, &body)
}

async fn check(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let Some(table) = params.get("j") else {
        return reply(StatusCode::OK, "text/plain", "table name missing");
    };
    let server = s.lock().unwrap_or_else(|e| e.into_inner());
    let status = if server
        .engine
        .tables(SCHEMA)
        .contains(&table.to_ascii_lowercase())
    {
        "Exists"
    } else {
        "Does not exist"
    };
    if params.get("f").is_some_and(|f| f == "json") {
        json_reply(StatusCode::OK, &json!({"status": status}))
    } else {
        reply(StatusCode::OK, "text/plain", status)
    }
}

/// Splits one CSV line at `delimiter`, honouring double quotes.
fn csv_fields(line: &str, delimiter: char) -> Vec<String> {
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

fn infer(values: &[&str]) -> Ty {
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

async fn import(
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
    fn translates_questdb_sql() {
        assert_eq!(
            translate("SELECT x FROM long_sequence(3)"),
            "SELECT x FROM (WITH RECURSIVE ls(x) AS (SELECT 1 WHERE 3 >= 1 UNION ALL SELECT x + 1 FROM ls WHERE x < 3) SELECT x FROM ls)"
        );
        assert_eq!(
            translate("INSERT INTO t VALUES (ARRAY[[1.0, 2.0], [3.0]])"),
            "INSERT INTO t VALUES ('[[1.0,2.0],[3.0]]')"
        );
        assert_eq!(csv_fields("a,\"b,\"\"c\"\"\",", ','), ["a", "b,\"c\"", ""]);
    }
}

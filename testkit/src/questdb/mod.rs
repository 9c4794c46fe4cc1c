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

mod import;
mod server;
mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as Json};

use crate::httpd::{self, json_reply, reply};
use crate::sqlite::{self};
use server::*;

pub const QUESTDB_USER: (&str, &str) = ("admin", "quest");
const SCHEMA: &str = "qdb";

pub fn start_questdb_server() -> u16 {
    let state = Arc::new(Mutex::new(Server::new()));
    let app = Router::new()
        .route("/exec", get(exec))
        .route("/imp", post(import::import))
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

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

mod server;
mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as Json};

use crate::httpd::{self, json_reply};
use server::*;
use types::*;

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

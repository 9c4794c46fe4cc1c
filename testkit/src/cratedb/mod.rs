//! A CrateDB HTTP endpoint over SQLite, written from shared/protocols/cratedb-http.md and proven by
//! the official `crate` Python client (tests/python/cratedb_server.py). It shares no code with the
//! webdbc client, so a misreading of the protocol cannot hide on both sides.
//!
//! - `GET /` node info, `POST /_sql[?types][&error_trace=true]` with `stmt`, `args`, `bulk_args`;
//!   gzip request bodies; CORS as a node with `http.cors.enabled: true` and `allow-origin: *`.
//! - Sessions per TCP connection (schema from the first request's `Default-Schema`, as CrateDB).
//! - Users: `crate` without a password (trust, the default user) and [`CRATE_USER`] by Basic auth.
//!   A bad password is a 401 in text/plain with `WWW-Authenticate` and `Connection: close`.
//! - Schemas are SQLite databases attached in search order, `sys.summits` is seeded, CREATE TABLE
//!   is translated (CrateDB types kept in a catalog that gives `col_types` and value encodings).
//! - No transactions: BEGIN/COMMIT/ROLLBACK are accepted no-ops; REFRESH and KILL are no-ops.
//! - Faults, by SQL: `sleep(ms)` stalls, `fail_at(n, i)` fails once i reaches n (CrateDB then
//!   sends only the error), a comment `/* fault:malformed */` answers 200 with cut JSON and
//!   `/* fault:drop */` drops the connection mid-body.

mod engine;
mod types;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value as Json};

use crate::httpd::{self, json_reply, reply};
use crate::sqlite::Fail;
use engine::*;
use types::*;

/// The password user; `crate` needs no password.
pub const CRATE_USER: (&str, &str) = ("webdbc", "webdbc-secret");
pub const CRATE_VERSION: &str = "5.10.3";

/// Starts the server on a free loopback port; it serves until the process exits. Without
/// `cors` it sends no CORS headers, as a CrateDB node by default.
pub fn start_crate_server(cors: bool) -> u16 {
    let engine = Arc::new(Mutex::new(Engine::new()));
    httpd::serve(Router::new().fallback(handle).with_state((engine, cors)))
}

type Shared = Arc<Mutex<Engine>>;

async fn handle(
    State((engine, cors)): State<(Shared, bool)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut resp = if method == Method::OPTIONS {
        Response::new(Body::empty())
    } else {
        match tokio::task::spawn_blocking(move || {
            route(&engine, peer, &method, &uri, &headers, &body)
        })
        .await
        {
            Ok(r) => r,
            Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", "panic"),
        }
    };
    if !cors {
        return resp;
    }
    // As a node configured with http.cors.enabled and allow-origin "*".
    let h = resp.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("OPTIONS, HEAD, GET, POST, PUT, DELETE"),
    );
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static(
            "X-Requested-With, Content-Type, Content-Length, Authorization, Default-Schema",
        ),
    );
    h.insert(
        "access-control-max-age",
        HeaderValue::from_static("1728000"),
    );
    resp
}

fn route(
    engine: &Shared,
    peer: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let user = match authenticate(headers) {
        Ok(u) => u,
        Err(msg) => {
            let mut r = reply(StatusCode::UNAUTHORIZED, "text/plain", msg);
            r.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static("Basic realm=\"CrateDB Authenticator\""),
            );
            r.headers_mut()
                .insert("connection", HeaderValue::from_static("close"));
            return r;
        }
    };
    match (method.as_str(), uri.path()) {
        ("GET", "/") => json_reply(
            StatusCode::OK,
            &json!({"ok": true, "status": 200, "name": "webdbc-test-node",
                    "cluster_name": "webdbc", "version": {"number": CRATE_VERSION}}),
        ),
        ("POST", p) if p.starts_with("/_sql") => {
            let query = uri.query().unwrap_or("");
            let flag = |name: &str| {
                query.split('&').any(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, "true"));
                    k == name && v != "false"
                })
            };
            let schema = headers
                .get("default-schema")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("doc")
                .to_string();
            let body = match headers.get("content-encoding").map(|v| v.as_bytes()) {
                Some(b"gzip") => {
                    let mut out = Vec::new();
                    use std::io::Read;
                    if flate2::read::GzDecoder::new(body)
                        .read_to_end(&mut out)
                        .is_err()
                    {
                        return error_reply(
                            &Failure::new(4000, "SQLParseException[bad gzip body]"),
                            false,
                        );
                    }
                    out
                }
                _ => body.to_vec(),
            };
            let mut engine = engine.lock().unwrap_or_else(|e| e.into_inner());
            let session = engine.session(peer, &user, &schema);
            sql_endpoint(
                &mut engine,
                &session,
                &body,
                flag("types"),
                flag("error_trace"),
            )
        }
        _ => json_reply(
            StatusCode::NOT_FOUND,
            &json!({"error": {"message": "no handler found for uri", "code": 4040}}),
        ),
    }
}

/// The user a request runs as: Basic credentials, or the trusted default user `crate`.
fn authenticate(headers: &HeaderMap) -> Result<String, String> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    let Some(credentials) = httpd::basic_credentials(auth) else {
        return Ok("crate".into());
    };
    let (user, password) = credentials?;
    match user.as_str() {
        "crate" if password.is_empty() => Ok(user),
        u if u == CRATE_USER.0 && password == CRATE_USER.1 => Ok(user),
        _ => Err(format!(
            "password authentication failed for user \"{user}\""
        )),
    }
}

#[derive(Debug)]
struct Failure {
    code: u32,
    message: String,
}

impl Failure {
    fn new(code: u32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn status(&self) -> StatusCode {
        let family = if self.code >= 10_000 {
            self.code / 100
        } else {
            self.code / 10
        };
        StatusCode::from_u16(family as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The engine's failure as CrateDB words and numbers it.
    fn from_engine(f: Fail) -> Failure {
        match f {
            Fail::NoSuchTable(t) => {
                let t = if t.contains('.') { t } else { format!("doc.{t}") };
                Failure::new(4041, format!("RelationUnknown[Relation '{t}' unknown]"))
            }
            Fail::NoSuchColumn(c) => {
                Failure::new(4043, format!("ColumnUnknownException[Column {c} unknown]"))
            }
            Fail::UniqueViolation(_) => Failure::new(
                4091,
                "DuplicateKeyException[A document with the same primary key exists already]",
            ),
            Fail::NotNullViolation(m) => {
                Failure::new(4003, format!("ColumnValidationException[{m}]"))
            }
            Fail::Syntax(m) => Failure::new(4000, format!("SQLParseException[{m}]")),
            Fail::TableExists(t) => Failure::new(
                4093,
                format!("RelationAlreadyExists[Relation '{t}' already exists.]"),
            ),
            Fail::UnknownType(t) => Failure::new(
                4044,
                format!("TypeUnknownException[Cannot find data type: {t}]"),
            ),
            Fail::BadSchema(s) => Failure::new(
                4002,
                format!("InvalidSchemaNameException[schema name \"{s}\" is invalid]"),
            ),
            Fail::MissingParameter(m) => Failure::new(
                4000,
                format!("SQLParseException[The query contains a parameter placeholder without a value: {m}]"),
            ),
            Fail::Injected(m) => Failure::new(5001, format!("JobKilledException[{m}]")),
            Fail::Timeout | Fail::Interrupted => {
                Failure::new(5005, "JobKilledException[statement timeout]")
            }
            Fail::Other(m) => Failure::new(5000, format!("SQLiteException[{m}]")),
        }
    }
}

fn error_reply(f: &Failure, trace: bool) -> Response {
    let mut body = json!({"error": {"message": f.message, "code": f.code}});
    if trace {
        body["error_trace"] = json!(format!("{}\n\tat webdbc.testkit.cratedb", f.message));
    }
    json_reply(f.status(), &body)
}

fn sql_endpoint(
    engine: &mut Engine,
    session: &Session,
    body: &[u8],
    types: bool,
    trace: bool,
) -> Response {
    let started = Instant::now();
    let req: Json = match serde_json::from_slice(body) {
        Ok(Json::Object(m)) => Json::Object(m),
        _ => {
            return error_reply(
                &Failure::new(4000, "SQLParseException[Missing request body]"),
                trace,
            )
        }
    };
    for k in req.as_object().unwrap().keys() {
        if !["stmt", "args", "bulk_args"].contains(&k.as_str()) {
            return error_reply(
                &Failure::new(
                    4000,
                    format!("SQLParseException[No parser for element [{k}]]"),
                ),
                trace,
            );
        }
    }
    let Some(stmt) = req["stmt"].as_str() else {
        return error_reply(
            &Failure::new(4000, "SQLParseException[Field [stmt] was not found]"),
            trace,
        );
    };
    let args = req
        .get("args")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let bulk = req.get("bulk_args").and_then(Json::as_array).cloned();
    if !args.is_empty() && bulk.as_ref().is_some_and(|b| !b.is_empty()) {
        return error_reply(
            &Failure::new(4000, "SQLParseException[request body contains args and bulk_args. It's forbidden to provide both]"),
            trace,
        );
    }
    if stmt.contains("/* fault:malformed */") {
        return reply(
            StatusCode::OK,
            "application/json",
            "{\"cols\":[\"x\"],\"rows\":[[1],[",
        );
    }
    if stmt.contains("/* fault:drop */") {
        // Headers and part of the rows, a pause so they reach the client, then the connection drops.
        let body = futures_util::stream::unfold(0, |step| async move {
            match step {
                0 => Some((
                    Ok(Bytes::from_static(b"{\"cols\":[\"x\"],\"rows\":[[1],")),
                    1,
                )),
                1 => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    Some((Err(std::io::Error::other("dropped by fault switch")), 2))
                }
                _ => None,
            }
        });
        return reply(StatusCode::OK, "application/json", Body::from_stream(body));
    }
    let duration = |started: Instant| started.elapsed().as_secs_f64() * 1000.0;
    if let Some(bulk) = bulk {
        let mut results = Vec::new();
        let mut errors = 0;
        for row in &bulk {
            let row = row.as_array().cloned().unwrap_or_default();
            match engine.run(session, stmt, &row) {
                Ok(Outcome::Rows { .. }) => {
                    return error_reply(
                        &Failure::new(4000, "SQLParseException[Bulk operations for statements that return result sets is not supported]"),
                        trace,
                    )
                }
                Ok(Outcome::Count(n)) => results.push(json!({"rowcount": n})),
                Err(f) => {
                    errors += 1;
                    if errors <= 10 {
                        results.push(json!({"rowcount": -2, "error": {"code": f.code, "message": f.message}}));
                    } else {
                        results.push(json!({"rowcount": -2}));
                    }
                }
            }
        }
        return json_reply(
            StatusCode::OK,
            &json!({"cols": [], "duration": duration(started), "results": results}),
        );
    }
    match engine.run(session, stmt, &args) {
        Err(f) => error_reply(&f, trace),
        Ok(Outcome::Count(n)) => {
            let mut body =
                json!({"cols": [], "rows": [[]], "rowcount": n, "duration": duration(started)});
            if types {
                body["col_types"] = json!([]);
            }
            json_reply(StatusCode::OK, &body)
        }
        Ok(Outcome::Rows {
            cols,
            col_types,
            rows,
        }) => {
            let n = rows.len();
            let mut body =
                json!({"cols": cols, "rows": rows, "rowcount": n, "duration": duration(started)});
            if types {
                body["col_types"] = Json::Array(col_types.iter().map(Ty::id).collect());
            }
            json_reply(StatusCode::OK, &body)
        }
    }
}

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

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use base64::Engine as _;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value as Json};

use crate::civil;
use crate::httpd::{self, json_reply, reply};
use crate::sqlite::{self, Binds, Fail};

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

#[derive(Clone)]
struct Session {
    schema: String,
}

enum Outcome {
    Count(i64),
    Rows {
        cols: Vec<String>,
        col_types: Vec<Ty>,
        rows: Vec<Vec<Json>>,
    },
}

/// CrateDB column types the server knows; anything else is kept as text.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Undefined,
    Bool,
    Text,
    Ip,
    Double,
    Real,
    Smallint,
    Integer,
    Bigint,
    TimestampTz,
    Timestamp,
    Object,
    GeoPoint,
    GeoShape,
    Numeric,
    Date,
    Json,
    Uuid,
    Interval,
    FloatVector,
    Array(Box<Ty>),
}

impl Ty {
    fn id(&self) -> Json {
        let n = match self {
            Ty::Undefined => 0,
            Ty::Bool => 3,
            Ty::Text => 4,
            Ty::Ip => 5,
            Ty::Double => 6,
            Ty::Real => 7,
            Ty::Smallint => 8,
            Ty::Integer => 9,
            Ty::Bigint => 10,
            Ty::TimestampTz => 11,
            Ty::Object => 12,
            Ty::GeoPoint => 13,
            Ty::GeoShape => 14,
            Ty::Timestamp => 15,
            Ty::Interval => 17,
            Ty::Numeric => 22,
            Ty::Date => 24,
            Ty::Json => 26,
            Ty::FloatVector => 28,
            Ty::Uuid => 29,
            Ty::Array(inner) => return json!([100, inner.id()]),
        };
        json!(n)
    }

    /// Reads a CrateDB type as written in DDL (`bigint`, `timestamp with time zone`,
    /// `array(text)`, `text[]`, `numeric(40, 10)`, `object(dynamic) as (...)`).
    fn parse(s: &str) -> Option<Ty> {
        let s = s.trim().to_ascii_lowercase();
        if let Some(inner) = s.strip_suffix("[]") {
            return Some(Ty::Array(Box::new(Ty::parse(inner)?)));
        }
        if let Some(inner) = s
            .strip_prefix("array")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('('))
        {
            return Some(Ty::Array(Box::new(Ty::parse(inner.strip_suffix(')')?)?)));
        }
        let base = s.split(['(', ' ']).next().unwrap_or("");
        Some(match base {
            "boolean" | "bool" => Ty::Bool,
            "text" | "string" | "varchar" | "character" | "char" | "bit" => Ty::Text,
            "ip" => Ty::Ip,
            "double" | "float8" => Ty::Double,
            "real" | "float" | "float4" => Ty::Real,
            "smallint" | "short" | "byte" | "int2" => Ty::Smallint,
            "integer" | "int" | "int4" => Ty::Integer,
            "bigint" | "long" | "int8" => Ty::Bigint,
            "timestamptz" => Ty::TimestampTz,
            "timestamp" if s.contains("without") => Ty::Timestamp,
            "timestamp" => Ty::TimestampTz,
            "object" => Ty::Object,
            "geo_point" => Ty::GeoPoint,
            "geo_shape" => Ty::GeoShape,
            "numeric" | "decimal" => Ty::Numeric,
            "date" => Ty::Date,
            "json" => Ty::Json,
            "uuid" => Ty::Uuid,
            "interval" => Ty::Interval,
            "float_vector" => Ty::FloatVector,
            _ => return None,
        })
    }

    /// SQLite storage: exact text for decimals and documents, no affinity for timestamps (epoch
    /// ms or ISO text, normalised on the way out).
    fn affinity(&self) -> &'static str {
        match self {
            Ty::Bool | Ty::Smallint | Ty::Integer | Ty::Bigint => "INTEGER",
            Ty::Double | Ty::Real => "REAL",
            Ty::TimestampTz | Ty::Timestamp | Ty::Date | Ty::Undefined => "BLOB",
            _ => "TEXT",
        }
    }

    /// A stored value as CrateDB encodes this type in JSON.
    fn encode(&self, v: Json) -> Json {
        match (self, v) {
            (_, Json::Null) => Json::Null,
            (Ty::Bool, Json::Number(n)) => Json::Bool(n.as_i64() != Some(0)),
            (Ty::TimestampTz | Ty::Timestamp, Json::String(s)) => {
                parse_timestamp_ms(&s).map_or(Json::String(s), |ms| json!(ms))
            }
            (Ty::Date, Json::String(s)) => parse_timestamp_ms(&s)
                .map_or(Json::String(s), |ms| json!(ms - ms.rem_euclid(86_400_000))),
            (Ty::TimestampTz | Ty::Timestamp | Ty::Date, Json::Number(n)) => {
                json!(n.as_f64().unwrap_or(0.0) as i64)
            }
            (Ty::Numeric | Ty::Bigint | Ty::Integer | Ty::Smallint, Json::String(s)) => {
                match serde_json::from_str::<Json>(&s) {
                    Ok(n @ Json::Number(_)) => n,
                    _ => Json::String(s),
                }
            }
            (Ty::Object | Ty::GeoPoint | Ty::GeoShape | Ty::FloatVector, Json::String(s)) => {
                serde_json::from_str(&s).unwrap_or(Json::String(s))
            }
            (Ty::Array(inner), Json::String(s)) => match serde_json::from_str::<Json>(&s) {
                Ok(Json::Array(items)) => {
                    Json::Array(items.into_iter().map(|x| inner.encode(x)).collect())
                }
                _ => Json::String(s),
            },
            (Ty::Text | Ty::Json | Ty::Uuid | Ty::Ip | Ty::Interval, Json::Number(n)) => {
                Json::String(n.to_string())
            }
            (_, v) => v,
        }
    }
}

/// Epoch milliseconds of a timestamp text.
fn parse_timestamp_ms(s: &str) -> Option<i64> {
    civil::parse_micros(s).map(|us| us.div_euclid(1000))
}

/// The node: its tables and the sessions of its TCP connections.
struct Engine {
    sql: sqlite::Engine<Ty>,
    sessions: HashMap<SocketAddr, Session>,
}

impl Engine {
    fn new() -> Engine {
        let mut e = Engine {
            sql: sqlite::Engine::new(sqlite::unique_prefix("crate")),
            sessions: HashMap::new(),
        };
        e.seed_summits();
        e
    }

    /// The session of a TCP connection: created by its first request, then kept (a later
    /// `Default-Schema` on the same connection is ignored, as CrateDB does).
    fn session(&mut self, peer: SocketAddr, _user: &str, schema: &str) -> Session {
        self.sessions
            .entry(peer)
            .or_insert_with(|| Session {
                schema: schema.to_string(),
            })
            .clone()
    }

    fn seed_summits(&mut self) {
        self.run(
            &Session { schema: "sys".into() },
            "CREATE TABLE sys.summits (mountain TEXT PRIMARY KEY, height INTEGER, prominence INTEGER, \
             coordinates GEO_POINT, range TEXT, classification TEXT, region TEXT, country TEXT, first_ascent INTEGER)",
            &[],
        )
        .ok()
        .unwrap();
        let famous = [
            (
                "Mont Blanc",
                4808,
                4695,
                [6.86444, 45.8325],
                "U-01",
                "1.1",
                "Mont Blanc massif",
                "FR/IT",
                Some(1786),
            ),
            (
                "Monte Rosa",
                4634,
                2165,
                [7.86694, 45.93694],
                "I/B-09.III-A",
                "2.1",
                "Monte Rosa Alps",
                "CH",
                Some(1855),
            ),
            (
                "Dom",
                4545,
                1046,
                [7.85889, 46.09389],
                "I/B-09.V-A",
                "2.2",
                "Mischabel",
                "CH",
                Some(1858),
            ),
            (
                "Liskamm",
                4527,
                376,
                [7.83556, 45.92222],
                "I/B-09.III-A",
                "2.1",
                "Monte Rosa Alps",
                "CH/IT",
                Some(1861),
            ),
            (
                "Weisshorn",
                4506,
                1235,
                [7.71611, 46.10111],
                "I/B-09.II-D",
                "2.2",
                "Weisshorn-Matterhorn",
                "CH",
                Some(1861),
            ),
        ];
        let insert = "INSERT INTO sys.summits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        let session = Session {
            schema: "sys".into(),
        };
        for (m, h, p, c, r, cl, reg, co, fa) in famous {
            let row = [
                json!(m),
                json!(h),
                json!(p),
                json!(c),
                json!(r),
                json!(cl),
                json!(reg),
                json!(co),
                json!(fa),
            ];
            self.run(&session, insert, &row).ok().unwrap();
        }
        // Deterministic filler: about 1,600 summits as the real table has, some without a
        // first ascent.
        for i in 0..1600i64 {
            let row = [
                json!(format!("Summit {i:04}")),
                json!(4500 - (i * 17) % 2000),
                json!((i * 31) % 1500),
                json!([6.0 + (i % 100) as f64 / 10.0, 45.0 + (i % 30) as f64 / 10.0]),
                json!(format!("I/B-{:02}", i % 20)),
                json!(format!("{}.{}", 1 + i % 3, i % 4)),
                json!(format!("Region {}", i % 40)),
                json!(["CH", "FR", "IT", "AT", "DE"][(i % 5) as usize]),
                json!((i % 7 != 0).then_some(1800 + i % 200)),
            ];
            self.run(&session, insert, &row).ok().unwrap();
        }
    }

    fn run(&mut self, session: &Session, stmt: &str, args: &[Json]) -> Result<Outcome, Failure> {
        let words = sqlite::keywords(stmt, 2);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let schema = &session.schema;
        let ddl = |done: sqlite::Result<bool>| {
            done.map(|changed| Outcome::Count(changed as i64))
                .map_err(Failure::from_engine)
        };
        match w(0) {
            "BEGIN" | "COMMIT" | "ROLLBACK" | "END" | "KILL" | "SET" => {
                return Ok(Outcome::Count(0))
            }
            "START" if w(1) == "TRANSACTION" => return Ok(Outcome::Count(0)),
            "REFRESH" | "OPTIMIZE" => return Ok(Outcome::Count(1)),
            "CREATE" if w(1) == "TABLE" => {
                return ddl(self
                    .sql
                    .create_table(schema, stmt, |t, _| Ty::parse(t), Ty::affinity))
            }
            "DROP" if w(1) == "TABLE" => return ddl(self.sql.drop_table(schema, stmt)),
            _ => {}
        }
        let binds = Binds::Positional(args.iter().map(sqlite::bind_json).collect());
        let sql = sqlite::numbered_placeholders(stmt);
        let (cols, types, raw) = match self.sql.run(None, schema, &sql, &binds) {
            Err(f) => return Err(Failure::from_engine(f)),
            Ok(sqlite::Outcome::Count(n)) => return Ok(Outcome::Count(n)),
            // CrateDB sends only the error when a result fails part-way.
            Ok(sqlite::Outcome::Rows {
                failed: Some(f), ..
            }) => return Err(Failure::from_engine(f)),
            Ok(sqlite::Outcome::Rows {
                cols, types, rows, ..
            }) => (cols, types, rows),
        };
        let raw: Vec<Vec<Json>> = raw
            .into_iter()
            .map(|r| r.into_iter().map(to_json).collect())
            .collect();
        // Computed columns: typed from their values, as CrateDB types literals.
        let col_types: Vec<Ty> =
            sqlite::column_types(types, &raw, |values| guess_type(values.iter().copied()));
        let rows = raw
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .zip(&col_types)
                    .map(|(v, t)| t.encode(v))
                    .collect()
            })
            .collect();
        Ok(Outcome::Rows {
            cols,
            col_types,
            rows,
        })
    }
}

fn to_json(v: Sql) -> Json {
    match v {
        Sql::Null => Json::Null,
        Sql::Integer(n) => json!(n),
        Sql::Real(f) => json!(f),
        Sql::Text(t) => Json::String(t),
        Sql::Blob(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

fn guess_type<'a>(values: impl Iterator<Item = &'a Json>) -> Ty {
    let mut ty = Ty::Undefined;
    for v in values {
        ty = match (v, &ty) {
            (Json::Null, _) => continue,
            (Json::Number(n), Ty::Undefined | Ty::Integer)
                if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) =>
            {
                Ty::Integer
            }
            (Json::Number(n), Ty::Undefined | Ty::Integer | Ty::Bigint) if n.as_i64().is_some() => {
                Ty::Bigint
            }
            (Json::Number(_), _) => Ty::Double,
            (Json::String(_), _) => Ty::Text,
            _ => Ty::Text,
        };
    }
    ty
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_crate_types() {
        assert_eq!(Ty::parse("array(text)").unwrap().id(), json!([100, 4]));
        assert_eq!(
            Ty::parse("bigint[][]").unwrap().id(),
            json!([100, [100, 10]])
        );
        assert_eq!(
            Ty::parse("timestamp without time zone"),
            Some(Ty::Timestamp)
        );
        assert_eq!(Ty::parse("numeric(40, 10)"), Some(Ty::Numeric));
    }
}

//! Databend over its HTTP handler, `POST /v1/query` and the pages it links
//! (shared/protocols/databend-http.md).
//!
//! A statement is one POST; its result is paged by following `next_uri` until it is null, one
//! page per fetch, so a large result streams. The server keeps no session for us: the `session`
//! object of each reply (when not null) is sent back with the next request, which is how `USE`,
//! `SET` and transactions last. A result left open is closed with its `final_uri`; a cancel also
//! posts its `kill_uri`. Cells arrive as text in Databend's display format and are decoded by the
//! column's type name.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{json, Map, Value as Json};

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{
    auth_failed, base_url, basic_auth, json_rows, parse_json, HttpClient, Request, Response,
};
use crate::core::sql;
use crate::core::value::{self, Value};
use crate::core::{Backend, Batch, Column, Outcome, Params};

/// The pause before following a reply that brought nothing while the query runs.
const IDLE_POLL_MS: u32 = 100;

#[derive(Clone, Debug)]
pub struct DatabendConfig {
    /// `https://host:443` unless `sslmode=disable` (or `secure=false`) makes it http.
    pub base_url: String,
    pub user: String,
    pub password: String,
    pub database: String,
    /// Session settings from the URL's other parameters, as bendsql takes them.
    pub settings: Map<String, Json>,
    pub pagination: Map<String, Json>,
    /// Cloud routing headers.
    pub warehouse: Option<String>,
    pub tenant: Option<String>,
    pub autocommit: bool,
    /// Makes this connection's query ids unique (the bindings seed it at random).
    pub query_id_seed: u64,
}

impl DatabendConfig {
    /// Reads bendsql's DSN: `databend://user:pass@host[:port]/db?sslmode=disable&…`. As in
    /// bendsql, https is the default, a missing port is 443 (80 for http), and unknown
    /// parameters are session settings.
    pub fn from_url(url: &str) -> Result<DatabendConfig> {
        let dsn = Dsn::parse_as(url, &["databend"], "Databend")?;
        let mut https = true;
        let mut cfg = DatabendConfig {
            base_url: String::new(),
            user: dsn.user.unwrap_or_else(|| "root".into()),
            password: dsn.password.unwrap_or_default(),
            database: Some(dsn.path.trim_end_matches('/').to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "default".into()),
            settings: Map::new(),
            pagination: Map::new(),
            warehouse: None,
            tenant: None,
            autocommit: true,
            query_id_seed: 0,
        };
        for (k, v) in dsn.params {
            match k.as_str() {
                "sslmode" => https = v != "disable",
                // databend-py's and databend-sqlalchemy's spelling.
                "secure" => https = parse_bool(&k, &v)?,
                "warehouse" => cfg.warehouse = Some(v),
                "tenant" => cfg.tenant = Some(v),
                "wait_time_secs" | "max_rows_per_page" | "max_rows_in_buffer" => {
                    let n: u64 = v.parse().map_err(|_| {
                        Error::interface(format!("URL parameter {k} must be a whole number"))
                    })?;
                    cfg.pagination.insert(k, json!(n));
                }
                "autocommit" => cfg.autocommit = parse_bool(&k, &v)?,
                "role"
                | "access_token"
                | "login"
                | "session_token"
                | "presign"
                | "body_format"
                | "connect_timeout"
                | "page_request_timeout_secs"
                | "retry_count"
                | "retry_delay_secs"
                | "copy_purge"
                | "debug" => {
                    if k == "access_token" {
                        return Err(Error::not_supported(
                            "access_token: only user and password (Basic) authentication is supported",
                        ));
                    }
                }
                _ => {
                    cfg.settings.insert(k, json!(v));
                }
            }
        }
        let port = dsn.port.unwrap_or(if https { 443 } else { 80 });
        cfg.base_url = base_url(https, &dsn.host, port);
        Ok(cfg)
    }

    pub fn request(&self, method: &'static str, path: &str, body: Option<Json>) -> Request {
        let auth = Some(basic_auth(&self.user, &self.password));
        let mut req = Request::json(method, format!("{}{path}", self.base_url), auth, body);
        if let Some(w) = &self.warehouse {
            req.headers.push(("X-DATABEND-WAREHOUSE".into(), w.clone()));
        }
        if let Some(t) = &self.tenant {
            req.headers.push(("X-DATABEND-TENANT".into(), t.clone()));
        }
        req
    }
}

/// A Databend error code onto its PEP 249 class.
pub fn error_kind(code: i64) -> ErrorKind {
    match code {
        1001 => ErrorKind::Internal,
        1002 => ErrorKind::NotSupported,
        1043 | 1044 | 1122 | 2201 | 4001 | 4003 | 5100..=5199 => ErrorKind::Operational,
        4002 => ErrorKind::Internal, // the transaction failed: like SQLSTATE 25P02
        1003..=1099 | 2301 | 2302 => ErrorKind::Programming,
        _ => ErrorKind::Database,
    }
}

fn server_error(err: &Json) -> Error {
    let code = err["code"].as_i64();
    let mut message = err["message"]
        .as_str()
        .unwrap_or("query failed")
        .to_string();
    let mut e = Error::new(code.map_or(ErrorKind::Database, error_kind), "");
    if let Some(detail) = err["detail"].as_str().filter(|d| !d.is_empty()) {
        e.detail = Some(detail.to_string());
    }
    if message.is_empty() {
        message = "query failed".into();
    }
    e.message = message;
    e.code = code.map(|c| c.to_string());
    e
}

/// A reply other than 200, as the error it reports.
fn reply_error(resp: &Response, user: &str) -> Error {
    let body = parse_json(resp).ok();
    let err = body.as_ref().map(|b| &b["error"]).filter(|e| e.is_object());
    let message = err
        .and_then(|e| e["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| resp.excerpt());
    let mut e = match resp.status {
        401 => auth_failed(user, &message),
        404 => Error::operational(format!(
            "the result is gone from the server (expired, closed or on another node): {message}"
        )),
        s => Error::operational(format!("Databend answered HTTP {s}: {message}")),
    };
    e.code = err.and_then(|e| e["code"].as_i64()).map(|c| c.to_string());
    e
}

/// Databend's types as their names print (`Nullable(Int64)`, `Array(Int32 NULL)`).
#[derive(Clone, Debug, PartialEq)]
pub enum DbType {
    Null,
    Boolean,
    Int {
        wide: bool,
    },
    UInt64,
    Float,
    Decimal,
    String,
    Binary,
    Date,
    Timestamp,
    TimestampTz,
    Variant,
    /// Text kept as text: Interval, Bitmap, Geometry, Geography, Vector and unknown names.
    Text,
    Array(Box<DbType>),
    Tuple(Vec<DbType>),
    Map(Box<DbType>, Box<DbType>),
}

impl DbType {
    /// Parses a type name; nullability is dropped (a JSON null is NULL for any type).
    pub fn parse(name: &str) -> DbType {
        DbType::parse_nested(name, 0)
    }

    /// Nesting deeper than 32 types is read as text rather than recursed into.
    fn parse_nested(name: &str, depth: usize) -> DbType {
        if depth > 32 {
            return DbType::Text;
        }
        let name = name.trim();
        let name = name.strip_suffix(" NULL").unwrap_or(name);
        if let Some(inner) = strip_call(name, "Nullable") {
            return DbType::parse_nested(inner, depth + 1);
        }
        if let Some(inner) = strip_call(name, "Array") {
            return DbType::Array(Box::new(DbType::parse_nested(inner, depth + 1)));
        }
        if let Some(inner) = strip_call(name, "Tuple") {
            return DbType::Tuple(
                split_args(inner)
                    .iter()
                    // Named fields print as `name Type`.
                    .map(|f| {
                        let f = f.trim();
                        match f.split_once(' ') {
                            Some((_, t)) if !f.starts_with(|c: char| c.is_ascii_uppercase()) => {
                                DbType::parse_nested(t, depth + 1)
                            }
                            _ => DbType::parse_nested(f, depth + 1),
                        }
                    })
                    .collect(),
            );
        }
        if let Some(inner) = strip_call(name, "Map") {
            let args = split_args(inner);
            return match args.as_slice() {
                [k, v] => DbType::Map(
                    Box::new(DbType::parse_nested(k, depth + 1)),
                    Box::new(DbType::parse_nested(v, depth + 1)),
                ),
                _ => DbType::Map(Box::new(DbType::String), Box::new(DbType::Text)),
            };
        }
        if name.starts_with("Decimal") {
            return DbType::Decimal;
        }
        match name {
            "NULL" | "Null" | "Nothing" => DbType::Null,
            "Boolean" => DbType::Boolean,
            "Int8" | "Int16" | "Int32" | "UInt8" | "UInt16" | "UInt32" => {
                DbType::Int { wide: false }
            }
            "Int64" => DbType::Int { wide: true },
            "UInt64" => DbType::UInt64,
            "Float32" | "Float64" => DbType::Float,
            "String" => DbType::String,
            "Binary" => DbType::Binary,
            "Date" => DbType::Date,
            "Timestamp" => DbType::Timestamp,
            "Timestamp_Tz" => DbType::TimestampTz,
            "Variant" => DbType::Variant,
            _ => DbType::Text,
        }
    }

    fn is_int64(&self) -> bool {
        match self {
            DbType::Int { wide } => *wide,
            DbType::UInt64 => true,
            DbType::Array(e) => e.is_int64(),
            _ => false,
        }
    }
}

fn strip_call<'a>(name: &'a str, f: &str) -> Option<&'a str> {
    name.strip_prefix(f)?.strip_prefix('(')?.strip_suffix(')')
}

/// Splits at commas outside parentheses.
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

/// A cell of type `ty` as a [`Value`]. `utc`: Timestamps are shown in UTC (the session's
/// timezone), so they are instants.
pub fn decode(ty: &DbType, cell: &Json, utc: bool) -> Result<Value> {
    let text = match cell {
        Json::Null => return Ok(Value::Null),
        Json::String(s) => s.as_str(),
        other => return Err(Error::malformed(format!("a cell is not text: {other}"))),
    };
    // Old servers wrote NULL as text in nullable non-string columns (bendsql reads it so too).
    if text == "NULL" && !matches!(ty, DbType::String | DbType::Text | DbType::Variant) {
        return Ok(Value::Null);
    }
    decode_text(ty, text, utc)
}

fn decode_text(ty: &DbType, text: &str, utc: bool) -> Result<Value> {
    let bad = || Error::malformed(format!("{ty:?} value {text:?}"));
    Ok(match ty {
        DbType::Null => Value::Null,
        DbType::Boolean => match text {
            "1" | "true" => Value::Bool(true),
            "0" | "false" => Value::Bool(false),
            _ => return Err(bad()),
        },
        DbType::Int { .. } => Value::Int(text.parse().map_err(|_| bad())?),
        // Beyond i64 it stays exact as a decimal.
        DbType::UInt64 => match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) if text.parse::<u64>().is_ok() => Value::Decimal(text.to_string()),
            Err(_) => return Err(bad()),
        },
        // Rust reads NaN and inf/infinity in any case, signed, as Databend writes them.
        DbType::Float => Value::Float(text.parse().map_err(|_| bad())?),
        DbType::Decimal => Value::Decimal(text.to_string()),
        DbType::String | DbType::Text => Value::Text(text.to_string()),
        DbType::Binary => Value::Bytes(value::unhex(text).ok_or_else(bad)?),
        DbType::Date => Value::Date(parse_date(text).ok_or_else(bad)?),
        DbType::Timestamp => {
            let (micros, offset) = value::parse_timestamp(text).ok_or_else(bad)?;
            match (offset, utc) {
                (Some(off), _) => Value::TimestampTz(micros - off * 1_000_000),
                (None, true) => Value::TimestampTz(micros),
                (None, false) => Value::Timestamp(micros),
            }
        }
        DbType::TimestampTz => {
            let (micros, offset) = value::parse_timestamp(text).ok_or_else(bad)?;
            Value::TimestampTz(micros - offset.unwrap_or(0) * 1_000_000)
        }
        DbType::Variant => Value::Json(text.to_string()),
        DbType::Array(_) | DbType::Tuple(_) | DbType::Map(..) => {
            let lit = Literal::parse(text).ok_or_else(bad)?;
            from_literal(ty, &lit, utc)?
        }
    })
}

fn parse_date(s: &str) -> Option<i32> {
    let (micros, _) = value::parse_timestamp(s.get(..10)?)?;
    i32::try_from(micros.div_euclid(86_400_000_000)).ok()
}

/// Nested values as Databend prints them: `[1,NULL]`, `(1,'a')`, `{"k":1}`.
#[derive(Debug, PartialEq)]
enum Literal {
    List(Vec<Literal>),
    Tuple(Vec<Literal>),
    Map(Vec<(Literal, Literal)>),
    Quoted(String),
    Bare(String),
}

impl Literal {
    fn parse(s: &str) -> Option<Literal> {
        let chars: Vec<char> = s.chars().collect();
        let mut pos = 0;
        let lit = Literal::read(&chars, &mut pos, 0)?;
        while chars.get(pos).is_some_and(|c| c.is_whitespace()) {
            pos += 1;
        }
        (pos == chars.len()).then_some(lit)
    }

    fn read(c: &[char], pos: &mut usize, depth: usize) -> Option<Literal> {
        if depth > 64 {
            return None;
        }
        while c.get(*pos)?.is_whitespace() {
            *pos += 1;
        }
        let open = *c.get(*pos)?;
        match open {
            '[' | '(' | '{' => {
                let close = match open {
                    '[' => ']',
                    '(' => ')',
                    _ => '}',
                };
                *pos += 1;
                let mut items = Vec::new();
                let mut pairs = Vec::new();
                loop {
                    while c.get(*pos)?.is_whitespace() {
                        *pos += 1;
                    }
                    if c[*pos] == close {
                        *pos += 1;
                        break;
                    }
                    let item = Literal::read(c, pos, depth + 1)?;
                    while c.get(*pos)?.is_whitespace() {
                        *pos += 1;
                    }
                    if open == '{' {
                        if c[*pos] != ':' {
                            return None;
                        }
                        *pos += 1;
                        let v = Literal::read(c, pos, depth + 1)?;
                        pairs.push((item, v));
                    } else {
                        items.push(item);
                    }
                    while c.get(*pos)?.is_whitespace() {
                        *pos += 1;
                    }
                    match c.get(*pos)? {
                        ',' => *pos += 1,
                        x if *x == close => {}
                        _ => return None,
                    }
                }
                Some(match open {
                    '[' => Literal::List(items),
                    '(' => Literal::Tuple(items),
                    _ => Literal::Map(pairs),
                })
            }
            '"' | '\'' => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    let ch = *c.get(*pos)?;
                    *pos += 1;
                    match ch {
                        '\\' => {
                            let esc = *c.get(*pos)?;
                            *pos += 1;
                            s.push(match esc {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '0' => '\0',
                                other => other,
                            });
                        }
                        q if q == open => {
                            // A doubled quote is a quote.
                            if c.get(*pos) == Some(&open) {
                                s.push(open);
                                *pos += 1;
                            } else {
                                return Some(Literal::Quoted(s));
                            }
                        }
                        other => s.push(other),
                    }
                }
            }
            _ => {
                let start = *pos;
                while c
                    .get(*pos)
                    .is_some_and(|ch| !matches!(ch, ',' | ']' | ')' | '}' | ':'))
                {
                    *pos += 1;
                }
                let text: String = c[start..*pos].iter().collect();
                Some(Literal::Bare(text.trim().to_string()))
            }
        }
    }
}

fn from_literal(ty: &DbType, lit: &Literal, utc: bool) -> Result<Value> {
    let bad = || Error::malformed(format!("{ty:?} value {lit:?}"));
    match (ty, lit) {
        (_, Literal::Bare(b)) if b == "NULL" => Ok(Value::Null),
        (DbType::Array(e), Literal::List(items)) => Ok(Value::Array(
            items
                .iter()
                .map(|x| from_literal(e, x, utc))
                .collect::<Result<_>>()?,
        )),
        (DbType::Tuple(types), Literal::Tuple(items)) if types.len() == items.len() => {
            Ok(Value::Array(
                types
                    .iter()
                    .zip(items)
                    .map(|(t, x)| from_literal(t, x, utc))
                    .collect::<Result<_>>()?,
            ))
        }
        (DbType::Map(k, v), Literal::Map(pairs)) => {
            let mut obj = Map::new();
            for (key, val) in pairs {
                let key = match from_literal(k, key, utc)? {
                    Value::Text(s) => s,
                    other => json_of(&other).to_string(),
                };
                obj.insert(key, json_of(&from_literal(v, val, utc)?));
            }
            Ok(Value::Json(Json::Object(obj).to_string()))
        }
        (DbType::Array(_) | DbType::Tuple(_) | DbType::Map(..), _) => Err(bad()),
        (_, Literal::Quoted(s) | Literal::Bare(s)) => decode_text(ty, s, utc),
        _ => Err(bad()),
    }
}

/// A decoded value as JSON (for map values): numbers stay exact.
fn json_of(v: &Value) -> Json {
    let number = |s: &str| serde_json::from_str::<Json>(s).unwrap_or_else(|_| json!(s));
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Decimal(s) => number(s),
        Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
        Value::Array(items) => Json::Array(items.iter().map(json_of).collect()),
        other => json!(text_param(other)),
    }
}

/// A value as the text Databend reads for it.
fn text_param(v: &Value) -> String {
    match v {
        Value::Date(d) => value::format_date(*d),
        Value::Timestamp(t) => value::format_timestamp(*t, false).replace('T', " "),
        Value::TimestampTz(t) => format!(
            "{}+00:00",
            value::format_timestamp(*t, false).replace('T', " ")
        ),
        Value::Time(t) => value::format_time(*t),
        Value::Interval(iv) => value::format_interval(*iv),
        Value::Uuid(u) => value::format_uuid(u),
        Value::Bytes(b) => value::hex(b).to_ascii_uppercase(),
        Value::Text(s) | Value::Decimal(s) | Value::Json(s) => s.clone(),
        Value::Float(f) if !f.is_finite() => value::non_finite_text(*f).unwrap_or_default().into(),
        other => json_of(other).to_string(),
    }
}

/// A parameter as JSON for the server to bind.
pub fn param(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Array(items) => Json::Array(items.iter().map(param).collect()),
        other => json!(text_param(other)),
    }
}

/// A result being paged in.
struct Open {
    types: Vec<DbType>,
    /// Where the next page is: an open result always has one (it ends when none is left).
    next_uri: String,
    final_uri: Option<String>,
    rows: i64,
    utc: bool,
}

/// The query a cancel kills and a heartbeat keeps: shared with the cancel token.
#[derive(Default)]
struct Running {
    /// `(node_id, query_id, kill_uri)` of the open or running query.
    query: Option<(Option<String>, String, Option<String>)>,
    /// Seconds the server keeps an unpolled result (0: not said yet).
    result_timeout_secs: u64,
    /// Counts replies: unchanged between two keep-alives, the result sat idle.
    activity: u64,
}

/// Stops a Databend query from outside its session: a POST of its `kill_uri`.
#[derive(Clone)]
pub struct CancelToken {
    cfg: DatabendConfig,
    running: Rc<RefCell<Running>>,
}

impl CancelToken {
    /// The request that kills the query running now, if one runs.
    pub fn request(&self) -> Option<Request> {
        let running = self.running.borrow();
        let (_, id, kill_uri) = running.query.as_ref()?;
        let path = kill_uri
            .clone()
            .unwrap_or_else(|| format!("/v1/query/{id}/kill"));
        Some(self.cfg.request("POST", &path, None))
    }
}

pub struct DatabendSession<H> {
    http: H,
    cfg: DatabendConfig,
    /// The last session state the server reported: sent back with every request.
    session: Json,
    server_version: Option<String>,
    server_side_params: bool,
    open: Option<Open>,
    autocommit: bool,
    /// Statements started, for query ids.
    queries: u64,
    running: Rc<RefCell<Running>>,
    /// `Running::activity` at the last keep-alive, and how many keep-alives in a row saw none.
    seen_activity: u64,
    idle_ticks: u32,
}

/// Semantic versions compare as numbers: `1.2.905` > `1.2.900`.
fn newer_than(version: &str, than: [u64; 3]) -> bool {
    let nums: Vec<u64> = version
        .trim_start_matches('v')
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    nums.as_slice() > than.as_slice()
}

impl<H: HttpClient> DatabendSession<H> {
    /// Logs in as bendsql does (`/v1/session/login`); a server too old to have it (404) is
    /// used without.
    pub async fn connect(http: H, cfg: DatabendConfig) -> Result<DatabendSession<H>> {
        let mut login = json!({ "database": cfg.database });
        if !cfg.settings.is_empty() {
            login["settings"] = Json::Object(cfg.settings.clone());
        }
        let req = cfg.request(
            "POST",
            "/v1/session/login?disable_session_token=true",
            Some(login),
        );
        let resp = http.send(req).await?;
        let server_version = match resp.status {
            200 => {
                let body = parse_json(&resp)?;
                if body["error"].is_object() {
                    return Err(server_error(&body["error"]));
                }
                body["version"].as_str().map(str::to_string)
            }
            404 => None,
            _ => return Err(reply_error(&resp, &cfg.user)),
        };
        let mut session = json!({ "database": cfg.database });
        if !cfg.settings.is_empty() {
            session["settings"] = Json::Object(cfg.settings.clone());
        }
        Ok(DatabendSession {
            http,
            server_side_params: server_version
                .as_deref()
                .is_some_and(|v| newer_than(v, [1, 2, 900])),
            server_version,
            autocommit: cfg.autocommit,
            cfg,
            session,
            open: None,
            queries: 0,
            running: Rc::default(),
            seen_activity: 0,
            idle_ticks: 0,
        })
    }

    /// What cancels this session's running query from outside it.
    pub fn cancel_token(&self) -> CancelToken {
        CancelToken {
            cfg: self.cfg.clone(),
            running: self.running.clone(),
        }
    }

    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    async fn send(&self, method: &'static str, path: &str, body: Option<Json>) -> Result<Json> {
        let resp = self.http.send(self.cfg.request(method, path, body)).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, &self.cfg.user));
        }
        parse_json(&resp)
    }

    /// Takes what a reply says about the session and the running query; fails on its error.
    fn absorb(&mut self, reply: &Json) -> Result<()> {
        if reply["session"].is_object() {
            self.session = reply["session"].clone();
        }
        let id = reply["id"].as_str().unwrap_or_default();
        let mut running = self.running.borrow_mut();
        running.activity += 1;
        if let Some(t) = reply["result_timeout_secs"].as_u64() {
            running.result_timeout_secs = t;
        }
        running.query = (!id.is_empty() && !reply["next_uri"].is_null()).then(|| {
            (
                reply["node_id"].as_str().map(str::to_string),
                id.to_string(),
                reply["kill_uri"].as_str().map(str::to_string),
            )
        });
        drop(running);
        if reply["error"].is_object() {
            return Err(server_error(&reply["error"]));
        }
        Ok(())
    }

    fn in_transaction(&self) -> bool {
        matches!(self.session["txn_state"].as_str(), Some("Active" | "Fail"))
    }

    /// Runs a statement to its end: its written-row count.
    async fn run_to_end(&mut self, sql: &str, params: Option<Json>) -> Result<i64> {
        self.abandon().await;
        let reply = self.start(sql, params).await?;
        self.finish(reply).await
    }

    /// Follows a result without rows to its end: the written-row count, which is on the first
    /// reply or the last page with data.
    async fn finish(&mut self, mut reply: Json) -> Result<i64> {
        let written = |r: &Json| r["stats"]["write_progress"]["rows"].as_i64().unwrap_or(0);
        let mut count = written(&reply);
        while let Some(next) = self.follow(&reply).await? {
            reply = next;
            count = count.max(written(&reply));
        }
        self.running.borrow_mut().query = None;
        Ok(count)
    }

    async fn start(&mut self, sql: &str, params: Option<Json>) -> Result<Json> {
        let mut body = json!({ "sql": sql, "session": self.session });
        if !self.cfg.pagination.is_empty() {
            body["pagination"] = Json::Object(self.cfg.pagination.clone());
        }
        if let Some(p) = params {
            body["params"] = p;
        }
        // Our own query id, so that a cancel can kill the query before its first reply.
        self.queries += 1;
        let id = format!("{:016x}{:016x}", self.cfg.query_id_seed, self.queries);
        self.running.borrow_mut().query = Some((None, id.clone(), None));
        let mut req = self.cfg.request("POST", "/v1/query", Some(body));
        req.headers.push(("X-DATABEND-QUERY-ID".into(), id));
        let resp = self.http.send(req).await?;
        if resp.status != 200 {
            self.running.borrow_mut().query = None;
            return Err(reply_error(&resp, &self.cfg.user));
        }
        let reply = parse_json(&resp)?;
        self.absorb(&reply)?;
        Ok(reply)
    }

    /// Forgets the open or running query, closing it on the server (best effort: results
    /// expire anyway).
    async fn abandon(&mut self) {
        let open_final = self.open.take().and_then(|o| o.final_uri);
        let running = self.running.borrow_mut().query.take();
        let uri = open_final.or_else(|| running.map(|(_, id, _)| format!("/v1/query/{id}/final")));
        if let Some(uri) = uri {
            let _ = self.send("POST", &uri, None).await;
        }
    }

    /// The reply after `reply`, by its `next_uri` (`None` at the end). A reply that brought
    /// nothing while the query runs is followed after a short pause, so a server that does not
    /// long-poll (`wait_time_secs=0`) is not hammered.
    async fn follow(&mut self, reply: &Json) -> Result<Option<Json>> {
        let Some(uri) = reply["next_uri"].as_str().map(str::to_string) else {
            return Ok(None);
        };
        let idle = reply["data"].as_array().is_none_or(Vec::is_empty)
            && matches!(reply["state"].as_str(), Some("Starting" | "Running"));
        if idle {
            self.http.pause(IDLE_POLL_MS).await;
        }
        let next = self.send("GET", &uri, None).await?;
        self.absorb(&next)?;
        Ok(Some(next))
    }

    /// BEGIN before the first statement when autocommit is off.
    async fn begin_if_needed(&mut self) -> Result<()> {
        if !self.autocommit && !self.in_transaction() {
            self.run_to_end("BEGIN", None).await?;
        }
        Ok(())
    }

    fn params(&self, scanned: &sql::Scanned, params: Params) -> Result<Option<Json>> {
        if scanned.param_count == 0 {
            return Ok(None);
        }
        if !self.server_side_params {
            return Err(Error::not_supported(format!(
                "parameters need Databend 1.2.901 or newer (this server is {}): it binds them itself",
                self.server_version.as_deref().unwrap_or("older")
            )));
        }
        Ok(Some(match params {
            Params::Named(pairs) => {
                // Checked by name before sending; sent by name.
                scanned.order(Params::Named(pairs.clone()))?;
                Json::Object(pairs.iter().map(|(k, v)| (k.clone(), param(v))).collect())
            }
            positional => Json::Array(scanned.order(positional)?.iter().map(param).collect()),
        }))
    }

    /// Runs a statement: its first page, or what it did.
    async fn statement(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        let scanned = sql::scan_for(stmt, &params)?;
        let params = self.params(&scanned, params)?;
        self.begin_if_needed().await?;
        let mut reply = self.start(stmt, params).await?;
        // A query still starting or running may have no schema yet: poll until it has one,
        // rows, or an end.
        while reply["schema"].as_array().is_none_or(Vec::is_empty)
            && reply["data"].as_array().is_none_or(Vec::is_empty)
            && matches!(reply["state"].as_str(), Some("Starting" | "Running"))
        {
            match self.follow(&reply).await? {
                Some(next) => reply = next,
                None => break,
            }
        }
        let schema = reply["schema"].as_array().cloned().unwrap_or_default();
        if schema.is_empty() {
            return Ok(Outcome {
                columns: None,
                rows: Vec::new(),
                more: false,
                rowcount: self.finish(reply).await?,
            });
        }
        let types: Vec<DbType> = schema
            .iter()
            .map(|f| DbType::parse(f["type"].as_str().unwrap_or("")))
            .collect();
        let columns: Vec<Column> = schema
            .iter()
            .zip(&types)
            .map(|(f, t)| {
                let type_code = f["type"].as_str().unwrap_or_default();
                Column::new(
                    f["name"].as_str().unwrap_or_default(),
                    type_code,
                    t.is_int64(),
                )
            })
            .collect();
        let utc = reply["settings"]["timezone"]
            .as_str()
            .is_none_or(|tz| tz == "UTC" || tz == "Etc/UTC");
        let rows = decode_rows(&types, reply["data"].take(), utc)?;
        let next_uri = reply["next_uri"].as_str().map(str::to_string);
        let more = next_uri.is_some();
        let count = rows.len() as i64;
        self.open = next_uri.map(|next_uri| Open {
            types,
            next_uri,
            final_uri: reply["final_uri"].as_str().map(str::to_string),
            rows: count,
            utc,
        });
        Ok(Outcome {
            columns: Some(Rc::from(columns)),
            rows,
            more,
            rowcount: if more { -1 } else { count },
        })
    }

    /// The next page of the open result.
    async fn next_page(&mut self) -> Result<Batch> {
        let Some(open) = self.open.as_ref() else {
            return Ok(Batch::end(-1));
        };
        let (uri, types, utc) = (open.next_uri.clone(), open.types.clone(), open.utc);
        let page = async {
            let mut reply = json!({ "next_uri": uri, "state": "Succeeded", "data": [[]] });
            // Pages that come back empty while the query runs are followed on.
            loop {
                let Some(next) = self.follow(&reply).await? else {
                    return Ok((Vec::new(), None));
                };
                reply = next;
                let rows = decode_rows(&types, reply["data"].take(), utc)?;
                let next_uri = reply["next_uri"].as_str().map(str::to_string);
                let running = matches!(reply["state"].as_str(), Some("Starting" | "Running"));
                if !rows.is_empty() || next_uri.is_none() || !running {
                    return Ok::<_, Error>((rows, next_uri));
                }
            }
        }
        .await;
        let (rows, next_uri) = match page {
            Ok(p) => p,
            Err(e) => {
                // Whatever ended the result, release it on the server.
                self.abandon().await;
                return Err(e);
            }
        };
        let open = self.open.as_mut().expect("checked above");
        open.rows += rows.len() as i64;
        let done = next_uri.is_none();
        let rowcount = if done { open.rows } else { -1 };
        match next_uri {
            Some(next) => open.next_uri = next,
            None => self.open = None,
        }
        Ok(Batch {
            rows,
            done,
            rowcount,
        })
    }
}

fn decode_rows(types: &[DbType], data: Json, utc: bool) -> Result<Vec<Vec<Value>>> {
    match data {
        Json::Array(rows) => json_rows(rows, types, |t, c| decode(t, &c, utc)),
        _ => Err(Error::malformed("no data array in the reply")),
    }
}

impl<H: HttpClient> Backend for DatabendSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.abandon().await;
        let outcome = self.statement(stmt, params).await;
        if outcome.is_err() {
            self.abandon().await;
        }
        outcome
    }

    /// One statement per parameter set (Databend has no batch form over HTTP); in one
    /// transaction when autocommit is off.
    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.abandon().await;
        let mut total = 0;
        for params in param_sets {
            let scanned = sql::scan_for(stmt, &params)?;
            let params = self.params(&scanned, params)?;
            self.begin_if_needed().await?;
            total += self.run_to_end(stmt, params).await?;
        }
        Ok(total)
    }

    async fn fetch(&mut self) -> Result<Batch> {
        self.next_page().await
    }

    async fn discard(&mut self) -> Result<()> {
        self.abandon().await;
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        if self.in_transaction() {
            self.run_to_end("COMMIT", None).await?;
        }
        Ok(())
    }

    async fn rollback(&mut self) -> Result<()> {
        if self.in_transaction() {
            self.run_to_end("ROLLBACK", None).await?;
        }
        Ok(())
    }

    fn autocommit(&self) -> bool {
        self.autocommit
    }

    fn set_autocommit(&mut self, on: bool) -> Result<()> {
        if on && self.in_transaction() {
            return Err(Error::programming(
                "cannot turn autocommit on inside a transaction: commit() or rollback() first",
            ));
        }
        self.autocommit = on;
        Ok(())
    }

    async fn close(&mut self) {
        self.abandon().await;
    }

    /// A tick at a quarter of the server's result timeout (15 s until it says).
    fn keep_alive_interval_ms(&self) -> Option<u32> {
        let secs = self.running.borrow().result_timeout_secs;
        Some(match secs {
            0 => 15_000,
            _ => (secs.saturating_mul(1000) / 4).clamp(500, 15_000) as u32,
        })
    }

    /// A heartbeat for a result left unread, as bendsql sends: once no reply came for two
    /// ticks (half the server's result timeout), so the server keeps the result.
    async fn keep_alive(&mut self) -> Result<()> {
        let (activity, has_query) = {
            let r = self.running.borrow();
            (r.activity, r.query.is_some())
        };
        self.idle_ticks = if activity == self.seen_activity && has_query {
            self.idle_ticks + 1
        } else {
            0
        };
        self.seen_activity = activity;
        if self.idle_ticks < 2 {
            return Ok(());
        }
        self.idle_ticks = 0;
        let body = match &self.running.borrow().query {
            Some((node, id, _)) => {
                json!({ "node_to_queries": { node.clone().unwrap_or_default(): [id] } })
            }
            None => return Ok(()),
        };
        let req = self
            .cfg
            .request("POST", "/v1/session/heartbeat", Some(body));
        self.http.send(req).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bendsql_dsns() {
        let c = DatabendConfig::from_url(
            "databend://user1:abc123@127.0.0.1:8000/bookstore?sslmode=disable&timezone=UTC&max_rows_per_page=100",
        )
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:8000");
        assert_eq!(
            (c.user.as_str(), c.password.as_str(), c.database.as_str()),
            ("user1", "abc123", "bookstore")
        );
        assert_eq!(c.settings["timezone"], "UTC");
        assert_eq!(c.pagination["max_rows_per_page"], 100);
        let c = DatabendConfig::from_url("databend://u:p@host.example/db?secure=False").unwrap();
        assert_eq!(c.base_url, "http://host.example:80");
        let c = DatabendConfig::from_url("databend://host.example").unwrap();
        assert_eq!(
            (c.base_url.as_str(), c.user.as_str(), c.database.as_str()),
            ("https://host.example:443", "root", "default")
        );
    }

    #[test]
    fn parses_type_names() {
        assert_eq!(DbType::parse("Nullable(Int64)"), DbType::Int { wide: true });
        assert_eq!(
            DbType::parse("Array(Int32 NULL)"),
            DbType::Array(Box::new(DbType::Int { wide: false }))
        );
        assert_eq!(
            DbType::parse("Map(String, Nullable(Decimal(38, 10)))"),
            DbType::Map(Box::new(DbType::String), Box::new(DbType::Decimal))
        );
        assert_eq!(
            DbType::parse("Tuple(a Int32, b String)"),
            DbType::Tuple(vec![DbType::Int { wide: false }, DbType::String])
        );
        assert!(DbType::parse("Array(UInt64)").is_int64());
        let deep = format!("{}Int32{}", "Array(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(DbType::parse(&deep), DbType::Array(_)));
    }

    #[test]
    fn decodes_display_format_exactly() {
        let d = |t: &str, v: &str| decode(&DbType::parse(t), &json!(v), true).unwrap();
        assert_eq!(d("Boolean", "1"), Value::Bool(true));
        assert_eq!(d("Boolean", "0"), Value::Bool(false));
        assert_eq!(d("Int64", "-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(
            d("UInt64", "18446744073709551615"),
            Value::Decimal("18446744073709551615".into())
        );
        assert_eq!(
            d("Decimal(76, 20)", "-1.00000000000000000001"),
            Value::Decimal("-1.00000000000000000001".into())
        );
        assert!(matches!(d("Float64", "NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(d("Float64", "-Infinity"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(d("Binary", "00FF10"), Value::Bytes(vec![0, 255, 16]));
        assert_eq!(d("Date", "1970-01-02"), Value::Date(1));
        assert_eq!(
            d("Timestamp", "1970-01-01 00:00:01.5"),
            Value::TimestampTz(1_500_000)
        );
        assert_eq!(
            d("Timestamp_Tz", "1970-01-01 01:00:00.000000 +0100"),
            Value::TimestampTz(0)
        );
        assert_eq!(d("Nullable(Int32)", "NULL"), Value::Null);
        assert_eq!(d("Nullable(String)", "NULL"), Value::Text("NULL".into()));
        assert_eq!(
            d("Array(String NULL)", r#"["a,\"b", NULL, 'c''d']"#),
            Value::Array(vec![
                Value::Text("a,\"b".into()),
                Value::Null,
                Value::Text("c'd".into())
            ])
        );
        assert_eq!(
            d("Tuple(Int32, Array(Boolean))", "(7,[1,0])"),
            Value::Array(vec![
                Value::Int(7),
                Value::Array(vec![Value::Bool(true), Value::Bool(false)])
            ])
        );
        assert_eq!(
            d(
                "Map(String, Decimal(40, 1))",
                r#"{"k":123456789012345678901234567890.1,"n":NULL}"#
            ),
            Value::Json(r#"{"k":123456789012345678901234567890.1,"n":null}"#.into())
        );
        assert_eq!(
            decode(&DbType::Int { wide: false }, &Json::Null, true).unwrap(),
            Value::Null
        );
        for (t, v) in [
            ("Int32", "1.5"),
            ("Boolean", "yes"),
            ("Binary", "0"),
            ("Date", "2024-13-01"),
            ("Array(Int32)", "[1,"),
        ] {
            assert!(
                decode(&DbType::parse(t), &json!(v), true).is_err(),
                "{t} {v}"
            );
        }
    }

    #[test]
    fn parameters_go_as_databend_reads_them() {
        assert_eq!(
            param(&Value::Int(i64::MAX)).to_string(),
            "9223372036854775807"
        );
        assert_eq!(param(&Value::Decimal("1.10".into())), json!("1.10"));
        assert_eq!(
            param(&Value::TimestampTz(1_500_000)),
            json!("1970-01-01 00:00:01.5+00:00")
        );
        assert_eq!(param(&Value::Bytes(vec![0, 255])), json!("00FF"));
        assert_eq!(param(&Value::Float(f64::NAN)), json!("NaN"));
        assert!(newer_than("1.2.905", [1, 2, 900]) && !newer_than("1.2.900", [1, 2, 900]));
        assert!(newer_than("v1.10.0-nightly", [1, 2, 900]));
    }
}

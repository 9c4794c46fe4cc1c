//! QuestDB over its REST API, `GET /exec` (shared/protocols/questdb-http.md), and CSV loads
//! through `POST /imp`.
//!
//! QuestDB has no bind parameters: values are rendered into the SQL as literals by [`literal`],
//! the one function that does it. A result is read in windows, `limit=A,B`, one per fetch; the
//! first asks `count=true`, so the row count is known at once. QuestDB runs the query again for
//! each window (it keeps no cursor), as its Web Console does. There are no transactions.

use std::rc::Rc;

use serde_json::{json, Value as Json};

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{
    auth_failed, base_url, basic_auth, encode_component, json_rows, parse_json, HttpClient,
    Request, Response,
};
use crate::core::sql::{self, Scanned};
use crate::core::value::{
    self, Value, INFINITY_DAYS, INFINITY_MICROS, NEG_INFINITY_DAYS, NEG_INFINITY_MICROS,
};
use crate::core::{Backend, Batch, Column, Outcome, Params};

pub const DEFAULT_PORT: u16 = 9000;
/// QuestDB's Postgres wire port: its own dialect, not the REST API.
pub const PG_WIRE_PORT: u16 = 8812;
pub const DEFAULT_FETCH_SIZE: u32 = 10_000;

#[derive(Clone, Debug)]
pub struct QuestConfig {
    pub base_url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Rows per window.
    pub fetch_size: u32,
    /// Sent as `Statement-Timeout`, so the server stops the statement too.
    pub statement_timeout_ms: Option<u64>,
}

impl QuestConfig {
    /// Reads `questdb://[user:password@]host[:9000][?ssl=true]`.
    pub fn from_url(url: &str) -> Result<QuestConfig> {
        let dsn = Dsn::parse_as(url, &["questdb"], "QuestDB")?;
        let port = dsn.port.unwrap_or(DEFAULT_PORT);
        let mut https = false;
        let mut cfg = QuestConfig {
            base_url: String::new(),
            user: dsn.user,
            password: dsn.password,
            fetch_size: DEFAULT_FETCH_SIZE,
            statement_timeout_ms: None,
        };
        for (k, v) in dsn.params {
            match k.as_str() {
                "ssl" | "tls" => https = parse_bool(&k, &v)?,
                "sslmode" => https = v != "disable",
                "user" | "username" => cfg.user = Some(v),
                "password" => cfg.password = Some(v),
                _ => {
                    return Err(Error::interface(format!(
                        "unknown QuestDB URL parameter {k:?} (known: ssl, sslmode, user, password)"
                    )))
                }
            }
        }
        cfg.base_url = base_url(https, &dsn.host, port);
        Ok(cfg)
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("Accept".into(), "application/json".to_string())];
        if let Some(user) = &self.user {
            headers.push((
                "Authorization".into(),
                basic_auth(user, self.password.as_deref().unwrap_or("")),
            ));
        }
        if let Some(ms) = self.statement_timeout_ms {
            headers.push(("Statement-Timeout".into(), ms.to_string()));
        }
        headers
    }

    /// `GET /exec` of `query`, rows `from..=to` (1-based), counting all rows when `count`.
    pub fn exec(&self, query: &str, window: Option<(u64, u64)>, count: bool) -> Request {
        let mut url = format!("{}/exec?query={}", self.base_url, encode_component(query));
        if let Some((a, b)) = window {
            url.push_str(&format!("&limit={a},{b}"));
        }
        if count {
            url.push_str("&count=true");
        }
        Request {
            method: "GET",
            url,
            headers: self.headers(),
            body: None,
        }
    }
}

/// A value as a QuestDB SQL literal. QuestDB has no bind parameters, so this is what stands
/// between a value and the SQL text: strings and everything text-like are quoted with quotes
/// doubled (QuestDB has no backslash escapes), numbers come from typed values only, and values
/// QuestDB would silently change are refused.
pub fn literal(v: &Value) -> Result<String> {
    let quote = |s: &str| -> Result<String> {
        if s.contains('\0') {
            return Err(Error::data("QuestDB strings cannot hold the NUL character"));
        }
        Ok(format!("'{}'", s.replace('\'', "''")))
    };
    Ok(match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i64::MIN) => {
            return Err(Error::data(
                "QuestDB stores -9223372036854775808 as NULL in a LONG: it cannot be a value",
            ))
        }
        Value::Int(i) => i.to_string(),
        Value::Float(f) => double(*f)?,
        Value::Decimal(s) => {
            if !is_plain_decimal(s) {
                return Err(Error::data(format!("{s:?} is not a decimal number")));
            }
            // As text, which QuestDB casts exactly; a bare literal would be a DOUBLE.
            quote(s)?
        }
        Value::Text(s) | Value::Json(s) => quote(s)?,
        Value::Bytes(_) => {
            return Err(Error::not_supported(
                "QuestDB has no binary literal: BINARY values cannot be parameters",
            ))
        }
        Value::Date(d) if *d == INFINITY_DAYS || *d == NEG_INFINITY_DAYS => {
            return Err(Error::data("QuestDB has no infinite dates"))
        }
        Value::Date(d) => quote(&value::format_date(*d))?,
        Value::Timestamp(t) | Value::TimestampTz(t)
            if *t == INFINITY_MICROS || *t == NEG_INFINITY_MICROS =>
        {
            return Err(Error::data("QuestDB has no infinite timestamps"))
        }
        Value::Timestamp(t) | Value::TimestampTz(t) => quote(&value::format_timestamp(*t, true))?,
        Value::Time(t) => quote(&value::format_time(*t))?,
        Value::Interval(iv) => quote(&value::format_interval(*iv))?,
        Value::Uuid(u) => quote(&value::format_uuid(u))?,
        Value::Array(items) => format!("ARRAY{}", double_array(items)?),
    })
}

/// A finite double with a decimal point or exponent, so QuestDB reads a DOUBLE.
fn double(f: f64) -> Result<String> {
    if !f.is_finite() {
        return Err(Error::data(
            "QuestDB stores NaN as NULL and has no literal for infinity: non-finite numbers cannot be values",
        ));
    }
    // Debug formatting is the shortest text that reads back as the same double.
    Ok(format!("{f:?}"))
}

/// QuestDB's arrays are DOUBLE arrays: `[1.0,2.5]`, nested for more dimensions.
fn double_array(items: &[Value]) -> Result<String> {
    let parts = items
        .iter()
        .map(|x| match x {
            Value::Float(f) => double(*f),
            Value::Int(i) if i.unsigned_abs() <= 1 << 53 => double(*i as f64),
            Value::Array(inner) => double_array(inner),
            _ => Err(Error::not_supported(
                "QuestDB arrays hold only finite doubles (no NULL, text or integers beyond 2^53)",
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("[{}]", parts.join(",")))
}

fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// An `/exec` error body as an error: `position` is QuestDB's 0-based offset in the SQL it ran.
fn exec_error(body: &Json, status: u16, rendered: &Scanned) -> Error {
    let message = body["error"]
        .as_str()
        .or_else(|| body["notice"].as_str())
        .unwrap_or("query failed");
    let kind = match status {
        500.. => ErrorKind::Internal,
        _ if message.contains("timeout") => ErrorKind::Operational,
        _ => ErrorKind::Programming,
    };
    let mut e = Error::new(kind, message);
    let pos = body["position"]
        .as_u64()
        .or_else(|| body["errorPos"].as_u64())
        .or_else(|| body["position"].as_str().and_then(|p| p.parse().ok()));
    if let Some(p) = pos {
        e.position = Some(rendered.original_position(p as usize + 1) as u32);
    }
    e
}

fn reply_error(resp: &Response, rendered: &Scanned, user: Option<&str>) -> Error {
    if resp.status == 401 {
        return auth_failed(user.unwrap_or(""), &resp.excerpt());
    }
    match parse_json(resp) {
        Ok(body) if body["error"].is_string() => exec_error(&body, resp.status, rendered),
        _ => Error::operational(format!(
            "QuestDB answered HTTP {}: {}",
            resp.status,
            resp.excerpt()
        )),
    }
}

/// A QuestDB column type from `columns[]`.
#[derive(Clone, Debug, PartialEq)]
enum QType {
    Boolean,
    Int,
    Long,
    Double,
    /// DATE (milliseconds) and TIMESTAMP (microseconds), ISO text in UTC.
    Timestamp,
    /// TIMESTAMP_NS keeps its nanoseconds as text.
    Text,
    Uuid,
    Decimal,
    Array,
    Binary,
}

impl QType {
    fn of(column: &Json) -> QType {
        match column["type"].as_str().unwrap_or("") {
            "BOOLEAN" => QType::Boolean,
            "BYTE" | "SHORT" | "INT" => QType::Int,
            "LONG" => QType::Long,
            "FLOAT" | "DOUBLE" => QType::Double,
            "DATE" | "TIMESTAMP" => QType::Timestamp,
            "UUID" => QType::Uuid,
            "ARRAY" => QType::Array,
            "BINARY" => QType::Binary,
            t if t.starts_with("DECIMAL") => QType::Decimal,
            _ => QType::Text,
        }
    }
}

fn decode(ty: &QType, v: Json) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let bad = |v: &Json| Error::malformed(format!("{ty:?} value {v}"));
    Ok(match (ty, v) {
        (QType::Boolean, Json::Bool(b)) => Value::Bool(b),
        (QType::Int | QType::Long, Json::Number(n)) => {
            Value::Int(n.as_i64().ok_or_else(|| bad(&Json::Number(n.clone())))?)
        }
        // quoteLargeNum
        (QType::Long, Json::String(s)) => Value::Int(s.parse().map_err(|_| bad(&json!(s)))?),
        (QType::Double, Json::Number(n)) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        (QType::Timestamp, Json::String(s)) => {
            Value::TimestampTz(parse_iso(&s).ok_or_else(|| bad(&json!(s)))?)
        }
        (QType::Uuid, Json::String(s)) => match value::parse_uuid(&s) {
            Some(u) => Value::Uuid(u),
            None => Value::Text(s),
        },
        (QType::Decimal, Json::String(s)) => Value::Decimal(s),
        (QType::Array, v @ Json::Array(_)) => array(v)?,
        (QType::Binary, _) => {
            return Err(Error::not_supported(
                "QuestDB's /exec never sends BINARY contents: leave the column out of the SELECT",
            ))
        }
        (_, Json::String(s)) => Value::Text(s),
        (_, Json::Number(n)) => Value::Text(n.to_string()),
        (_, other) => return Err(bad(&other)),
    })
}

fn array(v: Json) -> Result<Value> {
    Ok(match v {
        Json::Array(items) => Value::Array(items.into_iter().map(array).collect::<Result<_>>()?),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::Null => Value::Null,
        other => return Err(Error::malformed(format!("array element {other}"))),
    })
}

/// QuestDB's `YYYY-MM-DDTHH:MM:SS[.f]Z` as microseconds since 1970.
fn parse_iso(s: &str) -> Option<i64> {
    match value::parse_timestamp(s)? {
        (micros, Some(0)) => Some(micros),
        _ => None,
    }
}

/// The open result: the rendered query, read a window at a time.
struct Open {
    query: Scanned,
    types: Vec<QType>,
    /// The next row to ask for, 1-based.
    next: u64,
    total: u64,
    /// A failure the server reported after the rows already read.
    failed: Option<Error>,
}

pub struct QuestSession<H> {
    http: H,
    cfg: QuestConfig,
    open: Option<Open>,
}

impl<H: HttpClient> QuestSession<H> {
    /// Checks the address and the credentials with a statement that reads nothing.
    pub async fn connect(http: H, cfg: QuestConfig) -> Result<QuestSession<H>> {
        let probe = sql::scan("SELECT 1", sql::ParamStyle::Positional)?;
        let resp = http.send(cfg.exec("SELECT 1", Some((1, 1)), false)).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, &probe, cfg.user.as_deref()));
        }
        parse_json(&resp).map_err(|_| Error::malformed("not a QuestDB /exec reply"))?;
        Ok(QuestSession {
            http,
            cfg,
            open: None,
        })
    }

    async fn window(&self, query: &Scanned, from: u64, count: bool) -> Result<Json> {
        let to = from + u64::from(self.cfg.fetch_size) - 1;
        let resp = self
            .http
            .send(self.cfg.exec(&query.sql, Some((from, to)), count))
            .await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, query, self.cfg.user.as_deref()));
        }
        let body = parse_json(&resp)?;
        if body["error"].is_string() && body["dataset"].is_null() {
            return Err(exec_error(&body, 200, query));
        }
        Ok(body)
    }

    /// `POST /imp`: loads CSV into `table` (created when missing). `options` are /imp's URL
    /// parameters; `schema` its optional schema part. Returns the server's JSON report.
    pub async fn import_csv(
        &mut self,
        table: &str,
        csv: &[u8],
        options: &[(String, String)],
        schema: Option<String>,
    ) -> Result<Json> {
        self.open = None;
        let boundary = "webdbc-imp-7d1f0c2a9b8e4f6c";
        let mut body = Vec::with_capacity(csv.len() + 512);
        if let Some(s) = schema {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"schema\"\r\nContent-Type: application/json\r\n\r\n{s}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(csv);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut url = format!(
            "{}/imp?fmt=json&name={}",
            self.cfg.base_url,
            encode_component(table)
        );
        for (k, v) in options {
            url.push_str(&format!("&{}={}", encode_component(k), encode_component(v)));
        }
        let mut headers = self.cfg.headers();
        headers.push((
            "Content-Type".into(),
            format!("multipart/form-data; boundary={boundary}"),
        ));
        let resp = self
            .http
            .send(Request {
                method: "POST",
                url,
                headers,
                body: Some(body),
            })
            .await?;
        let reply = parse_json(&resp).ok();
        let status = reply
            .as_ref()
            .and_then(|r| r["status"].as_str())
            .unwrap_or("");
        if resp.status == 401 {
            return Err(reply_error(
                &resp,
                &sql::scan("", sql::ParamStyle::Positional)?,
                self.cfg.user.as_deref(),
            ));
        }
        if resp.status != 200 || status != "OK" {
            let why = if status.is_empty() {
                resp.excerpt()
            } else {
                status.to_string()
            };
            return Err(Error::new(
                ErrorKind::Database,
                format!("CSV import into {table} failed: {why}"),
            ));
        }
        Ok(reply.unwrap_or(Json::Null))
    }
}

/// The statement with its parameters rendered in as literals.
fn render(stmt: &str, params: Params) -> Result<Scanned> {
    let scanned = sql::scan_for(stmt, &params)?;
    if scanned.statement_count > 1 {
        return Err(Error::programming("QuestDB runs one statement per request"));
    }
    // Values are placed by where PostgreSQL's quoting says strings end; QuestDB has no
    // $$…$$ or E'…' strings and would read such a statement differently.
    if scanned.param_count > 0 && scanned.pg_quoting {
        return Err(Error::not_supported(
            "QuestDB has no $$…$$ or E'…' strings: write plain '…' strings in a statement with parameters",
        ));
    }
    let texts = scanned
        .order(params)?
        .iter()
        .map(literal)
        .collect::<Result<Vec<_>>>()?;
    Ok(scanned.render(&texts))
}

fn decode_rows(types: &[QType], dataset: Json) -> Result<Vec<Vec<Value>>> {
    match dataset {
        Json::Array(rows) => json_rows(rows, types, decode),
        _ => Err(Error::malformed("no dataset in the reply")),
    }
}

impl<H: HttpClient> Backend for QuestSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.open = None;
        let query = render(stmt, params)?;
        let mut body = self.window(&query, 1, true).await?;
        if body["ddl"].is_string() || body["dml"].is_string() {
            return Ok(Outcome {
                columns: None,
                rows: Vec::new(),
                more: false,
                rowcount: body["updated"].as_i64().unwrap_or(-1),
            });
        }
        let cols = body["columns"]
            .as_array()
            .ok_or_else(|| Error::malformed("no columns in the reply"))?;
        let types: Vec<QType> = cols.iter().map(QType::of).collect();
        let columns: Vec<Column> = cols
            .iter()
            .zip(&types)
            .map(|(c, t)| {
                let mut type_code = c["type"].as_str().unwrap_or_default().to_string();
                if t == &QType::Array {
                    let elem = c["elemType"].as_str().unwrap_or("DOUBLE");
                    let dims = c["dim"].as_u64().unwrap_or(1).min(32) as usize;
                    type_code = format!("{elem}{}", "[]".repeat(dims));
                }
                Column::new(
                    c["name"].as_str().unwrap_or_default(),
                    type_code,
                    t == &QType::Long,
                )
            })
            .collect();
        let rows = decode_rows(&types, body["dataset"].take())?;
        let failed = body["error"].is_string().then(|| {
            let mut e = exec_error(&body, 200, &query);
            e.kind = ErrorKind::Operational;
            e
        });
        // With count=true the count is every row; a failure keeps it from being known.
        let total = match &failed {
            Some(_) => rows.len() as u64,
            None => body["count"].as_u64().unwrap_or(rows.len() as u64),
        };
        let read = rows.len() as u64;
        let more = read < total || failed.is_some();
        self.open = more.then(|| Open {
            query,
            types,
            next: read + 1,
            total,
            failed,
        });
        let rowcount = match self.open.as_ref().and_then(|o| o.failed.as_ref()) {
            Some(_) => -1,
            None => total as i64,
        };
        Ok(Outcome {
            columns: Some(Rc::from(columns)),
            rows,
            more,
            rowcount,
        })
    }

    /// One request per parameter set: QuestDB has no batches over REST.
    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.open = None;
        let mut total = 0i64;
        for params in param_sets {
            let query = render(stmt, params)?;
            let body = self.window(&query, 1, false).await?;
            total = match (total, body["updated"].as_i64()) {
                (t, Some(n)) if t >= 0 => t + n,
                _ => -1, // INSERT reports no count
            };
        }
        Ok(total)
    }

    async fn fetch(&mut self) -> Result<Batch> {
        let Some(open) = self.open.as_mut() else {
            return Ok(Batch::end(-1));
        };
        if let Some(e) = open.failed.take() {
            self.open = None;
            return Err(e);
        }
        let open = self.open.as_ref().expect("checked above");
        let mut body = match self.window(&open.query, open.next, false).await {
            Ok(b) => b,
            Err(e) => {
                self.open = None;
                return Err(e);
            }
        };
        let open = self.open.as_mut().expect("checked above");
        let rows = decode_rows(&open.types, body["dataset"].take())?;
        open.next += rows.len() as u64;
        if body["error"].is_string() {
            let mut e = exec_error(&body, 200, &open.query);
            e.kind = ErrorKind::Operational;
            open.failed = Some(e);
        }
        // The count says where the result ends; a window may be shorter than asked (the server
        // caps rows per reply). An empty one ends it too (the table shrank).
        let done = open.failed.is_none() && (open.next > open.total || rows.is_empty());
        let rowcount = (open.next - 1) as i64;
        if done {
            self.open = None;
        }
        Ok(Batch {
            rows,
            done,
            rowcount,
        })
    }

    async fn discard(&mut self) -> Result<()> {
        self.open = None;
        Ok(())
    }

    crate::autocommit_only!("QuestDB's REST API");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(v: Value) -> String {
        literal(&v).unwrap()
    }

    #[test]
    fn reads_urls() {
        let c = QuestConfig::from_url("questdb://admin:quest@localhost:9000").unwrap();
        assert_eq!(
            (c.base_url.as_str(), c.user.as_deref()),
            ("http://localhost:9000", Some("admin"))
        );
        assert_eq!(
            QuestConfig::from_url("questdb://h?ssl=true")
                .unwrap()
                .base_url,
            "https://h:9000"
        );
    }

    #[test]
    fn literals_cannot_break_out_of_their_quotes() {
        for nasty in [
            "'",
            "''",
            "'; DROP TABLE t; --",
            "\\'",
            "\\",
            "a\\' OR '1'='1",
            "'/*",
            "*/'",
            "ünï 🎉 \" $1 ?",
            "\n'\r\t",
            "\u{2028}'",
        ] {
            let l = lit(Value::Text(nasty.into()));
            assert!(l.starts_with('\'') && l.ends_with('\''), "{l}");
            // Inside, every quote is doubled: reading pairs back gives the value exactly.
            let inner = &l[1..l.len() - 1];
            assert_eq!(inner.replace("''", "'"), nasty);
            assert!(!inner.replace("''", "").contains('\''), "{l}");
        }
        assert_eq!(
            literal(&Value::Text("a\0b".into())).unwrap_err().kind,
            ErrorKind::Data
        );
        // Placeholders inside values are values: rendering happens once, from typed values.
        let s = sql::scan("SELECT ?, ?", sql::ParamStyle::Positional).unwrap();
        let r = s.render(&[lit(Value::Text("?".into())), lit(Value::Text("$1".into()))]);
        assert_eq!(r.sql, "SELECT '?', '$1'");
    }

    #[test]
    fn postgres_only_quoting_cannot_hide_a_value() {
        let e = render(
            "SELECT $$it's$$, ?",
            Params::Positional(vec![Value::Text("x".into())]),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
        let e = render(
            "SELECT E'\\'', ?",
            Params::Positional(vec![Value::Text("x".into())]),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
        assert_eq!(
            render("SELECT $$x$$", Params::Positional(vec![]))
                .unwrap()
                .sql,
            "SELECT $$x$$"
        );
        assert_eq!(
            render("SELECT 'it''s', ?", Params::Positional(vec![Value::Int(1)]))
                .unwrap()
                .sql,
            "SELECT 'it''s', 1"
        );
    }

    #[test]
    fn literals_keep_every_value_exact() {
        assert_eq!(lit(Value::Null), "NULL");
        assert_eq!(lit(Value::Bool(false)), "false");
        assert_eq!(lit(Value::Int(i64::MAX)), "9223372036854775807");
        assert_eq!(lit(Value::Int(-5)), "-5");
        assert_eq!(
            literal(&Value::Int(i64::MIN)).unwrap_err().kind,
            ErrorKind::Data
        );
        assert_eq!(lit(Value::Float(0.1)), "0.1");
        assert_eq!(lit(Value::Float(1e300)), "1e300");
        assert_eq!(lit(Value::Float(-0.0)), "-0.0");
        assert_eq!(lit(Value::Float(3.0)), "3.0");
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(literal(&Value::Float(f)).unwrap_err().kind, ErrorKind::Data);
        }
        assert_eq!(
            lit(Value::Decimal("-123456789012345678901234567890.5".into())),
            "'-123456789012345678901234567890.5'"
        );
        assert_eq!(
            literal(&Value::Decimal("1e5".into())).unwrap_err().kind,
            ErrorKind::Data
        );
        assert_eq!(
            lit(Value::TimestampTz(1_709_209_815_123_456)),
            "'2024-02-29T12:30:15.123456Z'"
        );
        assert_eq!(lit(Value::Date(0)), "'1970-01-01'");
        assert_eq!(
            literal(&Value::TimestampTz(INFINITY_MICROS))
                .unwrap_err()
                .kind,
            ErrorKind::Data
        );
        assert_eq!(
            lit(Value::Uuid([0xab; 16])),
            "'abababab-abab-abab-abab-abababababab'"
        );
        assert_eq!(
            lit(Value::Array(vec![
                Value::Array(vec![Value::Float(1.5), Value::Int(2)]),
                Value::Array(vec![])
            ])),
            "ARRAY[[1.5,2.0],[]]"
        );
        assert_eq!(
            literal(&Value::Array(vec![Value::Null])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
        assert_eq!(
            literal(&Value::Bytes(vec![1])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }

    #[test]
    fn decodes_exec_values() {
        let d = |t: &str, v: Json| decode(&QType::of(&json!({"type": t})), v).unwrap();
        assert_eq!(
            d("LONG", json!(9223372036854775807i64)),
            Value::Int(i64::MAX)
        );
        assert_eq!(d("LONG", json!("-9")), Value::Int(-9));
        assert_eq!(
            d("TIMESTAMP", json!("2024-02-29T12:30:15.123456Z")),
            Value::TimestampTz(1_709_209_815_123_456)
        );
        assert_eq!(
            d("DATE", json!("1970-01-01T00:00:00.001Z")),
            Value::TimestampTz(1000)
        );
        assert_eq!(
            d("TIMESTAMP_NS", json!("2024-02-29T12:30:15.123456789Z")),
            Value::Text("2024-02-29T12:30:15.123456789Z".into())
        );
        assert_eq!(
            d("DECIMAL", json!("1.2300")),
            Value::Decimal("1.2300".into())
        );
        assert_eq!(
            d("ARRAY", json!([[1.0, 2.0]])),
            Value::Array(vec![Value::Array(vec![
                Value::Float(1.0),
                Value::Float(2.0)
            ])])
        );
        assert_eq!(d("SYMBOL", Json::Null), Value::Null);
        assert!(decode(&QType::Binary, json!([])).is_err());
    }
}

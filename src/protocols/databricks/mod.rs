//! Databricks over the SQL Statement Execution API 2.0 (shared/protocols/databricks-sql-api.md).
//!
//! A statement is `POST /api/2.0/sql/statements` on a SQL warehouse; if it is still PENDING or
//! RUNNING after `wait_timeout`, it is polled until it ends. A result comes in chunks, read one
//! per fetch by following `next_chunk_internal_link`; with EXTERNAL_LINKS each chunk is fetched
//! from cloud storage, without the workspace's Authorization header. Parameters are named
//! (`:name`); `?` is rewritten to them. The API is sessionless and has no transactions.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{json, Value as Json};

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{base_url, json_rows, parse_json, HttpClient, Request, Response};
use crate::core::sql;
use crate::core::value::{self, Value};
use crate::core::{Backend, Batch, Column, Outcome, Params};

const STATEMENTS: &str = "/api/2.0/sql/statements";
/// Between polls of a running statement, as the SQL connector polls.
const POLL_MS: u32 = 200;
/// Attempts of a request the server asked to retry (429, 503), as the SDK retries them.
const MAX_ATTEMPTS: u32 = 5;

#[derive(Clone, Debug)]
pub struct DatabricksConfig {
    pub base_url: String,
    pub token: String,
    pub warehouse_id: String,
    pub catalog: Option<String>,
    pub schema: Option<String>,
    /// `"10s"` by default; `"0s"` submits and polls.
    pub wait_timeout: String,
    /// Stop the statement on the server after `wait_timeout` (set by `statementTimeout`).
    pub cancel_on_wait_timeout: bool,
    pub external_links: bool,
}

impl DatabricksConfig {
    /// Reads the SQLAlchemy dialect's URL:
    /// `databricks://token:<PAT>@host?http_path=/sql/1.0/warehouses/<id>&catalog=&schema=`.
    pub fn from_url(url: &str) -> Result<DatabricksConfig> {
        let dsn = Dsn::parse_as(url, &["databricks"], "Databricks")?;
        if dsn.user.as_deref().is_some_and(|u| u != "token") {
            return Err(Error::interface(
                "databricks:// URLs carry a personal access token as token:<PAT>@host",
            ));
        }
        let token = dsn.password.filter(|p| !p.is_empty()).ok_or_else(|| {
            Error::interface("databricks:// URLs need a personal access token: token:<PAT>@host")
        })?;
        let mut https = true;
        let mut http_path = None;
        let mut cfg = DatabricksConfig {
            base_url: String::new(),
            token,
            warehouse_id: String::new(),
            catalog: None,
            schema: None,
            wait_timeout: "10s".into(),
            cancel_on_wait_timeout: false,
            external_links: false,
        };
        for (k, v) in dsn.params {
            match k.as_str() {
                "http_path" => http_path = Some(v),
                "catalog" => cfg.catalog = Some(v).filter(|c| !c.is_empty()),
                "schema" => cfg.schema = Some(v).filter(|s| !s.is_empty()),
                "disposition" => {
                    cfg.external_links = match v.as_str() {
                        "INLINE" => false,
                        "EXTERNAL_LINKS" => true,
                        _ => {
                            return Err(Error::interface(
                                "disposition must be INLINE or EXTERNAL_LINKS",
                            ))
                        }
                    }
                }
                "wait_timeout" => {
                    let secs = v
                        .strip_suffix('s')
                        .and_then(|n| n.parse::<u32>().ok())
                        .filter(|n| *n == 0 || (5..=50).contains(n))
                        .ok_or_else(|| {
                            Error::interface("wait_timeout must be 0s or from 5s to 50s")
                        })?;
                    cfg.wait_timeout = format!("{secs}s");
                }
                // webdbc's own: plain http, for a local test server or a proxy.
                "sslmode" => https = v != "disable",
                "ssl" => https = parse_bool(&k, &v)?,
                _ => {
                    return Err(Error::interface(format!(
                    "unknown Databricks URL parameter {k:?} (known: http_path, catalog, schema, \
                         disposition, wait_timeout, sslmode)"
                )))
                }
            }
        }
        let http_path = http_path.ok_or_else(|| {
            Error::interface("databricks:// URLs need ?http_path=/sql/1.0/warehouses/<id>")
        })?;
        cfg.warehouse_id = warehouse_id(&http_path)?;
        cfg.base_url = base_url(
            https,
            &dsn.host,
            dsn.port.unwrap_or(if https { 443 } else { 80 }),
        );
        Ok(cfg)
    }

    fn request(&self, method: &'static str, path: &str, body: Option<Json>) -> Request {
        let auth = Some(format!("Bearer {}", self.token));
        Request::json(method, format!("{}{path}", self.base_url), auth, body)
    }
}

/// The warehouse id of an `http_path` (`…/warehouses/<id>`, or the older `…/endpoints/<id>`).
fn warehouse_id(http_path: &str) -> Result<String> {
    for marker in ["/warehouses/", "/endpoints/"] {
        if let Some((_, rest)) = http_path.split_once(marker) {
            let id = rest.split(['/', '?', '&']).next().unwrap_or("");
            if !id.is_empty() {
                return Ok(id.to_string());
            }
        }
    }
    Err(Error::not_supported(
        "this http_path names no SQL warehouse (a cluster path?): the Statement Execution API runs on SQL warehouses",
    ))
}

/// A parameter as the API takes it: a string value (or null) and a SQL type.
pub fn parameter(name: &str, v: &Value) -> Result<Json> {
    let (value, ty): (Option<String>, Option<&str>) =
        match v {
            Value::Null => (None, None),
            Value::Bool(b) => (Some(b.to_string()), Some("BOOLEAN")),
            Value::Int(i) => (Some(i.to_string()), Some("BIGINT")),
            Value::Float(f) => (
                Some(value::non_finite_text(*f).map_or_else(|| format!("{f:?}"), str::to_string)),
                Some("DOUBLE"),
            ),
            Value::Decimal(s) => {
                let t = decimal_type(s)?;
                return Ok(json!({"name": name, "value": s, "type": t}));
            }
            Value::Text(s) | Value::Json(s) => (Some(s.clone()), None),
            Value::Date(d) => (Some(value::format_date(*d)), Some("DATE")),
            Value::TimestampTz(t) => (Some(value::format_timestamp(*t, true)), Some("TIMESTAMP")),
            Value::Timestamp(t) => (
                Some(value::format_timestamp(*t, false)),
                Some("TIMESTAMP_NTZ"),
            ),
            Value::Time(t) => (Some(value::format_time(*t)), None),
            Value::Interval(iv) => (Some(value::format_interval(*iv)), None),
            Value::Uuid(u) => (Some(value::format_uuid(u)), None),
            Value::Bytes(_) | Value::Array(_) => return Err(Error::not_supported(
                "Databricks parameters are scalars: binary and array values cannot be parameters",
            )),
        };
    let mut p = json!({ "name": name, "value": value });
    if let Some(t) = ty {
        p["type"] = json!(t);
    }
    Ok(p)
}

/// `DECIMAL(p,s)` that holds the decimal text exactly.
fn decimal_type(s: &str) -> Result<String> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || (int.is_empty() && frac.is_empty())
    {
        return Err(Error::data(format!("{s:?} is not a decimal number")));
    }
    let int = int.trim_start_matches('0');
    let precision = (int.len() + frac.len()).max(1);
    if precision > 38 {
        return Err(Error::data(format!(
            "{s} has {precision} digits: Databricks decimals hold at most 38"
        )));
    }
    Ok(format!("DECIMAL({precision},{})", frac.len()))
}

/// A Databricks column type, from `type_name`.
#[derive(Clone, Debug, PartialEq)]
enum DType {
    Boolean,
    Int,
    Long,
    Double,
    Decimal,
    Date,
    Timestamp,
    TimestampNtz,
    Binary,
    /// ARRAY, MAP, STRUCT: JSON text.
    Complex,
    Text,
}

impl DType {
    fn of(column: &Json) -> DType {
        match column["type_name"].as_str().unwrap_or("") {
            "BOOLEAN" => DType::Boolean,
            "BYTE" | "SHORT" | "INT" => DType::Int,
            "LONG" => DType::Long,
            "FLOAT" | "DOUBLE" => DType::Double,
            "DECIMAL" => DType::Decimal,
            "DATE" => DType::Date,
            "TIMESTAMP" => DType::Timestamp,
            "TIMESTAMP_NTZ" => DType::TimestampNtz,
            "BINARY" => DType::Binary,
            "ARRAY" | "MAP" | "STRUCT" => DType::Complex,
            _ if column["type_text"].as_str() == Some("TIMESTAMP_NTZ") => DType::TimestampNtz,
            _ => DType::Text,
        }
    }
}

fn decode(ty: &DType, cell: &Json) -> Result<Value> {
    let s = match cell {
        Json::Null => return Ok(Value::Null),
        Json::String(s) => s.as_str(),
        other => return Err(Error::malformed(format!("a cell is not text: {other}"))),
    };
    let bad = || Error::malformed(format!("{ty:?} value {s:?}"));
    Ok(match ty {
        DType::Boolean => {
            let is = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
            match (
                is(&["true", "t", "1", "yes", "y"]),
                is(&["false", "f", "0", "no", "n"]),
            ) {
                (true, _) => Value::Bool(true),
                (_, true) => Value::Bool(false),
                _ => return Err(bad()),
            }
        }
        DType::Int | DType::Long => Value::Int(s.parse().map_err(|_| bad())?),
        // Rust reads NaN, Infinity and inf (any case, signed).
        DType::Double => Value::Float(s.parse().map_err(|_| bad())?),
        DType::Decimal => Value::Decimal(s.to_string()),
        DType::Date => Value::Date(
            value::parse_timestamp(s)
                .and_then(|(us, _)| i32::try_from(us.div_euclid(86_400_000_000)).ok())
                .ok_or_else(bad)?,
        ),
        DType::Timestamp => {
            let (us, offset) = value::parse_timestamp(s).ok_or_else(bad)?;
            Value::TimestampTz(us - offset.unwrap_or(0) * 1_000_000)
        }
        DType::TimestampNtz => Value::Timestamp(value::parse_timestamp(s).ok_or_else(bad)?.0),
        DType::Binary => Value::Bytes(binary(s).ok_or_else(bad)?),
        DType::Complex => Value::Json(s.to_string()),
        DType::Text => Value::Text(s.to_string()),
    })
}

/// BINARY cells: hex, as the connector reads them, or base64.
fn binary(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    crate::core::value::unhex(s)
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(s).ok())
}

/// Errors of requests the API refused (4xx/5xx with `error_code`).
fn reply_error(resp: &Response) -> Error {
    let body = parse_json(resp).ok();
    let code = body
        .as_ref()
        .and_then(|b| b["error_code"].as_str())
        .map(str::to_string);
    let message = body
        .as_ref()
        .and_then(|b| b["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| resp.excerpt());
    let mut e = match resp.status {
        401 => Error::operational(format!("authentication failed (HTTP 401): {message}")),
        403 => Error::operational(format!("permission denied (HTTP 403): {message}")),
        404 => Error::operational(format!("not found (HTTP 404): {message}")),
        400 => Error::programming(format!("the request was refused (HTTP 400): {message}")),
        429 | 503 => Error::operational(format!(
            "the service is busy (HTTP {}): {message}",
            resp.status
        )),
        s => Error::new(
            ErrorKind::Internal,
            format!("Databricks answered HTTP {s}: {message}"),
        ),
    };
    e.code = code;
    e
}

/// A FAILED statement's error: its SQLSTATE decides the class, as for PostgreSQL.
fn statement_error(status: &Json) -> Error {
    let err = &status["error"];
    let message = err["message"].as_str().unwrap_or("the statement failed");
    let code = err["error_code"].as_str().unwrap_or("");
    let kind = match status["sql_state"].as_str() {
        Some(state) => ErrorKind::from_sqlstate(state),
        None => match code {
            "BAD_REQUEST" | "NOT_FOUND" | "ALREADY_EXISTS" => ErrorKind::Programming,
            "INTERNAL_ERROR" | "UNKNOWN" => ErrorKind::Internal,
            _ => ErrorKind::Operational,
        },
    };
    let mut e = Error::new(kind, message);
    e.code = status["sql_state"]
        .as_str()
        .map(str::to_string)
        .or(Some(code.to_string()));
    if !code.is_empty() {
        e.detail = Some(format!("error_code {code}"));
    }
    e
}

/// The open result: where its next chunk is.
struct Open {
    types: Vec<DType>,
    next: String,
    rows: i64,
}

pub struct DatabricksSession<H> {
    http: H,
    cfg: DatabricksConfig,
    open: Option<Open>,
    /// The statement running now, for the cancel token.
    running: Rc<RefCell<Option<String>>>,
}

/// Stops a Databricks statement from outside its session: a POST to its `/cancel`.
#[derive(Clone)]
pub struct CancelToken {
    cfg: DatabricksConfig,
    running: Rc<RefCell<Option<String>>>,
}

impl CancelToken {
    /// The request that cancels the statement running now, if one runs.
    pub fn request(&self) -> Option<Request> {
        let running = self.running.borrow();
        let id = running.as_deref()?;
        Some(self.cfg.request(
            "POST",
            &format!("{STATEMENTS}/{id}/cancel"),
            Some(json!({})),
        ))
    }
}

fn int(v: &Json) -> Option<i64> {
    // Int64 counters may come as strings.
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

impl<H: HttpClient> DatabricksSession<H> {
    /// Checks the address, the token and the warehouse with a statement that reads nothing.
    pub async fn connect(http: H, cfg: DatabricksConfig) -> Result<DatabricksSession<H>> {
        let mut s = DatabricksSession {
            http,
            cfg,
            open: None,
            running: Rc::default(),
        };
        s.run("SELECT 1", Vec::new()).await?;
        Ok(s)
    }

    /// What cancels this session's running statement from outside it.
    pub fn cancel_token(&self) -> CancelToken {
        CancelToken {
            cfg: self.cfg.clone(),
            running: self.running.clone(),
        }
    }

    /// Sends a request, again after the wait the server asks for on 429 and 503 (as the SDK).
    async fn send(&self, req: Request) -> Result<Json> {
        let mut attempt = 1;
        loop {
            let resp = self.http.send(req.clone()).await?;
            match resp.status {
                200 => return parse_json(&resp),
                429 | 503 if attempt < MAX_ATTEMPTS => {
                    let secs = resp
                        .header("retry-after")
                        .and_then(|s| s.trim().parse::<u32>().ok())
                        .unwrap_or(1)
                        .min(30);
                    self.http.pause(secs * 1000).await;
                    attempt += 1;
                }
                _ => return Err(reply_error(&resp)),
            }
        }
    }

    /// Runs a statement until it ends: its final reply (SUCCEEDED), or its error.
    async fn run(&mut self, statement: &str, parameters: Vec<Json>) -> Result<Json> {
        let mut body = json!({
            "warehouse_id": self.cfg.warehouse_id,
            "statement": statement,
            "wait_timeout": self.cfg.wait_timeout,
            "on_wait_timeout": if self.cfg.cancel_on_wait_timeout { "CANCEL" } else { "CONTINUE" },
            "disposition": if self.cfg.external_links { "EXTERNAL_LINKS" } else { "INLINE" },
            "format": "JSON_ARRAY",
        });
        if !parameters.is_empty() {
            body["parameters"] = Json::Array(parameters);
        }
        if let Some(c) = &self.cfg.catalog {
            body["catalog"] = json!(c);
        }
        if let Some(s) = &self.cfg.schema {
            body["schema"] = json!(s);
        }
        let mut reply = self
            .send(self.cfg.request("POST", STATEMENTS, Some(body)))
            .await?;
        let id = reply["statement_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        *self.running.borrow_mut() = Some(id.clone());
        let result = loop {
            match reply["status"]["state"].as_str().unwrap_or("") {
                "PENDING" | "RUNNING" => {
                    self.http.pause(POLL_MS).await;
                    let path = format!("{STATEMENTS}/{id}");
                    match self.send(self.cfg.request("GET", &path, None)).await {
                        Ok(r) => reply = r,
                        Err(e) => break Err(e),
                    }
                }
                "SUCCEEDED" => break Ok(reply),
                "FAILED" => break Err(statement_error(&reply["status"])),
                "CANCELED" if self.cfg.cancel_on_wait_timeout => {
                    let mut e = Error::operational(format!(
                        "the statement timed out: the warehouse stopped it after {}",
                        self.cfg.wait_timeout
                    ));
                    e.code = Some("57014".into());
                    break Err(e);
                }
                "CANCELED" => {
                    let mut e = Error::operational("the statement was cancelled");
                    e.code = Some("57014".into());
                    break Err(e);
                }
                "CLOSED" => break Err(Error::operational("the statement's results were closed")),
                other => break Err(Error::malformed(format!("statement state {other:?}"))),
            }
        };
        *self.running.borrow_mut() = None;
        result
    }

    /// The rows of one chunk (`ResultData`), inline or from its external link.
    async fn chunk_rows(
        &self,
        mut data: Json,
        types: &[DType],
    ) -> Result<(Vec<Vec<Value>>, Option<String>)> {
        let (cells, next) = match data["external_links"].as_array().and_then(|l| l.first()) {
            Some(link) => {
                let url = link["external_link"]
                    .as_str()
                    .ok_or_else(|| Error::malformed("an external link without a URL"))?;
                // Storage authenticates by the link and its headers, never by our token.
                let headers = link["http_headers"]
                    .as_object()
                    .map(|h| {
                        h.iter()
                            .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                let resp = self
                    .http
                    .send(Request {
                        method: "GET",
                        url: url.to_string(),
                        headers,
                        body: None,
                    })
                    .await?;
                if resp.status != 200 {
                    // Storage's error body may quote the link's signature: only its code.
                    let body = String::from_utf8_lossy(&resp.body);
                    let code = body
                        .split_once("<Code>")
                        .and_then(|(_, r)| r.split_once("</Code>"))
                        .map(|(c, _)| c.chars().take(64).collect::<String>())
                        .unwrap_or_default();
                    return Err(Error::operational(format!(
                        "could not read a result chunk from storage (HTTP {}) {code}",
                        resp.status
                    )));
                }
                (
                    parse_json(&resp)?,
                    link["next_chunk_internal_link"]
                        .as_str()
                        .map(str::to_string),
                )
            }
            None => (
                data["data_array"].take(),
                data["next_chunk_internal_link"]
                    .as_str()
                    .map(str::to_string),
            ),
        };
        let rows = match cells {
            Json::Null => Vec::new(),
            Json::Array(rows) => json_rows(rows, types, |t, c| decode(t, &c))?,
            other => return Err(Error::malformed(format!("data_array is {other}"))),
        };
        Ok((rows, next))
    }
}

impl<H: HttpClient> Backend for DatabricksSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.open = None;
        let scanned = sql::scan_for(stmt, &params)?;
        let named = matches!(params, Params::Named(_));
        let values = scanned.order(params)?;
        // Markers are named: `?` and `$n` become `:p1`, `:p2`, …
        let names: Vec<String> = if named {
            scanned.names.clone()
        } else {
            (1..=values.len()).map(|i| format!("p{i}")).collect()
        };
        let parameters = names
            .iter()
            .zip(&values)
            .map(|(n, v)| parameter(n, v))
            .collect::<Result<Vec<_>>>()?;
        let markers: Vec<String> = names.iter().map(|n| format!(":{n}")).collect();
        let statement = scanned.render(&markers);
        let mut reply = self.run(&statement.sql, parameters).await?;
        let columns = reply["manifest"]["schema"]["columns"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if columns.is_empty() {
            return Ok(Outcome {
                columns: None,
                rows: Vec::new(),
                more: false,
                rowcount: -1,
            });
        }
        let types: Vec<DType> = columns.iter().map(DType::of).collect();
        let (rows, next) = self.chunk_rows(reply["result"].take(), &types).await?;
        // DML answers one row of counts: that is its rowcount, not a result.
        let first = columns.first().and_then(|c| c["name"].as_str());
        if scanned.writes && !scanned.returning && first == Some("num_affected_rows") {
            let affected = match rows.first().and_then(|r| r.first()) {
                Some(Value::Int(n)) => *n,
                _ => -1,
            };
            return Ok(Outcome {
                columns: None,
                rows: Vec::new(),
                more: false,
                rowcount: affected,
            });
        }
        let cols: Vec<Column> = columns
            .iter()
            .zip(&types)
            .map(|(c, t)| {
                let type_code = c["type_text"].as_str().or_else(|| c["type_name"].as_str());
                Column {
                    precision: int(&c["type_precision"]),
                    scale: int(&c["type_scale"]),
                    ..Column::new(
                        c["name"].as_str().unwrap_or_default(),
                        type_code.unwrap_or_default(),
                        t == &DType::Long,
                    )
                }
            })
            .collect();
        let total = int(&reply["manifest"]["total_row_count"]).unwrap_or(-1);
        let more = next.is_some();
        let count = rows.len() as i64;
        self.open = next.map(|next| Open {
            types,
            next,
            rows: count,
        });
        Ok(Outcome {
            columns: Some(Rc::from(cols)),
            rows,
            more,
            rowcount: if total >= 0 {
                total
            } else if more {
                -1
            } else {
                count
            },
        })
    }

    /// One statement per parameter set: the API has no batches.
    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        let mut total = 0;
        for params in param_sets {
            let outcome = self.execute(stmt, params).await?;
            total = if total >= 0 && outcome.rowcount >= 0 {
                total + outcome.rowcount
            } else {
                -1
            };
        }
        self.open = None;
        Ok(total)
    }

    async fn fetch(&mut self) -> Result<Batch> {
        // Taken out: a failed chunk ends the result; a chunk with more after it puts it back.
        let Some(mut open) = self.open.take() else {
            return Ok(Batch::end(-1));
        };
        let data = self.send(self.cfg.request("GET", &open.next, None)).await?;
        let (rows, next) = self.chunk_rows(data, &open.types).await?;
        open.rows += rows.len() as i64;
        let (done, rowcount) = (next.is_none(), open.rows);
        if let Some(next) = next {
            open.next = next;
            self.open = Some(open);
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

    crate::autocommit_only!("the Databricks Statement Execution API");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sqlalchemy_url() {
        let c = DatabricksConfig::from_url(
            "databricks://token:dapi123@adb-1.2.azuredatabricks.net?http_path=/sql/1.0/warehouses/abc123&catalog=main&schema=sales",
        )
        .unwrap();
        assert_eq!(c.base_url, "https://adb-1.2.azuredatabricks.net:443");
        assert_eq!(
            (c.token.as_str(), c.warehouse_id.as_str()),
            ("dapi123", "abc123")
        );
        assert_eq!(
            (c.catalog.as_deref(), c.schema.as_deref()),
            (Some("main"), Some("sales"))
        );
        let r = c.request("POST", STATEMENTS, Some(json!({})));
        assert!(r
            .headers
            .contains(&("Authorization".into(), "Bearer dapi123".into())));
        let e = DatabricksConfig::from_url(
            "databricks://token:dapi123@h?http_path=sql/protocolv1/o/1/0123-abc",
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
        let e = DatabricksConfig::from_url("databricks://token:dapiSECRET@h").unwrap_err();
        assert!(e.message.contains("http_path") && !e.message.contains("dapiSECRET"));
        assert_eq!(warehouse_id("/sql/1.0/endpoints/old1").unwrap(), "old1");
    }

    #[test]
    fn parameters_are_typed_strings() {
        assert_eq!(
            parameter("a", &Value::Int(i64::MAX)).unwrap(),
            json!({"name": "a", "value": "9223372036854775807", "type": "BIGINT"})
        );
        assert_eq!(
            parameter("n", &Value::Null).unwrap(),
            json!({"name": "n", "value": null})
        );
        assert_eq!(
            parameter("s", &Value::Text("x".into())).unwrap(),
            json!({"name": "s", "value": "x"})
        );
        assert_eq!(
            parameter("d", &Value::Decimal("-0012.340".into())).unwrap(),
            json!({"name": "d", "value": "-0012.340", "type": "DECIMAL(5,3)"})
        );
        assert_eq!(
            parameter("t", &Value::TimestampTz(1_500)).unwrap()["value"],
            "1970-01-01T00:00:00.0015Z"
        );
        assert!(parameter("d", &Value::Decimal("1".repeat(39))).is_err());
        assert_eq!(
            parameter("b", &Value::Bytes(vec![])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }

    #[test]
    fn decodes_json_array_cells() {
        let d = |t: &str, v: &str| decode(&DType::of(&json!({"type_name": t})), &json!(v)).unwrap();
        assert_eq!(d("LONG", "9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(d("BOOLEAN", "true"), Value::Bool(true));
        assert_eq!(
            d("DECIMAL", "12345678901234567890.123456789012345678"),
            Value::Decimal("12345678901234567890.123456789012345678".into())
        );
        assert_eq!(
            d("TIMESTAMP", "2024-01-31T12:00:00.000Z"),
            Value::TimestampTz(1_706_702_400_000_000)
        );
        assert_eq!(
            d("TIMESTAMP", "2024-01-31 13:00:00+01:00"),
            Value::TimestampTz(1_706_702_400_000_000)
        );
        assert_eq!(d("DATE", "1970-01-02"), Value::Date(1));
        assert_eq!(d("BINARY", "00ff"), Value::Bytes(vec![0, 255]));
        assert_eq!(d("ARRAY", "[1,2]"), Value::Json("[1,2]".into()));
        assert!(matches!(d("DOUBLE", "NaN"), Value::Float(f) if f.is_nan()));
        assert!(decode(&DType::Int, &json!("1.5")).is_err());
    }

    #[test]
    fn failed_statements_carry_their_sqlstate() {
        let e = statement_error(&json!({"state": "FAILED", "sql_state": "42P01",
            "error": {"error_code": "BAD_REQUEST", "message": "[TABLE_OR_VIEW_NOT_FOUND] …"}}));
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Programming, Some("42P01"))
        );
    }
}

//! CrateDB over its HTTP endpoint, `POST /_sql?types=true` (shared/protocols/cratedb-http.md).
//!
//! Each statement is one request; the server sends the whole result in one body, which is kept
//! as JSON and decoded into values one batch at a time as the cursor fetches. `executemany` is
//! one request with `bulk_args`. CrateDB has no transactions: every statement commits.

use std::rc::Rc;

use serde_json::{json, Value as Json};

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{
    auth_failed, base_url, basic_auth, parse_json, HttpClient, Request, Response,
};
use crate::core::sql;
use crate::core::value::{self, Value};
use crate::core::{Backend, Batch, Column, Outcome, Params, Row};

pub const DEFAULT_PORT: u16 = 4200;
/// Rows decoded per batch: the body is held as JSON, values are made as they are fetched.
pub const DEFAULT_FETCH_SIZE: u32 = 5000;

#[derive(Clone, Debug)]
pub struct CrateConfig {
    /// `http://host:4200` or `https://…`.
    pub base_url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Sent as `Default-Schema` with every request.
    pub schema: Option<String>,
    pub fetch_size: u32,
}

impl CrateConfig {
    /// Reads `crate://[user[:password]@]host[:4200][/schema][?schema=&ssl=true]`, or an
    /// `http://` / `https://` node URL as crate-python takes.
    pub fn from_url(url: &str) -> Result<CrateConfig> {
        let dsn = Dsn::parse_as(url, &["crate", "http", "https"], "CrateDB")?;
        let mut https = dsn.scheme == "https";
        let mut cfg = CrateConfig {
            base_url: String::new(),
            user: dsn.user,
            password: dsn.password,
            schema: Some(dsn.path.trim_end_matches('/').to_string()).filter(|s| !s.is_empty()),
            fetch_size: DEFAULT_FETCH_SIZE,
        };
        for (k, v) in dsn.params {
            match k.as_str() {
                "schema" => cfg.schema = Some(v).filter(|s| !s.is_empty()),
                "ssl" => https = parse_bool(&k, &v)?,
                "user" | "username" => cfg.user = Some(v),
                "password" => cfg.password = Some(v),
                // Browsers always verify certificates.
                "verify_ssl_cert" if parse_bool(&k, &v)? => {}
                "verify_ssl_cert" => {
                    return Err(Error::not_supported(
                        "verify_ssl_cert=false: browsers always verify TLS certificates",
                    ))
                }
                _ => {
                    return Err(Error::interface(format!(
                        "unknown CrateDB URL parameter {k:?} (known: schema, ssl, user, password, verify_ssl_cert)"
                    )))
                }
            }
        }
        cfg.base_url = base_url(https, &dsn.host, dsn.port.unwrap_or(DEFAULT_PORT));
        Ok(cfg)
    }

    fn request(&self, method: &'static str, path: &str, body: Option<Json>) -> Request {
        let auth = self
            .user
            .as_ref()
            .map(|u| basic_auth(u, self.password.as_deref().unwrap_or("")));
        let mut req = Request::json(method, format!("{}{path}", self.base_url), auth, body);
        if let Some(schema) = &self.schema {
            req.headers.push(("Default-Schema".into(), schema.clone()));
        }
        req
    }
}

/// The body of a statement request: `stmt` with `$n` placeholders and its arguments.
pub fn sql_body(stmt: &str, args: Option<Vec<Json>>, bulk_args: Option<Vec<Json>>) -> Json {
    let mut body = json!({ "stmt": stmt });
    if let Some(a) = args.filter(|a| !a.is_empty()) {
        body["args"] = Json::Array(a);
    }
    if let Some(b) = bulk_args {
        body["bulk_args"] = Json::Array(b);
    }
    body
}

/// A parameter as JSON, as crate-python sends them: timestamps as epoch milliseconds (ISO text
/// when they carry microseconds, which milliseconds would lose), decimals as exact text.
pub fn arg(v: &Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => match value::non_finite_text(*f) {
            Some(text) => json!(text),
            None => json!(f),
        },
        Value::Decimal(s) | Value::Text(s) => json!(s),
        Value::Bytes(_) => {
            return Err(Error::not_supported(
                "CrateDB has no binary type: pass bytes as base64 or hex text",
            ))
        }
        Value::Date(d) => json!(i64::from(*d) * 86_400_000),
        Value::Timestamp(t) | Value::TimestampTz(t) if t % 1000 == 0 => json!(t / 1000),
        Value::Timestamp(t) => json!(value::format_timestamp(*t, false)),
        Value::TimestampTz(t) => json!(value::format_timestamp(*t, true)),
        Value::Time(t) => json!(value::format_time(*t)),
        Value::Interval(iv) => json!(value::format_interval(*iv)),
        Value::Uuid(u) => json!(value::format_uuid(u)),
        Value::Json(text) => serde_json::from_str(text)
            .map_err(|_| Error::data("a JSON parameter is not valid JSON"))?,
        Value::Array(items) => Json::Array(items.iter().map(arg).collect::<Result<_>>()?),
    })
}

/// A CrateDB error code onto its PEP 249 class (codes in the protocol notes' error table).
pub fn error_kind(code: i64) -> ErrorKind {
    match code {
        4004 => ErrorKind::NotSupported,
        4003 => ErrorKind::Data,
        4091 => ErrorKind::Integrity,
        4092 | 4290 => ErrorKind::Operational,
        4000..=4099 | 40000..=40999 => ErrorKind::Programming,
        5000 => ErrorKind::Internal,
        5001..=5099 => ErrorKind::Operational,
        _ => ErrorKind::Database,
    }
}

fn server_error(code: Option<i64>, message: &str) -> Error {
    let mut e = Error::new(code.map_or(ErrorKind::Database, error_kind), message);
    e.code = code.map(|c| c.to_string());
    e
}

/// Any reply other than 200 as the error it reports.
pub fn reply_error(resp: &Response, user: Option<&str>) -> Error {
    if resp.is_json() {
        if let Ok(body) = parse_json(resp) {
            let err = &body["error"];
            if let Some(message) = err["message"].as_str() {
                return server_error(err["code"].as_i64(), message);
            }
            // Bulk replies of old servers.
            if let Some(message) = body["error_message"].as_str() {
                return server_error(None, message);
            }
        }
    }
    match resp.status {
        401 => auth_failed(user.unwrap_or("crate"), &resp.excerpt()),
        s => Error::operational(format!("CrateDB answered HTTP {s}: {}", resp.excerpt())),
    }
}

/// A JSON array, or a malformed-reply error naming the field.
fn array(v: &mut Json, field: &str) -> Result<Vec<Json>> {
    match v.get_mut(field).map(Json::take) {
        Some(Json::Array(a)) => Ok(a),
        _ => Err(Error::malformed(format!("no {field} array in the reply"))),
    }
}

#[derive(Debug)]
/// What a `/_sql` reply holds for a statement.
pub struct Reply {
    /// Empty for statements without a result set.
    pub columns: Vec<Column>,
    pub types: Vec<Json>,
    pub rows: Vec<Json>,
    pub rowcount: i64,
}

pub fn parse_reply(resp: &Response) -> Result<Reply> {
    let mut body = parse_json(resp)?;
    let cols = array(&mut body, "cols")?;
    let types = match body.get_mut("col_types").map(Json::take) {
        Some(Json::Array(t)) if t.len() == cols.len() => t,
        None | Some(Json::Null) => vec![Json::Null; cols.len()],
        Some(_) => return Err(Error::malformed("col_types does not match cols")),
    };
    let columns = cols
        .iter()
        .zip(&types)
        .map(|(name, ty)| {
            let type_code = type_name(ty);
            let int64 = type_code.trim_start_matches("array(").starts_with("bigint");
            Column::new(name.as_str().unwrap_or_default(), type_code, int64)
        })
        .collect::<Vec<_>>();
    // A statement without a result set answers `rows: [[]]`: one empty row, not a row.
    let rows = if columns.is_empty() {
        Vec::new()
    } else {
        array(&mut body, "rows")?
    };
    let rowcount = body["rowcount"].as_i64().unwrap_or(-1);
    Ok(Reply {
        columns,
        types,
        rows,
        rowcount,
    })
}

/// CrateDB's name for a type id from `col_types` (`[100, inner]` for arrays).
pub fn type_name(ty: &Json) -> String {
    if let Some([outer, inner]) = ty.as_array().map(Vec::as_slice) {
        if outer.as_i64() == Some(100) {
            return format!("array({})", type_name(inner));
        }
    }
    match ty.as_i64() {
        Some(0) => "undefined",
        Some(2) => "\"char\"",
        Some(3) => "boolean",
        Some(4) => "text",
        Some(5) => "ip",
        Some(6) => "double precision",
        Some(7) => "real",
        Some(8) => "smallint",
        Some(9) => "integer",
        Some(10) => "bigint",
        Some(11) => "timestamp with time zone",
        Some(12) | Some(16) => "object",
        Some(13) => "geo_point",
        Some(14) => "geo_shape",
        Some(15) => "timestamp without time zone",
        Some(17) => "interval",
        Some(18) => "record",
        Some(19) => "regproc",
        Some(20) => "time with time zone",
        Some(21) => "oidvector",
        Some(22) => "numeric",
        Some(23) => "regclass",
        Some(24) => "date",
        Some(25) => "bit",
        Some(26) => "json",
        Some(27) => "character",
        Some(28) => "float_vector",
        Some(29) => "uuid",
        Some(30) => "regtype",
        _ => "unknown",
    }
    .to_string()
}

const MS_PER_DAY: i64 = 86_400_000;

/// A JSON value of CrateDB type `ty` as a [`Value`]. Unknown types are read by their JSON shape.
pub fn decode(ty: &Json, v: Json) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let bad = |what: &str, v: &Json| Error::malformed(format!("{what} value {v}"));
    if let Some([outer, inner]) = ty.as_array().map(Vec::as_slice) {
        if outer.as_i64() == Some(100) {
            return match v {
                Json::Array(items) => Ok(Value::Array(
                    items
                        .into_iter()
                        .map(|x| decode(inner, x))
                        .collect::<Result<_>>()?,
                )),
                other => Err(bad("array", &other)),
            };
        }
    }
    let int = |v: &Json| v.as_i64().ok_or_else(|| bad("integer", v));
    Ok(match ty.as_i64() {
        Some(2 | 8 | 9 | 10 | 23) => Value::Int(int(&v)?),
        Some(3) => Value::Bool(v.as_bool().ok_or_else(|| bad("boolean", &v))?),
        Some(6 | 7) => Value::Float(float(&v).ok_or_else(|| bad("double", &v))?),
        Some(11) => Value::TimestampTz(millis_to_micros(int(&v)?)?),
        Some(15) => Value::Timestamp(millis_to_micros(int(&v)?)?),
        Some(24) => Value::Date(
            i32::try_from(int(&v)?.div_euclid(MS_PER_DAY)).map_err(|_| bad("date", &v))?,
        ),
        Some(12 | 14 | 16) => Value::Json(v.to_string()),
        Some(26) => match v {
            Json::String(s) => Value::Json(s),
            other => Value::Json(other.to_string()),
        },
        Some(13 | 21 | 28) => match v {
            Json::Array(items) => {
                Value::Array(items.into_iter().map(untyped).collect::<Result<_>>()?)
            }
            other => return Err(bad("array", &other)),
        },
        Some(22) => match &v {
            Json::Number(n) => Value::Decimal(plain_decimal(&n.to_string())),
            Json::String(s) => Value::Decimal(s.clone()),
            other => return Err(bad("numeric", other)),
        },
        Some(29) => match v {
            Json::String(s) => value::parse_uuid(&s).map_or(Value::Text(s), Value::Uuid),
            other => return Err(bad("uuid", &other)),
        },
        Some(20) => time_with_zone(&v).ok_or_else(|| bad("time with time zone", &v))?,
        _ => untyped(v)?,
    })
}

fn millis_to_micros(ms: i64) -> Result<i64> {
    ms.checked_mul(1000)
        .ok_or_else(|| Error::data(format!("timestamp {ms} ms is out of range")))
}

/// Doubles are JSON numbers; a server may quote the non-finite ones.
fn float(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// A value read by its JSON shape: integers stay exact (beyond i64 as decimals).
fn untyped(v: Json) -> Result<Value> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => {
                let text = n.to_string();
                if text.contains(['.', 'e', 'E']) {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                } else {
                    Value::Decimal(text)
                }
            }
        },
        Json::String(s) => Value::Text(s),
        Json::Array(items) => Value::Array(items.into_iter().map(untyped).collect::<Result<_>>()?),
        obj @ Json::Object(_) => Value::Json(obj.to_string()),
    })
}

/// `[micros since midnight, zone offset in seconds]` as `HH:MM:SS[.ffffff]±HH:MM`.
fn time_with_zone(v: &Json) -> Option<Value> {
    let [micros, offset] = v.as_array()?.as_slice() else {
        return None;
    };
    let (micros, offset) = (micros.as_i64()?, offset.as_i64()?);
    if !(0..86_400_000_000).contains(&micros) || offset.abs() > 86_400 {
        return None;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    Some(Value::Text(format!(
        "{}{sign}{:02}:{:02}",
        value::format_time(micros),
        off / 3600,
        off / 60 % 60
    )))
}

/// A JSON number literal in plain notation (`1.5E+3` → `1500`), digit for digit. An exponent
/// beyond ±1000 is kept as written (exact still, and no runaway strings of zeros).
pub fn plain_decimal(lit: &str) -> String {
    let Some(e) = lit.find(['e', 'E']) else {
        return lit.to_string();
    };
    let Some(exp) = lit[e + 1..].parse::<i64>().ok().filter(|x| x.abs() <= 1000) else {
        return lit.to_string();
    };
    let mantissa = &lit[..e];
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + exp; // position of the decimal point in `digits`
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    let body = body.trim_start_matches('0');
    let body = if body.is_empty() || body.starts_with('.') {
        format!("0{body}")
    } else {
        body.to_string()
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// The open result: its rows still as JSON, decoded a batch at a time.
struct Pending {
    types: Vec<Json>,
    rows: std::vec::IntoIter<Json>,
    rowcount: i64,
}

pub struct CrateSession<H> {
    http: H,
    cfg: CrateConfig,
    pending: Option<Pending>,
    /// The node's version, from `GET /` at connect.
    pub server_version: String,
}

impl<H: HttpClient> CrateSession<H> {
    /// Asks the node who it is, as crate-python does: this checks the address and credentials.
    pub async fn connect(http: H, cfg: CrateConfig) -> Result<CrateSession<H>> {
        let resp = http.send(cfg.request("GET", "/", None)).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, cfg.user.as_deref()));
        }
        let info = parse_json(&resp)
            .map_err(|_| Error::malformed("GET / did not answer CrateDB's node info"))?;
        let server_version = info["version"]["number"]
            .as_str()
            .ok_or_else(|| Error::malformed("GET / did not answer CrateDB's node info"))?
            .to_string();
        Ok(CrateSession {
            http,
            cfg,
            pending: None,
            server_version,
        })
    }

    async fn post_sql(&self, body: Json) -> Result<Response> {
        let req = self.cfg.request("POST", "/_sql?types=true", Some(body));
        let resp = self.http.send(req).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, self.cfg.user.as_deref()));
        }
        Ok(resp)
    }

    fn next_batch(&mut self) -> Result<Batch> {
        let Some(p) = self.pending.as_mut() else {
            return Ok(Batch::end(-1));
        };
        let mut rows = Vec::new();
        for raw in p.rows.by_ref().take(self.cfg.fetch_size as usize) {
            rows.push(decode_row(&p.types, raw)?);
        }
        let done = p.rows.len() == 0;
        let rowcount = p.rowcount;
        if done {
            self.pending = None;
        }
        Ok(Batch {
            rows,
            done,
            rowcount,
        })
    }
}

fn decode_row(types: &[Json], raw: Json) -> Result<Row> {
    let Json::Array(cells) = raw else {
        return Err(Error::malformed("a row is not an array"));
    };
    if cells.len() != types.len() {
        return Err(Error::malformed("a row has the wrong number of values"));
    }
    types
        .iter()
        .zip(cells)
        .map(|(ty, v)| decode(ty, v))
        .collect()
}

fn args(scanned: &sql::Scanned, params: Params) -> Result<Vec<Json>> {
    scanned.order(params)?.iter().map(arg).collect()
}

impl<H: HttpClient> Backend for CrateSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.pending = None;
        let scanned = sql::scan_for(stmt, &params)?;
        let args = args(&scanned, params)?;
        let resp = self
            .post_sql(sql_body(&scanned.sql, Some(args), None))
            .await?;
        let reply = parse_reply(&resp)?;
        if reply.columns.is_empty() {
            return Ok(Outcome {
                columns: None,
                rows: Vec::new(),
                more: false,
                rowcount: reply.rowcount,
            });
        }
        let rowcount = if reply.rowcount >= 0 {
            reply.rowcount
        } else {
            reply.rows.len() as i64
        };
        self.pending = Some(Pending {
            types: reply.types,
            rows: reply.rows.into_iter(),
            rowcount,
        });
        let first = self.next_batch()?;
        Ok(Outcome {
            columns: Some(Rc::from(reply.columns)),
            rows: first.rows,
            more: !first.done,
            rowcount,
        })
    }

    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.pending = None;
        let Some(first) = param_sets.first() else {
            return Ok(0);
        };
        let scanned = sql::scan_for(stmt, first)?;
        let n = param_sets.len();
        let bulk = param_sets
            .into_iter()
            .map(|p| args(&scanned, p).map(Json::Array))
            .collect::<Result<Vec<_>>>()?;
        let resp = self
            .post_sql(sql_body(&scanned.sql, None, Some(bulk)))
            .await?;
        let mut body = parse_json(&resp)?;
        let results = array(&mut body, "results")?;
        let mut total = 0;
        let mut failed = Vec::new();
        for (i, r) in results.iter().enumerate() {
            match r["rowcount"].as_i64() {
                Some(c) if c >= 0 => total += c,
                _ => failed.push((i, &r["error"])),
            }
        }
        if let Some(&(i, err)) = failed.first() {
            // Rows before and after the failed ones were written: CrateDB has no transactions.
            let message = err["message"].as_str().unwrap_or("the row was not written");
            let mut e = server_error(
                err["code"].as_i64(),
                &format!(
                    "executemany: parameter set {} of {n} failed, {} failed in all, {total} row(s) written \
                     (CrateDB has no transactions to undo them): {message}",
                    i + 1,
                    failed.len()
                ),
            );
            if err["code"].is_null() {
                e.kind = ErrorKind::Database;
            }
            // Every row's outcome, as CrateDB reported it.
            let counts: Vec<String> = results
                .iter()
                .map(|r| r["rowcount"].as_i64().unwrap_or(-2).to_string())
                .collect();
            e.detail = Some(format!(
                "rowcount per parameter set (-2: failed): {}",
                counts.join(", ")
            ));
            return Err(e);
        }
        Ok(total)
    }

    async fn fetch(&mut self) -> Result<Batch> {
        self.next_batch()
    }

    async fn discard(&mut self) -> Result<()> {
        self.pending = None;
        Ok(())
    }

    crate::autocommit_only!("CrateDB");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_urls_like_the_official_clients() {
        let c = CrateConfig::from_url("crate://localhost:4200").unwrap();
        assert_eq!(
            (c.base_url.as_str(), c.user, c.schema),
            ("http://localhost:4200", None, None)
        );
        let c = CrateConfig::from_url("https://admin:p@ss:w/rd@db.cratedb.net:4200?schema=shop")
            .unwrap();
        assert_eq!(c.base_url, "https://db.cratedb.net:4200");
        assert_eq!(
            (c.user.as_deref(), c.password.as_deref()),
            (Some("admin"), Some("p@ss:w/rd"))
        );
        assert_eq!(c.schema.as_deref(), Some("shop"));
        let c = CrateConfig::from_url("crate://h/?ssl=true").unwrap();
        assert_eq!(c.base_url, "https://h:4200");
        let e = CrateConfig::from_url("crate://u:hunter2@h?sslmode=x").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Interface);
        assert!(!e.message.contains("hunter2"));
    }

    #[test]
    fn requests_carry_auth_schema_and_json() {
        let c = CrateConfig::from_url("crate://webdbc:secret@h:4201/doc2").unwrap();
        let r = c.request(
            "POST",
            "/_sql?types=true",
            Some(sql_body("SELECT $1", Some(vec![json!(1)]), None)),
        );
        assert_eq!(r.url, "http://h:4201/_sql?types=true");
        assert!(r
            .headers
            .contains(&("Authorization".into(), "Basic d2ViZGJjOnNlY3JldA==".into())));
        assert!(r
            .headers
            .contains(&("Default-Schema".into(), "doc2".into())));
        assert_eq!(r.body.unwrap(), br#"{"stmt":"SELECT $1","args":[1]}"#);
        let body = sql_body("SELECT 1", Some(vec![]), None);
        assert_eq!(body.to_string(), r#"{"stmt":"SELECT 1"}"#);
    }

    #[test]
    fn parameters_keep_their_precision() {
        assert_eq!(
            arg(&Value::Int(i64::MAX)).unwrap().to_string(),
            "9223372036854775807"
        );
        assert_eq!(arg(&Value::Decimal("1.10".into())).unwrap(), json!("1.10"));
        assert_eq!(arg(&Value::TimestampTz(1_500_000)).unwrap(), json!(1500));
        assert_eq!(
            arg(&Value::TimestampTz(1_500_001)).unwrap(),
            json!("1970-01-01T00:00:01.500001Z")
        );
        assert_eq!(arg(&Value::Date(1)).unwrap(), json!(86_400_000));
        let j = arg(&Value::Json(
            r#"{"big": 123456789012345678901234567890}"#.into(),
        ))
        .unwrap();
        assert_eq!(j.to_string(), r#"{"big":123456789012345678901234567890}"#);
        assert_eq!(
            arg(&Value::Bytes(vec![1])).unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }

    #[test]
    fn decodes_every_type_exactly() {
        let body = r#"{"cols":["a","b","c","d","e","f","g","h","i","j","k","l"],
            "col_types":[10,22,11,15,24,3,12,13,[100,[100,9]],26,29,20],
            "rows":[[9223372036854775807,123456789012345678901234567890.123456789012345678901234567890,
                     1709209800123,-1,86400000,true,{"k":[1,null],"n":1e400},[9.5,47.25],[[1,null],[]],
                     "{\"a\":1}","0d6b6d5c-3c5b-4b8e-9a4c-111111111111",[3723000500,-19800]]],
            "rowcount":1,"duration":1.5}"#;
        let r = parse_reply(&reply(200, body)).unwrap();
        assert_eq!(r.columns[0].type_code, "bigint");
        assert!(r.columns[0].int64 && !r.columns[1].int64);
        assert_eq!(r.columns[8].type_code, "array(array(integer))");
        let row = decode_row(&r.types, r.rows.into_iter().next().unwrap()).unwrap();
        assert_eq!(row[0], Value::Int(i64::MAX));
        assert_eq!(
            row[1],
            Value::Decimal("123456789012345678901234567890.123456789012345678901234567890".into())
        );
        assert_eq!(row[2], Value::TimestampTz(1_709_209_800_123_000));
        assert_eq!(row[3], Value::Timestamp(-1000));
        assert_eq!(row[4], Value::Date(1));
        assert_eq!(row[5], Value::Bool(true));
        assert_eq!(row[6], Value::Json(r#"{"k":[1,null],"n":1e+400}"#.into()));
        assert_eq!(
            row[7],
            Value::Array(vec![Value::Float(9.5), Value::Float(47.25)])
        );
        assert_eq!(
            row[8],
            Value::Array(vec![
                Value::Array(vec![Value::Int(1), Value::Null]),
                Value::Array(vec![])
            ])
        );
        assert_eq!(row[9], Value::Json(r#"{"a":1}"#.into()));
        assert!(matches!(row[10], Value::Uuid(u) if u[0] == 0x0d && u[15] == 0x11));
        assert_eq!(row[11], Value::Text("01:02:03.0005-05:30".into()));
    }

    #[test]
    fn statements_without_rows_and_errors() {
        let r = parse_reply(&reply(
            200,
            r#"{"cols":[],"col_types":[],"rows":[[]],"rowcount":3}"#,
        ))
        .unwrap();
        assert!(r.columns.is_empty() && r.rows.is_empty());
        assert_eq!(r.rowcount, 3);
        let e = reply_error(
            &reply(
                409,
                r#"{"error":{"message":"DuplicateKeyException[A document with the same primary key exists already]","code":4091}}"#,
            ),
            None,
        );
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Integrity, Some("4091"))
        );
        let e = reply_error(
            &reply(
                404,
                r#"{"error":{"message":"RelationUnknown[Relation 'doc.x' unknown]","code":4041}}"#,
            ),
            None,
        );
        assert_eq!(e.kind, ErrorKind::Programming);
        let text = Response {
            status: 401,
            content_type: "text/plain".into(),
            headers: Vec::new(),
            body: b"password authentication failed for user \"u\"".to_vec(),
        };
        let e = reply_error(&text, Some("u"));
        assert_eq!(e.kind, ErrorKind::Operational);
        assert!(e
            .message
            .starts_with("authentication failed for user \"u\" (HTTP 401)"));
        let e = parse_reply(&reply(200, r#"{"cols":["x"],"rows":[[1],["#)).unwrap_err();
        assert!(
            e.message.starts_with("malformed reply from server"),
            "{}",
            e.message
        );
    }

    #[test]
    fn plain_decimals() {
        assert_eq!(plain_decimal("1.5E+3"), "1500");
        assert_eq!(plain_decimal("-1.25e-3"), "-0.00125");
        assert_eq!(plain_decimal("12e0"), "12");
        assert_eq!(plain_decimal("123.45"), "123.45");
        assert_eq!(plain_decimal("0.5E1"), "5");
        for huge in [
            "1e100000000000",
            "1e99999999999999999999",
            "-1e9223372036854775807",
        ] {
            assert_eq!(plain_decimal(huge), huge);
        }
    }
}

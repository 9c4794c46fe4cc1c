//! CrateDB's connection URL and the requests it makes.

use serde_json::{json, Value as Json};

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, Result};
use crate::core::http::{base_url, basic_auth, Request};

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

    pub(super) fn request(&self, method: &'static str, path: &str, body: Option<Json>) -> Request {
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

    /// `POST /_sql?types=true` of `stmt` (with `$n` placeholders) and its arguments, or its
    /// parameter sets as `bulk_args`.
    pub(super) fn sql(&self, stmt: &str, args: Vec<Json>, bulk_args: Option<Vec<Json>>) -> Request {
        self.request(
            "POST",
            "/_sql?types=true",
            Some(sql_body(stmt, args, bulk_args)),
        )
    }
}

fn sql_body(stmt: &str, args: Vec<Json>, bulk_args: Option<Vec<Json>>) -> Json {
    let mut body = json!({ "stmt": stmt });
    if !args.is_empty() {
        body["args"] = Json::Array(args);
    }
    if let Some(b) = bulk_args {
        body["bulk_args"] = Json::Array(b);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorKind;

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
        let r = c.sql("SELECT $1", vec![json!(1)], None);
        assert_eq!(r.url, "http://h:4201/_sql?types=true");
        assert!(r
            .headers
            .contains(&("Authorization".into(), "Basic d2ViZGJjOnNlY3JldA==".into())));
        assert!(r
            .headers
            .contains(&("Default-Schema".into(), "doc2".into())));
        assert_eq!(r.body.unwrap(), br#"{"stmt":"SELECT $1","args":[1]}"#);
        let body = sql_body("SELECT 1", vec![], None);
        assert_eq!(body.to_string(), r#"{"stmt":"SELECT 1"}"#);
    }
}

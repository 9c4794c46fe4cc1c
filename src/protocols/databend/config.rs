//! Databend's connection URL (bendsql's DSN) and the requests it makes.

use serde_json::{json, Map, Value as Json};

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, Result};
use crate::core::http::{base_url, basic_auth, Request};

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
}

//! Databricks' connection URL (the SQLAlchemy dialect's) and the requests it makes.

use serde_json::Value as Json;

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, Result};
use crate::core::http::{base_url, Request};

pub(super) const STATEMENTS: &str = "/api/2.0/sql/statements";

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

    pub(super) fn request(&self, method: &'static str, path: &str, body: Option<Json>) -> Request {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorKind;
    use serde_json::json;

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
}

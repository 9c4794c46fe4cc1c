//! QuestDB's connection URL and the requests it makes.

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, Result};
use crate::core::http::{base_url, basic_auth, encode_component, Request};

pub const DEFAULT_PORT: u16 = 9000;
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

    pub(super) fn headers(&self) -> Vec<(String, String)> {
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
            timeout_ms: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

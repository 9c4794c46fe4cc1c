//! PostgreSQL frontend/backend protocol v3. Message codecs come from `postgres-protocol` (sans-IO);
//! this module adds configuration, SCRAM with its key cache, the session state machine and value
//! codecs.

mod cancel;
mod error;
mod query;
mod query_many;
mod scram;
mod session;
mod simple_query;
mod startup;
pub mod types;

pub use cancel::CancelToken;
pub use session::PgSession;

use crate::core::dsn::{parse_bool, Dsn};
use crate::core::error::{Error, Result};

pub const DEFAULT_PORT: u16 = 5432;
/// QuestDB's Postgres-wire port: `questdb://` URLs with it speak this protocol, others QuestDB's
/// REST API.
pub const QUESTDB_PORT: u16 = 8812;
/// Rows per Execute while streaming: bounds the rows held in memory per open result.
pub const DEFAULT_FETCH_SIZE: u32 = 5000;

#[derive(Clone, Debug)]
pub struct PgConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: Option<String>,
    pub application_name: String,
    /// `-c name=value ...` from the URL's `options`.
    pub options: Option<String>,
    /// Milliseconds; sent as the `statement_timeout` setting.
    pub statement_timeout_ms: Option<u64>,
    pub connect_timeout_ms: Option<u64>,
    /// `None`: PEP 249's default, off; on for CrateDB, which has no transactions.
    pub autocommit: Option<bool>,
    pub fetch_size: u32,
    /// The largest message accepted from the server (a row, mostly); a larger declared length
    /// is an error before anything is allocated for it.
    pub max_message_bytes: u32,
}

impl PgConfig {
    /// Reads a `postgres://` or `postgresql://` URL with libpq's usual query parameters; also
    /// `crate+pg://` (CrateDB's wire, user `crate` by default) and `questdb://host:8812` (QuestDB's
    /// wire, user `admin` by default; `connect()` sends other questdb:// ports to its REST API).
    pub fn from_url(url: &str) -> Result<PgConfig> {
        let dsn = Dsn::parse_as(
            url,
            &["postgres", "postgresql", "crate+pg", "questdb"],
            "the Postgres wire protocol",
        )?;
        let (port, user) = match dsn.scheme.as_str() {
            "crate+pg" => (DEFAULT_PORT, "crate"),
            "questdb" => (QUESTDB_PORT, "admin"),
            _ => (DEFAULT_PORT, ""),
        };
        let mut cfg = PgConfig {
            host: dsn.host,
            port: dsn.port.unwrap_or(port),
            user: dsn.user.unwrap_or_else(|| user.into()),
            password: dsn.password,
            database: Some(dsn.path).filter(|d| !d.is_empty()),
            application_name: "webdbc".into(),
            options: None,
            statement_timeout_ms: None,
            connect_timeout_ms: None,
            autocommit: None,
            fetch_size: DEFAULT_FETCH_SIZE,
            max_message_bytes: crate::core::DEFAULT_MAX_MESSAGE_BYTES,
        };
        for (k, v) in dsn.params {
            match k.as_str() {
                "user" => cfg.user = v,
                "password" => cfg.password = Some(v),
                "dbname" => cfg.database = Some(v),
                "application_name" => cfg.application_name = v,
                "options" => cfg.options = Some(v),
                "connect_timeout" => cfg.connect_timeout_ms = Some(parse_number(&k, &v)? * 1000),
                "statement_timeout" => cfg.statement_timeout_ms = Some(parse_number(&k, &v)?),
                "autocommit" => cfg.autocommit = Some(parse_bool(&k, &v)?),
                "client_encoding" if v.eq_ignore_ascii_case("utf8") || v.eq_ignore_ascii_case("utf-8") => {}
                "client_encoding" => {
                    return Err(Error::not_supported("client_encoding other than UTF8 is not supported"))
                }
                "sslmode" => match v.as_str() {
                    "disable" | "allow" | "prefer" => {}
                    "require" | "verify-ca" | "verify-full" => {
                        return Err(Error::not_supported(format!(
                            "sslmode={v}: TLS inside the relay stream is not supported yet; use a wss:// relay \
                             and keep the relay-to-database hop on a trusted network, then sslmode=disable or prefer"
                        )))
                    }
                    _ => return Err(Error::interface(format!("invalid sslmode {v:?}"))),
                },
                "host" | "port" | "hostaddr" => {
                    return Err(Error::not_supported(format!("URL parameter {k} is not supported; put it in the URL's host part")))
                }
                _ => return Err(Error::interface(format!("unknown URL parameter {k:?}"))),
            }
        }
        if cfg.user.is_empty() {
            return Err(Error::interface(
                "the connection URL names no user (postgres://USER@host/db)",
            ));
        }
        Ok(cfg)
    }

    /// The parameters of the StartupMessage, including the settings the value parsers rely on.
    pub fn startup_params(&self) -> Vec<(&str, String)> {
        let mut p = vec![
            ("user", self.user.clone()),
            ("application_name", self.application_name.clone()),
            ("client_encoding", "UTF8".into()),
            ("DateStyle", "ISO, MDY".into()),
            ("IntervalStyle", "iso_8601".into()),
            ("extra_float_digits", "3".into()),
            ("bytea_output", "hex".into()),
        ];
        if let Some(db) = &self.database {
            p.push(("database", db.clone()));
        }
        let mut options = self.options.clone().unwrap_or_default();
        if let Some(ms) = self.statement_timeout_ms {
            // In `options`, where QuestDB reads it too (it ignores other startup settings).
            options = format!("{options} -c statement_timeout={ms}");
        }
        if !options.trim().is_empty() {
            p.push(("options", options.trim().to_string()));
        }
        p
    }
}

fn parse_number(name: &str, v: &str) -> Result<u64> {
    v.parse().map_err(|_| {
        Error::interface(format!(
            "URL parameter {name} expects a whole number, got {v:?}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    #[test]
    fn reads_libpq_parameters() {
        let c = PgConfig::from_url(
            "postgresql://app:pw@h:6543/shop?application_name=demo&connect_timeout=3&sslmode=prefer&options=-c%20search_path%3Dx",
        )
        .unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref(), c.port),
            ("app", Some("pw"), 6543)
        );
        assert_eq!(c.database.as_deref(), Some("shop"));
        assert_eq!(c.application_name, "demo");
        assert_eq!(c.connect_timeout_ms, Some(3000));
        assert_eq!(c.options.as_deref(), Some("-c search_path=x"));
        assert_eq!(c.autocommit, None);
        let c = PgConfig::from_url("postgres://u@h?autocommit=true&statement_timeout=250").unwrap();
        assert_eq!(
            (c.port, c.autocommit, c.statement_timeout_ms),
            (5432, Some(true), Some(250))
        );
        assert!(c
            .startup_params()
            .contains(&("options", "-c statement_timeout=250".into())));
    }

    #[test]
    fn reads_the_dialects_urls() {
        let c = PgConfig::from_url("crate+pg://h/doc").unwrap();
        assert_eq!((c.user.as_str(), c.port), ("crate", 5432));
        let c = PgConfig::from_url("questdb://h:8812").unwrap();
        assert_eq!((c.user.as_str(), c.port), ("admin", 8812));
        let c = PgConfig::from_url("questdb://app:pw@h:8812/qdb").unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("app", Some("pw"))
        );
    }

    #[test]
    fn rejects_what_it_cannot_honour() {
        let kind = |url: &str| PgConfig::from_url(url).unwrap_err().kind;
        assert_eq!(kind("mysql://u@h/db"), ErrorKind::Interface);
        assert_eq!(
            kind("postgres://u@h/db?sslmode=require"),
            ErrorKind::NotSupported
        );
        assert_eq!(kind("postgres://u@h/db?frobnicate=1"), ErrorKind::Interface);
        assert_eq!(kind("postgres://h/db"), ErrorKind::Interface);
        assert_eq!(
            kind("postgres://u@h/db?connect_timeout=soon"),
            ErrorKind::Interface
        );
    }
}

//! Apache Ignite 3's thin-client binary protocol (shared/protocols/ignite3-client.md), for SQL:
//! handshake, framing, MessagePack (`msg`), BinaryTuple (`tuple`) and the session state machine
//! (`session`). The bytes travel through webdbc-relay like PostgreSQL's.

mod cancel;
pub mod msg;
mod session;
pub mod tuple;
pub mod values;

pub use cancel::CancelToken;
pub use session::IgniteSession;

use crate::core::dsn::{parse_address, parse_bool, Dsn};
use crate::core::error::{Error, Result};

pub const DEFAULT_PORT: u16 = 10800;
pub const DEFAULT_PAGE_SIZE: i32 = 1024;

#[derive(Clone, Debug)]
pub struct IgniteConfig {
    /// Nodes, tried in turn.
    pub addresses: Vec<(String, u16)>,
    pub identity: Option<String>,
    pub secret: Option<String>,
    pub schema: String,
    pub page_size: i32,
    /// Query timeout, milliseconds (the seed driver's `timeout` is in seconds).
    pub timeout_ms: Option<u64>,
    /// As pyignite_dbapi: on by default; off, a transaction begins before the next statement.
    pub autocommit: bool,
    /// The largest frame accepted from the node; a larger declared length is an error before
    /// anything is allocated for it.
    pub max_message_bytes: u32,
}

impl Default for IgniteConfig {
    fn default() -> IgniteConfig {
        IgniteConfig {
            addresses: Vec::new(),
            identity: None,
            secret: None,
            schema: "PUBLIC".into(),
            page_size: DEFAULT_PAGE_SIZE,
            timeout_ms: None,
            autocommit: true,
            max_message_bytes: crate::core::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

impl IgniteConfig {
    /// Reads `ignite://[identity:secret@]host[:10800][,host2[:port]…][/schema][?page_size=&timeout=]`.
    pub fn from_url(url: &str) -> Result<IgniteConfig> {
        // Several hosts: the URL parser takes one, so the list is read here.
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| Error::interface("malformed connection URL: expected scheme://host"))?;
        let at = rest.rfind('@').map_or(0, |i| i + 1);
        let host_end = rest[at..].find(['/', '?']).map_or(rest.len(), |i| at + i);
        let hosts = &rest[at..host_end];
        let first = hosts.split(',').next().unwrap_or("");
        let single = format!("{scheme}://{}{first}{}", &rest[..at], &rest[host_end..]);
        let dsn = Dsn::parse_as(&single, &["ignite"], "Apache Ignite")?;
        let mut cfg = IgniteConfig {
            identity: dsn.user,
            secret: dsn.password,
            ..IgniteConfig::default()
        };
        for h in hosts.split(',') {
            let (host, port) = parse_address(h)?;
            cfg.addresses.push((host, port.unwrap_or(DEFAULT_PORT)));
        }
        if !dsn.path.is_empty() {
            cfg.schema = dsn.path.trim_end_matches('/').to_string();
        }
        for (k, v) in dsn.params {
            match k.as_str() {
                "schema" => cfg.schema = v,
                "page_size" => cfg.page_size = page_size(&v)?,
                "timeout" => cfg.timeout_ms = Some(seconds(&v)?),
                "identity" => cfg.identity = Some(v),
                "secret" => cfg.secret = Some(v),
                "autocommit" => cfg.autocommit = parse_bool(&k, &v)?,
                _ => {
                    return Err(Error::interface(format!(
                        "unknown Ignite URL parameter {k:?} (known: schema, page_size, timeout, identity, secret, autocommit)"
                    )))
                }
            }
        }
        Ok(cfg)
    }
}

pub fn page_size(v: &str) -> Result<i32> {
    v.parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::interface("page_size must be a whole number ≥ 1"))
}

/// The seed driver's `timeout`: seconds, as milliseconds.
pub fn seconds(v: &str) -> Result<u64> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| (s * 1000.0) as u64)
        .ok_or_else(|| Error::interface("timeout must be a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    #[test]
    fn reads_urls_with_several_addresses() {
        let c = IgniteConfig::from_url(
            "ignite://ignite:p@ss:w@rd@node1:10800,node2,[::1]:10801/MY?page_size=2&timeout=1.5",
        )
        .unwrap();
        assert_eq!(
            c.addresses,
            vec![
                ("node1".into(), 10800),
                ("node2".into(), 10800),
                ("::1".into(), 10801)
            ]
        );
        assert_eq!(
            (c.identity.as_deref(), c.secret.as_deref()),
            (Some("ignite"), Some("p@ss:w@rd"))
        );
        assert_eq!(
            (c.schema.as_str(), c.page_size, c.timeout_ms),
            ("MY", 2, Some(1500))
        );
        assert!(c.autocommit);
        let e = IgniteConfig::from_url("ignite://u:hunter2@h?page_size=0").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Interface);
        // A URL the parser itself refuses is not repeated with its secret either.
        let e = IgniteConfig::from_url("ignite://u:hunter2@h:99999").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Interface);
        assert!(!e.message.contains("hunter2"), "{}", e.message);
    }
}

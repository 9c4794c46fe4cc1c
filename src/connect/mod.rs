//! From a URL and options to an open connection (wasm only): the URL's scheme picks the
//! protocol, its configuration is completed from the options, a transport is opened (a
//! WebSocket to the relay, or fetch), the session logs in, and the caller gets the core
//! connection plus a [`Canceller`]. Background liveness (heartbeats) starts here too; what it
//! sends is each protocol's decision.

mod backend;
mod cancel;
mod guard;
mod http;
mod ignite;
mod liveness;
mod postgres;

pub use backend::AnyBackend;
pub use cancel::Canceller;
pub use guard::{CallWatch, Guard, DEFAULT_CANCEL_GRACE_MS};

use crate::core::dsn::Dsn;
use crate::core::error::{Error, Result};
use crate::protocols::pg;
use crate::web::relay_token::RelayToken;

/// Connect options, whatever API they came from. `None` leaves the URL's (or the protocol's)
/// own setting: `Options { relay: Some(url), ..Options::default() }`.
#[derive(Default)]
pub struct Options {
    /// webdbc-relay's WebSocket URL: required for socket protocols; reroutes HTTP ones through
    /// its HTTP forwarding.
    pub relay: Option<String>,
    /// A WebSocket constructor to use instead of the global one (e.g. the `ws` package).
    pub websocket: Option<js_sys::Function>,
    /// The token the relay asks for, if it does.
    pub relay_token: Option<RelayToken>,
    /// Whether each statement commits on its own (default: off where the database has
    /// transactions, as in PEP 249).
    pub autocommit: Option<bool>,
    /// Rows per round trip (PostgreSQL's portal size, Databend's page, CrateDB's and QuestDB's
    /// pages); the protocol's default otherwise.
    pub fetch_size: Option<u32>,
    /// The statement timeout, sent to the server where it has one; the client's own deadline
    /// comes a second later, so every call settles.
    pub statement_timeout_ms: Option<u64>,
    /// How long connecting (the relay, TLS, the login) may take (default 30 s).
    pub connect_timeout_ms: Option<u64>,
    /// How long a cancelled operation may take to end before the connection is closed under
    /// it (default [`DEFAULT_CANCEL_GRACE_MS`]).
    pub cancel_grace_ms: Option<u32>,
    /// The largest message (a row, a frame) PostgreSQL and Ignite connections accept (default
    /// [`crate::core::DEFAULT_MAX_MESSAGE_BYTES`]).
    pub max_message_bytes: Option<u32>,
    /// PostgreSQL's `application_name`.
    pub application_name: Option<String>,
    /// Ignite's options, named as the seed's driver names them.
    pub ignite: IgniteOptions,
}

/// Apache Ignite 3's options, as `pyignite_dbapi` names them; only with `ignite://` URLs.
#[derive(Default)]
pub struct IgniteOptions {
    /// Node addresses (`host:port`), tried in order, instead of the URL's host.
    pub address: Option<Vec<String>>,
    /// The user, for basic authentication.
    pub identity: Option<String>,
    /// The password, for basic authentication.
    pub secret: Option<String>,
    /// The default schema.
    pub schema: Option<String>,
    /// Rows per page of a result.
    pub page_size: Option<i32>,
    /// How long a request may wait for its answer.
    pub timeout_ms: Option<u64>,
}

impl IgniteOptions {
    fn any(&self) -> bool {
        self.address.is_some()
            || self.identity.is_some()
            || self.secret.is_some()
            || self.schema.is_some()
            || self.page_size.is_some()
            || self.timeout_ms.is_some()
    }
}

const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 30_000;

impl Options {
    fn connect_timeout_ms(&self) -> u64 {
        self.connect_timeout_ms
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS)
    }
}

/// An open connection: the core connection over whichever backend the URL named, and the
/// guard that cancels, times out and closes what runs on it.
pub struct Connected {
    pub core: crate::core::Connection<AnyBackend>,
    pub guard: Guard,
}

/// What a protocol's open gives: the connection and what cancels its running statement.
struct Opened {
    core: crate::core::Connection<AnyBackend>,
    canceller: Canceller,
}

/// Opens a connection to `url` (`postgres://user:pass@host:port/db`, `crate://`, `databend://`,
/// `questdb://`, `databricks://`, `ignite://`).
pub async fn connect(url: &str, opts: Options) -> Result<Connected> {
    let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
    let autocommit = opts.autocommit;
    let (grace_ms, statement_timeout_ms) = (opts.cancel_grace_ms, opts.statement_timeout_ms);
    if scheme != "ignite" && opts.ignite.any() {
        return Err(Error::interface(
            "options address, identity, secret, schema, pageSize and timeout are Ignite's: use them with ignite:// URLs",
        ));
    }
    let conn = match scheme.as_str() {
        "postgres" | "postgresql" | "crate+pg" => postgres::open(url, opts).await?,
        // QuestDB's Postgres-wire port; its REST API otherwise.
        "questdb" if Dsn::parse(url)?.port == Some(pg::QUESTDB_PORT) => {
            postgres::open(url, opts).await?
        }
        "crate" | "http" | "https" => http::open_crate(url, opts).await?,
        "databend" => http::open_databend(url, opts).await?,
        "questdb" => http::open_questdb(url, opts).await?,
        "databricks" => http::open_databricks(url, opts).await?,
        "ignite" => ignite::open(url, opts).await?,
        _ if !url.contains("://") => {
            return Err(Error::interface(
                "malformed connection URL: expected scheme://host",
            ))
        }
        _ => {
            return Err(Error::interface(format!(
                "unsupported URL scheme {scheme:?}"
            )))
        }
    };
    // The option, for every backend once it is open (a database without transactions refuses
    // autocommit: false).
    if let Some(on) = autocommit {
        if let Err(e) = conn.core.try_set_autocommit(on) {
            conn.core.close().await;
            return Err(e);
        }
    }
    liveness::start(&conn.core);
    Ok(Connected {
        guard: Guard::new(conn.canceller, grace_ms, statement_timeout_ms),
        core: conn.core,
    })
}

/// The relay URL for a socket target: as given if it names one, else with
/// `?address=host:port`.
fn relay_url(relay: &str, host: &str, port: u16) -> String {
    if relay.contains("target=") || relay.contains("address=") {
        return relay.to_string();
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let sep = if relay.contains('?') { '&' } else { '?' };
    format!("{relay}{sep}address={host}:{port}")
}

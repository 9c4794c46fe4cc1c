//! The Rust API, for browser apps written in Rust (wasm32); the crate's front page shows it at
//! work, and lib.rs re-exports it. The JavaScript and Python bindings are built on it.

#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
mod cursor;
mod params;
mod row;

#[cfg(target_arch = "wasm32")]
pub use connection::{CancelHandle, Connection};
#[cfg(all(target_arch = "wasm32", feature = "bindings"))]
pub(crate) use cursor::CHUNK;
#[cfg(target_arch = "wasm32")]
pub use cursor::{CallCancel, Cancelling, Cursor};
pub use row::{ColumnIndex, FromValue, Row};

#[cfg(target_arch = "wasm32")]
use crate::connect::Options;
#[cfg(target_arch = "wasm32")]
use crate::core::error::Result;

/// Opens a connection. The URL's scheme picks the database:
///
/// | URL | database | transport |
/// |---|---|---|
/// | `postgres://user:pw@host:5432/db` | PostgreSQL | the relay ([`Options::relay`]) |
/// | `crate://host:4200`, `crate+pg://user@host:5432/doc` | CrateDB | `fetch`; its Postgres wire through the relay |
/// | `databend://user:pw@host:8000/default?sslmode=disable` | Databend | `fetch` |
/// | `questdb://admin:quest@host:9000`, `questdb://…@host:8812/qdb` | QuestDB | `fetch` (REST); port 8812 is its Postgres wire, through the relay |
/// | `databricks://token:…@host?http_path=…` | Databricks | `fetch` |
/// | `ignite://host:10800` | Apache Ignite 3 | the relay |
///
/// HTTP databases that send no CORS headers are reached through the relay's HTTP forwarding
/// when [`Options::relay`] is set. Fails with an [`crate::ErrorKind::Interface`] error for a
/// malformed URL, an [`crate::ErrorKind::Operational`] one when the database (or the relay)
/// cannot be reached or refuses the login, with the server's code.
#[cfg(target_arch = "wasm32")]
pub async fn connect(url: &str, options: Options) -> Result<Connection> {
    crate::connect::connect(url, options)
        .await
        .map(Connection::new)
}

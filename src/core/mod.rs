//! The client core: what every backend shares and nothing JS or wire-specific. The
//! connection/cursor state machine over the [`Backend`] trait, values, errors, the SQL scanner,
//! connection URLs, and the two traits the transports implement ([`Transport`] for byte streams,
//! [`HttpClient`] for HTTP exchanges).

mod backend;
mod connection;
mod cursor;
pub mod decimal;
pub mod dsn;
pub mod error;
pub mod http;
pub mod pages;
pub mod sql;
pub mod transport;
pub mod value;

pub use backend::{
    executemany_rowcount, no_transactions, Backend, Batch, Column, LogicalType, Outcome, Params,
    Row,
};
pub use connection::{Connection, WeakConnection};
pub use cursor::Cursor;
pub use error::{Error, ErrorKind, Origin, Result};
pub use http::HttpClient;
pub use transport::Transport;
pub use value::Value;

/// The largest message (a row, a frame) a socket protocol accepts unless told otherwise:
/// PostgreSQL allows 1 GiB, but a larger declared length from a small server is garbage.
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 64 << 20;

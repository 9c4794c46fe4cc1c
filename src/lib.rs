//! webdbc: database connectivity for the web. SQL databases (PostgreSQL, CrateDB, Databend,
//! QuestDB, Databricks, Apache Ignite 3) from browser apps compiled to WebAssembly, through one
//! async cursor API in the manner of PEP 249. HTTP databases are driven with `fetch`; socket
//! protocols travel through `webdbc-relay`, a WebSocket-to-TCP relay, while this crate speaks
//! the database's own protocol.
//!
//! ```ignore
//! // (wasm32 only: it connects through the browser's WebSocket and fetch)
//! # async fn demo() -> webdbc::Result<()> {
//! use futures::StreamExt;
//! use webdbc::{connect, params, Options};
//!
//! let options = Options { relay: Some("wss://relay.example/v1/connect".into()), ..Options::default() };
//! let conn = connect("postgres://app:secret@db.internal:5432/shop", options).await?;
//! let cur = conn.cursor()?;
//! cur.execute("INSERT INTO booklist (title, author) VALUES (?, ?)", params!["Readings", "Stonebraker"]).await?;
//! conn.commit().await?;
//! cur.execute("SELECT title, author FROM booklist", params![]).await?;
//! let mut rows = cur.rows();
//! while let Some(row) = rows.next().await {
//!     let row = row?;
//!     let title: String = row.try_get("title")?;
//!     println!("{title}");
//! }
//! # Ok(()) }
//! ```
//!
//! - [`connect`] a URL with [`Options`]; a [`Connection`] gives [`Cursor`]s, transactions
//!   ([`Connection::commit`], [`Connection::rollback`], [`Connection::set_autocommit`]),
//!   [`Connection::cancel`] (and a [`CancelHandle`] for other tasks) and [`Connection::close`].
//! - A [`Cursor`] runs statements ([`Cursor::execute`] with [`params!`] or [`named_params!`],
//!   [`Cursor::execute_many`]) and hands out [`Row`]s ([`Cursor::fetch_one`],
//!   [`Cursor::fetch_many`], [`Cursor::fetch_all`], or [`Cursor::rows`] as a stream).
//! - Cells are read as Rust types with [`Row::try_get`] ([`FromValue`]); 64-bit integers and
//!   decimals are exact ([`Value::Decimal`] is text). With the `chrono` feature, dates and
//!   timestamps are chrono types both ways.
//! - Every failure is an [`Error`] with its PEP 249 [`ErrorKind`], its [`Origin`] and, from a
//!   server, its code and fields.
//!
//! [`connect`] and the connection types exist on `wasm32` targets only (they need the browser's
//! WebSocket and `fetch`). The `bindings` feature (on by default) adds the JavaScript API of the
//! npm package; a Rust app turns it off with `default-features = false`.
#![warn(missing_docs)]

mod api;
#[cfg(all(target_arch = "wasm32", feature = "bindings"))]
#[doc(hidden)]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
mod connect;
#[doc(hidden)]
pub mod core;
#[doc(hidden)]
pub mod protocols;
// The Python module's value format is plain Rust: its unit tests run natively too.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "bindings/columns.rs"]
mod columns;
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "bindings/tagged.rs"]
mod tagged;
#[cfg(target_arch = "wasm32")]
mod web;

pub use crate::core::error::Details as ErrorDetails;
pub use crate::core::value::Interval;
pub use crate::core::{Column, Error, ErrorKind, LogicalType, Origin, Params, Result, Value};
#[cfg(target_arch = "wasm32")]
pub use api::{connect, CallCancel, CancelHandle, Cancelling, Connection, Cursor};
pub use api::{ColumnIndex, FromValue, Row};
#[cfg(target_arch = "wasm32")]
pub use connect::{IgniteOptions, Options, DEFAULT_CANCEL_GRACE_MS};
#[cfg(target_arch = "wasm32")]
pub use web::relay_token::RelayToken;

//! webdbc: database connectivity for the web.
//!
//! Layers, top down: bindings (`bindings`, wasm only) over the client core (`client`) over sans-IO
//! protocols (`pg`) over transports (`transport`; the WebSocket one is wasm only).

#[cfg(target_arch = "wasm32")]
pub mod bindings;
pub mod client;
pub mod cratedb;
pub mod databend;
pub mod databricks;
pub mod dsn;
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
pub mod http;
pub mod ignite;
pub mod pg;
pub mod questdb;
pub mod sql;
pub mod tagged;
pub mod transport;
pub mod value;
#[cfg(target_arch = "wasm32")]
pub mod ws;

pub use error::{Error, ErrorKind, Result};

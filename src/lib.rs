//! webdbc: database connectivity for the web.
//!
//! Layers, top down (no module imports a layer above it):
//! - [`bindings`] (wasm only): the JavaScript API and the Python module's value interface;
//! - [`connect`] (wasm only): a URL and options to an open core connection and its canceller;
//! - [`core`]: the connection/cursor state machine over the `Backend` trait, values, errors, SQL;
//! - [`protocols`]: each database's wire protocol, sans-IO;
//! - [`web`] (wasm only): WebSocket, fetch and timers.

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod connect;
pub mod core;
pub mod protocols;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::{Error, ErrorKind, Result};

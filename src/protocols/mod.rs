//! The wire protocols, sans-IO: each turns a [`Transport`](crate::core::Transport)'s bytes or an
//! [`HttpClient`](crate::core::HttpClient)'s replies into the core's rows and errors, and knows
//! nothing of WebSocket, fetch or JS. One folder per database: its URL and configuration, its
//! types and values, its session.

pub mod cratedb;
pub mod databend;
pub mod databricks;
pub mod ignite;
pub mod pg;
pub mod questdb;

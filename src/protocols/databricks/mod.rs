//! Databricks over the SQL Statement Execution API 2.0 (shared/protocols/databricks-sql-api.md).
//!
//! A statement is `POST /api/2.0/sql/statements` on a SQL warehouse; if it is still PENDING or
//! RUNNING after `wait_timeout`, it is polled until it ends. A result comes in chunks, read one
//! per fetch by following `next_chunk_internal_link`; with EXTERNAL_LINKS each chunk is fetched
//! from cloud storage, without the workspace's Authorization header. Parameters are named
//! (`:name`); `?` is rewritten to them. The API is sessionless and has no transactions.

mod cancel;
mod config;
mod response;
mod session;
mod types;

pub use cancel::CancelToken;
pub use config::DatabricksConfig;
pub use session::DatabricksSession;

//! CrateDB over its HTTP endpoint, `POST /_sql?types=true` (shared/protocols/cratedb-http.md).
//!
//! Each statement is one request; the server sends the whole result in one body, which is kept
//! as JSON and decoded into values one batch at a time as the cursor fetches. `executemany` is
//! one request with `bulk_args`. CrateDB has no transactions: every statement commits.

mod config;
mod response;
mod session;
mod types;

pub use config::{CrateConfig, DEFAULT_FETCH_SIZE, DEFAULT_PORT};
pub use response::error_kind;
pub use session::CrateSession;

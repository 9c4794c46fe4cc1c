//! Databend over its HTTP handler, `POST /v1/query` and the pages it links
//! (shared/protocols/databend-http.md). Cells arrive as text in Databend's display format and
//! are decoded by the column's type name; a cancel posts the query's `kill_uri`.

mod cancel;
mod config;
mod literal;
mod params;
mod response;
mod session;
mod types;

pub use cancel::CancelToken;
pub use config::DatabendConfig;
pub use session::DatabendSession;

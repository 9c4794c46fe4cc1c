//! QuestDB over its REST API, `GET /exec` (shared/protocols/questdb-http.md), and CSV loads
//! through `POST /imp`.
//!
//! QuestDB has no bind parameters: values are rendered into the SQL as literals by
//! `literal::literal`, the one function that does it. There are no transactions.

mod config;
mod import;
mod literal;
mod response;
mod session;
mod types;

pub use config::{QuestConfig, DEFAULT_FETCH_SIZE, DEFAULT_PORT};
pub use literal::literal;
pub use session::QuestSession;

//! Stopping a Databricks statement from outside its session: a POST to its `/cancel`.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;

use super::config::{DatabricksConfig, STATEMENTS};
use crate::core::http::Request;

/// Shares the id of the statement running now, nothing else of the session.
#[derive(Clone)]
pub struct CancelToken {
    pub(super) cfg: DatabricksConfig,
    pub(super) running: Rc<RefCell<Option<String>>>,
}

impl CancelToken {
    /// The request that cancels the statement running now, if one runs.
    pub fn request(&self) -> Option<Request> {
        let running = self.running.borrow();
        let id = running.as_deref()?;
        Some(self.cfg.request(
            "POST",
            &format!("{STATEMENTS}/{id}/cancel"),
            Some(json!({})),
        ))
    }
}

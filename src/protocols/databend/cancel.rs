//! Stopping a Databend query from outside its session: a POST of its `kill_uri`.

use std::cell::RefCell;
use std::rc::Rc;

use super::config::DatabendConfig;
use crate::core::http::Request;

/// The query a cancel kills and a heartbeat keeps: shared by the session and its cancel token.
#[derive(Default)]
pub(super) struct Running {
    /// `(node_id, query_id, kill_uri)` of the open or running query.
    pub query: Option<(Option<String>, String, Option<String>)>,
    /// Seconds the server keeps an unpolled result (0: not said yet).
    pub result_timeout_secs: u64,
    /// Counts replies: unchanged between two keep-alives, the result sat idle.
    pub activity: u64,
}

/// Shares what runs now, nothing else of the session.
#[derive(Clone)]
pub struct CancelToken {
    pub(super) cfg: DatabendConfig,
    pub(super) running: Rc<RefCell<Running>>,
}

impl CancelToken {
    /// The request that kills the query running now, if one runs.
    pub fn request(&self) -> Option<Request> {
        let running = self.running.borrow();
        let (_, id, kill_uri) = running.query.as_ref()?;
        let path = kill_uri
            .clone()
            .unwrap_or_else(|| format!("/v1/query/{id}/kill"));
        Some(self.cfg.request("POST", &path, None))
    }
}

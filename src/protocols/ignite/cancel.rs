//! Cancelling a running Ignite request from outside its session: OPERATION_CANCEL on the same
//! connection (Ignite answers requests out of order), under a request id of its own.

use std::cell::Cell;
use std::rc::Rc;

use super::session::cancel_frame;

/// Shares the session's request counter and the id of the request in flight, nothing else.
#[derive(Clone, Debug)]
pub struct CancelToken {
    pub(super) next_id: Rc<Cell<i64>>,
    pub(super) running: Rc<Cell<Option<i64>>>,
}

impl CancelToken {
    /// The frame that cancels the request running now, or `None` when none runs. Each call
    /// takes a new request id, so the session never reuses one.
    pub fn frame(&self) -> Option<Vec<u8>> {
        let target = self.running.get()?;
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Some(cancel_frame(id, target))
    }
}

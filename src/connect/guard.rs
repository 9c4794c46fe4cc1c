//! The client's own bounds on what runs on a connection, so that every call settles even when
//! the server stalls or ignores a cancel. A cancel (the user's, an AbortSignal's, or the
//! statement timeout's) asks the server first; if the operation still runs after the grace
//! period, the connection is closed under it and it fails with an OperationalError saying so.
//! A close ends a running operation at once.

use std::rc::Rc;

use futures::future::{select, AbortHandle, Abortable, Either};

use super::{AnyBackend, Canceller};
use crate::core::error::{Error, Origin};
use crate::core::Connection;
use crate::web::timer;

/// How long a cancelled operation may take to end before its connection is closed.
pub const DEFAULT_CANCEL_GRACE_MS: u32 = 3_000;

/// How often a cancel waits to see its call's operation begin.
const POLL_MS: u32 = 20;

/// The client's deadline comes this long after the statement timeout, so that a server that
/// keeps the timeout itself reports it in its own words first.
const STATEMENT_TIMEOUT_SLACK_MS: u64 = 1_000;

/// Watches one connection: see the module's documentation.
#[derive(Clone)]
pub struct Guard(Rc<Inner>);

struct Inner {
    canceller: Canceller,
    grace_ms: u32,
    statement_timeout_ms: Option<u64>,
}

/// Why an operation is stopped.
#[derive(Clone, Copy)]
enum Stop {
    Cancel,
    Timeout(u64),
}

impl Guard {
    pub(super) fn new(
        canceller: Canceller,
        grace_ms: Option<u32>,
        statement_timeout_ms: Option<u64>,
    ) -> Guard {
        Guard(Rc::new(Inner {
            canceller,
            grace_ms: grace_ms.unwrap_or(DEFAULT_CANCEL_GRACE_MS),
            // 0 means none, as PostgreSQL's statement_timeout.
            statement_timeout_ms: statement_timeout_ms.filter(|&ms| ms > 0),
        }))
    }

    /// Cancels the running operation, if any: resolves once it ended, or once the connection
    /// was closed under it because it did not end within the grace period.
    pub async fn cancel(&self, core: &Connection<AnyBackend>) {
        if let Some(op) = core.running_op() {
            self.stop(core, op, Stop::Cancel).await;
        }
    }

    /// Cancels the operation of a call made when `earlier` operations had begun (an
    /// AbortSignal's), as [`Guard::cancel`] does, but not one the call waits behind: a call
    /// still queued is cancelled once its operation begins.
    pub fn cancel_call(&self, core: &Connection<AnyBackend>, earlier: u64) -> CallWatch {
        let (guard, weak) = (self.clone(), core.downgrade());
        CallWatch::spawn(async move {
            loop {
                let Some(core) = weak.upgrade() else { return };
                if let Some(op) = core.running_op().filter(|&op| op > earlier) {
                    return guard.stop(&core, op, Stop::Cancel).await;
                }
                drop(core);
                timer::tick(POLL_MS).await;
            }
        })
    }

    /// A statement deadline for the call about to run, when a statement timeout is set: once
    /// it passes (and a second more, for the server to report its own timeout), the call's
    /// operation is cancelled as by [`Guard::cancel`]. An operation that began before the call
    /// (one the call waits behind) is not the call's: the clock starts again once it ended.
    /// Dropping the deadline (the call ended) clears its timer.
    pub fn deadline(&self, core: &Connection<AnyBackend>) -> Option<CallWatch> {
        let ms = self.0.statement_timeout_ms?;
        let wait = u32::try_from(ms.saturating_add(STATEMENT_TIMEOUT_SLACK_MS)).unwrap_or(u32::MAX);
        let (guard, weak, earlier) = (self.clone(), core.downgrade(), core.ops_begun());
        Some(CallWatch::spawn(async move {
            loop {
                timer::tick(wait).await;
                let Some(core) = weak.upgrade() else { return };
                match core.running_op() {
                    Some(op) if op > earlier => {
                        return guard.stop(&core, op, Stop::Timeout(ms)).await;
                    }
                    Some(_) => core.idle().await,
                    None => return,
                }
            }
        }))
    }

    /// Closes the connection. A running operation is ended at once (its transport closed) and
    /// fails saying the connection was closed; the backend's goodbye gets the grace period,
    /// after which the transport is closed whatever it was doing.
    pub async fn close(&self, core: &Connection<AnyBackend>) {
        if let Some(op) = core.running_op() {
            let why = Error::connection_lost("the connection was closed while an operation ran");
            if core.break_off(op, why) {
                self.0.canceller.interrupt();
            }
        }
        let closing = std::pin::pin!(core.close());
        if let Either::Right(_) = select(closing, timer::tick(self.0.grace_ms)).await {
            self.0.canceller.interrupt();
        }
    }

    /// Stops operation `op`: asks the server to cancel it; if it has not ended within the
    /// grace period, closes the connection under it.
    async fn stop(&self, core: &Connection<AnyBackend>, op: u64, why: Stop) {
        let grace = self.0.grace_ms;
        // The operation may end before the request is even delivered (a relay connection for
        // PostgreSQL's CancelRequest, a kill request over HTTP): its end settles this at once.
        let asked = std::pin::pin!(async {
            let _ = self.0.canceller.cancel().await;
            std::future::pending::<()>().await
        });
        let ended = std::pin::pin!(async {
            while core.running_op() == Some(op) {
                core.idle().await;
            }
        });
        let settled = select(ended, asked);
        if let Either::Left(_) = select(settled, timer::tick(grace)).await {
            return;
        }
        let message = match why {
            Stop::Cancel => format!(
                "the server did not confirm the cancel within {grace} ms, so the connection was closed"
            ),
            Stop::Timeout(ms) => format!(
                "the statement ran past the statement timeout ({ms} ms) and the server did not \
                 confirm the cancel within {grace} ms, so the connection was closed"
            ),
        };
        let origin = match why {
            Stop::Cancel => Origin::Cancelled,
            Stop::Timeout(_) => Origin::Timeout,
        };
        if core.break_off(op, Error::operational(message).from_origin(origin)) {
            self.0.canceller.interrupt();
        }
    }
}

/// A watch on one call ([`Guard::deadline`], [`Guard::cancel_call`]): dropping it (the call
/// ended) ends the watch and clears its timer.
pub struct CallWatch(AbortHandle);

impl CallWatch {
    /// Runs `watch` in the background until it ends or the returned handle is dropped.
    fn spawn(watch: impl std::future::Future<Output = ()> + 'static) -> CallWatch {
        let (handle, registration) = AbortHandle::new_pair();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(watch, registration).await;
        });
        CallWatch(handle)
    }
}

impl Drop for CallWatch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

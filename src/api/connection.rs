//! [`Connection`]: transactions, cursors, cancel and close.

use std::rc::{Rc, Weak};

use super::cursor::Cursor;
use crate::connect::{AnyBackend, CallWatch, Connected, Guard};
use crate::core::error::{Error, Result};

/// What a connection and its cursors share.
pub(crate) struct Shared {
    pub core: crate::core::Connection<AnyBackend>,
    pub guard: Guard,
}

impl Shared {
    /// The statement timeout's deadline for an operation about to run (None: no timeout).
    pub fn deadline(&self) -> Option<CallWatch> {
        self.guard.deadline(&self.core)
    }
}

/// An open connection (see [`crate::connect`]). Cheap to clone: clones share the connection.
/// Autocommit is off by default where the database has transactions, as in PEP 249: call
/// [`Connection::commit`].
#[derive(Clone)]
pub struct Connection {
    shared: Rc<Shared>,
}

impl Connection {
    pub(super) fn new(connected: Connected) -> Connection {
        Connection {
            shared: Rc::new(Shared {
                core: connected.core,
                guard: connected.guard,
            }),
        }
    }

    /// A new cursor. Cursors of one connection run their statements one after another.
    pub fn cursor(&self) -> Result<Cursor> {
        Ok(Cursor::new(self.shared.core.cursor()?, self.shared.clone()))
    }

    /// Commits the open transaction (nothing to do in autocommit or without transactions).
    pub async fn commit(&self) -> Result<()> {
        let _deadline = self.shared.deadline();
        self.shared.core.commit().await
    }

    /// Rolls the open transaction back. A database without transactions (CrateDB, QuestDB's
    /// REST API, Databricks) says so with a [`crate::ErrorKind::NotSupported`] error.
    pub async fn rollback(&self) -> Result<()> {
        let _deadline = self.shared.deadline();
        self.shared.core.rollback().await
    }

    /// Whether each statement commits on its own.
    pub fn autocommit(&self) -> bool {
        self.shared.core.autocommit()
    }

    /// Turns autocommit on or off; a [`crate::ErrorKind::Programming`] error inside an open
    /// transaction (commit or roll back first), a [`crate::ErrorKind::NotSupported`] one for
    /// `false` where the database has no transactions.
    pub fn set_autocommit(&self, on: bool) -> Result<()> {
        self.shared.core.try_set_autocommit(on)
    }

    /// Cancels the statement running on this connection, if any, and returns once it ended:
    /// the server is asked first; if the statement still runs after the cancel grace
    /// ([`crate::Options::cancel_grace_ms`]), the connection is closed under it.
    pub async fn cancel(&self) {
        self.shared.guard.cancel(&self.shared.core).await;
    }

    /// A handle that cancels from another task without keeping the connection open.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            shared: Rc::downgrade(&self.shared),
        }
    }

    /// Closes the connection: a running statement fails with "connection lost" rather than
    /// being waited for. Closing twice does nothing.
    pub async fn close(&self) {
        self.shared.guard.close(&self.shared.core).await;
    }

    /// Whether the connection is closed (by [`Connection::close`], or because it broke).
    pub fn is_closed(&self) -> bool {
        self.shared.core.is_closed()
    }

    /// QuestDB only: loads CSV into `table` through its `/imp` endpoint; `params` are `/imp`'s
    /// query parameters (`overwrite`, `timestamp`, `partitionBy`, ...), `schema` its JSON column
    /// schema. Returns QuestDB's JSON report. Other databases: a
    /// [`crate::ErrorKind::NotSupported`] error.
    pub async fn import_csv(
        &self,
        table: &str,
        csv: &[u8],
        params: &[(String, String)],
        schema: Option<String>,
    ) -> Result<serde_json::Value> {
        let _deadline = self.shared.deadline();
        let mut backend = self.shared.core.backend().await?;
        let AnyBackend::Quest(session) = &mut *backend else {
            return Err(Error::not_supported(
                "importCsv is QuestDB's /imp: other databases load with INSERT or executemany",
            ));
        };
        let report = session.import_csv(table, csv, params, schema).await;
        self.shared.core.explain(report)
    }
}

/// Cancels a connection's running statement from elsewhere (another task, an event handler);
/// made by [`Connection::cancel_handle`]. Does nothing once the connection is gone.
#[derive(Clone)]
pub struct CancelHandle {
    shared: Weak<Shared>,
}

impl CancelHandle {
    /// As [`Connection::cancel`].
    pub async fn cancel(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.guard.cancel(&shared.core).await;
        }
    }
}

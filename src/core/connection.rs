//! The client core's connection: one [`Backend`] shared by its cursors.
//!
//! A backend streams one result at a time. When a cursor's result is still streaming and another
//! operation needs the wire, the rest of that result is read into a stash for its cursor, so every
//! cursor keeps its rows; memory stays bounded whenever results are consumed in turn.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::lock::{Mutex, MutexGuard};

use super::backend::{Backend, Row};
use super::cursor::Cursor;
use crate::core::error::{Error, ErrorKind, Origin, Result};

/// The rest of a cursor's result, and how it ended: its row count, or the error that ended it.
pub(super) struct Stashed {
    pub(super) rows: Vec<Row>,
    pub(super) end: Result<i64>,
}

pub(super) struct Shared<B> {
    pub(super) backend: Mutex<B>,
    pub(super) closed: Cell<bool>,
    pub(super) next_cursor: Cell<u64>,
    /// The cursor whose result is still open on the wire.
    pub(super) streaming: Cell<Option<u64>>,
    /// Results read on behalf of cursors that lost the wire.
    pub(super) stash: RefCell<HashMap<u64, Stashed>>,
    /// The backend's keep-alive interval, as of its last keep-alive.
    pub(super) keep_alive_ms: Cell<Option<u32>>,
    /// The backend's setting, readable while an operation holds the backend.
    pub(super) autocommit: Cell<bool>,
    /// Operations that took the backend so far: the running one's number, for a watchdog that
    /// must not stop the next one by mistake.
    pub(super) ops: Cell<u64>,
    /// Why the connection was broken off while an operation ran (see
    /// [`Connection::break_off`]): that operation, and every later one, fails with it.
    pub(super) broken: RefCell<Option<Error>>,
    /// `close()` was called: later calls are told the connection is closed, whatever broke it.
    pub(super) user_closed: Cell<bool>,
    /// The backend's own close ran (or runs).
    pub(super) shut: Cell<bool>,
}

pub struct Connection<B> {
    shared: Rc<Shared<B>>,
}

/// A [`Connection`] that may be gone: see [`Connection::downgrade`].
pub struct WeakConnection<B>(std::rc::Weak<Shared<B>>);

impl<B> WeakConnection<B> {
    pub fn upgrade(&self) -> Option<Connection<B>> {
        self.0.upgrade().map(|shared| Connection { shared })
    }
}

impl<B: Backend> Connection<B> {
    pub fn new(backend: B) -> Connection<B> {
        Connection {
            shared: Rc::new(Shared {
                autocommit: Cell::new(backend.autocommit()),
                keep_alive_ms: Cell::new(backend.keep_alive_interval_ms()),
                backend: Mutex::new(backend),
                closed: Cell::new(false),
                next_cursor: Cell::new(1),
                streaming: Cell::new(None),
                stash: RefCell::new(HashMap::new()),
                ops: Cell::new(0),
                broken: RefCell::new(None),
                user_closed: Cell::new(false),
                shut: Cell::new(false),
            }),
        }
    }

    pub fn cursor(&self) -> Result<Cursor<B>> {
        self.check_open()?;
        let id = self.shared.next_cursor.get();
        self.shared.next_cursor.set(id + 1);
        Ok(Cursor::new(self.shared.clone(), id))
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.get()
    }

    fn check_open(&self) -> Result<()> {
        self.shared.check_open()
    }

    pub async fn commit(&self) -> Result<()> {
        self.check_open()?;
        let r = async { self.shared.acquire(None).await?.commit().await }.await;
        self.shared.explain(r)
    }

    pub async fn rollback(&self) -> Result<()> {
        self.check_open()?;
        let r = async { self.shared.acquire(None).await?.rollback().await }.await;
        self.shared.explain(r)
    }

    /// Switches autocommit for the next statements. Refused while an operation runs (it would
    /// race with it) and, by the backend, inside a transaction.
    pub fn try_set_autocommit(&self, on: bool) -> Result<()> {
        self.check_open()?;
        let mut backend = self.shared.backend.try_lock().ok_or_else(|| {
            Error::interface("cannot change autocommit while an operation is running")
        })?;
        backend.set_autocommit(on)?;
        self.shared.autocommit.set(on);
        Ok(())
    }

    pub fn autocommit(&self) -> bool {
        self.shared.autocommit.get()
    }

    /// The backend itself, for an operation outside the cursor API (a bulk load), once any
    /// cursor's open result is stashed.
    pub async fn backend(&self) -> Result<MutexGuard<'_, B>> {
        self.check_open()?;
        let r = self.shared.acquire(None).await;
        self.shared.explain(r)
    }

    /// The backend's keep-alive, unless an operation holds the backend (then the connection is
    /// not idle). Returns when to call again: `None` once the connection is closed or the
    /// backend wants no keep-alive.
    pub async fn keep_alive(&self) -> Option<u32> {
        if self.shared.closed.get() {
            return None;
        }
        if let Some(mut backend) = self.shared.backend.try_lock() {
            self.shared.begin_op();
            // A failure shows on the next operation, which reports it.
            let _ = backend.keep_alive().await;
            self.shared
                .keep_alive_ms
                .set(backend.keep_alive_interval_ms());
        }
        self.shared
            .keep_alive_ms
            .get()
            .filter(|_| !self.shared.closed.get())
    }

    /// How long until [`Connection::keep_alive`] is due first; `None`: never.
    pub fn keep_alive_interval_ms(&self) -> Option<u32> {
        self.shared.keep_alive_ms.get()
    }

    /// A handle that does not keep the connection alive (for background keep-alives).
    pub fn downgrade(&self) -> WeakConnection<B> {
        WeakConnection(Rc::downgrade(&self.shared))
    }

    /// An operation holds the backend right now.
    pub fn is_busy(&self) -> bool {
        self.shared.backend.try_lock().is_none()
    }

    /// The number of the operation holding the backend now, if one does.
    pub fn running_op(&self) -> Option<u64> {
        self.is_busy().then(|| self.shared.ops.get())
    }

    /// How many operations have taken the backend so far: those numbered above it began later.
    pub fn ops_begun(&self) -> u64 {
        self.shared.ops.get()
    }

    /// An operation's result, explained as the connection's other calls explain theirs (see
    /// [`Connection::break_off`]), for an operation run on [`Connection::backend`].
    pub fn explain<T>(&self, result: Result<T>) -> Result<T> {
        self.shared.explain(result)
    }

    /// Resolves once no operation holds the backend (at that moment).
    pub async fn idle(&self) {
        drop(self.shared.backend.lock().await);
    }

    /// Marks the connection closed because operation `op` would not end (the caller then
    /// closes its transport): that operation fails with `why` instead of whatever the closed
    /// transport says, and so does every later one. False when `op` is no longer running.
    pub fn break_off(&self, op: u64, why: Error) -> bool {
        if self.running_op() != Some(op) {
            return false;
        }
        self.shared.closed.set(true);
        // The first reason stands: a close right after a timeout does not rename it.
        self.shared.broken.borrow_mut().get_or_insert(why);
        true
    }

    /// Closes: no more operations; the backend says goodbye once a running operation ended
    /// (also when the connection was broken off under it).
    pub async fn close(&self) {
        self.shared.closed.set(true);
        self.shared.user_closed.set(true);
        if self.shared.shut.replace(true) {
            return;
        }
        let mut backend = self.shared.backend.lock().await;
        self.shared.begin_op();
        backend.close().await;
    }
}

impl<B> Shared<B> {
    /// Closed: by the user, or broken off (then with why).
    pub(super) fn check_open(&self) -> Result<()> {
        if !self.closed.get() {
            return Ok(());
        }
        match &*self.broken.borrow() {
            Some(why) if !self.user_closed.get() => Err(why.clone()),
            _ => Err(Error::closed("connection")),
        }
    }

    /// An operation's result, with the reason the connection was broken off, if it was,
    /// instead of what the closed transport then said. A server's own error stands.
    pub(super) fn explain<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|e| match &*self.broken.borrow() {
            Some(why) if e.origin == Origin::Network || e.kind == ErrorKind::Interface => {
                why.clone()
            }
            _ => e,
        })
    }

    /// Numbers the operation that just took the backend.
    pub(super) fn begin_op(&self) {
        self.ops.set(self.ops.get() + 1);
    }
}

impl<B: Backend> Shared<B> {
    /// The backend, once any result streaming for another cursor has been stashed for it.
    pub(super) async fn acquire(&self, for_cursor: Option<u64>) -> Result<MutexGuard<'_, B>> {
        let mut backend = self.backend.lock().await;
        self.check_open()?;
        self.begin_op();
        if let Some(owner) = self.streaming.get().filter(|&o| Some(o) != for_cursor) {
            self.streaming.set(None);
            let mut rows = Vec::new();
            let end = loop {
                match backend.fetch().await {
                    Ok(batch) => {
                        rows.extend(batch.rows);
                        if batch.done {
                            break Ok(batch.rowcount);
                        }
                    }
                    // The owner's failure, reported to the owner: the caller's own operation
                    // reports a broken connection by itself.
                    Err(e) => break Err(e),
                }
            };
            self.stash.borrow_mut().insert(owner, Stashed { rows, end });
        }
        Ok(backend)
    }
}

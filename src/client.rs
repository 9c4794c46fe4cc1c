//! The client core: one connection/cursor state machine over any [`Backend`].
//!
//! A backend streams one result at a time. When a cursor's result is still streaming and another
//! operation needs the wire, the rest of that result is read into a stash for its cursor, so every
//! cursor keeps its rows; memory stays bounded whenever results are consumed in turn.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use futures::lock::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::value::Value;

pub type Row = Vec<Value>;

/// PEP 249's seven description fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    /// The backend's type name (`int8`, `numeric`, `text[]`).
    pub type_code: String,
    /// Its integers are 64-bit (JavaScript gets them as the `int64` option says).
    pub int64: bool,
    pub display_size: Option<i64>,
    pub internal_size: Option<i64>,
    pub precision: Option<i64>,
    pub scale: Option<i64>,
    pub null_ok: Option<bool>,
}

impl Column {
    /// A column known by name and type only; PEP 249's other fields unknown (None).
    pub fn new(name: impl Into<String>, type_code: impl Into<String>, int64: bool) -> Column {
        Column {
            name: name.into(),
            type_code: type_code.into(),
            int64,
            display_size: None,
            internal_size: None,
            precision: None,
            scale: None,
            null_ok: None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Params {
    Positional(Vec<Value>),
    Named(Vec<(String, Value)>),
}

impl Params {
    pub fn none() -> Params {
        Params::Positional(Vec::new())
    }
}

/// What executing a statement produced.
#[derive(Debug)]
pub struct Outcome {
    /// Present when the statement returns rows.
    pub columns: Option<Rc<[Column]>>,
    /// The first rows; more follow through [`Backend::fetch`] while `more` is set.
    pub rows: Vec<Row>,
    pub more: bool,
    /// Rows affected or returned, -1 while unknown (a result still streaming).
    pub rowcount: i64,
}

#[derive(Debug)]
pub struct Batch {
    pub rows: Vec<Row>,
    pub done: bool,
    /// Set with `done`: the final row count.
    pub rowcount: i64,
}

impl Batch {
    /// No more rows: the result ended with `rowcount`.
    pub fn end(rowcount: i64) -> Batch {
        Batch {
            rows: Vec::new(),
            done: true,
            rowcount,
        }
    }
}

#[allow(async_fn_in_trait)] // futures stay on one thread (wasm)
pub trait Backend {
    async fn execute(&mut self, sql: &str, params: Params) -> Result<Outcome>;
    /// Runs the statement once per parameter set; returns the total row count.
    async fn execute_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64>;
    /// The next rows of the open result.
    async fn fetch(&mut self) -> Result<Batch>;
    /// Drops the rest of the open result, if any.
    async fn discard(&mut self) -> Result<()>;
    async fn commit(&mut self) -> Result<()>;
    async fn rollback(&mut self) -> Result<()>;
    fn autocommit(&self) -> bool;
    fn set_autocommit(&mut self, on: bool) -> Result<()>;
    /// Ends the connection; for stateless HTTP backends, dropping the open result is all.
    async fn close(&mut self) {
        let _ = self.discard().await;
    }
    /// Tells the server the connection is alive, for servers that close idle ones.
    async fn keep_alive(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The error for a transaction asked of `database`, which commits every statement by itself.
pub fn no_transactions(database: &str) -> Error {
    Error::not_supported(format!(
        "{database} has no transactions: every statement is committed when it runs (autocommit is always on)"
    ))
}

/// The transaction methods of a [`Backend`] whose every statement commits by itself: `commit`
/// has nothing to do, `rollback` and turning autocommit off are [`no_transactions`].
#[macro_export]
macro_rules! autocommit_only {
    ($database:expr) => {
        async fn commit(&mut self) -> $crate::error::Result<()> {
            Ok(())
        }

        async fn rollback(&mut self) -> $crate::error::Result<()> {
            Err($crate::client::no_transactions($database))
        }

        fn autocommit(&self) -> bool {
            true
        }

        fn set_autocommit(&mut self, on: bool) -> $crate::error::Result<()> {
            if on {
                Ok(())
            } else {
                Err($crate::client::no_transactions($database))
            }
        }
    };
}

/// The rest of a cursor's result, and how it ended: its row count, or the error that ended it.
struct Stashed {
    rows: Vec<Row>,
    end: Result<i64>,
}

struct Shared<B> {
    backend: Mutex<B>,
    closed: Cell<bool>,
    next_cursor: Cell<u64>,
    /// The cursor whose result is still open on the wire.
    streaming: Cell<Option<u64>>,
    /// Results read on behalf of cursors that lost the wire.
    stash: RefCell<HashMap<u64, Stashed>>,
    /// The backend's setting, readable while an operation holds the backend.
    autocommit: Cell<bool>,
}

pub struct Connection<B> {
    shared: Rc<Shared<B>>,
}

impl<B: Backend> Connection<B> {
    pub fn new(backend: B) -> Connection<B> {
        Connection {
            shared: Rc::new(Shared {
                autocommit: Cell::new(backend.autocommit()),
                backend: Mutex::new(backend),
                closed: Cell::new(false),
                next_cursor: Cell::new(1),
                streaming: Cell::new(None),
                stash: RefCell::new(HashMap::new()),
            }),
        }
    }

    pub fn cursor(&self) -> Result<Cursor<B>> {
        self.check_open()?;
        let id = self.shared.next_cursor.get();
        self.shared.next_cursor.set(id + 1);
        Ok(Cursor {
            shared: self.shared.clone(),
            id,
            state: RefCell::new(CursorState::new()),
        })
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.get()
    }

    fn check_open(&self) -> Result<()> {
        if self.shared.closed.get() {
            return Err(Error::closed("connection"));
        }
        Ok(())
    }

    pub async fn commit(&self) -> Result<()> {
        self.check_open()?;
        self.shared.acquire(None).await?.commit().await
    }

    pub async fn rollback(&self) -> Result<()> {
        self.check_open()?;
        self.shared.acquire(None).await?.rollback().await
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
        self.shared.acquire(None).await
    }

    /// A heartbeat, unless an operation holds the backend (then the connection is not idle).
    pub async fn keep_alive(&self) -> Result<()> {
        match self.shared.backend.try_lock() {
            Some(mut backend) if !self.shared.closed.get() => backend.keep_alive().await,
            _ => Ok(()),
        }
    }

    /// An operation holds the backend right now.
    pub fn is_busy(&self) -> bool {
        self.shared.backend.try_lock().is_none()
    }

    pub async fn close(&self) {
        if self.shared.closed.replace(true) {
            return;
        }
        let mut backend = self.shared.backend.lock().await;
        backend.close().await;
    }
}

impl<B: Backend> Shared<B> {
    /// The backend, once any result streaming for another cursor has been stashed for it.
    async fn acquire(&self, for_cursor: Option<u64>) -> Result<MutexGuard<'_, B>> {
        let mut backend = self.backend.lock().await;
        if self.closed.get() {
            return Err(Error::closed("connection"));
        }
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

struct CursorState {
    columns: Option<Rc<[Column]>>,
    rows: VecDeque<Row>,
    /// The result has rows not yet read from the backend.
    more: bool,
    rowcount: i64,
    /// How the result failed, reported once the rows received before the failure are fetched.
    failed: Option<Error>,
    closed: bool,
}

impl CursorState {
    fn new() -> CursorState {
        CursorState {
            columns: None,
            rows: VecDeque::new(),
            more: false,
            rowcount: -1,
            failed: None,
            closed: false,
        }
    }
}

pub struct Cursor<B> {
    shared: Rc<Shared<B>>,
    id: u64,
    state: RefCell<CursorState>,
}

impl<B: Backend> Cursor<B> {
    fn check_open(&self) -> Result<()> {
        if self.state.borrow().closed {
            return Err(Error::closed("cursor"));
        }
        if self.shared.closed.get() {
            return Err(Error::closed("connection"));
        }
        Ok(())
    }

    /// Forgets this cursor's previous result, on the wire and in the stash.
    async fn reset(&self, backend: &mut B) -> Result<()> {
        *self.state.borrow_mut() = CursorState::new();
        self.shared.stash.borrow_mut().remove(&self.id);
        if self.shared.streaming.get() == Some(self.id) {
            self.shared.streaming.set(None);
            backend.discard().await?;
        }
        Ok(())
    }

    pub async fn execute(&self, sql: &str, params: Params) -> Result<()> {
        self.check_open()?;
        let mut backend = self.shared.acquire(Some(self.id)).await?;
        self.reset(&mut backend).await?;
        let outcome = backend.execute(sql, params).await?;
        if outcome.more {
            self.shared.streaming.set(Some(self.id));
        }
        let mut st = self.state.borrow_mut();
        st.columns = outcome.columns;
        st.rows = outcome.rows.into();
        st.more = outcome.more;
        st.rowcount = outcome.rowcount;
        Ok(())
    }

    pub async fn execute_many(&self, sql: &str, param_sets: Vec<Params>) -> Result<()> {
        self.check_open()?;
        let mut backend = self.shared.acquire(Some(self.id)).await?;
        self.reset(&mut backend).await?;
        let count = backend.execute_many(sql, param_sets).await?;
        self.state.borrow_mut().rowcount = count;
        Ok(())
    }

    /// Up to `n` rows; fewer only at the end of the result.
    pub async fn fetch(&self, n: usize) -> Result<Vec<Row>> {
        self.check_open()?;
        if self.state.borrow().columns.is_none() {
            return Err(Error::programming(
                "no result to fetch from: the last statement returned no rows",
            ));
        }
        loop {
            {
                let mut st = self.state.borrow_mut();
                if st.rows.len() >= n || !st.more {
                    if st.rows.is_empty() {
                        if let Some(e) = st.failed.take() {
                            return Err(e);
                        }
                    }
                    let take = n.min(st.rows.len());
                    return Ok(st.rows.drain(..take).collect());
                }
            }
            let stashed = self.shared.stash.borrow_mut().remove(&self.id);
            // New rows, and how the result ended if it did.
            let (rows, end) = match stashed {
                Some(stashed) => (stashed.rows, Some(stashed.end)),
                None => {
                    let mut backend = self.shared.acquire(Some(self.id)).await?;
                    if self.shared.streaming.get() != Some(self.id) {
                        continue; // another operation stashed our rows while we waited
                    }
                    match backend.fetch().await {
                        Ok(batch) if !batch.done => (batch.rows, None),
                        Ok(batch) => {
                            self.shared.streaming.set(None);
                            (batch.rows, Some(Ok(batch.rowcount)))
                        }
                        Err(e) => {
                            self.shared.streaming.set(None);
                            (Vec::new(), Some(Err(e)))
                        }
                    }
                }
            };
            let mut st = self.state.borrow_mut();
            st.rows.extend(rows);
            match end {
                None => {}
                Some(Ok(rowcount)) => {
                    st.more = false;
                    st.rowcount = rowcount;
                }
                Some(Err(e)) => {
                    st.more = false;
                    st.failed = Some(e);
                }
            }
        }
    }

    pub fn description(&self) -> Option<Rc<[Column]>> {
        self.state.borrow().columns.clone()
    }

    pub fn rowcount(&self) -> i64 {
        self.state.borrow().rowcount
    }

    pub async fn close(&self) {
        if self.state.borrow().closed {
            return;
        }
        if self.shared.streaming.get() == Some(self.id) && !self.shared.closed.get() {
            let mut backend = self.shared.backend.lock().await;
            let _ = self.reset(&mut backend).await; // a broken connection reports itself on next use
        }
        self.shared.stash.borrow_mut().remove(&self.id);
        *self.state.borrow_mut() = CursorState {
            closed: true,
            ..CursorState::new()
        };
    }
}

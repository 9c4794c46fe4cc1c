//! [`Cursor`]: statements, their results, and per-call cancel.

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use futures::stream::{LocalBoxStream, StreamExt};

use super::connection::Shared;
use super::row::Row;
use crate::connect::{AnyBackend, CallWatch};
use crate::core::error::Result;
use crate::core::{Column, Params};

/// Rows read per round trip by [`Cursor::fetch_all`], [`Cursor::rows`] and the bindings' fetchall.
pub(crate) const CHUNK: usize = 4096;

/// Runs statements and hands out their results, one result at a time; made by
/// [`crate::Connection::cursor`]. A large result streams: rows are read from the server as
/// they are fetched, so memory holds a batch, not the result.
pub struct Cursor {
    core: crate::core::Cursor<AnyBackend>,
    shared: Rc<Shared>,
}

impl Cursor {
    pub(super) fn new(core: crate::core::Cursor<AnyBackend>, shared: Rc<Shared>) -> Cursor {
        Cursor { core, shared }
    }

    /// Runs one statement; its rows are then fetched. `?` (or `$1`) placeholders take
    /// [`params!`](crate::params)`[…]`, `:name` ones [`named_params!`](crate::named_params)`{…}`;
    /// [`Params::none()`] for none. Several `;`-separated statements without parameters run
    /// one after another (Postgres wire): see [`Cursor::next_set`].
    pub async fn execute(&self, sql: &str, params: Params) -> Result<()> {
        let _deadline = self.shared.deadline();
        self.core.execute(sql, params).await
    }

    /// [`Cursor::execute`], cancellable on its own through `cancel` (see [`CallCancel`]). Make
    /// the `CallCancel` just before this call: operations begun on the connection after it was
    /// made and before this call starts count as the call's.
    pub async fn execute_with(&self, sql: &str, params: Params, cancel: &CallCancel) -> Result<()> {
        cancel.starting(self.shared.core.ops_begun());
        self.execute(sql, params).await
    }

    /// Runs one statement once per parameter set (batched where the database can); the row
    /// count is their sum.
    pub async fn execute_many(&self, sql: &str, param_sets: Vec<Params>) -> Result<()> {
        let _deadline = self.shared.deadline();
        self.core.execute_many(sql, param_sets).await
    }

    /// The next row, or `None` at the end of the result.
    pub async fn fetch_one(&self) -> Result<Option<Row>> {
        Ok(self.fetch_many(1).await?.pop())
    }

    /// Up to `n` rows; fewer only at the end of the result.
    pub async fn fetch_many(&self, n: usize) -> Result<Vec<Row>> {
        let _deadline = self.shared.deadline();
        let values = self.core.fetch(n).await?;
        let columns = self.core.description().unwrap_or_else(|| Rc::new([]));
        Ok(values
            .into_iter()
            .map(|v| Row::new(columns.clone(), v))
            .collect())
    }

    /// The rest of the result. The statement timeout bounds each round trip, not the whole.
    pub async fn fetch_all(&self) -> Result<Vec<Row>> {
        let mut all = Vec::new();
        loop {
            let rows = self.fetch_many(CHUNK).await?;
            let last = rows.len() < CHUNK;
            all.extend(rows);
            if last {
                return Ok(all);
            }
        }
    }

    /// The rest of the result as a stream, read a batch at a time: memory holds a batch.
    /// An error ends the stream after the rows before it.
    pub fn rows(&self) -> LocalBoxStream<'_, Result<Row>> {
        let start = (self, VecDeque::new(), false);
        futures::stream::unfold(start, |(cur, mut batch, mut done)| async move {
            if batch.is_empty() && !done {
                match cur.fetch_many(CHUNK).await {
                    Ok(rows) => {
                        done = rows.len() < CHUNK;
                        batch = rows.into();
                    }
                    Err(e) => return Some((Err(e), (cur, batch, true))),
                }
            }
            let row = batch.pop_front()?;
            Some((Ok(row), (cur, batch, done)))
        })
        .boxed_local()
    }

    /// Moves to the next result of a string of several statements: `true`, or `false` when
    /// there is none (the current result stays).
    pub fn next_set(&self) -> Result<bool> {
        self.core.next_set()
    }

    /// The current result's columns; `None` after a statement that returns no rows.
    pub fn description(&self) -> Option<Rc<[Column]>> {
        self.core.description()
    }

    /// Rows affected, or returned once all are read; -1 while unknown (a result still streaming).
    pub fn rowcount(&self) -> i64 {
        self.core.rowcount()
    }

    /// Cancels the statement running on this cursor's connection (as
    /// [`crate::Connection::cancel`]).
    pub async fn cancel(&self) {
        self.shared.guard.cancel(&self.shared.core).await;
    }

    /// A [`CallCancel`] for the next call made with [`Cursor::execute_with`].
    pub fn call_cancel(&self) -> CallCancel {
        CallCancel {
            shared: Rc::downgrade(&self.shared),
            earlier: Rc::new(Cell::new(self.shared.core.ops_begun())),
        }
    }

    /// Closes the cursor, dropping the rest of its result. Closing twice does nothing.
    pub async fn close(&self) {
        let _deadline = self.shared.deadline();
        self.core.close().await;
    }
}

/// Cancels the statement of one call and no other ([`Cursor::call_cancel`],
/// [`Cursor::execute_with`]): if the call still waits behind another operation, that one runs
/// on, and the call's statement is cancelled once it starts. What a JavaScript AbortSignal does.
#[derive(Clone)]
pub struct CallCancel {
    shared: Weak<Shared>,
    /// Operations begun before the call: later ones are the call's.
    earlier: Rc<Cell<u64>>,
}

impl CallCancel {
    fn starting(&self, ops_begun: u64) {
        self.earlier.set(ops_begun);
    }

    /// Cancels the call's statement. The cancel goes on (waiting for the statement to start,
    /// then for it to end) as long as the returned [`Cancelling`] lives: keep it until the call
    /// has returned.
    #[must_use = "the cancel stops when the Cancelling is dropped: keep it until the call returns"]
    pub fn cancel(&self) -> Option<Cancelling> {
        let shared = self.shared.upgrade()?;
        Some(Cancelling(
            shared.guard.cancel_call(&shared.core, self.earlier.get()),
        ))
    }
}

/// A cancel under way ([`CallCancel::cancel`]); dropping it stops waiting for the call.
#[must_use = "the cancel stops when the Cancelling is dropped"]
pub struct Cancelling(#[allow(dead_code)] CallWatch);

//! A cursor of the client core: one result at a time, its rows handed out in batches.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::backend::{Backend, Column, Outcome, Params, Row};
use super::connection::Shared;
use crate::core::error::{Error, Result};

struct CursorState {
    columns: Option<Rc<[Column]>>,
    rows: VecDeque<Row>,
    /// The result has rows not yet read from the backend.
    more: bool,
    rowcount: i64,
    /// How the result failed, reported once the rows received before the failure are fetched.
    failed: Option<Error>,
    closed: bool,
    /// The results after this one, from a string of several statements.
    later: VecDeque<Outcome>,
}

impl CursorState {
    /// Makes `outcome` the current result (its `later` ones, if any, follow it).
    fn show(&mut self, outcome: Outcome) {
        self.columns = outcome.columns;
        self.rows = outcome.rows.into();
        self.more = outcome.more;
        self.rowcount = outcome.rowcount;
        self.failed = None;
        if !outcome.later.is_empty() {
            self.later = outcome.later.into();
        }
    }

    fn new() -> CursorState {
        CursorState {
            columns: None,
            rows: VecDeque::new(),
            more: false,
            rowcount: -1,
            failed: None,
            closed: false,
            later: VecDeque::new(),
        }
    }
}

pub struct Cursor<B> {
    shared: Rc<Shared<B>>,
    id: u64,
    state: RefCell<CursorState>,
}

impl<B: Backend> Cursor<B> {
    pub(super) fn new(shared: Rc<Shared<B>>, id: u64) -> Cursor<B> {
        Cursor {
            shared,
            id,
            state: RefCell::new(CursorState::new()),
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.state.borrow().closed {
            return Err(Error::closed("cursor"));
        }
        self.shared.check_open()
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
        let r = self.execute_once(sql, params).await;
        self.shared.explain(r)
    }

    async fn execute_once(&self, sql: &str, params: Params) -> Result<()> {
        self.check_open()?;
        let mut backend = self.shared.acquire(Some(self.id)).await?;
        self.reset(&mut backend).await?;
        let outcome = backend.execute(sql, params).await?;
        if outcome.more {
            self.shared.streaming.set(Some(self.id));
        }
        self.state.borrow_mut().show(outcome);
        Ok(())
    }

    /// Moves to the next result of a string of several statements: true, or false when there
    /// is none (the current result stays).
    pub fn next_set(&self) -> Result<bool> {
        self.check_open()?;
        let mut st = self.state.borrow_mut();
        match st.later.pop_front() {
            Some(next) => {
                st.show(next);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub async fn execute_many(&self, sql: &str, param_sets: Vec<Params>) -> Result<()> {
        let r = self.execute_many_once(sql, param_sets).await;
        self.shared.explain(r)
    }

    async fn execute_many_once(&self, sql: &str, param_sets: Vec<Params>) -> Result<()> {
        self.check_open()?;
        let mut backend = self.shared.acquire(Some(self.id)).await?;
        self.reset(&mut backend).await?;
        let count = backend.execute_many(sql, param_sets).await?;
        self.state.borrow_mut().rowcount = count;
        Ok(())
    }

    /// Up to `n` rows; fewer only at the end of the result.
    pub async fn fetch(&self, n: usize) -> Result<Vec<Row>> {
        let r = self.fetch_rows(n).await;
        self.shared.explain(r)
    }

    async fn fetch_rows(&self, n: usize) -> Result<Vec<Row>> {
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
            self.shared.begin_op();
            let _ = self.reset(&mut backend).await; // a broken connection reports itself on next use
        }
        self.shared.stash.borrow_mut().remove(&self.id);
        *self.state.borrow_mut() = CursorState {
            closed: true,
            ..CursorState::new()
        };
    }
}

//! A QuestDB session over its REST API: each statement rendered with its values as literals,
//! its result read in windows (`limit=A,B`), one per fetch. The first window asks
//! `count=true`, so the row count is known at once; QuestDB runs the query again for each
//! window (it keeps no cursor), as its Web Console does.

use std::rc::Rc;

use super::config::QuestConfig;
use super::literal::literal;
use super::response::{reply_error, ExecResponse};
use super::types::{decode, type_code, QType};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{parse_reply, HttpClient};
use crate::core::pages::{decode_rows, Pages};
use crate::core::sql::{self, Marker, Scanned};
use crate::core::{executemany_rowcount, Backend, Batch, Column, Outcome, Params, Row};

/// What reading the rest of a result needs: the query as run, its types, its row count, and a
/// failure the server reported after the rows already read.
pub(super) struct Shape {
    query: Scanned,
    types: Vec<QType>,
    total: u64,
    failed: Option<Error>,
}

pub struct QuestSession<H> {
    pub(super) http: H,
    pub(super) cfg: QuestConfig,
    /// The open result; its next window starts at this row (1-based).
    pub(super) open: Option<Pages<Shape, u64>>,
}

impl<H: HttpClient> QuestSession<H> {
    /// Checks the address and the credentials with a statement that reads nothing.
    pub async fn connect(http: H, cfg: QuestConfig) -> Result<QuestSession<H>> {
        let probe = sql::scan("SELECT 1", sql::ParamStyle::Positional)?;
        let resp = http.send(cfg.exec("SELECT 1", Some((1, 1)), false)).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, &probe, cfg.user.as_deref()));
        }
        parse_reply::<ExecResponse>(&resp)
            .map_err(|_| Error::malformed("not a QuestDB /exec reply"))?;
        Ok(QuestSession {
            http,
            cfg,
            open: None,
        })
    }

    /// The window of `fetch_size` rows from row `from`; an error without rows fails it.
    async fn window(&self, query: &Scanned, from: u64, count: bool) -> Result<ExecResponse> {
        let to = from.saturating_add(u64::from(self.cfg.fetch_size) - 1);
        let resp = self
            .http
            .send(self.cfg.exec(&query.sql, Some((from, to)), count))
            .await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, query, self.cfg.user.as_deref()));
        }
        let reply: ExecResponse = parse_reply(&resp)?;
        if reply.dataset.is_none() {
            if let Some(e) = reply.error(200, query) {
                return Err(e);
            }
        }
        Ok(reply)
    }
}

/// The statement with its parameters rendered in as literals.
fn render(stmt: &str, params: Params) -> Result<Scanned> {
    let bound = sql::bind(stmt, params, Marker::Literal(&literal))?;
    let scanned = bound.scanned;
    if scanned.statement_count > 1 {
        return Err(Error::programming("QuestDB runs one statement per request"));
    }
    // Values are placed by where PostgreSQL's quoting says strings end; QuestDB has no
    // $$…$$ or E'…' strings and would read such a statement differently.
    if scanned.param_count > 0 && scanned.pg_quoting {
        return Err(Error::not_supported(
            "QuestDB has no $$…$$ or E'…' strings: write plain '…' strings in a statement with parameters",
        ));
    }
    Ok(scanned)
}

/// A failure after rows: the statement ran, so it is no longer the caller's SQL at fault.
fn failed_after_rows(reply: &ExecResponse, query: &Scanned) -> Option<Error> {
    let mut e = reply.error(200, query)?;
    e.kind = ErrorKind::Operational;
    Some(e)
}

fn rows_of(types: &[QType], reply: &mut ExecResponse) -> Result<Vec<Row>> {
    let dataset = reply
        .dataset
        .take()
        .ok_or_else(|| Error::malformed("no dataset in the reply"))?;
    decode_rows(dataset, types, decode)
}

impl<H: HttpClient> Backend for QuestSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.open = None;
        let query = render(stmt, params)?;
        let mut reply = self.window(&query, 1, true).await?;
        if reply.is_statement() {
            return Ok(Outcome::done(reply.updated.unwrap_or(-1)));
        }
        let cols = reply
            .columns
            .take()
            .ok_or_else(|| Error::malformed("no columns in the reply"))?;
        let types: Vec<QType> = cols.iter().map(QType::of).collect();
        let columns: Vec<Column> = cols
            .iter()
            .zip(&types)
            .map(|(c, t)| Column::new(c.name.clone(), type_code(c), t.logical()))
            .collect();
        let rows = rows_of(&types, &mut reply)?;
        let failed = failed_after_rows(&reply, &query);
        let read = rows.len() as u64;
        // With count=true the count is every row; a failure keeps it from being known.
        let total = match &failed {
            Some(_) => read,
            None => reply.count.unwrap_or(read),
        };
        let more = read < total || failed.is_some();
        let known = failed.is_none().then_some(total as i64);
        let shape = Shape {
            query,
            types,
            total,
            failed,
        };
        let next = more.then_some(read + 1);
        let (outcome, open) = Pages::first(Rc::from(columns), rows, shape, next, known);
        self.open = open;
        Ok(outcome)
    }

    /// One request per parameter set: QuestDB has no batches over REST.
    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.open = None;
        let mut counts = Vec::with_capacity(param_sets.len());
        for params in param_sets {
            let query = render(stmt, params)?;
            // An INSERT reports no count.
            counts.push(self.window(&query, 1, false).await?.updated.unwrap_or(-1));
        }
        Ok(executemany_rowcount(counts))
    }

    async fn fetch(&mut self) -> Result<Batch> {
        // Taken out: a failure ends the result; a window with more after it puts it back.
        let Some(mut pages) = self.open.take() else {
            return Ok(Batch::end(-1));
        };
        if let Some(e) = pages.shape.failed.take() {
            return Err(e);
        }
        let mut reply = self.window(&pages.shape.query, pages.next, false).await?;
        let rows = rows_of(&pages.shape.types, &mut reply)?;
        pages.shape.failed = failed_after_rows(&reply, &pages.shape.query);
        let next = pages.next.saturating_add(rows.len() as u64);
        // The count says where the result ends; a window may be shorter than asked (the server
        // caps rows per reply). An empty one ends it too (the table shrank).
        let done = pages.shape.failed.is_none() && (next > pages.shape.total || rows.is_empty());
        let mut open = Some(pages);
        let batch = Pages::page(&mut open, rows, (!done).then_some(next));
        self.open = open;
        Ok(batch)
    }

    async fn discard(&mut self) -> Result<()> {
        self.open = None;
        Ok(())
    }

    crate::autocommit_only!("QuestDB's REST API");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::value::Value;

    #[test]
    fn postgres_only_quoting_cannot_hide_a_value() {
        let e = render(
            "SELECT $$it's$$, ?",
            Params::Positional(vec![Value::Text("x".into())]),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
        let e = render(
            "SELECT E'\\'', ?",
            Params::Positional(vec![Value::Text("x".into())]),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported);
        assert_eq!(
            render("SELECT $$x$$", Params::Positional(vec![]))
                .unwrap()
                .sql,
            "SELECT $$x$$"
        );
        assert_eq!(
            render("SELECT 'it''s', ?", Params::Positional(vec![Value::Int(1)]))
                .unwrap()
                .sql,
            "SELECT 'it''s', 1"
        );
        // Placeholders inside values are values: rendering happens once, from typed values.
        let r = render(
            "SELECT ?, ?",
            Params::Positional(vec![Value::Text("?".into()), Value::Text("$1".into())]),
        )
        .unwrap();
        assert_eq!(r.sql, "SELECT '?', '$1'");
    }
}

//! A CrateDB session: each statement one `/_sql` request, whose whole result comes in one body
//! and is decoded a batch at a time as the cursor fetches.

use std::rc::Rc;

use serde_json::Value as Json;

use super::config::CrateConfig;
use super::response::{reply_error, server_error, BulkResponse, NodeInfo, SqlResponse};
use super::types::{arg, decode, ColType};
use crate::core::error::{ErrorKind, Result};
use crate::core::http::{parse_reply, HttpClient, Response};
use crate::core::pages::{decode_rows, Pages};
use crate::core::sql::{self, Marker};
use crate::core::{executemany_rowcount, Backend, Batch, Column, Error, Outcome, Params, Row};

/// The rows of the open result not handed out yet, still JSON.
type Rest = std::vec::IntoIter<Vec<Json>>;

pub struct CrateSession<H> {
    http: H,
    cfg: CrateConfig,
    open: Option<Pages<Vec<ColType>, Rest>>,
    /// The node's version, from `GET /` at connect.
    server_version: String,
}

impl<H: HttpClient> CrateSession<H> {
    /// Asks the node who it is, as crate-python does: this checks the address and credentials.
    pub async fn connect(http: H, cfg: CrateConfig) -> Result<CrateSession<H>> {
        let resp = http.send(cfg.request("GET", "/", None)).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, cfg.user.as_deref()));
        }
        let info: NodeInfo = parse_reply(&resp)?;
        Ok(CrateSession {
            http,
            cfg,
            open: None,
            server_version: info.version.number,
        })
    }

    /// The node's version, as `GET /` reported it.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    async fn post(&self, stmt: &str, args: Vec<Json>, bulk: Option<Vec<Json>>) -> Result<Response> {
        let resp = self.http.send(self.cfg.sql(stmt, args, bulk)).await?;
        if resp.status != 200 {
            return Err(reply_error(&resp, self.cfg.user.as_deref()));
        }
        Ok(resp)
    }
}

/// The next `n` rows of `rest`, decoded.
fn next_rows(types: &[ColType], rest: &mut Rest, n: u32) -> Result<Vec<Row>> {
    decode_rows(rest.by_ref().take(n as usize).collect(), types, decode)
}

/// What is left of `rest`, if anything.
fn remaining(rest: &mut Rest) -> Option<Rest> {
    (rest.len() > 0).then(|| std::mem::take(rest))
}

impl<H: HttpClient> Backend for CrateSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.open = None;
        let bound = sql::bind(stmt, params, Marker::Dollar)?;
        let args = bound.values.iter().map(arg).collect::<Result<_>>()?;
        let resp = self.post(bound.sql(), args, None).await?;
        let reply: SqlResponse = parse_reply(&resp)?;
        let rowcount = reply.rowcount.unwrap_or(-1);
        if reply.cols.is_empty() {
            // Without a result set, CrateDB answers `rows: [[]]`: one empty row, not a row.
            return Ok(Outcome::done(rowcount));
        }
        let types: Vec<ColType> = match reply.col_types {
            Some(t) if t.len() == reply.cols.len() => t.iter().map(ColType::of).collect(),
            None => vec![ColType::Unknown; reply.cols.len()],
            Some(_) => return Err(Error::malformed("col_types does not match cols")),
        };
        let columns: Vec<Column> = reply
            .cols
            .into_iter()
            .zip(&types)
            .map(|(name, t)| Column::new(name, t.name(), t.logical()))
            .collect();
        let all = reply
            .rows
            .ok_or_else(|| Error::malformed("no rows array in the reply"))?;
        let total = if rowcount >= 0 {
            rowcount
        } else {
            all.len() as i64
        };
        let mut rest = all.into_iter();
        let rows = next_rows(&types, &mut rest, self.cfg.fetch_size)?;
        let (outcome, open) = Pages::first(
            Rc::from(columns),
            rows,
            types,
            remaining(&mut rest),
            Some(total),
        );
        self.open = open;
        Ok(outcome)
    }

    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.open = None;
        if param_sets.is_empty() {
            return Ok(0);
        }
        let n = param_sets.len();
        let bound = sql::bind_many(stmt, param_sets, Marker::Dollar)?;
        let bulk = bound
            .rows
            .iter()
            .map(|values| {
                values
                    .iter()
                    .map(arg)
                    .collect::<Result<Vec<_>>>()
                    .map(Json::Array)
            })
            .collect::<Result<Vec<_>>>()?;
        let resp = self.post(bound.sql(), Vec::new(), Some(bulk)).await?;
        let reply: BulkResponse = parse_reply(&resp)?;
        let counts: Vec<Option<i64>> = reply
            .results
            .iter()
            .map(|r| r.rowcount.filter(|c| *c >= 0))
            .collect();
        let failed: Vec<usize> = (0..counts.len()).filter(|&i| counts[i].is_none()).collect();
        let Some(&first) = failed.first() else {
            return Ok(executemany_rowcount(counts.iter().flatten().copied()));
        };
        let written = counts
            .iter()
            .flatten()
            .fold(0i64, |sum, c| sum.saturating_add(*c));
        // Rows before and after the failed ones were written: CrateDB has no transactions.
        let err = reply.results[first].error.as_ref();
        let message = err
            .and_then(|e| e.message.as_deref())
            .unwrap_or("the row was not written");
        let code = err.and_then(|e| e.code);
        let mut e = server_error(
            code,
            &format!(
                "executemany: parameter set {} of {n} failed, {} failed in all, {} row(s) written \
                 (CrateDB has no transactions to undo them): {message}",
                first + 1,
                failed.len(),
                written
            ),
        );
        if code.is_none() {
            e.kind = ErrorKind::Database;
        }
        // Every set's outcome, as CrateDB reported it.
        let each: Vec<String> = counts.iter().map(|c| c.unwrap_or(-2).to_string()).collect();
        e.detail = Some(format!(
            "rowcount per parameter set (-2: failed): {}",
            each.join(", ")
        ));
        Err(e)
    }

    async fn fetch(&mut self) -> Result<Batch> {
        let Some(open) = self.open.as_mut() else {
            return Ok(Batch::end(-1));
        };
        match next_rows(&open.shape, &mut open.next, self.cfg.fetch_size) {
            Ok(rows) => {
                let rest = remaining(&mut open.next);
                Ok(Pages::page(&mut self.open, rows, rest))
            }
            Err(e) => {
                self.open = None;
                Err(e)
            }
        }
    }

    async fn discard(&mut self) -> Result<()> {
        self.open = None;
        Ok(())
    }

    crate::autocommit_only!("CrateDB");
}

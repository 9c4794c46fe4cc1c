//! A CrateDB session: each statement one `/_sql` request, whose whole result comes in one body,
//! decoded at once and handed out a batch at a time as the cursor fetches.

use std::rc::Rc;

use serde_json::value::RawValue;
use serde_json::Value as Json;

use super::config::CrateConfig;
use super::response::{reply_error, server_error, BulkResponse, NodeInfo, SqlResponse};
use super::types::{arg, decode_raw, ColType};
use crate::core::error::{ErrorKind, Result};
use crate::core::http::{parse_reply, HttpClient, Response};
use crate::core::pages::{decode_row, Pages};
use crate::core::sql::{self, Marker};
use crate::core::{executemany_rowcount, Backend, Batch, Column, Error, Outcome, Params, Row};

/// What is left of the open result: rows not handed out yet, then the failure that ended its
/// decoding, if a row failed (the rows before it are the server's valid output).
#[derive(Default)]
struct Rest {
    rows: std::vec::IntoIter<Row>,
    failure: Option<Error>,
}

pub struct CrateSession<H> {
    http: H,
    cfg: CrateConfig,
    open: Option<Pages<(), Rest>>,
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

/// The next `n` rows of `rest`.
fn next_rows(rest: &mut Rest, n: u32) -> Vec<Row> {
    rest.rows.by_ref().take(n as usize).collect()
}

/// What is left of `rest`, if anything.
fn remaining(rest: &mut Rest) -> Option<Rest> {
    (rest.rows.len() > 0 || rest.failure.is_some()).then(|| std::mem::take(rest))
}

/// Every row of a reply decoded at once (its text is not kept), up to the first that fails.
fn decode_reply(raw: Vec<Vec<&RawValue>>, types: &[ColType]) -> Rest {
    let mut rows = Vec::with_capacity(raw.len());
    for cells in raw {
        match decode_row(cells, types, decode_raw) {
            Ok(row) => rows.push(row),
            Err(e) => {
                return Rest {
                    rows: rows.into_iter(),
                    failure: Some(e),
                }
            }
        }
    }
    Rest {
        rows: rows.into_iter(),
        failure: None,
    }
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
        let raw = reply
            .rows
            .ok_or_else(|| Error::malformed("no rows array in the reply"))?;
        let total = if rowcount >= 0 {
            rowcount
        } else {
            raw.len() as i64
        };
        let mut rest = decode_reply(raw, &types);
        if rest.rows.len() == 0 {
            if let Some(e) = rest.failure {
                return Err(e);
            }
        }
        let rows = next_rows(&mut rest, self.cfg.fetch_size);
        let (outcome, open) = Pages::first(
            Rc::from(columns),
            rows,
            (),
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
        if open.next.rows.len() == 0 {
            if let Some(e) = open.next.failure.take() {
                self.open = None;
                return Err(e);
            }
        }
        let rows = next_rows(&mut open.next, self.cfg.fetch_size);
        let rest = remaining(&mut open.next);
        Ok(Pages::page(&mut self.open, rows, rest))
    }

    async fn discard(&mut self) -> Result<()> {
        self.open = None;
        Ok(())
    }

    crate::autocommit_only!("CrateDB");
}

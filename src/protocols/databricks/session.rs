//! A Databricks session over the Statement Execution API: a statement is one POST, polled
//! while PENDING or RUNNING; its result comes in chunks, one per fetch, inline or from cloud
//! storage through external links.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_json::{json, Value as Json};

use super::cancel::CancelToken;
use super::config::{DatabricksConfig, STATEMENTS};
use super::response::{reply_error, statement_error, ChunkRows, ResultData, StatementResponse};
use super::types::{decode, parameter, DType};
use crate::core::error::{Error, Result};
use crate::core::http::{parse_reply, HttpClient, NextPage, Request, Response};
use crate::core::pages::{decode_rows, Pages};
use crate::core::sql::{self, Marker};
use crate::core::value::Value;
use crate::core::{executemany_rowcount, Backend, Batch, Column, Outcome, Params, Row};

/// Between polls of a running statement, as the SQL connector polls.
const POLL_MS: u32 = 200;
/// Attempts of a request the server asked to retry (429, 503), as the SDK retries them.
const MAX_ATTEMPTS: u32 = 5;

pub struct DatabricksSession<H> {
    http: H,
    cfg: DatabricksConfig,
    /// The open result: its column types, and its next chunk, asked for.
    open: Option<Pages<Vec<DType>, NextPage>>,
    /// The statement running now, for the cancel token.
    running: Rc<RefCell<Option<String>>>,
}

impl<H: HttpClient> DatabricksSession<H> {
    /// Checks the address, the token and the warehouse with a statement that reads nothing.
    pub async fn connect(http: H, cfg: DatabricksConfig) -> Result<DatabricksSession<H>> {
        let mut s = DatabricksSession {
            http,
            cfg,
            open: None,
            running: Rc::default(),
        };
        s.run("SELECT 1", Vec::new()).await?;
        Ok(s)
    }

    /// What cancels this session's running statement from outside it.
    pub fn cancel_token(&self) -> CancelToken {
        CancelToken {
            cfg: self.cfg.clone(),
            running: self.running.clone(),
        }
    }

    /// Sends a request, again after the wait the server asks for on 429 and 503 (as the SDK).
    async fn send<T: DeserializeOwned>(&self, req: Request) -> Result<T> {
        let resp = self.http.send(req.clone()).await?;
        self.answer(resp, req).await
    }

    /// The next chunk's reply, retried as `send` does.
    async fn read_next<T: DeserializeOwned>(&self, next: &mut NextPage) -> Result<T> {
        let resp = next.reply().await?;
        self.answer(resp, next.request.clone()).await
    }

    /// `resp` read as T, or `req` sent again while the server asks to retry.
    async fn answer<T: DeserializeOwned>(&self, mut resp: Response, req: Request) -> Result<T> {
        let mut attempt = 1;
        loop {
            match resp.status {
                200 => return parse_reply(&resp),
                429 | 503 if attempt < MAX_ATTEMPTS => {
                    let secs = resp
                        .header("retry-after")
                        .and_then(|s| s.trim().parse::<u32>().ok())
                        .unwrap_or(1)
                        .min(30);
                    self.http.pause(secs * 1000).await;
                    attempt += 1;
                    resp = self.http.send(req.clone()).await?;
                }
                _ => return Err(reply_error(&resp)),
            }
        }
    }

    /// Runs a statement until it ends: its final reply (SUCCEEDED), or its error.
    async fn run(&mut self, statement: &str, parameters: Vec<Json>) -> Result<StatementResponse> {
        let mut body = json!({
            "warehouse_id": self.cfg.warehouse_id,
            "statement": statement,
            "wait_timeout": self.cfg.wait_timeout,
            "on_wait_timeout": if self.cfg.cancel_on_wait_timeout { "CANCEL" } else { "CONTINUE" },
            "disposition": if self.cfg.external_links { "EXTERNAL_LINKS" } else { "INLINE" },
            "format": "JSON_ARRAY",
        });
        if !parameters.is_empty() {
            body["parameters"] = Json::Array(parameters);
        }
        if let Some(c) = &self.cfg.catalog {
            body["catalog"] = json!(c);
        }
        if let Some(s) = &self.cfg.schema {
            body["schema"] = json!(s);
        }
        let mut reply: StatementResponse = self
            .send(self.cfg.request("POST", STATEMENTS, Some(body)))
            .await?;
        let id = reply.statement_id.clone().unwrap_or_default();
        *self.running.borrow_mut() = Some(id.clone());
        let result = loop {
            match reply.status.state.as_str() {
                "PENDING" | "RUNNING" => {
                    self.http.pause(POLL_MS).await;
                    let path = format!("{STATEMENTS}/{id}");
                    match self.send(self.cfg.request("GET", &path, None)).await {
                        Ok(r) => reply = r,
                        Err(e) => break Err(e),
                    }
                }
                "SUCCEEDED" => break Ok(reply),
                "FAILED" => break Err(statement_error(&reply.status)),
                "CANCELED" if self.cfg.cancel_on_wait_timeout => {
                    break Err(Error::cancelled(format!(
                        "the statement timed out: the warehouse stopped it after {}",
                        self.cfg.wait_timeout
                    )))
                }
                "CANCELED" => break Err(Error::cancelled("the statement was cancelled")),
                "CLOSED" => {
                    break Err(Error::server(
                        crate::core::ErrorKind::Operational,
                        None,
                        "the statement's results were closed",
                    ))
                }
                other => break Err(Error::malformed(format!("statement state {other:?}"))),
            }
        };
        *self.running.borrow_mut() = None;
        result
    }

    /// The rows of one chunk, inline or from its external link, and the next chunk: inline, asked
    /// for already, before the rows are decoded, so that the server works on it meanwhile.
    async fn chunk_rows(
        &self,
        data: Option<ResultData>,
        types: &[DType],
    ) -> Result<(Vec<Row>, Option<NextPage>)> {
        let data = data.unwrap_or_default();
        let (cells, next) = match data.external_links.and_then(|l| l.into_iter().next()) {
            Some(link) => {
                // Storage authenticates by the link and its headers, never by our token.
                let headers = link
                    .http_headers
                    .iter()
                    .flatten()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect();
                let resp = self
                    .http
                    .send(Request {
                        method: "GET",
                        url: link.external_link,
                        headers,
                        body: None,
                        timeout_ms: None,
                    })
                    .await?;
                if resp.status != 200 {
                    // Storage's error body may quote the link's signature: only its code.
                    let body = String::from_utf8_lossy(&resp.body);
                    let code = body
                        .split_once("<Code>")
                        .and_then(|(_, r)| r.split_once("</Code>"))
                        .map(|(c, _)| c.chars().take(64).collect::<String>())
                        .unwrap_or_default();
                    return Err(Error::network(format!(
                        "could not read a result chunk from storage (HTTP {}) {code}",
                        resp.status
                    )));
                }
                (
                    parse_reply::<ChunkRows>(&resp)?,
                    link.next_chunk_internal_link,
                )
            }
            None => (data.data_array, data.next_chunk_internal_link),
        };
        // With external links, the next chunk's reply is a signed link that expires: it is
        // asked for when read.
        let next = match next.map(|link| self.cfg.request("GET", &link, None)) {
            Some(req) if self.cfg.external_links => Some(NextPage::ask_when_read(&self.http, req)),
            Some(req) => Some(NextPage::ask_now(&self.http, req).await),
            None => None,
        };
        let rows = decode_rows(cells.unwrap_or_default(), types, decode)?;
        Ok((rows, next))
    }
}

impl<H: HttpClient> Backend for DatabricksSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.open = None;
        // Markers are named: `?` and `$n` become `:p1`, `:p2`, …
        let bound = sql::bind(stmt, params, Marker::Named)?;
        let parameters = bound
            .names
            .iter()
            .zip(&bound.values)
            .map(|(n, v)| parameter(n, v))
            .collect::<Result<Vec<_>>>()?;
        let reply = self.run(bound.sql(), parameters).await?;
        let manifest = reply.manifest.unwrap_or_default();
        let columns = manifest.schema.columns;
        if columns.is_empty() {
            return Ok(Outcome::done(-1));
        }
        let types: Vec<DType> = columns.iter().map(DType::of).collect();
        let (rows, next) = self.chunk_rows(reply.result, &types).await?;
        // DML answers one row of counts: that is its rowcount, not a result.
        let scanned = &bound.scanned;
        if scanned.writes && !scanned.returning && columns[0].name == "num_affected_rows" {
            let affected = match rows.first().and_then(|r| r.first()) {
                Some(Value::Int(n)) => *n,
                _ => -1,
            };
            return Ok(Outcome::done(affected));
        }
        let cols: Vec<Column> = columns
            .into_iter()
            .zip(&types)
            .map(|(c, t)| Column {
                precision: c.type_precision,
                scale: c.type_scale,
                ..Column::new(
                    c.name,
                    c.type_text.or(c.type_name).unwrap_or_default(),
                    t.logical(),
                )
            })
            .collect();
        let total = manifest.total_row_count.filter(|t| *t >= 0);
        let (outcome, open) = Pages::first(Rc::from(cols), rows, types, next, total);
        self.open = open;
        Ok(outcome)
    }

    /// One statement per parameter set: the API has no batches.
    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        let mut counts = Vec::with_capacity(param_sets.len());
        for params in param_sets {
            counts.push(self.execute(stmt, params).await?.rowcount);
        }
        self.open = None;
        Ok(executemany_rowcount(counts))
    }

    async fn fetch(&mut self) -> Result<Batch> {
        // Taken out: a failed chunk ends the result; a chunk with more after it puts it back.
        let Some(mut pages) = self.open.take() else {
            return Ok(Batch::end(-1));
        };
        let data = self.read_next(&mut pages.next).await?;
        let (rows, next) = self.chunk_rows(Some(data), &pages.shape).await?;
        let mut open = Some(pages);
        let batch = Pages::page(&mut open, rows, next);
        self.open = open;
        Ok(batch)
    }

    async fn discard(&mut self) -> Result<()> {
        self.open = None;
        Ok(())
    }

    crate::autocommit_only!("the Databricks Statement Execution API");
}

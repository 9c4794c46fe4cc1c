//! A Databend session over its HTTP handler. A statement is one POST; its result is paged by
//! following `next_uri` until it is null, one page per fetch, so a large result streams. The
//! server keeps no session for us: the `session` object of each reply (when not null) is sent
//! back with the next request, which is how `USE`, `SET` and transactions last. A result left
//! open is closed with its `final_uri`.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{json, Value as Json};

use super::cancel::{CancelToken, Running};
use super::config::DatabendConfig;
use super::params::param;
use super::response::{reply_error, server_error, LoginResponse, QueryResponse};
use super::types::{decode, DbType};
use crate::core::error::{Error, Result};
use crate::core::http::{parse_reply, HttpClient, NextPage, Request, Response};
use crate::core::pages::{decode_rows, Pages};
use crate::core::sql::{self, Marker};
use crate::core::{executemany_rowcount, Backend, Batch, Column, Outcome, Params, Row};

/// The pause before following a reply that brought nothing while the query runs.
const IDLE_POLL_MS: u32 = 100;
/// How long a heartbeat may take.
const HEARTBEAT_TIMEOUT_MS: u64 = 10_000;

/// What reading the rest of a result needs.
struct Shape {
    types: Vec<DbType>,
    /// Timestamps are instants (the session's timezone is UTC).
    utc: bool,
    final_uri: Option<String>,
}

pub struct DatabendSession<H> {
    http: H,
    cfg: DatabendConfig,
    /// The last session state the server reported: sent back with every request.
    session: Json,
    server_version: Option<String>,
    server_side_params: bool,
    /// The open result, and its next page, asked for.
    open: Option<Pages<Shape, NextPage>>,
    autocommit: bool,
    /// Statements started, for query ids.
    queries: u64,
    running: Rc<RefCell<Running>>,
    /// `Running::activity` at the last keep-alive, and how many keep-alives in a row saw none.
    seen_activity: u64,
    idle_ticks: u32,
}

/// Semantic versions compare as numbers: `1.2.905` > `1.2.900`.
fn newer_than(version: &str, than: [u64; 3]) -> bool {
    let nums: Vec<u64> = version
        .trim_start_matches('v')
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    nums.as_slice() > than.as_slice()
}

fn rows_of(types: &[DbType], reply: &mut QueryResponse, utc: bool) -> Result<Vec<Row>> {
    let data = reply
        .data
        .take()
        .ok_or_else(|| Error::malformed("no data array in the reply"))?;
    decode_rows(data, types, |t, c| decode(t, c, utc))
}

impl<H: HttpClient> DatabendSession<H> {
    /// Logs in as bendsql does (`/v1/session/login`); a server too old to have it (404) is
    /// used without.
    pub async fn connect(http: H, cfg: DatabendConfig) -> Result<DatabendSession<H>> {
        let mut login = json!({ "database": cfg.database });
        if !cfg.settings.is_empty() {
            login["settings"] = Json::Object(cfg.settings.clone());
        }
        let req = cfg.request(
            "POST",
            "/v1/session/login?disable_session_token=true",
            Some(login),
        );
        let resp = http.send(req).await?;
        let server_version = match resp.status {
            200 => {
                let body: LoginResponse = parse_reply(&resp)?;
                if let Some(err) = &body.error {
                    return Err(server_error(err));
                }
                body.version
            }
            404 => None,
            _ => return Err(reply_error(&resp, &cfg.user)),
        };
        let mut session = json!({ "database": cfg.database });
        if !cfg.settings.is_empty() {
            session["settings"] = Json::Object(cfg.settings.clone());
        }
        Ok(DatabendSession {
            http,
            server_side_params: server_version
                .as_deref()
                .is_some_and(|v| newer_than(v, [1, 2, 900])),
            server_version,
            autocommit: cfg.autocommit,
            cfg,
            session,
            open: None,
            queries: 0,
            running: Rc::default(),
            seen_activity: 0,
            idle_ticks: 0,
        })
    }

    /// What cancels this session's running query from outside it.
    pub fn cancel_token(&self) -> CancelToken {
        CancelToken {
            cfg: self.cfg.clone(),
            running: self.running.clone(),
        }
    }

    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    async fn send(
        &self,
        method: &'static str,
        path: &str,
        body: Option<Json>,
    ) -> Result<QueryResponse> {
        let resp = self.http.send(self.cfg.request(method, path, body)).await?;
        self.reply_of(&resp)
    }

    fn reply_of(&self, resp: &Response) -> Result<QueryResponse> {
        if resp.status != 200 {
            return Err(reply_error(resp, &self.cfg.user));
        }
        parse_reply(resp)
    }

    /// Takes what a reply says about the session and the running query; fails on its error.
    fn absorb(&mut self, reply: &mut QueryResponse) -> Result<()> {
        if let Some(session) = reply.session.take().filter(Json::is_object) {
            self.session = session;
        }
        let mut running = self.running.borrow_mut();
        running.activity += 1;
        if let Some(t) = reply.result_timeout_secs {
            running.result_timeout_secs = t;
        }
        running.query = (!reply.id.is_empty() && reply.next_uri.is_some()).then(|| {
            (
                reply.node_id.clone(),
                reply.id.clone(),
                reply.kill_uri.clone(),
            )
        });
        drop(running);
        match &reply.error {
            Some(err) => Err(server_error(err)),
            None => Ok(()),
        }
    }

    fn in_transaction(&self) -> bool {
        matches!(self.session["txn_state"].as_str(), Some("Active" | "Fail"))
    }

    /// Runs a statement to its end: its written-row count.
    async fn run_to_end(&mut self, sql: &str, params: Option<Json>) -> Result<i64> {
        self.abandon().await;
        let reply = self.start(sql, params).await?;
        self.finish(reply).await
    }

    /// Follows a result without rows to its end: the written-row count, which is on the first
    /// reply or the last page with data.
    async fn finish(&mut self, mut reply: QueryResponse) -> Result<i64> {
        let mut count = reply.written();
        while let Some(uri) = reply.next_uri.take() {
            let pause = !reply.has_rows() && reply.running();
            reply = self.follow(&uri, pause).await?;
            count = count.max(reply.written());
        }
        self.running.borrow_mut().query = None;
        Ok(count)
    }

    async fn start(&mut self, sql: &str, params: Option<Json>) -> Result<QueryResponse> {
        let mut body = json!({ "sql": sql, "session": self.session });
        if !self.cfg.pagination.is_empty() {
            body["pagination"] = Json::Object(self.cfg.pagination.clone());
        }
        if let Some(p) = params {
            body["params"] = p;
        }
        // Our own query id, so that a cancel can kill the query before its first reply.
        self.queries += 1;
        let id = format!("{:016x}{:016x}", self.cfg.query_id_seed, self.queries);
        self.running.borrow_mut().query = Some((None, id.clone(), None));
        let mut req = self.cfg.request("POST", "/v1/query", Some(body));
        req.headers.push(("X-DATABEND-QUERY-ID".into(), id));
        let resp = self.http.send(req).await?;
        if resp.status != 200 {
            self.running.borrow_mut().query = None;
            return Err(reply_error(&resp, &self.cfg.user));
        }
        let mut reply = parse_reply(&resp)?;
        self.absorb(&mut reply)?;
        Ok(reply)
    }

    /// Forgets the open or running query, closing it on the server (best effort: results
    /// expire anyway).
    async fn abandon(&mut self) {
        let open_final = self.open.take().and_then(|o| o.shape.final_uri);
        let running = self.running.borrow_mut().query.take();
        let uri = open_final.or_else(|| running.map(|(_, id, _)| format!("/v1/query/{id}/final")));
        if let Some(uri) = uri {
            let _ = self.send("POST", &uri, None).await;
        }
    }

    /// The reply at `uri` (a `next_uri`), after a short pause when the last reply brought
    /// nothing while the query runs, so a server that does not long-poll
    /// (`wait_time_secs=0`) is not hammered.
    async fn follow(&mut self, uri: &str, pause: bool) -> Result<QueryResponse> {
        if pause {
            self.http.pause(IDLE_POLL_MS).await;
        }
        let mut next = self.send("GET", uri, None).await?;
        self.absorb(&mut next)?;
        Ok(next)
    }

    /// The reply to a `next_uri` asked for already.
    async fn follow_next(&mut self, next: &mut NextPage) -> Result<QueryResponse> {
        let mut reply = self.reply_of(&next.reply().await?)?;
        self.absorb(&mut reply)?;
        Ok(reply)
    }

    /// A page's rows, and its `next_uri` followed already: sent before the rows are decoded, so
    /// that the server works on the next page meanwhile.
    async fn page_of(
        &mut self,
        reply: &mut QueryResponse,
        types: &[DbType],
        utc: bool,
    ) -> Result<(Vec<Row>, Option<NextPage>)> {
        let next = match reply.next_uri.take() {
            Some(uri) => {
                Some(NextPage::ask_now(&self.http, self.cfg.request("GET", &uri, None)).await)
            }
            None => None,
        };
        Ok((rows_of(types, reply, utc)?, next))
    }

    /// BEGIN before the first statement when autocommit is off.
    async fn begin_if_needed(&mut self) -> Result<()> {
        if !self.autocommit && !self.in_transaction() {
            self.run_to_end("BEGIN", None).await?;
        }
        Ok(())
    }

    /// The parameters as the server binds them: by name for `:name`, in order for `?`.
    fn params(&self, stmt: &str, params: Params) -> Result<Option<Json>> {
        let named = matches!(params, Params::Named(_));
        let bound = sql::bind(stmt, params, Marker::Named)?;
        if bound.values.is_empty() {
            return Ok(None);
        }
        if !self.server_side_params {
            return Err(Error::not_supported(format!(
                "parameters need Databend 1.2.901 or newer (this server is {}): it binds them itself",
                self.server_version.as_deref().unwrap_or("older")
            )));
        }
        let values = bound.values.iter().map(param);
        Ok(Some(match named {
            true => Json::Object(bound.names.into_iter().zip(values).collect()),
            false => Json::Array(values.collect()),
        }))
    }

    /// Runs a statement: its first page, or what it did.
    async fn statement(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        let params = self.params(stmt, params)?;
        self.begin_if_needed().await?;
        let mut reply = self.start(stmt, params).await?;
        // A query still starting or running may have no schema yet: poll until it has one,
        // rows, or an end.
        while !reply.has_schema() && !reply.has_rows() && reply.running() {
            match reply.next_uri.take() {
                Some(uri) => reply = self.follow(&uri, true).await?,
                None => break,
            }
        }
        let schema = reply.schema.take().unwrap_or_default();
        if schema.is_empty() {
            return Ok(Outcome::done(self.finish(reply).await?));
        }
        let types: Vec<DbType> = schema.iter().map(|f| DbType::parse(&f.ty)).collect();
        let columns: Vec<Column> = schema
            .into_iter()
            .zip(&types)
            .map(|(f, t)| Column::new(f.name, f.ty, t.logical()))
            .collect();
        let utc = reply.utc();
        let final_uri = reply.final_uri.take();
        let (rows, next) = self.page_of(&mut reply, &types, utc).await?;
        let shape = Shape {
            types,
            utc,
            final_uri,
        };
        let (outcome, open) = Pages::first(Rc::from(columns), rows, shape, next, None);
        self.open = open;
        Ok(outcome)
    }

    /// The next page of the open result (pages that come back empty while the query runs
    /// are followed on, after a pause).
    async fn next_page(&mut self) -> Result<Batch> {
        let Some(mut pages) = self.open.take() else {
            return Ok(Batch::end(-1));
        };
        let page = async {
            let mut reply = self.follow_next(&mut pages.next).await?;
            while !reply.has_rows() && reply.running() {
                match reply.next_uri.take() {
                    Some(uri) => reply = self.follow(&uri, true).await?,
                    None => break,
                }
            }
            self.page_of(&mut reply, &pages.shape.types, pages.shape.utc)
                .await
        }
        .await;
        let mut open = Some(pages);
        match page {
            Ok((rows, next)) => {
                let batch = Pages::page(&mut open, rows, next);
                self.open = open;
                Ok(batch)
            }
            Err(e) => {
                // Whatever ended the result, release it on the server.
                self.open = open;
                self.abandon().await;
                Err(e)
            }
        }
    }
}

impl<H: HttpClient> Backend for DatabendSession<H> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.abandon().await;
        let outcome = self.statement(stmt, params).await;
        if outcome.is_err() {
            self.abandon().await;
        }
        outcome
    }

    /// One statement per parameter set (Databend has no batch form over HTTP); in one
    /// transaction when autocommit is off.
    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.abandon().await;
        let mut counts = Vec::with_capacity(param_sets.len());
        for params in param_sets {
            let params = self.params(stmt, params)?;
            self.begin_if_needed().await?;
            counts.push(self.run_to_end(stmt, params).await?);
        }
        Ok(executemany_rowcount(counts))
    }

    async fn fetch(&mut self) -> Result<Batch> {
        self.next_page().await
    }

    async fn discard(&mut self) -> Result<()> {
        self.abandon().await;
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        if self.in_transaction() {
            self.run_to_end("COMMIT", None).await?;
        }
        Ok(())
    }

    async fn rollback(&mut self) -> Result<()> {
        if self.in_transaction() {
            self.run_to_end("ROLLBACK", None).await?;
        }
        Ok(())
    }

    fn autocommit(&self) -> bool {
        self.autocommit
    }

    fn set_autocommit(&mut self, on: bool) -> Result<()> {
        if on && self.in_transaction() {
            return Err(Error::programming(
                "cannot turn autocommit on inside a transaction: commit() or rollback() first",
            ));
        }
        self.autocommit = on;
        Ok(())
    }

    async fn close(&mut self) {
        self.abandon().await;
    }

    /// A tick at a quarter of the server's result timeout (15 s until it says).
    fn keep_alive_interval_ms(&self) -> Option<u32> {
        let secs = self.running.borrow().result_timeout_secs;
        Some(match secs {
            0 => 15_000,
            _ => (secs.saturating_mul(1000) / 4).clamp(500, 15_000) as u32,
        })
    }

    /// A heartbeat for a result left unread, as bendsql sends: once no reply came for two
    /// ticks (half the server's result timeout), so the server keeps the result.
    async fn keep_alive(&mut self) -> Result<()> {
        let (activity, has_query) = {
            let r = self.running.borrow();
            (r.activity, r.query.is_some())
        };
        self.idle_ticks = if activity == self.seen_activity && has_query {
            self.idle_ticks + 1
        } else {
            0
        };
        self.seen_activity = activity;
        if self.idle_ticks < 2 {
            return Ok(());
        }
        self.idle_ticks = 0;
        let body = match &self.running.borrow().query {
            Some((node, id, _)) => {
                json!({ "node_to_queries": { node.clone().unwrap_or_default(): [id] } })
            }
            None => return Ok(()),
        };
        let req = Request {
            // A heartbeat the server does not answer soon must not hold the connection up.
            timeout_ms: Some(HEARTBEAT_TIMEOUT_MS),
            ..self
                .cfg
                .request("POST", "/v1/session/heartbeat", Some(body))
        };
        self.http.send(req).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(newer_than("1.2.905", [1, 2, 900]) && !newer_than("1.2.900", [1, 2, 900]));
        assert!(newer_than("v1.10.0-nightly", [1, 2, 900]));
    }
}

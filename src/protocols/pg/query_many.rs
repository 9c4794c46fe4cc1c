//! `executemany`: one Parse, a Bind and Execute per parameter set, one Sync, in one flight.

use bytes::BytesMut;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use super::session::PgSession;
use super::simple_query::{copy_not_supported, rowcount_of};
use crate::core::error::{Error, Result};
use crate::core::sql::{self, Marker};
use crate::core::transport::Transport;
use crate::core::{executemany_rowcount, Backend, Params};

impl<T: Transport> PgSession<T> {
    /// Runs one statement once per parameter set; the total row count.
    pub(super) async fn query_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.usable()?;
        self.discard().await?;
        if param_sets.is_empty() {
            return Ok(0);
        }
        let sql::BoundMany { scanned, rows } = sql::bind_many(sql, param_sets, Marker::Dollar)?;
        if scanned.copy_stream {
            return Err(copy_not_supported());
        }
        if scanned.statement_count > 1 {
            return Err(Error::programming("executemany takes a single statement"));
        }
        let mut out = BytesMut::new();
        let begin = self.begin_if_needed(&mut out)?;
        frontend::parse("", &scanned.sql, Self::param_oids(&rows), &mut out)
            .map_err(Error::malformed)?;
        for values in &rows {
            Self::write_bind(values, &mut out)?;
            frontend::execute("", 0, &mut out).map_err(Error::malformed)?;
        }
        frontend::sync(&mut out);
        self.send(&out).await?;
        if begin {
            if let Err(e) = self.read_simple(None).await {
                return Err(self.resync(e, true).await);
            }
        }
        let mut counts = Vec::with_capacity(rows.len());
        loop {
            match self.next().await? {
                Message::CommandComplete(body) => {
                    counts.push(rowcount_of(body.tag().unwrap_or("")))
                }
                Message::ErrorResponse(body) => {
                    let e = self.server_error(body.fields(), Some(&scanned));
                    return Err(self.resync(e, true).await);
                }
                Message::ReadyForQuery(b) => {
                    self.ready(b.status());
                    return Ok(executemany_rowcount(counts));
                }
                Message::CopyInResponse(_) | Message::CopyOutResponse(_) => {
                    // Not reachable for COPY statements (refused above); never wait forever.
                    return Err(self.fail(copy_not_supported()));
                }
                _ => {} // ParseComplete, BindComplete, rows of a row-returning statement
            }
        }
    }
}

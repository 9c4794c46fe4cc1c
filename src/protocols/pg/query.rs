//! One statement in the extended protocol: `P B D E H` (or `E S` when it cannot return rows, or
//! writes in autocommit). A statement that returns rows runs with Execute's row limit: the server
//! sends `fetch_size` rows and waits (PortalSuspended), and the next batch is asked for at once,
//! so at most two batches are ever buffered. The unnamed portal lives until Sync, which is sent
//! once the result is complete or dropped.

use std::rc::Rc;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::{DataRowBody, Message, RowDescriptionBody};
use postgres_protocol::message::frontend;
use postgres_protocol::IsNull;

use super::session::PgSession;
use super::simple_query::{copy_not_supported, rowcount_of};
use super::types;
use crate::core::error::{Error, Result};
use crate::core::sql::{self, Marker, Scanned};
use crate::core::transport::Transport;
use crate::core::value::Value;
use crate::core::{Backend, Column, Outcome, Params, Row};

/// Column types and formats of an open result, for decoding its rows.
pub(super) struct ResultShape {
    pub(super) columns: Rc<[Column]>,
    pub(super) types: Vec<(u32, i16)>,
    /// Rows delivered so far: with row-limited Execute, CommandComplete counts only the last batch.
    pub(super) delivered: i64,
    /// A RowDescription came (possibly of zero columns), not NoData.
    pub(super) described: bool,
}

impl<T: Transport> PgSession<T> {
    /// Runs one statement: its first batch of rows, or what it did.
    pub(super) async fn query(&mut self, sql: &str, params: Params) -> Result<Outcome> {
        self.usable()?;
        let sql::Bound {
            scanned, values, ..
        } = sql::bind(sql, params, Marker::Dollar)?;
        let autocommitted_write = self.autocommit && self.tx_status == b'I' && scanned.writes;
        // Sent behind the last result's Sync, without waiting for its ReadyForQuery. A Sync in
        // a transaction block commits nothing and cannot fail; one that ends an implicit
        // transaction can (a read that wrote, through a function), so only a read in autocommit
        // goes behind it, and is rolled back if it does.
        let behind_sync = self.ready_owed
            && self.open.is_none()
            && scanned.statement_count == 1
            && !scanned.copy_stream
            && (!self.owed_sync_commits
                || (self.autocommit && scanned.may_return_rows && !scanned.writes));
        if !behind_sync {
            self.discard().await?;
        }
        if scanned.copy_stream && scanned.statement_count == 1 {
            return Err(copy_not_supported());
        }
        if scanned.statement_count > 1 {
            if !values.is_empty() {
                return Err(Error::programming(
                    "parameters cannot be used with several statements in one execute",
                ));
            }
            return self.simple_query(sql).await;
        }
        let mut out = BytesMut::new();
        let begin = self.begin_if_needed(&mut out)?;
        frontend::parse(
            "",
            &scanned.sql,
            Self::param_oids(std::slice::from_ref(&values)),
            &mut out,
        )
        .map_err(Error::malformed)?;
        Self::write_bind(&values, &mut out)?;
        frontend::describe(b'P', "", &mut out).map_err(Error::malformed)?;
        // A statement that cannot return rows runs whole and ends with Sync: one round trip.
        // Otherwise rows come fetch_size at a time; a wrong guess costs memory, never rows.
        // ...except a write in autocommit: it must be committed when execute() returns, and the
        // implicit transaction commits only at Sync.
        let streaming = scanned.may_return_rows && !autocommitted_write;
        frontend::execute("", if streaming { self.fetch_size } else { 0 }, &mut out)
            .map_err(Error::malformed)?;
        if streaming {
            frontend::flush(&mut out);
        } else {
            frontend::sync(&mut out);
        }
        if behind_sync {
            // Only now: until the request is sent, the next operation must still read that reply.
            self.ready_owed = false;
            self.deferred = None;
        }
        self.send(&out).await?;
        let sync_sent = !streaming;
        if behind_sync {
            if let Some(e) = self.sync_up(true).await? {
                return Err(self.roll_back_behind(Self::failed_at_commit(e)).await);
            }
        }
        if begin {
            if let Err(e) = self.read_simple(None).await {
                return Err(self.resync(e, sync_sent).await);
            }
        }
        let shape = loop {
            match self.next().await? {
                Message::ParseComplete | Message::BindComplete => {}
                Message::NoData => break None,
                Message::RowDescription(body) => match Self::shape(&body) {
                    Ok(s) => break Some(s),
                    Err(e) => return Err(self.fail(e)),
                },
                Message::ErrorResponse(body) => {
                    let e = self.server_error(body.fields(), Some(&scanned));
                    return Err(self.resync(e, sync_sent).await);
                }
                _ => return Err(self.fail(Error::malformed("unexpected message before a result"))),
            }
        };
        let columns = shape.as_ref().map(|s| s.columns.clone());
        let shape = shape.unwrap_or(ResultShape {
            columns: Rc::new([]),
            types: Vec::new(),
            delivered: 0,
            described: false,
        });
        let (rows, more, rowcount) = self.read_rows(shape, Some(&scanned), sync_sent).await?;
        Ok(Outcome {
            columns,
            rows,
            more,
            rowcount,
            later: Vec::new(),
        })
    }

    pub(super) fn write_bind(values: &[Value], out: &mut BytesMut) -> Result<()> {
        let encoded: Vec<_> = values.iter().map(types::encode_param).collect();
        frontend::bind(
            "",
            "",
            encoded.iter().map(|p| p.0),
            encoded.iter(),
            |p, buf| match &p.1 {
                Some(bytes) => {
                    buf.extend_from_slice(bytes);
                    Ok(IsNull::No)
                }
                None => Ok(IsNull::Yes),
            },
            Some(0), // all results in text format
            out,
        )
        .map_err(|e| match e {
            frontend::BindError::Conversion(e) => Error::data(e.to_string()),
            frontend::BindError::Serialization(e) => Error::data(e.to_string()),
        })
    }

    /// Parameter types for Parse, one per position: the first type a row declares there (bytea
    /// where a row passes bytes), else 0, and the server infers it.
    pub(super) fn param_oids(rows: &[Vec<Value>]) -> Vec<u32> {
        let n = rows.first().map_or(0, Vec::len);
        (0..n)
            .map(|i| {
                rows.iter()
                    .map(|r| types::param_oid(&r[i]))
                    .find(|&oid| oid != 0)
                    .unwrap_or(0)
            })
            .collect()
    }

    pub(super) fn shape(body: &RowDescriptionBody) -> Result<ResultShape> {
        let mut columns = Vec::new();
        let mut types_ = Vec::new();
        let mut fields = body.fields();
        while let Some(f) = fields.next().map_err(Error::malformed)? {
            let [display_size, internal_size, precision, scale] =
                types::column_sizes(f.type_oid(), f.type_size(), f.type_modifier());
            columns.push(Column {
                name: f.name().to_string(),
                type_code: types::type_name(f.type_oid()),
                logical: types::logical_type(f.type_oid()),
                display_size,
                internal_size,
                precision,
                scale,
                null_ok: None,
            });
            types_.push((f.type_oid(), f.format()));
        }
        Ok(ResultShape {
            columns: columns.into(),
            types: types_,
            delivered: 0,
            described: true,
        })
    }

    pub(super) fn decode_row(shape: &ResultShape, body: &DataRowBody) -> Result<Row> {
        let mut row = Vec::with_capacity(shape.types.len());
        let mut ranges = body.ranges();
        let buf = body.buffer();
        let mut i = 0;
        // Where the next column's length is: NULL is -1, and only -1 (the parser reads any
        // negative length as NULL, which would turn garbage into a value).
        let mut at = 0;
        while let Some(range) = ranges.next().map_err(Error::malformed)? {
            let &(oid, format) = shape
                .types
                .get(i)
                .ok_or_else(|| Error::malformed("data row has more columns than described"))?;
            row.push(match range {
                None => {
                    let len = i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
                    if len != -1 {
                        return Err(Error::malformed(format!(
                            "a DataRow gives column {} the length {len}",
                            i + 1
                        )));
                    }
                    at += 4;
                    Value::Null
                }
                Some(r) => {
                    at = r.end;
                    types::decode(oid, format, &buf[r])?
                }
            });
            i += 1;
        }
        if i != shape.types.len() {
            return Err(Error::malformed(
                "data row has fewer columns than described",
            ));
        }
        Ok(row)
    }

    /// Reads rows of the open result until the portal suspends or completes.
    pub(super) async fn read_rows(
        &mut self,
        shape: ResultShape,
        scanned: Option<&Scanned>,
        sync_sent: bool,
    ) -> Result<(Vec<Row>, bool, i64)> {
        let mut rows = Vec::new();
        match self.read_batch(&mut rows, shape, scanned, sync_sent).await {
            Ok((more, rowcount)) => Ok((rows, more, rowcount)),
            Err(e) if rows.is_empty() => Err(e),
            // Rows that came before the failure are the server's valid output: hand them out,
            // and the failure with the next fetch.
            Err(e) => {
                self.deferred = Some(e);
                Ok((rows, true, -1))
            }
        }
    }

    /// Reads one batch into `rows`: (more rows follow, final row count).
    pub(super) async fn read_batch(
        &mut self,
        rows: &mut Vec<Row>,
        mut shape: ResultShape,
        scanned: Option<&Scanned>,
        sync_sent: bool,
    ) -> Result<(bool, i64)> {
        loop {
            match self.next().await? {
                Message::DataRow(body) => match Self::decode_row(&shape, &body) {
                    Ok(row) => rows.push(row),
                    Err(e) => return Err(self.resync(e, sync_sent).await),
                },
                Message::PortalSuspended => {
                    shape.delivered = shape.delivered.saturating_add(rows.len() as i64);
                    // Ask for the next batch now: the server and the relay produce it while the
                    // caller handles this one. At most two batches are in memory.
                    self.send(&Self::next_batch(self.fetch_size)?).await?;
                    self.open = Some(shape);
                    return Ok((true, -1));
                }
                Message::CommandComplete(body) => {
                    let count = if !shape.described {
                        body.tag().map(rowcount_of).unwrap_or(-1)
                    } else {
                        shape.delivered.saturating_add(rows.len() as i64)
                    };
                    self.finish(sync_sent).await?;
                    return Ok((false, count));
                }
                Message::EmptyQueryResponse => {
                    self.finish(sync_sent).await?;
                    return Ok((false, -1));
                }
                Message::ErrorResponse(body) => {
                    let e = self.server_error(body.fields(), scanned);
                    return Err(self.resync(e, sync_sent).await);
                }
                Message::CopyInResponse(_) => {
                    // The server ignores a Sync sent before copy-in mode: end it and sync again.
                    self.refuse_copy_in().await?;
                    return Err(self.resync(copy_not_supported(), false).await);
                }
                Message::CopyOutResponse(_) => {
                    return Err(self.resync(copy_not_supported(), sync_sent).await)
                }
                _ => return Err(self.fail(Error::malformed("unexpected message in a result"))),
            }
        }
    }

    /// Execute + Flush for the next `fetch_size` rows of the open portal.
    pub(super) fn next_batch(fetch_size: i32) -> Result<BytesMut> {
        let mut out = BytesMut::new();
        frontend::execute("", fetch_size, &mut out).map_err(Error::malformed)?;
        frontend::flush(&mut out);
        Ok(out)
    }

    /// The error of a Sync whose reply was left for the next operation: only an implicit commit
    /// fails there (a read that wrote, through a function).
    pub(super) fn failed_at_commit(mut e: Error) -> Error {
        e.message = format!("the previous statement failed at its commit: {}", e.message);
        e
    }

    /// Undoes the statement sent behind a Sync that failed: it ran, in an implicit transaction
    /// of its own that its Sync would commit, so an error is provoked first (Describe of a
    /// portal that does not exist) and that Sync rolls it back. Returns `err`.
    async fn roll_back_behind(&mut self, err: Error) -> Error {
        let mut out = BytesMut::new();
        if frontend::describe(b'P', "webdbc.no_such_portal", &mut out).is_err() {
            return self.fail(err);
        }
        frontend::sync(&mut out);
        if self.send(&out).await.is_ok() {
            // The provoked 34000 is expected; a failure here breaks the session by itself.
            let _ = self.sync_up(true).await;
        }
        err
    }

    /// Ends the flight of a completed result. A Sync not yet sent is sent, and its reply left for
    /// the next operation: no write waits on it (a write in autocommit was sent with its Sync,
    /// and is committed when execute returns), so the rows are the caller's one round trip after
    /// execute. ReadyForQuery only confirms the transaction status the session already knows.
    pub(super) async fn finish(&mut self, sync_sent: bool) -> Result<()> {
        if !sync_sent {
            self.open = None;
            let mut out = BytesMut::new();
            frontend::sync(&mut out);
            // With the next request's bytes if one follows in this turn of the event loop.
            if let Err(e) = self.io.send_soon(&out).await {
                return Err(self.fail(e));
            }
            self.ready_owed = true;
            self.owed_sync_commits = self.tx_status == b'I';
            return Ok(());
        }
        match self.sync_up(true).await? {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

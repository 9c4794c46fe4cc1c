//! An Ignite 3 client session over a byte stream: the handshake, one request in flight at a
//! time, results paged through cursors, transactions and heartbeats.

use std::cell::Cell;
use std::rc::Rc;

use super::cancel::CancelToken;
use super::msg::{malformed, Reader, Writer};
use super::tuple::{self, ty};
use super::values;
use super::IgniteConfig;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::sql::{self, Marker};
use crate::core::transport::Transport;
use crate::core::value;
use crate::core::value::Value;
use crate::core::{executemany_rowcount, Backend, Batch, Column, Outcome, Params, Row};

const MAGIC: &[u8; 4] = b"IGNI";
/// Refuse frames beyond this: a garbage length must not make us wait for gigabytes.
mod op {
    pub const HEARTBEAT: i64 = 1;
    pub const TX_BEGIN: i64 = 43;
    pub const TX_COMMIT: i64 = 44;
    pub const TX_ROLLBACK: i64 = 45;
    pub const SQL_EXEC: i64 = 50;
    pub const SQL_CURSOR_NEXT_PAGE: i64 = 51;
    pub const SQL_CURSOR_CLOSE: i64 = 52;
    pub const SQL_EXEC_SCRIPT: i64 = 56;
    pub const SQL_EXEC_BATCH: i64 = 63;
    pub const OPERATION_CANCEL: i64 = 70;
}

/// Error groups, for the `IGN-<GROUP>-<n>` codes.
const GROUPS: [&str; 25] = [
    "",
    "CMN",
    "TBL",
    "CLIENT",
    "SQL",
    "META",
    "IDX",
    "TX",
    "REP",
    "STORAGE",
    "DISTRZONES",
    "NETWORK",
    "NODECFG",
    "CODEDEPLOY",
    "GC",
    "AUTHENTICATION",
    "COMPUTE",
    "CATALOG",
    "PLACEMENTDRIVER",
    "WORKERS",
    "RECOVERY",
    "EMBEDDED",
    "MARSHALLING",
    "REST",
    "COMMONCFG",
];

/// A request frame: length, op, request id, payload.
fn frame(op: i64, id: i64, payload: &[u8]) -> Vec<u8> {
    let mut head = Writer::default();
    head.int(op).int(id);
    let len = (head.0.len() + payload.len()) as u32;
    let mut out = len.to_be_bytes().to_vec();
    out.extend(head.0);
    out.extend_from_slice(payload);
    out
}

/// OPERATION_CANCEL of request `target`, as request `id`: sent on the same connection while the
/// target runs (the session ignores its answer).
pub(super) fn cancel_frame(id: i64, target: i64) -> Vec<u8> {
    let mut w = Writer::default();
    w.int(target);
    frame(op::OPERATION_CANCEL, id, &w.0)
}

/// An error body (§6) as an error of its PEP 249 class, and any `sql-update-counters`.
fn error_body(r: &mut Reader<'_>) -> Result<(Error, Option<Vec<i64>>)> {
    let trace = r.uuid()?;
    let code = r.int()?;
    let class = r.str()?;
    let message = r.opt_str()?.unwrap_or_else(|| class.clone());
    let _stack = r.opt_str()?;
    let mut counters = None;
    if !r.nil()? {
        let n = r.count()?;
        for _ in 0..n {
            let key = r.str()?;
            if key == "sql-update-counters" && !r.nil()? {
                let count = r.count()?;
                counters = Some((0..count).map(|_| r.long()).collect::<Result<Vec<_>>>()?);
            } else {
                r.skip()?;
            }
        }
    }
    let group = (code >> 16) as usize;
    let number = code & 0xFFFF;
    let kind = match (group, number) {
        (4, 5) => ErrorKind::Integrity,
        (4, 6) => ErrorKind::Operational,
        (4, 7) => ErrorKind::Data,
        (4, 8) => ErrorKind::Internal,
        (4, _) | (2, _) | (17, _) => ErrorKind::Programming,
        (7, 13) => ErrorKind::Internal,
        (7, _) | (15, _) | (11, _) => ErrorKind::Operational,
        (3, _) | (1, _) => ErrorKind::Internal,
        _ => ErrorKind::Database,
    };
    let mut e = Error::server(kind, None, message);
    e.code = Some(format!(
        "IGN-{}-{number}",
        GROUPS.get(group).copied().unwrap_or("UNKNOWN")
    ));
    let trace = value::hex(&trace[..4]);
    e.detail = Some(format!("{class} (code {code}, TraceId:{trace})"));
    Ok((e, counters))
}

/// The open result of a cursor.
struct Cursor {
    /// The server's cursor, while it has more pages.
    resource: Option<i64>,
    types: Vec<(i32, Option<i32>)>,
    rows: i64,
}

pub struct IgniteSession<T> {
    transport: T,
    /// Bytes received and not yet read.
    inbox: Vec<u8>,
    cfg: IgniteConfig,
    /// Request ids, shared with the cancel token, which sends on the same connection.
    next_id: Rc<Cell<i64>>,
    /// The request in flight, for the cancel token.
    running: Rc<Cell<Option<i64>>>,
    /// The highest hybrid timestamp seen, sent back so that reads see our writes.
    observable: i64,
    /// The server's idle timeout: 0, or heartbeats are due within it.
    idle_timeout_ms: i64,
    tx: Option<i64>,
    autocommit: bool,
    cursor: Option<Cursor>,
    /// Why the connection cannot be used any more.
    broken: Option<String>,
}

impl<T: Transport> IgniteSession<T> {
    pub async fn connect(transport: T, cfg: &IgniteConfig) -> Result<IgniteSession<T>> {
        let mut s = IgniteSession {
            transport,
            inbox: Vec::new(),
            cfg: cfg.clone(),
            next_id: Rc::new(Cell::new(0)),
            running: Rc::default(),
            observable: 0,
            idle_timeout_ms: 0,
            tx: None,
            autocommit: cfg.autocommit,
            cursor: None,
            broken: None,
        };
        let mut w = Writer::default();
        w.int(3).int(0).int(0).int(2).bin(&[]);
        match (&cfg.identity, &cfg.secret) {
            (Some(identity), secret) if !identity.is_empty() => {
                w.int(3)
                    .str("authn-type")
                    .str("basic")
                    .str("authn-identity")
                    .str(identity)
                    .str("authn-secret")
                    .str(secret.as_deref().unwrap_or(""));
            }
            _ => {
                w.int(0);
            }
        }
        let mut hello = MAGIC.to_vec();
        hello.extend((w.0.len() as u32).to_be_bytes());
        hello.extend(w.0);
        s.transport.send(&hello).await?;
        let magic = s.take(4).await?;
        if magic != MAGIC {
            return Err(Error::malformed(
                "the server does not speak Ignite 3's client protocol",
            ));
        }
        let payload = s.read_frame().await?;
        let mut r = Reader::new(&payload);
        let version = (r.int()?, r.int()?, r.int()?);
        if !r.nil()? {
            let (e, _) = error_body(&mut r)?;
            return Err(e);
        }
        if version != (3, 0, 0) {
            return Err(Error::malformed(format!(
                "unsupported protocol version {version:?}"
            )));
        }
        s.idle_timeout_ms = r.long()?;
        r.uuid()?; // node id
        r.opt_str()?; // node name
        for _ in 0..r.count()? {
            r.uuid()?;
        }
        r.str()?; // cluster name
        s.observable = r.long()?;
        // Server version (3 bytes, patch, pre-release), features, extensions: not needed.
        Ok(s)
    }

    /// What cancels this session's running request from outside it.
    pub fn cancel_token(&self) -> CancelToken {
        CancelToken {
            next_id: self.next_id.clone(),
            running: self.running.clone(),
        }
    }

    fn usable(&self) -> Result<()> {
        match &self.broken {
            Some(why) => Err(Error::connection_lost(why)),
            None => Ok(()),
        }
    }

    /// A failure of the connection itself: every later call reports it.
    fn fail(&mut self, e: Error) -> Error {
        self.broken = Some(e.message.clone());
        self.transport.close();
        e
    }

    async fn take(&mut self, n: usize) -> Result<Vec<u8>> {
        while self.inbox.len() < n {
            let chunk = self.transport.recv().await?;
            self.inbox.extend_from_slice(&chunk);
        }
        Ok(self.inbox.drain(..n).collect())
    }

    async fn read_frame(&mut self) -> Result<Vec<u8>> {
        let len = self.take(4).await?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let max_frame = self.cfg.max_message_bytes as usize;
        if len > max_frame {
            return Err(Error::malformed(format!(
                "a frame of {len} bytes, over the limit of {max_frame} bytes (option maxMessageSize)"
            )));
        }
        self.take(len).await
    }

    /// Sends a request and waits for its response: the payload after the header, or the
    /// server's error (and its update counters).
    async fn call(
        &mut self,
        op: i64,
        payload: &[u8],
    ) -> Result<Vec<u8>, (Error, Option<Vec<i64>>)> {
        self.usable().map_err(|e| (e, None))?;
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.running.set(Some(id));
        let result = self.exchange(op, id, payload).await;
        self.running.set(None);
        result
    }

    async fn exchange(
        &mut self,
        op: i64,
        id: i64,
        payload: &[u8],
    ) -> Result<Vec<u8>, (Error, Option<Vec<i64>>)> {
        let wire = |e: Error| (e, None);
        if let Err(e) = self.transport.send(&frame(op, id, payload)).await {
            return Err(wire(self.fail(e)));
        }
        loop {
            let frame = match self.read_frame().await {
                Ok(f) => f,
                Err(e) => return Err(wire(self.fail(e))),
            };
            let parsed = (|| {
                let mut r = Reader::new(&frame);
                let rid = r.long()?;
                let flags = r.int()?;
                if flags & 1 != 0 {
                    r.long()?; // partition assignment timestamp
                }
                let ts = r.long()?;
                Ok::<_, Error>((rid, flags, ts, frame.len() - r.buf.len()))
            })();
            let (rid, flags, ts, at) = match parsed {
                Ok(p) => p,
                Err(e) => return Err(wire(self.fail(e))),
            };
            self.observable = self.observable.max(ts);
            // Notifications, server ops and answers to other requests (a cancel's) are not ours.
            if rid != id || flags & (2 | 8) != 0 {
                continue;
            }
            let body = frame[at..].to_vec();
            if flags & 4 != 0 {
                let mut r = Reader::new(&body);
                return Err(match error_body(&mut r) {
                    Ok(e) => e,
                    Err(e) => wire(self.fail(e)),
                });
            }
            return Ok(body);
        }
    }

    async fn request(&mut self, op: i64, payload: &[u8]) -> Result<Vec<u8>> {
        self.call(op, payload).await.map_err(|(e, _)| e)
    }

    /// The fields SQL_EXEC and SQL_EXEC_BATCH share: transaction, schema, page size, timeouts,
    /// time zone and the (empty) properties.
    fn properties(&self, w: &mut Writer, with_tx: bool) {
        if with_tx {
            w.opt_int(self.tx);
        }
        w.str(&self.cfg.schema)
            .int(i64::from(self.cfg.page_size))
            .opt_int(self.cfg.timeout_ms.map(|ms| ms as i64))
            .nil()
            .str("UTC")
            .int(0)
            .bin(&tuple::build(&[]));
    }

    async fn begin_if_needed(&mut self) -> Result<()> {
        if !self.autocommit && self.tx.is_none() {
            let mut w = Writer::default();
            w.bool(false).int(0).int(self.observable);
            let body = self.request(op::TX_BEGIN, &w.0).await?;
            self.tx = Some(Reader::new(&body).long()?);
        }
        Ok(())
    }

    fn args_tuple(args: &[Value]) -> Result<Vec<u8>> {
        let mut elements = Vec::with_capacity(args.len() * 3);
        for a in args {
            elements.extend(values::argument(a)?);
        }
        Ok(tuple::build(&elements))
    }

    fn read_rows(r: &mut Reader<'_>, types: &[(i32, Option<i32>)]) -> Result<Vec<Row>> {
        let count = r.count()?;
        let mut rows = Vec::with_capacity(count.min(65_536));
        for _ in 0..count {
            let bin = r.bin()?;
            let elements = tuple::read(bin, types.len())?;
            rows.push(
                types
                    .iter()
                    .zip(elements)
                    .map(|(&(t, scale), e)| values::decode(t, scale, e))
                    .collect::<Result<Row>>()?,
            );
        }
        Ok(rows)
    }

    /// Commits or rolls back (`op`) the open transaction, if any.
    async fn end_tx(&mut self, op: i64) -> Result<()> {
        self.usable()?;
        self.close_cursor().await?;
        if let Some(tx) = self.tx.take() {
            let mut w = Writer::default();
            w.int(tx);
            self.request(op, &w.0).await?;
        }
        Ok(())
    }

    async fn close_cursor(&mut self) -> Result<()> {
        if let Some(Cursor {
            resource: Some(id), ..
        }) = self.cursor.take()
        {
            let mut w = Writer::default();
            w.int(id);
            self.request(op::SQL_CURSOR_CLOSE, &w.0).await?;
        }
        Ok(())
    }

    /// The payload of SQL_EXEC (`in_tx`: with the transaction field) and SQL_EXEC_SCRIPT:
    /// properties, the statement, its arguments, the observable timestamp.
    fn statement(&self, in_tx: bool, stmt: &str, args: &[Value]) -> Result<Vec<u8>> {
        let mut w = Writer::default();
        self.properties(&mut w, in_tx);
        w.str(stmt);
        if args.is_empty() {
            w.nil();
        } else {
            w.int(args.len() as i64).bin(&Self::args_tuple(args)?);
        }
        w.int(self.observable);
        Ok(w.0)
    }

    async fn script(&mut self, stmt: &str, args: &[Value]) -> Result<Outcome> {
        let payload = self.statement(false, stmt, args)?;
        self.request(op::SQL_EXEC_SCRIPT, &payload).await?;
        Ok(Outcome {
            columns: None,
            rows: Vec::new(),
            more: false,
            rowcount: -1,
            later: Vec::new(),
        })
    }
}

fn column(r: &mut Reader<'_>) -> Result<(Column, (i32, Option<i32>))> {
    let fields = r.int()?;
    if fields < 6 {
        return Err(malformed("column metadata with too few fields"));
    }
    let name = r.str()?;
    let nullable = r.bool()?;
    let t = r.int()?;
    let scale = Some(r.int()?).filter(|s| *s != i32::MIN);
    let precision = Some(r.int()?).filter(|p| *p >= 0);
    r.bool()?; // has origin
    for _ in 6..fields {
        r.skip()?;
    }
    let type_code = match (t, precision, scale) {
        (ty::DECIMAL, Some(p), Some(s)) => format!("DECIMAL({p},{s})"),
        _ => tuple::type_name(t).to_string(),
    };
    Ok((
        Column {
            precision: precision.map(i64::from),
            scale: scale.map(i64::from),
            null_ok: Some(nullable),
            ..Column::new(name, type_code, tuple::logical_type(t))
        },
        (t, scale),
    ))
}

impl<T: Transport> Backend for IgniteSession<T> {
    async fn execute(&mut self, stmt: &str, params: Params) -> Result<Outcome> {
        self.usable()?;
        self.close_cursor().await?;
        // Arguments as Ignite takes them: `?` markers in order of appearance.
        let bound = sql::bind(stmt, params, Marker::Question)?;
        let (stmt, args) = (bound.sql(), &bound.values);
        if bound.scanned.statement_count > 1 {
            // SQL_EXEC_SCRIPT has no transaction field: it would run outside the open one.
            if !self.autocommit {
                return Err(Error::not_supported(
                    "Ignite runs several statements in one execute (a script) outside any transaction: \
                     turn autocommit on for it, or run the statements one at a time",
                ));
            }
            return self.script(stmt, args).await;
        }
        self.begin_if_needed().await?;
        let payload = self.statement(true, stmt, args)?;
        let body = self.request(op::SQL_EXEC, &payload).await?;
        let mut r = Reader::new(&body);
        let resource = r.opt_long()?;
        let has_rows = r.bool()?;
        let has_more = r.bool()?;
        let _applied = r.bool()?;
        let affected = r.long()?;
        let count = r.count()?;
        let mut columns = Vec::with_capacity(count.min(4096));
        let mut types = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let (c, t) = column(&mut r)?;
            columns.push(c);
            types.push(t);
        }
        if !has_rows {
            // DML: its row count; DDL: applied or not, no count.
            return Ok(Outcome {
                columns: None,
                rows: Vec::new(),
                more: false,
                rowcount: affected,
                later: Vec::new(),
            });
        }
        let rows = Self::read_rows(&mut r, &types)?;
        let read = rows.len() as i64;
        let more = has_more && resource.is_some();
        self.cursor = more.then_some(Cursor {
            resource,
            types,
            rows: read,
        });
        Ok(Outcome {
            columns: Some(Rc::from(columns)),
            rows,
            more,
            rowcount: if more { -1 } else { read },
            later: Vec::new(),
        })
    }

    async fn execute_many(&mut self, stmt: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.usable()?;
        self.close_cursor().await?;
        if param_sets.is_empty() {
            return Ok(0);
        }
        let n = param_sets.len();
        let bound = sql::bind_many(stmt, param_sets, Marker::Question)?;
        let width = bound.rows.first().map_or(0, Vec::len);
        let rows = bound
            .rows
            .iter()
            .map(|args| Self::args_tuple(args))
            .collect::<Result<Vec<_>>>()?;
        self.begin_if_needed().await?;
        let mut w = Writer::default();
        self.properties(&mut w, true);
        w.str(bound.sql())
            .int(width as i64)
            .int(n as i64)
            .bool(true);
        for row in &rows {
            w.bin(row);
        }
        w.int(self.observable);
        match self.call(op::SQL_EXEC_BATCH, &w.0).await {
            Ok(body) => {
                let mut r = Reader::new(&body);
                r.opt_long()?;
                r.bool()?;
                r.bool()?;
                r.bool()?;
                let count = r.count()?;
                let counts = (0..count).map(|_| r.long()).collect::<Result<Vec<_>>>()?;
                Ok(executemany_rowcount(counts))
            }
            Err((mut e, Some(counters))) => {
                e.message = format!(
                    "executemany: {} of {n} parameter sets were applied before this failure: {}",
                    counters.len(),
                    e.message
                );
                Err(e)
            }
            Err((e, None)) => Err(e),
        }
    }

    async fn fetch(&mut self) -> Result<Batch> {
        self.usable()?;
        let Some(cursor) = self.cursor.as_ref() else {
            return Ok(Batch::end(-1));
        };
        let Some(id) = cursor.resource else {
            let rows = cursor.rows;
            self.cursor = None;
            return Ok(Batch::end(rows));
        };
        let types = cursor.types.clone();
        let mut w = Writer::default();
        w.int(id);
        let page = match self.request(op::SQL_CURSOR_NEXT_PAGE, &w.0).await {
            Ok(body) => (|| {
                let mut r = Reader::new(&body);
                let rows = Self::read_rows(&mut r, &types)?;
                Ok::<_, Error>((rows, r.bool()?))
            })(),
            Err(e) => Err(e),
        };
        let (rows, more) = match page {
            Ok(p) => p,
            Err(e) => {
                self.cursor = None;
                return Err(e);
            }
        };
        let cursor = self.cursor.as_mut().expect("checked above");
        cursor.rows += rows.len() as i64;
        let total = cursor.rows;
        if !more {
            // The server freed the cursor with its last page.
            self.cursor = None;
        }
        Ok(Batch {
            rows,
            done: !more,
            rowcount: if more { -1 } else { total },
        })
    }

    async fn discard(&mut self) -> Result<()> {
        self.close_cursor().await
    }

    async fn commit(&mut self) -> Result<()> {
        self.end_tx(op::TX_COMMIT).await
    }

    async fn rollback(&mut self) -> Result<()> {
        self.end_tx(op::TX_ROLLBACK).await
    }

    fn autocommit(&self) -> bool {
        self.autocommit
    }

    fn set_autocommit(&mut self, on: bool) -> Result<()> {
        if on && self.tx.is_some() {
            return Err(Error::programming(
                "cannot turn autocommit on inside a transaction: commit() or rollback() first",
            ));
        }
        self.autocommit = on;
        Ok(())
    }

    /// Heartbeats at a third of the node's idle timeout, as the Java client sends them.
    fn keep_alive_interval_ms(&self) -> Option<u32> {
        (self.idle_timeout_ms > 0).then(|| (self.idle_timeout_ms / 3).clamp(500, 30_000) as u32)
    }

    async fn keep_alive(&mut self) -> Result<()> {
        if self.idle_timeout_ms > 0 && self.broken.is_none() {
            self.request(op::HEARTBEAT, &[]).await?;
        }
        Ok(())
    }

    async fn close(&mut self) {
        // Closing the connection ends its cursors and rolls back its transaction.
        self.transport.close();
        self.broken = Some("the connection was closed".into());
    }
}

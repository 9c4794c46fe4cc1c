//! A node's connection: the handshake, then requests, each answered by the function of its
//! operation code.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::Value as Sql;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::tuple::{tuple, untuple};
use super::types::{arguments, read_args, Col};
use super::wire::*;
use super::{IGNITE_USER, SCHEMA};
use crate::sqlite::{self, Binds, Db};

#[derive(Clone)]
pub(super) struct Node {
    pub(super) engine: Arc<Mutex<sqlite::Engine<Col>>>,
    pub(super) interrupt: Arc<AtomicBool>,
    pub(super) secure: bool,
    pub(super) idle: Duration,
}

/// A cursor's rows still to send.
struct Pending {
    rows: Vec<Vec<u8>>,
    page: usize,
}

#[derive(Default)]
struct Conn {
    txs: HashMap<i64, Db>,
    cursors: HashMap<i64, Pending>,
    next_resource: i64,
}

pub(super) fn observable() -> i64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    ms << 16
}

impl Node {
    pub(super) async fn serve(
        self,
        stream: impl AsyncRead + AsyncWrite + Send + 'static,
    ) -> std::io::Result<()> {
        let (mut rd, wr) = tokio::io::split(stream);
        let wr = Arc::new(tokio::sync::Mutex::new(wr));
        let mut magic = [0u8; 4];
        rd.read_exact(&mut magic).await?;
        if &magic != b"IGNI" {
            return Ok(()); // close, no answer
        }
        let hello = read_frame(&mut rd).await?;
        let mut answer = b"IGNI".to_vec();
        let (payload, ok) = self.handshake(&hello);
        answer.extend((payload.len() as u32).to_be_bytes());
        answer.extend(payload);
        wr.lock().await.write_all(&answer).await?;
        if !ok {
            // Any further frame closes the connection.
            let _ = read_frame(&mut rd).await;
            return Ok(());
        }
        let conn = Arc::new(Mutex::new(Conn {
            next_resource: 1,
            ..Conn::default()
        }));
        let running: Arc<Mutex<Option<i64>>> = Arc::default();
        let (first, mut previous) = tokio::sync::oneshot::channel::<()>();
        let _ = first.send(());
        loop {
            let frame = if self.idle.is_zero() {
                read_frame(&mut rd).await?
            } else {
                match tokio::time::timeout(self.idle, read_frame(&mut rd)).await {
                    Ok(f) => f?,
                    Err(_) if running.lock().unwrap().is_none() => return Ok(()), // idle: closed
                    Err(_) => continue,
                }
            };
            let mut r = Rd(&frame);
            let (op, id) = match (r.int(), r.long()) {
                (Ok(op), Ok(id)) => (op, id),
                _ => return Ok(()),
            };
            let payload = r.0.to_vec();
            if op == 1 {
                // HEARTBEAT: answered at once, even while an operation runs.
                respond(&wr, id, Ok(Vec::new())).await;
                continue;
            }
            if op == 70 {
                // OPERATION_CANCEL: interrupt the target if it runs; answer at once.
                let target = Rd(&payload).long().unwrap_or(-1);
                if *running.lock().unwrap() == Some(target) {
                    self.interrupt.store(true, Ordering::SeqCst);
                }
                respond(&wr, id, Ok(Vec::new())).await;
                continue;
            }
            let (node, conn, wr2, running2) =
                (self.clone(), conn.clone(), wr.clone(), running.clone());
            // Ops run off the reader, so that a cancel can arrive while one runs, and one after
            // another in the order they came, so that what a test sends is what the node does.
            let (done, next) = tokio::sync::oneshot::channel::<()>();
            let before = std::mem::replace(&mut previous, next);
            tokio::spawn(async move {
                let _ = before.await;
                *running2.lock().unwrap() = Some(id);
                let result = tokio::task::spawn_blocking(move || node.op(&conn, op, &payload))
                    .await
                    .unwrap_or_else(|_| Err(err(CMN_INTERNAL, "panic")));
                *running2.lock().unwrap() = None;
                respond(&wr2, id, result).await;
                let _ = done.send(());
            });
        }
    }

    fn handshake(&self, hello: &[u8]) -> (Vec<u8>, bool) {
        let mut r = Rd(hello);
        let version = (r.int(), r.int(), r.int());
        let mut out = Vec::new();
        w_int(&mut out, 3);
        w_int(&mut out, 0);
        w_int(&mut out, 0);
        let fail = |out: &mut Vec<u8>, e: IgErr| {
            error_body(out, &e);
            (std::mem::take(out), false)
        };
        if version != (Ok(3), Ok(0), Ok(0)) {
            return fail(&mut out, err((3 << 16) | 3, "Unsupported version"));
        }
        let _client_type = r.int();
        let _features = r.bin();
        let mut ext = HashMap::new();
        for _ in 0..r.int().unwrap_or(0) {
            if let (Ok(k), Ok(v)) = (r.str(), r.str()) {
                ext.insert(k.to_ascii_lowercase(), v);
            }
        }
        if self.secure {
            let basic = ext
                .get("authn-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("basic"));
            if let Some(t) = ext.get("authn-type").filter(|_| !basic) {
                return fail(
                    &mut out,
                    err(
                        (15 << 16) | 1,
                        format!("Unsupported authentication type: {t}"),
                    ),
                );
            }
            let ok = basic
                && ext.get("authn-identity").map(String::as_str) == Some(IGNITE_USER.0)
                && ext.get("authn-secret").map(String::as_str) == Some(IGNITE_USER.1);
            if !ok {
                return fail(&mut out, err(AUTH_INVALID, "Authentication failed"));
            }
        }
        w_nil(&mut out);
        w_int(&mut out, self.idle.as_millis() as i64);
        w_uuid(&mut out, [1; 16]);
        w_str(&mut out, "webdbc-test-node");
        w_int(&mut out, 2); // two cluster ids: a history
        w_uuid(&mut out, [2; 16]);
        w_uuid(&mut out, [3; 16]);
        w_str(&mut out, "webdbc-test-cluster");
        w_int(&mut out, observable());
        w_int(&mut out, 3);
        w_int(&mut out, 1);
        w_int(&mut out, 0);
        w_nil(&mut out);
        w_nil(&mut out);
        w_bin(&mut out, &[0x2a, 0x0a]); // features this client does not know
        w_int(&mut out, 0);
        (out, true)
    }

    /// Answers one request: its payload, or its error.
    fn op(&self, conn: &Mutex<Conn>, op: i64, payload: &[u8]) -> Result<Vec<u8>, IgErr> {
        let mut r = Rd(payload);
        let mut out = Vec::new();
        match op {
            43 => self.tx_begin(conn, &mut r, &mut out)?,
            44 | 45 => self.tx_end(conn, op, &mut r)?,
            50 => self.sql_exec(conn, &mut r, &mut out)?,
            51 => self.cursor_next_page(conn, &mut r, &mut out)?,
            52 => self.cursor_close(conn, &mut r)?,
            56 => self.sql_exec_script(conn, &mut r)?,
            63 => self.sql_exec_batch(conn, &mut r, &mut out)?,
            57 => self.sql_query_meta(&mut r, &mut out)?,
            other => {
                return Err(err(
                    CLIENT_PROTOCOL,
                    format!("Unexpected operation code: {other}"),
                ))
            }
        }
        Ok(out)
    }

    /// TX_BEGIN: a transaction of its own, on a database connection of its own.
    fn tx_begin(&self, conn: &Mutex<Conn>, r: &mut Rd<'_>, out: &mut Vec<u8>) -> Result<(), IgErr> {
        let _read_only = r.bool().map_err(protocol)?;
        let _timeout = r.long().map_err(protocol)?;
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let mut db = engine.open(SCHEMA).map_err(IgErr::from)?;
        engine
            .run(Some(&mut db), SCHEMA, "BEGIN", &Binds::Positional(vec![]))
            .map_err(IgErr::from)?;
        drop(engine);
        let mut c = conn.lock().unwrap();
        let id = c.next_resource;
        c.next_resource += 1;
        c.txs.insert(id, db);
        w_int(out, id);
        Ok(())
    }

    /// TX_COMMIT (44) and TX_ROLLBACK (45).
    fn tx_end(&self, conn: &Mutex<Conn>, op: i64, r: &mut Rd<'_>) -> Result<(), IgErr> {
        let id = r.long().map_err(protocol)?;
        let db = conn.lock().unwrap().txs.remove(&id);
        let Some(mut db) = db else {
            return Err(err(
                TX_FINISHED,
                format!("Transaction is already finished [id={id}]"),
            ));
        };
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let end = if op == 44 { "COMMIT" } else { "ROLLBACK" };
        engine
            .run(Some(&mut db), SCHEMA, end, &Binds::Positional(vec![]))
            .map_err(IgErr::from)?;
        Ok(())
    }

    /// SQL_EXEC: one statement; rows beyond the first page wait in a cursor.
    fn sql_exec(&self, conn: &Mutex<Conn>, r: &mut Rd<'_>, out: &mut Vec<u8>) -> Result<(), IgErr> {
        let tx = r.opt_long().map_err(protocol)?;
        r.opt_str().map_err(protocol)?; // schema: one schema here
        let page = r
            .opt_long()
            .map_err(protocol)?
            .filter(|p| *p > 0)
            .unwrap_or(1024) as usize;
        let timeout = r.opt_long().map_err(protocol)?.filter(|t| *t > 0);
        r.opt_long().map_err(protocol)?;
        r.opt_str().map_err(protocol)?;
        r.int().map_err(protocol)?;
        r.bin().map_err(protocol)?;
        let stmt = r.str().map_err(protocol)?;
        let args = read_args(r).map_err(protocol)?;
        r.long().map_err(protocol)?;
        // The query timeout bounds the statement (and sleep() honours it).
        sqlite::set_deadline(
            timeout.map(|ms| std::time::Instant::now() + Duration::from_millis(ms as u64)),
        );
        let words = sqlite::keywords(&stmt, 2);
        let w0 = words.first().map(String::as_str).unwrap_or("");
        if matches!(w0, "START" | "BEGIN" | "COMMIT" | "ROLLBACK") {
            return Err(err(
                SQL_TX_CONTROL,
                "Transaction control statement can not be executed as an independent statement",
            ));
        }
        if statements(&stmt).len() > 1 {
            return Err(err(SQL_PARSE, "Multiple statements are not allowed"));
        }
        let result = self.exec(conn, tx, &stmt, args);
        sqlite::set_deadline(None);
        self.write_result(conn, out, result?, page);
        Ok(())
    }

    /// SQL_CURSOR_NEXT_PAGE: the cursor is freed with its last page.
    fn cursor_next_page(
        &self,
        conn: &Mutex<Conn>,
        r: &mut Rd<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), IgErr> {
        let id = r.long().map_err(protocol)?;
        let mut c = conn.lock().unwrap();
        let Some(p) = c.cursors.get_mut(&id) else {
            return Err(err(
                (1 << 16) | 6,
                format!("Failed to find resource with id: {id}"),
            ));
        };
        let take = p.page.min(p.rows.len());
        let rows: Vec<Vec<u8>> = p.rows.drain(..take).collect();
        let more = !p.rows.is_empty();
        if !more {
            c.cursors.remove(&id);
        }
        w_int(out, rows.len() as i64);
        for row in rows {
            w_bin(out, &row);
        }
        w_bool(out, more);
        Ok(())
    }

    /// SQL_CURSOR_CLOSE.
    fn cursor_close(&self, conn: &Mutex<Conn>, r: &mut Rd<'_>) -> Result<(), IgErr> {
        let id = r.long().map_err(protocol)?;
        if conn.lock().unwrap().cursors.remove(&id).is_none() {
            return Err(err(
                CMN_INTERNAL,
                format!("Failed to find resource with id: {id}"),
            ));
        }
        Ok(())
    }

    /// SQL_EXEC_SCRIPT: statements in turn, BEGIN/COMMIT/ROLLBACK among them.
    fn sql_exec_script(&self, conn: &Mutex<Conn>, r: &mut Rd<'_>) -> Result<(), IgErr> {
        // Schema, page size, query and session timeouts, time zone (no transaction).
        r.opt_str().map_err(protocol)?;
        for _ in 0..3 {
            r.opt_long().map_err(protocol)?;
        }
        r.opt_str().map_err(protocol)?;
        r.int().map_err(protocol)?;
        r.bin().map_err(protocol)?;
        let script = r.str().map_err(protocol)?;
        let args = read_args(r).map_err(protocol)?;
        let mut tx: Option<i64> = None;
        for s in statements(&script) {
            let w0 = sqlite::keywords(&s, 1).first().cloned().unwrap_or_default();
            match w0.as_str() {
                "START" | "BEGIN" => {
                    let b = self.op(conn, 43, &[0xc2, 0x00])?;
                    tx = Some(Rd(&b).long().unwrap_or(0));
                }
                "COMMIT" | "ROLLBACK" => {
                    if let Some(id) = tx.take() {
                        let mut p = Vec::new();
                        w_int(&mut p, id);
                        self.op(conn, if w0 == "COMMIT" { 44 } else { 45 }, &p)?;
                    }
                }
                _ => {
                    self.exec(conn, tx, &s, args.clone())?;
                }
            }
        }
        Ok(())
    }

    /// SQL_EXEC_BATCH: one statement per argument row; `sql-update-counters` on failure.
    fn sql_exec_batch(
        &self,
        conn: &Mutex<Conn>,
        r: &mut Rd<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), IgErr> {
        let tx = r.opt_long().map_err(protocol)?;
        r.opt_str().map_err(protocol)?;
        r.opt_long().map_err(protocol)?;
        r.opt_long().map_err(protocol)?;
        r.opt_long().map_err(protocol)?;
        r.opt_str().map_err(protocol)?;
        r.int().map_err(protocol)?;
        r.bin().map_err(protocol)?;
        let stmt = r.str().map_err(protocol)?;
        let (width, rows) = if r.nil() {
            (0, 0)
        } else {
            let w = r.int().map_err(protocol)? as usize;
            let n = r.int().map_err(protocol)? as usize;
            r.bool().map_err(protocol)?;
            (w, n)
        };
        let mut counts = Vec::new();
        for _ in 0..rows {
            let bin = r.bin().map_err(protocol)?;
            let els = untuple(bin, width * 3).map_err(protocol)?;
            let args = arguments(els).map_err(protocol)?;
            match self.exec(conn, tx, &stmt, args) {
                Ok(Done::Count(n)) => counts.push(n),
                Ok(_) => counts.push(-1),
                Err(mut e) => {
                    e.counters = Some(counts);
                    return Err(e);
                }
            }
        }
        w_nil(out);
        w_bool(out, false);
        w_bool(out, false);
        w_bool(out, false);
        w_int(out, counts.len() as i64);
        for c in counts {
            w_int(out, c);
        }
        Ok(())
    }

    /// SQL_QUERY_META: the parameters (typed from an INSERT's target columns where it has
    /// them) and no column metadata.
    fn sql_query_meta(&self, r: &mut Rd<'_>, out: &mut Vec<u8>) -> Result<(), IgErr> {
        // SQL_QUERY_META: the parameters (typed from an INSERT's target columns where
        // it has them) and no column metadata.
        r.opt_long().map_err(protocol)?;
        r.str().map_err(protocol)?;
        let query = r.str().map_err(protocol)?;
        let types = self.parameter_types(&query);
        w_int(out, types.len() as i64);
        for t in types {
            w_bool(out, t.nullable);
            w_int(out, i64::from(t.id));
            w_int(out, i64::from(t.scale.max(0)));
            w_int(out, i64::from(t.precision));
        }
        w_int(out, 0);
        Ok(())
    }

    /// The types of a statement's `?` markers: an INSERT's target columns, else unknown (NULL).
    fn parameter_types(&self, query: &str) -> Vec<Col> {
        let mut quote = None;
        let markers = query
            .chars()
            .filter(|&c| match (quote, c) {
                (Some(q), c) if c == q => {
                    quote = None;
                    false
                }
                (None, '\'' | '"') => {
                    quote = Some(c);
                    false
                }
                (None, '?') => true,
                _ => false,
            })
            .count();
        let unknown = vec![Col::of(0); markers];
        let words = sqlite::keywords(query, 3);
        if words.first().map(String::as_str) != Some("INSERT") {
            return unknown;
        }
        let table = words
            .get(2)
            .map(|t| sqlite::unquote(t.split('(').next().unwrap_or(t)));
        let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        match table.and_then(|t| engine.columns(SCHEMA, &t)) {
            Some(cols) if cols.len() == markers => cols.into_iter().map(|(_, c)| c).collect(),
            _ => unknown,
        }
    }

    fn exec(
        &self,
        conn: &Mutex<Conn>,
        tx: Option<i64>,
        stmt: &str,
        args: Vec<Sql>,
    ) -> Result<Done, IgErr> {
        let words = sqlite::keywords(stmt, 2);
        let (w0, w1) = (
            words.first().map(String::as_str).unwrap_or(""),
            words.get(1).map(String::as_str).unwrap_or(""),
        );
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        if tx.is_some() && matches!(w0, "CREATE" | "DROP" | "ALTER") {
            return Err(err(SQL_VALIDATION, "DDL doesn't support transactions."));
        }
        match (w0, w1) {
            ("CREATE", "TABLE") => {
                let created = engine
                    .create_table(SCHEMA, stmt, Col::parse, Col::affinity)
                    .map_err(IgErr::from)?;
                return Ok(Done::Applied(created));
            }
            ("DROP", "TABLE") => {
                return Ok(Done::Applied(
                    engine.drop_table(SCHEMA, stmt).map_err(IgErr::from)?,
                ));
            }
            _ => {}
        }
        let mut db = match tx {
            Some(id) => Some(conn.lock().unwrap().txs.remove(&id).ok_or_else(|| {
                err(
                    TX_FINISHED,
                    format!("Transaction is already finished [id={id}]"),
                )
            })?),
            None => None,
        };
        let outcome = engine.run(db.as_mut(), SCHEMA, stmt, &Binds::Positional(args));
        if let (Some(id), Some(db)) = (tx, db) {
            conn.lock().unwrap().txs.insert(id, db);
        }
        let (cols, types, rows) = match outcome.map_err(IgErr::from)? {
            sqlite::Outcome::Count(n) => return Ok(Done::Count(n)),
            sqlite::Outcome::Rows {
                failed: Some(f), ..
            } => return Err(f.into()),
            sqlite::Outcome::Rows {
                cols, types, rows, ..
            } => (cols, types, rows),
        };
        // Columns of a table have an origin in the metadata; expressions have none.
        let origins: Vec<bool> = types.iter().map(Option::is_some).collect();
        let types: Vec<Col> = types
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                t.unwrap_or_else(|| {
                    let mut c = match rows.iter().map(|r| &r[i]).find(|v| !matches!(v, Sql::Null)) {
                        Some(Sql::Integer(n)) if i32::try_from(*n).is_ok() => Col::of(4),
                        Some(Sql::Integer(_)) => Col::of(5),
                        Some(Sql::Real(_)) => Col::of(7),
                        Some(Sql::Blob(_)) => Col::of(16),
                        Some(_) => Col::of(15),
                        None => Col::of(0),
                    };
                    c.scale = 0;
                    c
                })
            })
            .collect();
        let encoded = rows
            .iter()
            .map(|r| {
                let els = r
                    .iter()
                    .zip(&types)
                    .map(|(v, t)| t.encode(v))
                    .collect::<R<Vec<_>>>()?;
                Ok(tuple(&els))
            })
            .collect::<R<Vec<_>>>()
            .map_err(|e| err(SQL_RUNTIME, e))?;
        Ok(Done::Rows {
            cols: cols.iter().map(|c| c.to_ascii_uppercase()).collect(),
            types,
            origins,
            rows: encoded,
        })
    }

    fn write_result(&self, conn: &Mutex<Conn>, out: &mut Vec<u8>, done: Done, page: usize) {
        let column = |out: &mut Vec<u8>, name: &str, c: &Col, origin: Option<(usize, bool)>| {
            w_int(out, if origin.is_some() { 9 } else { 6 });
            w_str(out, name);
            w_bool(out, c.nullable);
            w_int(out, i64::from(c.id));
            w_int(out, i64::from(c.scale));
            w_int(out, i64::from(c.precision));
            w_bool(out, origin.is_some());
            if let Some((first, is_first)) = origin {
                w_nil(out); // origin name: the same
                            // Schema and table: written once, then as back-references to that column.
                if is_first {
                    w_str(out, "PUBLIC");
                    w_str(out, "T");
                } else {
                    w_int(out, first as i64);
                    w_int(out, first as i64);
                }
            }
        };
        match done {
            Done::Count(n) => {
                w_nil(out);
                w_bool(out, false);
                w_bool(out, false);
                w_bool(out, false);
                w_int(out, n);
                w_int(out, 1);
                column(
                    out,
                    "ROWCOUNT",
                    &Col {
                        nullable: false,
                        ..Col::of(5)
                    },
                    None,
                );
            }
            Done::Applied(applied) => {
                w_nil(out);
                w_bool(out, false);
                w_bool(out, false);
                w_bool(out, applied);
                w_int(out, -1);
                w_int(out, 1);
                column(
                    out,
                    "APPLIED",
                    &Col {
                        nullable: false,
                        ..Col::of(1)
                    },
                    None,
                );
            }
            Done::Rows {
                cols,
                types,
                origins,
                mut rows,
            } => {
                let first_page: Vec<Vec<u8>> = rows.drain(..page.min(rows.len())).collect();
                let more = !rows.is_empty();
                if more {
                    let mut c = conn.lock().unwrap();
                    let id = c.next_resource;
                    c.next_resource += 1;
                    c.cursors.insert(id, Pending { rows, page });
                    w_int(out, id);
                } else {
                    w_nil(out);
                }
                w_bool(out, true);
                w_bool(out, more);
                w_bool(out, false);
                w_int(out, -1);
                w_int(out, cols.len() as i64);
                let first_origin = origins.iter().position(|o| *o);
                for (i, (name, c)) in cols.iter().zip(&types).enumerate() {
                    let origin =
                        origins[i].then(|| (first_origin.unwrap_or(i), Some(i) == first_origin));
                    column(out, name, c, origin);
                }
                w_int(out, first_page.len() as i64);
                for row in first_page {
                    w_bin(out, &row);
                }
            }
        }
    }
}

enum Done {
    Count(i64),
    Applied(bool),
    Rows {
        cols: Vec<String>,
        types: Vec<Col>,
        origins: Vec<bool>,
        rows: Vec<Vec<u8>>,
    },
}

/// Statements of a script, split at `;` outside quotes.
fn statements(script: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quote = None;
    for c in script.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ';') => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().unwrap().push(c);
    }
    out.retain(|s| !s.trim().is_empty());
    out
}

/// A request the node cannot read.
fn protocol(e: String) -> IgErr {
    err(CLIENT_PROTOCOL, e)
}

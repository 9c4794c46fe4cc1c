//! A PostgreSQL session over any [`Transport`]: startup and authentication, then statements.
//!
//! One statement is one flight: `P B D E H` (or `E S` when it cannot return rows, or writes in
//! autocommit). A statement that returns rows runs with Execute's row limit: the server sends
//! `fetch_size` rows and waits (PortalSuspended), and the next batch is asked for at once, so at
//! most two batches are ever buffered. The unnamed portal lives until Sync, which is sent once the
//! result is complete or dropped.

use std::collections::HashMap;
use std::rc::Rc;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::{md5_hash, sasl};
use postgres_protocol::message::backend::{DataRowBody, ErrorFields, Message, RowDescriptionBody};
use postgres_protocol::message::frontend;
use postgres_protocol::IsNull;

use super::cancel::CancelToken;
use super::types;
use super::PgConfig;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::sql::{self, Marker, Scanned};
use crate::core::transport::Transport;
use crate::core::value::Value;
use crate::core::{executemany_rowcount, Backend, Batch, Column, Outcome, Params, Row};

/// Which server speaks the protocol, from what it announces at startup (shared/protocols/
/// postgres-wire.md §10-11). QuestDB needs no switch: its SQLSTATE 00000 errors are errors here
/// anyway, and bytea in binary format is read whatever was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Postgres,
    /// Announces `crate_version`. No transactions: autocommit is always on, and the `E` it
    /// reports after an error in the extended protocol means nothing.
    CrateDb,
}

/// Larger declared lengths are garbage, not PostgreSQL (its own limit is 1 GiB per message).
const MAX_MESSAGE_LEN: usize = 1 << 30;

/// Column types and formats of an open result, for decoding its rows.
struct ResultShape {
    columns: Rc<[Column]>,
    types: Vec<(u32, i16)>,
    /// Rows delivered so far: with row-limited Execute, CommandComplete counts only the last batch.
    delivered: i64,
    /// A RowDescription came (possibly of zero columns), not NoData.
    described: bool,
}

pub struct PgSession<T> {
    io: T,
    buf: BytesMut,
    fetch_size: i32,
    autocommit: bool,
    /// ReadyForQuery status: `I` idle, `T` in a transaction block, `E` in a failed one.
    tx_status: u8,
    backend_key: Option<(i32, i32)>,
    server_params: HashMap<String, String>,
    dialect: Dialect,
    /// Why the connection can no longer be used.
    broken: Option<Error>,
    /// The result whose portal is suspended, waiting for the next Execute.
    open: Option<ResultShape>,
    /// A failure that ended the open result after some of its rows: the next fetch reports it.
    deferred: Option<Error>,
}

impl<T: Transport> PgSession<T> {
    /// Runs the startup handshake and authentication over a fresh byte stream.
    pub async fn connect(io: T, cfg: &PgConfig) -> Result<PgSession<T>> {
        let mut s = PgSession {
            io,
            buf: BytesMut::new(),
            fetch_size: cfg.fetch_size.clamp(1, i32::MAX as u32) as i32,
            autocommit: cfg.autocommit.unwrap_or(false),
            tx_status: b'I',
            backend_key: None,
            server_params: HashMap::new(),
            dialect: Dialect::Postgres,
            broken: None,
            open: None,
            deferred: None,
        };
        let mut out = BytesMut::new();
        let params = cfg.startup_params();
        frontend::startup_message(params.iter().map(|(k, v)| (*k, v.as_str())), &mut out)
            .map_err(Error::malformed)?;
        s.send(&out).await?;
        if let Err(e) = s.authenticate(cfg).await {
            s.io.close();
            return Err(e);
        }
        if s.server_params.contains_key("crate_version") {
            if cfg.autocommit == Some(false) {
                s.io.close();
                return Err(crate::core::no_transactions("CrateDB"));
            }
            s.dialect = Dialect::CrateDb;
            s.autocommit = true;
        }
        Ok(s)
    }

    /// Notes ReadyForQuery's transaction status.
    fn ready(&mut self, status: u8) {
        self.tx_status = match self.dialect {
            Dialect::CrateDb => b'I',
            _ => status,
        };
    }

    async fn authenticate(&mut self, cfg: &PgConfig) -> Result<()> {
        let mut scram: Option<sasl::ScramSha256> = None;
        while self.buf.is_empty() {
            let chunk = self.io.recv().await.map_err(|e| self.fail(e))?;
            self.buf.extend_from_slice(&chunk);
        }
        if !matches!(self.buf[0], b'R' | b'E') {
            let e = Error::malformed("the server does not speak the PostgreSQL protocol");
            return Err(self.fail(e));
        }
        loop {
            let msg = self.next().await?;
            let mut out = BytesMut::new();
            let password = || {
                cfg.password.as_deref().ok_or_else(|| {
                    Error::operational(
                        "the server asked for a password, but the connection URL has none",
                    )
                })
            };
            match msg {
                Message::AuthenticationOk => continue,
                Message::AuthenticationCleartextPassword => {
                    frontend::password_message(password()?.as_bytes(), &mut out).map_err(Error::malformed)?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let hash = md5_hash(cfg.user.as_bytes(), password()?.as_bytes(), body.salt());
                    frontend::password_message(hash.as_bytes(), &mut out).map_err(Error::malformed)?;
                }
                Message::AuthenticationSasl(body) => {
                    let mut mechanisms = body.mechanisms();
                    let mut offered = false;
                    while let Some(m) = mechanisms.next().map_err(Error::malformed)? {
                        offered |= m == sasl::SCRAM_SHA_256;
                    }
                    if !offered {
                        return Err(Error::not_supported("the server offers no SASL mechanism this driver supports (SCRAM-SHA-256)"));
                    }
                    // No channel binding: TLS, if any, ends at the relay, so there is no channel to bind.
                    let s = sasl::ScramSha256::new(password()?.as_bytes(), sasl::ChannelBinding::unsupported());
                    frontend::sasl_initial_response(sasl::SCRAM_SHA_256, s.message(), &mut out).map_err(Error::malformed)?;
                    scram = Some(s);
                }
                Message::AuthenticationSaslContinue(body) => {
                    let s = scram.as_mut().ok_or_else(|| Error::malformed("SASL continue before SASL start"))?;
                    s.update(body.data()).map_err(|e| Error::operational(format!("SCRAM authentication failed: {e}")))?;
                    frontend::sasl_response(s.message(), &mut out).map_err(Error::malformed)?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let s = scram.as_mut().ok_or_else(|| Error::malformed("SASL final before SASL start"))?;
                    s.finish(body.data()).map_err(|e| {
                        Error::operational(format!("SCRAM authentication failed: the server's signature did not verify ({e})"))
                    })?;
                    continue;
                }
                Message::AuthenticationKerberosV5
                | Message::AuthenticationScmCredential
                | Message::AuthenticationGss
                | Message::AuthenticationSspi
                | Message::AuthenticationGssContinue(_) => {
                    return Err(Error::not_supported(
                        "the server asks for Kerberos/GSSAPI/SSPI authentication, which a browser cannot do",
                    ))
                }
                Message::BackendKeyData(body) => {
                    self.backend_key = Some((body.process_id(), body.secret_key()));
                    continue;
                }
                Message::ReadyForQuery(body) => {
                    self.ready(body.status());
                    return Ok(());
                }
                Message::ErrorResponse(body) => {
                    // A refused login is operational unless its SQLSTATE says more (QuestDB
                    // sends 00000).
                    let mut e = self.server_error(body.fields(), None);
                    if e.kind == ErrorKind::Database {
                        e.kind = ErrorKind::Operational;
                    }
                    return Err(e);
                }
                _ => return Err(Error::malformed("unexpected message during authentication")),
            }
            self.send(&out).await?;
        }
    }

    /// What cancels this session's running statement from outside it.
    pub fn cancel_token(&self) -> CancelToken {
        CancelToken {
            key: self.backend_key,
        }
    }

    pub fn server_param(&self, name: &str) -> Option<&str> {
        self.server_params.get(name).map(String::as_str)
    }

    fn usable(&self) -> Result<()> {
        match &self.broken {
            Some(e) => Err(Error::operational(format!(
                "the connection is unusable after an earlier failure: {}",
                e.message
            ))),
            None => Ok(()),
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        match self.io.send(bytes).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The next message that matters, reading more bytes as needed. Notices and parameter
    /// changes are absorbed here.
    async fn next(&mut self) -> Result<Message> {
        loop {
            if self.buf.len() >= 5 {
                let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]])
                    as usize;
                if !(4..=MAX_MESSAGE_LEN).contains(&len) {
                    return Err(
                        self.fail(Error::malformed(format!("impossible message length {len}")))
                    );
                }
            }
            match Message::parse(&mut self.buf) {
                Ok(Some(Message::ParameterStatus(p))) => {
                    if let (Ok(k), Ok(v)) = (p.name(), p.value()) {
                        if k == "client_encoding" && !v.eq_ignore_ascii_case("UTF8") {
                            let e = Error::not_supported(format!(
                                "client_encoding was changed to {v}: webdbc reads and writes UTF8 only"
                            ));
                            return Err(self.fail(e));
                        }
                        self.server_params.insert(k.to_string(), v.to_string());
                    }
                }
                Ok(Some(Message::NoticeResponse(_) | Message::NotificationResponse(_))) => {}
                Ok(Some(m)) => return Ok(m),
                Ok(None) => match self.io.recv().await {
                    Ok(chunk) => self.buf.extend_from_slice(&chunk),
                    Err(e) => return Err(self.fail(e)),
                },
                Err(e) => return Err(self.fail(Error::malformed(e))),
            }
        }
    }

    /// Marks the connection broken by `e` and closes it.
    fn fail(&mut self, e: Error) -> Error {
        self.broken = Some(e.clone());
        self.open = None;
        self.io.close();
        e
    }

    fn server_error(&mut self, mut fields: ErrorFields<'_>, scanned: Option<&Scanned>) -> Error {
        let mut e = Error::server(ErrorKind::Database, None, String::new());
        let mut fatal = false;
        while let Ok(Some(f)) = fields.next() {
            let v = String::from_utf8_lossy(f.value_bytes()).into_owned();
            match f.type_() {
                b'V' => {
                    fatal = v == "FATAL" || v == "PANIC";
                    e.severity = Some(v);
                }
                b'S' if e.severity.is_none() => {
                    fatal = v == "FATAL" || v == "PANIC";
                    e.severity = Some(v);
                }
                b'C' => e.code = Some(v),
                b'M' => e.message = v,
                b'D' => e.detail = Some(v),
                b'H' => e.hint = Some(v),
                b'P' => {
                    e.position = v
                        .parse()
                        .ok()
                        .map(|p: u32| scanned.map_or(p, |s| s.original_position(p as usize) as u32))
                }
                b'W' => e.where_ = Some(v),
                b's' => e.schema = Some(v),
                b't' => e.table = Some(v),
                b'c' => e.column = Some(v),
                b'd' => e.data_type = Some(v),
                b'n' => e.constraint = Some(v),
                _ => {}
            }
        }
        e.kind = e
            .code
            .as_deref()
            .map_or(ErrorKind::Database, ErrorKind::from_sqlstate);
        if fatal {
            self.broken = Some(e.clone());
            self.open = None;
        }
        e
    }

    /// After a failure inside an extended-query flight: make sure a Sync is on its way, then read
    /// up to ReadyForQuery so the session is in step again. Returns `err`.
    async fn resync(&mut self, err: Error, sync_sent: bool) -> Error {
        self.open = None;
        if self.broken.is_none() {
            let _ = self.sync_up(sync_sent).await; // a failure here breaks the session by itself
        }
        err
    }

    /// Sync unless one is on its way, then the replies up to ReadyForQuery: the session is in
    /// step again. Returns the first server error met on the way (an error at Sync is a failed
    /// implicit commit, e.g. a deferred constraint).
    async fn sync_up(&mut self, sync_sent: bool) -> Result<Option<Error>> {
        self.open = None;
        if !sync_sent {
            let mut out = BytesMut::new();
            frontend::sync(&mut out);
            self.send(&out).await?;
        }
        let mut first = None;
        loop {
            match self.next().await? {
                Message::ReadyForQuery(b) => {
                    self.ready(b.status());
                    return Ok(first);
                }
                Message::ErrorResponse(body) => {
                    let e = self.server_error(body.fields(), None);
                    if self.broken.is_some() {
                        return Err(e); // FATAL: the server closes now
                    }
                    first.get_or_insert(e);
                }
                _ => {}
            }
        }
    }

    fn write_bind(values: &[Value], out: &mut BytesMut) -> Result<()> {
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
    fn param_oids(rows: &[Vec<Value>]) -> Vec<u32> {
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

    /// `BEGIN` ahead of the first statement of a transaction when autocommit is off.
    fn begin_if_needed(&self, out: &mut BytesMut) -> Result<bool> {
        let begin = !self.autocommit && self.tx_status == b'I';
        if begin {
            frontend::query("BEGIN", out).map_err(Error::malformed)?;
        }
        Ok(begin)
    }

    fn shape(body: &RowDescriptionBody) -> Result<ResultShape> {
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

    fn decode_row(shape: &ResultShape, body: &DataRowBody) -> Result<Row> {
        let mut row = Vec::with_capacity(shape.types.len());
        let mut ranges = body.ranges();
        let buf = body.buffer();
        let mut i = 0;
        while let Some(range) = ranges.next().map_err(Error::malformed)? {
            let &(oid, format) = shape
                .types
                .get(i)
                .ok_or_else(|| Error::malformed("data row has more columns than described"))?;
            row.push(match range {
                None => Value::Null,
                Some(r) => types::decode(oid, format, &buf[r])?,
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
    async fn read_rows(
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
    async fn read_batch(
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
                    shape.delivered += rows.len() as i64;
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
                        shape.delivered + rows.len() as i64
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

    /// Ends copy-in mode without sending data; the server answers with an error.
    async fn refuse_copy_in(&mut self) -> Result<()> {
        let mut out = BytesMut::new();
        frontend::copy_fail("COPY FROM STDIN is not supported by webdbc", &mut out)
            .map_err(Error::malformed)?;
        self.send(&out).await
    }

    /// Execute + Flush for the next `fetch_size` rows of the open portal.
    fn next_batch(fetch_size: i32) -> Result<BytesMut> {
        let mut out = BytesMut::new();
        frontend::execute("", fetch_size, &mut out).map_err(Error::malformed)?;
        frontend::flush(&mut out);
        Ok(out)
    }

    /// Ends the flight of a completed result.
    async fn finish(&mut self, sync_sent: bool) -> Result<()> {
        match self.sync_up(sync_sent).await? {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads the replies to a simple Query up to ReadyForQuery. Keeps the last result set.
    async fn read_simple(&mut self, mut keep: Option<&mut Outcome>) -> Result<String> {
        let mut shape: Option<ResultShape> = None;
        let mut tag = String::new();
        let mut error: Option<Error> = None;
        loop {
            match self.next().await? {
                Message::RowDescription(body) => {
                    let s = Self::shape(&body).map_err(|e| self.fail(e))?;
                    if let Some(o) = keep.as_deref_mut() {
                        o.columns = Some(s.columns.clone());
                        o.rows.clear();
                        o.rowcount = -1;
                    }
                    shape = Some(s);
                }
                Message::DataRow(body) => {
                    if let (Some(s), Some(o), None) = (&shape, keep.as_deref_mut(), &error) {
                        match Self::decode_row(s, &body) {
                            Ok(row) => o.rows.push(row),
                            Err(e) => error = Some(e),
                        }
                    }
                }
                Message::CommandComplete(body) => {
                    tag = body.tag().unwrap_or("").to_string();
                    if let Some(o) = keep.as_deref_mut() {
                        if shape.take().is_none() {
                            o.columns = None;
                            o.rows.clear();
                        }
                        o.rowcount = rowcount_of(&tag);
                    }
                }
                Message::EmptyQueryResponse | Message::CopyData(_) | Message::CopyDone => {}
                Message::ErrorResponse(body) => {
                    let e = self.server_error(body.fields(), None);
                    error.get_or_insert(e);
                }
                Message::CopyInResponse(_) => {
                    self.refuse_copy_in().await?;
                    error = Some(copy_not_supported());
                }
                Message::CopyOutResponse(_) => {
                    error.get_or_insert_with(copy_not_supported);
                }
                Message::ReadyForQuery(b) => {
                    self.ready(b.status());
                    return match error {
                        Some(e) => Err(e),
                        None => Ok(tag),
                    };
                }
                _ => {
                    return Err(self.fail(Error::malformed("unexpected message in a simple query")))
                }
            }
        }
    }

    /// Several statements in one string go through the simple protocol; their last result is kept.
    async fn simple_query(&mut self, sql: &str) -> Result<Outcome> {
        let mut out = BytesMut::new();
        let begin = self.begin_if_needed(&mut out)?;
        frontend::query(sql, &mut out).map_err(Error::malformed)?;
        self.send(&out).await?;
        let began = if begin {
            self.read_simple(None).await.map(drop)
        } else {
            Ok(())
        };
        let mut outcome = Outcome {
            columns: None,
            rows: Vec::new(),
            more: false,
            rowcount: -1,
        };
        let ran = self.read_simple(Some(&mut outcome)).await;
        began?;
        ran?;
        Ok(outcome)
    }

    /// Runs a transaction-control command through the simple protocol; returns its tag.
    async fn command(&mut self, sql: &str) -> Result<String> {
        let mut out = BytesMut::new();
        frontend::query(sql, &mut out).map_err(Error::malformed)?;
        self.send(&out).await?;
        self.read_simple(None).await
    }
}

fn copy_not_supported() -> Error {
    Error::not_supported(
        "COPY FROM STDIN / TO STDOUT is not supported; use INSERT (executemany) or SELECT",
    )
}

/// The row count at the end of a CommandComplete tag (`INSERT 0 5`, `SELECT 3`), or -1.
fn rowcount_of(tag: &str) -> i64 {
    let mut words = tag.split_whitespace();
    let first = words.next().unwrap_or("");
    match (first, words.last().and_then(|n| n.parse().ok())) {
        ("CREATE" | "ALTER" | "DROP", _) => -1,
        (_, Some(n)) => n,
        _ => -1,
    }
}

impl<T: Transport> Backend for PgSession<T> {
    async fn execute(&mut self, sql: &str, params: Params) -> Result<Outcome> {
        self.usable()?;
        self.discard().await?;
        let sql::Bound {
            scanned, values, ..
        } = sql::bind(sql, params, Marker::Dollar)?;
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
        let autocommitted_write = self.autocommit && self.tx_status == b'I' && scanned.writes;
        let streaming = scanned.may_return_rows && !autocommitted_write;
        frontend::execute("", if streaming { self.fetch_size } else { 0 }, &mut out)
            .map_err(Error::malformed)?;
        if streaming {
            frontend::flush(&mut out);
        } else {
            frontend::sync(&mut out);
        }
        self.send(&out).await?;
        let sync_sent = !streaming;
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
        })
    }

    async fn execute_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64> {
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

    async fn fetch(&mut self) -> Result<Batch> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        self.usable()?;
        // An open result has its next batch asked for already (see PortalSuspended).
        let Some(shape) = self.open.take() else {
            return Ok(Batch::end(-1));
        };
        let (rows, more, rowcount) = self.read_rows(shape, None, false).await?;
        Ok(Batch {
            rows,
            done: !more,
            rowcount,
        })
    }

    async fn discard(&mut self) -> Result<()> {
        self.deferred = None;
        if self.open.is_none() {
            return Ok(());
        }
        // A server error in rows nobody will read is not the next statement's failure.
        self.sync_up(false).await.map(drop)
    }

    async fn commit(&mut self) -> Result<()> {
        self.usable()?;
        self.discard().await?;
        if self.tx_status == b'I' {
            return Ok(());
        }
        if self.command("COMMIT").await? == "ROLLBACK" {
            return Err(Error::server(
                ErrorKind::Internal,
                Some("25P02".into()),
                "COMMIT rolled the transaction back: an earlier statement in it failed",
            ));
        }
        Ok(())
    }

    async fn rollback(&mut self) -> Result<()> {
        self.usable()?;
        if self.dialect == Dialect::CrateDb {
            return Err(crate::core::no_transactions("CrateDB"));
        }
        self.discard().await?;
        if self.tx_status != b'I' {
            self.command("ROLLBACK").await?;
        }
        Ok(())
    }

    fn autocommit(&self) -> bool {
        self.autocommit
    }

    fn set_autocommit(&mut self, on: bool) -> Result<()> {
        if !on && self.dialect == Dialect::CrateDb {
            return Err(crate::core::no_transactions("CrateDB"));
        }
        if on != self.autocommit && self.tx_status != b'I' {
            return Err(Error::programming(
                "cannot change autocommit inside a transaction: call commit() or rollback() first",
            ));
        }
        self.autocommit = on;
        Ok(())
    }

    async fn close(&mut self) {
        // End an open result with Sync first: in autocommit that commits its implicit
        // transaction, where Terminate alone would roll it back.
        let _ = self.discard().await;
        if self.broken.is_none() {
            let mut out = BytesMut::new();
            frontend::terminate(&mut out);
            let _ = self.io.send(&out).await; // closing anyway
        }
        self.broken
            .get_or_insert_with(|| Error::closed("connection"));
        self.io.close();
    }
}

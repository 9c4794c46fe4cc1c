//! A PostgreSQL session over any [`Transport`]: its state, reading messages, staying in step
//! with the server (Sync), and the [`Backend`] operations; each operation's messages are in a
//! file of their own (startup.rs, query.rs, query_many.rs, simple_query.rs).

use std::collections::HashMap;

use bytes::BytesMut;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use super::cancel::CancelToken;
use super::query::ResultShape;
use super::PgConfig;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::transport::Transport;
use crate::core::{Backend, Batch, Outcome, Params};

/// Which server speaks the protocol, from what it announces at startup (shared/protocols/
/// postgres-wire.md §10-11). QuestDB needs no switch: its SQLSTATE 00000 errors are errors here
/// anyway, and bytea in binary format is read whatever was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    Postgres,
    /// Announces `crate_version`. No transactions: autocommit is always on, and the `E` it
    /// reports after an error in the extended protocol means nothing.
    CrateDb,
}

pub struct PgSession<T> {
    pub(super) io: T,
    pub(super) buf: BytesMut,
    pub(super) fetch_size: i32,
    pub(super) autocommit: bool,
    /// ReadyForQuery status: `I` idle, `T` in a transaction block, `E` in a failed one.
    pub(super) tx_status: u8,
    pub(super) backend_key: Option<(i32, i32)>,
    pub(super) server_params: HashMap<String, String>,
    pub(super) dialect: Dialect,
    /// Why the connection can no longer be used.
    pub(super) broken: Option<Error>,
    /// The result whose portal is suspended, waiting for the next Execute.
    pub(super) open: Option<ResultShape>,
    /// A failure that ended the open result after some of its rows: the next fetch reports it.
    pub(super) deferred: Option<Error>,
    /// The largest message accepted (a row, mostly).
    pub(super) max_message_len: usize,
    /// A Sync was sent after a complete result and its ReadyForQuery is still on the wire: the
    /// next operation reads it first, so a small query costs one round trip.
    pub(super) ready_owed: bool,
    /// That Sync ends an implicit transaction (it was sent outside a transaction block): it
    /// commits, and can fail.
    pub(super) owed_sync_commits: bool,
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
            max_message_len: cfg.max_message_bytes as usize,
            ready_owed: false,
            owed_sync_commits: false,
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
    pub(super) fn ready(&mut self, status: u8) {
        self.tx_status = match self.dialect {
            Dialect::CrateDb => b'I',
            _ => status,
        };
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

    pub(super) fn usable(&self) -> Result<()> {
        match &self.broken {
            Some(e) => Err(Error::operational(format!(
                "the connection is unusable after an earlier failure: {}",
                e.message
            ))),
            None => Ok(()),
        }
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        match self.io.send(bytes).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The next message that matters, reading more bytes as needed. Notices and parameter
    /// changes are absorbed here.
    pub(super) async fn next(&mut self) -> Result<Message> {
        loop {
            // Parsed only once whole: a declared length never reserves memory up front (the
            // parser would reserve it, and wasm memory never shrinks), and a length past the
            // limit is an error at once.
            if !self.whole_message_buffered()? {
                match self.io.recv().await {
                    Ok(chunk) => self.buf.extend_from_slice(&chunk),
                    Err(e) => return Err(self.fail(e)),
                }
                continue;
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
                // A whole message is buffered, so the parser has one; never a panic regardless.
                Ok(None) => {
                    return Err(self.fail(Error::malformed("a message the parser could not take")))
                }
                Err(e) => return Err(self.fail(Error::malformed(e))),
            }
        }
    }

    /// Whether the buffer holds the whole next message; an error for a length no server sends.
    fn whole_message_buffered(&mut self) -> Result<bool> {
        if self.buf.len() < 5 {
            return Ok(false);
        }
        let tag = char::from(self.buf[0]);
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len < 4 {
            let e = Error::malformed(format!("a {tag:?} message declares length {len}"));
            return Err(self.fail(e));
        }
        if len > self.max_message_len {
            let e = Error::malformed(format!(
                "a {tag:?} message of {len} bytes, over the limit of {} bytes (option maxMessageSize)",
                self.max_message_len
            ));
            return Err(self.fail(e));
        }
        Ok(self.buf.len() > len)
    }

    /// Marks the connection broken by `e` and closes it.
    pub(super) fn fail(&mut self, e: Error) -> Error {
        self.broken = Some(e.clone());
        self.open = None;
        self.io.close();
        e
    }

    /// After a failure inside an extended-query flight: make sure a Sync is on its way, then read
    /// up to ReadyForQuery so the session is in step again. Returns `err`.
    pub(super) async fn resync(&mut self, err: Error, sync_sent: bool) -> Error {
        self.open = None;
        if self.broken.is_none() {
            let _ = self.sync_up(sync_sent).await; // a failure here breaks the session by itself
        }
        err
    }

    /// Sync unless one is on its way, then the replies up to ReadyForQuery: the session is in
    /// step again. Returns the first server error met on the way (an error at Sync is a failed
    /// implicit commit, e.g. a deferred constraint).
    pub(super) async fn sync_up(&mut self, sync_sent: bool) -> Result<Option<Error>> {
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

    /// `BEGIN` ahead of the first statement of a transaction when autocommit is off.
    pub(super) fn begin_if_needed(&self, out: &mut BytesMut) -> Result<bool> {
        let begin = !self.autocommit && self.tx_status == b'I';
        if begin {
            frontend::query("BEGIN", out).map_err(Error::malformed)?;
        }
        Ok(begin)
    }
}

impl<T: Transport> Backend for PgSession<T> {
    async fn execute(&mut self, sql: &str, params: Params) -> Result<Outcome> {
        self.query(sql, params).await
    }

    async fn execute_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64> {
        self.query_many(sql, param_sets).await
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
        if std::mem::take(&mut self.ready_owed) {
            if let Err(e) = self.io.flush().await {
                return Err(self.fail(e));
            }
            if let Some(e) = self.sync_up(true).await? {
                return Err(Self::failed_at_commit(e));
            }
        }
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

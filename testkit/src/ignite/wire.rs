//! MessagePack as the node writes and reads it (the client's codec is not shared), frames,
//! and error bodies.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use rmp::{decode, encode};

use crate::sqlite::Fail;

pub(super) fn w_int(b: &mut Vec<u8>, v: i64) {
    let _ = encode::write_sint(b, v);
}
pub(super) fn w_nil(b: &mut Vec<u8>) {
    let _ = encode::write_nil(b);
}
pub(super) fn w_bool(b: &mut Vec<u8>, v: bool) {
    let _ = encode::write_bool(b, v);
}
pub(super) fn w_str(b: &mut Vec<u8>, v: &str) {
    let _ = encode::write_str(b, v);
}
pub(super) fn w_bin(b: &mut Vec<u8>, v: &[u8]) {
    let _ = encode::write_bin(b, v);
}
pub(super) fn w_uuid(b: &mut Vec<u8>, v: [u8; 16]) {
    b.extend([0xd8, 3]);
    b.extend(v);
}

pub(super) struct Rd<'a>(pub(super) &'a [u8]);

pub(super) type R<T> = Result<T, String>;

impl<'a> Rd<'a> {
    pub(super) fn nil(&mut self) -> bool {
        if self.0.first() == Some(&0xc0) {
            self.0 = &self.0[1..];
            true
        } else {
            false
        }
    }
    /// Ints as the node's `unpackInt` takes them: never in a 64-bit form.
    pub(super) fn int(&mut self) -> R<i64> {
        if matches!(self.0.first(), Some(0xcf | 0xd3)) {
            return Err("Unexpected 64-bit value where an int belongs".into());
        }
        decode::read_int(&mut self.0).map_err(|e| format!("int expected: {e}"))
    }
    pub(super) fn long(&mut self) -> R<i64> {
        decode::read_int(&mut self.0).map_err(|e| format!("long expected: {e}"))
    }
    pub(super) fn opt_long(&mut self) -> R<Option<i64>> {
        Ok(if self.nil() { None } else { Some(self.long()?) })
    }
    pub(super) fn bool(&mut self) -> R<bool> {
        decode::read_bool(&mut self.0).map_err(|e| format!("bool expected: {e}"))
    }
    pub(super) fn str(&mut self) -> R<String> {
        let n =
            decode::read_str_len(&mut self.0).map_err(|e| format!("str expected: {e}"))? as usize;
        let s = self.0.get(..n).ok_or("short str")?;
        self.0 = &self.0[n..];
        String::from_utf8(s.to_vec()).map_err(|_| "bad utf8".into())
    }
    pub(super) fn opt_str(&mut self) -> R<Option<String>> {
        Ok(if self.nil() { None } else { Some(self.str()?) })
    }
    pub(super) fn bin(&mut self) -> R<&'a [u8]> {
        let n =
            decode::read_bin_len(&mut self.0).map_err(|e| format!("bin expected: {e}"))? as usize;
        let s = self.0.get(..n).ok_or("short bin")?;
        self.0 = &self.0[n..];
        Ok(s)
    }
}

pub(super) const SQL_PARSE: i64 = (4 << 16) | 3;
pub(super) const SQL_VALIDATION: i64 = (4 << 16) | 4;
pub(super) const SQL_CONSTRAINT: i64 = (4 << 16) | 5;
pub(super) const SQL_CANCELLED: i64 = (4 << 16) | 6;
pub(super) const SQL_RUNTIME: i64 = (4 << 16) | 7;
pub(super) const SQL_TX_CONTROL: i64 = (4 << 16) | 9;
pub(super) const TX_FINISHED: i64 = (7 << 16) | 13;
pub(super) const CMN_INTERNAL: i64 = (1 << 16) | 0xFFFF;
pub(super) const CLIENT_PROTOCOL: i64 = (3 << 16) | 2;
pub(super) const AUTH_INVALID: i64 = (15 << 16) | 2;

pub(super) struct IgErr {
    pub(super) code: i64,
    pub(super) message: String,
    pub(super) counters: Option<Vec<i64>>,
}

pub(super) fn err(code: i64, message: impl Into<String>) -> IgErr {
    IgErr {
        code,
        message: message.into(),
        counters: None,
    }
}

impl From<Fail> for IgErr {
    fn from(f: Fail) -> IgErr {
        match f {
            Fail::Syntax(m) => err(SQL_PARSE, format!("Failed to parse query: {m}")),
            Fail::NoSuchTable(t) => err(
                SQL_VALIDATION,
                format!("Object '{}' not found", t.to_ascii_uppercase()),
            ),
            Fail::NoSuchColumn(c) => err(
                SQL_VALIDATION,
                format!("Column '{}' not found in any table", c.to_ascii_uppercase()),
            ),
            Fail::TableExists(t) => err(
                SQL_VALIDATION,
                format!(
                    "Table with name '{}' already exists",
                    t.to_ascii_uppercase()
                ),
            ),
            Fail::UniqueViolation(_) => err(SQL_CONSTRAINT, "PK unique constraint is violated"),
            Fail::NotNullViolation(m) => {
                err(SQL_CONSTRAINT, format!("Column does not allow NULLs: {m}"))
            }
            Fail::UnknownType(t) => err(SQL_PARSE, format!("Unknown type {t}")),
            Fail::MissingParameter(m) => err(
                SQL_VALIDATION,
                format!("Unexpected number of query parameters: {m}"),
            ),
            Fail::Injected(m) => err(SQL_RUNTIME, m),
            Fail::Interrupted => err(SQL_CANCELLED, "The query was cancelled while executing."),
            Fail::Timeout => err(SQL_CANCELLED, "Query timeout"),
            Fail::BadSchema(s) => err((4 << 16) | 2, format!("Schema not found: {s}")),
            Fail::Other(m) => err(SQL_RUNTIME, m),
        }
    }
}

pub(super) fn error_body(b: &mut Vec<u8>, e: &IgErr) {
    w_uuid(b, [0x5e; 16]);
    w_int(b, e.code);
    w_str(b, "org.apache.ignite.sql.SqlException");
    w_str(b, &e.message);
    w_nil(b);
    match &e.counters {
        None => w_nil(b),
        Some(c) => {
            w_int(b, 1);
            w_str(b, "sql-update-counters");
            w_int(b, c.len() as i64);
            for n in c {
                w_int(b, *n);
            }
        }
    }
}

/// One frame: its 4-byte length, then that many bytes.
pub(super) async fn read_frame(rd: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    rd.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > 64 << 20 {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut buf = vec![0u8; len];
    rd.read_exact(&mut buf).await?;
    Ok(buf)
}

/// The response to request `id`: its payload, or its error body.
pub(super) async fn respond(
    wr: &tokio::sync::Mutex<impl AsyncWrite + Unpin>,
    id: i64,
    result: Result<Vec<u8>, IgErr>,
) {
    let mut b = Vec::new();
    w_int(&mut b, id);
    let ok = result.is_ok();
    w_int(&mut b, if ok { 0 } else { 4 });
    // The observable timestamp of a success is always 8 bytes (d3), as the node writes it.
    let _ = encode::write_i64(&mut b, super::node::observable());
    match result {
        Ok(payload) => b.extend(payload),
        Err(e) => error_body(&mut b, &e),
    }
    let mut frame = (b.len() as u32).to_be_bytes().to_vec();
    frame.extend(b);
    let _ = wr.lock().await.write_all(&frame).await;
}

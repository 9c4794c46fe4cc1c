//! ErrorResponse as an error: the server's fields, its class from the SQLSTATE, its position
//! mapped back into the caller's SQL.

use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::ErrorFields;

use super::session::PgSession;
use crate::core::error::{Error, ErrorKind};
use crate::core::sql::Scanned;
use crate::core::transport::Transport;

impl<T: Transport> PgSession<T> {
    pub(super) fn server_error(
        &mut self,
        mut fields: ErrorFields<'_>,
        scanned: Option<&Scanned>,
    ) -> Error {
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
        if e.message.is_empty() {
            // Not the server's words, as there are none: a reply that breaks the protocol.
            let kind = e.kind;
            e.message =
                Error::malformed(format!(
                "the server sent an error without a message (an ErrorResponse with no M field{})",
                e.code.as_deref().map_or(String::new(), |c| format!("; code {c}"))
            ))
                .message
                .clone();
            e.origin = crate::core::error::Origin::Malformed;
            e.kind = if e.code.is_some() {
                kind
            } else {
                ErrorKind::Operational
            };
        }
        if fatal {
            self.broken = Some(e.clone());
            self.open = None;
        }
        e
    }
}

//! The simple protocol: several statements in one string, transaction commands, and COPY refused.

use bytes::BytesMut;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use super::query::ResultShape;
use super::session::PgSession;
use crate::core::error::{Error, Result};
use crate::core::transport::Transport;
use crate::core::Outcome;

impl<T: Transport> PgSession<T> {
    /// Ends copy-in mode without sending data; the server answers with an error.
    pub(super) async fn refuse_copy_in(&mut self) -> Result<()> {
        let mut out = BytesMut::new();
        frontend::copy_fail("COPY FROM STDIN is not supported by webdbc", &mut out)
            .map_err(Error::malformed)?;
        self.send(&out).await
    }

    /// Reads the replies to a simple Query up to ReadyForQuery; with `keep`, each statement's
    /// result in order (a statement without rows is a result too, with its row count).
    pub(super) async fn read_simple(
        &mut self,
        mut keep: Option<&mut Vec<Outcome>>,
    ) -> Result<String> {
        let mut shape: Option<ResultShape> = None;
        let mut tag = String::new();
        let mut error: Option<Error> = None;
        loop {
            match self.next().await? {
                Message::RowDescription(body) => {
                    let s = Self::shape(&body).map_err(|e| self.fail(e))?;
                    if let Some(sets) = keep.as_deref_mut() {
                        let mut set = Outcome::done(-1);
                        set.columns = Some(s.columns.clone());
                        sets.push(set);
                    }
                    shape = Some(s);
                }
                Message::DataRow(body) => {
                    let last = keep.as_deref_mut().and_then(|sets| sets.last_mut());
                    if let (Some(s), Some(set), None) = (&shape, last, &error) {
                        match Self::decode_row(s, &body) {
                            Ok(row) => set.rows.push(row),
                            Err(e) => error = Some(e),
                        }
                    }
                }
                Message::CommandComplete(body) => {
                    tag = body.tag().unwrap_or("").to_string();
                    if let Some(sets) = keep.as_deref_mut() {
                        if shape.take().is_none() {
                            sets.push(Outcome::done(-1));
                        }
                        if let Some(set) = sets.last_mut() {
                            set.rowcount = rowcount_of(&tag);
                        }
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

    /// Several statements in one string go through the simple protocol: the cursor holds the
    /// first one's result, and the others' in `later`, for `nextset()`.
    pub(super) async fn simple_query(&mut self, sql: &str) -> Result<Outcome> {
        let mut out = BytesMut::new();
        let begin = self.begin_if_needed(&mut out)?;
        frontend::query(sql, &mut out).map_err(Error::malformed)?;
        self.send(&out).await?;
        let began = if begin {
            self.read_simple(None).await.map(drop)
        } else {
            Ok(())
        };
        let mut sets = Vec::new();
        let ran = self.read_simple(Some(&mut sets)).await;
        began?;
        ran?;
        let mut sets = sets.into_iter();
        let mut first = sets.next().unwrap_or_else(|| Outcome::done(-1));
        first.later = sets.collect();
        Ok(first)
    }

    /// Runs a transaction-control command through the simple protocol; returns its tag.
    pub(super) async fn command(&mut self, sql: &str) -> Result<String> {
        let mut out = BytesMut::new();
        frontend::query(sql, &mut out).map_err(Error::malformed)?;
        self.send(&out).await?;
        self.read_simple(None).await
    }
}

pub(super) fn copy_not_supported() -> Error {
    Error::not_supported(
        "COPY FROM STDIN / TO STDOUT is not supported; use INSERT (executemany) or SELECT",
    )
}

/// The row count at the end of a CommandComplete tag (`INSERT 0 5`, `SELECT 3`), or -1.
pub(super) fn rowcount_of(tag: &str) -> i64 {
    let mut words = tag.split_whitespace();
    let first = words.next().unwrap_or("");
    // A count past i64 is i64::MAX; a negative one is no count (-1).
    match (first, words.last().and_then(|n| n.parse::<u64>().ok())) {
        ("CREATE" | "ALTER" | "DROP", _) => -1,
        (_, Some(n)) => i64::try_from(n).unwrap_or(i64::MAX),
        _ => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::rowcount_of;

    #[test]
    fn command_tags_give_counts_that_never_wrap() {
        assert_eq!(rowcount_of("INSERT 0 3"), 3);
        assert_eq!(rowcount_of("UPDATE 9223372036854775807"), i64::MAX);
        assert_eq!(rowcount_of("UPDATE 18446744073709551615"), i64::MAX);
        assert_eq!(rowcount_of("UPDATE -5"), -1);
        assert_eq!(rowcount_of("UPDATE 99999999999999999999999"), -1);
        assert_eq!(rowcount_of("CREATE TABLE"), -1);
    }
}

//! What QuestDB's `/exec` answers, as types, and its errors.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{auth_failed, parse_reply, Response};
use crate::core::sql::Scanned;

/// An `/exec` reply: a result window, what a statement did, or an error (which may come after
/// rows, in a reply of status 200).
#[derive(Deserialize, Debug, Default)]
pub struct ExecResponse {
    #[serde(default)]
    pub columns: Option<Vec<ColumnInfo>>,
    #[serde(default)]
    pub dataset: Option<Vec<Vec<Json>>>,
    /// Every row of the result (asked with `count=true`).
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub ddl: Option<String>,
    #[serde(default)]
    pub dml: Option<String>,
    #[serde(default)]
    pub updated: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    /// QuestDB's 0-based offset of the error in the SQL it ran: a number, or its text.
    #[serde(default)]
    pub position: Option<Json>,
    #[serde(default, rename = "errorPos")]
    pub error_pos: Option<u64>,
}

#[derive(Deserialize, Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default, rename = "elemType")]
    pub elem_type: Option<String>,
    #[serde(default)]
    pub dim: Option<u64>,
}

impl ExecResponse {
    /// What the statement did, when it returned no rows: DDL, or DML with its count.
    pub fn is_statement(&self) -> bool {
        self.ddl.is_some() || self.dml.is_some()
    }

    /// The reply's error, if it carries one, with its position mapped into the caller's SQL.
    pub fn error(&self, status: u16, query: &Scanned) -> Option<Error> {
        let message = self.error.as_deref()?;
        let kind = match status {
            500.. => ErrorKind::Internal,
            _ if message.contains("timeout") => ErrorKind::Operational,
            _ => ErrorKind::Programming,
        };
        let mut e = Error::server(kind, None, message);
        let pos = match &self.position {
            Some(Json::Number(n)) => n.as_u64(),
            Some(Json::String(s)) => s.parse().ok(),
            _ => None,
        }
        .or(self.error_pos);
        if let Some(p) = pos {
            // Any u64 from the wire: past the statement is its end (original_position clamps).
            let p = usize::try_from(p).unwrap_or(usize::MAX).saturating_add(1);
            e.position = u32::try_from(query.original_position(p)).ok();
        }
        Some(e)
    }
}

/// QuestDB's /exec takes SQL only in its URL (questdb/questdb#6120), which the server's header
/// buffer bounds: a statement past it is refused as a whole, with no word of why.
fn too_long(status: u16, sql: &str) -> Error {
    Error::server(
        ErrorKind::Operational,
        None,
        format!(
            "QuestDB refused the statement as too long for its URL (HTTP {status}): {} bytes, {} \
             once URL-encoded. Its REST API takes SQL only in the URL, which its header buffer \
             bounds (http.request.header.buffer.size, 64 KiB by default); send long statements \
             over its Postgres wire (questdb://host:8812) instead",
            sql.len(),
            crate::core::http::encode_component(sql).len()
        ),
    )
}

/// A reply other than 200 as the error it reports.
pub fn reply_error(resp: &Response, query: &Scanned, user: Option<&str>) -> Error {
    if resp.status == 401 {
        return auth_failed(user.unwrap_or(""), &resp.excerpt());
    }
    if resp.status == 414 || resp.status == 431 {
        return too_long(resp.status, &query.sql);
    }
    parse_reply::<ExecResponse>(resp)
        .ok()
        .and_then(|reply| reply.error(resp.status, query))
        .unwrap_or_else(|| resp.refused("QuestDB"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sql::{scan, ParamStyle};

    #[test]
    fn a_statement_too_long_for_the_url_says_so_with_its_length() {
        let sql = format!("SELECT '{}'", "é".repeat(40_000));
        let query = scan(&sql, ParamStyle::Positional).unwrap();
        for status in [414, 431] {
            let resp = Response {
                status,
                content_type: "text/plain".into(),
                headers: Vec::new(),
                body: Vec::new(),
            };
            let e = reply_error(&resp, &query, None);
            assert!(
                e.message
                    .contains(&format!("{} bytes, 240015 once", sql.len()))
                    && e.message.contains("Postgres wire"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn an_error_position_of_any_size_maps_into_the_statement() {
        let query = scan("SELECT x FROM t", ParamStyle::Positional).unwrap();
        for position in [
            "18446744073709551615",
            "\"18446744073709551615\"",
            "4294967296",
            "7",
        ] {
            let reply: ExecResponse =
                serde_json::from_str(&format!(r#"{{"error":"bad","position":{position}}}"#))
                    .unwrap();
            let e = reply.error(400, &query).unwrap();
            let p = e.position.expect("a position") as usize;
            assert!((1..=query.sql.len() + 1).contains(&p), "{position}: {p}");
        }
    }
}

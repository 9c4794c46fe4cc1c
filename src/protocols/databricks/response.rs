//! What the Statement Execution API answers, as types, and its errors.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value as Json};

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{parse_reply, Response};

/// A statement's state, and when it succeeded its manifest and first chunk.
#[derive(Deserialize, Debug, Default)]
pub struct StatementResponse {
    #[serde(default)]
    pub statement_id: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub manifest: Option<Manifest>,
    #[serde(default)]
    pub result: Option<ResultData>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Status {
    /// PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED or CLOSED.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub error: Option<ServiceError>,
    #[serde(default)]
    pub sql_state: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
pub struct ServiceError {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Manifest {
    #[serde(default)]
    pub schema: Schema,
    #[serde(default, deserialize_with = "count")]
    pub total_row_count: Option<i64>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Schema {
    #[serde(default)]
    pub columns: Vec<ColumnInfo>,
}

#[derive(Deserialize, Debug)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub type_text: Option<String>,
    #[serde(default, deserialize_with = "count")]
    pub type_precision: Option<i64>,
    #[serde(default, deserialize_with = "count")]
    pub type_scale: Option<i64>,
}

/// A chunk of a result: its rows inline, or links to them in cloud storage.
#[derive(Deserialize, Debug, Default)]
pub struct ResultData {
    #[serde(default)]
    pub data_array: Option<Vec<Vec<Option<String>>>>,
    #[serde(default)]
    pub external_links: Option<Vec<ExternalLink>>,
    #[serde(default)]
    pub next_chunk_internal_link: Option<String>,
}

#[derive(Deserialize, Debug)]
pub struct ExternalLink {
    pub external_link: String,
    #[serde(default)]
    pub http_headers: Option<Map<String, Json>>,
    #[serde(default)]
    pub next_chunk_internal_link: Option<String>,
}

/// The rows of a chunk fetched from its external link.
pub type ChunkRows = Option<Vec<Vec<Option<String>>>>;

#[derive(Deserialize, Debug)]
struct ErrorResponse {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Int64 counters may come as numbers or as their text.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Json>::deserialize(d)?;
    Ok(v.and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())))
}

/// Errors of requests the API refused (4xx/5xx with `error_code`).
pub fn reply_error(resp: &Response) -> Error {
    let body = parse_reply::<ErrorResponse>(resp).ok();
    let code = body.as_ref().and_then(|b| b.error_code.clone());
    let message = body
        .and_then(|b| b.message)
        .unwrap_or_else(|| resp.excerpt());
    let (kind, message) = match resp.status {
        401 => (
            ErrorKind::Operational,
            format!("authentication failed (HTTP 401): {message}"),
        ),
        403 => (
            ErrorKind::Operational,
            format!("permission denied (HTTP 403): {message}"),
        ),
        404 => (
            ErrorKind::Operational,
            format!("not found (HTTP 404): {message}"),
        ),
        400 => (
            ErrorKind::Programming,
            format!("the request was refused (HTTP 400): {message}"),
        ),
        429 | 503 => (
            ErrorKind::Operational,
            format!("the service is busy (HTTP {}): {message}", resp.status),
        ),
        s => (
            ErrorKind::Internal,
            format!("Databricks answered HTTP {s}: {message}"),
        ),
    };
    Error::server(kind, code, message)
}

/// A FAILED statement's error: its SQLSTATE decides the class, as for PostgreSQL.
pub fn statement_error(status: &Status) -> Error {
    let err = status.error.as_ref();
    let message = err
        .and_then(|e| e.message.as_deref())
        .unwrap_or("the statement failed");
    let code = err.and_then(|e| e.error_code.as_deref()).unwrap_or("");
    let kind = match status.sql_state.as_deref() {
        Some(state) => ErrorKind::from_sqlstate(state),
        None => match code {
            "BAD_REQUEST" | "NOT_FOUND" | "ALREADY_EXISTS" => ErrorKind::Programming,
            "INTERNAL_ERROR" | "UNKNOWN" => ErrorKind::Internal,
            _ => ErrorKind::Operational,
        },
    };
    let mut e = Error::server(
        kind,
        status.sql_state.clone().or(Some(code.to_string())),
        message,
    );
    if !code.is_empty() {
        e.detail = Some(format!("error_code {code}"));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failed_statements_carry_their_sqlstate() {
        let status: Status =
            serde_json::from_value(json!({"state": "FAILED", "sql_state": "42P01",
            "error": {"error_code": "BAD_REQUEST", "message": "[TABLE_OR_VIEW_NOT_FOUND] …"}}))
            .unwrap();
        let e = statement_error(&status);
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Programming, Some("42P01"))
        );
    }

    #[test]
    fn counters_come_as_numbers_or_text() {
        let m: Manifest =
            serde_json::from_value(json!({"total_row_count": "12", "schema": {"columns": []}}))
                .unwrap();
        assert_eq!(m.total_row_count, Some(12));
        let m: Manifest = serde_json::from_value(json!({"total_row_count": 7})).unwrap();
        assert_eq!(m.total_row_count, Some(7));
    }
}

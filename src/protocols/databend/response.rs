//! What Databend's HTTP handler answers, as types (bendsql's `QueryResponse`), and its errors.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{auth_failed, parse_reply, Response};

/// A reply of `/v1/query` or of a page it links to.
#[derive(Deserialize, Debug, Default)]
pub struct QueryResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub node_id: Option<String>,
    /// The session state to send back with the next request (null: unchanged).
    #[serde(default)]
    pub session: Option<Json>,
    #[serde(default)]
    pub schema: Option<Vec<SchemaField>>,
    /// Cells in Databend's display format; null is NULL.
    #[serde(default)]
    pub data: Option<Vec<Vec<Option<String>>>>,
    /// Starting, Running, Succeeded or Failed.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub error: Option<ErrorBody>,
    #[serde(default)]
    pub stats: Option<Stats>,
    #[serde(default)]
    pub next_uri: Option<String>,
    #[serde(default)]
    pub final_uri: Option<String>,
    #[serde(default)]
    pub kill_uri: Option<String>,
    /// Seconds the server keeps an unpolled result.
    #[serde(default)]
    pub result_timeout_secs: Option<u64>,
    #[serde(default)]
    pub settings: Option<Settings>,
}

impl QueryResponse {
    /// The query is still starting or running.
    pub fn running(&self) -> bool {
        matches!(self.state.as_str(), "Starting" | "Running")
    }

    /// It brought rows.
    pub fn has_rows(&self) -> bool {
        self.data.as_ref().is_some_and(|d| !d.is_empty())
    }

    /// It described the result's columns.
    pub fn has_schema(&self) -> bool {
        self.schema.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// Rows written so far.
    pub fn written(&self) -> i64 {
        self.stats
            .as_ref()
            .and_then(|s| s.write_progress.as_ref())
            .map_or(0, |p| p.rows)
    }

    /// Timestamps are shown in UTC (the session's timezone), so they are instants.
    pub fn utc(&self) -> bool {
        self.settings
            .as_ref()
            .and_then(|s| s.timezone.as_deref())
            .is_none_or(|tz| tz == "UTC" || tz == "Etc/UTC")
    }
}

#[derive(Deserialize, Debug)]
pub struct SchemaField {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Deserialize, Debug, Default)]
pub struct Stats {
    #[serde(default)]
    pub write_progress: Option<Progress>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Progress {
    #[serde(default)]
    pub rows: i64,
}

#[derive(Deserialize, Debug, Default)]
pub struct Settings {
    #[serde(default)]
    pub timezone: Option<String>,
}

#[derive(Deserialize, Debug, Default, Clone)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

/// `/v1/session/login`'s answer.
#[derive(Deserialize, Debug, Default)]
pub struct LoginResponse {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

#[derive(Deserialize, Debug, Default)]
struct ErrorResponse {
    #[serde(default)]
    error: Option<ErrorBody>,
}

/// A Databend error code onto its PEP 249 class.
pub fn error_kind(code: i64) -> ErrorKind {
    match code {
        1001 => ErrorKind::Internal,
        1002 => ErrorKind::NotSupported,
        1043 | 1044 | 1122 | 2201 | 4001 | 4003 | 5100..=5199 => ErrorKind::Operational,
        4002 => ErrorKind::Internal, // the transaction failed: like SQLSTATE 25P02
        1003..=1099 | 2301 | 2302 => ErrorKind::Programming,
        _ => ErrorKind::Database,
    }
}

/// The error a reply carries, in its class.
pub fn server_error(err: &ErrorBody) -> Error {
    let message = err
        .message
        .as_deref()
        .filter(|m| !m.is_empty())
        .unwrap_or("query failed");
    let mut e = Error::server(
        err.code.map_or(ErrorKind::Database, error_kind),
        err.code.map(|c| c.to_string()),
        message,
    );
    e.detail = err.detail.clone().filter(|d| !d.is_empty());
    e
}

/// A reply other than 200, as the error it reports.
pub fn reply_error(resp: &Response, user: &str) -> Error {
    let err = parse_reply::<ErrorResponse>(resp)
        .ok()
        .and_then(|b| b.error);
    let message = err
        .as_ref()
        .and_then(|e| e.message.clone())
        .unwrap_or_else(|| resp.excerpt());
    let mut e = match resp.status {
        401 => auth_failed(user, &message),
        404 => Error::server(
            ErrorKind::Operational,
            None,
            format!(
                "the result is gone from the server (expired, closed or on another node): {message}"
            ),
        ),
        s => Error::server(
            ErrorKind::Operational,
            None,
            format!("Databend answered HTTP {s}: {message}"),
        ),
    };
    e.code = err.and_then(|e| e.code).map(|c| c.to_string());
    e
}

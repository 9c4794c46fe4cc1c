//! What CrateDB answers, as types: `/_sql` results, bulk results, errors and `GET /`.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value as Json;

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{auth_failed, parse_reply, Response};

/// A statement's result. Each cell stays the reply's text until its column's type decodes it.
#[derive(Deserialize, Debug)]
pub struct SqlResponse<'a> {
    pub cols: Vec<String>,
    /// Type ids, one per column (`[100, inner]` for arrays); old servers leave them out.
    #[serde(default)]
    pub col_types: Option<Vec<Json>>,
    #[serde(default, borrow)]
    pub rows: Option<Vec<Vec<&'a RawValue>>>,
    #[serde(default)]
    pub rowcount: Option<i64>,
}

/// An `executemany`: one result per parameter set.
#[derive(Deserialize, Debug)]
pub struct BulkResponse {
    pub results: Vec<BulkResult>,
}

#[derive(Deserialize, Debug)]
pub struct BulkResult {
    /// -2 (or missing) when the set failed.
    #[serde(default)]
    pub rowcount: Option<i64>,
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

#[derive(Deserialize, Debug, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<i64>,
}

#[derive(Deserialize, Debug)]
struct ErrorResponse {
    #[serde(default)]
    error: Option<ErrorBody>,
    /// Bulk replies of old servers.
    #[serde(default)]
    error_message: Option<String>,
}

/// `GET /`: the node's info.
#[derive(Deserialize, Debug)]
pub struct NodeInfo {
    pub version: NodeVersion,
}

#[derive(Deserialize, Debug)]
pub struct NodeVersion {
    pub number: String,
}

/// A CrateDB error code onto its PEP 249 class (codes in the protocol notes' error table).
pub fn error_kind(code: i64) -> ErrorKind {
    match code {
        4004 => ErrorKind::NotSupported,
        4003 => ErrorKind::Data,
        4091 => ErrorKind::Integrity,
        4092 | 4290 => ErrorKind::Operational,
        4000..=4099 | 40000..=40999 => ErrorKind::Programming,
        5000 => ErrorKind::Internal,
        5001..=5099 => ErrorKind::Operational,
        _ => ErrorKind::Database,
    }
}

/// The server's error, in its class when it gave a code.
pub fn server_error(code: Option<i64>, message: &str) -> Error {
    Error::server(
        code.map_or(ErrorKind::Database, error_kind),
        code.map(|c| c.to_string()),
        message,
    )
}

/// Any reply other than 200 as the error it reports.
pub fn reply_error(resp: &Response, user: Option<&str>) -> Error {
    if resp.is_json() {
        if let Ok(body) = parse_reply::<ErrorResponse>(resp) {
            if let Some(ErrorBody {
                message: Some(message),
                code,
            }) = body.error
            {
                return server_error(code, &message);
            }
            if let Some(message) = body.error_message {
                return server_error(None, &message);
            }
        }
    }
    match resp.status {
        401 => auth_failed(user.unwrap_or("crate"), &resp.excerpt()),
        _ => resp.refused("CrateDB"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Response {
        Response {
            status,
            content_type: content_type.into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn errors_keep_the_servers_code_and_class() {
        let e = reply_error(
            &reply(
                409,
                "application/json",
                r#"{"error":{"message":"DuplicateKeyException[A document with the same primary key exists already]","code":4091}}"#,
            ),
            None,
        );
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Integrity, Some("4091"))
        );
        let e = reply_error(
            &reply(
                404,
                "application/json",
                r#"{"error":{"message":"RelationUnknown[Relation 'doc.x' unknown]","code":4041}}"#,
            ),
            None,
        );
        assert_eq!(e.kind, ErrorKind::Programming);
        let e = reply_error(
            &reply(
                401,
                "text/plain",
                "password authentication failed for user \"u\"",
            ),
            Some("u"),
        );
        assert_eq!(e.kind, ErrorKind::Operational);
        assert!(e
            .message
            .starts_with("authentication failed for user \"u\" (HTTP 401)"));
        let e = reply_error(&reply(502, "text/html", "<h1>Bad gateway</h1>"), None);
        assert_eq!(e.message, "CrateDB answered HTTP 502: <h1>Bad gateway</h1>");
    }
}

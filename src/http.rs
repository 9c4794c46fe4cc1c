//! HTTP exchanges for the HTTP backends. The protocols build [`Request`]s and read [`Response`]s;
//! an [`HttpClient`] carries them (fetch in wasm), so protocol code is tested natively.

use base64::Engine as _;

use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn is_json(&self) -> bool {
        self.content_type.starts_with("application/json")
    }

    /// The body as text, cut to a length that fits an error message.
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_string(),
        }
    }
}

#[allow(async_fn_in_trait)] // single-threaded: wasm futures are not Send
pub trait HttpClient {
    /// Sends the request and reads the whole response. Network failures are errors; HTTP error
    /// statuses are responses.
    async fn send(&self, req: Request) -> Result<Response>;
}

/// `Authorization: Basic …` for a user and password.
pub fn basic_auth(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// Parses a JSON reply, keeping numbers exact (serde_json's `arbitrary_precision`).
pub fn parse_json(resp: &Response) -> Result<serde_json::Value> {
    serde_json::from_slice(&resp.body).map_err(|e| Error::malformed(format!("invalid JSON: {e}")))
}

/// A base URL (`http://host:port`) from a DSN's host and port.
pub fn base_url(https: bool, host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("{}://{host}:{port}", if https { "https" } else { "http" })
}

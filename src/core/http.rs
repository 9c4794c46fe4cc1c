//! HTTP exchanges for the HTTP backends. The protocols build [`Request`]s and read [`Response`]s;
//! an [`HttpClient`] carries them (fetch in wasm), so protocol code is tested natively.

use std::fmt::Write as _;

use base64::Engine as _;
use futures::future::{self, LocalBoxFuture};
use futures::FutureExt as _;

use crate::core::error::{Error, ErrorKind, Result};

#[derive(Clone, Debug)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// A bound of this request's own, shorter than the client's (a heartbeat must not hold
    /// the connection up).
    pub timeout_ms: Option<u64>,
}

impl Request {
    /// A request to a JSON API: `Accept` JSON, the `Authorization` value if any, and the body
    /// as JSON. Backends add their own headers.
    pub fn json(
        method: &'static str,
        url: String,
        authorization: Option<String>,
        body: Option<serde_json::Value>,
    ) -> Request {
        let mut headers = vec![("Accept".into(), "application/json".to_string())];
        if let Some(a) = authorization {
            headers.push(("Authorization".into(), a));
        }
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/json".to_string()));
        }
        Request {
            method,
            url,
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
            timeout_ms: None,
        }
    }
}

/// A login the server refused with 401: the user, and what the server said of it.
pub fn auth_failed(user: &str, said: &str) -> Error {
    Error::server(
        ErrorKind::Operational,
        None,
        format!("authentication failed for user {user:?} (HTTP 401): {said}"),
    )
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    /// The other headers the client may read, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_json(&self) -> bool {
        self.content_type.starts_with("application/json")
    }

    /// A reply that is not the answer asked for, as the error for it when nothing more specific
    /// applies: `database` answered HTTP `status`, and what its body says.
    pub fn refused(&self, database: &str) -> Error {
        Error::server(
            ErrorKind::Operational,
            None,
            format!(
                "{database} answered HTTP {}: {}",
                self.status,
                self.excerpt()
            ),
        )
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

/// Clones share the client: what aborts one aborts them all.
#[allow(async_fn_in_trait)] // single-threaded: wasm futures are not Send
pub trait HttpClient: Clone + 'static {
    /// Sends the request and reads the whole response. Network failures are errors; HTTP error
    /// statuses are responses.
    async fn send(&self, req: Request) -> Result<Response>;
    /// Waits `ms` milliseconds (between polls of a running statement).
    async fn pause(&self, ms: u32);
    /// Sends the request now and reads its response in the background, for awaiting later; the
    /// returned future, dropped, abandons it. The default polls the exchange once and leaves the
    /// rest to whoever awaits it, which suits only clients whose exchange then completes on its
    /// own (the tests' scripted ones): a client with timers or a body to read must run it as a
    /// task of its own, as fetch does.
    fn send_in_background(&self, req: Request) -> LocalBoxFuture<'static, Result<Response>> {
        let mut exchange = send_owned(self, req);
        match (&mut exchange).now_or_never() {
            Some(answered) => future::ready(answered).boxed_local(),
            None => exchange,
        }
    }
}

/// `http.send(req)` as a future that owns what it needs, to keep or run apart from its caller.
pub fn send_owned<H: HttpClient>(
    http: &H,
    req: Request,
) -> LocalBoxFuture<'static, Result<Response>> {
    let client = http.clone();
    async move { client.send(req).await }.boxed_local()
}

/// The request for a result's next page. Usually asked for at once ([`NextPage::ask_now`]),
/// before this page's rows are decoded and handed out, so that the server and the network work
/// on it meanwhile (the client holds at most one page more than it hands out); dropped unread, it
/// is abandoned.
pub struct NextPage {
    /// What was sent, to send again (a server's "retry later").
    pub request: Request,
    reply: LocalBoxFuture<'static, Result<Response>>,
}

impl NextPage {
    /// Sends `request`, and lets the runtime put it on the wire (one turn of its event loop)
    /// before the caller goes on with its own work.
    pub async fn ask_now<H: HttpClient>(http: &H, request: Request) -> NextPage {
        let reply = http.send_in_background(request.clone());
        http.pause(0).await;
        NextPage { request, reply }
    }

    /// Sends `request` only once its reply is awaited (what it answers would not keep).
    pub fn ask_when_read<H: HttpClient>(http: &H, request: Request) -> NextPage {
        let reply = send_owned(http, request.clone());
        NextPage { request, reply }
    }

    /// Its reply, once it has come; taken: a second call is an error.
    pub async fn reply(&mut self) -> Result<Response> {
        let read = future::ready(Err(Error::interface("a reply read twice"))).boxed_local();
        std::mem::replace(&mut self.reply, read).await
    }
}

/// `Authorization: Basic …` for a user and password.
pub fn basic_auth(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// Parses a JSON reply into its typed shape (numbers kept exact: serde_json's
/// `arbitrary_precision`). A reply of another shape is malformed. The body is checked as UTF-8
/// once, so that its strings and raw cells are not checked again one by one.
pub fn parse_reply<'a, T: serde::Deserialize<'a>>(resp: &'a Response) -> Result<T> {
    let invalid = |e: &dyn std::fmt::Display| Error::malformed(format!("invalid reply: {e}"));
    let text = std::str::from_utf8(&resp.body).map_err(|e| invalid(&e))?;
    serde_json::from_str(text).map_err(|e| invalid(&e))
}

/// Parses a JSON reply whose shape is open (a report handed on as it is).
pub fn parse_json(resp: &Response) -> Result<serde_json::Value> {
    parse_reply(resp)
}

/// Percent-encodes a URL query component (everything but RFC 3986's unreserved characters).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}"); // writing to a String cannot fail
        }
    }
    out
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

/// `base_url` (`http(s)://host:port`) as reached through the relay's HTTP forwarding.
pub fn via_relay(base_url: &str, relay: &str) -> Result<String> {
    let address = base_url.split_once("://").map_or(base_url, |(_, a)| a);
    relay_base(relay, address)
}

/// The base URL of webdbc-relay's HTTP forwarding to `address` (`host:port`), from the relay URL
/// a connection is given (`wss://relay/v1/connect` serves both; `?target=NAME` picks a target by
/// name instead of by address).
pub fn relay_base(relay: &str, address: &str) -> Result<String> {
    let bad = || Error::interface("option relay must be a ws://, wss://, http:// or https:// URL");
    let (scheme, rest) = relay.split_once("://").ok_or_else(bad)?;
    // A user or password would travel in every request URL, and errors could show them.
    if rest
        .split(['/', '?'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
    {
        return Err(Error::interface(
            "the relay URL must not carry a user or password: forwarded requests carry the database's own credentials",
        ));
    }
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        _ => return Err(bad()),
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let target = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("target="))
        .unwrap_or(address);
    let rest = rest.trim_end_matches('/');
    let prefix = ["/v1/connect", "/v1/http", "/v1"]
        .iter()
        .find_map(|tail| rest.strip_suffix(tail))
        .unwrap_or(rest);
    Ok(format!("{scheme}://{prefix}/v1/http/{target}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_forwarding_urls() {
        assert_eq!(
            relay_base("wss://relay.example/v1/connect", "db:4200").unwrap(),
            "https://relay.example/v1/http/db:4200"
        );
        assert_eq!(
            relay_base("ws://127.0.0.1:8080/v1/connect?target=pg", "db:4200").unwrap(),
            "http://127.0.0.1:8080/v1/http/pg"
        );
        assert_eq!(
            relay_base("https://r.example/base/v1/http/", "h:1").unwrap(),
            "https://r.example/base/v1/http/h:1"
        );
        assert!(relay_base("relay.example", "h:1").is_err());
        let e = relay_base("wss://user:S3CRET@relay.example/v1/connect", "h:1").unwrap_err();
        assert!(!e.message.contains("S3CRET"));
    }
}

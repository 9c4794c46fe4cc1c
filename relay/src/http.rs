//! HTTP forwarding: `/v1/http/{target}/{path…}` goes to an allow-listed HTTP target, streaming
//! both ways, with CORS headers for allow-listed page origins. This is how a browser reaches an
//! HTTP database that sends no CORS headers of its own (Databricks, QuestDB, CrateDB by default).
//!
//! Deny by default, twice: the target must be configured (by name or exact `host:port`), and a
//! request from a page (it has an `Origin`) must come from an allowed origin. Requests without an
//! Origin (Node, scripts) are not pages and pass the origin check. `Authorization` goes through
//! untouched; nothing but method, target and status is logged.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::{plain, Config};

/// `name=http://host:port`: an HTTP target. Only plain-HTTP upstreams for now.
pub fn parse_http_target(s: &str) -> Result<(String, String), String> {
    let (name, url) = s
        .split_once('=')
        .ok_or("expected name = http://host:port")?;
    let (name, url) = (name.trim(), url.trim().trim_end_matches('/'));
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!("invalid target name {name:?}"));
    }
    if url.starts_with("https://") {
        return Err("https:// upstreams are not supported yet: forward to http://".into());
    }
    let addr = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("expected http://host:port, got {url:?}"))?;
    let (host, port) = addr.rsplit_once(':').ok_or("expected http://host:port")?;
    if host.is_empty() || addr.contains('/') || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(format!("invalid address {addr:?}"));
    }
    Ok((name.to_string(), addr.to_string()))
}

/// One pooled client for every forwarded request.
fn client() -> &'static Client<HttpConnector, Body> {
    static CLIENT: OnceLock<Client<HttpConnector, Body>> = OnceLock::new();
    CLIENT.get_or_init(|| Client::builder(TokioExecutor::new()).build_http())
}

/// The origin check: `None` when the request may go on.
fn origin_refusal(cfg: &Config, headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("");
    let allowed = cfg.allowed_origins.iter().any(|o| o == "*" || o == origin);
    (!allowed).then(|| {
        format!("relay refused origin {origin:?}: it is not in the relay's allowed origins (--allow-origin)")
    })
}

/// Headers that belong to one hop, or that the relay sets itself.
fn skip_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "origin"
            | "referer"
            | "cookie"
            | "connection"
            | "keep-alive"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    ) || name.as_str().starts_with("access-control-")
}

fn cors(headers: &mut HeaderMap, origin: Option<&HeaderValue>) {
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        // Pages may read the target's headers too (Retry-After, X-DATABEND-*).
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("*"),
        );
    }
}

pub async fn forward(
    State(cfg): State<Arc<Config>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(params): Path<Vec<(String, String)>>,
    req: Request,
) -> Response {
    let target = params
        .iter()
        .find(|(k, _)| k == "target")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let path = params
        .iter()
        .find(|(k, _)| k == "path")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if let Some(why) = origin_refusal(&cfg, req.headers()) {
        eprintln!("relay: {peer} http refused (403 origin)");
        return plain(StatusCode::FORBIDDEN, why);
    }
    let origin = req.headers().get(header::ORIGIN).cloned();
    // Preflights are answered for any target, so that a refusal reaches the page as a readable 403.
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        cors(h, origin.as_ref());
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
        );
        if let Some(asked) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
        }
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return r;
    }
    let Some((name, addr)) = cfg
        .http_targets
        .iter()
        .find(|(n, a)| n == target || a == target)
    else {
        eprintln!("relay: {peer} http refused (403 target)");
        return plain(
            StatusCode::FORBIDDEN,
            format!("relay refused HTTP target {target:?}: it is not in the relay's allow-list"),
        );
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let uri: Uri = match format!("http://{addr}/{path}{query}").parse() {
        Ok(u) => u,
        Err(_) => return plain(StatusCode::BAD_REQUEST, "invalid path".into()),
    };
    let (parts, body) = req.into_parts();
    let mut upstream = axum::http::Request::new(body);
    *upstream.method_mut() = parts.method.clone();
    *upstream.uri_mut() = uri;
    for (k, v) in &parts.headers {
        if !skip_header(k) {
            upstream.headers_mut().append(k.clone(), v.clone());
        }
    }
    let sent = tokio::time::timeout(cfg.connect_timeout, client().request(upstream)).await;
    let resp = match sent {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => {
            eprintln!("relay: {peer} http {} -> {name} failed", parts.method);
            let mut r = plain(
                StatusCode::BAD_GATEWAY,
                format!("relay could not reach HTTP target {name}: {e}"),
            );
            cors(r.headers_mut(), origin.as_ref());
            return r;
        }
        Err(_) => {
            return plain(
                StatusCode::GATEWAY_TIMEOUT,
                format!("relay: HTTP target {name} did not answer in time"),
            )
        }
    };
    eprintln!(
        "relay: {peer} http {} -> {name} {}",
        parts.method,
        resp.status().as_u16()
    );
    let (parts, body) = resp.into_parts();
    let mut out = Response::new(Body::new(body));
    *out.status_mut() = parts.status;
    for (k, v) in &parts.headers {
        if !skip_header(k) {
            out.headers_mut().append(k.clone(), v.clone());
        }
    }
    cors(out.headers_mut(), origin.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_targets() {
        assert_eq!(
            parse_http_target("crate = http://127.0.0.1:4200/").unwrap(),
            ("crate".into(), "127.0.0.1:4200".into())
        );
        assert!(parse_http_target("x=https://h:443").is_err());
        assert!(parse_http_target("x=http://h").is_err());
        assert!(parse_http_target("x=http://h:1/path").is_err());
        assert!(parse_http_target("x=h:1").is_err());
    }

    #[test]
    fn pages_need_an_allowed_origin() {
        let mut cfg = Config::default();
        let mut h = HeaderMap::new();
        assert!(origin_refusal(&cfg, &h).is_none(), "no Origin: not a page");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://app.example"),
        );
        assert!(origin_refusal(&cfg, &h).is_some(), "deny by default");
        cfg.allowed_origins = vec!["https://app.example".into()];
        assert!(origin_refusal(&cfg, &h).is_none());
        cfg.allowed_origins = vec!["https://other.example".into()];
        assert!(origin_refusal(&cfg, &h).is_some());
        cfg.allowed_origins = vec!["*".into()];
        assert!(origin_refusal(&cfg, &h).is_none());
    }
}

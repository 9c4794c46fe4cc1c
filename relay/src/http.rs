//! HTTP forwarding: `/v1/http/{target}/{path…}` goes to an allow-listed HTTP target, streaming
//! both ways, with CORS headers for allow-listed page origins. This is how a browser reaches an
//! HTTP database that sends no CORS headers of its own (Databricks, QuestDB, CrateDB by default).
//!
//! Deny by default: the target must be configured (by name or exact `host:port`); a request from
//! a page (it has an `Origin`) must come from an allowed origin; every request carries the
//! header [`RELAY_HEADER`], which no page can send without a CORS preflight (so a plain `<img>`
//! or form from any site cannot use the relay); and the `Host` it was sent to must be an IP
//! address, `localhost` or a configured host name (so a DNS-rebinding page, which would be
//! same-origin, cannot either). Requests without an Origin (Node, scripts) pass the origin check.
//! `Authorization` goes through untouched; nothing but method, target and status is logged.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::{plain, Config, Shared};

/// Sent with every forwarded request by webdbc (any value).
pub const RELAY_HEADER: &str = "x-webdbc-relay";
/// The relay's token on a forwarded request (`Authorization` is the database's own).
pub const TOKEN_HEADER: &str = "x-webdbc-relay-token";

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

/// The pooled client of one relay, for every request it forwards.
pub(crate) type Forwarder = Client<HttpConnector, Body>;

/// A relay's forwarder. Only connecting is bounded: a statement may take its time to answer, and
/// the client has its own timeouts.
pub(crate) fn forwarder(connect_timeout: std::time::Duration) -> Forwarder {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(connect_timeout));
    Client::builder(TokioExecutor::new()).build(connector)
}

/// The Host check: `None` when the request was sent to an IP address, `localhost` or a
/// configured host name.
fn host_refusal(cfg: &Config, headers: &HeaderMap) -> Option<String> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let allowed = name.parse::<std::net::IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || cfg.hosts.iter().any(|h| h.eq_ignore_ascii_case(name));
    (!allowed).then(|| {
        format!(
            "relay refused host {name:?}: name it with --host to forward HTTP requests sent to it"
        )
    })
}

/// The origin check: `None` when the request may go on (requests without an `Origin`, from
/// Node or scripts, always may).
pub(crate) fn origin_refusal(cfg: &Config, headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("");
    let allowed = cfg.allowed_origins.iter().any(|o| o == "*" || o == origin);
    (!allowed).then(|| {
        format!("relay refused origin {origin:?}: it is not in the relay's allowed origins (--allow-origin)")
    })
}

/// Headers that belong to one hop, or that the relay sets itself; `listed` are the ones the
/// request's own `Connection` header names.
fn skip_header(name: &HeaderName, listed: &[String]) -> bool {
    listed.iter().any(|l| l.eq_ignore_ascii_case(name.as_str()))
        || name.as_str() == RELAY_HEADER
        || name.as_str() == TOKEN_HEADER
        || skip_hop(name)
}

fn skip_hop(name: &HeaderName) -> bool {
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

/// The names a `Connection` header lists (hop-by-hop for this request).
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect()
}

pub(crate) async fn forward(
    State(shared): State<Arc<Shared>>,
    Extension(client): Extension<Forwarder>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(params): Path<Vec<(String, String)>>,
    req: Request,
) -> Response {
    let cfg = &shared.cfg;
    // Not counted against the attempt rate: one statement may take many requests (polls,
    // pages, preflights); the rate limits WebSocket connections.
    if *shared.draining.borrow() {
        shared.metrics.refused("-", "draining");
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "relay refused the request: it is shutting down".into(),
        );
    }
    let target = params
        .iter()
        .find(|(k, _)| k == "target")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    // The rest of the path as sent, still percent-encoded: the target sees what the client wrote.
    let raw = req.uri().path().strip_prefix("/v1/http/").unwrap_or("");
    let path = raw.split_once('/').map_or("", |(_, rest)| rest).to_string();
    let refusal = origin_refusal(cfg, req.headers()).or_else(|| host_refusal(cfg, req.headers()));
    if let Some(why) = refusal {
        crate::log!("refused", peer = peer, status = 403, reason = "origin or host"; "{peer} http refused (403)");
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
    if !req.headers().contains_key(RELAY_HEADER) {
        crate::log!("refused", peer = peer, status = 403, reason = "header"; "{peer} http refused (403 no {RELAY_HEADER})");
        return plain(
            StatusCode::FORBIDDEN,
            format!(
                "relay refused the request: forwarded requests carry the {RELAY_HEADER} header"
            ),
        );
    }
    let Some((name, addr)) = cfg
        .http_targets
        .iter()
        .find(|(n, a)| n == target || a == target)
    else {
        crate::log!("refused", peer = peer, status = 403, reason = "target"; "{peer} http refused (403 target)");
        return plain(
            StatusCode::FORBIDDEN,
            format!("relay refused HTTP target {target:?}: it is not in the relay's allow-list"),
        );
    };
    let token = req
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    let target = crate::Target::plain(name, addr);
    if let Some((status, why)) = crate::token_refusal(&shared, token, &target, peer) {
        let mut r = plain(status, why);
        cors(r.headers_mut(), origin.as_ref());
        return r;
    }
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
    let listed = connection_listed(&parts.headers);
    for (k, v) in &parts.headers {
        if !skip_header(k, &listed) {
            upstream.headers_mut().append(k.clone(), v.clone());
        }
    }
    let resp = match client.request(upstream).await {
        Ok(resp) => resp,
        Err(e) => {
            crate::log!("http", peer = peer, method = parts.method.as_str(), target = name, status = 502; "{peer} http {} -> {name} failed", parts.method);
            let mut r = plain(
                StatusCode::BAD_GATEWAY,
                format!("relay could not reach HTTP target {name}: {e}"),
            );
            cors(r.headers_mut(), origin.as_ref());
            return r;
        }
    };
    crate::log!("http", peer = peer, method = parts.method.as_str(), target = name, status = resp.status().as_u16();
        "{peer} http {} -> {name} {}", parts.method, resp.status().as_u16());
    shared.metrics.http(name, resp.status().as_u16());
    let (parts, body) = resp.into_parts();
    let mut out = Response::new(Body::new(body));
    *out.status_mut() = parts.status;
    let listed = connection_listed(&parts.headers);
    for (k, v) in &parts.headers {
        if !skip_header(k, &listed) {
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
    fn requests_must_be_sent_to_an_address_or_a_named_host() {
        let mut cfg = Config::default();
        let with_host = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            m
        };
        for ok in ["127.0.0.1:8080", "[::1]:8080", "localhost:8080", "10.0.0.5"] {
            assert!(host_refusal(&cfg, &with_host(ok)).is_none(), "{ok}");
        }
        assert!(host_refusal(&cfg, &with_host("attacker.example:8080")).is_some());
        assert!(host_refusal(&cfg, &HeaderMap::new()).is_some());
        cfg.hosts = vec!["relay.example".into()];
        assert!(host_refusal(&cfg, &with_host("relay.example")).is_none());
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

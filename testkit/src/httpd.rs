//! What the HTTP test servers share: a server on its own thread and runtime, and replies.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::Value as Json;

/// Serves `app` on a free loopback port from a thread of its own, until the process exits.
/// Handlers may extract `ConnectInfo<SocketAddr>`.
pub fn serve(app: Router) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
    });
    port
}

pub fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    r
}

pub fn json_reply(status: StatusCode, v: &Json) -> Response {
    reply(status, "application/json", v.to_string())
}

/// `user:password` of a Basic `Authorization` header; `None` without one.
pub fn basic_credentials(auth: Option<&str>) -> Option<Result<(String, String), String>> {
    use base64::Engine as _;
    let auth = auth?;
    let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Some(Err("Unsupported authentication scheme".into()));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Some(match decoded {
        Some(d) => {
            let (u, p) = d.split_once(':').unwrap_or((&d, ""));
            Ok((u.to_string(), p.to_string()))
        }
        None => Err("Invalid basic authentication header".into()),
    })
}

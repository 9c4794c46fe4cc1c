//! webdbc-relay: carries WebSocket binary frames to TCP and back, one TCP socket per WebSocket.
//!
//! Deny by default: a client names a configured target (`?target=NAME`) or an exact `host:port`
//! the allow-list contains (`?address=HOST:PORT`, the form `@neondatabase/serverless` sends).
//! Anything else is refused before the upgrade. A plain GET (no upgrade) of the same URL answers
//! with the same verdict, so a browser, which sees only "close 1006" for a refused upgrade, can
//! ask why. Payloads and query strings are never logged: they carry credentials.
//!
//! `/v1/http/{target}/…` forwards HTTP to allow-listed HTTP targets, with CORS for allowed page
//! origins (see [`http`]).

pub mod backend_tls;
pub mod config_file;
pub mod http;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod tls;
pub mod token;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use bytes::BytesMut;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_UNSUPPORTED_DATA: u16 = 1003;
pub const CLOSE_INTERNAL_ERROR: u16 = 1011;

/// How long a Close frame may wait to be written, and then for the client's.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Bytes read from a backend at a time (and so the largest frame sent to a client).
const READ_CHUNK: usize = 128 * 1024;

#[derive(Clone, Debug)]
pub struct Config {
    /// Named socket targets.
    pub targets: Vec<Target>,
    /// Named HTTP targets for forwarding: name -> `host:port` (plain HTTP).
    pub http_targets: Vec<(String, String)>,
    /// Page origins allowed in (`*`: any). Empty: no page may use HTTP forwarding, and any may
    /// open WebSockets; listed: pages of other origins may do neither.
    pub allowed_origins: Vec<String>,
    /// Host names HTTP forwarding answers to, besides IP addresses and `localhost`.
    pub hosts: Vec<String>,
    pub connect_timeout: Duration,
    /// Largest WebSocket message accepted from a client.
    pub max_message_size: usize,
    /// A folder of static files served at `/` (the demo's SQL console).
    pub www: Option<std::path::PathBuf>,
    /// When set, every connection and forwarded request needs a token signed by these keys.
    pub tokens: Option<token::Verifier>,
    /// Connections at once and attempts a second.
    pub limits: limits::Limits,
    /// A connection with no bytes either way for this long is closed (zero: never).
    pub idle_timeout: Duration,
    /// A connection open this long is closed (zero: never).
    pub max_lifetime: Duration,
    /// The largest request body HTTP forwarding takes (larger: 413).
    pub max_http_body: usize,
    /// On shutdown, how long open connections may go on before they are closed with 1001.
    pub drain_grace: Duration,
    /// TLS on the listener (`wss://`, `https://`), when set.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// How long a client may take to complete its TLS handshake.
    pub handshake_timeout: Duration,
}

/// What a running relay shares between its connections.
pub(crate) struct Shared {
    pub(crate) cfg: Config,
    pub(crate) gate: limits::Gate,
    pub(crate) metrics: Arc<metrics::Metrics>,
    /// Turns true when the relay starts to shut down.
    pub(crate) draining: tokio::sync::watch::Receiver<bool>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            targets: Vec::new(),
            http_targets: Vec::new(),
            allowed_origins: Vec::new(),
            hosts: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            max_message_size: 16 << 20,
            www: None,
            tokens: None,
            limits: limits::Limits::default(),
            idle_timeout: Duration::from_secs(15 * 60),
            max_lifetime: Duration::from_secs(24 * 60 * 60),
            max_http_body: 64 << 20,
            drain_grace: Duration::from_secs(10),
            tls: None,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Adds the lines of a config file: `name = host:port` (a socket target),
    /// `name = http://host:port` (an HTTP target), `allow-origin = ORIGIN` or `host = NAME`; `#`
    /// starts a comment.
    pub fn add_lines(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = |e: String| format!("line {}: {e}", n + 1);
            let value = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
            let key = line.split('=').next().unwrap_or("").trim();
            if key == "allow-origin" {
                self.allowed_origins.push(value.to_string());
            } else if key == "host" {
                self.hosts.push(value.to_string());
            } else if value.contains("://") {
                self.http_targets
                    .push(http::parse_http_target(line).map_err(at)?);
            } else {
                self.targets.push(parse_target(line).map_err(at)?);
            }
        }
        Ok(())
    }
}

/// `name=host:port`, then optionally `?` and the target's TLS settings
/// (`tls=require|verify-full&ca=FILE&starttls=postgres&server-name=NAME`, see `backend_tls`);
/// spaces around `=` allowed.
pub fn parse_target(s: &str) -> Result<Target, String> {
    let (name, rest) = s.split_once('=').ok_or("expected name = host:port")?;
    let (name, rest) = (name.trim(), rest.trim());
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!("invalid target name {name:?}"));
    }
    let (addr, settings) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, port) = addr.rsplit_once(':').ok_or("expected host:port")?;
    if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(format!("invalid address {addr:?}"));
    }
    let settings: Vec<(String, String)> = form_urlencoded::parse(settings.as_bytes())
        .into_owned()
        .collect();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let tls = backend_tls::BackendTls::from_settings(host, &settings)
        .map_err(|why| format!("target {name}: {why}"))?;
    Ok(Target {
        name: name.to_string(),
        addr: addr.to_string(),
        tls: tls.map(Arc::new),
    })
}

/// A socket target: its name, `host:port`, and TLS towards it when configured.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub addr: String,
    pub tls: Option<Arc<backend_tls::BackendTls>>,
}

impl Target {
    /// A target reached in plain TCP.
    pub fn plain(name: &str, addr: &str) -> Target {
        Target {
            name: name.into(),
            addr: addr.into(),
            tls: None,
        }
    }
}

enum Verdict {
    Allowed(Target),
    Refused(StatusCode, String),
}

/// The target a request names (once: two `target`s, two `address`es, or one of each are
/// ambiguous, not "the last one wins").
fn judge(cfg: &Config, query: &[(String, String)]) -> Verdict {
    let named: Vec<&(String, String)> = query
        .iter()
        .filter(|(k, _)| k == "target" || k == "address")
        .collect();
    let found = match named.as_slice() {
        [(k, name)] if k == "target" => {
            cfg.targets.iter().find(|t| &t.name == name).ok_or_else(|| {
                format!("relay refused target {name:?}: no target of that name is configured")
            })
        }
        [(_, addr)] => cfg.targets.iter().find(|t| &t.addr == addr).ok_or_else(|| {
            format!("relay refused address {addr:?}: it is not in the relay's allow-list")
        }),
        [] => {
            return Verdict::Refused(
                StatusCode::BAD_REQUEST,
                "name a target: ?target=NAME or ?address=HOST:PORT".into(),
            )
        }
        _ => {
            return Verdict::Refused(
                StatusCode::BAD_REQUEST,
                "relay refused an ambiguous request: name one target, by ?target=NAME or ?address=HOST:PORT".into(),
            )
        }
    };
    match found {
        Ok(target) => Verdict::Allowed(target.clone()),
        Err(msg) => Verdict::Refused(StatusCode::FORBIDDEN, msg),
    }
}

/// Marks the relay's own answers (a refusal, a target it could not reach), so that a client of
/// HTTP forwarding can tell them from the database's.
pub const OWN_ANSWER_HEADER: &str = "x-webdbc-relay-answer";

/// A plain-text answer of the relay itself, which any page may read (it carries nothing
/// secret).
pub(crate) fn plain(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(OWN_ANSWER_HEADER, HeaderValue::from_static("1"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(OWN_ANSWER_HEADER),
    );
    r
}

/// The pairs of a query string, in order and repeated as sent.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The token check, when the relay requires tokens: `Err` with the refusal's status and reason.
/// Logs who was refused and why, never the token.
pub(crate) fn token_refusal(
    shared: &Shared,
    token: Option<&str>,
    target: &Target,
    peer: SocketAddr,
) -> Option<(StatusCode, String)> {
    let verifier = shared.cfg.tokens.as_ref()?;
    let checked = verifier
        .check(token)
        .and_then(|claims| claims.allows(&target.name, &target.addr).map(|()| claims));
    match checked {
        Ok(claims) => {
            if let Some(sub) = claims.sub {
                crate::log!("token", peer = peer, target = &target.name, sub = &sub; "{peer} token of {sub:?}");
            }
            None
        }
        Err(refusal) => {
            crate::log!("refused", peer = peer, target = &target.name, status = refusal.status(), reason = refusal.to_string();
                "{peer} refused ({}, token: {refusal})", refusal.status());
            shared.metrics.refused(&target.name, "token");
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            Some((status, refusal.to_string()))
        }
    }
}

async fn connect(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let cfg = &shared.cfg;
    if let Err(full) = shared.gate.attempt(&cfg.limits, peer.ip()) {
        crate::log!("refused", peer = peer, status = full.status, reason = "rate"; "{peer} refused ({}, rate)", full.status);
        shared.metrics.refused("-", "rate");
        return plain(
            StatusCode::from_u16(full.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
            full.reason,
        );
    }
    let query = query_pairs(req.uri().query());
    let verdict = judge(cfg, &query);
    let wants_upgrade = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    // Pages of other origins are kept out once origins are listed; with none listed, any page
    // may connect (the targets and the database's own login still apply).
    let origin_refused = match cfg.allowed_origins.is_empty() {
        true => None,
        false => http::origin_refusal(cfg, req.headers()),
    };
    let target = match (verdict, origin_refused) {
        (Verdict::Refused(status, msg), _) => {
            crate::log!("refused", peer = peer, status = status.as_u16(), reason = "target"; "{peer} refused ({})", status.as_u16());
            shared.metrics.refused("-", "target");
            return plain(status, msg);
        }
        (_, Some(msg)) => {
            crate::log!("refused", peer = peer, status = 403, reason = "origin"; "{peer} refused (403, origin)");
            shared.metrics.refused("-", "origin");
            return plain(StatusCode::FORBIDDEN, msg);
        }
        (Verdict::Allowed(t), None) => t,
    };
    let protocols = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok());
    let query_token = query
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str());
    let token = token::from_request(protocols, query_token);
    if let Some((status, why)) = token_refusal(&shared, token.as_deref(), &target, peer) {
        return plain(status, why);
    }
    if *shared.draining.borrow() {
        shared.metrics.refused(&target.name, "draining");
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "relay refused the connection: it is shutting down".into(),
        );
    }
    if !wants_upgrade {
        return plain(
            StatusCode::UPGRADE_REQUIRED,
            "target allowed; connect with a WebSocket".into(),
        );
    }
    // The subprotocol that carried a token is the one the client offered: answer with it.
    let chosen = token
        .filter(|_| protocols.is_some_and(|p| p.contains(token::SUBPROTOCOL_PREFIX)))
        .map(|t| format!("{}{t}", token::SUBPROTOCOL_PREFIX));
    // A place among the connections the limits allow, held until this one ends.
    let slot = match shared.gate.enter(&cfg.limits, peer.ip(), &target.name) {
        Ok(slot) => slot,
        Err(full) => {
            crate::log!("refused", peer = peer, target = &target.name, status = full.status, reason = "limit";
                "{peer} refused ({}, limit)", full.status);
            shared.metrics.refused(&target.name, "limit");
            return plain(
                StatusCode::from_u16(full.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                full.reason,
            );
        }
    };
    let max_message_size = cfg.max_message_size;
    let (mut parts, _) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.protocols(["binary".to_string()].into_iter().chain(chosen))
        .max_message_size(max_message_size)
        // Small reads of what clients send (queries, mostly): memory per connection stays low.
        .read_buffer_size(16 * 1024)
        .on_upgrade(move |socket| relay(socket, target, shared, peer, slot))
}

async fn relay(
    mut socket: WebSocket,
    target: Target,
    shared: Arc<Shared>,
    peer: SocketAddr,
    _slot: limits::Slot,
) {
    let cfg = &shared.cfg;
    let started = std::time::Instant::now();
    let connected = tokio::time::timeout(cfg.connect_timeout, open_backend(&target, &shared)).await;
    let backend = match connected {
        Ok(Ok(backend)) => backend,
        Ok(Err(failure)) => {
            shared.metrics.refused(&target.name, failure.reason);
            let name = &target.name;
            crate::log!("connect_failed", peer = peer, target = name, reason = &failure.detail;
                "{peer} -> {name} could not connect: {}", failure.detail);
            let why = format!("could not connect to target {name}: {}", failure.told);
            return close_with(&mut socket, CLOSE_INTERNAL_ERROR, &why).await;
        }
        Err(_) => {
            shared.metrics.refused(&target.name, "connect");
            let name = &target.name;
            crate::log!("connect_failed", peer = peer, target = name, reason = "timed out";
                "{peer} -> {name} could not connect: timed out");
            let why = format!("could not connect to target {name}: timed out");
            return close_with(&mut socket, CLOSE_INTERNAL_ERROR, &why).await;
        }
    };
    shared.metrics.opened(&target.name, started.elapsed());
    crate::log!("opened", peer = peer, target = &target.name; "{peer} -> {} opened", target.name);
    match backend {
        Backend::Plain(tcp) => {
            let (rx, tx) = tcp.into_split();
            pipe(socket, rx, tx, &target, &shared, peer).await
        }
        Backend::Tls(tls) => {
            let (rx, tx) = tokio::io::split(*tls);
            pipe(socket, rx, tx, &target, &shared, peer).await
        }
    }
}

/// A connection to a target, encrypted when the target says so.
enum Backend {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Why a backend connection could not be made.
struct ConnectFailure {
    /// The metric's reason: connect or tls.
    reason: &'static str,
    /// What the client is told (no certificate names: they are the operator's business).
    told: String,
    /// What the log says.
    detail: String,
}

/// Connects to the target (and shakes hands, for TLS).
async fn open_backend(target: &Target, shared: &Shared) -> Result<Backend, ConnectFailure> {
    let tcp = TcpStream::connect(&target.addr)
        .await
        .map_err(|e| ConnectFailure {
            reason: "connect",
            told: e.to_string(),
            detail: e.to_string(),
        })?;
    let _ = tcp.set_nodelay(true);
    let Some(tls) = &target.tls else {
        return Ok(Backend::Plain(tcp));
    };
    match tls.wrap(tcp).await {
        Ok(stream) => Ok(Backend::Tls(Box::new(stream))),
        Err(failed) => {
            shared.metrics.tls_failed(Some(&target.name));
            Err(ConnectFailure {
                reason: "tls",
                told: failed.told,
                detail: failed.detail,
            })
        }
    }
}

/// Carries bytes both ways between the WebSocket and the backend until one side ends or an
/// operator's bound is reached, then closes the WebSocket with the reason.
async fn pipe<R, W>(
    socket: WebSocket,
    mut tcp_rx: R,
    mut tcp_tx: W,
    target: &Target,
    shared: &Shared,
    peer: SocketAddr,
) where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let cfg = &shared.cfg;
    let (mut ws_tx, mut ws_rx) = socket.split();
    let (mut up, mut down) = (0u64, 0u64);
    // When bytes last went either way (milliseconds since `base`), for the idle timeout.
    let base = tokio::time::Instant::now();
    let last = std::sync::atomic::AtomicU64::new(0);
    let touch = || last.store(base.elapsed().as_millis() as u64, Ordering::Relaxed);

    // Each direction awaits its writes before reading more: backpressure both ways.
    let client_to_backend = async {
        while let Some(msg) = ws_rx.next().await {
            match msg {
                Ok(Message::Binary(b)) => {
                    up += b.len() as u64;
                    touch();
                    // flush: TLS may keep the end of a write in its own buffer (a no-op for TCP).
                    if tcp_tx.write_all(&b).await.is_err() || tcp_tx.flush().await.is_err() {
                        return (CLOSE_INTERNAL_ERROR, "backend write failed");
                    }
                }
                Ok(Message::Text(_)) => {
                    return (CLOSE_UNSUPPORTED_DATA, "Text frames are not supported")
                }
                Ok(Message::Close(_)) | Err(_) => return (CLOSE_NORMAL, "client closed"),
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
            }
        }
        (CLOSE_NORMAL, "client closed")
    };
    // Bytes are handed to the WebSocket without a copy (each read is frozen into its frame),
    // and what is already waiting is framed too before one flush, not a flush per frame.
    let backend_to_client = async {
        let mut buf = BytesMut::new();
        loop {
            buf.reserve(READ_CHUNK);
            match tcp_rx.read_buf(&mut buf).await {
                Ok(0) => return (CLOSE_NORMAL, "backend closed the connection"),
                Ok(n) => {
                    down += n as u64;
                    touch();
                }
                Err(e) => return read_failed(&e),
            }
            let mut ended = None;
            if ws_tx
                .feed(Message::Binary(buf.split().freeze()))
                .await
                .is_err()
            {
                return (CLOSE_NORMAL, "client gone");
            }
            loop {
                buf.reserve(READ_CHUNK);
                // What is already there, without waiting (read_buf is cancel-safe).
                match tcp_rx
                    .read_buf(&mut buf)
                    .now_or_never()
                    .unwrap_or(Err(std::io::ErrorKind::WouldBlock.into()))
                {
                    Ok(0) => ended = Some((CLOSE_NORMAL, "backend closed the connection")),
                    Ok(n) => {
                        down += n as u64;
                        if ws_tx
                            .feed(Message::Binary(buf.split().freeze()))
                            .await
                            .is_err()
                        {
                            return (CLOSE_NORMAL, "client gone");
                        }
                        continue;
                    }
                    // Nothing waiting (now_or_never found the read pending).
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => ended = Some(read_failed(&e)),
                }
                break;
            }
            if ws_tx.flush().await.is_err() {
                return (CLOSE_NORMAL, "client gone");
            }
            if let Some(end) = ended {
                return end;
            }
        }
    };
    // The operator's bounds: idle, lifetime, and a grace period once the relay drains.
    let idle = async {
        if cfg.idle_timeout.is_zero() {
            return std::future::pending().await;
        }
        loop {
            let until =
                base + Duration::from_millis(last.load(Ordering::Relaxed)) + cfg.idle_timeout;
            if tokio::time::Instant::now() >= until {
                return (CLOSE_GOING_AWAY, "idle timeout: no bytes either way");
            }
            tokio::time::sleep_until(until).await;
        }
    };
    let lifetime = async {
        if cfg.max_lifetime.is_zero() {
            return std::future::pending().await;
        }
        tokio::time::sleep(cfg.max_lifetime).await;
        (
            CLOSE_GOING_AWAY,
            "the relay's maximum connection lifetime was reached",
        )
    };
    let mut draining = shared.draining.clone();
    let drained = async {
        let _ = draining.wait_for(|d| *d).await;
        tokio::time::sleep(cfg.drain_grace).await;
        (CLOSE_GOING_AWAY, "the relay is shutting down")
    };
    let (code, reason) = tokio::select! {
        r = client_to_backend => r,
        r = backend_to_client => r,
        r = idle => r,
        r = lifetime => r,
        r = drained => r,
    };
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    // Bounded: a client that reads nothing more (the idle timeout's case) has a full buffer.
    let _ = tokio::time::timeout(CLOSE_WAIT, ws_tx.send(Message::Close(Some(frame)))).await;
    // Bounded too: TLS's close_notify waits for a backend that may read nothing more.
    let _ = tokio::time::timeout(CLOSE_WAIT, tcp_tx.shutdown()).await;
    if reason != "client closed" {
        await_client_close(&mut ws_rx).await;
    }
    shared.metrics.closed(&target.name, up, down);
    crate::log!("closed", peer = peer, target = &target.name, code = code, reason = reason, up = up, down = down;
        "{peer} -> {} closed ({code} {reason}; {up} bytes up, {down} down)", target.name);
}

/// The close for a failed backend read. A TLS backend that closes TCP without TLS's
/// close_notify (many do) has closed, not failed: the protocol inside frames its messages, so
/// the client still notices a message cut short.
fn read_failed(e: &std::io::Error) -> (u16, &'static str) {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => (CLOSE_NORMAL, "backend closed the connection"),
        _ => (CLOSE_INTERNAL_ERROR, "backend read failed"),
    }
}

/// A WebSocket whose backend could not be reached, closed with `reason`.
async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) {
    // A close reason is limited to 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code,
        reason: reason[..end].into(),
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, socket.send(Message::Close(Some(frame)))).await;
    await_client_close(socket).await;
}

/// Reads what the client still sends until its Close (at most 2 s). Dropping the socket with
/// unread bytes would reset the TCP connection, and a reset can discard our Close frame before
/// the client reads it: browsers would then report 1006 instead of the code and reason.
async fn await_client_close<S>(rx: &mut S)
where
    S: futures_util::Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(msg)) = rx.next().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

fn router(shared: Arc<Shared>) -> Router {
    let cfg = &shared.cfg;
    let www = cfg.www.clone();
    let forwarding = Router::new()
        .route("/v1/http/{target}", any(http::forward))
        .route("/v1/http/{target}/", any(http::forward))
        .route("/v1/http/{target}/{*path}", any(http::forward))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            cfg.max_http_body,
        ))
        .layer(axum::Extension(http::forwarder(cfg.connect_timeout)));
    let router = Router::new()
        .route("/v1/connect", get(connect))
        .route("/v1", get(connect))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .merge(forwarding)
        .with_state(shared);
    match www {
        Some(dir) => router.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => router,
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let mut r = shared.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// 200 while the relay takes connections, 503 once it drains (for a load balancer).
async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match *shared.draining.borrow() {
        true => (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response(),
        false => "ok\n".into_response(),
    }
}

/// The listener the relay serves on: TCP_NODELAY on every accepted socket, so that a small frame
/// (a query, its answer) leaves at once instead of waiting for the peer's delayed ACK (about
/// 40 ms a round trip for clients that write a message in two parts, as
/// @neondatabase/serverless does).
pub fn listener(tcp: TcpListener) -> axum::serve::TapIo<TcpListener, fn(&mut TcpStream)> {
    use axum::serve::ListenerExt;
    tcp.tap_io(no_delay)
}

fn no_delay(socket: &mut TcpStream) {
    let _ = socket.set_nodelay(true);
}

/// Serves until the future is dropped.
pub async fn serve(tcp: TcpListener, cfg: Config) -> std::io::Result<()> {
    serve_until(tcp, cfg, std::future::pending()).await
}

/// Serves until `shutdown` resolves, then drains: new connections are refused (503), open ones
/// get [`Config::drain_grace`] to finish and are then closed with 1001; returns once none is
/// left.
pub async fn serve_until(
    tcp: TcpListener,
    cfg: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (drain, draining) = tokio::sync::watch::channel(false);
    let grace = cfg.drain_grace;
    let tls = cfg.tls.clone().map(|t| (t, cfg.handshake_timeout));
    let shared = Arc::new(Shared {
        cfg,
        gate: limits::Gate::new(),
        metrics: Arc::default(),
        draining,
    });
    let gate = shared.gate.clone();
    let stop = async move {
        shutdown.await;
        let _ = drain.send(true);
        crate::log!("draining", open = gate.open(); "draining {} connection(s)", gate.open());
        // Past the grace, connections close themselves; a moment more for their Close frames.
        let deadline = tokio::time::Instant::now() + grace + Duration::from_secs(3);
        while gate.open() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // Past the grace, what still runs (a forwarded request that takes its time) is cut off.
    let mut draining = shared.draining.clone();
    let deadline = async move {
        let _ = draining.wait_for(|d| *d).await;
        tokio::time::sleep(grace + Duration::from_secs(5)).await;
    };
    let metrics = shared.metrics.clone();
    let app = router(shared).into_make_service_with_connect_info::<SocketAddr>();
    let served = async {
        match tls {
            Some((config, timeout)) => {
                use axum::serve::ListenerExt;
                let tls =
                    tls::TlsListener::new(tcp, config, timeout, metrics).tap_io(|_: &mut _| {});
                axum::serve(tls, app).with_graceful_shutdown(stop).await
            }
            None => {
                axum::serve(listener(tcp), app)
                    .with_graceful_shutdown(stop)
                    .await
            }
        }
    };
    tokio::select! {
        r = served => r,
        () = deadline => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_target_lines() {
        let mut cfg = Config::default();
        cfg.add_lines(
            "# comment\npg = 127.0.0.1:5432\n\nignite=db.internal:10800 # main\n\
             crate = http://127.0.0.1:4200\nallow-origin = https://app.example\n",
        )
        .unwrap();
        assert_eq!(
            cfg.http_targets,
            vec![("crate".into(), "127.0.0.1:4200".into())]
        );
        assert_eq!(cfg.allowed_origins, vec!["https://app.example".to_string()]);
        let targets: Vec<(&str, &str)> = cfg
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.addr.as_str()))
            .collect();
        assert_eq!(
            targets,
            vec![("pg", "127.0.0.1:5432"), ("ignite", "db.internal:10800")]
        );
        let tls = parse_target("pg = db:5432?tls=require&starttls=postgres").unwrap();
        assert_eq!(tls.addr, "db:5432");
        assert!(tls.tls.is_some());
        for bad in [
            "pg 127.0.0.1:5432",
            "pg = 127.0.0.1",
            "p g = h:1",
            "pg = h:0",
            "x = https://h:1",
            "pg = h:1?tls=sometimes",
            "pg = h:1?ca=/x.pem",
        ] {
            assert!(Config::default().add_lines(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn judges_names_and_exact_addresses_only() {
        let cfg = Config {
            targets: vec![Target::plain("pg", "127.0.0.1:5432")],
            ..Config::default()
        };
        let q = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(
            matches!(judge(&cfg, &q("target", "pg")), Verdict::Allowed(t) if t.addr == "127.0.0.1:5432")
        );
        assert!(matches!(
            judge(&cfg, &q("address", "127.0.0.1:5432")),
            Verdict::Allowed(_)
        ));
        for (k, v) in [
            ("target", "other"),
            ("address", "127.0.0.1:5433"),
            ("address", "127.0.0.1:5432 "),
            ("address", "localhost:5432"),
        ] {
            assert!(
                matches!(
                    judge(&cfg, &q(k, v)),
                    Verdict::Refused(StatusCode::FORBIDDEN, _)
                ),
                "{k}={v}"
            );
        }
        assert!(matches!(
            judge(&cfg, &[]),
            Verdict::Refused(StatusCode::BAD_REQUEST, _)
        ));
        // Ambiguous: never "the last one wins".
        for query in [
            "target=pg&target=pg",
            "target=pg&address=127.0.0.1:5432",
            "address=127.0.0.1:5432&address=127.0.0.1:5432",
        ] {
            assert!(
                matches!(
                    judge(&cfg, &query_pairs(Some(query))),
                    Verdict::Refused(StatusCode::BAD_REQUEST, _)
                ),
                "{query}"
            );
        }
    }
}

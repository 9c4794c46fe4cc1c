//! The relay over real sockets: a WebSocket client on one side, TCP servers on the other.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use webdbc_relay::{Config, Target};

mod common;

use common::start_echo;

async fn start_relay(targets: Vec<(String, String)>) -> String {
    start_relay_with(Config {
        targets: targets
            .iter()
            .map(|(name, addr)| Target::plain(name, addr))
            .collect(),
        ..Config::default()
    })
    .await
}

async fn start_relay_with(cfg: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = Config {
        connect_timeout: Duration::from_secs(2),
        ..cfg
    };
    tokio::spawn(webdbc_relay::serve(listener, cfg));
    format!("127.0.0.1:{}", addr.port())
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket through the relay that must be accepted; `query` picks the target.
async fn open(relay: &str, query: &str) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{relay}/v1/connect?{query}"))
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .0
}

async fn close_of(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> (CloseCode, String) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(Some(f)))) => return (f.code, f.reason.to_string()),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// A plain HTTP GET of `path` with extra header lines; the whole answer.
async fn plain_get(relay: &str, path: &str, headers: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(relay).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    resp
}

#[tokio::test]
async fn carries_bytes_both_ways_for_named_and_address_targets() {
    let echo = start_echo().await;
    let relay = start_relay(vec![("echo".into(), echo.clone())]).await;
    for query in ["target=echo".to_string(), format!("address={echo}")] {
        let mut ws = open(&relay, &query).await;
        ws.send(Message::Binary(b"hello, relay".to_vec().into()))
            .await
            .unwrap();
        let mut got = Vec::new();
        while got.len() < 12 {
            match ws.next().await.unwrap().unwrap() {
                Message::Binary(b) => got.extend_from_slice(&b),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(got, b"HELLO, RELAY");
    }
}

#[tokio::test]
async fn refuses_unlisted_targets_before_the_upgrade_and_says_why_to_plain_gets() {
    let echo = start_echo().await;
    let relay = start_relay(vec![("echo".into(), echo)]).await;
    for (query, status) in [
        ("target=nope", 403),
        ("address=127.0.0.1:1", 403),
        ("", 400),
    ] {
        match tokio_tungstenite::connect_async(format!("ws://{relay}/v1/connect?{query}")).await {
            Err(WsError::Http(resp)) => assert_eq!(resp.status(), status, "{query}"),
            other => panic!(
                "{query}: expected an HTTP refusal, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    // The same verdict as a plain GET, readable cross-origin.
    let resp = plain_get(&relay, "/v1/connect?address=127.0.0.1:1", "").await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "{resp}"
    );
    assert!(resp.contains("not in the relay's allow-list"), "{resp}");
}

#[tokio::test]
async fn text_frames_close_with_1003() {
    let echo = start_echo().await;
    let relay = start_relay(vec![("echo".into(), echo)]).await;
    let mut ws = open(&relay, "target=echo").await;
    ws.send(Message::Text("hi".into())).await.unwrap();
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(u16::from(code), 1003);
    assert_eq!(reason, "Text frames are not supported");
}

#[tokio::test]
async fn unreachable_backend_closes_with_1011_and_a_reason() {
    // A port that was just free: nothing listens there.
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let relay = start_relay(vec![("dead".into(), dead)]).await;
    let mut ws = open(&relay, "target=dead").await;
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(u16::from(code), 1011);
    assert!(
        reason.starts_with("could not connect to target dead"),
        "{reason}"
    );
}

#[tokio::test]
async fn backend_close_is_passed_on_after_its_last_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(b"last words").await.unwrap();
    });
    let relay = start_relay(vec![("bye".into(), addr)]).await;
    let mut ws = open(&relay, "target=bye").await;
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Binary(b"last words".to_vec().into())
    );
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (u16::from(code), reason.as_str()),
        (1000, "backend closed the connection")
    );
}

#[tokio::test]
async fn listed_origins_keep_other_pages_off_websockets_but_not_scripts() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let echo = start_echo().await;
    let relay = start_relay_with(Config {
        targets: vec![Target::plain("echo", &echo)],
        allowed_origins: vec!["http://app.example".into()],
        ..Config::default()
    })
    .await;
    let url = format!("ws://{relay}/v1/connect?target=echo");
    let with_origin = |origin: Option<&str>| {
        let mut req = url.as_str().into_client_request().unwrap();
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().unwrap());
        }
        req
    };
    match tokio_tungstenite::connect_async(with_origin(Some("http://evil.example"))).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    for allowed in [Some("http://app.example"), None] {
        let (mut ws, _) = tokio_tungstenite::connect_async(with_origin(allowed))
            .await
            .unwrap_or_else(|e| panic!("{allowed:?}: {e}"));
        ws.send(Message::Binary(b"ok".to_vec().into()))
            .await
            .unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::Binary(b"OK".to_vec().into())
        );
    }
    // The plain GET a refused page makes to learn why says so.
    let resp = plain_get(
        &relay,
        "/v1/connect?target=echo",
        "Origin: http://evil.example\r\n",
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(
        resp.contains("relay refused origin \"http://evil.example\""),
        "{resp}"
    );
}

/// Without TCP_NODELAY on the sockets it accepts, a client that writes a message in two parts
/// waits for the relay's delayed ACK on every round trip (neon's driver: ~40 ms a query).
#[tokio::test]
async fn accepted_sockets_have_nagle_off() {
    use axum::serve::Listener;
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let mut listener = webdbc_relay::listener(tcp);
    let client = tokio::spawn(tokio::net::TcpStream::connect(addr));
    let (accepted, _) = listener.accept().await;
    assert!(
        accepted.nodelay().unwrap(),
        "TCP_NODELAY on the accepted socket"
    );
    client.await.unwrap().unwrap();
}

/// Bytes from the backend arrive whole and in order, however the relay frames them.
#[tokio::test]
async fn a_large_stream_arrives_intact() {
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_addr = backend.local_addr().unwrap().to_string();
    const SIZE: usize = 8 << 20;
    tokio::spawn(async move {
        let (mut s, _) = backend.accept().await.unwrap();
        let data: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
        for part in data.chunks(5000) {
            s.write_all(part).await.unwrap();
        }
    });
    let relay = start_relay(vec![("b".into(), backend_addr)]).await;
    let mut ws = open(&relay, "target=b").await;
    let mut got = Vec::with_capacity(SIZE);
    while got.len() < SIZE {
        match ws.next().await.unwrap().unwrap() {
            Message::Binary(b) => got.extend_from_slice(&b),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, b)| *b == (i * 7 % 251) as u8));
    assert_eq!(close_of(&mut ws).await.0, CloseCode::Normal);
}

/// A backend that accepts and then says nothing; it reports when its side was closed.
async fn start_silent() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                let _ = tx.send(());
            });
        }
    });
    (addr, rx)
}

async fn refused_with(relay: &str, query: &str) -> u16 {
    match tokio_tungstenite::connect_async(format!("ws://{relay}/v1/connect?{query}")).await {
        Err(WsError::Http(resp)) => resp.status().as_u16(),
        other => panic!("{query}: expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn silent_connections_are_closed_at_the_idle_timeout_and_the_backend_freed() {
    let (silent, mut closed) = start_silent().await;
    let relay = start_relay_with(Config {
        targets: vec![Target::plain("s", &silent)],
        idle_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let mut ws = open(&relay, "target=s").await;
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (u16::from(code), reason.as_str()),
        (1001, "idle timeout: no bytes either way")
    );
    tokio::time::timeout(Duration::from_secs(5), closed.recv())
        .await
        .expect("the backend's connection was closed");
}

#[tokio::test]
async fn connections_end_at_the_maximum_lifetime() {
    let echo = start_echo().await;
    let relay = start_relay_with(Config {
        targets: vec![Target::plain("echo", &echo)],
        max_lifetime: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let mut ws = open(&relay, "target=echo").await;
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(u16::from(code), 1001);
    assert!(reason.contains("maximum connection lifetime"), "{reason}");
}

#[tokio::test]
async fn a_client_that_vanishes_frees_the_backend() {
    let (silent, mut closed) = start_silent().await;
    let relay = start_relay(vec![("s".into(), silent)]).await;
    let ws = open(&relay, "target=s").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(ws); // no Close frame: the TCP connection just goes away
    tokio::time::timeout(Duration::from_secs(5), closed.recv())
        .await
        .expect("the backend's connection was closed");
}

#[tokio::test]
async fn connection_limits_refuse_before_the_upgrade() {
    let echo = start_echo().await;
    let relay = start_relay_with(Config {
        targets: vec![Target::plain("echo", &echo), Target::plain("other", &echo)],
        limits: webdbc_relay::limits::Limits {
            max_connections: 3,
            max_connections_per_ip: 2,
            max_connections_per_target: 10,
            attempts_per_ip_per_second: 1000,
        },
        ..Config::default()
    })
    .await;
    let a = open(&relay, "target=echo").await;
    let b = open(&relay, "target=echo").await;
    assert_eq!(
        refused_with(&relay, "target=other").await,
        429,
        "per address"
    );
    drop((a, b));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _c = open(&relay, "target=echo").await; // places were given back
}

#[tokio::test]
async fn attempts_beyond_the_rate_are_429() {
    let echo = start_echo().await;
    let relay = start_relay_with(Config {
        targets: vec![Target::plain("echo", &echo)],
        limits: webdbc_relay::limits::Limits {
            attempts_per_ip_per_second: 5,
            ..Default::default()
        },
        ..Config::default()
    })
    .await;
    // 20 attempts span at most two seconds of the relay's clock: at most 10 pass.
    let mut refused = 0;
    for _ in 0..20 {
        let resp = plain_get(&relay, "/v1/connect?target=echo", "").await;
        refused += usize::from(resp.starts_with("HTTP/1.1 429"));
    }
    assert!(refused >= 10, "{refused} of 20 refused");
}

#[tokio::test]
async fn metrics_and_health_are_served() {
    let echo = start_echo().await;
    let relay = start_relay(vec![("echo".into(), echo)]).await;
    let mut ws = open(&relay, "target=echo").await;
    ws.send(Message::Binary(b"abc".to_vec().into()))
        .await
        .unwrap();
    let _ = ws.next().await;
    ws.close(None).await.unwrap();
    let _ = refused_with(&relay, "target=nope").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metrics = plain_get(&relay, "/metrics", "").await;
    for line in [
        "webdbc_relay_connections_opened_total{target=\"echo\"} 1",
        "webdbc_relay_connections_active{target=\"echo\"} 0",
        "webdbc_relay_bytes_up_total{target=\"echo\"} 3",
        "webdbc_relay_bytes_down_total{target=\"echo\"} 3",
        "webdbc_relay_connections_refused_total{target=\"-\",reason=\"target\"} 1",
        "webdbc_relay_backend_connect_seconds_count{target=\"echo\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(plain_get(&relay, "/healthz", "")
        .await
        .starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn forwarded_bodies_beyond_the_limit_are_413() {
    let relay = start_relay_with(Config {
        http_targets: vec![("h".into(), "127.0.0.1:9".into())],
        max_http_body: 10,
        ..Config::default()
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(&relay).await.unwrap();
    let body = "x".repeat(100);
    let request = format!(
        "POST /v1/http/h/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Webdbc-Relay: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
}

#[tokio::test]
async fn shutdown_drains_open_connections_with_1001_and_takes_no_new_ones() {
    let echo = start_echo().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let cfg = Config {
        targets: vec![Target::plain("echo", &echo)],
        drain_grace: Duration::from_millis(300),
        ..Config::default()
    };
    let serving = tokio::spawn(webdbc_relay::serve_until(listener, cfg, async {
        let _ = stopped.await;
    }));
    let mut ws = open(&relay, "target=echo").await;
    stop.send(()).unwrap();
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (u16::from(code), reason.as_str()),
        (1001, "the relay is shutting down")
    );
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve_until returned once drained")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(&relay).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_and_its_backend_freed() {
    // A backend that writes until its connection is closed.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, mut freed) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let chunk = vec![7u8; 64 * 1024];
        while s.write_all(&chunk).await.is_ok() {}
        let _ = tx.send(());
    });
    let relay = start_relay_with(Config {
        targets: vec![Target::plain("flood", &addr)],
        idle_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    // Connected, then never read: every buffer on the way fills and no byte moves.
    let _ws = open(&relay, "target=flood").await;
    tokio::time::timeout(Duration::from_secs(10), freed.recv())
        .await
        .expect("the backend's connection was closed although the client reads nothing");
}

#[tokio::test]
async fn a_backend_that_resets_closes_the_websocket_with_1011() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        // Linger 0: closing sends a reset (RST), not a FIN (and does not block the drop).
        #[allow(deprecated)]
        s.set_linger(Some(Duration::ZERO)).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(s);
    });
    let relay = start_relay(vec![("rst".into(), addr)]).await;
    let mut ws = open(&relay, "target=rst").await;
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (u16::from(code), reason.as_str()),
        (1011, "backend read failed")
    );
}

#[tokio::test]
async fn a_backend_that_half_closes_ends_the_websocket_and_is_freed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (freed, mut was_freed) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(b"done").await.unwrap();
        // The backend stops writing but would go on reading: the relay must still let go.
        s.shutdown().await.unwrap();
        let mut buf = [0u8; 64];
        while s.read(&mut buf).await.is_ok_and(|n| n > 0) {}
        let _ = freed.send(());
    });
    let relay = start_relay(vec![("half".into(), addr)]).await;
    let mut ws = open(&relay, "target=half").await;
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Binary(b"done".to_vec().into())
    );
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!(
        (u16::from(code), reason.as_str()),
        (1000, "backend closed the connection")
    );
    tokio::time::timeout(Duration::from_secs(5), was_freed.recv())
        .await
        .expect("the relay closed its side of the backend connection");
}

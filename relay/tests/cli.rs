//! The webdbc-relay binary as an operator runs it: targets from flags and a config file.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

mod common;

use common::{start, start_logging, temp};
use std::time::Duration;

/// The status line of a plain GET, and the body.
fn get(port: u16, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.lines().next().unwrap_or("").to_string();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn targets_come_from_flags_and_the_config_file_and_nothing_else() {
    let dir = std::env::temp_dir().join(format!("webdbc-relay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("targets.conf");
    std::fs::write(&config, "# demo targets\nfromfile = 127.0.0.1:6001\n").unwrap();
    let (_relay, port) = start(&[
        "--target",
        "fromflag=127.0.0.1:6002",
        "--config",
        config.to_str().unwrap(),
    ]);
    for allowed in [
        "target=fromflag",
        "target=fromfile",
        "address=127.0.0.1:6001",
        "address=127.0.0.1:6002",
    ] {
        assert!(
            get(port, &format!("/v1/connect?{allowed}"))
                .0
                .contains(" 426 "),
            "{allowed} should be allowed"
        );
    }
    for refused in [
        "target=other",
        "address=127.0.0.1:6003",
        "address=localhost:6001",
    ] {
        let (status, body) = get(port, &format!("/v1/connect?{refused}"));
        assert!(status.contains(" 403 "), "{refused}: {status}");
        assert!(body.starts_with("relay refused"), "{body}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One connection through the relay with secrets in its query string and in both directions;
/// the relay's log once it closed.
fn log_of_a_connection_with_secrets(log_format: &str) -> String {
    // A backend that answers every read with a secret of its own.
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let backend_port = backend.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in backend.incoming().flatten() {
            let mut buf = [0u8; 1024];
            if let Ok(n) = s.read(&mut buf) {
                let _ = s.write_all(&buf[..n]);
                let _ = s.write_all(b"SERVER-SECRET-789");
            }
        }
    });
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (relay, port) = start_logging(
        &[
            "--target",
            &format!("db=127.0.0.1:{backend_port}"),
            "--log-format",
            log_format,
        ],
        log.clone(),
    );
    // A hand-made WebSocket handshake and one masked binary frame carrying a password.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /v1/connect?target=db&token=QUERY-SECRET-123 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let payload = b"password=PAYLOAD-SECRET-456";
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x82, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).unwrap();
    // Read until the backend's echo and secret came back through the relay.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("SERVER-SECRET-789") {
        let n = s.read(&mut buf).expect("relay answered");
        assert!(
            n > 0,
            "relay closed early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    drop(s);
    std::thread::sleep(Duration::from_millis(300)); // let it log the close
    drop(relay);
    let log = log.lock().unwrap().clone();
    for secret in [
        "QUERY-SECRET-123",
        "PAYLOAD-SECRET-456",
        "SERVER-SECRET-789",
        "token=",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    log
}

#[test]
fn neither_query_strings_nor_payloads_reach_the_log() {
    let log = log_of_a_connection_with_secrets("text");
    assert!(
        log.contains("-> db opened"),
        "the relay logs connections: {log}"
    );
}

#[test]
fn json_log_lines_are_one_object_each_with_the_event_and_its_fields() {
    let log = log_of_a_connection_with_secrets("json");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let event = |name: &str| {
        lines
            .iter()
            .find(|l| l["event"] == name)
            .unwrap_or_else(|| panic!("no {name} event in\n{log}"))
    };
    assert_eq!(event("opened")["target"], "db");
    let closed = event("closed");
    assert_eq!(closed["target"], "db");
    assert_eq!(closed["up"], 27, "the payload's bytes: {closed}");
    assert!(closed["down"].as_u64().unwrap() >= 27 + 17, "{closed}");
    assert!(closed["ts"].as_f64().unwrap() > 1.7e9, "{closed}");
    assert!(closed["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
}

#[test]
fn with_no_targets_everything_is_refused() {
    let (_relay, port) = start(&[]);
    assert!(get(port, "/v1/connect?address=127.0.0.1:5432")
        .0
        .contains(" 403 "));
}

#[test]
fn a_bad_config_file_stops_it_with_the_line_number() {
    let config = std::env::temp_dir().join(format!("webdbc-relay-bad-{}.conf", std::process::id()));
    std::fs::write(&config, "ok = 127.0.0.1:1\nbroken line\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    std::fs::remove_file(&config).unwrap();
}

#[test]
fn a_target_whose_tls_settings_do_not_hold_stops_it_naming_the_target() {
    for (target, says) in [
        (
            "pg=127.0.0.1:5432?tls=verify-full&ca=/no/such/ca.pem",
            "target pg: /no/such/ca.pem",
        ),
        (
            "pg=127.0.0.1:5432?tls=sometimes",
            "target pg: tls=\"sometimes\"",
        ),
        ("pg=127.0.0.1:5432?starttls=postgres", "need tls=require"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
            .args(["--listen", "127.0.0.1:0", "--target", target])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{target}: {err}");
    }
}

/// Sends a raw HTTP/1.1 request and returns the whole response.
fn raw(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp
}

#[test]
fn http_forwarding_is_deny_by_default_passes_authorization_and_logs_no_secrets() {
    // An upstream that echoes the request it got, as its body.
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let up_port = upstream.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in upstream.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let seen = String::from_utf8_lossy(&buf[..n]).to_string();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAccess-Control-Allow-Origin: https://evil.example\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{seen}",
                seen.len()
            );
        }
    });
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (relay, port) = start_logging(
        &[
            "--http-target",
            &format!("db=http://127.0.0.1:{up_port}"),
            "--allow-origin",
            "https://app.example",
        ],
        log.clone(),
    );
    let request = |path: &str, origin: Option<&str>| {
        let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
        raw(
            port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{origin}Authorization: Bearer AUTH-SECRET-1\r\n\
                 X-Webdbc-Relay: 1\r\nContent-Length: 20\r\nConnection: close\r\n\r\nBODY-SECRET-2-------"
            ),
        )
    };
    // By name and by exact address; the path and query go through, Authorization too.
    for target in ["db".to_string(), format!("127.0.0.1:{up_port}")] {
        let resp = request(
            &format!("/v1/http/{target}/_sql?types=true&token=QUERY-SECRET-3"),
            Some("https://app.example"),
        );
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.contains("POST /_sql?types=true&token=QUERY-SECRET-3 HTTP/1.1"),
            "{resp}"
        );
        assert!(
            resp.contains("authorization: Bearer AUTH-SECRET-1"),
            "{resp}"
        );
        assert!(
            !resp.to_ascii_lowercase().contains("\r\norigin:"),
            "Origin is not forwarded"
        );
        let lower = resp.to_ascii_lowercase();
        assert!(
            lower.contains("access-control-allow-origin: https://app.example"),
            "{resp}"
        );
        assert!(
            !lower.contains("evil.example"),
            "the upstream's CORS headers are replaced"
        );
    }
    // Scripts (no Origin) may use it; pages from other origins and other targets may not.
    assert!(request("/v1/http/db/", None).starts_with("HTTP/1.1 200"));
    let resp = request("/v1/http/db/_sql", Some("https://other.example"));
    assert!(
        resp.starts_with("HTTP/1.1 403") && resp.contains("relay refused origin"),
        "{resp}"
    );
    let resp = request("/v1/http/127.0.0.1:1/_sql", Some("https://app.example"));
    assert!(
        resp.starts_with("HTTP/1.1 403") && resp.contains("relay refused HTTP target"),
        "{resp}"
    );
    // The path goes through as it was sent, still percent-encoded.
    let resp = request("/v1/http/db/a%2Fb%3Fc/%2E%2E", None);
    assert!(resp.contains("POST /a%2Fb%3Fc/%2E%2E HTTP/1.1"), "{resp}");
    // No X-Webdbc-Relay header (a plain <img> or form from any site): refused.
    let resp = raw(
        port,
        &format!("GET /v1/http/db/exec?query=DROP HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        resp.starts_with("HTTP/1.1 403") && resp.contains("x-webdbc-relay"),
        "{resp}"
    );
    // Sent to a host name nobody configured (a DNS-rebinding page): refused.
    let resp = raw(
        port,
        "GET /v1/http/db/ HTTP/1.1\r\nHost: attacker.example\r\nX-Webdbc-Relay: 1\r\nConnection: close\r\n\r\n",
    );
    assert!(
        resp.starts_with("HTTP/1.1 403") && resp.contains("relay refused host"),
        "{resp}"
    );
    // A preflight is answered by the relay itself.
    let resp = raw(
        port,
        "OPTIONS /v1/http/db/_sql HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\nConnection: close\r\n\r\n",
    );
    assert!(resp.starts_with("HTTP/1.1 204"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("access-control-allow-headers: authorization"),
        "{resp}"
    );
    std::thread::sleep(Duration::from_millis(200));
    drop(relay);
    let log = log.lock().unwrap();
    assert!(log.contains("http POST -> db 200"), "{log}");
    for secret in ["AUTH-SECRET-1", "BODY-SECRET-2", "QUERY-SECRET-3"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// A token from the binary's own `token` command.
fn mint(key: &std::path::Path, targets: &[&str], ttl: &str) -> String {
    let mut args = vec!["token", "--key", key.to_str().unwrap(), "--ttl", ttl];
    for t in targets {
        args.extend(["--target", t]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The WebSocket handshake's status line and `Sec-WebSocket-Protocol`, offering `protocol`.
fn handshake(port: u16, path: &str, protocol: Option<&str>) -> (String, Option<String>) {
    let offer = protocol.map_or(String::new(), |p| {
        format!("Sec-WebSocket-Protocol: {p}\r\n")
    });
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
    )
    .unwrap();
    // Up to the end of the response head: an upgraded connection stays open.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let status = head.lines().next().unwrap_or("").to_string();
    let chosen = head
        .lines()
        .find_map(|l| l.strip_prefix("sec-websocket-protocol: "))
        .map(str::to_string);
    (status, chosen)
}

#[test]
fn tokens_are_required_checked_and_never_logged() {
    let key = temp("hmac.key", b"a-test-key-of-more-than-32-bytes-for-hs256\n");
    let other_key = temp("other.key", b"another-key-of-more-than-32-bytes-long!!");
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = backend.local_addr().unwrap().to_string();
    std::thread::spawn(move || for _ in backend.incoming() {});
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (relay, port) = start_logging(
        &[
            "--token-key",
            key.to_str().unwrap(),
            "--target",
            &format!("db={addr}"),
            "--target",
            "other=127.0.0.1:9",
        ],
        log.clone(),
    );
    let good = mint(&key, &["db"], "300");
    // As a subprotocol, answered with the same subprotocol.
    let offered = format!("webdbc.token.{good}");
    let (status, chosen) = handshake(port, "/v1/connect?target=db", Some(&offered));
    assert!(status.contains(" 101 "), "{status}");
    assert_eq!(chosen.as_deref(), Some(offered.as_str()));
    // As ?token=, and by the target's address.
    let (status, _) = handshake(
        port,
        &format!("/v1/connect?address={addr}&token={good}"),
        None,
    );
    assert!(status.contains(" 101 "), "{status}");
    // Refusals, each with its own status and reason, before the upgrade.
    let cases = [
        (None, " 401 ", "the relay requires a token"),
        (
            Some(mint(&key, &["db"], "0")),
            " 401 ",
            "the relay refused the token: expired 0 s ago",
        ),
        (
            Some(mint(&other_key, &["db"], "300")),
            " 401 ",
            "its signature does not verify",
        ),
        (
            Some("not.a.jwt".into()),
            " 401 ",
            "the relay refused the token",
        ),
        (
            Some(mint(&key, &["other"], "300")),
            " 403 ",
            "it does not allow target \"db\"",
        ),
    ];
    for (token, status, reason) in cases {
        let query = token
            .as_ref()
            .map_or(String::new(), |t| format!("&token={t}"));
        let (got, body) = get(port, &format!("/v1/connect?target=db{query}"));
        assert!(got.contains(status), "{reason}: {got}");
        assert!(body.contains(reason), "{body}");
        let offer = token.map(|t| format!("webdbc.token.{t}"));
        assert!(handshake(port, "/v1/connect?target=db", offer.as_deref())
            .0
            .contains(status));
    }
    // A token never names a destination the relay was not given.
    let (status, _) = get(
        port,
        &format!(
            "/v1/connect?address=127.0.0.1:5432&token={}",
            mint(&key, &["127.0.0.1:5432"], "300")
        ),
    );
    assert!(status.contains(" 403 "), "{status}");
    // Ambiguous requests are refused, not resolved by the last one.
    let (status, body) = get(
        port,
        &format!("/v1/connect?target=other&target=db&token={good}"),
    );
    assert!(
        status.contains(" 400 ") && body.contains("ambiguous"),
        "{status} {body}"
    );
    std::thread::sleep(Duration::from_millis(200));
    drop(relay);
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains("token: the relay refused the token: expired"),
        "{log}"
    );
    assert!(
        !log.contains(&good) && !log.contains("eyJ"),
        "a token in the log:\n{log}"
    );
}

#[test]
fn tokens_signed_with_a_private_key_verify_with_its_public_key() {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let private = temp("ed25519.pem", pair.serialize_pem().as_bytes());
    let public = temp("ed25519.pub.pem", pair.public_key_pem().as_bytes());
    let hmac = temp("hmac2.key", b"a-test-key-of-more-than-32-bytes-for-hs256");
    let (_relay, port) = start(&[
        "--token-public-key",
        public.to_str().unwrap(),
        "--target",
        "db=127.0.0.1:9",
    ]);
    let signed = mint(&private, &["db"], "300");
    assert!(get(port, &format!("/v1/connect?target=db&token={signed}"))
        .0
        .contains(" 426 "));
    let (status, body) = get(
        port,
        &format!(
            "/v1/connect?target=db&token={}",
            mint(&hmac, &["db"], "300")
        ),
    );
    assert!(
        status.contains(" 401 ") && body.contains("HS256"),
        "{status} {body}"
    );
}

#[test]
fn sigterm_drains_and_exits() {
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = backend.local_addr().unwrap().to_string();
    // Holds its connections open and silent.
    std::thread::spawn(move || backend.incoming().flatten().collect::<Vec<_>>());
    let (mut relay, port) = start(&["--target", &format!("db={addr}"), "--drain-grace", "1"]);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /v1/connect?target=db HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert!(head.ends_with(b"101"), "{}", String::from_utf8_lossy(&head));
    let pid = relay.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // The open connection is closed with 1001 after the grace period; then the relay exits.
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    let at = rest.iter().position(|b| *b == 0x88).expect("a Close frame");
    assert_eq!(
        &rest[at + 2..at + 4],
        &1001u16.to_be_bytes(),
        "close code 1001"
    );
    let status = relay.0.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn a_toml_config_file_holds_every_setting() {
    let key = temp("toml.key", b"a-test-key-of-more-than-32-bytes-for-hs256");
    let config = temp(
        "relay.toml",
        format!(
            "# webdbc-relay\nallow-origin = [\"https://app.example\"]\n\n[targets]\nfromfile = \"127.0.0.1:6001\"\n\n\
             [tokens]\nkey = \"{}\"\n\n[limits]\nattempts-per-ip-per-second = 1000\n",
            key.display()
        )
        .as_bytes(),
    );
    let (_relay, port) = start(&[
        "--target",
        "fromflag=127.0.0.1:6002",
        "--config",
        config.to_str().unwrap(),
    ]);
    let token = mint(&key, &["fromfile", "fromflag"], "300");
    for target in ["fromfile", "fromflag"] {
        let (status, _) = get(port, &format!("/v1/connect?target={target}&token={token}"));
        assert!(status.contains(" 426 "), "{target}: {status}");
    }
    let (status, body) = get(port, "/v1/connect?target=fromfile");
    assert!(
        status.contains(" 401 ") && body.contains("requires a token"),
        "{status} {body}"
    );
    // A misspelt setting stops it, naming the line.
    let bad = temp(
        "bad.toml",
        b"[targets]\npg = \"127.0.0.1:1\"\n[limits]\nidle-timout = 5\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
        .args(["--listen", "127.0.0.1:0", "--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 4: unknown setting \"idle-timout\""),
        "{err}"
    );
}

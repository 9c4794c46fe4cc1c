//! TLS on the listener, through the binary: a certificate the test makes, a client that trusts
//! only it.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::{start, start_echo, temp};

/// A certificate for `localhost` and its key; the certificate's DER for a client's trust.
fn certificate() -> (
    std::path::PathBuf,
    std::path::PathBuf,
    CertificateDer<'static>,
) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let cert_file = temp("cert.pem", cert.cert.pem().as_bytes());
    let key_file = temp("key.pem", cert.signing_key.serialize_pem().as_bytes());
    (cert_file, key_file, der)
}

fn trusting(der: Option<CertificateDer<'static>>) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    if let Some(der) = der {
        roots.add(der).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn serves_wss_and_https_with_its_certificate() {
    let echo = start_echo().await;
    let (cert, key, der) = certificate();
    let (_relay, port) = start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--target",
        &format!("echo={echo}"),
    ]);
    let name = ServerName::try_from("localhost").unwrap();
    // wss:// with a client that trusts only this certificate.
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let tls = trusting(Some(der.clone()))
        .connect(name.clone(), tcp)
        .await
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(
        format!("wss://localhost:{port}/v1/connect?target=echo"),
        tls,
    )
    .await
    .unwrap();
    ws.send(Message::Binary(b"over tls".to_vec().into()))
        .await
        .unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Binary(b) => assert_eq!(&b[..], b"OVER TLS"),
        other => panic!("unexpected {other:?}"),
    }
    // https:// too.
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut tls = trusting(Some(der))
        .connect(name.clone(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = String::new();
    let _ = tls.read_to_string(&mut resp).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    // A client that does not trust the certificate gets no connection.
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    assert!(trusting(None).connect(name, tcp).await.is_err());
    // Nor does a plain ws:// client.
    let plain = tokio::time::timeout(
        Duration::from_secs(15),
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/v1/connect?target=echo")),
    )
    .await
    .expect("refused, not hung");
    assert!(plain.is_err());
}

#[test]
fn a_key_that_does_not_fit_the_certificate_stops_it() {
    let (cert, _, _) = certificate();
    let (_, other_key, _) = certificate();
    let mut child = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&other_key)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It must stop by itself: were it serving, the test would otherwise wait for ever.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("do not go together"), "{err}");
}

#[tokio::test]
async fn a_tls_backend_that_reads_slowly_still_gets_the_end_of_a_large_message() {
    // A TLS backend (verify-full against its own certificate) that lets its socket fill up
    // before it reads: the last part of what the relay writes then waits in the TLS layer's
    // buffer until someone flushes it.
    const SIZE: usize = 8 << 20;
    let (cert_file, key_file, _) = certificate();
    let server = webdbc_relay::tls::server_config(&cert_file, &key_file).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut got = vec![0u8; SIZE];
        tls.read_exact(&mut got).await.unwrap();
        tls.write_all(format!("got {}", got.len()).as_bytes())
            .await
            .unwrap();
        tls.flush().await.unwrap();
    });
    let target = format!(
        "slow={backend}?tls=verify-full&ca={}&server-name=localhost",
        cert_file.display()
    );
    let (_relay, port) = start(&["--target", &target]);
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/v1/connect?target=slow"))
            .await
            .unwrap();
    ws.send(Message::Binary(vec![7u8; SIZE].into()))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("the backend got every byte and answered")
        .unwrap()
        .unwrap();
    assert_eq!(
        answer,
        Message::Binary(format!("got {SIZE}").into_bytes().into())
    );
}

//! An Apache Ignite 3 node for the thin-client SQL protocol, over SQLite, written from
//! shared/protocols/ignite3-client.md and proven by the official `pyignite_dbapi` 3.1.0
//! (tests/python/test_ignite_server.py). It shares no code with the client.
//!
//! - Magic, handshake 3.0.0 (anything else: an error handshake), basic authentication when the
//!   node is secure ([`IGNITE_USER`]), an idle timeout that closes silent connections.
//! - HEARTBEAT, TX_BEGIN/COMMIT/ROLLBACK (a transaction of its own per id), SQL_EXEC (cursors
//!   paged by the request's page size), SQL_CURSOR_NEXT_PAGE/CLOSE, SQL_EXEC_BATCH (with
//!   `sql-update-counters` on failure), SQL_EXEC_SCRIPT, OPERATION_CANCEL (interrupts `sleep()`).
//! - Column metadata with origins (schema and table as back-references after the first), rows as
//!   BinaryTuples with shrunk integers, 4-byte doubles where exact, decimals with trailing zeros
//!   stripped (negative scales), TIME in 4/5/6 bytes, empty strings as 0x80.
//! - Ignite's SQL as the tests use it: unquoted identifiers upper-cased, CREATE TABLE with
//!   Ignite types, errors in the SQL group (parse, validation, constraint, runtime, cancelled).

mod node;
mod tuple;
mod types;
mod wire;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use node::Node;
use types::Col;

use crate::sqlite;

/// The user of a secure node.
pub const IGNITE_USER: (&str, &str) = ("ignite", "ignite-secret");
const SCHEMA: &str = "public";

/// The node's state: its engine and the switch that interrupts a running statement.
fn node(secure: bool, idle_timeout_ms: u64) -> Node {
    let engine = Arc::new(Mutex::new(sqlite::Engine::<Col>::new(
        sqlite::unique_prefix("ignite"),
    )));
    let interrupt: Arc<AtomicBool> = engine.lock().unwrap().interrupter();
    Node {
        engine,
        interrupt,
        secure,
        idle: Duration::from_millis(idle_timeout_ms),
    }
}

/// Starts a node on a free loopback port. `secure`: basic authentication required;
/// `idle_timeout_ms`: silent connections are closed after it (0: never).
pub fn start_ignite_server(secure: bool, idle_timeout_ms: u64) -> u16 {
    start(node(secure, idle_timeout_ms), None)
}

/// Starts an open node that speaks TLS from the first byte (the seeds' `use_ssl=True`), with
/// the certificate and key of `files`.
pub fn start_ignite_tls_server(files: &crate::tls::TestCa) -> u16 {
    // The relay's own reading of a certificate and key (testkit depends on webdbc-relay).
    let config = webdbc_relay::tls::server_config(&files.cert, &files.key).unwrap();
    start(
        node(false, 0),
        Some(tokio_rustls::TlsAcceptor::from(config)),
    )
}

fn start(node: Node, tls: Option<tokio_rustls::TlsAcceptor>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        runtime().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                // Every connection shares the node's engine.
                let (node, tls) = (node.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => {
                            let _ = node.serve(stream).await;
                        }
                        Some(acceptor) => {
                            if let Ok(mut stream) = acceptor.accept(stream).await {
                                // Whatever TLS 1.3 queued after the handshake (session tickets)
                                // goes now: the C++ client waits to read once it is connected.
                                let _ = tokio::io::AsyncWriteExt::flush(&mut stream).await;
                                let _ = node.serve(stream).await;
                            }
                        }
                    }
                });
            }
        });
    });
    port
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A node serving one connection in memory: the client's end of the byte stream (for native
/// session tests, which need no socket). The node runs on a thread of its own.
pub fn connect_in_memory(secure: bool, idle_timeout_ms: u64) -> tokio::io::DuplexStream {
    let (client, server) = tokio::io::duplex(1 << 20);
    let node = node(secure, idle_timeout_ms);
    std::thread::spawn(move || {
        runtime().block_on(async move {
            let _ = node.serve(server).await;
        });
    });
    client
}

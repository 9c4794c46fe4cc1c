//! What the relay's integration tests share: the binary started as an operator runs it, files
//! they write, and an echo backend.
#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Relay(pub Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary and waits for its "listening" line; the rest of its log goes to `log`.
pub fn start_logging(args: &[&str], log: std::sync::Arc<std::sync::Mutex<String>>) -> (Relay, u16) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .find(|l| l.as_ref().is_ok_and(|l| l.contains("listening")))
        .expect("listening line")
        .unwrap();
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    (Relay(child), port)
}

pub fn start(args: &[&str]) -> (Relay, u16) {
    start_logging(args, Default::default())
}

/// A file of the test's, unique to the call.
pub fn temp(name: &str, contents: &[u8]) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("webdbc-relay-{}-{n}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

/// A TCP server that echoes everything, upper-cased, so the test sees the bytes went through it.
pub async fn start_echo() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n].to_ascii_uppercase()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

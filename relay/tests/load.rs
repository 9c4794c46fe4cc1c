//! Load, through the binary: 1,000 WebSockets at once with slow readers, each receiving a known
//! stream. Every byte arrives intact, the relay's memory stays bounded, and once they close its
//! open file descriptors are back where they started. Loopback only, bounded in count and time.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const CONNECTIONS: usize = 1000;
const STREAM: usize = 96 * 1024;

fn byte(i: usize) -> u8 {
    (i.wrapping_mul(31) % 251) as u8
}

/// FNV-1a over a stream, so a byte out of place changes the sum.
fn fnv(bytes: impl IntoIterator<Item = u8>, mut h: u64) -> u64 {
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    h
}

fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_readers_get_every_byte_in_bounded_memory() {
    // The source: each connection gets the same known stream, then the end.
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_addr = backend.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let data: Vec<u8> = (0..STREAM).map(byte).collect();
        while let Ok((mut s, _)) = backend.accept().await {
            let data = data.clone();
            tokio::spawn(async move {
                for part in data.chunks(8 * 1024) {
                    if s.write_all(part).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut relay = Command::new(env!("CARGO_BIN_EXE_webdbc-relay"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--target",
            &format!("src={backend_addr}"),
        ])
        .args([
            "--max-connections-per-ip",
            "5000",
            "--attempts-per-ip-per-second",
            "100000",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = relay.id();
    let mut lines = BufReader::new(relay.stderr.take().unwrap()).lines();
    lines
        .find(|l| l.as_ref().is_ok_and(|l| l.contains("listening")))
        .unwrap()
        .unwrap();
    std::thread::spawn(move || for _ in lines {});
    let baseline_fds = open_fds(pid);
    let expected = fnv((0..STREAM).map(byte), 0xcbf29ce484222325);

    let url = format!("ws://127.0.0.1:{port}/v1/connect?target=src");
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(
                    proc_status(pid, "VmRSS:"),
                    std::sync::atomic::Ordering::Relaxed,
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let clients = (0..CONNECTIONS).map(|i| {
        let url = url.clone();
        tokio::spawn(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
            let (mut h, mut n) = (0xcbf29ce484222325u64, 0usize);
            while let Some(msg) = ws.next().await {
                match msg.unwrap() {
                    Message::Binary(b) => {
                        n += b.len();
                        h = fnv(b.iter().copied(), h);
                        // A slow reader: the relay must hold back, not buffer without bound.
                        tokio::time::sleep(Duration::from_millis(1 + (i % 5) as u64)).await;
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            (n, h)
        })
    });
    let results = tokio::time::timeout(
        Duration::from_secs(120),
        futures_util::future::join_all(clients),
    )
    .await
    .expect("every client done within 2 minutes");
    sampler.abort();
    for r in results {
        let (n, h) = r.unwrap();
        assert_eq!(
            (n, h),
            (STREAM, expected),
            "a stream arrived whole and in order"
        );
    }
    let peak_mib = peak.load(std::sync::atomic::Ordering::Relaxed) / 1024;
    println!("relay peak RSS with {CONNECTIONS} connections: {peak_mib} MiB");
    assert!(peak_mib < 192, "relay peak RSS {peak_mib} MiB");
    // Every connection's sockets are given back.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while open_fds(pid) > baseline_fds && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        open_fds(pid),
        baseline_fds,
        "open file descriptors back to the baseline"
    );
    let _ = relay.kill();
    let _ = relay.wait();
}

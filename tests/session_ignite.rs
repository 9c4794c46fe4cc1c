//! The Ignite session natively, against the test node in the same process over an in-memory
//! stream: paging through cursors, an error after rows, transactions, cancel, heartbeats and
//! close.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::{Duration, Instant};

use support::stream::{Memory, Sender};
use support::{drain, ints};
use tokio::io::DuplexStream;
use webdbc::core::{Backend, ErrorKind, Origin, Params, Value};
use webdbc::protocols::ignite::{IgniteConfig, IgniteSession};
use webdbc_testkit::ignite::connect_in_memory;

async fn connect(
    page_size: i32,
    autocommit: bool,
) -> (IgniteSession<Memory>, Sender<DuplexStream>) {
    let (transport, sender) = Memory::new(connect_in_memory(false, 0));
    let cfg = IgniteConfig {
        page_size,
        autocommit,
        ..IgniteConfig::from_url("ignite://127.0.0.1:10800").unwrap()
    };
    (
        IgniteSession::connect(transport, &cfg).await.unwrap(),
        sender,
    )
}

async fn run(s: &mut IgniteSession<Memory>, sql: &str) {
    let out = s.execute(sql, Params::none()).await.unwrap();
    assert!(!out.more, "{sql}");
}

async fn table(s: &mut IgniteSession<Memory>, name: &str, rows: i64) {
    run(
        s,
        &format!("CREATE TABLE {name} (id INT PRIMARY KEY, v INT)"),
    )
    .await;
    let sets = (0..rows)
        .map(|i| Params::Positional(vec![Value::Int(i), Value::Int(10 - i)]))
        .collect();
    let n = s
        .execute_many(&format!("INSERT INTO {name} VALUES (?, ?)"), sets)
        .await
        .unwrap();
    assert_eq!(n, rows);
}

#[tokio::test]
async fn results_are_paged_through_cursors() {
    let (mut s, _) = connect(2, true).await;
    table(&mut s, "Paged", 5).await;
    let first = s
        .execute("SELECT id FROM Paged ORDER BY id", Params::none())
        .await
        .unwrap();
    assert_eq!(
        (ints(&first.rows), first.more, first.rowcount),
        (vec![0, 1], true, -1)
    );
    assert!(first.columns.unwrap()[0].logical == webdbc::core::LogicalType::Int);
    let (rows, rowcount) = drain(&mut s, first.rows).await.unwrap();
    assert_eq!((ints(&rows), rowcount), (vec![0, 1, 2, 3, 4], 5));
    // A result left with pages is closed on the node by the next statement.
    let open = s
        .execute("SELECT id FROM Paged", Params::none())
        .await
        .unwrap();
    assert!(open.more);
    let again = s
        .execute("SELECT count(*) FROM Paged", Params::none())
        .await
        .unwrap();
    assert_eq!(ints(&again.rows), vec![5]);
}

/// An Ignite request frame: length, op, request id, then the payload's integers.
fn frame(op: i64, id: i64, payload: &[i64]) -> Vec<u8> {
    let mut body = Vec::new();
    for v in [op, id].iter().chain(payload) {
        rmp::encode::write_sint(&mut body, *v).unwrap();
    }
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

#[tokio::test]
async fn an_error_after_rows_comes_after_them() {
    let (mut s, sender) = connect(2, true).await;
    table(&mut s, "Failing", 5).await;
    let first = s
        .execute("SELECT id FROM Failing ORDER BY id", Params::none())
        .await
        .unwrap();
    assert_eq!(ints(&first.rows), vec![0, 1]);
    // The node loses the cursor (resource 1, the connection's first) between two pages.
    sender.send(&frame(52, 1_000_000, &[1])).await;
    let e = drain(&mut s, first.rows).await.unwrap_err();
    assert_eq!(e.origin, Origin::Server, "{e}");
    assert!(
        e.message.contains("Failed to find resource with id: 1"),
        "{e}"
    );
    let ok = s.execute("SELECT 1", Params::none()).await.unwrap();
    assert_eq!(ints(&ok.rows), vec![1], "the session goes on");
}

#[tokio::test]
async fn transactions_commit_and_roll_back() {
    let (mut s, _) = connect(100, true).await;
    table(&mut s, "Tx", 0).await;
    s.set_autocommit(false).unwrap();
    run(&mut s, "INSERT INTO Tx VALUES (1, 1)").await;
    s.rollback().await.unwrap();
    run(&mut s, "INSERT INTO Tx VALUES (2, 2)").await;
    s.commit().await.unwrap();
    let out = s
        .execute("SELECT id FROM Tx", Params::none())
        .await
        .unwrap();
    assert_eq!(ints(&out.rows), vec![2]);
    s.commit().await.unwrap();
    let e = s.set_autocommit(true);
    assert!(e.is_ok(), "no transaction open after commit");
}

#[tokio::test]
async fn the_cancel_token_interrupts_the_running_statement() {
    let (mut s, sender) = connect(100, true).await;
    let token = s.cancel_token();
    assert!(token.frame().is_none(), "nothing runs");
    let started = Instant::now();
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sender.send(&token.frame().expect("a statement runs")).await;
    };
    let (result, ()) = tokio::join!(s.execute("SELECT sleep(5000)", Params::none()), cancel);
    let e = result.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Operational, Some("IGN-SQL-6")),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cancelled early"
    );
    let ok = s.execute("SELECT 2", Params::none()).await.unwrap();
    assert_eq!(ints(&ok.rows), vec![2], "usable after cancel");
}

#[tokio::test]
async fn heartbeats_follow_the_nodes_idle_timeout_and_close_ends_the_session() {
    let (transport, _) = Memory::new(connect_in_memory(false, 3000));
    let cfg = IgniteConfig::from_url("ignite://h").unwrap();
    let mut s = IgniteSession::connect(transport, &cfg).await.unwrap();
    assert_eq!(s.keep_alive_interval_ms(), Some(1000));
    s.keep_alive().await.unwrap();
    s.close().await;
    let e = s.execute("SELECT 1", Params::none()).await.unwrap_err();
    assert_eq!(e.origin, Origin::Network);
    let (mut quiet, _) = connect(1, true).await;
    assert_eq!(
        quiet.keep_alive_interval_ms(),
        None,
        "a node without an idle timeout"
    );
    quiet.keep_alive().await.unwrap();
}

//! Recorded exchanges replayed cut at every byte offset, and with the byte at every offset
//! inverted: each run ends in an error or in the rows of the whole exchange (a byte the client
//! does not need, such as the key it keeps for cancels), never in a hang. A cut never yields
//! other rows. An inverted byte may say other rows, within limits no protocol can check: a
//! binary value's own byte is another value, a column's declared type another type. So a
//! corrupted run's rows must be the exchange's rows, or differ from them in one column only:
//! never a row dropped, added, merged or shifted.
//! PostgreSQL is recorded live (under webdbc-testenv, as the cleartext user, whose login has
//! no random nonce), Ignite from the test node, the HTTP backends from replies in the shapes
//! their servers send.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::future::Future;
use std::time::Duration;

use serde_json::json;
use support::drain;
use support::replay::{Recorder, Replay, ReplayHttp};
use support::stream::{Memory, Stream};
use webdbc::core::{Backend, Params, Row, Transport, Value};
use webdbc::protocols::ignite::{IgniteConfig, IgniteSession};
use webdbc::protocols::pg::{PgConfig, PgSession};
use webdbc::protocols::{cratedb, databend, databricks, questdb};
use webdbc::Result;

/// Runs `run` on every cut and every corruption of `bytes`: each must end, in an error or in
/// the exchange's rows (see [`check_rows`]); most must be errors, or the test tested nothing.
async fn cut_and_corrupt<F, Fut>(name: &str, bytes: &[u8], expected: &[Row], run: F)
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<Vec<Row>>>,
{
    let cuts = (0..bytes.len()).map(|k| (format!("cut at {k}"), bytes[..k].to_vec()));
    let corruptions = (0..bytes.len()).map(|k| {
        let mut b = bytes.to_vec();
        b[k] ^= 0xff;
        (format!("byte {k} inverted"), b)
    });
    let mut errors = 0;
    for (what, b) in cuts.chain(corruptions) {
        match tokio::time::timeout(Duration::from_secs(5), run(b)).await {
            Err(_) => panic!("{name}, {what}: the client did not end"),
            Ok(Ok(rows)) => check_rows(&rows, expected, &format!("{name}, {what}")),
            Ok(Err(_)) => errors += 1,
        }
    }
    assert!(errors > bytes.len(), "{name}: only {errors} errors");
}

/// A server's bytes replayed in chunks of 7 bytes, so that messages arrive split.
fn replayed(bytes: Vec<u8>) -> Replay {
    Replay::new(bytes, 7)
}

/// The exchange's rows, or the same rows with differences in one column at most; a cut (whose
/// bytes are all true) must give the exchange's rows exactly.
fn check_rows(rows: &[Row], expected: &[Row], what: &str) {
    if rows == expected {
        return;
    }
    assert!(
        !what.contains(" cut at "),
        "{what}: other rows from true bytes\n{rows:?}"
    );
    let same_shape =
        rows.len() == expected.len() && rows.iter().zip(expected).all(|(a, b)| a.len() == b.len());
    assert!(
        same_shape,
        "{what}: rows dropped, added or reshaped\n{rows:?}"
    );
    let columns: std::collections::BTreeSet<usize> = rows
        .iter()
        .zip(expected)
        .flat_map(|(a, b)| (0..a.len()).filter(move |&i| a[i] != b[i]))
        .collect();
    assert!(
        columns.len() <= 1,
        "{what}: several columns changed\n{rows:?}"
    );
}

const PG_SQL: &str = "SELECT n, 'row ' || n, n * 1.5, NULL::text FROM generate_series(1, 5) n";

fn pg_config() -> PgConfig {
    let url = std::env::var("WEBDBC_TEST_PG_CLEARTEXT")
        .expect("WEBDBC_TEST_PG_CLEARTEXT is not set: run the tests under webdbc-testenv");
    let mut cfg = PgConfig::from_url(&url).unwrap();
    cfg.autocommit = Some(true);
    cfg.fetch_size = 2;
    cfg
}

async fn pg_script(t: impl Transport) -> Result<Vec<Row>> {
    let mut s = PgSession::connect(t, &pg_config()).await?;
    let first = s.execute(PG_SQL, Params::none()).await?;
    Ok(drain(&mut s, first.rows).await?.0)
}

#[tokio::test]
async fn postgres_login_and_a_paged_query() {
    let cfg = pg_config();
    let tcp = tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port))
        .await
        .unwrap();
    let recorder = Recorder::new(Stream::new(tcp).0);
    let received = recorder.received.clone();
    let rows = pg_script(recorder).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4][1], Value::Text("row 5".into()));
    let bytes = received.borrow().clone();
    cut_and_corrupt("postgres", &bytes, &rows, |b| pg_script(replayed(b))).await;
}

async fn ignite_script(t: impl Transport) -> Result<Vec<Row>> {
    let cfg = IgniteConfig {
        page_size: 2,
        ..IgniteConfig::from_url("ignite://127.0.0.1:10800").unwrap()
    };
    let mut s = IgniteSession::connect(t, &cfg).await?;
    s.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR, d DECIMAL(10, 2))",
        Params::none(),
    )
    .await?;
    let sets = (1..=5)
        .map(|i| {
            Params::Positional(vec![
                Value::Int(i),
                Value::Text(format!("row {i}")),
                Value::Decimal(format!("{i}.25")),
            ])
        })
        .collect();
    s.execute_many("INSERT INTO t VALUES (?, ?, ?)", sets)
        .await?;
    let first = s
        .execute("SELECT id, s, d FROM t ORDER BY id", Params::none())
        .await?;
    Ok(drain(&mut s, first.rows).await?.0)
}

#[tokio::test]
async fn ignite_handshake_a_batch_and_a_paged_query() {
    let (transport, _) = Memory::new(webdbc_testkit::ignite::connect_in_memory(false, 0));
    let recorder = Recorder::new(transport);
    let received = recorder.received.clone();
    let rows = ignite_script(recorder).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4][2], Value::Decimal("5.25".into()));
    let bytes = received.borrow().clone();
    cut_and_corrupt("ignite", &bytes, &rows, |b| ignite_script(replayed(b))).await;
}

/// Each reply of an HTTP exchange cut at every offset and with every byte inverted, the
/// others intact.
async fn http_cut_and_corrupt<F, Fut>(name: &str, replies: Vec<serde_json::Value>, script: F)
where
    F: Fn(ReplayHttp) -> Fut,
    Fut: Future<Output = Result<Vec<Row>>>,
{
    let bodies: Vec<Vec<u8>> = replies.iter().map(|r| r.to_string().into_bytes()).collect();
    let with = |i: usize, body: Vec<u8>| {
        let mut all: Vec<(u16, Vec<u8>)> = bodies.iter().map(|b| (200, b.clone())).collect();
        all[i].1 = body;
        ReplayHttp::new(all)
    };
    let expected = script(with(0, bodies[0].clone())).await.unwrap();
    assert!(!expected.is_empty(), "{name}: the intact exchange has rows");
    for (i, body) in bodies.iter().enumerate() {
        let what = format!("{name}, reply {i}");
        cut_and_corrupt(&what, body, &expected, |b| script(with(i, b))).await;
    }
}

async fn run_http<B: Backend>(session: Result<B>) -> Result<Vec<Row>> {
    let mut s = session?;
    let first = s
        .execute(
            "SELECT n, s FROM t WHERE n > ?",
            Params::Positional(vec![Value::Int(0)]),
        )
        .await?;
    Ok(drain(&mut s, first.rows).await?.0)
}

#[tokio::test]
async fn cratedb_replies() {
    let replies = vec![
        json!({ "version": { "number": "5.10.1" } }),
        json!({ "cols": ["n", "s"], "col_types": [10, 4], "rows": [[1, "one"], [9007199254740993i64, null], [3, "ü"]], "rowcount": 3 }),
    ];
    http_cut_and_corrupt("cratedb", replies, |http| async move {
        let cfg = cratedb::CrateConfig::from_url("crate://crate@h:4200").unwrap();
        run_http(cratedb::CrateSession::connect(http, cfg).await).await
    })
    .await;
}

#[tokio::test]
async fn databend_replies() {
    let schema =
        json!([{ "name": "n", "type": "Int64" }, { "name": "s", "type": "Nullable(String)" }]);
    let replies = vec![
        json!({ "version": "1.2.905" }),
        json!({ "id": "q1", "state": "Running", "schema": schema, "data": [["1", "one"], ["9007199254740993", null]],
                "next_uri": "/v1/query/q1/page/1", "final_uri": "/v1/query/q1/final", "kill_uri": "/v1/query/q1/kill" }),
        json!({ "id": "q1", "state": "Succeeded", "schema": schema, "data": [["3", "ü"]], "next_uri": null,
                "final_uri": "/v1/query/q1/final" }),
    ];
    http_cut_and_corrupt("databend", replies, |http| async move {
        let cfg = databend::DatabendConfig::from_url("databend://u:p@h:8000/shop?sslmode=disable")
            .unwrap();
        run_http(databend::DatabendSession::connect(http, cfg).await).await
    })
    .await;
}

#[tokio::test]
async fn questdb_replies() {
    let replies = vec![
        json!({ "query": "SELECT 1", "columns": [{ "name": "1", "type": "INT" }], "dataset": [[1]], "count": 1 }),
        json!({ "columns": [{ "name": "n", "type": "LONG" }, { "name": "s", "type": "STRING" }],
                "dataset": [[1, "one"], [9007199254740993i64, null], [3, "ü"]], "count": 3 }),
    ];
    http_cut_and_corrupt("questdb", replies, |http| async move {
        let cfg = questdb::QuestConfig::from_url("questdb://admin:quest@h:9000").unwrap();
        run_http(questdb::QuestSession::connect(http, cfg).await).await
    })
    .await;
}

#[tokio::test]
async fn databricks_replies() {
    let manifest = |n: &str| {
        json!({ "schema": { "columns": [{ "name": "n", "type_name": "LONG" }, { "name": "s", "type_name": "STRING" }] },
                "total_row_count": n })
    };
    let replies = vec![
        json!({ "statement_id": "s0", "status": { "state": "SUCCEEDED" }, "manifest": manifest("1"),
                "result": { "data_array": [["1", "x"]] } }),
        json!({ "statement_id": "s1", "status": { "state": "SUCCEEDED" }, "manifest": manifest("3"),
                "result": { "data_array": [["1", "one"], ["9007199254740993", null], ["3", "ü"]] } }),
    ];
    http_cut_and_corrupt("databricks", replies, |http| async move {
        let url = "databricks://token:dapi1@h?http_path=/sql/1.0/warehouses/w1&sslmode=disable";
        let cfg = databricks::DatabricksConfig::from_url(url).unwrap();
        run_http(databricks::DatabricksSession::connect(http, cfg).await).await
    })
    .await;
}

//! The app and webdbc's Rust API in headless Chromium (`wasm-pack test --headless --chrome`),
//! against the real PostgreSQL through webdbc-relay and the HTTP databases' test servers. Built
//! under webdbc-testenv: a page has no environment, so the servers' URLs are compiled in.
#![cfg(target_arch = "wasm32")]

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use webdbc::{connect, named_params, params, Connection, ErrorKind, Options, Origin, Value};
use webdbc_rust_app::{add, by_author, create, Book};

wasm_bindgen_test_configure!(run_in_browser);

const PG: &str = env!("WEBDBC_TEST_PG");
const RELAY: &str = env!("WEBDBC_TEST_RELAY");

fn through_relay() -> Options {
    Options {
        relay: Some(RELAY.into()),
        ..Options::default()
    }
}

async fn pg() -> Connection {
    connect(PG, through_relay())
        .await
        .expect("connect to PostgreSQL")
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout.call2(&global, &resolve, &ms.into()).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn wasm_memory_bytes() -> u32 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

#[wasm_bindgen_test]
async fn the_app_keeps_a_booklist() {
    let conn = pg().await;
    conn.cursor()
        .unwrap()
        .execute("DROP TABLE IF EXISTS booklist", params![])
        .await
        .unwrap();
    create(&conn).await.unwrap();
    let books = [
        Book {
            title: "Readings in Database Systems".into(),
            author: "Michael Stonebraker".into(),
            year: Some(2005),
        },
        Book {
            title: "Architecture of a Database System".into(),
            author: "Michael Stonebraker".into(),
            year: None,
        },
        Book {
            title: "Transaction Processing".into(),
            author: "Jim Gray".into(),
            year: Some(1992),
        },
    ];
    add(&conn, &books).await.unwrap();
    let found = by_author(&conn, "Michael Stonebraker").await.unwrap();
    assert_eq!(
        found,
        vec![
            Book {
                title: "Architecture of a Database System".into(),
                author: "Michael Stonebraker".into(),
                year: None
            },
            Book {
                title: "Readings in Database Systems".into(),
                author: "Michael Stonebraker".into(),
                year: Some(2005)
            },
        ]
    );
    conn.close().await;
}

#[wasm_bindgen_test]
async fn parameters_of_every_type_come_back_exact() {
    let conn = pg().await;
    let cur = conn.cursor().unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let naive: NaiveDateTime = date.and_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    let instant: DateTime<Utc> = naive.and_utc();
    let time = NaiveTime::from_hms_micro_opt(12, 30, 0, 5).unwrap();
    cur.execute(
        "SELECT ?::int8, ?::float8, ?::bool, ?::text, ?::bytea, ?::int8, ?::numeric, ?::date, ?::timestamp, ?::timestamptz, ?::time, ?::int4",
        params![
            i64::MAX,
            0.1f64,
            true,
            "naïve ☃",
            vec![0u8, 255, 10],
            None::<i64>,
            Value::Decimal("12345678901234567890.123456789".into()),
            date,
            naive,
            instant,
            time,
            -7i32,
        ],
    )
    .await
    .unwrap();
    let row = cur.fetch_one().await.unwrap().expect("a row");
    assert_eq!(row.try_get::<i64>(0).unwrap(), i64::MAX);
    assert_eq!(row.try_get::<f64>(1).unwrap(), 0.1);
    assert!(row.try_get::<bool>(2).unwrap());
    assert_eq!(row.try_get::<String>(3).unwrap(), "naïve ☃");
    assert_eq!(row.try_get::<Vec<u8>>(4).unwrap(), vec![0, 255, 10]);
    assert_eq!(row.try_get::<Option<i64>>(5).unwrap(), None);
    assert_eq!(
        row.try_get::<String>(6).unwrap(),
        "12345678901234567890.123456789"
    );
    assert_eq!(row.try_get::<NaiveDate>(7).unwrap(), date);
    assert_eq!(row.try_get::<NaiveDateTime>(8).unwrap(), naive);
    assert_eq!(row.try_get::<DateTime<Utc>>(9).unwrap(), instant);
    assert_eq!(row.try_get::<NaiveTime>(10).unwrap(), time);
    assert_eq!(row.try_get::<i32>(11).unwrap(), -7);
    // A cell read as a type it does not fit: a DataError naming the column, not a wrong value.
    cur.execute(
        "SELECT ?::int8 AS big, 'x'::text AS t",
        params![i64::from(i32::MAX) + 1],
    )
    .await
    .unwrap();
    let row = cur.fetch_one().await.unwrap().unwrap();
    let e = row.try_get::<i32>("big").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Data);
    assert!(
        e.message.contains("\"big\"") && e.message.contains("2147483648"),
        "{e}"
    );
    let e = row.try_get::<i64>("t").unwrap_err();
    assert!(
        e.message.contains("\"t\"") && e.message.contains("text"),
        "{e}"
    );
    assert_eq!(
        row.try_get::<i64>("nope").unwrap_err().kind,
        ErrorKind::Programming
    );
    // Named parameters.
    cur.execute(
        "SELECT :a::int8 + :b::int8",
        named_params! {"a" => 40, "b" => 2},
    )
    .await
    .unwrap();
    assert_eq!(cur.fetch_one().await.unwrap().unwrap().get::<i64>(0), 42);
    conn.close().await;
}

#[wasm_bindgen_test]
async fn a_100k_row_stream_keeps_wasm_memory_bounded() {
    let conn = pg().await;
    let cur = conn.cursor().unwrap();
    let sql = "SELECT n::int8, md5(n::text) FROM generate_series(1, 100000) AS n";
    // A first pass grows the heap to its working size; the second must not grow it further.
    cur.execute(sql, params![]).await.unwrap();
    assert_eq!(cur.rows().count().await, 100_000);
    let before = wasm_memory_bytes();
    cur.execute(sql, params![]).await.unwrap();
    let (mut count, mut sum) = (0u64, 0i64);
    let mut rows = cur.rows();
    while let Some(row) = rows.next().await {
        let row = row.unwrap();
        sum += row.get::<i64>(0);
        assert_eq!(row.get::<String>(1).len(), 32);
        count += 1;
    }
    drop(rows);
    assert_eq!(
        (count, sum, cur.rowcount()),
        (100_000, 5_000_050_000, 100_000)
    );
    let grown = wasm_memory_bytes() - before;
    assert!(
        grown < 8 << 20,
        "the wasm heap grew by {grown} bytes while streaming"
    );
    conn.close().await;
}

#[wasm_bindgen_test]
async fn a_server_error_has_its_code_and_the_connection_goes_on() {
    let conn = pg().await;
    let cur = conn.cursor().unwrap();
    let e = cur
        .execute("SELECT nope FROM pg_class", params![])
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.origin, e.code.as_deref()),
        (ErrorKind::Programming, Origin::Server, Some("42703"))
    );
    assert!(e.to_string().contains("nope"), "{e}");
    conn.rollback().await.unwrap();
    cur.execute("SELECT 1::int8", params![]).await.unwrap();
    assert_eq!(cur.fetch_all().await.unwrap()[0].get::<i64>(0), 1);
    // A wrong password: an operational error from the server, without the password.
    let bad = PG.replacen(":webdbc-secret@", ":not-the-S3CRET@", 1);
    let e = connect(&bad, through_relay())
        .await
        .err()
        .expect("a wrong password fails");
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Operational, Some("28P01"))
    );
    assert!(!e.to_string().contains("S3CRET"), "{e}");
    conn.close().await;
}

#[wasm_bindgen_test]
async fn cancel_from_another_task_and_close() {
    let conn = pg().await;
    let handle = conn.cancel_handle();
    wasm_bindgen_futures::spawn_local(async move {
        sleep(300).await;
        handle.cancel().await;
    });
    let cur = conn.cursor().unwrap();
    let e = cur
        .execute("SELECT pg_sleep(10)", params![])
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Operational, Some("57014")),
        "{e}"
    );
    conn.rollback().await.unwrap();
    cur.execute("SELECT 2::int8", params![]).await.unwrap();
    assert_eq!(
        cur.fetch_one().await.unwrap().unwrap().get::<i64>(0),
        2,
        "usable after a cancel"
    );
    conn.close().await;
    assert!(conn.is_closed());
    conn.close().await; // twice is fine
    let e = cur.execute("SELECT 1", params![]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Interface, "{e}");
}

mod readme {
    include!(concat!(env!("OUT_DIR"), "/readme_example.rs"));
}

#[wasm_bindgen_test]
async fn the_readme_example_runs() {
    let conn = pg().await;
    let cur = conn.cursor().unwrap();
    cur.execute("DROP TABLE IF EXISTS readme_books", params![])
        .await
        .unwrap();
    cur.execute(
        "CREATE TABLE readme_books (title text, author text, price numeric(10, 2))",
        params![],
    )
    .await
    .unwrap();
    let books = vec![
        params![
            "Readings in Database Systems",
            "Michael Stonebraker",
            Value::Decimal("55.00".into())
        ],
        params![
            "Transaction Processing",
            "Jim Gray",
            Value::Decimal("99.95".into())
        ],
    ];
    cur.execute_many("INSERT INTO readme_books VALUES (?, ?, ?)", books)
        .await
        .unwrap();
    conn.commit().await.unwrap();
    assert_eq!(
        readme::titles().await.unwrap(),
        vec!["Readings in Database Systems (55.00)".to_string()]
    );
    conn.close().await;
}

/// One statement with a parameter against each HTTP database's test server, through the relay
/// where the server sends no CORS headers.
#[wasm_bindgen_test]
async fn every_http_database() {
    let crate_db = connect(env!("WEBDBC_TEST_CRATE"), Options::default())
        .await
        .unwrap();
    let cur = crate_db.cursor().unwrap();
    cur.execute(
        "SELECT mountain, height FROM sys.summits WHERE height > ? ORDER BY height DESC",
        params![4700],
    )
    .await
    .unwrap();
    let top = cur.fetch_one().await.unwrap().unwrap();
    assert_eq!(top.get::<String>("mountain"), "Mont Blanc");
    crate_db.close().await;

    for (url, sql) in [
        (env!("WEBDBC_TEST_DATABEND"), "SELECT ? + 1"),
        (env!("WEBDBC_TEST_QUESTDB"), "SELECT ? + 1"),
        (env!("WEBDBC_TEST_DATABRICKS"), "SELECT ? + 1"),
    ] {
        let conn = connect(url, through_relay())
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let cur = conn.cursor().unwrap();
        cur.execute(sql, params![9_007_199_254_740_992i64])
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let row = cur.fetch_one().await.unwrap().unwrap();
        assert_eq!(
            row.get::<i64>(0),
            9_007_199_254_740_993,
            "{url}: int64 exact"
        );
        conn.close().await;
    }

    let ignite = connect(env!("WEBDBC_TEST_IGNITE"), through_relay())
        .await
        .unwrap();
    let cur = ignite.cursor().unwrap();
    cur.execute("SELECT ?", params![42i64]).await.unwrap();
    assert_eq!(cur.fetch_one().await.unwrap().unwrap().get::<i64>(0), 42);
    ignite.close().await;
}

//! The Databricks session natively, against a scripted Statement Execution API: polling,
//! chunks, external links, an error after rows, retries, cancel and timeouts.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use serde_json::json;
use support::http::{json as reply, raw, status, ScriptedHttp};
use support::{drain, ints};
use webdbc::core::{Backend, ErrorKind, Origin, Params, Value};
use webdbc::protocols::databricks::{DatabricksConfig, DatabricksSession};

const STATEMENTS: &str = "/api/2.0/sql/statements";

fn succeeded(id: &str, rows: serde_json::Value) -> serde_json::Value {
    json!({ "statement_id": id, "status": { "state": "SUCCEEDED" },
        "manifest": { "schema": { "columns": [{ "name": "n", "type_name": "LONG", "type_text": "BIGINT" }] }, "total_row_count": "3" },
        "result": rows })
}

fn connect(http: &ScriptedHttp, extra: &str) -> DatabricksSession<ScriptedHttp> {
    http.push([reply(
        "POST",
        STATEMENTS,
        succeeded("s0", json!({ "data_array": [["1"]] })),
    )]);
    let url = format!(
        "databricks://token:dapi1@h?http_path=/sql/1.0/warehouses/w1&sslmode=disable{extra}"
    );
    block_on(DatabricksSession::connect(
        http.clone(),
        DatabricksConfig::from_url(&url).unwrap(),
    ))
    .unwrap()
}

#[test]
fn a_statement_is_polled_and_its_chunks_read_one_per_fetch() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, "");
    let token = s.cancel_token();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (t, seen2) = (token.clone(), seen.clone());
    http.on_send(move |_| seen2.borrow_mut().push(t.request().map(|r| r.url)));
    http.push([
        reply("POST", STATEMENTS, json!({ "statement_id": "s1", "status": { "state": "PENDING" } })),
        reply("GET", &format!("{STATEMENTS}/s1"), json!({ "statement_id": "s1", "status": { "state": "RUNNING" } })),
        reply("GET", &format!("{STATEMENTS}/s1"), succeeded("s1", json!({ "data_array": [["1"], ["2"]], "next_chunk_internal_link": "/api/2.0/sql/statements/s1/result/chunks/1" }))),
        reply("GET", "/api/2.0/sql/statements/s1/result/chunks/1", json!({ "data_array": [["3"]] })),
    ]);
    let first = block_on(s.execute(
        "SELECT n FROM t WHERE n > :min",
        Params::Named(vec![("min".into(), Value::Int(0))]),
    ))
    .unwrap();
    assert_eq!(
        (ints(&first.rows), first.more, first.rowcount),
        (vec![1, 2], true, 3)
    );
    let (rows, rowcount) = block_on(drain(&mut s, first.rows)).unwrap();
    assert_eq!((ints(&rows), rowcount), (vec![1, 2, 3], 3));
    assert_eq!(http.paused_ms(), 400, "two polls");
    let post: serde_json::Value =
        serde_json::from_slice(http.sent()[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(post["statement"], "SELECT n FROM t WHERE n > :min");
    assert_eq!(
        post["parameters"],
        json!([{ "name": "min", "value": "0", "type": "BIGINT" }])
    );
    // While the statement ran (the polls), the token cancels it; before and after, nothing.
    let seen = seen.borrow();
    assert_eq!(seen[0], None);
    assert_eq!(
        seen[1].as_deref(),
        Some("http://h:80/api/2.0/sql/statements/s1/cancel")
    );
    assert_eq!(seen[3], None);
    assert!(token.request().is_none());
}

#[test]
fn the_next_chunk_is_asked_for_ahead_and_asked_again_when_the_server_is_busy() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, "");
    let chunk = "/api/2.0/sql/statements/s1/result/chunks/1";
    let mut busy = status(
        "GET",
        chunk,
        503,
        json!({ "error_code": "TEMPORARILY_UNAVAILABLE" }),
    );
    if let Ok(r) = &mut busy.reply {
        r.headers.push(("retry-after".into(), "1".into()));
    }
    http.push([
        reply(
            "POST",
            STATEMENTS,
            succeeded(
                "s1",
                json!({ "data_array": [["1"]], "next_chunk_internal_link": chunk }),
            ),
        ),
        busy,
        reply("GET", chunk, json!({ "data_array": [["2"]] })),
    ]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    // Sent before the first chunk was handed out: the server works on it while the caller reads.
    assert_eq!(
        http.urls().last().map(String::as_str),
        Some(format!("GET http://h:80{chunk}").as_str())
    );
    let (rows, rowcount) = block_on(drain(&mut s, first.rows)).unwrap();
    assert_eq!((ints(&rows), rowcount), (vec![1, 2], 2));
    assert_eq!(http.paused_ms(), 1000, "asked again after Retry-After");
    assert_eq!(http.left(), 0);
}

#[test]
fn external_links_are_fetched_without_the_token_and_a_failed_chunk_ends_the_result() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, "&disposition=EXTERNAL_LINKS");
    let link = |n: u32, next: Option<&str>| {
        json!({ "external_links": [{ "external_link": format!("https://storage.example/c{n}?sig=secret"),
        "http_headers": { "x-ms-blob-type": "BlockBlob", "Authorization": "not ours" }, "next_chunk_internal_link": next }] })
    };
    http.push([
        reply(
            "POST",
            STATEMENTS,
            succeeded("s1", link(0, Some("/chunks/1"))),
        ),
        reply("GET", "/c0", json!([["1"], ["2"]])),
        reply("GET", "/chunks/1", link(1, None)),
        raw(
            "GET",
            "/c1",
            403,
            "<Error><Code>AuthenticationFailed</Code><Message>sig=secret</Message></Error>",
        ),
    ]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    assert_eq!(ints(&first.rows), vec![1, 2]);
    // The next chunk's signed link would expire while the caller reads: not asked for ahead.
    assert_eq!(
        http.urls().last().map(String::as_str),
        Some("GET https://storage.example/c0?sig=secret")
    );
    let storage = &http.sent()[2];
    assert!(storage
        .headers
        .iter()
        .all(|(k, _)| !k.eq_ignore_ascii_case("authorization")));
    assert!(storage
        .headers
        .contains(&("x-ms-blob-type".into(), "BlockBlob".into())));
    let e = block_on(s.fetch()).unwrap_err();
    assert!(
        e.message.contains("AuthenticationFailed") && !e.message.contains("secret"),
        "{e}"
    );
    assert!(block_on(s.fetch()).unwrap().done, "the result ended");
}

#[test]
fn failures_busy_servers_cancels_and_dml_counts() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, "");
    http.push([reply(
        "POST",
        STATEMENTS,
        json!({ "statement_id": "s2", "status": { "state": "FAILED", "sql_state": "42P01",
        "error": { "error_code": "BAD_REQUEST", "message": "[TABLE_OR_VIEW_NOT_FOUND] x" } } }),
    )]);
    let e = block_on(s.execute("SELECT * FROM x", Params::none())).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref(), e.origin),
        (ErrorKind::Programming, Some("42P01"), Origin::Server)
    );
    let mut busy = status(
        "POST",
        STATEMENTS,
        429,
        json!({ "error_code": "TOO_MANY_REQUESTS", "message": "slow down" }),
    );
    if let Ok(r) = &mut busy.reply {
        r.headers.push(("retry-after".into(), "2".into()));
    }
    http.push([
        busy,
        reply(
            "POST",
            STATEMENTS,
            json!({ "statement_id": "s3", "status": { "state": "CANCELED" } }),
        ),
    ]);
    let e = block_on(s.execute("SELECT 1", Params::none())).unwrap_err();
    assert_eq!(
        (e.code.as_deref(), e.origin),
        (Some("57014"), Origin::Cancelled)
    );
    assert_eq!(http.paused_ms(), 2000, "retried after Retry-After");
    http.push([reply("POST", STATEMENTS, json!({ "statement_id": "s4", "status": { "state": "SUCCEEDED" },
        "manifest": { "schema": { "columns": [{ "name": "num_affected_rows", "type_name": "LONG" }, { "name": "num_inserted_rows", "type_name": "LONG" }] } },
        "result": { "data_array": [["2", "2"]] } }))]);
    let out = block_on(s.execute("INSERT INTO t VALUES (1), (2)", Params::none())).unwrap();
    assert_eq!((out.columns.is_none(), out.rowcount), (true, 2));
    assert_eq!(http.left(), 0);
}

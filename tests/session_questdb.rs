//! The QuestDB session natively, against a scripted `/exec`: windows with the count up front,
//! an error after rows, literals in place of parameters, the statement timeout and close.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use serde_json::json;
use support::http::{json as reply, status, ScriptedHttp};
use support::{drain, ints};
use webdbc::core::{Backend, ErrorKind, Origin, Params, Value};
use webdbc::protocols::questdb::{QuestConfig, QuestSession};

fn connect(http: &ScriptedHttp, fetch_size: u32) -> QuestSession<ScriptedHttp> {
    http.push([reply("GET", "/exec", json!({ "query": "SELECT 1", "columns": [{ "name": "1", "type": "INT" }], "dataset": [[1]], "count": 1 }))]);
    let mut cfg = QuestConfig::from_url("questdb://admin:quest@h:9000").unwrap();
    cfg.fetch_size = fetch_size;
    cfg.statement_timeout_ms = Some(1500);
    block_on(QuestSession::connect(http.clone(), cfg)).unwrap()
}

fn window(ns: &[i64], count: Option<u64>) -> serde_json::Value {
    let mut w = json!({ "columns": [{ "name": "n", "type": "LONG" }], "dataset": ns.iter().map(|n| json!([n])).collect::<Vec<_>>() });
    if let Some(c) = count {
        w["count"] = json!(c);
    }
    w
}

#[test]
fn windows_are_read_one_per_fetch_with_the_count_up_front() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 2);
    http.push([
        reply("GET", "/exec", window(&[1, 2], Some(5))),
        reply("GET", "/exec", window(&[3, 4], None)),
        reply("GET", "/exec", window(&[5], None)),
    ]);
    let params = Params::Positional(vec![Value::Text("it's".into())]);
    let first = block_on(s.execute("SELECT n FROM t WHERE s <> ?", params)).unwrap();
    assert_eq!(
        (ints(&first.rows), first.more, first.rowcount),
        (vec![1, 2], true, 5)
    );
    assert!(first.columns.unwrap()[0].logical.is_int64());
    let (rows, rowcount) = block_on(drain(&mut s, first.rows)).unwrap();
    assert_eq!((ints(&rows), rowcount), (vec![1, 2, 3, 4, 5], 5));
    let urls = http.urls();
    assert!(urls[1].ends_with("/exec?query=SELECT%20n%20FROM%20t%20WHERE%20s%20%3C%3E%20%27it%27%27s%27&limit=1,2&count=true"), "{}", urls[1]);
    assert!(
        urls[2].ends_with("&limit=3,4") && urls[3].ends_with("&limit=5,6"),
        "{urls:?}"
    );
    // The server stops the statement at the timeout: it is told in every request.
    let headers = &http.sent()[1].headers;
    assert!(headers.contains(&("Statement-Timeout".into(), "1500".into())));
}

#[test]
fn an_error_after_rows_comes_after_them() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 2);
    let mut failing = window(&[3], None);
    failing["error"] = json!("timeout, query aborted");
    http.push([
        reply("GET", "/exec", window(&[1, 2], Some(4))),
        reply("GET", "/exec", failing),
    ]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    let b = block_on(s.fetch()).unwrap();
    assert_eq!((ints(&b.rows), b.done), (vec![3], false));
    let e = block_on(s.fetch()).unwrap_err();
    assert_eq!(
        (e.kind, e.origin, e.message.as_str()),
        (
            ErrorKind::Operational,
            Origin::Server,
            "timeout, query aborted"
        )
    );
    assert!(
        block_on(s.fetch()).unwrap().done,
        "the result ended with its error"
    );
    drop(first);
}

#[test]
fn errors_point_into_the_callers_sql_and_close_drops_the_result() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 1);
    // QuestDB ran `SELECT 'a' FRM t` (the ? became 'a'): FRM is at offset 11 there, at
    // character 10 (1-based) of the caller's SQL.
    http.push([status(
        "GET",
        "/exec",
        400,
        json!({ "query": "SELECT 'a' FRM t", "error": "unexpected token [FRM]", "position": 11 }),
    )]);
    let e = block_on(s.execute(
        "SELECT ? FRM t",
        Params::Positional(vec![Value::Text("a".into())]),
    ))
    .unwrap_err();
    assert_eq!((e.kind, e.position), (ErrorKind::Programming, Some(10)));
    http.push([status(
        "GET",
        "/exec",
        400,
        json!({ "error": "bad", "position": u64::MAX }),
    )]);
    let e = block_on(s.execute("SELECT 1", Params::none())).unwrap_err();
    assert!(
        e.position.is_some(),
        "a position near u64::MAX is mapped, not overflowed"
    );
    http.push([reply("GET", "/exec", window(&[1], Some(3)))]);
    assert!(
        block_on(s.execute("SELECT n FROM t", Params::none()))
            .unwrap()
            .more
    );
    block_on(s.close());
    assert!(block_on(s.fetch()).unwrap().done);
    assert_eq!(http.left(), 0);
}

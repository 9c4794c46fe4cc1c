//! The Databend session natively, against a scripted HTTP server: paging by `next_uri`, the
//! session echoed back, an error after rows, kill, heartbeats and close.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use serde_json::{json, Value as Json};
use support::http::{json as reply, ScriptedHttp, Step};
use support::{drain, ints};
use webdbc::core::{Backend, ErrorKind, Origin, Params};
use webdbc::protocols::databend::{DatabendConfig, DatabendSession};

/// The query id of the session's `n`th statement (the tests' seed is 0).
fn qid(n: u64) -> String {
    format!("{:016x}{n:016x}", 0)
}

fn connect(http: &ScriptedHttp) -> DatabendSession<ScriptedHttp> {
    http.push([reply(
        "POST",
        "/v1/session/login?disable_session_token=true",
        json!({ "version": "1.2.905" }),
    )]);
    let cfg = DatabendConfig::from_url("databend://u:p@h:8000/shop?sslmode=disable").unwrap();
    block_on(DatabendSession::connect(http.clone(), cfg)).unwrap()
}

/// A page of rows of one Int64 column `n`.
fn page(id: &str, ns: &[i64], next: Option<&str>, session: Json) -> Json {
    json!({
        "id": id, "node_id": "node1", "session": session, "state": if next.is_some() { "Running" } else { "Succeeded" },
        "schema": [{ "name": "n", "type": "Nullable(Int64)" }],
        "data": ns.iter().map(|n| json!([n.to_string()])).collect::<Vec<_>>(),
        "next_uri": next, "final_uri": format!("/v1/query/{id}/final"),
        "kill_uri": format!("/v1/query/{id}/kill"), "result_timeout_secs": 8,
    })
}

/// The reply to `POST /v1/query` that starts a result of more than one page.
fn first_of_pages(id: &str, ns: &[i64]) -> Step {
    let next = format!("/v1/query/{id}/page/1");
    reply("POST", "/v1/query", page(id, ns, Some(&next), json!(null)))
}

fn body(req: &webdbc::core::http::Request) -> Json {
    serde_json::from_slice(req.body.as_deref().unwrap_or(b"null")).unwrap()
}

#[test]
fn pages_follow_next_uri_and_count_at_the_end() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http);
    let id = qid(1);
    http.push([
        reply(
            "POST",
            "/v1/query",
            page(
                &id,
                &[1, 2],
                Some(&format!("/v1/query/{id}/page/1")),
                json!({ "database": "shop" }),
            ),
        ),
        reply(
            "GET",
            &format!("/v1/query/{id}/page/1"),
            page(
                &id,
                &[],
                Some(&format!("/v1/query/{id}/page/2")),
                json!(null),
            ),
        ),
        reply(
            "GET",
            &format!("/v1/query/{id}/page/2"),
            page(&id, &[3], None, json!(null)),
        ),
    ]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    // The next page is asked for before this one is handed out, so the server works on it
    // while the caller reads.
    assert_eq!(
        http.urls().last().map(String::as_str),
        Some(format!("GET http://h:8000/v1/query/{id}/page/1").as_str())
    );
    let columns = first.columns.clone().unwrap();
    assert_eq!(
        (columns[0].name.as_str(), columns[0].type_code.as_str()),
        ("n", "Nullable(Int64)")
    );
    assert!(columns[0].logical.is_int64());
    assert_eq!((first.more, first.rowcount), (true, -1));
    let (rows, rowcount) = block_on(drain(&mut s, first.rows)).unwrap();
    assert_eq!((ints(&rows), rowcount), (vec![1, 2, 3], 3));
    // The empty page of a running query was followed after a pause, not at once.
    assert_eq!(http.paused_ms(), 100);
    assert_eq!(http.left(), 0);
}

#[test]
fn the_session_is_echoed_and_parameters_are_bound_by_the_server() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http);
    let session =
        json!({ "database": "other", "txn_state": "AutoCommit", "settings": { "x": "1" } });
    http.push([
        reply("POST", "/v1/query", json!({ "id": qid(1), "state": "Succeeded", "session": session, "schema": [], "data": [] })),
        reply("POST", "/v1/query", json!({ "id": qid(2), "state": "Succeeded", "schema": [], "data": [], "stats": { "write_progress": { "rows": 2 } } })),
    ]);
    block_on(s.execute("USE other", Params::none())).unwrap();
    let params = Params::Named(vec![("a".into(), webdbc::core::Value::Int(7))]);
    let done = block_on(s.execute("INSERT INTO t VALUES (:a), (:a)", params)).unwrap();
    assert_eq!((done.columns.is_none(), done.rowcount), (true, 2));
    let sent = http.sent();
    let second = body(&sent[2]);
    assert_eq!(second["session"], session);
    assert_eq!(second["sql"], "INSERT INTO t VALUES (:a), (:a)");
    assert_eq!(second["params"], json!({ "a": 7 }));
    let id = sent[2]
        .headers
        .iter()
        .find(|(k, _)| k == "X-DATABEND-QUERY-ID");
    assert_eq!(id.map(|(_, v)| v.as_str()), Some(qid(2).as_str()));
}

#[test]
fn an_error_after_rows_comes_after_them_and_releases_the_result() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http);
    let id = qid(1);
    http.push([
        first_of_pages(&id, &[1, 2]),
        reply("GET", &format!("/v1/query/{id}/page/1"), json!({
            "id": id, "state": "Failed", "error": { "code": 1006, "message": "division by zero", "detail": "at row 3" },
            "next_uri": null,
        })),
        reply("POST", &format!("/v1/query/{id}/final"), json!({ "id": id, "state": "Succeeded" })),
    ]);
    let first = block_on(s.execute("SELECT 1/(3-n) FROM t", Params::none())).unwrap();
    assert_eq!(ints(&first.rows), vec![1, 2]);
    let e = block_on(s.fetch()).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref(), e.origin),
        (ErrorKind::Programming, Some("1006"), Origin::Server)
    );
    assert_eq!(
        (e.message.as_str(), e.detail.as_deref()),
        ("division by zero", Some("at row 3"))
    );
    assert_eq!(http.left(), 0, "the result was released with its final_uri");
}

#[test]
fn the_cancel_token_kills_what_runs_and_nothing_else() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http);
    let token = s.cancel_token();
    assert!(token.request().is_none(), "nothing runs");
    let id = qid(1);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (t, seen2) = (token.clone(), seen.clone());
    http.on_send(move |_| seen2.borrow_mut().push(t.request().map(|r| r.url)));
    http.push([
        first_of_pages(&id, &[1]),
        reply(
            "GET",
            &format!("/v1/query/{id}/page/1"),
            json!({
                "id": id, "state": "Failed", "error": { "code": 1043, "message": "query killed" },
            }),
        ),
        reply("POST", &format!("/v1/query/{id}/final"), json!({})),
    ]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    let e = block_on(drain(&mut s, first.rows)).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Operational, Some("1043"))
    );
    let seen = seen.borrow();
    // Before the first reply the client's own query id is known; after it, the kill_uri.
    assert_eq!(
        seen[0].as_deref(),
        Some(format!("http://h:8000/v1/query/{id}/kill").as_str())
    );
    assert_eq!(
        seen[1].as_deref(),
        Some(format!("http://h:8000/v1/query/{id}/kill").as_str())
    );
    assert!(token.request().is_none(), "the query ended");
}

#[test]
fn an_unread_result_gets_heartbeats_and_close_releases_it() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http);
    assert_eq!(s.keep_alive_interval_ms(), Some(15_000));
    let id = qid(1);
    http.push([
        first_of_pages(&id, &[1]),
        reply(
            "GET",
            &format!("/v1/query/{id}/page/1"),
            page(&id, &[2], None, json!(null)),
        ),
    ]);
    block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    // The next page was asked for ahead, but the result stays unread: heartbeats, every quarter
    // of the server's result timeout (8 s).
    assert_eq!(s.keep_alive_interval_ms(), Some(2_000));
    block_on(s.keep_alive()).unwrap(); // activity seen
    block_on(s.keep_alive()).unwrap(); // one idle tick
    http.push([reply("POST", "/v1/session/heartbeat", json!({}))]);
    block_on(s.keep_alive()).unwrap(); // two: the heartbeat
    let beat = http.sent().last().cloned().unwrap();
    assert_eq!(
        beat.timeout_ms,
        Some(10_000),
        "a heartbeat has a bound of its own"
    );
    assert_eq!(body(&beat), json!({ "node_to_queries": { "node1": [id] } }));
    http.push([reply("POST", &format!("/v1/query/{id}/final"), json!({}))]);
    block_on(s.close());
    assert_eq!(http.left(), 0);
}

//! The CrateDB session natively, against a scripted HTTP server: a body handed out a batch at
//! a time, every type, bulk results, errors, a broken request and close.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use serde_json::json;
use support::http::{broken, json as reply, raw, status, ScriptedHttp};
use support::{drain, ints};
use webdbc::core::{Backend, ErrorKind, Origin, Params, Value};
use webdbc::protocols::cratedb::{CrateConfig, CrateSession};

const SQL: &str = "/_sql?types=true";

fn connect(http: &ScriptedHttp, fetch_size: u32) -> CrateSession<ScriptedHttp> {
    http.push([reply(
        "GET",
        "/",
        json!({ "version": { "number": "5.10.1" } }),
    )]);
    let mut cfg = CrateConfig::from_url("crate://crate@h:4200").unwrap();
    cfg.fetch_size = fetch_size;
    block_on(CrateSession::connect(http.clone(), cfg)).unwrap()
}

fn numbers(n: i64) -> serde_json::Value {
    json!({ "cols": ["n"], "col_types": [10], "rows": (1..=n).map(|i| json!([i])).collect::<Vec<_>>(), "rowcount": n })
}

#[test]
fn a_result_is_handed_out_a_batch_at_a_time_with_its_count_up_front() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 2);
    assert_eq!(s.server_version(), "5.10.1");
    http.push([reply("POST", SQL, numbers(5))]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    assert_eq!(
        (ints(&first.rows), first.more, first.rowcount),
        (vec![1, 2], true, 5)
    );
    let b = block_on(s.fetch()).unwrap();
    assert_eq!((ints(&b.rows), b.done), (vec![3, 4], false));
    let b = block_on(s.fetch()).unwrap();
    assert_eq!((ints(&b.rows), b.done, b.rowcount), (vec![5], true, 5));
}

#[test]
fn every_type_decodes_exactly() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 100);
    let body = r#"{"cols":["a","b","c","d","e","f","g","h","i","j","k","l"],
        "col_types":[10,22,11,15,24,3,12,13,[100,[100,9]],26,29,20],
        "rows":[[9223372036854775807,123456789012345678901234567890.123456789012345678901234567890,
                 1709209800123,-1,86400000,true,{"k":[1,null],"n":1e400},[9.5,47.25],[[1,null],[]],
                 "{\"a\":1}","0d6b6d5c-3c5b-4b8e-9a4c-111111111111",[3723000500,-19800]]],
        "rowcount":1,"duration":1.5}"#;
    http.push([reply("POST", SQL, serde_json::from_str(body).unwrap())]);
    let out = block_on(s.execute("SELECT * FROM t", Params::none())).unwrap();
    let cols = out.columns.unwrap();
    assert_eq!(cols[0].type_code, "bigint");
    assert!(cols[0].logical.is_int64() && !cols[1].logical.is_int64());
    assert_eq!(cols[8].type_code, "array(array(integer))");
    let row = &out.rows[0];
    assert_eq!(row[0], Value::Int(i64::MAX));
    assert_eq!(
        row[1],
        Value::Decimal("123456789012345678901234567890.123456789012345678901234567890".into())
    );
    assert_eq!(row[2], Value::TimestampTz(1_709_209_800_123_000));
    assert_eq!(row[3], Value::Timestamp(-1000));
    assert_eq!(row[4], Value::Date(1));
    assert_eq!(row[5], Value::Bool(true));
    assert_eq!(row[6], Value::Json(r#"{"k":[1,null],"n":1e+400}"#.into()));
    assert_eq!(
        row[7],
        Value::Array(vec![Value::Float(9.5), Value::Float(47.25)])
    );
    assert_eq!(
        row[8],
        Value::Array(vec![
            Value::Array(vec![Value::Int(1), Value::Null]),
            Value::Array(vec![])
        ])
    );
    assert_eq!(row[9], Value::Json(r#"{"a":1}"#.into()));
    assert!(matches!(row[10], Value::Uuid(u) if u[0] == 0x0d && u[15] == 0x11));
    assert_eq!(row[11], Value::Text("01:02:03.0005-05:30".into()));
}

#[test]
fn a_row_that_does_not_decode_fails_after_the_rows_before_it() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 2);
    http.push([reply(
        "POST",
        SQL,
        json!({ "cols": ["n"], "col_types": [10], "rows": [[1], [2], ["x"]], "rowcount": 3 }),
    )]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    assert_eq!(ints(&first.rows), vec![1, 2]);
    let e = block_on(drain(&mut s, first.rows)).unwrap_err();
    assert_eq!(e.origin, Origin::Malformed, "{e}");
    assert!(e.message.contains("integer value \"x\""), "{e}");
    // The result is gone; the session goes on.
    assert!(block_on(s.fetch()).unwrap().done);
    http.push([reply("POST", SQL, numbers(1))]);
    assert_eq!(
        block_on(s.execute("SELECT 1", Params::none()))
            .unwrap()
            .rowcount,
        1
    );
}

#[test]
fn statements_without_rows_bulk_results_and_errors() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 10);
    http.push([reply(
        "POST",
        SQL,
        json!({ "cols": [], "col_types": [], "rows": [[]], "rowcount": 3 }),
    )]);
    let out = block_on(s.execute("UPDATE t SET x = 1", Params::none())).unwrap();
    assert_eq!(
        (out.columns.is_none(), out.rows.len(), out.rowcount),
        (true, 0, 3)
    );
    http.push([reply("POST", SQL, json!({ "results": [ { "rowcount": 1 }, { "rowcount": -2, "error": { "message": "DuplicateKeyException[…]", "code": 4091 } }, { "rowcount": 1 } ] }))]);
    let sets = (1..=3)
        .map(|i| Params::Positional(vec![Value::Int(i)]))
        .collect();
    let e = block_on(s.execute_many("INSERT INTO t VALUES (?)", sets)).unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Integrity, Some("4091"))
    );
    assert!(
        e.message.starts_with(
            "executemany: parameter set 2 of 3 failed, 1 failed in all, 2 row(s) written"
        ),
        "{e}"
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("rowcount per parameter set (-2: failed): 1, -2, 1")
    );
    let sent = http.sent().last().cloned().unwrap();
    assert_eq!(
        sent.body.unwrap(),
        br#"{"stmt":"INSERT INTO t VALUES ($1)","bulk_args":[[1],[2],[3]]}"#
    );
    http.push([status("POST", SQL, 404, json!({ "error": { "message": "RelationUnknown[Relation 'doc.x' unknown]", "code": 4041 } }))]);
    let e = block_on(s.execute("SELECT * FROM x", Params::none())).unwrap_err();
    assert_eq!((e.kind, e.origin), (ErrorKind::Programming, Origin::Server));
    http.push([raw("POST", SQL, 200, r#"{"cols":["x"],"rows":[[1],["#)]);
    let e = block_on(s.execute("SELECT x", Params::none())).unwrap_err();
    assert_eq!(e.origin, Origin::Malformed);
}

#[test]
fn a_broken_request_fails_and_close_drops_the_result() {
    let http = ScriptedHttp::default();
    let mut s = connect(&http, 1);
    http.push([broken("POST", SQL)]);
    let e = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap_err();
    assert_eq!(e.origin, Origin::Network);
    http.push([reply("POST", SQL, numbers(3))]);
    let first = block_on(s.execute("SELECT n FROM t", Params::none())).unwrap();
    assert!(first.more);
    block_on(s.close());
    let b = block_on(s.fetch()).unwrap();
    assert!(b.done && b.rows.is_empty());
    assert_eq!(http.left(), 0);
}

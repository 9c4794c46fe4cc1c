//! The client core against a real PostgreSQL over TCP (no relay). Run under webdbc-testenv,
//! which starts the server and sets WEBDBC_TEST_* (the README's test command does).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::stream::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use webdbc::core::value::Value;
use webdbc::core::{Connection, Params};
use webdbc::protocols::pg::{PgConfig, PgSession};
use webdbc::{Error, ErrorKind, Result};

type Tcp = Stream<tokio::net::TcpStream>;

fn url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests under webdbc-testenv (see README)")
    })
}

async fn session(cfg: &PgConfig) -> Result<PgSession<Tcp>> {
    let tcp = tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port))
        .await
        .map_err(Error::connection_lost)?;
    PgSession::connect(Stream::new(tcp).0, cfg).await
}

async fn connect_url(var: &str) -> Result<Connection<PgSession<Tcp>>> {
    let mut cfg = PgConfig::from_url(&url(var))?;
    cfg.autocommit = Some(true);
    Ok(Connection::new(session(&cfg).await?))
}

fn ints(rows: &[Vec<Value>]) -> Vec<i64> {
    rows.iter()
        .map(|r| match r[0] {
            Value::Int(i) => i,
            ref v => panic!("not an int: {v:?}"),
        })
        .collect()
}

#[tokio::test]
async fn authenticates_with_scram_md5_and_cleartext() {
    for var in [
        "WEBDBC_TEST_PG",
        "WEBDBC_TEST_PG_MD5",
        "WEBDBC_TEST_PG_CLEARTEXT",
        "WEBDBC_TEST_PG_SASLPREP",
    ] {
        let conn = connect_url(var)
            .await
            .unwrap_or_else(|e| panic!("{var}: {e}"));
        let cur = conn.cursor().unwrap();
        cur.execute("SELECT current_user", Params::none())
            .await
            .unwrap();
        let user = url(var)
            .split("://")
            .nth(1)
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(cur.fetch(10).await.unwrap(), vec![vec![Value::Text(user)]]);
        conn.close().await;
    }
}

#[tokio::test]
async fn wrong_password_is_operational_error_28p01_without_the_password() {
    let err = connect_url("WEBDBC_TEST_PG_WRONG_PASSWORD")
        .await
        .err()
        .expect("must fail");
    assert_eq!(err.kind, ErrorKind::Operational);
    assert_eq!(err.code.as_deref(), Some("28P01"));
    assert!(
        err.message.contains("password authentication failed"),
        "{}",
        err.message
    );
    assert!(!err.to_string().contains("not-the-password"));
}

#[tokio::test]
async fn streams_in_bounded_batches_and_counts_at_the_end() {
    let mut cfg = PgConfig::from_url(&url("WEBDBC_TEST_PG")).unwrap();
    cfg.fetch_size = 1000;
    let conn = Connection::new(session(&cfg).await.unwrap());
    let cur = conn.cursor().unwrap();
    cur.execute("SELECT g FROM generate_series(1, 25000) g", Params::none())
        .await
        .unwrap();
    assert_eq!(cur.rowcount(), -1, "unknown while the result streams");
    let mut seen = Vec::new();
    loop {
        let rows = cur.fetch(700).await.unwrap();
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 700);
        seen.extend(ints(&rows));
    }
    assert_eq!(seen, (1..=25000).collect::<Vec<_>>());
    assert_eq!(cur.rowcount(), 25000);
}

#[tokio::test]
async fn another_cursor_keeps_its_rows_when_the_wire_is_needed() {
    let mut cfg = PgConfig::from_url(&url("WEBDBC_TEST_PG")).unwrap();
    cfg.fetch_size = 100;
    let conn = Connection::new(session(&cfg).await.unwrap());
    let (a, b) = (conn.cursor().unwrap(), conn.cursor().unwrap());
    a.execute("SELECT g FROM generate_series(1, 1000) g", Params::none())
        .await
        .unwrap();
    assert_eq!(
        ints(&a.fetch(10).await.unwrap()),
        (1..=10).collect::<Vec<_>>()
    );
    b.execute(
        "SELECT ?::int8 * 2",
        Params::Positional(vec![Value::Int(21)]),
    )
    .await
    .unwrap();
    assert_eq!(ints(&b.fetch(5).await.unwrap()), vec![42]);
    assert_eq!(
        ints(&a.fetch(2000).await.unwrap()),
        (11..=1000).collect::<Vec<_>>()
    );
    assert_eq!(a.rowcount(), 1000);
    conn.commit().await.unwrap();
}

#[tokio::test]
async fn errors_resync_and_the_session_goes_on() {
    let conn = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    let e = cur
        .execute("SELECT ?, 1/0", Params::Positional(vec![Value::Int(1)]))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Data, Some("22012"))
    );
    let e = cur
        .execute("SELEC ?", Params::Positional(vec![Value::Int(1)]))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref(), e.position),
        (ErrorKind::Programming, Some("42601"), Some(1))
    );
    // Position maps back through the ? -> $n rewrite: "FRM" starts at 18 in the caller's text.
    let e = cur
        .execute(
            "SELECT ?, ?, ? , FRM",
            Params::Positional(vec![Value::Int(1), Value::Int(2), Value::Int(3)]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.position, Some(18), "{e:?}");
    let e = cur.execute("SELECT ?", Params::none()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    cur.execute("SELECT 'still fine'", Params::none())
        .await
        .unwrap();
    assert_eq!(
        cur.fetch(1).await.unwrap(),
        vec![vec![Value::Text("still fine".into())]]
    );
}

#[tokio::test]
async fn transactions_commit_and_roll_back() {
    let cfg = PgConfig::from_url(&url("WEBDBC_TEST_PG")).unwrap();
    assert_eq!(cfg.autocommit, None, "PEP 249 default");
    let conn = Connection::new(session(&cfg).await.unwrap());
    let other = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    let peek = other.cursor().unwrap();
    cur.execute("CREATE TABLE native_tx (x int)", Params::none())
        .await
        .unwrap();
    conn.commit().await.unwrap();
    cur.execute("INSERT INTO native_tx VALUES (1)", Params::none())
        .await
        .unwrap();
    assert_eq!(cur.rowcount(), 1);
    peek.execute("SELECT count(*) FROM native_tx", Params::none())
        .await
        .unwrap();
    assert_eq!(
        ints(&peek.fetch(1).await.unwrap()),
        vec![0],
        "not visible before commit"
    );
    conn.rollback().await.unwrap();
    cur.execute_many(
        "INSERT INTO native_tx VALUES (?)",
        (1..=3)
            .map(|i| Params::Positional(vec![Value::Int(i)]))
            .collect(),
    )
    .await
    .unwrap();
    assert_eq!(cur.rowcount(), 3);
    conn.commit().await.unwrap();
    peek.execute("SELECT sum(x) FROM native_tx", Params::none())
        .await
        .unwrap();
    assert_eq!(peek.fetch(1).await.unwrap(), vec![vec![Value::Int(6)]]);
    // A failed statement poisons the transaction; COMMIT then says it rolled back.
    let _ = cur
        .execute("INSERT INTO native_tx VALUES ('x')", Params::none())
        .await
        .unwrap_err();
    let e = conn.commit().await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Internal, Some("25P02"))
    );
    cur.execute("DROP TABLE native_tx", Params::none())
        .await
        .unwrap();
    conn.commit().await.unwrap();
}

#[tokio::test]
async fn several_statements_give_their_results_in_order() {
    let conn = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    cur.execute(
        "CREATE TEMP TABLE s (x int); INSERT INTO s VALUES (1), (2); SELECT x FROM s ORDER BY x",
        Params::none(),
    )
    .await
    .unwrap();
    assert!(cur.description().is_none(), "first: CREATE");
    assert!(cur.next_set().unwrap());
    assert_eq!((cur.description().is_none(), cur.rowcount()), (true, 2));
    assert!(cur.next_set().unwrap());
    assert_eq!(ints(&cur.fetch(10).await.unwrap()), vec![1, 2]);
    assert_eq!(cur.rowcount(), 2);
    assert!(!cur.next_set().unwrap(), "no more");
    let e = cur
        .execute("SELECT 1; SELECT nope", Params::none())
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("42703"));
}

#[tokio::test]
async fn copy_is_refused_and_the_session_goes_on() {
    let conn = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    cur.execute("CREATE TEMP TABLE c (x int)", Params::none())
        .await
        .unwrap();
    for sql in [
        "COPY c FROM STDIN",
        "COPY (SELECT g FROM generate_series(1, 50000) g) TO STDOUT",
        "SELECT 1; COPY c FROM STDIN",
        "SELECT 1; COPY c TO STDOUT",
    ] {
        let e = cur.execute(sql, Params::none()).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotSupported, "{sql}: {e}");
        cur.execute("SELECT count(*) FROM c", Params::none())
            .await
            .unwrap();
        assert_eq!(
            cur.fetch(1).await.unwrap(),
            vec![vec![Value::Int(0)]],
            "usable after {sql}"
        );
    }
}

fn pg_config(autocommit: bool, fetch_size: u32) -> PgConfig {
    let mut cfg = PgConfig::from_url(&url("WEBDBC_TEST_PG")).unwrap();
    cfg.autocommit = Some(autocommit);
    cfg.fetch_size = fetch_size;
    cfg
}

async fn sum(conn: &Connection<PgSession<Tcp>>, table: &str) -> Value {
    let cur = conn.cursor().unwrap();
    cur.execute(&format!("SELECT sum(x)::int8 FROM {table}"), Params::none())
        .await
        .unwrap();
    cur.fetch(1).await.unwrap().remove(0).remove(0)
}

#[tokio::test]
async fn autocommit_writes_are_committed_when_execute_returns() {
    let conn = Connection::new(session(&pg_config(true, 2)).await.unwrap());
    let peek = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    cur.execute("CREATE TABLE ac_returning (x int)", Params::none())
        .await
        .unwrap();
    cur.execute(
        "INSERT INTO ac_returning SELECT generate_series(1, 10)",
        Params::none(),
    )
    .await
    .unwrap();
    cur.execute(
        "UPDATE ac_returning SET x = x + 100 RETURNING x",
        Params::none(),
    )
    .await
    .unwrap();
    assert_eq!(cur.rowcount(), 10);
    assert_eq!(
        sum(&peek, "ac_returning").await,
        Value::Int(1055),
        "visible before a row is fetched"
    );
    assert_eq!(cur.fetch(1).await.unwrap().len(), 1);
    conn.close().await;
    assert_eq!(
        sum(&peek, "ac_returning").await,
        Value::Int(1055),
        "still there after close"
    );
    peek.cursor()
        .unwrap()
        .execute("DROP TABLE ac_returning", Params::none())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failing_result_hands_out_its_rows_then_the_error_to_its_own_cursor_only() {
    let conn = Connection::new(session(&pg_config(true, 2)).await.unwrap());
    let (a, b) = (conn.cursor().unwrap(), conn.cursor().unwrap());
    let sql = "SELECT x::int8, 1/(x-9) FROM generate_series(1, 10) x";
    // Directly: rows 1..8, then the division by zero.
    a.execute(sql, Params::none()).await.unwrap();
    assert_eq!(
        ints(&a.fetch(100).await.unwrap()),
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(
        a.fetch(100).await.unwrap_err().code.as_deref(),
        Some("22012")
    );
    // Through the stash, when another cursor needs the wire mid-result.
    a.execute(sql, Params::none()).await.unwrap();
    assert_eq!(ints(&a.fetch(1).await.unwrap()), vec![1]);
    b.execute("SELECT 42::int8", Params::none())
        .await
        .expect("not the other cursor's failure");
    assert_eq!(ints(&b.fetch(1).await.unwrap()), vec![42]);
    assert_eq!(
        ints(&a.fetch(100).await.unwrap()),
        (2..=8).collect::<Vec<_>>()
    );
    assert_eq!(
        a.fetch(100).await.unwrap_err().code.as_deref(),
        Some("22012")
    );
    // And the session is in step: rollback() runs, nothing else fails.
    a.execute(sql, Params::none()).await.unwrap();
    conn.rollback().await.unwrap();
    assert_eq!(
        ints(&a.fetch(100).await.unwrap()),
        (1..=8).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn executemany_copy_is_refused_without_hanging() {
    let conn = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    cur.execute("CREATE TEMP TABLE em (x int)", Params::none())
        .await
        .unwrap();
    let sets = vec![Params::none(), Params::none()];
    let e = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        cur.execute_many("COPY em FROM STDIN", sets),
    )
    .await
    .expect("no hang")
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotSupported);
    cur.execute("SELECT 1::int8", Params::none()).await.unwrap();
    assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![1]);
}

#[tokio::test]
async fn a_streamed_zero_column_result_counts_all_its_rows() {
    let conn = Connection::new(session(&pg_config(true, 2)).await.unwrap());
    let cur = conn.cursor().unwrap();
    cur.execute("SELECT FROM generate_series(1, 5)", Params::none())
        .await
        .unwrap();
    assert_eq!(cur.fetch(100).await.unwrap(), vec![Vec::<Value>::new(); 5]);
    assert_eq!(cur.rowcount(), 5);
}

#[tokio::test]
async fn leaving_utf8_is_refused_clearly() {
    let conn = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    let e = cur
        .execute("SET client_encoding = 'LATIN1'", Params::none())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotSupported);
    assert!(e.message.contains("UTF8"), "{}", e.message);
}

#[tokio::test]
async fn garbage_from_the_server_is_a_clear_error_not_a_hang() {
    let cfg = PgConfig::from_url(&url("WEBDBC_TEST_PG_GARBAGE")).unwrap();
    let started = std::time::Instant::now();
    let e = session(&cfg).await.err().expect("must fail");
    assert_eq!(e.kind, ErrorKind::Operational);
    assert!(
        e.message.contains("does not speak the PostgreSQL protocol"),
        "{}",
        e.message
    );
    assert!(started.elapsed().as_secs() < 5);
}

#[tokio::test]
async fn a_connection_cut_mid_result_fails_and_stays_failed() {
    let conn = connect_url("WEBDBC_TEST_PG_CUT").await.unwrap();
    let cur = conn.cursor().unwrap();
    let mut result = cur
        .execute(
            "SELECT g, repeat('x', 50) FROM generate_series(1, 1000000) g",
            Params::none(),
        )
        .await;
    while result.is_ok() {
        result = cur
            .fetch(10_000)
            .await
            .map(|rows| assert!(!rows.is_empty(), "the result cannot end normally"));
    }
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Operational);
    assert!(e.message.contains("connection lost"), "{}", e.message);
    let again = cur.execute("SELECT 1", Params::none()).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::Operational);
}

#[tokio::test]
async fn the_cancel_token_stops_a_running_statement_from_another_connection() {
    use webdbc::core::{Backend, Origin};
    let cfg = pg_config(true, 100);
    let mut s = session(&cfg).await.unwrap();
    let token = s.cancel_token();
    let started = std::time::Instant::now();
    let cancel = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut tcp = tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port))
            .await
            .unwrap();
        tcp.write_all(&token.request().unwrap()).await.unwrap();
        // The server reads the request and closes the connection without a word.
        assert_eq!(tcp.read(&mut [0u8; 16]).await.unwrap(), 0);
    };
    let (result, ()) = tokio::join!(s.execute("SELECT pg_sleep(10)", Params::none()), cancel);
    let e = result.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref(), e.origin),
        (ErrorKind::Operational, Some("57014"), Origin::Server)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let out = s.execute("SELECT 1", Params::none()).await.unwrap();
    assert_eq!(ints(&out.rows), vec![1], "usable after a cancel");
}

#[tokio::test]
async fn close_ends_an_open_result_and_the_session() {
    use webdbc::core::{Backend, Origin};
    let mut s = session(&pg_config(true, 2)).await.unwrap();
    let out = s
        .execute("SELECT generate_series(1, 10)", Params::none())
        .await
        .unwrap();
    assert!(out.more, "a result still streaming");
    s.close().await;
    let e = s.execute("SELECT 1", Params::none()).await.unwrap_err();
    assert!(e.message.contains("connection is closed"), "{e}");
    assert_eq!(e.origin, Origin::Client);
}

/// A TCP transport that counts round trips: each time the client waits for a reply to bytes
/// it sent (a send, then a receive).
struct Counted {
    inner: Tcp,
    sent_since_recv: bool,
    round_trips: std::rc::Rc<std::cell::Cell<u32>>,
}

impl webdbc::core::transport::Transport for Counted {
    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.sent_since_recv = true;
        self.inner.send(bytes).await
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        if std::mem::take(&mut self.sent_since_recv) {
            self.round_trips.set(self.round_trips.get() + 1);
        }
        self.inner.recv().await
    }

    fn close(&mut self) {
        self.inner.close()
    }
}

async fn counted(
    autocommit: bool,
) -> (
    Connection<PgSession<Counted>>,
    std::rc::Rc<std::cell::Cell<u32>>,
) {
    let mut cfg = PgConfig::from_url(&url("WEBDBC_TEST_PG")).unwrap();
    cfg.autocommit = Some(autocommit);
    let tcp = tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port))
        .await
        .unwrap();
    let round_trips = std::rc::Rc::new(std::cell::Cell::new(0));
    let io = Counted {
        inner: Stream::new(tcp).0,
        sent_since_recv: false,
        round_trips: round_trips.clone(),
    };
    let conn = Connection::new(PgSession::connect(io, &cfg).await.unwrap());
    (conn, round_trips)
}

#[tokio::test]
async fn a_small_query_is_one_round_trip_from_execute_to_its_rows() {
    for autocommit in [true, false] {
        let (conn, round_trips) = counted(autocommit).await;
        let cur = conn.cursor().unwrap();
        for i in 0..5 {
            let before = round_trips.get();
            cur.execute("SELECT $1::int", Params::Positional(vec![Value::Int(i)]))
                .await
                .unwrap();
            assert_eq!(ints(&cur.fetch(10).await.unwrap()), vec![i]);
            // The first query in a transaction carries its BEGIN in the same flight.
            assert_eq!(
                round_trips.get() - before,
                1,
                "query {i}, autocommit {autocommit}"
            );
        }
        // The Sync left unread is read before a commit or a write in autocommit.
        if autocommit {
            cur.execute("SET application_name = 'counted'", Params::none())
                .await
                .unwrap();
        } else {
            conn.commit().await.unwrap();
        }
        cur.execute("SHOW application_name", Params::none())
            .await
            .unwrap();
        let want = if autocommit { "counted" } else { "webdbc" };
        assert_eq!(
            cur.fetch(1).await.unwrap(),
            vec![vec![Value::Text(want.into())]]
        );
        conn.close().await;
    }
}

#[tokio::test]
async fn a_request_that_cannot_be_built_leaves_the_session_in_step() {
    // The Sync after the first result is still unread when the second statement fails before
    // anything is sent (a NUL byte in its text): the next calls read it first.
    for autocommit in [true, false] {
        let (conn, _) = counted(autocommit).await;
        let cur = conn.cursor().unwrap();
        cur.execute("SELECT 1", Params::none()).await.unwrap();
        assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![1]);
        assert!(cur.execute("SELECT 'a\0b'", Params::none()).await.is_err());
        cur.execute("SELECT 2", Params::none()).await.unwrap();
        assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![2]);
        conn.commit().await.unwrap();
        cur.execute("SELECT 3", Params::none()).await.unwrap();
        assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![3]);
        conn.close().await;
    }
}

#[tokio::test]
async fn a_read_that_fails_at_its_commit_is_reported_by_the_next_call() {
    // A SELECT whose function writes a row that breaks a deferred constraint: in autocommit
    // its implicit commit fails at Sync, whose reply the next call reads.
    let conn = connect_url("WEBDBC_TEST_PG").await.unwrap();
    let cur = conn.cursor().unwrap();
    cur.execute(
        "CREATE TABLE defer_parent (id int PRIMARY KEY); \
         CREATE TABLE defer_child (pid int REFERENCES defer_parent DEFERRABLE INITIALLY DEFERRED); \
         CREATE FUNCTION defer_orphan() RETURNS int LANGUAGE sql AS \
         'INSERT INTO defer_child VALUES (42) RETURNING 1'; \
         CREATE FUNCTION defer_parent_row() RETURNS int LANGUAGE sql AS \
         'INSERT INTO defer_parent VALUES (8) RETURNING 1'",
        Params::none(),
    )
    .await
    .unwrap();
    // What comes next: a read (sent behind that Sync, then dropped), a read that writes
    // (sent behind it too, and rolled back), a write (which waits for that Sync's reply), and
    // a read after autocommit went off (it waits too).
    for next in [
        "SELECT 2",
        "SELECT defer_parent_row()",
        "INSERT INTO defer_parent VALUES (7)",
        "SELECT 3",
    ] {
        cur.execute("SELECT defer_orphan()", Params::none())
            .await
            .unwrap();
        assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![1]);
        if next == "SELECT 3" {
            conn.try_set_autocommit(false).unwrap();
        }
        let err = cur.execute(next, Params::none()).await.unwrap_err();
        assert_eq!(err.code.as_deref(), Some("23503"), "{next}: {err}");
        assert_eq!(err.kind, ErrorKind::Integrity);
        assert!(
            err.message
                .starts_with("the previous statement failed at its commit: "),
            "{}",
            err.message
        );
    }
    // Nothing was committed, the statements behind the failed commits included, and the
    // session goes on in step.
    cur.execute("SELECT 4", Params::none()).await.unwrap();
    assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![4]);
    conn.rollback().await.unwrap();
    conn.try_set_autocommit(true).unwrap();
    cur.execute(
        "SELECT (SELECT count(*) FROM defer_child) + (SELECT count(*) FROM defer_parent)",
        Params::none(),
    )
    .await
    .unwrap();
    assert_eq!(ints(&cur.fetch(1).await.unwrap()), vec![0]);
    cur.execute(
        "DROP FUNCTION defer_orphan(), defer_parent_row(); DROP TABLE defer_child, defer_parent",
        Params::none(),
    )
    .await
    .unwrap();
    conn.close().await;
}

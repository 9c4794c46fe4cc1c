//! Starts a throwaway PostgreSQL, fault servers and webdbc-relay, then runs a command with
//! WEBDBC_TEST_* variables describing them, and tears everything down when it exits.
//! Without a command it prints the variables and serves until interrupted.
//! `--demo DIR [--port N]` is the demo instead: PostgreSQL and a test server for every other
//! backend, and a relay on 127.0.0.1:N (8080; 0 picks one) that allows only them and serves DIR
//! (the SQL console) with DIR/demo.json listing them. Serves until Ctrl-C.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use webdbc_relay::{parse_target, Config, Target};

/// The HMAC key of the tests' token relay.
const TOKEN_KEY: &[u8] = b"webdbc-tests-token-key-of-32-bytes-or-more";
use webdbc_testkit::*;

/// Server bytes after which the cutting proxy drops the connection: well into a large result.
const CUT_AFTER_BYTES: usize = 256 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--demo") {
        return match DemoArgs::parse(&args[1..]) {
            Ok(demo_args) => demo(demo_args),
            Err(why) => {
                eprintln!("webdbc demo: {why}");
                ExitCode::from(2)
            }
        };
    }
    let pg = PgServer::start();
    let cut = start_cutting_proxy(pg.port, CUT_AFTER_BYTES);
    let garbage = start_garbage_server();
    let crate_port = cratedb::start_crate_server(true);
    let crate_no_cors = cratedb::start_crate_server(false);
    let databend_port = databend::start_databend_server();
    let questdb_port = questdb::start_questdb_server();
    let databricks_port = databricks::start_databricks_server();
    let ignite_port = ignite::start_ignite_server(false, 0);
    // A secure node that closes connections silent for 3 s: clients must heartbeat.
    let ignite_secure = ignite::start_ignite_server(true, 3000);
    let ignite_cut = start_cutting_proxy(ignite_port, 64 * 1024);
    // TLS towards the databases: PostgreSQL (ssl=on, signed by the server's test CA) and an
    // Ignite node that speaks TLS from the first byte, signed by a CA of its own.
    let tls_dir = std::env::temp_dir().join(format!("webdbc-tls-{}", std::process::id()));
    std::fs::create_dir_all(&tls_dir).unwrap();
    let ignite_ca = tls::make_test_ca(&tls_dir, "ignite");
    let ignite_tls = ignite::start_ignite_tls_server(&ignite_ca);
    let pg_crate = pgquirks::start_dialect_proxy(pg.port, pgquirks::Dialect::Crate);
    let pg_quest = pgquirks::start_dialect_proxy(pg.port, pgquirks::Dialect::QuestDb);
    let hostile = hostile_pg::start_hostile_pg();
    let dead = free_port();
    let denied = free_port();
    let local = |p: u16| format!("127.0.0.1:{p}");
    let cfg = Config {
        targets: [
            format!("pg={}", local(pg.port)),
            format!("pgcut={}", local(cut)),
            format!("garbage={}", local(garbage)),
            format!("hostile={}", local(hostile)),
            format!("dead={}", local(dead)),
            format!("ignite={}", local(ignite_port)),
            format!("ignite_secure={}", local(ignite_secure)),
            format!("ignite_cut={}", local(ignite_cut)),
            format!("pgcrate={}", local(pg_crate)),
            format!("pgquest={}", local(pg_quest)),
            // The same PostgreSQL, over TLS: checked against its CA, unchecked, and checked
            // against a CA that did not sign it (refused).
            format!(
                "pgtls={}?tls=verify-full&ca={}&starttls=postgres",
                local(pg.port),
                pg.tls_ca.display()
            ),
            format!(
                "pgtls_require={}?tls=require&starttls=postgres",
                local(pg.port)
            ),
            format!(
                "pgtls_wrong_ca={}?tls=verify-full&ca={}&starttls=postgres",
                local(pg.port),
                ignite_ca.ca.display()
            ),
            format!(
                "ignite_tls={}?tls=verify-full&ca={}",
                local(ignite_tls),
                ignite_ca.ca.display()
            ),
            // TLS where the server speaks none: the SSLRequest is answered with garbage.
            format!(
                "garbage_tls={}?tls=require&starttls=postgres",
                local(garbage)
            ),
        ]
        .iter()
        .map(|t| parse_target(t).unwrap())
        .collect(),
        http_targets: vec![
            ("crate".into(), local(crate_no_cors)),
            ("databend".into(), local(databend_port)),
            ("questdb".into(), local(questdb_port)),
            ("databricks".into(), local(databricks_port)),
        ],
        // Test pages are served from random ports.
        allowed_origins: vec!["*".into()],
        // The benchmark connects faster than the default 50 attempts a second allow.
        limits: webdbc_relay::limits::Limits {
            attempts_per_ip_per_second: std::env::var("WEBDBC_TESTENV_ATTEMPTS_PER_SECOND")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(webdbc_relay::limits::Limits::default().attempts_per_ip_per_second),
            ..Default::default()
        },
        ..Config::default()
    };
    // A second relay that requires tokens (HMAC), for PostgreSQL and CrateDB's HTTP.
    let token_cfg = Config {
        targets: vec![
            Target::plain("pg", &local(pg.port)),
            Target::plain("dead", &local(dead)),
        ],
        http_targets: vec![("crate".into(), local(crate_no_cors))],
        allowed_origins: vec!["*".into()],
        tokens: Some(webdbc_relay::token::Verifier::hmac(TOKEN_KEY).unwrap()),
        ..Config::default()
    };
    let token = |targets: &[&str], ttl: u64| {
        let targets = targets.iter().map(|t| t.to_string()).collect();
        webdbc_relay::token::mint(TOKEN_KEY, targets, ttl, Some("webdbc-tests".into())).unwrap()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bind = || {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        (listener.local_addr().unwrap().port(), listener)
    };
    let (relay_port, listener) = bind();
    rt.spawn(webdbc_relay::serve(listener, cfg));
    let (token_relay_port, listener) = bind();
    rt.spawn(webdbc_relay::serve(listener, token_cfg));

    let vars = [
        (
            "WEBDBC_TEST_RELAY",
            format!("ws://127.0.0.1:{relay_port}/v1/connect"),
        ),
        (
            "WEBDBC_TEST_TOKEN_RELAY",
            format!("ws://127.0.0.1:{token_relay_port}/v1/connect"),
        ),
        ("WEBDBC_TEST_TOKEN", token(&["pg", "crate"], 3600)),
        ("WEBDBC_TEST_TOKEN_EXPIRED", token(&["pg"], 0)),
        ("WEBDBC_TEST_TOKEN_OTHER", token(&["dead"], 3600)),
        ("WEBDBC_TEST_PG", pg.url(SCRAM_USER, pg.port)),
        ("WEBDBC_TEST_PG_MD5", pg.url(MD5_USER, pg.port)),
        ("WEBDBC_TEST_PG_SASLPREP", pg.url(SASLPREP_USER, pg.port)),
        ("WEBDBC_TEST_PG_CLEARTEXT", pg.url(CLEARTEXT_USER, pg.port)),
        (
            "WEBDBC_TEST_PG_WRONG_PASSWORD",
            pg.url((SCRAM_USER.0, "not-the-password"), pg.port),
        ),
        ("WEBDBC_TEST_PG_CUT", pg.url(SCRAM_USER, cut)),
        // A user the server admits over TLS only; the relay's pgtls* targets speak it.
        ("WEBDBC_TEST_PG_TLS", pg.url(TLS_USER, pg.port)),
        ("WEBDBC_TEST_IGNITE_TLS", ignite_url(ignite_tls)),
        (
            "WEBDBC_TEST_IGNITE_TLS_CA",
            ignite_ca.ca.display().to_string(),
        ),
        // PostgreSQL behind the CrateDB and QuestDB wire quirks (cleartext, as both offer).
        (
            "WEBDBC_TEST_PG_CRATE",
            pg.url(CLEARTEXT_USER, pg_crate)
                .replace("postgres://", "crate+pg://"),
        ),
        ("WEBDBC_TEST_PG_QUEST", pg.url(CLEARTEXT_USER, pg_quest)),
        ("WEBDBC_TEST_PG_GARBAGE", pg.url(SCRAM_USER, garbage)),
        // Misbehaves as the database name says (testkit/src/hostile_pg.rs).
        (
            "WEBDBC_TEST_PG_HOSTILE",
            format!("postgres://hostile@127.0.0.1:{hostile}/stall"),
        ),
        ("WEBDBC_TEST_PG_DEAD", pg.url(SCRAM_USER, dead)),
        ("WEBDBC_TEST_PG_DENIED", pg.url(SCRAM_USER, denied)),
        (
            "WEBDBC_TEST_CRATE_DEAD",
            format!("crate://127.0.0.1:{dead}"),
        ),
        ("WEBDBC_TEST_IGNITE", ignite_url(ignite_port)),
        (
            "WEBDBC_TEST_IGNITE_SECURE",
            format!(
                "ignite://{}:{}@127.0.0.1:{ignite_secure}",
                ignite::IGNITE_USER.0,
                ignite::IGNITE_USER.1
            ),
        ),
        (
            "WEBDBC_TEST_IGNITE_CUT",
            format!("ignite://127.0.0.1:{ignite_cut}"),
        ),
        ("WEBDBC_TEST_DATABRICKS", databricks_url(databricks_port)),
        ("WEBDBC_TEST_QUESTDB", questdb_url(questdb_port)),
        ("WEBDBC_TEST_DATABEND", databend_url(databend_port)),
        ("WEBDBC_TEST_CRATE_NO_CORS", crate_url(crate_no_cors)),
        (
            "WEBDBC_TEST_CRATE_HTTP",
            format!("http://127.0.0.1:{crate_port}"),
        ),
        ("WEBDBC_TEST_CRATE", crate_url(crate_port)),
    ];
    let Some((program, rest)) = args.split_first() else {
        for (k, v) in &vars {
            println!("export {k}='{v}'");
        }
        eprintln!("webdbc-testenv: serving; Ctrl-C stops");
        rt.block_on(stopped());
        return ExitCode::SUCCESS;
    };
    let status = Command::new(program)
        .args(rest)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .status();
    drop(pg);
    let _ = std::fs::remove_dir_all(&tls_dir);
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("webdbc-testenv: {program} exited with {s}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("webdbc-testenv: cannot run {program}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn crate_url(port: u16) -> String {
    let (user, password) = cratedb::CRATE_USER;
    format!("crate://{user}:{password}@127.0.0.1:{port}")
}

fn databend_url(port: u16) -> String {
    let (user, password) = databend::DATABEND_USER;
    format!("databend://{user}:{password}@127.0.0.1:{port}/default?sslmode=disable")
}

fn questdb_url(port: u16) -> String {
    let (user, password) = questdb::QUESTDB_USER;
    format!("questdb://{user}:{password}@127.0.0.1:{port}")
}

fn databricks_url(port: u16) -> String {
    format!(
        "databricks://token:{}@127.0.0.1:{port}?http_path=/sql/1.0/warehouses/{}&catalog=main&schema=default&sslmode=disable",
        databricks::DATABRICKS_TOKEN,
        databricks::WAREHOUSE_ID
    )
}

fn ignite_url(port: u16) -> String {
    format!("ignite://127.0.0.1:{port}")
}

/// `--demo DIR [--port N] [--target NAME=HOST:PORT]...`
struct DemoArgs {
    www: PathBuf,
    port: u16,
    /// The user's own databases, besides the demo's servers.
    targets: Vec<Target>,
}

impl DemoArgs {
    fn parse(args: &[String]) -> Result<DemoArgs, String> {
        let (www, mut rest) = args
            .split_first()
            .ok_or("--demo needs the console's directory")?;
        let mut parsed = DemoArgs {
            www: PathBuf::from(www),
            port: 8080,
            targets: Vec::new(),
        };
        while let [flag, value, tail @ ..] = rest {
            match flag.as_str() {
                "--port" => {
                    parsed.port = value
                        .parse()
                        .map_err(|_| format!("--port needs a port number, not {value:?}"))?
                }
                "--target" => parsed
                    .targets
                    .push(parse_target(value).map_err(|why| format!("--target {value:?}: {why}"))?),
                _ => return Err(format!("unknown argument {flag:?}")),
            }
            rest = tail;
        }
        match rest {
            [] => Ok(parsed),
            [odd, ..] => Err(format!("{odd:?} needs a value")),
        }
    }
}

/// The demo: PostgreSQL and a test server for every other backend, behind a relay that allows
/// only them (and the user's `--target`s), and only pages of its own origin.
fn demo(args: DemoArgs) -> ExitCode {
    let DemoArgs { www, port, targets } = args;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = match rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", port))) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("webdbc demo: cannot listen on 127.0.0.1:{port}: {e} (choose another port with --port N)");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().unwrap().port();
    let pg = PgServer::start();
    let crate_port = cratedb::start_crate_server(true);
    let databend_port = databend::start_databend_server();
    let questdb_port = questdb::start_questdb_server();
    let databricks_port = databricks::start_databricks_server();
    let ignite_port = ignite::start_ignite_server(false, 0);
    let pg_crate = pgquirks::start_dialect_proxy(pg.port, pgquirks::Dialect::Crate);
    let pg_quest = pgquirks::start_dialect_proxy(pg.port, pgquirks::Dialect::QuestDb);
    let local = |p: u16| format!("127.0.0.1:{p}");
    let cfg = Config {
        targets: vec![
            Target::plain("postgresql", &local(pg.port)),
            Target::plain("ignite", &local(ignite_port)),
            Target::plain("cratedb-pg", &local(pg_crate)),
            Target::plain("questdb-pg", &local(pg_quest)),
        ]
        .into_iter()
        .chain(targets)
        .collect(),
        http_targets: vec![
            ("databend".into(), local(databend_port)),
            ("questdb".into(), local(questdb_port)),
            ("databricks".into(), local(databricks_port)),
        ],
        allowed_origins: vec![
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ],
        www: Some(www.clone()),
        ..Config::default()
    };
    rt.spawn(webdbc_relay::serve(listener, cfg));

    // What the console offers: a name, a URL, whether it goes through the relay, and a statement
    // that shows something of the backend (with its parameters).
    let backend = |name: &str, url: String, relay: bool, sql: &str, params: &str| serde_json::json!({ "name": name, "url": url, "relay": relay, "sql": sql, "params": params });
    let pg_version = pg.version();
    let backends = [
        backend(
            &format!("PostgreSQL {pg_version}"),
            pg.url(SCRAM_USER, pg.port),
            true,
            "SELECT n, n * 0.25 AS quarter, repeat('ab', n % 4) AS text, NULLIF(n % 3, 0) AS maybe,\n       now() AS at\nFROM generate_series(1, ?) AS n",
            "[1000]",
        ),
        backend(
            "CrateDB (HTTP, test server)",
            crate_url(crate_port),
            false,
            "SELECT mountain, height, country FROM sys.summits WHERE height > ? ORDER BY height DESC",
            "[4000]",
        ),
        backend(
            "CrateDB (Postgres wire, test proxy)",
            pg.url(CLEARTEXT_USER, pg_crate).replace("postgres://", "crate+pg://"),
            true,
            "SELECT ? AS greeting, now() AS at",
            "[\"hello\"]",
        ),
        backend(
            "Databend (HTTP, test server)",
            databend_url(databend_port),
            true,
            "SELECT ? AS greeting, 6 * 7 AS answer, NULL AS missing",
            "[\"hello\"]",
        ),
        backend(
            "QuestDB (REST, test server)",
            questdb_url(questdb_port),
            true,
            "SELECT ? AS greeting, 6 * 7 AS answer",
            "[\"hello\"]",
        ),
        backend(
            "QuestDB (Postgres wire, test proxy)",
            pg.url(CLEARTEXT_USER, pg_quest),
            true,
            "SELECT ? AS greeting, DATE '2024-05-01' AS day",
            "[\"hello\"]",
        ),
        backend(
            "Databricks (SQL statements, test server)",
            databricks_url(databricks_port),
            true,
            "SELECT ? AS greeting, 6 * 7 AS answer",
            "[\"hello\"]",
        ),
        backend(
            "Apache Ignite 3 (test node)",
            ignite_url(ignite_port),
            true,
            "SELECT ? AS greeting, 6 * 7 AS answer",
            "[\"hello\"]",
        ),
    ];
    let demo = serde_json::json!({ "backends": backends });
    std::fs::write(www.join("demo.json"), format!("{demo:#}\n")).expect("write demo.json");
    eprintln!(
        "\nwebdbc demo: PostgreSQL {} (the default database), test servers for CrateDB, Databend,\n\
         QuestDB, Databricks and Ignite 3, and webdbc-relay serving the SQL console. Open\n\n    \
         http://127.0.0.1:{port}/\n\nCtrl-C stops everything.",
        pg_version
    );
    rt.block_on(stopped());
    eprintln!("webdbc demo: stopping");
    ExitCode::SUCCESS
}

/// Ctrl-C, SIGTERM or a closed terminal: the servers are stopped on the way out.
async fn stopped() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut hangup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hangup.recv() => {}
    }
}

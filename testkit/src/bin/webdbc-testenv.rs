//! Starts a throwaway PostgreSQL, fault servers and webdbc-relay, then runs a command with
//! WEBDBC_TEST_* variables describing them, and tears everything down when it exits.
//! Without a command it prints the variables and serves until interrupted.
//! `--demo DIR [--port N]` serves DIR (the SQL console) from the relay on 127.0.0.1:N (8080),
//! writes DIR/demo.json with the default database URL, and serves until Ctrl-C.

use std::process::{Command, ExitCode};

use webdbc_relay::Config;
use webdbc_testkit::*;

/// Server bytes after which the cutting proxy drops the connection: well into a large result.
const CUT_AFTER_BYTES: usize = 256 * 1024;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut www = None;
    let mut port = 0u16;
    if args.first().map(String::as_str) == Some("--demo") {
        www = Some(std::path::PathBuf::from(args.get(1).expect("--demo DIR")));
        port = 8080;
        args.drain(..2);
        if args.first().map(String::as_str) == Some("--port") {
            port = args.get(1).and_then(|p| p.parse().ok()).expect("--port N");
            args.drain(..2);
        }
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
    let pg_crate = pgquirks::start_dialect_proxy(pg.port, pgquirks::Dialect::Crate);
    let pg_quest = pgquirks::start_dialect_proxy(pg.port, pgquirks::Dialect::QuestDb);
    let dead = free_port();
    let denied = free_port();
    let local = |p: u16| format!("127.0.0.1:{p}");
    let cfg = Config {
        targets: vec![
            ("pg".into(), local(pg.port)),
            ("pgcut".into(), local(cut)),
            ("garbage".into(), local(garbage)),
            ("dead".into(), local(dead)),
            ("ignite".into(), local(ignite_port)),
            ("ignite_secure".into(), local(ignite_secure)),
            ("ignite_cut".into(), local(ignite_cut)),
            ("pgcrate".into(), local(pg_crate)),
            ("pgquest".into(), local(pg_quest)),
        ],
        http_targets: vec![
            ("crate".into(), local(crate_no_cors)),
            ("databend".into(), local(databend_port)),
            ("questdb".into(), local(questdb_port)),
            ("databricks".into(), local(databricks_port)),
        ],
        // Test pages are served from random ports.
        allowed_origins: vec!["*".into()],
        www: www.clone(),
        ..Config::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = match rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", port))) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("webdbc-testenv: cannot listen on 127.0.0.1:{port}: {e} (choose another with --port)");
            return ExitCode::FAILURE;
        }
    };
    let relay_port = listener.local_addr().unwrap().port();
    rt.spawn(webdbc_relay::serve(listener, cfg));

    let vars = [
        (
            "WEBDBC_TEST_RELAY",
            format!("ws://127.0.0.1:{relay_port}/v1/connect"),
        ),
        ("WEBDBC_TEST_PG", pg.url(SCRAM_USER, pg.port)),
        ("WEBDBC_TEST_PG_MD5", pg.url(MD5_USER, pg.port)),
        ("WEBDBC_TEST_PG_CLEARTEXT", pg.url(CLEARTEXT_USER, pg.port)),
        (
            "WEBDBC_TEST_PG_WRONG_PASSWORD",
            pg.url((SCRAM_USER.0, "not-the-password"), pg.port),
        ),
        ("WEBDBC_TEST_PG_CUT", pg.url(SCRAM_USER, cut)),
        // PostgreSQL behind the CrateDB and QuestDB wire quirks (cleartext, as both offer).
        (
            "WEBDBC_TEST_PG_CRATE",
            pg.url(CLEARTEXT_USER, pg_crate).replace("postgres://", "crate+pg://"),
        ),
        ("WEBDBC_TEST_PG_QUEST", pg.url(CLEARTEXT_USER, pg_quest)),
        ("WEBDBC_TEST_PG_GARBAGE", pg.url(SCRAM_USER, garbage)),
        ("WEBDBC_TEST_PG_DEAD", pg.url(SCRAM_USER, dead)),
        ("WEBDBC_TEST_PG_DENIED", pg.url(SCRAM_USER, denied)),
        (
            "WEBDBC_TEST_CRATE_DEAD",
            format!("crate://127.0.0.1:{dead}"),
        ),
        ("WEBDBC_TEST_IGNITE", format!("ignite://127.0.0.1:{ignite_port}")),
        (
            "WEBDBC_TEST_IGNITE_SECURE",
            format!(
                "ignite://{}:{}@127.0.0.1:{ignite_secure}",
                ignite::IGNITE_USER.0,
                ignite::IGNITE_USER.1
            ),
        ),
        ("WEBDBC_TEST_IGNITE_CUT", format!("ignite://127.0.0.1:{ignite_cut}")),
        (
            "WEBDBC_TEST_DATABRICKS",
            format!(
                "databricks://token:{}@127.0.0.1:{databricks_port}?http_path=/sql/1.0/warehouses/{}&catalog=main&schema=default&sslmode=disable",
                databricks::DATABRICKS_TOKEN,
                databricks::WAREHOUSE_ID
            ),
        ),
        (
            "WEBDBC_TEST_QUESTDB",
            format!(
                "questdb://{}:{}@127.0.0.1:{questdb_port}",
                questdb::QUESTDB_USER.0,
                questdb::QUESTDB_USER.1
            ),
        ),
        (
            "WEBDBC_TEST_DATABEND",
            format!(
                "databend://{}:{}@127.0.0.1:{databend_port}/default?sslmode=disable",
                databend::DATABEND_USER.0,
                databend::DATABEND_USER.1
            ),
        ),
        (
            "WEBDBC_TEST_CRATE_NO_CORS",
            format!(
                "crate://{}:{}@127.0.0.1:{crate_no_cors}",
                cratedb::CRATE_USER.0,
                cratedb::CRATE_USER.1
            ),
        ),
        (
            "WEBDBC_TEST_CRATE_HTTP",
            format!("http://127.0.0.1:{crate_port}"),
        ),
        (
            "WEBDBC_TEST_CRATE",
            format!(
                "crate://{}:{}@127.0.0.1:{crate_port}",
                cratedb::CRATE_USER.0,
                cratedb::CRATE_USER.1
            ),
        ),
    ];
    if let Some(dir) = &www {
        let demo = format!(
            "{{\"url\": \"{}\", \"relay\": \"/v1/connect\"}}\n",
            pg.url(SCRAM_USER, pg.port)
        );
        std::fs::write(dir.join("demo.json"), demo).expect("write demo.json");
        eprintln!(
            "\nwebdbc demo: PostgreSQL {} on 127.0.0.1:{}, webdbc-relay and the SQL console at",
            pg.version(),
            pg.port
        );
        eprintln!("\n    http://127.0.0.1:{relay_port}/\n\nCtrl-C stops everything.");
        rt.block_on(stopped());
        return ExitCode::SUCCESS;
    }
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

/// Ctrl-C or SIGTERM: either way the servers are stopped on the way out.
async fn stopped() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

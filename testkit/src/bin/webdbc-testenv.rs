//! Starts a throwaway PostgreSQL, fault servers and webdbc-relay, then runs a command with
//! WEBDBC_TEST_* variables describing them, and tears everything down when it exits.
//! Without a command it prints the variables and serves until interrupted.

use std::process::{Command, ExitCode};

use webdbc_relay::Config;
use webdbc_testkit::*;

/// Server bytes after which the cutting proxy drops the connection: well into a large result.
const CUT_AFTER_BYTES: usize = 256 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pg = PgServer::start();
    let cut = start_cutting_proxy(pg.port, CUT_AFTER_BYTES);
    let garbage = start_garbage_server();
    let dead = free_port();
    let denied = free_port();
    let local = |p: u16| format!("127.0.0.1:{p}");
    let cfg = Config {
        targets: vec![
            ("pg".into(), local(pg.port)),
            ("pgcut".into(), local(cut)),
            ("garbage".into(), local(garbage)),
            ("dead".into(), local(dead)),
        ],
        ..Config::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
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
        ("WEBDBC_TEST_PG_GARBAGE", pg.url(SCRAM_USER, garbage)),
        ("WEBDBC_TEST_PG_DEAD", pg.url(SCRAM_USER, dead)),
        ("WEBDBC_TEST_PG_DENIED", pg.url(SCRAM_USER, denied)),
    ];
    let Some((program, rest)) = args.split_first() else {
        for (k, v) in &vars {
            println!("export {k}='{v}'");
        }
        eprintln!("webdbc-testenv: serving; Ctrl-C stops");
        let _ = rt.block_on(tokio::signal::ctrl_c());
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

//! Test-only servers for webdbc (never shipped): a throwaway PostgreSQL, a proxy that cuts
//! connections mid-stream, a server that answers with garbage, and protocol test servers for the
//! backends that cannot be installed here.

pub mod civil;
pub mod cratedb;
pub mod databend;
pub mod databricks;
pub mod hostile_pg;
pub mod httpd;
pub mod ignite;
pub mod pgquirks;
pub mod questdb;
pub mod sqlite;
pub mod tls;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// Users the throwaway server has, one per authentication method.
pub const SCRAM_USER: (&str, &str) = ("webdbc", "webdbc-secret");
pub const MD5_USER: (&str, &str) = ("md5_user", "md5-secret");
pub const CLEARTEXT_USER: (&str, &str) = ("clear_user", "clear-secret");
/// A SCRAM user whose password SASLprep changes: NFKC makes `Ⅸ` `IX`, and the soft hyphen goes.
pub const SASLPREP_USER: (&str, &str) = ("saslprep_user", "Ⅸ pässwörd\u{00AD}");
/// A user the server lets in over TLS only (plain connections get 28000).
pub const TLS_USER: (&str, &str) = ("tls_user", "tls-secret");
pub const DATABASE: &str = "webdbc";

/// A free loopback port (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL server of the Debian package in a temporary directory, stopped on drop.
pub struct PgServer {
    pub port: u16,
    /// The CA that signed the server's certificate (ssl=on; PEM).
    pub tls_ca: PathBuf,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("WEBDBC_PG_BIN") {
        return dir.into();
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (apt-get install postgresql), or set WEBDBC_PG_BIN")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
}

static SERVERS: AtomicUsize = AtomicUsize::new(0);

impl PgServer {
    /// initdb, start on a free port, create one user per auth method and a database.
    pub fn start() -> PgServer {
        let bin = pg_bin();
        let as_postgres = run_output(Command::new("id").arg("-u")).trim() == "0";
        stop_leftovers(&bin, as_postgres);
        let n = SERVERS.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("webdbc-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pwfile"), "postgres-secret\n").unwrap();
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir));
        }
        let data = dir.join("data");
        let tls = tls::make_test_ca(&dir, "pg");
        let server = PgServer {
            port: free_port(),
            tls_ca: tls.ca.clone(),
            dir: dir.clone(),
            bin,
            as_postgres,
        };
        server.run_pg(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                dir.join("pwfile").to_str().unwrap(),
            ],
        );
        std::fs::write(
            data.join("pg_hba.conf"),
            format!(
                "local all all trust\nhostnossl all {t} 127.0.0.1/32 reject\nhostssl all {t} 127.0.0.1/32 scram-sha-256\nhost all {} 127.0.0.1/32 md5\nhost all {} 127.0.0.1/32 password\nhost all all 127.0.0.1/32 scram-sha-256\n",
                MD5_USER.0, CLEARTEXT_USER.0, t = TLS_USER.0
            ),
        )
        .unwrap();
        // The server reads its key only if no one else may (0600, its own user's).
        let key = data.join("server.key");
        std::fs::copy(&tls.key, &key).unwrap();
        std::fs::copy(&tls.cert, data.join("server.crt")).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir));
        }
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50 -c ssl=on",
            server.port,
            dir.display()
        );
        server.run_pg(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                dir.join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        server.psql(&format!(
            "CREATE USER {su} PASSWORD '{sp}';
             CREATE DATABASE {db} OWNER {su};
             SET password_encryption = 'md5';
             CREATE USER {mu} PASSWORD '{mp}';
             RESET password_encryption;
             CREATE USER {cu} PASSWORD '{cp}';
             GRANT CREATE ON DATABASE {db} TO {cu};
             CREATE USER {tu} PASSWORD '{tp}';
             CREATE USER {pu} PASSWORD '{pp}';
             GRANT CONNECT ON DATABASE {db} TO {pu};",
            pu = SASLPREP_USER.0,
            pp = SASLPREP_USER.1,
            tu = TLS_USER.0,
            tp = TLS_USER.1,
            su = SCRAM_USER.0,
            sp = SCRAM_USER.1,
            mu = MD5_USER.0,
            mp = MD5_USER.1,
            cu = CLEARTEXT_USER.0,
            cp = CLEARTEXT_USER.1,
            db = DATABASE
        ));
        // PostgreSQL 15 lets only the owner create in `public`; the dialect proxies' user runs
        // the seeds' CREATE TABLE.
        server.psql_in(
            DATABASE,
            &format!("GRANT CREATE ON SCHEMA public TO {}", CLEARTEXT_USER.0),
        );
        server
    }

    /// A URL for one of the users, on the given port (the server's own, or a proxy's).
    pub fn url(&self, (user, password): (&str, &str), port: u16) -> String {
        let password: String = password
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("postgres://{user}:{password}@127.0.0.1:{port}/{DATABASE}")
    }

    /// Runs `;`-separated statements as the superuser over the Unix socket, each on its own
    /// (CREATE DATABASE cannot share a transaction).
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in("postgres", sql)
    }

    /// [`Self::psql`] in another database.
    pub fn psql_in(&self, database: &str, sql: &str) -> String {
        let dir = self.dir.to_str().unwrap().to_string();
        let port = self.port.to_string();
        let mut args = vec![
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            &dir,
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            database,
            "-At",
        ];
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            args.extend(["-c", stmt]);
        }
        self.run_pg("psql", &args)
    }

    fn run_pg(&self, tool: &str, args: &[&str]) -> String {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            // PostgreSQL refuses to run as root.
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).current_dir(std::env::temp_dir());
        run_output(&mut cmd)
    }

    /// The server's version number, e.g. `15.18`.
    pub fn version(&self) -> String {
        self.psql("SHOW server_version")
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_string()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }
}

/// Servers left by runs that were killed before they could stop theirs (SIGKILL): their
/// directories name a process that is gone. Stopped and removed, so none pile up.
fn stop_leftovers(bin: &Path, as_postgres: bool) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for dir in entries.flatten().map(|e| e.path()) {
        let owner = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("webdbc-pg-"))
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if owner.is_some_and(|pid| !process_alive(pid)) {
            drop(PgServer {
                port: 0,
                tls_ca: PathBuf::new(),
                dir,
                bin: bin.to_path_buf(),
                as_postgres,
            });
        }
    }
}

/// Whether `pid` runs (a zombie, killed and not yet reaped, does not).
fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(')')?.1.trim_start().starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data_dir();
        if !data.join("postmaster.pid").exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
            return;
        }
        let _ = std::panic::catch_unwind(|| {
            self.run_pg(
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            )
        });
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) {
    run_output(cmd);
}

fn run_output(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A TCP proxy that forwards to `target` and, on each connection, cuts both sides abruptly once
/// the server has sent `cut_after` bytes: a database that dies mid-result.
pub fn start_cutting_proxy(target: u16, cut_after: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            thread::spawn(move || pipe(c2, s2, usize::MAX));
            thread::spawn(move || {
                pipe(server, client, cut_after);
            });
        }
    });
    port
}

/// Copies `from` to `to` until EOF or `limit` bytes, then shuts both down.
fn pipe(mut from: TcpStream, mut to: TcpStream, limit: usize) {
    let mut sent = 0usize;
    let mut buf = [0u8; 16 * 1024];
    while sent < limit {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n.min(limit - sent),
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// A server that answers every connection with an HTTP error page and then stays silent: a
/// relay target that is not a database.
pub fn start_garbage_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                thread::sleep(Duration::from_secs(30));
            });
        }
    });
    port
}

/// Where the repository's pieces are, from this crate's manifest.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

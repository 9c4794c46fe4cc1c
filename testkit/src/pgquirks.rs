//! The Postgres-wire dialects of CrateDB and QuestDB, emulated in front of the real PostgreSQL:
//! a proxy that rewrites the server's messages with the quirks of shared/protocols/
//! postgres-wire.md §10–11, proven with psycopg (tests/python/test_pg_dialects.py).
//!
//! - Both: cleartext passwords only (the throwaway PostgreSQL's cleartext user); any other
//!   method is refused as these servers refuse it.
//! - CrateDB: ParameterStatus `crate_version`; after an error in the extended protocol the next
//!   ReadyForQuery says `E` although no transaction is open.
//! - QuestDB: ParameterStatus `application_name` QuestDB; errors carry SQLSTATE `00000`;
//!   `bytea` columns are sent in binary format whatever was asked; DATE is described and sent as
//!   `timestamp` (1114).
//!
//! Clients must not send SSLRequest (use sslmode=disable): the proxy reads typed messages only.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    Crate,
    QuestDb,
}

/// Starts the proxy in front of PostgreSQL on `pg_port`; returns its port.
pub fn start_dialect_proxy(pg_port: u16, dialect: Dialect) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", pg_port)) else {
                continue;
            };
            let extended = Arc::new(AtomicBool::new(false));
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let ext = extended.clone();
            thread::spawn(move || frontend(client, server, &ext));
            thread::spawn(move || backend(s2, c2, dialect, &extended));
        }
    });
    port
}

fn read_exact(s: &mut TcpStream, n: usize) -> Option<Vec<u8>> {
    let mut b = vec![0u8; n];
    s.read_exact(&mut b).ok()?;
    Some(b)
}

/// Passes the client's messages on, noting whether the extended protocol is in use.
fn frontend(mut client: TcpStream, mut server: TcpStream, extended: &AtomicBool) {
    // The startup message has no type byte.
    let Some(len) = read_exact(&mut client, 4) else {
        return;
    };
    let n = u32::from_be_bytes(len[..4].try_into().unwrap()) as usize;
    let Some(rest) = read_exact(&mut client, n.saturating_sub(4)) else {
        return;
    };
    if server
        .write_all(&len)
        .and_then(|_| server.write_all(&rest))
        .is_err()
    {
        return;
    }
    while let Some(head) = read_exact(&mut client, 5) {
        let n = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
        let Some(body) = read_exact(&mut client, n.saturating_sub(4)) else {
            break;
        };
        match head[0] {
            b'P' | b'B' | b'E' | b'D' | b'C' => extended.store(true, Ordering::SeqCst),
            b'Q' => extended.store(false, Ordering::SeqCst),
            _ => {}
        }
        if server
            .write_all(&head)
            .and_then(|_| server.write_all(&body))
            .is_err()
        {
            break;
        }
    }
    let _ = server.shutdown(std::net::Shutdown::Both);
}

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend(((body.len() + 4) as u32).to_be_bytes());
    m.extend(body);
    m
}

fn parameter_status(name: &str, value: &str) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    b.push(0);
    b.extend(value.as_bytes());
    b.push(0);
    message(b'S', &b)
}

fn error_fields(code: &str, text: &str) -> Vec<u8> {
    let mut b = Vec::new();
    for (field, value) in [(b'S', "ERROR"), (b'C', code), (b'M', text)] {
        b.push(field);
        b.extend(value.as_bytes());
        b.push(0);
    }
    b.push(0);
    b
}

fn cstring(b: &[u8], at: &mut usize) -> Vec<u8> {
    let end = b[*at..]
        .iter()
        .position(|&x| x == 0)
        .map_or(b.len(), |p| *at + p);
    let s = b[*at..end].to_vec();
    *at = (end + 1).min(b.len());
    s
}

/// Rewrites the server's messages with the dialect's quirks.
fn backend(mut server: TcpStream, mut client: TcpStream, dialect: Dialect, extended: &AtomicBool) {
    let mut ready_seen = false;
    let mut error_pending = false;
    // Per result column: (is bytea, is date), from the last RowDescription.
    let mut columns: Vec<(bool, bool)> = Vec::new();
    while let Some(head) = read_exact(&mut server, 5) {
        let n = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
        let Some(body) = read_exact(&mut server, n.saturating_sub(4)) else {
            break;
        };
        let mut out = Vec::new();
        let kind = head[0];
        let body = match (kind, dialect) {
            // Both offer cleartext passwords only: any other method is this server's refusal.
            (b'R', _) if !matches!(body.get(..4), Some([0, 0, 0, 0 | 3])) => {
                let refusal = match dialect {
                    Dialect::Crate => {
                        error_fields("28000", "No valid auth.host_based entry found for the user")
                    }
                    Dialect::QuestDb => error_fields("00000", "invalid username/password"),
                };
                let _ = client.write_all(&message(b'E', &refusal));
                break;
            }
            (b'Z', _) if !ready_seen => {
                ready_seen = true;
                out.extend(match dialect {
                    Dialect::Crate => parameter_status("crate_version", "5.10.3"),
                    Dialect::QuestDb => parameter_status("application_name", "QuestDB"),
                });
                body
            }
            (b'Z', Dialect::Crate) if error_pending => {
                error_pending = false;
                vec![b'E']
            }
            (b'E', Dialect::Crate) => {
                error_pending = extended.load(Ordering::SeqCst);
                body
            }
            (b'E', Dialect::QuestDb) => {
                // Every field as sent, but SQLSTATE 00000, and a refused login is an ERROR
                // (then the connection closes), never FATAL.
                let mut b = Vec::new();
                let mut at = 0;
                while at < body.len() && body[at] != 0 {
                    let code = body[at];
                    at += 1;
                    let value = cstring(&body, &mut at);
                    b.push(code);
                    b.extend(match code {
                        b'C' => b"00000".to_vec(),
                        b'S' | b'V' if !ready_seen => b"ERROR".to_vec(),
                        _ => value,
                    });
                    b.push(0);
                }
                b.push(0);
                b
            }
            (b'T', Dialect::QuestDb) => {
                let count = i16::from_be_bytes([body[0], body[1]]) as usize;
                let mut b = body[..2].to_vec();
                let mut at = 2;
                columns.clear();
                for _ in 0..count {
                    let name = cstring(&body, &mut at);
                    b.extend(&name);
                    b.push(0);
                    let mut f = body[at..at + 18].to_vec();
                    at += 18;
                    let oid = u32::from_be_bytes(f[6..10].try_into().unwrap());
                    let (bytea, date) = (oid == 17, oid == 1082);
                    if date {
                        f[6..10].copy_from_slice(&1114u32.to_be_bytes());
                        f[10..12].copy_from_slice(&8i16.to_be_bytes());
                    }
                    if bytea {
                        f[16..18].copy_from_slice(&1i16.to_be_bytes());
                    }
                    columns.push((bytea, date));
                    b.extend(f);
                }
                b
            }
            (b'D', Dialect::QuestDb) => {
                let count = i16::from_be_bytes([body[0], body[1]]) as usize;
                let mut b = body[..2].to_vec();
                let mut at = 2;
                for i in 0..count {
                    let len = i32::from_be_bytes(body[at..at + 4].try_into().unwrap());
                    at += 4;
                    if len < 0 {
                        b.extend(len.to_be_bytes());
                        continue;
                    }
                    let v = &body[at..at + len as usize];
                    at += len as usize;
                    let v: Vec<u8> = match columns.get(i) {
                        Some((true, _)) => {
                            let hex = v.strip_prefix(b"\\x").unwrap_or(v);
                            (0..hex.len() / 2)
                                .map(|j| {
                                    u8::from_str_radix(
                                        std::str::from_utf8(&hex[2 * j..2 * j + 2]).unwrap_or("00"),
                                        16,
                                    )
                                    .unwrap_or(0)
                                })
                                .collect()
                        }
                        Some((_, true)) => [v, b" 00:00:00"].concat(),
                        _ => v.to_vec(),
                    };
                    b.extend((v.len() as i32).to_be_bytes());
                    b.extend(v);
                }
                b
            }
            _ => body,
        };
        out.extend(message(kind, &body));
        if client.write_all(&out).is_err() {
            break;
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
}

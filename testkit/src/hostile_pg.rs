//! A hostile PostgreSQL server: it lets anyone in (AuthenticationOk), then misbehaves as the
//! database name asks, so the client's guarantees can be tested through the relay and the
//! public API. It ignores CancelRequests (reads them and holds the connection open).
//!
//! - `stall_login`: reads the startup message and answers nothing.
//! - `huge_login`: answers the startup with a message header declaring 0x3fff_fff0 bytes.
//! - `stall`: logs in, then answers no statement.
//! - `truncated`: answers a statement with the first 10 bytes of a 100-byte message, then stalls.
//! - `huge`: answers a statement with a DataRow header declaring 0x3fff_fff0 bytes, then stalls.
//! - `close_mid`: answers a statement with part of a message, then resets the connection.
//! - `negative_length` / `min_length`: a text column whose DataRow length is -2 / i32::MIN.
//! - `empty_error`: an ErrorResponse with no fields for the first statement, then one row.
//! - anything else: one row `('ok')`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the server on a free loopback port.
pub fn start_hostile_pg() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = serve(socket).await;
                });
            }
        });
    });
    port
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Reads until the client goes away: a server that says nothing more.
async fn stall(socket: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 4096];
    while socket.read(&mut buf).await? > 0 {}
    Ok(())
}

async fn serve(mut socket: TcpStream) -> std::io::Result<()> {
    // The startup message (after an SSLRequest, refused), or a CancelRequest.
    let database = loop {
        let len = socket.read_i32().await? as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        socket.read_exact(&mut body).await?;
        match body.get(..4) {
            Some([0x04, 0xd2, 0x16, 0x2f]) => socket.write_all(b"N").await?,
            Some([0x04, 0xd2, 0x16, 0x2e]) => return stall(&mut socket).await, // ignored
            _ => {
                let words: Vec<&[u8]> = body[4..].split(|b| *b == 0).collect();
                let database = words
                    .iter()
                    .position(|w| *w == b"database")
                    .and_then(|i| words.get(i + 1))
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .unwrap_or_default();
                break database;
            }
        }
    };
    match database.as_str() {
        "stall_login" => return stall(&mut socket).await,
        "huge_login" => {
            socket.write_all(b"R\x3f\xff\xff\xf0").await?;
            return stall(&mut socket).await;
        }
        _ => {}
    }
    let mut hello = message(b'R', &0i32.to_be_bytes());
    for (k, v) in [
        ("server_version", "15.0"),
        ("client_encoding", "UTF8"),
        ("integer_datetimes", "on"),
    ] {
        hello.extend(message(b'S', format!("{k}\0{v}\0").as_bytes()));
    }
    hello.extend(message(b'K', &[0, 0, 0, 1, 0, 0, 0, 2]));
    hello.extend(message(b'Z', b"I"));
    socket.write_all(&hello).await?;
    // Client messages; a statement is answered at its Flush, Sync or simple Query.
    let mut pending = false;
    let mut statements = 0;
    loop {
        let tag = socket.read_u8().await?;
        let len = socket.read_i32().await? as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        socket.read_exact(&mut body).await?;
        match tag {
            b'P' => pending = true,
            b'X' => return Ok(()),
            b'H' | b'S' | b'Q' if pending || tag == b'Q' => {
                pending = false;
                statements += 1;
                let extended = tag != b'Q';
                // Misbehaviours that are one-offs answer later statements well.
                let how = match database.as_str() {
                    "empty_error" if statements > 1 => "fine",
                    other => other,
                };
                if !answer(&mut socket, how, extended).await? {
                    return stall(&mut socket).await;
                }
                if tag != b'H' {
                    socket.write_all(&message(b'Z', b"I")).await?;
                }
            }
            b'S' => socket.write_all(&message(b'Z', b"I")).await?,
            _ => {}
        }
    }
}

/// Answers one statement as the database name says; false: stop answering.
async fn answer(socket: &mut TcpStream, database: &str, extended: bool) -> std::io::Result<bool> {
    let mut out = Vec::new();
    if extended {
        out.extend(message(b'1', b""));
        out.extend(message(b'2', b""));
    }
    // One text column, "v".
    let mut description = 1i16.to_be_bytes().to_vec();
    description.extend_from_slice(b"v\0");
    description.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // table oid, column
    description.extend_from_slice(&25u32.to_be_bytes()); // text
    description.extend_from_slice(&(-1i16).to_be_bytes());
    description.extend_from_slice(&(-1i32).to_be_bytes());
    description.extend_from_slice(&0i16.to_be_bytes());
    let row = |len: i32, value: &[u8]| {
        let mut body = 1i16.to_be_bytes().to_vec();
        body.extend_from_slice(&len.to_be_bytes());
        body.extend_from_slice(value);
        message(b'D', &body)
    };
    match database {
        "stall" => return Ok(false),
        "truncated" | "close_mid" => {
            out.extend_from_slice(b"T\x00\x00\x00\x64");
            out.extend_from_slice(&[0u8; 5]);
            socket.write_all(&out).await?;
            if database == "close_mid" {
                // Linger 0: closing resets the connection (a crash, not a goodbye), which the
                // relay passes on as 1011 "backend read failed".
                #[allow(deprecated)]
                socket.set_linger(Some(std::time::Duration::ZERO))?;
                return Err(std::io::ErrorKind::ConnectionReset.into());
            }
            return Ok(false);
        }
        "huge" => {
            out.extend(message(b'T', &description));
            out.extend_from_slice(b"D\x3f\xff\xff\xf0\x00\x01");
            socket.write_all(&out).await?;
            return Ok(false);
        }
        "empty_error" => out.extend(message(b'E', b"\0")),
        "negative_length" | "min_length" => {
            let len = if database == "min_length" {
                i32::MIN
            } else {
                -2
            };
            out.extend(message(b'T', &description));
            out.extend(row(len, b""));
            out.extend(message(b'C', b"SELECT 1\0"));
        }
        _ => {
            out.extend(message(b'T', &description));
            out.extend(row(2, b"ok"));
            out.extend(message(b'C', b"SELECT 1\0"));
        }
    }
    socket.write_all(&out).await?;
    Ok(true)
}

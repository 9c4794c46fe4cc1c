//! What the fuzz targets share: a byte stream and an HTTP server that answer from the fuzzer's
//! input and then end, and one drive of a session through the statements every backend runs.
//! Every run ends: the input is finite, and its end is a broken connection.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use futures::executor::block_on;
use webdbc::core::http::{HttpClient, Request, Response};
use webdbc::core::{Backend, Params, Transport, Value};
use webdbc::{Error, Result};

/// The server's bytes, handed out in chunks whose sizes the input picks too (a message split
/// anywhere must read the same).
pub struct FuzzStream {
    chunks: VecDeque<Vec<u8>>,
}

impl FuzzStream {
    /// The first byte of every chunk is its length (0: the rest of the input).
    pub fn new(data: &[u8]) -> FuzzStream {
        let mut chunks = VecDeque::new();
        let mut rest = data;
        while let Some((&n, tail)) = rest.split_first() {
            let n = if n == 0 {
                tail.len()
            } else {
                usize::from(n).min(tail.len())
            };
            chunks.push_back(tail[..n].to_vec());
            rest = &tail[n..];
        }
        FuzzStream { chunks }
    }
}

impl Transport for FuzzStream {
    async fn send(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        self.chunks
            .pop_front()
            .ok_or_else(|| Error::connection_lost("the fuzz input ended"))
    }

    fn close(&mut self) {
        self.chunks.clear();
    }
}

/// An HTTP server whose replies are the input's parts (split at 0xff, which UTF-8 text never
/// holds): each part's first byte picks the status, the rest is the body. Clones share the
/// replies.
#[derive(Clone)]
pub struct FuzzHttp {
    replies: Rc<RefCell<VecDeque<Response>>>,
}

impl FuzzHttp {
    pub fn new(data: &[u8]) -> FuzzHttp {
        let replies = data
            .split(|b| *b == 0xff)
            .map(|part| {
                let (status, body) = match part.split_first() {
                    Some((s, body)) => (*s, body),
                    None => (0, part),
                };
                Response {
                    status: [200, 200, 200, 400, 401, 404, 500, 503][usize::from(status % 8)],
                    content_type: "application/json".into(),
                    headers: Vec::new(),
                    body: body.to_vec(),
                }
            })
            .collect();
        FuzzHttp {
            replies: Rc::new(RefCell::new(replies)),
        }
    }
}

impl HttpClient for FuzzHttp {
    async fn send(&self, _req: Request) -> Result<Response> {
        self.replies
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| Error::connection_lost("the fuzz input ended"))
    }

    async fn pause(&self, _ms: u32) {}
}

/// What every backend is put through once connected: a query read to its end, a write with
/// parameters, an executemany, a commit and a close. Errors are fine; a panic, a hang or an
/// endless loop is a finding.
pub fn drive<B: Backend>(mut session: B) {
    block_on(async {
        if let Ok(outcome) = session.execute("SELECT a, b FROM t", Params::none()).await {
            let mut more = outcome.more;
            // Bounded: a server cannot keep a finite input going forever.
            while more {
                match session.fetch().await {
                    Ok(batch) => more = !batch.done,
                    Err(_) => break,
                }
            }
        }
        let params = Params::Positional(vec![
            Value::Int(i64::MAX),
            Value::Text("x".into()),
            Value::Null,
        ]);
        let _ = session
            .execute("INSERT INTO t VALUES (?, ?, ?)", params.clone())
            .await;
        let _ = session
            .execute_many(
                "INSERT INTO t VALUES (?, ?, ?)",
                vec![params.clone(), params],
            )
            .await;
        let _ = session.commit().await;
        session.close().await;
    });
}

//! Recording a server's bytes, and replaying them cut or corrupted: a [`Recorder`] wraps a
//! transport and keeps every chunk it received; a [`Replay`] hands those bytes back (the client's
//! own are ignored) and then ends the stream.

use std::cell::RefCell;
use std::rc::Rc;

use webdbc::core::transport::Transport;
use webdbc::{Error, Result};

/// A transport that keeps what the server sent.
pub struct Recorder<T> {
    inner: T,
    pub received: Rc<RefCell<Vec<u8>>>,
}

impl<T> Recorder<T> {
    pub fn new(inner: T) -> Recorder<T> {
        Recorder {
            inner,
            received: Rc::default(),
        }
    }
}

impl<T: Transport> Transport for Recorder<T> {
    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.inner.send(bytes).await
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        let chunk = self.inner.recv().await?;
        self.received.borrow_mut().extend_from_slice(&chunk);
        Ok(chunk)
    }

    fn close(&mut self) {
        self.inner.close();
    }
}

/// The server's bytes again, in chunks of `chunk` bytes, then the end of the stream.
pub struct Replay {
    bytes: Vec<u8>,
    at: usize,
    chunk: usize,
}

impl Replay {
    pub fn new(bytes: Vec<u8>, chunk: usize) -> Replay {
        Replay {
            bytes,
            at: 0,
            chunk,
        }
    }
}

impl Transport for Replay {
    async fn send(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        // A pause point, so that a test's timeout can fire on a client that never stops asking.
        tokio::task::yield_now().await;
        if self.at >= self.bytes.len() {
            return Err(Error::connection_lost("the replay ended"));
        }
        let end = (self.at + self.chunk).min(self.bytes.len());
        let chunk = self.bytes[self.at..end].to_vec();
        self.at = end;
        Ok(chunk)
    }

    fn close(&mut self) {
        self.at = self.bytes.len();
    }
}

/// HTTP replies again, in order whatever is asked (a corrupted reply may send the session
/// elsewhere), then a broken connection. Clones share the replies.
#[derive(Clone)]
pub struct ReplayHttp(std::rc::Rc<RefCell<Replies>>);

type Replies = std::collections::VecDeque<(u16, Vec<u8>)>;

impl ReplayHttp {
    pub fn new(replies: Vec<(u16, Vec<u8>)>) -> ReplayHttp {
        ReplayHttp(std::rc::Rc::new(RefCell::new(replies.into())))
    }
}

impl webdbc::core::http::HttpClient for ReplayHttp {
    async fn send(
        &self,
        _req: webdbc::core::http::Request,
    ) -> Result<webdbc::core::http::Response> {
        tokio::task::yield_now().await;
        let (status, body) = self
            .0
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| Error::connection_lost("the replay ended"))?;
        Ok(webdbc::core::http::Response {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body,
        })
    }

    async fn pause(&self, _ms: u32) {}
}

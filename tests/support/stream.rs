//! A [`Transport`] over a tokio byte stream: a TCP socket to a real server, or an in-memory
//! duplex to one running in the same process.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::Mutex;
use webdbc::core::transport::Transport;
use webdbc::{Error, Result};

type Writer<S> = Arc<Mutex<WriteHalf<S>>>;

pub struct Stream<S> {
    read: Option<ReadHalf<S>>,
    write: Writer<S>,
}

/// The in-memory stream sessions use against the Ignite node.
pub type Memory = Stream<tokio::io::DuplexStream>;

/// Sends on the same stream from outside the session (as a canceller does on a socket).
pub struct Sender<S>(Writer<S>);

impl<S: AsyncWrite> Sender<S> {
    pub async fn send(&self, bytes: &[u8]) {
        self.0.lock().await.write_all(bytes).await.unwrap();
    }
}

impl<S: AsyncRead + AsyncWrite> Stream<S> {
    pub fn new(stream: S) -> (Stream<S>, Sender<S>) {
        let (read, write) = tokio::io::split(stream);
        let write = Arc::new(Mutex::new(write));
        (
            Stream {
                read: Some(read),
                write: write.clone(),
            },
            Sender(write),
        )
    }
}

impl<S: AsyncRead + AsyncWrite> Transport for Stream<S> {
    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        if self.read.is_none() {
            return Err(Error::connection_lost("closed"));
        }
        let mut w = self.write.lock().await;
        w.write_all(bytes).await.map_err(Error::connection_lost)
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        let r = self
            .read
            .as_mut()
            .ok_or_else(|| Error::connection_lost("closed"))?;
        let mut buf = vec![0u8; 64 * 1024];
        match r.read(&mut buf).await {
            Ok(0) => Err(Error::connection_lost("the server closed the connection")),
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) => Err(Error::connection_lost(e)),
        }
    }

    fn close(&mut self) {
        self.read = None;
    }
}

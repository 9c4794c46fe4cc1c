//! A [`Transport`] over an in-memory byte stream (a tokio duplex), for sessions talking to a
//! server running in the same process.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::Mutex;
use webdbc::core::transport::Transport;
use webdbc::{Error, Result};

type Writer = Arc<Mutex<WriteHalf<DuplexStream>>>;

pub struct Memory {
    read: Option<ReadHalf<DuplexStream>>,
    write: Writer,
}

/// Sends on the same stream from outside the session (as a canceller does on a socket).
#[derive(Clone)]
pub struct Sender(Writer);

impl Sender {
    pub async fn send(&self, bytes: &[u8]) {
        self.0.lock().await.write_all(bytes).await.unwrap();
    }
}

impl Memory {
    pub fn new(stream: DuplexStream) -> (Memory, Sender) {
        let (read, write) = tokio::io::split(stream);
        let write = Arc::new(Mutex::new(write));
        (
            Memory {
                read: Some(read),
                write: write.clone(),
            },
            Sender(write),
        )
    }
}

impl Transport for Memory {
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

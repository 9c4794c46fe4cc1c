//! A [`Transport`] over an in-memory byte stream (a tokio duplex), for sessions talking to a
//! server running in the same process.

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use webdbc::core::transport::Transport;
use webdbc::{Error, Result};

pub struct Memory(Option<DuplexStream>);

impl Memory {
    pub fn new(stream: DuplexStream) -> Memory {
        Memory(Some(stream))
    }
}

impl Transport for Memory {
    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let s = self
            .0
            .as_mut()
            .ok_or_else(|| Error::connection_lost("closed"))?;
        s.write_all(bytes).await.map_err(Error::connection_lost)
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        let s = self
            .0
            .as_mut()
            .ok_or_else(|| Error::connection_lost("closed"))?;
        let mut buf = vec![0u8; 64 * 1024];
        match s.read(&mut buf).await {
            Ok(0) => Err(Error::connection_lost("the server closed the connection")),
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) => Err(Error::connection_lost(e)),
        }
    }

    fn close(&mut self) {
        self.0 = None;
    }
}

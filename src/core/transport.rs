//! Byte-stream transports. The protocols only see this trait; the browser gives them a WebSocket
//! through webdbc-relay, native tests give them a TCP socket.

use crate::core::error::Result;

#[allow(async_fn_in_trait)] // single-threaded: wasm futures are not Send, and need not be
pub trait Transport {
    /// Sends the bytes as one message (callers coalesce a whole pipeline into one call).
    async fn send(&mut self, bytes: &[u8]) -> Result<()>;
    /// The next chunk of bytes. Chunks carry no framing. The end of the stream is an error that
    /// says why it ended.
    async fn recv(&mut self) -> Result<Vec<u8>>;
    /// Closes the stream; later calls fail.
    fn close(&mut self);
}

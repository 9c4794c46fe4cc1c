//! Byte-stream transports. The protocols only see this trait; the browser gives them a WebSocket
//! through webdbc-relay, native tests give them a TCP socket.

use crate::core::error::Result;

#[allow(async_fn_in_trait)] // single-threaded: wasm futures are not Send, and need not be
pub trait Transport {
    /// Sends the bytes as one message (callers coalesce a whole pipeline into one call), after
    /// any bytes [`Transport::send_soon`] holds.
    async fn send(&mut self, bytes: &[u8]) -> Result<()>;
    /// Sends the bytes with the next [`Transport::send`], or on their own once the current
    /// turn of the event loop ends: for bytes whose reply nobody waits for yet (a Sync after a
    /// result), which then share the next request's message. By default, at once.
    async fn send_soon(&mut self, bytes: &[u8]) -> Result<()> {
        self.send(bytes).await
    }
    /// Sends what [`Transport::send_soon`] holds now, before waiting for its reply.
    async fn flush(&mut self) -> Result<()> {
        self.send(&[]).await
    }
    /// The next chunk of bytes. Chunks carry no framing. The end of the stream is an error that
    /// says why it ended.
    async fn recv(&mut self) -> Result<Vec<u8>>;
    /// Closes the stream; later calls fail.
    fn close(&mut self);
}

//! Where bytes meet the browser (wasm only): the WebSocket transport to webdbc-relay, the fetch
//! client for HTTP databases, and timers.

pub mod fetch;
pub mod relay_token;
pub mod timer;
pub mod websocket;

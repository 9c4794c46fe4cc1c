//! The JavaScript API (wasm only), the only code that knows JS objects: `connect`, the
//! `Connection` and `Cursor` classes, options, value conversion, PEP 249 error classes, and the
//! batches and tagged values the Python module reads.
//!
//! Async methods are plain functions returning promises over shared state, so a cursor can be
//! cancelled or inspected while one of its operations runs.

mod columns;
mod connection;
mod convert;
mod cursor;
mod errors;
mod options;
pub mod tagged;

pub use connection::Connection;
pub use cursor::Cursor;
pub use errors::{error_classes, to_js};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::Result;

/// Opens a connection. `url` is a database URL (`postgres://user:pass@host:port/db`); options
/// are documented in the README and the TypeScript types.
#[wasm_bindgen(unchecked_return_type = "Promise<Connection>")]
pub fn connect(url: String, options: JsValue) -> js_sys::Promise {
    promise(async move {
        let (opts, convert) = options::connect_options(&options)?;
        let conn = crate::api::connect(&url, opts).await?;
        Ok(Connection::new(conn, convert).into())
    })
}

fn promise(fut: impl std::future::Future<Output = Result<JsValue>> + 'static) -> js_sys::Promise {
    future_to_promise(async move { fut.await.map_err(to_js) })
}

/// A promise of `undefined`.
fn promise_unit(fut: impl std::future::Future<Output = Result<()>> + 'static) -> js_sys::Promise {
    promise(async move { fut.await.map(|()| JsValue::UNDEFINED) })
}

/// Bytes of wasm linear memory, for tests that check results stream in bounded memory.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

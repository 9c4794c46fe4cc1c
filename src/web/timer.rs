//! Timers from the JS event loop: a pause inside an operation, and a deadline on a future.

use futures::future::{select, Either};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::error::{Error, Result};

#[wasm_bindgen(module = "/src/web/timer.js")]
extern "C" {
    type Timer;
    fn timer(ms: f64) -> Timer;
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_js(ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(method, getter)]
    fn promise(this: &Timer) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn cancel(this: &Timer);
}

/// Resolves after `ms`, keeping Node's event loop alive meanwhile (someone awaits it).
pub async fn sleep(ms: u32) {
    let _ = JsFuture::from(sleep_js(f64::from(ms))).await;
}

/// Resolves after `ms` without keeping Node alive: for background ticks (heartbeats) and
/// watchdogs, which must not hold a finished program open. Dropping it clears the timer.
pub fn tick(ms: u32) -> Tick {
    let timer = timer(f64::from(ms));
    let wait = JsFuture::from(timer.promise());
    Tick { timer, wait }
}

/// See [`tick`].
pub struct Tick {
    timer: Timer,
    wait: JsFuture,
}

impl std::future::Future for Tick {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.wait).poll(cx).map(|_| ())
    }
}

impl Drop for Tick {
    fn drop(&mut self) {
        self.timer.cancel();
    }
}

/// `fut`'s output, or an OperationalError after `ms` (the timer is cleared either way).
pub async fn with_timeout<T>(
    ms: u64,
    what: &str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let clock = timer(ms as f64);
    let expired = JsFuture::from(clock.promise());
    futures::pin_mut!(fut);
    let result = match select(fut, expired).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(Error::timeout(what, ms)),
    };
    clock.cancel();
    result
}

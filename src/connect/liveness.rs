//! The clock behind each protocol's liveness: calls the connection's keep-alive on the interval
//! its backend asks for, while the connection lives. What a keep-alive sends (an Ignite
//! heartbeat, a Databend result heartbeat) is the protocol's decision.

use crate::core::Connection;
use crate::web::timer;

use super::AnyBackend;

pub(super) fn start(conn: &Connection<AnyBackend>) {
    let Some(first) = conn.keep_alive_interval_ms() else {
        return;
    };
    let conn = conn.downgrade();
    wasm_bindgen_futures::spawn_local(async move {
        let mut every = first;
        loop {
            // A tick that does not keep Node alive: a forgotten connection must not hold a
            // finished program open.
            timer::tick(every).await;
            let Some(c) = conn.upgrade() else { return };
            match c.keep_alive().await {
                Some(ms) => every = ms,
                None => return,
            }
        }
    });
}

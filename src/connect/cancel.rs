//! Stopping what runs on a connection from outside the operation: the session's cancel token
//! (a protocol value) plus the I/O that delivers it. Nothing here reaches into a session.

use std::rc::Rc;

use js_sys::Function;

use crate::core::error::Result;
use crate::core::{HttpClient, Transport};
use crate::protocols::{databend, databricks, ignite, pg};
use crate::web::fetch::{FetchAbort, FetchClient};
use crate::web::relay_token::{self, RelayToken};
use crate::web::timer::with_timeout;
use crate::web::websocket::{WsHandle, WsTransport};

pub struct Canceller(Kind);

enum Kind {
    /// A CancelRequest over a second relay connection; closing the socket ends everything.
    Postgres {
        relay: String,
        websocket: Option<Function>,
        relay_token: Option<RelayToken>,
        token: pg::CancelToken,
        socket: WsHandle,
    },
    /// OPERATION_CANCEL on the session's own socket; closing the socket ends everything.
    Ignite {
        socket: WsHandle,
        token: ignite::CancelToken,
    },
    /// Aborting the request in flight and, where the server can be asked, stopping the
    /// statement there too (over a client of its own: a cancel must not be aborted with the
    /// request it cancels).
    Http {
        abort: FetchAbort,
        kill: Option<Rc<(FetchClient, KillToken)>>,
    },
}

/// The HTTP databases that can be asked to stop a statement.
pub(super) enum KillToken {
    Databend(databend::CancelToken),
    Databricks(databricks::CancelToken),
}

impl KillToken {
    async fn pull(&self, http: &FetchClient) {
        let request = match self {
            KillToken::Databend(t) => t.request(),
            KillToken::Databricks(t) => t.request(),
        };
        if let Some(req) = request {
            let _ = http.send(req).await; // best effort: the abort has ended our side
        }
    }
}

impl Canceller {
    pub(super) fn postgres(
        relay: String,
        websocket: Option<Function>,
        relay_token: Option<RelayToken>,
        token: pg::CancelToken,
        socket: WsHandle,
    ) -> Canceller {
        Canceller(Kind::Postgres {
            relay,
            websocket,
            relay_token,
            token,
            socket,
        })
    }

    pub(super) fn ignite(socket: WsHandle, token: ignite::CancelToken) -> Canceller {
        Canceller(Kind::Ignite { socket, token })
    }

    pub(super) fn http(abort: FetchAbort, kill: Option<(FetchClient, KillToken)>) -> Canceller {
        Canceller(Kind::Http {
            abort,
            kill: kill.map(Rc::new),
        })
    }

    /// Asks the server to cancel the running statement.
    pub async fn cancel(&self) -> Result<()> {
        match &self.0 {
            Kind::Http { abort, kill } => {
                abort.cancel();
                if let Some(kill) = kill {
                    kill.1.pull(&kill.0).await;
                }
                Ok(())
            }
            Kind::Ignite { socket, token } => match token.frame() {
                Some(frame) => socket.send(&frame),
                None => Ok(()),
            },
            Kind::Postgres {
                relay,
                websocket,
                relay_token,
                token,
                ..
            } => {
                let bytes = token.request()?;
                let relay_token = relay_token::current(relay_token.as_ref()).await?;
                let mut ws =
                    WsTransport::open(relay, websocket.as_ref(), relay_token.as_deref()).await?;
                ws.send(&bytes).await?;
                // The server closes the connection once it has read the request.
                let _ = with_timeout(5_000, "cancel", async { ws.recv().await.map(|_| ()) }).await;
                ws.close();
                Ok(())
            }
        }
    }

    /// Ends the running operation at once, for a close that will not wait for it: its socket
    /// is closed, or its request aborted (and the statement stopped where the server can be
    /// asked).
    pub fn interrupt(&self) {
        match &self.0 {
            Kind::Postgres { socket, .. } | Kind::Ignite { socket, .. } => socket.close(),
            Kind::Http { abort, kill } => {
                abort.close();
                if let Some(kill) = kill.clone() {
                    wasm_bindgen_futures::spawn_local(async move { kill.1.pull(&kill.0).await });
                }
            }
        }
    }
}

//! PostgreSQL and the Postgres wire of CrateDB and QuestDB: through the relay's WebSocket.

use super::{relay_url, AnyBackend, Canceller, Opened, Options};
use crate::core::error::{Error, Result};
use crate::core::Connection;
use crate::protocols::pg::{PgConfig, PgSession};
use crate::web::relay_token;
use crate::web::timer::with_timeout;
use crate::web::websocket::WsTransport;

pub(super) async fn open(url: &str, opts: Options) -> Result<Opened> {
    let mut cfg = PgConfig::from_url(url)?;
    if let Some(n) = opts.fetch_size {
        cfg.fetch_size = n;
    }
    if let Some(ms) = opts.statement_timeout_ms {
        cfg.statement_timeout_ms = Some(ms);
    }
    if let Some(n) = opts.max_message_bytes {
        cfg.max_message_bytes = n;
    }
    if let Some(name) = opts.application_name {
        cfg.application_name = name;
    }
    let relay = opts.relay.ok_or_else(|| {
        Error::interface("Postgres-wire connections go through webdbc-relay: pass connect(url, { relay: 'wss://…/v1/connect' })")
    })?;
    let relay = relay_url(&relay, &cfg.host, cfg.port);
    let timeout = opts
        .connect_timeout_ms
        .or(cfg.connect_timeout_ms)
        .unwrap_or(super::DEFAULT_CONNECT_TIMEOUT_MS);
    let (websocket, relay_token) = (opts.websocket, opts.relay_token);
    let (session, socket) = with_timeout(timeout, "connecting", async {
        let token = relay_token::current(relay_token.as_ref()).await?;
        let ws = WsTransport::open(&relay, websocket.as_ref(), token.as_deref()).await?;
        let socket = ws.handle();
        Ok((PgSession::connect(ws, &cfg).await?, socket))
    })
    .await?;
    let canceller = Canceller::postgres(
        relay,
        websocket,
        relay_token,
        session.cancel_token(),
        socket,
    );
    Ok(Opened {
        core: Connection::new(AnyBackend::Pg(session)),
        canceller,
    })
}

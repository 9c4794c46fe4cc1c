//! Apache Ignite 3 through the relay's WebSocket: each address in turn, as the seed's driver.

use super::{relay_url, AnyBackend, Canceller, Opened, Options};
use crate::core::dsn::parse_address;
use crate::core::error::{Error, Result};
use crate::core::Connection;
use crate::protocols::ignite::{IgniteConfig, IgniteSession, DEFAULT_PORT};
use crate::web::relay_token;
use crate::web::timer::with_timeout;
use crate::web::websocket::WsTransport;

pub(super) async fn open(url: &str, opts: Options) -> Result<Opened> {
    let mut cfg = IgniteConfig::from_url(url)?;
    let o = &opts.ignite;
    if let Some(list) = &o.address {
        cfg.addresses = list
            .iter()
            .map(|a| {
                let (host, port) = parse_address(a)?;
                Ok((host, port.unwrap_or(DEFAULT_PORT)))
            })
            .collect::<Result<_>>()?;
    }
    if o.identity.is_some() {
        cfg.identity = o.identity.clone();
    }
    if o.secret.is_some() {
        cfg.secret = o.secret.clone();
    }
    if let Some(s) = &o.schema {
        cfg.schema = s.clone();
    }
    if let Some(n) = o
        .page_size
        .or(opts.fetch_size.and_then(|n| i32::try_from(n).ok()))
    {
        cfg.page_size = n;
    }
    if let Some(ms) = o
        .timeout_ms
        .or(opts.statement_timeout_ms)
        .filter(|ms| *ms > 0)
    {
        cfg.timeout_ms = Some(ms);
    }
    if let Some(n) = opts.max_message_bytes {
        cfg.max_message_bytes = n;
    }
    let relay = opts.relay.clone().ok_or_else(|| {
        Error::interface("ignite:// connections go through webdbc-relay: pass connect(url, { relay: 'wss://…/v1/connect' })")
    })?;
    if cfg.addresses.is_empty() {
        return Err(Error::interface(
            "no Ignite address: give one in the URL or the address option",
        ));
    }
    // Each address in turn, as the seed's driver does; a refused login is final.
    let mut failures = Vec::new();
    for (host, port) in cfg.addresses.clone() {
        let url = relay_url(&relay, &host, port);
        let attempt = with_timeout(opts.connect_timeout_ms(), "connecting", async {
            let token = relay_token::current(opts.relay_token.as_ref()).await?;
            let ws = WsTransport::open(&url, opts.websocket.as_ref(), token.as_deref()).await?;
            let socket = ws.handle();
            Ok((IgniteSession::connect(ws, &cfg).await?, socket))
        })
        .await;
        match attempt {
            Ok((session, socket)) => {
                let canceller = Canceller::ignite(socket, session.cancel_token());
                return Ok(Opened {
                    core: Connection::new(AnyBackend::Ignite(Box::new(session))),
                    canceller,
                });
            }
            Err(e)
                if e.code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("IGN-AUTHENTICATION")) =>
            {
                return Err(e)
            }
            Err(e) => failures.push(format!("{host}:{port}: {}", e.message)),
        }
    }
    Err(Error::network(format!(
        "could not connect to any Ignite address: {}",
        failures.join("; ")
    )))
}

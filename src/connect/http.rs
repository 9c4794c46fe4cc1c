//! The HTTP databases: a fetch client (direct, or through the relay's HTTP forwarding), then
//! the session's login.

use super::cancel::KillToken;
use super::{AnyBackend, Canceller, Opened, Options};
use crate::core::error::Result;
use crate::core::http::via_relay;
use crate::core::Connection;
use crate::protocols::cratedb::{CrateConfig, CrateSession};
use crate::protocols::databend::{DatabendConfig, DatabendSession};
use crate::protocols::databricks::{DatabricksConfig, DatabricksSession};
use crate::protocols::questdb::{QuestConfig, QuestSession};
use crate::web::fetch::FetchClient;
use crate::web::timer::with_timeout;

/// The fetch client of an HTTP backend at `base_url`, which the relay option reroutes through
/// webdbc-relay's HTTP forwarding. `cors` says what the server would need to allow a page.
fn http_client(opts: &Options, base_url: &mut String, cors: &str) -> Result<FetchClient> {
    let (advice, relay_base) = match &opts.relay {
        Some(relay) => {
            *base_url = via_relay(base_url, relay)?;
            (
                "Is webdbc-relay running, with this server as an --http-target?".to_string(),
                Some(base_url.clone()),
            )
        }
        None => (
            format!(
                "In a browser this is also how a CORS refusal looks: {cors}, or go through \
                 webdbc-relay's HTTP forwarding: connect(url, {{ relay }})."
            ),
            None,
        ),
    };
    // The relay's token goes with requests to the relay only.
    let relay = relay_base.map(|base| (base, opts.relay_token.clone()));
    Ok(FetchClient::new(opts.statement_timeout_ms, advice, relay))
}

/// A client for cancels: its own, so that a cancel is not aborted with what it cancels.
fn kill_client(http: &FetchClient) -> FetchClient {
    http.sibling(Some(10_000))
}

pub(super) async fn open_crate(url: &str, opts: Options) -> Result<Opened> {
    let mut cfg = CrateConfig::from_url(url)?;
    if let Some(n) = opts.fetch_size {
        cfg.fetch_size = n;
    }
    let http = http_client(
        &opts,
        &mut cfg.base_url,
        "allow this page's origin on the node (http.cors.enabled: true, http.cors.allow-origin, \
         and Authorization and Default-Schema in http.cors.allow-headers)",
    )?;
    let abort = http.abort_handle();
    let session = with_timeout(
        opts.connect_timeout_ms(),
        "connecting",
        CrateSession::connect(http, cfg),
    )
    .await?;
    Ok(Opened {
        core: Connection::new(AnyBackend::Crate(session)),
        canceller: Canceller::http(abort, None),
    })
}

pub(super) async fn open_databend(url: &str, opts: Options) -> Result<Opened> {
    let mut cfg = DatabendConfig::from_url(url)?;
    if let Some(n) = opts.fetch_size {
        cfg.pagination
            .insert("max_rows_per_page".into(), serde_json::json!(n));
    }
    cfg.query_id_seed = (js_sys::Math::random() * (u64::MAX as f64)) as u64;
    let http = http_client(
        &opts,
        &mut cfg.base_url,
        "Databend sends no CORS headers, so a page on another origin needs a proxy that adds them",
    )?;
    let (abort, kill_http) = (http.abort_handle(), kill_client(&http));
    let session = with_timeout(
        opts.connect_timeout_ms(),
        "connecting",
        DatabendSession::connect(http, cfg),
    )
    .await?;
    let kill = KillToken::Databend(session.cancel_token());
    Ok(Opened {
        core: Connection::new(AnyBackend::Databend(Box::new(session))),
        canceller: Canceller::http(abort, Some((kill_http, kill))),
    })
}

pub(super) async fn open_questdb(url: &str, opts: Options) -> Result<Opened> {
    let mut cfg = QuestConfig::from_url(url)?;
    if let Some(n) = opts.fetch_size {
        cfg.fetch_size = n;
    }
    // The server stops the statement (Statement-Timeout); the request is abandoned a second
    // later if its answer does not come.
    cfg.statement_timeout_ms = opts.statement_timeout_ms;
    let opts = Options {
        statement_timeout_ms: opts.statement_timeout_ms.map(|ms| ms + 1000),
        ..opts
    };
    let http = http_client(
        &opts,
        &mut cfg.base_url,
        "QuestDB sends no CORS headers, so a page on another origin needs a proxy that adds them",
    )?;
    let abort = http.abort_handle();
    let session = with_timeout(
        opts.connect_timeout_ms(),
        "connecting",
        QuestSession::connect(http, cfg),
    )
    .await?;
    Ok(Opened {
        core: Connection::new(AnyBackend::Quest(session)),
        canceller: Canceller::http(abort, None),
    })
}

pub(super) async fn open_databricks(url: &str, opts: Options) -> Result<Opened> {
    let mut cfg = DatabricksConfig::from_url(url)?;
    // The warehouse stops a statement that outlives its wait (5 s to 50 s); the client gives up
    // on the request at the timeout itself.
    // (0 means none; beyond 50 s the warehouse cannot be told, and only requests are bounded.)
    if let Some(ms) = opts
        .statement_timeout_ms
        .filter(|ms| (1..=50_000).contains(ms))
    {
        cfg.wait_timeout = format!("{}s", ms.div_ceil(1000).max(5));
        cfg.cancel_on_wait_timeout = true;
    }
    let http = http_client(
        &opts,
        &mut cfg.base_url,
        "Databricks sends no CORS headers: pages reach it through a proxy that holds the token \
         (Databricks' own advice)",
    )?;
    let (abort, kill_http) = (http.abort_handle(), kill_client(&http));
    let session = with_timeout(
        opts.connect_timeout_ms(),
        "connecting",
        DatabricksSession::connect(http, cfg),
    )
    .await?;
    let kill = KillToken::Databricks(session.cancel_token());
    Ok(Opened {
        core: Connection::new(AnyBackend::Databricks(Box::new(session))),
        canceller: Canceller::http(abort, Some((kill_http, kill))),
    })
}

//! The JavaScript API (wasm only): `connect`, `Connection`, `Cursor`, PEP 249 error classes.
//!
//! Async methods are plain functions returning promises over shared state, so a cursor can be
//! cancelled or inspected while one of its operations runs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, BigInt, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::client::{self, Backend, Batch, Column, Outcome, Params, Row};
use crate::cratedb::{CrateConfig, CrateSession};
use crate::databend::{DatabendConfig, DatabendSession, Running};
use crate::databricks::{DatabricksConfig, DatabricksSession};
use crate::error::{Error, ErrorKind, Result};
use crate::fetch::{FetchAbort, FetchClient};
use crate::http::{HttpClient, Request};
use crate::ignite::{IgniteConfig, IgniteSession};
use crate::pg::{PgConfig, PgSession};
use crate::questdb::{QuestConfig, QuestSession};
use crate::value::{self, Value};
use crate::ws::WsTransport;

/// The backends a connection can have; the core sees one type.
enum AnyBackend {
    Pg(PgSession<WsTransport>),
    Crate(CrateSession<FetchClient>),
    Databend(Box<DatabendSession<FetchClient>>),
    Quest(QuestSession<FetchClient>),
    Databricks(Box<DatabricksSession<FetchClient>>),
    Ignite(Box<IgniteSession<WsTransport>>),
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            AnyBackend::Pg($b) => $e,
            AnyBackend::Crate($b) => $e,
            AnyBackend::Databend($b) => $e,
            AnyBackend::Quest($b) => $e,
            AnyBackend::Databricks($b) => $e,
            AnyBackend::Ignite($b) => $e,
        }
    };
}

impl Backend for AnyBackend {
    async fn execute(&mut self, sql: &str, params: Params) -> Result<Outcome> {
        each!(self, b => b.execute(sql, params).await)
    }
    async fn execute_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64> {
        each!(self, b => b.execute_many(sql, param_sets).await)
    }
    async fn fetch(&mut self) -> Result<Batch> {
        each!(self, b => b.fetch().await)
    }
    async fn discard(&mut self) -> Result<()> {
        each!(self, b => b.discard().await)
    }
    async fn commit(&mut self) -> Result<()> {
        each!(self, b => b.commit().await)
    }
    async fn rollback(&mut self) -> Result<()> {
        each!(self, b => b.rollback().await)
    }
    fn autocommit(&self) -> bool {
        each!(self, b => b.autocommit())
    }
    fn set_autocommit(&mut self, on: bool) -> Result<()> {
        each!(self, b => b.set_autocommit(on))
    }
    async fn close(&mut self) {
        each!(self, b => b.close().await)
    }
    async fn keep_alive(&mut self) -> Result<()> {
        each!(self, b => b.keep_alive().await)
    }
}

#[wasm_bindgen(module = "/src/js/webdbc.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(kind: &str, message: &str, fields: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = installAsyncIterator)]
    fn install_async_iterator(cursor: &JsValue);
    #[wasm_bindgen(js_name = errorClasses)]
    fn error_classes_js() -> JsValue;
    type Timer;
    fn timer(ms: f64) -> Timer;
    fn sleep(ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(method, getter)]
    fn promise(this: &Timer) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn cancel(this: &Timer);
}

/// The PEP 249 error classes, keyed by name (for the wasm tests; JS imports them from the
/// package itself).
pub fn error_classes() -> JsValue {
    error_classes_js()
}

fn set(obj: &Object, key: &str, v: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key.into(), &v.into());
}

/// A Rust error as an instance of its PEP 249 class, with the server's fields.
pub fn to_js(e: Error) -> JsValue {
    let f = Object::new();
    let opt = |f: &Object, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            set(f, k, v.as_str());
        }
    };
    opt(&f, "code", &e.code);
    opt(&f, "sqlstate", &e.code);
    opt(&f, "severity", &e.severity);
    opt(&f, "detail", &e.detail);
    opt(&f, "hint", &e.hint);
    if let Some(p) = e.position {
        set(&f, "position", p);
    }
    opt(&f, "where", &e.where_);
    opt(&f, "schema", &e.schema);
    opt(&f, "table", &e.table);
    opt(&f, "column", &e.column);
    opt(&f, "dataType", &e.data_type);
    opt(&f, "constraint", &e.constraint);
    make_error(e.kind.name(), &e.message, &f)
}

/// How values are handed to JavaScript.
#[derive(Clone, Copy, Debug)]
struct Convert {
    int64: Int64Mode,
    numeric_as_number: bool,
    dates_as_date: bool,
    parse_json: bool,
    rows_as_objects: bool,
}

#[derive(Clone, Copy, Debug)]
enum Int64Mode {
    BigInt,
    Number,
    String,
}

/// Connect options after validation.
struct Options {
    relay: Option<String>,
    websocket: Option<Function>,
    convert: Convert,
    autocommit: Option<bool>,
    fetch_size: Option<u32>,
    statement_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    application_name: Option<String>,
    /// Ignite's options, named as the seed's driver names them.
    ignite: IgniteOptions,
}

#[derive(Default)]
struct IgniteOptions {
    address: Option<Vec<String>>,
    identity: Option<String>,
    secret: Option<String>,
    schema: Option<String>,
    page_size: Option<i32>,
    timeout_ms: Option<u64>,
}

impl IgniteOptions {
    fn any(&self) -> bool {
        self.address.is_some()
            || self.identity.is_some()
            || self.secret.is_some()
            || self.schema.is_some()
            || self.page_size.is_some()
            || self.timeout_ms.is_some()
    }
}

fn string(name: &str, v: &JsValue) -> Result<String> {
    v.as_string()
        .ok_or_else(|| Error::interface(format!("option {name} must be a string")))
}

fn choice<'a>(name: &str, v: &JsValue, allowed: &[&'a str]) -> Result<&'a str> {
    let s = v.as_string().unwrap_or_default();
    allowed.iter().find(|a| **a == s).copied().ok_or_else(|| {
        Error::interface(format!(
            "option {name} must be one of {}",
            allowed
                .iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

fn number(name: &str, v: &JsValue) -> Result<u64> {
    v.as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0)
        .map(|n| n as u64)
        .ok_or_else(|| Error::interface(format!("option {name} must be a whole number ≥ 0")))
}

fn boolean(name: &str, v: &JsValue) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::interface(format!("option {name} must be true or false")))
}

impl Options {
    fn parse(options: &JsValue) -> Result<Options> {
        let mut o = Options {
            relay: None,
            websocket: None,
            convert: Convert {
                int64: Int64Mode::BigInt,
                numeric_as_number: false,
                dates_as_date: false,
                parse_json: true,
                rows_as_objects: false,
            },
            autocommit: None,
            fetch_size: None,
            statement_timeout_ms: None,
            connect_timeout_ms: None,
            application_name: None,
            ignite: IgniteOptions::default(),
        };
        if options.is_undefined() || options.is_null() {
            return Ok(o);
        }
        if !options.is_object() {
            return Err(Error::interface("connect options must be an object"));
        }
        for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
            let k = key.as_string().unwrap_or_default();
            let v = Reflect::get(options, &key).unwrap_or(JsValue::UNDEFINED);
            if v.is_undefined() {
                continue;
            }
            match k.as_str() {
                "relay" => {
                    o.relay = Some(
                        v.as_string()
                            .ok_or_else(|| Error::interface("option relay must be a URL string"))?,
                    )
                }
                "WebSocket" => {
                    o.websocket =
                        Some(v.dyn_into().map_err(|_| {
                            Error::interface("option WebSocket must be a constructor")
                        })?)
                }
                "int64" => {
                    o.convert.int64 = match choice(&k, &v, &["bigint", "number", "string"])? {
                        "bigint" => Int64Mode::BigInt,
                        "number" => Int64Mode::Number,
                        _ => Int64Mode::String,
                    }
                }
                "numeric" => {
                    o.convert.numeric_as_number = choice(&k, &v, &["string", "number"])? == "number"
                }
                "dates" => o.convert.dates_as_date = choice(&k, &v, &["string", "date"])? == "date",
                "json" => o.convert.parse_json = choice(&k, &v, &["parse", "string"])? == "parse",
                "rowMode" => {
                    o.convert.rows_as_objects = choice(&k, &v, &["array", "object"])? == "object"
                }
                "autocommit" => o.autocommit = Some(boolean(&k, &v)?),
                "fetchSize" => {
                    o.fetch_size = Some(
                        u32::try_from(number(&k, &v)?)
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| Error::interface("option fetchSize must be ≥ 1"))?,
                    )
                }
                "statementTimeout" => o.statement_timeout_ms = Some(number(&k, &v)?),
                "connectTimeout" => o.connect_timeout_ms = Some(number(&k, &v)?),
                "applicationName" => {
                    o.application_name = Some(v.as_string().ok_or_else(|| {
                        Error::interface("option applicationName must be a string")
                    })?)
                }
                "address" => {
                    let list: Vec<String> = match v.dyn_ref::<Array>() {
                        Some(a) => a.iter().map(|x| string(&k, &x)).collect::<Result<_>>()?,
                        None => vec![string(&k, &v)?],
                    };
                    o.ignite.address = Some(list);
                }
                "identity" => o.ignite.identity = Some(string(&k, &v)?),
                "secret" => o.ignite.secret = Some(string(&k, &v)?),
                "schema" => o.ignite.schema = Some(string(&k, &v)?),
                "pageSize" | "page_size" => {
                    o.ignite.page_size = Some(
                        i32::try_from(number(&k, &v)?)
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| Error::interface(format!("option {k} must be ≥ 1")))?,
                    )
                }
                "timeout" => {
                    let secs = v
                        .as_f64()
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .ok_or_else(|| Error::interface("option timeout must be seconds ≥ 0"))?;
                    o.ignite.timeout_ms = Some((secs * 1000.0) as u64);
                }
                _ => return Err(Error::interface(format!("unknown connect option {k:?}"))),
            }
        }
        Ok(o)
    }
}

/// The relay URL for a target: as given if it names one, else with `?address=host:port`.
fn relay_url(relay: &str, host: &str, port: u16) -> String {
    if relay.contains("target=") || relay.contains("address=") {
        return relay.to_string();
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let sep = if relay.contains('?') { '&' } else { '?' };
    format!("{relay}{sep}address={host}:{port}")
}

/// A promise that resolves after `ms`, for pauses within an operation.
pub(crate) fn sleep_promise(ms: f64) -> js_sys::Promise {
    sleep(ms)
}

/// Resolves with `fut`'s output, or fails with OperationalError after `ms`.
pub(crate) async fn with_timeout<T>(
    ms: u64,
    what: &str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    use futures::future::{select, Either};
    let clock = timer(ms as f64);
    let expired = wasm_bindgen_futures::JsFuture::from(clock.promise());
    futures::pin_mut!(fut);
    let result = match select(fut, expired).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(Error::operational(format!(
            "{what} timed out after {ms} ms"
        ))),
    };
    clock.cancel();
    result
}

const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 30_000;

/// Opens a connection. `url` is a database URL (`postgres://user:pass@host:port/db`); options
/// are documented in the README and the TypeScript types.
#[wasm_bindgen(unchecked_return_type = "Promise<Connection>")]
pub fn connect(url: String, options: JsValue) -> js_sys::Promise {
    future_to_promise(async move { open(&url, &options).await.map(JsValue::from).map_err(to_js) })
}

async fn open(url: &str, options: &JsValue) -> Result<Connection> {
    let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
    let opts = Options::parse(options)?;
    let autocommit = opts.autocommit;
    if scheme != "ignite" && opts.ignite.any() {
        return Err(Error::interface(
            "options address, identity, secret, schema, pageSize and timeout are Ignite's: use them with ignite:// URLs",
        ));
    }
    let conn = match scheme.as_str() {
        "postgres" | "postgresql" | "crate+pg" => open_pg(url, opts).await?,
        // QuestDB's Postgres-wire port; its REST API otherwise.
        "questdb" if crate::dsn::Dsn::parse(url)?.port == Some(crate::questdb::PG_WIRE_PORT) => {
            open_pg(url, opts).await?
        }
        "crate" | "http" | "https" => open_crate(url, opts).await?,
        "databend" => open_databend(url, opts).await?,
        "questdb" => open_questdb(url, opts).await?,
        "databricks" => open_databricks(url, opts).await?,
        "ignite" => open_ignite(url, opts).await?,
        _ if !url.contains("://") => {
            return Err(Error::interface(
                "malformed connection URL: expected scheme://host",
            ))
        }
        _ => {
            return Err(Error::interface(format!(
                "unsupported URL scheme {scheme:?}"
            )))
        }
    };
    // The option, for every backend once it is open (a database without transactions refuses
    // autocommit: false).
    if let Some(on) = autocommit {
        if let Err(e) = conn.inner.core.try_set_autocommit(on) {
            conn.inner.core.close().await;
            return Err(e);
        }
    }
    Ok(conn)
}

async fn open_pg(url: &str, opts: Options) -> Result<Connection> {
    let mut cfg = PgConfig::from_url(url)?;
    if let Some(n) = opts.fetch_size {
        cfg.fetch_size = n;
    }
    if let Some(ms) = opts.statement_timeout_ms {
        cfg.statement_timeout_ms = Some(ms);
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
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS);
    let websocket = opts.websocket;
    let (session, socket) = with_timeout(timeout, "connecting", async {
        let ws = WsTransport::open(&relay, websocket.as_ref()).await?;
        let socket = ws.socket();
        Ok((PgSession::connect(ws, &cfg).await?, socket))
    })
    .await?;
    let cancel_request = session.cancel_request();
    Ok(Connection::new(
        AnyBackend::Pg(session),
        Stopper::Pg {
            relay,
            websocket,
            cancel_request,
            socket,
        },
        opts.convert,
    ))
}

/// The fetch client of an HTTP backend at `base_url`, which the relay option reroutes through
/// webdbc-relay's HTTP forwarding. `cors` says what the server would need to allow a page.
fn http_client(opts: &Options, base_url: &mut String, cors: &str) -> Result<FetchClient> {
    let (advice, relay_base) = match &opts.relay {
        Some(relay) => {
            *base_url = crate::http::via_relay(base_url, relay)?;
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
    Ok(FetchClient::new(
        opts.statement_timeout_ms,
        advice,
        relay_base,
    ))
}

fn connect_timeout(opts: &Options) -> u64 {
    opts.connect_timeout_ms
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS)
}

async fn open_crate(url: &str, opts: Options) -> Result<Connection> {
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
        connect_timeout(&opts),
        "connecting",
        CrateSession::connect(http, cfg),
    )
    .await?;
    Ok(Connection::new(
        AnyBackend::Crate(session),
        Stopper::Http { abort, kill: None },
        opts.convert,
    ))
}

async fn open_databend(url: &str, opts: Options) -> Result<Connection> {
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
    let abort = http.abort_handle();
    let (heartbeat_http, kill_http) = (http.sibling(Some(10_000)), http.sibling(Some(10_000)));
    let session = with_timeout(
        connect_timeout(&opts),
        "connecting",
        DatabendSession::connect(http, cfg),
    )
    .await?;
    let handle = Rc::new(DatabendHandle {
        cfg: session.cfg.clone(),
        running: session.running.clone(),
        http: heartbeat_http,
    });
    let (cfg, running) = (session.cfg.clone(), session.running.clone());
    let kill = KillSwitch::new(kill_http, move || running.borrow().kill(&cfg));
    let conn = Connection::new(
        AnyBackend::Databend(Box::new(session)),
        Stopper::Http {
            abort,
            kill: Some(kill),
        },
        opts.convert,
    );
    wasm_bindgen_futures::spawn_local(keep_alive(handle, Rc::downgrade(&conn.inner)));
    Ok(conn)
}

async fn open_questdb(url: &str, opts: Options) -> Result<Connection> {
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
        connect_timeout(&opts),
        "connecting",
        QuestSession::connect(http, cfg),
    )
    .await?;
    Ok(Connection::new(
        AnyBackend::Quest(session),
        Stopper::Http { abort, kill: None },
        opts.convert,
    ))
}

async fn open_databricks(url: &str, opts: Options) -> Result<Connection> {
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
    let abort = http.abort_handle();
    let kill_http = http.sibling(Some(10_000));
    let session = with_timeout(
        connect_timeout(&opts),
        "connecting",
        DatabricksSession::connect(http, cfg),
    )
    .await?;
    let (cfg, running) = (session.cfg.clone(), session.running.clone());
    let kill = KillSwitch::new(kill_http, move || {
        running.borrow().as_deref().map(|id| cfg.cancel_request(id))
    });
    Ok(Connection::new(
        AnyBackend::Databricks(Box::new(session)),
        Stopper::Http {
            abort,
            kill: Some(kill),
        },
        opts.convert,
    ))
}

/// Stops the statement running on the server, for backends that can be asked to.
struct KillSwitch {
    /// The request that stops what runs now, if anything does.
    request: Box<dyn Fn() -> Option<Request>>,
    /// Its own client: a cancel must not be aborted with the request it cancels.
    http: FetchClient,
}

impl KillSwitch {
    /// `http`: a client of its own, so that a cancel is not aborted with what it cancels.
    fn new(http: FetchClient, request: impl Fn() -> Option<Request> + 'static) -> Rc<KillSwitch> {
        Rc::new(KillSwitch {
            request: Box::new(request),
            http,
        })
    }

    async fn pull(&self) {
        if let Some(req) = (self.request)() {
            let _ = self.http.send(req).await;
        }
    }
}

async fn open_ignite(url: &str, opts: Options) -> Result<Connection> {
    let mut cfg = IgniteConfig::from_url(url)?;
    let o = &opts.ignite;
    if let Some(list) = &o.address {
        cfg.addresses = list
            .iter()
            .map(|a| {
                let (host, port) = crate::dsn::parse_address(a)?;
                Ok((host, port.unwrap_or(crate::ignite::DEFAULT_PORT)))
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
        let attempt = with_timeout(connect_timeout(&opts), "connecting", async {
            let ws = WsTransport::open(&url, opts.websocket.as_ref()).await?;
            let socket = ws.socket();
            Ok((IgniteSession::connect(ws, &cfg).await?, socket))
        })
        .await;
        match attempt {
            Ok((session, socket)) => {
                let stopper = Stopper::Ignite {
                    socket,
                    next_id: session.next_id.clone(),
                    running: session.running.clone(),
                };
                let idle = session.idle_timeout_ms;
                let conn =
                    Connection::new(AnyBackend::Ignite(Box::new(session)), stopper, opts.convert);
                if idle > 0 {
                    // Heartbeats at a third of the node's idle timeout, as the Java client.
                    let every = (idle / 3).clamp(500, 30_000) as f64;
                    wasm_bindgen_futures::spawn_local(heartbeat(Rc::downgrade(&conn.inner), every));
                }
                return Ok(conn);
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
    Err(Error::operational(format!(
        "could not connect to any Ignite address: {}",
        failures.join("; ")
    )))
}

/// Heartbeats every `every_ms` while the connection lives and no operation runs.
async fn heartbeat(conn: std::rc::Weak<ConnInner>, every_ms: f64) {
    loop {
        let _ = wasm_bindgen_futures::JsFuture::from(timer(every_ms).promise()).await;
        let Some(c) = conn.upgrade().filter(|c| !c.core.is_closed()) else {
            return;
        };
        let _ = c.core.keep_alive().await;
    }
}

/// What keeps a Databend result alive: its heartbeat.
struct DatabendHandle {
    cfg: DatabendConfig,
    running: Rc<RefCell<Running>>,
    http: FetchClient,
}

/// Heartbeats for a result left unread, so that the server keeps it (as bendsql does): when no
/// reply came for half the server's result timeout, while the connection lives.
async fn keep_alive(handle: Rc<DatabendHandle>, conn: std::rc::Weak<ConnInner>) {
    let (mut last, mut idle_ticks) = (0u64, 0u32);
    loop {
        let secs = handle.running.borrow().result_timeout_secs;
        let tick_ms = if secs == 0 {
            15_000
        } else {
            (secs * 1000 / 4).clamp(500, 15_000)
        };
        let _ = wasm_bindgen_futures::JsFuture::from(timer(tick_ms as f64).promise()).await;
        match conn.upgrade() {
            Some(c) if !c.core.is_closed() => {}
            _ => return,
        }
        let (activity, beat) = {
            let r = handle.running.borrow();
            (r.activity, r.heartbeat(&handle.cfg))
        };
        idle_ticks = if activity == last && beat.is_some() {
            idle_ticks + 1
        } else {
            0
        };
        last = activity;
        if idle_ticks >= 2 {
            idle_ticks = 0;
            if let Some(req) = beat {
                let _ = handle.http.send(req).await;
            }
        }
    }
}

/// How a running operation is stopped from outside it.
enum Stopper {
    /// A CancelRequest over a second relay connection; closing the socket ends everything.
    Pg {
        relay: String,
        websocket: Option<Function>,
        cancel_request: Option<Vec<u8>>,
        socket: web_sys::WebSocket,
    },
    /// OPERATION_CANCEL on the session's own socket (Ignite answers requests out of order);
    /// closing the socket ends everything.
    Ignite {
        socket: web_sys::WebSocket,
        next_id: Rc<Cell<i64>>,
        running: Rc<Cell<Option<i64>>>,
    },
    /// Aborting the request in flight, and where the server can be asked, stopping the
    /// statement there too.
    Http {
        abort: FetchAbort,
        kill: Option<Rc<KillSwitch>>,
    },
}

struct ConnInner {
    core: client::Connection<AnyBackend>,
    stopper: Stopper,
    convert: Convert,
}

impl ConnInner {
    /// Asks the server to cancel the running statement.
    async fn cancel(&self) -> Result<()> {
        use crate::transport::Transport;
        let (relay, websocket, cancel_request) = match &self.stopper {
            Stopper::Http { abort, kill } => {
                abort.cancel();
                if let Some(k) = kill {
                    k.pull().await;
                }
                return Ok(());
            }
            Stopper::Ignite {
                socket,
                next_id,
                running,
            } => {
                if let Some(target) = running.get() {
                    let id = next_id.get();
                    next_id.set(id + 1);
                    socket
                        .send_with_u8_array(&crate::ignite::cancel_frame(id, target))
                        .map_err(|_| Error::connection_lost("cannot send the cancel"))?;
                }
                return Ok(());
            }
            Stopper::Pg {
                relay,
                websocket,
                cancel_request,
                ..
            } => (relay, websocket, cancel_request),
        };
        let bytes = cancel_request
            .as_ref()
            .ok_or_else(|| Error::not_supported("the server gave no cancel key"))?;
        let mut ws = WsTransport::open(relay, websocket.as_ref()).await?;
        ws.send(bytes).await?;
        // The server closes the connection once it has read the request.
        let _ = with_timeout(5_000, "cancel", async { ws.recv().await.map(|_| ()) }).await;
        ws.close();
        Ok(())
    }
}

fn promise(fut: impl std::future::Future<Output = Result<JsValue>> + 'static) -> js_sys::Promise {
    future_to_promise(async move { fut.await.map_err(to_js) })
}

/// A promise of `undefined`.
fn promise_unit(fut: impl std::future::Future<Output = Result<()>> + 'static) -> js_sys::Promise {
    promise(async move { fut.await.map(|()| JsValue::UNDEFINED) })
}

#[wasm_bindgen]
pub struct Connection {
    inner: Rc<ConnInner>,
}

impl Connection {
    fn new(backend: AnyBackend, stopper: Stopper, convert: Convert) -> Connection {
        Connection {
            inner: Rc::new(ConnInner {
                core: client::Connection::new(backend),
                stopper,
                convert,
            }),
        }
    }
}

#[wasm_bindgen]
impl Connection {
    /// A new cursor on this connection.
    #[wasm_bindgen(unchecked_return_type = "Cursor")]
    pub fn cursor(&self) -> Result<JsValue, JsValue> {
        let core = self.inner.core.cursor().map_err(to_js)?;
        let cursor = JsValue::from(Cursor {
            inner: Rc::new(CursorInner {
                core,
                conn: self.inner.clone(),
                arraysize: Cell::new(1),
            }),
        });
        install_async_iterator(&cursor);
        Ok(cursor)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn commit(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move { inner.core.commit().await })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn rollback(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move { inner.core.rollback().await })
    }

    /// QuestDB only: loads CSV into `table` through `/imp` (created when missing). `data`: text,
    /// Uint8Array or ArrayBuffer. `options`: `overwrite`, `timestamp`, `partitionBy`,
    /// `atomicity` ('skipCol' | 'skipRow' | 'abort'), `delimiter`, `forceHeader`, `schema` (an
    /// array of `{ name, type, pattern? }`). Resolves with QuestDB's report
    /// (`rowsImported`, `rowsRejected`, `header`, `columns`).
    #[wasm_bindgen(js_name = importCsv, unchecked_return_type = "Promise<ImportReport>")]
    pub fn import_csv(&self, table: String, data: JsValue, options: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        let setup = (|| {
            let bytes = if let Some(s) = data.as_string() {
                s.into_bytes()
            } else if let Some(a) = data.dyn_ref::<Uint8Array>() {
                a.to_vec()
            } else if let Some(b) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                Uint8Array::new(b).to_vec()
            } else {
                return Err(Error::programming(
                    "importCsv data must be a string, a Uint8Array or an ArrayBuffer",
                ));
            };
            let (params, schema) = import_options(&options)?;
            Ok((bytes, params, schema))
        })();
        promise(async move {
            let (bytes, params, schema) = setup?;
            let mut backend = inner.core.backend().await?;
            let AnyBackend::Quest(session) = &mut *backend else {
                return Err(Error::not_supported(
                    "importCsv is QuestDB's /imp: other databases load with INSERT or executemany",
                ));
            };
            let report = session.import_csv(&table, &bytes, &params, schema).await?;
            js_sys::JSON::parse(&report.to_string())
                .map_err(|_| Error::malformed("the import report is not JSON"))
        })
    }

    /// Cancels the statement running on this connection, if any.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cancel(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move { inner.cancel().await })
    }

    /// Closes at once: a running operation fails with "connection lost" instead of being waited for.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        if inner.core.is_busy() {
            match &inner.stopper {
                Stopper::Pg { socket, .. } | Stopper::Ignite { socket, .. } => {
                    let _ = socket.close();
                }
                Stopper::Http { abort, kill } => {
                    abort.close();
                    if let Some(k) = kill.clone() {
                        wasm_bindgen_futures::spawn_local(async move { k.pull().await });
                    }
                }
            }
        }
        promise_unit(async move {
            inner.core.close().await;
            Ok(())
        })
    }

    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.inner.core.is_closed()
    }

    #[wasm_bindgen(getter)]
    pub fn autocommit(&self) -> bool {
        self.inner.core.autocommit()
    }

    /// Takes effect from the next statement; refused inside a transaction or while an operation runs.
    #[wasm_bindgen(setter)]
    pub fn set_autocommit(&self, on: bool) -> Result<(), JsValue> {
        self.inner.core.try_set_autocommit(on).map_err(to_js)
    }
}

struct CursorInner {
    core: client::Cursor<AnyBackend>,
    conn: Rc<ConnInner>,
    arraysize: Cell<u32>,
}

#[wasm_bindgen]
pub struct Cursor {
    inner: Rc<CursorInner>,
}

/// Watches an AbortSignal: when it fires, the running statement is cancelled.
struct AbortWatch {
    signal: JsValue,
    handler: Closure<dyn FnMut()>,
}

impl AbortWatch {
    fn new(options: &JsValue, conn: &Rc<ConnInner>) -> Result<Option<AbortWatch>> {
        if !options.is_object() {
            return Ok(None);
        }
        let signal = Reflect::get(options, &"signal".into()).unwrap_or(JsValue::UNDEFINED);
        if signal.is_undefined() || signal.is_null() {
            return Ok(None);
        }
        if Reflect::get(&signal, &"aborted".into())
            .ok()
            .and_then(|a| a.as_bool())
            == Some(true)
        {
            return Err(aborted());
        }
        let conn = conn.clone();
        let handler = Closure::<dyn FnMut()>::new(move || {
            let conn = conn.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = conn.cancel().await;
            });
        });
        let add: Function = Reflect::get(&signal, &"addEventListener".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| Error::interface("option signal must be an AbortSignal"))?;
        let _ = add.call2(&signal, &"abort".into(), handler.as_ref());
        Ok(Some(AbortWatch { signal, handler }))
    }
}

impl Drop for AbortWatch {
    fn drop(&mut self) {
        if let Ok(remove) = Reflect::get(&self.signal, &"removeEventListener".into())
            .and_then(|f| f.dyn_into::<Function>())
        {
            let _ = remove.call2(&self.signal, &"abort".into(), self.handler.as_ref());
        }
    }
}

fn aborted() -> Error {
    let mut e = Error::operational("the statement was aborted by its AbortSignal");
    e.code = Some("57014".into());
    e
}

/// /imp URL parameters, and the schema part.
type ImportOptions = (Vec<(String, String)>, Option<String>);

/// importCsv options as /imp URL parameters, and the schema part.
fn import_options(options: &JsValue) -> Result<ImportOptions> {
    let mut params = Vec::new();
    let mut schema = None;
    if options.is_undefined() || options.is_null() {
        return Ok((params, schema));
    }
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let k = key.as_string().unwrap_or_default();
        let v = Reflect::get(options, &key).unwrap_or(JsValue::UNDEFINED);
        if v.is_undefined() {
            continue;
        }
        let name = match k.as_str() {
            "overwrite" | "forceHeader" => {
                params.push((k.clone(), boolean(&k, &v)?.to_string()));
                continue;
            }
            "schema" => {
                let text = js_sys::JSON::stringify(&v)
                    .map_err(|_| Error::interface("importCsv option schema must be JSON"))?;
                schema = Some(String::from(text));
                continue;
            }
            "timestamp" | "partitionBy" | "delimiter" => k.clone(),
            "atomicity" => {
                choice(&k, &v, &["skipCol", "skipRow", "abort"])?;
                k.clone()
            }
            _ => return Err(Error::interface(format!("unknown importCsv option {k:?}"))),
        };
        let text = v
            .as_string()
            .ok_or_else(|| Error::interface(format!("importCsv option {k} must be a string")))?;
        params.push((name, text));
    }
    Ok((params, schema))
}

fn execute_options(options: &JsValue) -> Result<()> {
    if options.is_undefined() || options.is_null() {
        return Ok(());
    }
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let k = key.as_string().unwrap_or_default();
        if k != "signal" {
            return Err(Error::interface(format!("unknown execute option {k:?}")));
        }
    }
    Ok(())
}

#[wasm_bindgen]
impl Cursor {
    /// Runs one statement. `params`: an array for `?` (or `$n`) placeholders, an object for
    /// `:name` ones. `options.signal`: an AbortSignal that cancels the statement.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn execute(&self, sql: String, params: JsValue, options: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        let setup = (|| {
            execute_options(&options)?;
            let params = to_params(&params)?;
            let watch = AbortWatch::new(&options, &inner.conn)?;
            Ok((params, watch))
        })();
        promise_unit(async move {
            let (params, _watch) = setup?; // listens until the statement ends
            inner.core.execute(&sql, params).await
        })
    }

    /// Runs one statement once per parameter set (an array of arrays or of objects).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn executemany(&self, sql: String, seq_of_params: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        let sets = (|| {
            let arr: &Array = seq_of_params.dyn_ref().ok_or_else(|| {
                Error::programming("executemany takes an array of parameter sets")
            })?;
            arr.iter()
                .map(|p| to_params(&p))
                .collect::<Result<Vec<_>>>()
        })();
        promise_unit(async move { inner.core.execute_many(&sql, sets?).await })
    }

    /// The next row, or null at the end.
    #[wasm_bindgen(unchecked_return_type = "Promise<any[] | Record<string, any> | null>")]
    pub fn fetchone(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let rows = inner.core.fetch(1).await?;
            if rows.is_empty() {
                return Ok(JsValue::NULL);
            }
            Ok(inner.rows_to_js(rows)?.get(0))
        })
    }

    /// Up to `size` rows (default: arraysize); fewer only at the end.
    #[wasm_bindgen(unchecked_return_type = "Promise<any[]>")]
    pub fn fetchmany(&self, size: Option<u32>) -> js_sys::Promise {
        let inner = self.inner.clone();
        let n = size.unwrap_or(inner.arraysize.get()) as usize;
        promise(async move {
            let rows = inner.core.fetch(n).await?;
            Ok(inner.rows_to_js(rows)?.into())
        })
    }

    /// All remaining rows.
    #[wasm_bindgen(unchecked_return_type = "Promise<any[]>")]
    pub fn fetchall(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            // Chunk by chunk: each is converted while the server sends the next, and the wasm
            // heap holds one chunk, not the whole result.
            let all = Array::new();
            loop {
                let rows = inner.core.fetch(FETCHALL_CHUNK).await?;
                let last = rows.len() < FETCHALL_CHUNK;
                inner.append_rows(&all, rows)?;
                if last {
                    return Ok(all.into());
                }
            }
        })
    }

    /// The Python module's `execute`: parameters as tagged JSON (src/tagged.rs).
    #[wasm_bindgen(js_name = executeJson, unchecked_return_type = "Promise<void>")]
    pub fn execute_json(&self, sql: String, params: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            let params = crate::tagged::params_from_json(&params)?;
            inner.core.execute(&sql, params).await
        })
    }

    /// The Python module's `executemany`: parameter sets as tagged JSON.
    #[wasm_bindgen(js_name = executemanyJson, unchecked_return_type = "Promise<void>")]
    pub fn executemany_json(&self, sql: String, sets: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            let sets = crate::tagged::param_sets_from_json(&sets)?;
            inner.core.execute_many(&sql, sets).await
        })
    }

    /// The Python module's fetch: up to `size` rows as tagged JSON.
    #[wasm_bindgen(js_name = fetchJson, unchecked_return_type = "Promise<string>")]
    pub fn fetch_json(&self, size: u32) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let rows = inner.core.fetch(size as usize).await?;
            Ok(crate::tagged::rows_to_json(&rows).into())
        })
    }

    /// PEP 249 description: one object per column, or null when the statement returned no rows.
    #[wasm_bindgen(getter, unchecked_return_type = "ColumnDescription[] | null")]
    pub fn description(&self) -> JsValue {
        match self.inner.core.description() {
            None => JsValue::NULL,
            Some(cols) => cols.iter().map(column_to_js).collect::<Array>().into(),
        }
    }

    /// Rows affected or returned; -1 while unknown (a result still streaming).
    #[wasm_bindgen(getter)]
    pub fn rowcount(&self) -> f64 {
        self.inner.core.rowcount() as f64
    }

    #[wasm_bindgen(getter)]
    pub fn arraysize(&self) -> u32 {
        self.inner.arraysize.get()
    }

    #[wasm_bindgen(setter)]
    pub fn set_arraysize(&self, n: u32) {
        self.inner.arraysize.set(n.max(1));
    }

    /// Cancels the statement running on this cursor's connection.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cancel(&self) -> js_sys::Promise {
        let conn = self.inner.conn.clone();
        promise_unit(async move { conn.cancel().await })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.core.close().await;
            Ok(())
        })
    }
}

fn column_to_js(c: &Column) -> JsValue {
    let o = Object::new();
    let num = |v: Option<i64>| v.map_or(JsValue::NULL, |n| JsValue::from(n as f64));
    set(&o, "name", c.name.as_str());
    set(&o, "typeCode", c.type_code.as_str());
    set(&o, "displaySize", num(c.display_size));
    set(&o, "internalSize", num(c.internal_size));
    set(&o, "precision", num(c.precision));
    set(&o, "scale", num(c.scale));
    set(&o, "nullOk", c.null_ok.map_or(JsValue::NULL, JsValue::from));
    o.into()
}

impl CursorInner {
    fn rows_to_js(&self, rows: Vec<Row>) -> Result<Array> {
        let out = Array::new();
        self.append_rows(&out, rows)?;
        Ok(out)
    }

    /// Converts `rows` and appends them to `out`.
    fn append_rows(&self, out: &Array, rows: Vec<Row>) -> Result<()> {
        let cols = self.core.description().unwrap_or_else(|| Rc::new([]));
        let convert = self.conn.convert;
        let int64: Vec<bool> = cols.iter().map(|c| c.int64).collect();
        // Keys only for object rows: this runs for every fetch, fetchone included.
        let names: Vec<JsValue> = match convert.rows_as_objects {
            true => cols
                .iter()
                .map(|c| JsValue::from(c.name.as_str()))
                .collect(),
            false => Vec::new(),
        };
        let start = out.length();
        for (i, row) in rows.into_iter().enumerate() {
            let js_row: JsValue = if convert.rows_as_objects {
                let o = Object::new();
                for (j, v) in row.into_iter().enumerate() {
                    let _ = Reflect::set(&o, &names[j], &value_to_js(v, int64[j], &convert)?);
                }
                o.into()
            } else {
                let a = Array::new_with_length(row.len() as u32);
                for (j, v) in row.into_iter().enumerate() {
                    a.set(j as u32, value_to_js(v, int64[j], &convert)?);
                }
                a.into()
            };
            out.set(start + i as u32, js_row);
        }
        Ok(())
    }
}

/// Rows converted per step of fetchall().
const FETCHALL_CHUNK: usize = 4096;

/// 2^53 - 1: the largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

fn value_to_js(v: Value, int64: bool, c: &Convert) -> Result<JsValue> {
    Ok(match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => b.into(),
        // Any integer a JS number cannot hold exactly goes as the int64 option says, whatever
        // its column claims.
        Value::Int(i) if !int64 && (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => {
            (i as f64).into()
        }
        Value::Int(i) => match c.int64 {
            Int64Mode::BigInt => BigInt::from(i).into(),
            Int64Mode::String => i.to_string().into(),
            Int64Mode::Number if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => (i as f64).into(),
            Int64Mode::Number => {
                return Err(Error::data(format!(
                    "int8 value {i} does not fit a JS number exactly; connect with int64: 'bigint' or 'string'"
                )))
            }
        },
        Value::Float(f) => f.into(),
        // An integer beyond i64 (UInt64) in a 64-bit integer column: as the others in it.
        Value::Decimal(s) if int64 => match c.int64 {
            Int64Mode::BigInt => BigInt::new(&JsValue::from_str(&s))
                .map_err(|_| Error::data(format!("cannot read integer {s}")))?
                .into(),
            Int64Mode::String => s.into(),
            Int64Mode::Number => {
                return Err(Error::data(format!(
                    "integer {s} does not fit a JS number exactly; connect with int64: 'bigint' or 'string'"
                )))
            }
        },
        Value::Decimal(s) if c.numeric_as_number => decimal_to_number(&s)?.into(),
        Value::Decimal(s) | Value::Text(s) => s.into(),
        Value::Json(s) if c.parse_json => js_sys::JSON::parse(&s).map_err(|_| Error::data("the server sent invalid JSON"))?,
        Value::Json(s) => s.into(),
        Value::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
        Value::Date(d) if c.dates_as_date => match d {
            value::INFINITY_DAYS => f64::INFINITY.into(),
            value::NEG_INFINITY_DAYS => f64::NEG_INFINITY.into(),
            _ => js_sys::Date::new(&(f64::from(d) * 86_400_000.0).into()).into(),
        },
        Value::Date(d) => value::format_date(d).into(),
        Value::Time(t) => value::format_time(t).into(),
        Value::Timestamp(t) | Value::TimestampTz(t) if c.dates_as_date => match t {
            value::INFINITY_MICROS => f64::INFINITY.into(),
            value::NEG_INFINITY_MICROS => f64::NEG_INFINITY.into(),
            // JS dates hold milliseconds: microseconds are truncated toward the past.
            _ => js_sys::Date::new(&(t.div_euclid(1000) as f64).into()).into(),
        },
        Value::Timestamp(t) => value::format_timestamp(t, false).into(),
        Value::TimestampTz(t) => value::format_timestamp(t, true).into(),
        Value::Interval(iv) => value::format_interval(iv).into(),
        Value::Uuid(u) => value::format_uuid(&u).into(),
        Value::Array(items) => {
            let a = Array::new_with_length(items.len() as u32);
            for (i, item) in items.into_iter().enumerate() {
                a.set(i as u32, value_to_js(item, int64, c)?);
            }
            a.into()
        }
    })
}

/// A decimal as a JS number, only when the number is exactly the decimal.
fn decimal_to_number(s: &str) -> Result<f64> {
    match s {
        "NaN" => return Ok(f64::NAN),
        "Infinity" => return Ok(f64::INFINITY),
        "-Infinity" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    let f: f64 = s
        .parse()
        .map_err(|_| Error::data(format!("cannot read numeric {s:?}")))?;
    if normalize_decimal(&f.to_string()) != normalize_decimal(s) {
        return Err(Error::data(format!(
            "numeric {s} has no exact JS number; connect with numeric: 'string' to keep it exact"
        )));
    }
    Ok(f)
}

fn normalize_decimal(s: &str) -> String {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let body = match (int.is_empty(), frac.is_empty()) {
        (true, true) => return "0".into(),
        (_, true) => int.to_string(),
        (true, false) => format!("0.{frac}"),
        (false, false) => format!("{int}.{frac}"),
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

fn to_params(params: &JsValue) -> Result<Params> {
    if params.is_undefined() || params.is_null() {
        return Ok(Params::none());
    }
    if let Some(arr) = params.dyn_ref::<Array>() {
        return Ok(Params::Positional(
            arr.iter().map(|v| js_to_value(&v)).collect::<Result<_>>()?,
        ));
    }
    if is_plain_object(params) {
        let mut pairs = Vec::new();
        for entry in Object::entries(params.unchecked_ref()).iter() {
            let entry: Array = entry.unchecked_into();
            pairs.push((
                entry.get(0).as_string().unwrap_or_default(),
                js_to_value(&entry.get(1))?,
            ));
        }
        return Ok(Params::Named(pairs));
    }
    Err(Error::programming(
        "parameters must be an array (for ? placeholders) or an object (for :name placeholders)",
    ))
}

fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && {
        let proto = Object::get_prototype_of(v);
        proto.is_null() || proto == Object::get_prototype_of(&Object::new().into())
    }
}

fn js_to_value(v: &JsValue) -> Result<Value> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(f) = v.as_f64() {
        return Ok(if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 {
            Value::Int(f as i64)
        } else {
            Value::Float(f)
        });
    }
    if v.is_bigint() {
        let text = String::from(
            v.unchecked_ref::<BigInt>()
                .to_string(10)
                .map_err(|_| Error::data("unreadable BigInt"))?,
        );
        return Ok(text
            .parse::<i64>()
            .map(Value::Int)
            .unwrap_or(Value::Decimal(text)));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Text(s));
    }
    if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        let ms = d.get_time();
        if ms.is_nan() {
            return Err(Error::data("an invalid Date cannot be a parameter"));
        }
        return Ok(Value::TimestampTz(ms as i64 * 1000));
    }
    if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        return Ok(Value::Bytes(bytes.to_vec()));
    }
    if let Some(buf) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Value::Bytes(Uint8Array::new(buf).to_vec()));
    }
    if let Some(arr) = v.dyn_ref::<Array>() {
        return Ok(Value::Array(
            arr.iter().map(|x| js_to_value(&x)).collect::<Result<_>>()?,
        ));
    }
    if v.is_object() {
        let text = js_sys::JSON::stringify(v)
            .map_err(|_| Error::data("an object parameter must be JSON-serialisable"))?;
        return Ok(Value::Json(String::from(text)));
    }
    Err(Error::new(
        ErrorKind::NotSupported,
        format!(
            "cannot pass a {} as a parameter",
            v.js_typeof().as_string().unwrap_or_default()
        ),
    ))
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

//! A byte stream over a WebSocket to webdbc-relay (wasm only).
//!
//! Browsers report a refused upgrade only as "close 1006", so when the socket fails before it
//! opens, the same relay URL is fetched as plain HTTP: the relay answers with its verdict.

use futures::channel::mpsc;
use futures::StreamExt;
use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use std::cell::RefCell;
use std::rc::Rc;

use super::timer;
use crate::core::error::{Error, Result};
use crate::core::transport::Transport;

/// The subprotocol that carries a relay token.
const TOKEN_SUBPROTOCOL: &str = "webdbc.token.";

enum Event {
    Open,
    Data(Vec<u8>),
    Error,
    Close {
        code: u16,
        reason: String,
    },
    /// Closed by this side (a [`WsHandle`]).
    LocalClose,
}

pub struct WsTransport {
    ws: WebSocket,
    events: mpsc::UnboundedReceiver<Event>,
    /// For a [`WsHandle`] to end a pending recv at once when it closes the socket.
    local: mpsc::UnboundedSender<Event>,
    _handlers: [Closure<dyn FnMut(JsValue)>; 4],
    ended: Option<Error>,
    /// Bytes of [`Transport::send_soon`] not sent yet, shared with the task that sends them when
    /// no other send has taken them by the end of the event loop's turn.
    soon: Rc<RefCell<Vec<u8>>>,
}

/// A relay URL without its query and user info, which may carry a token.
fn redacted(url: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or(url);
    match base.split_once("://") {
        Some((scheme, rest)) => format!(
            "{scheme}://{}",
            rest.rsplit_once('@').map_or(rest, |(_, r)| r)
        ),
        None => "(not a URL)".into(),
    }
}

impl WsTransport {
    /// Opens a WebSocket to `url`. `ctor` replaces the global `WebSocket` (e.g. the `ws` package).
    /// `token`: the relay's token, offered as the subprotocol `webdbc.token.<token>` (browsers
    /// cannot set headers on a WebSocket).
    pub async fn open(
        url: &str,
        ctor: Option<&Function>,
        token: Option<&str>,
    ) -> Result<WsTransport> {
        let args = js_sys::Array::of1(&url.into());
        if let Some(t) = token {
            args.push(&js_sys::Array::of1(
                &format!("{TOKEN_SUBPROTOCOL}{t}").into(),
            ));
        }
        let ws: WebSocket = match ctor {
            Some(c) => Reflect::construct(c, &args),
            None => {
                let global = js_sys::global();
                let c = Reflect::get(&global, &"WebSocket".into())
                    .ok()
                    .filter(|c| c.is_function())
                    .ok_or_else(|| {
                        Error::interface(
                            "no WebSocket in this environment: pass one as the WebSocket option \
                         (Node 20: run with --experimental-websocket, or use the ws package)",
                        )
                    })?;
                Reflect::construct(c.unchecked_ref::<Function>(), &args)
            }
        }
        .map_err(|e| {
            // Not the JS message: it quotes the whole URL, token included.
            let kind = e
                .dyn_ref::<js_sys::Error>()
                .map_or("error".into(), |e| String::from(e.name()));
            Error::interface(format!(
                "invalid relay URL {}: the WebSocket constructor refused it ({kind})",
                redacted(url)
            ))
        })?
        .unchecked_into();
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (tx, events) = mpsc::unbounded();
        let on = |f: fn(JsValue) -> Event| {
            let tx = tx.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                let _ = tx.unbounded_send(f(e));
            })
        };
        let handlers = [
            on(|_| Event::Open),
            on(|e| {
                let data = e.unchecked_into::<MessageEvent>().data();
                Event::Data(Uint8Array::new(&data).to_vec())
            }),
            on(|_| Event::Error),
            on(|e| {
                let e = e.unchecked_into::<CloseEvent>();
                Event::Close {
                    code: e.code(),
                    reason: e.reason(),
                }
            }),
        ];
        ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        ws.set_onerror(Some(handlers[2].as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers[3].as_ref().unchecked_ref()));
        let mut t = WsTransport {
            ws,
            events,
            local: tx,
            _handlers: handlers,
            ended: None,
            soon: Rc::default(),
        };
        let (code, reason) = match t.events.next().await {
            Some(Event::Open) => return Ok(t),
            // Before opening, browsers follow an error with close 1006; Node 20's WebSocket
            // sends no close at all. Either way the relay is asked why.
            Some(Event::Error) => (1006, String::new()),
            Some(Event::Close { code, reason }) => (code, reason),
            Some(Event::Data(_) | Event::LocalClose) | None => (1006, String::new()),
        };
        t.close();
        Err(refusal(url, code, &reason, token).await)
    }
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map_or_else(|| format!("{e:?}"), |e| String::from(e.message()))
}

/// Why a WebSocket closed before opening: asks the relay itself over plain HTTP (with the token,
/// which a GET can only carry in its query).
async fn refusal(url: &str, code: u16, reason: &str, token: Option<&str>) -> Error {
    let at = redacted(url);
    let mut http = url
        .replacen("wss://", "https://", 1)
        .replacen("ws://", "http://", 1);
    if let Some(t) = token {
        let sep = if http.contains('?') { '&' } else { '?' };
        http = format!("{http}{sep}token={t}");
    }
    let verdict = async {
        let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let resp: web_sys::Response = JsFuture::from(
            fetch
                .call1(&JsValue::NULL, &http.into())
                .ok()?
                .dyn_into::<js_sys::Promise>()
                .ok()?,
        )
        .await
        .ok()?
        .unchecked_into();
        let body = JsFuture::from(resp.text().ok()?)
            .await
            .ok()?
            .as_string()
            .unwrap_or_default();
        Some((resp.status(), body))
    };
    match verdict.await {
        // The relay's refusals (a target, an origin, a token, a limit), in its own words.
        Some((400 | 401 | 403 | 404 | 429 | 503, body)) => {
            Error::relay(format!("the relay at {at} refused the connection: {body}"))
        }
        Some((status, body)) if status != 426 => Error::relay(format!(
            "the relay at {at} failed the WebSocket upgrade: HTTP {status} {body}"
        )),
        Some(_) => Error::relay(format!(
            "the WebSocket to the relay at {at} closed before opening (code {code}{})",
            if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            }
        )),
        None => Error::network(format!("cannot reach the relay at {at}")),
    }
}

impl WsTransport {
    /// A handle on the socket, so an owner can send beside the operation that awaits it (a
    /// cancel) or close it under that operation.
    pub fn handle(&self) -> WsHandle {
        WsHandle {
            ws: self.ws.clone(),
            local: self.local.clone(),
        }
    }
}

/// See [`WsTransport::handle`].
pub struct WsHandle {
    ws: WebSocket,
    local: mpsc::UnboundedSender<Event>,
}

impl WsHandle {
    pub fn send(&self, bytes: &[u8]) -> Result<()> {
        self.ws
            .send_with_u8_array(bytes)
            .map_err(|e| Error::connection_lost(describe(&e)))
    }

    /// Closes the socket; an operation waiting on it fails at once, not when (or if) the relay
    /// answers the close.
    pub fn close(&self) {
        let _ = self.local.unbounded_send(Event::LocalClose);
        let _ = self.ws.close();
    }
}

/// Sends `bytes` as one message: a copy owned by JS, as some WebSocket implementations queue the
/// buffer they are given. Nothing at all when empty.
fn send_now(ws: &WebSocket, bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() || ws.ready_state() != WebSocket::OPEN {
        // Closing already: like a TCP write, this succeeds, and recv() reports why it closed.
        return Ok(());
    }
    ws.send_with_array_buffer_view(&Uint8Array::from(bytes))
        .map_err(|e| Error::connection_lost(describe(&e)))
}

impl Transport for WsTransport {
    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(e) = &self.ended {
            return Err(e.clone());
        }
        let mut soon = self.soon.borrow_mut();
        if soon.is_empty() {
            return send_now(&self.ws, bytes);
        }
        soon.extend_from_slice(bytes);
        let all = std::mem::take(&mut *soon);
        send_now(&self.ws, &all)
    }

    async fn send_soon(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(e) = &self.ended {
            return Err(e.clone());
        }
        let first = self.soon.borrow().is_empty();
        self.soon.borrow_mut().extend_from_slice(bytes);
        if first {
            let (ws, soon) = (self.ws.clone(), Rc::downgrade(&self.soon));
            wasm_bindgen_futures::spawn_local(async move {
                timer::tick(0).await;
                if let Some(soon) = soon.upgrade() {
                    let bytes = std::mem::take(&mut *soon.borrow_mut());
                    let _ = send_now(&ws, &bytes); // a failure shows at the next recv
                }
            });
        }
        Ok(())
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        if let Some(e) = &self.ended {
            return Err(e.clone());
        }
        loop {
            let e = match self.events.next().await {
                Some(Event::Data(bytes)) => return Ok(bytes),
                Some(Event::Open | Event::Error) => continue,
                // The relay's "could not connect to target …": it never reached the database.
                Some(Event::Close { code: 1011, reason })
                    if reason.starts_with("could not connect") =>
                {
                    Error::relay(format!("the relay could not reach the database: {reason}"))
                }
                // It had: the database connection broke (a reset, a failed read).
                Some(Event::Close { code: 1011, reason }) => Error::connection_lost(format!(
                    "the database connection broke at the relay: {reason}"
                )),
                Some(Event::LocalClose) => Error::connection_lost("the connection was closed"),
                Some(Event::Close { code, reason }) if reason.is_empty() => {
                    Error::connection_lost(format!("the relay WebSocket closed (code {code})"))
                }
                Some(Event::Close { reason, .. }) => Error::connection_lost(reason),
                None => Error::connection_lost("the relay WebSocket is closed"),
            };
            self.ended = Some(e.clone());
            return Err(e);
        }
    }

    fn close(&mut self) {
        self.ended
            .get_or_insert_with(|| Error::connection_lost("the connection was closed"));
        let _ = self.ws.close();
    }
}

impl Drop for WsTransport {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onerror(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

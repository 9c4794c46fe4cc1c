//! [`HttpClient`] over the global `fetch` (browsers, workers, Node 18+). Requests are sent with
//! `credentials: "omit"`, so a 401 never opens the browser's login box, and each carries an
//! AbortController so that cancel, close and timeouts end it at once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use futures::FutureExt as _;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestCredentials, RequestInit};

use crate::core::error::{Error, Result};
use crate::core::http::{send_owned, HttpClient, Request, Response};
use crate::web::relay_token::{self, RelayToken};
use crate::web::timer::with_timeout;

#[wasm_bindgen]
extern "C" {
    /// The global fetch, which windows, workers and Node all have.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
}

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Cancelled,
    Closed,
}

#[derive(Default)]
struct State {
    in_flight: RefCell<Vec<Aborter>>,
    closed: Cell<bool>,
}

/// A request's AbortController, and why it was aborted: each request keeps its own reason, so
/// that two aborted at once (a page asked for ahead and a heartbeat) both say it.
#[derive(Clone)]
struct Aborter {
    controller: AbortController,
    why: Rc<Cell<Option<Stop>>>,
}

/// Ends the requests in flight; shared with the bindings' cancel and close.
#[derive(Clone)]
pub struct FetchAbort(Rc<State>);

impl FetchAbort {
    /// Aborts the requests in flight: their statement fails with "cancelled". The server may
    /// still finish it (HTTP has no way to ask it to stop).
    pub fn cancel(&self) {
        self.abort(Stop::Cancelled);
    }

    pub fn close(&self) {
        self.abort(Stop::Closed);
    }

    fn abort(&self, why: Stop) {
        if why == Stop::Closed {
            self.0.closed.set(true);
        }
        for request in self.0.in_flight.take() {
            request.why.set(Some(why));
            request.controller.abort();
        }
    }
}

/// Clones share the requests in flight (what aborts one aborts all).
#[derive(Clone)]
pub struct FetchClient {
    state: Rc<State>,
    /// Bounds every request, reading the body included.
    pub timeout_ms: Option<u64>,
    /// What a network failure should advise (CORS settings, the relay).
    pub advice: String,
    /// Requests under this URL go to webdbc-relay's HTTP forwarding and carry its header, and
    /// its token if it asks for one.
    relay: Option<(String, Option<RelayToken>)>,
}

impl FetchClient {
    pub fn new(
        timeout_ms: Option<u64>,
        advice: String,
        relay: Option<(String, Option<RelayToken>)>,
    ) -> FetchClient {
        FetchClient {
            state: Rc::default(),
            // 0 means none, as PostgreSQL's statement_timeout.
            timeout_ms: timeout_ms.filter(|ms| *ms > 0),
            advice,
            relay,
        }
    }

    /// A client of its own (for a cancel, which must not be aborted with what it cancels) to
    /// the same places.
    pub fn sibling(&self, timeout_ms: Option<u64>) -> FetchClient {
        FetchClient::new(timeout_ms, self.advice.clone(), self.relay.clone())
    }

    pub fn abort_handle(&self) -> FetchAbort {
        FetchAbort(self.state.clone())
    }

    async fn exchange(&self, req: &Request, aborter: &Aborter) -> Result<Response> {
        let init = RequestInit::new();
        init.set_method(req.method);
        let headers = Headers::new().map_err(|_| Error::interface("fetch Headers unavailable"))?;
        for (k, v) in &req.headers {
            headers
                .append(k, v)
                .map_err(|_| Error::interface(format!("invalid value for header {k}")))?;
        }
        if let Some((base, token)) = &self.relay {
            if req.url.starts_with(base.as_str()) {
                let _ = headers.append("X-Webdbc-Relay", "1");
                if let Some(t) = relay_token::current(token.as_ref()).await? {
                    headers.append("X-Webdbc-Relay-Token", &t).map_err(|_| {
                        Error::interface("the relay token is not a valid header value")
                    })?;
                }
            }
        }
        init.set_headers(&headers);
        if let Some(body) = &req.body {
            init.set_body(&Uint8Array::from(body.as_slice()));
        }
        init.set_credentials(RequestCredentials::Omit);
        init.set_signal(Some(&aborter.controller.signal()));
        let resp: web_sys::Response = JsFuture::from(global_fetch(&req.url, &init))
            .await
            .map_err(|e| self.network_error(&req.url, &e, aborter, false))?
            .unchecked_into();
        let content_type = resp
            .headers()
            .get("content-type")
            .ok()
            .flatten()
            .unwrap_or_default();
        let mut headers = Vec::new();
        if let Ok(Some(entries)) = js_sys::try_iter(&resp.headers()) {
            for entry in entries.flatten() {
                let pair: js_sys::Array = entry.unchecked_into();
                if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                    headers.push((k.to_ascii_lowercase(), v));
                }
            }
        }
        let fail = |e: JsValue| self.network_error(&req.url, &e, aborter, true);
        let buffer = resp.array_buffer().map_err(fail)?;
        let body = JsFuture::from(buffer).await.map_err(fail)?;
        Ok(Response {
            status: resp.status(),
            content_type,
            headers,
            body: Uint8Array::new(&body).to_vec(),
        })
    }

    /// Why a request failed; `answered` once the reply had started.
    fn network_error(&self, url: &str, e: &JsValue, aborter: &Aborter, answered: bool) -> Error {
        match aborter.why.get() {
            Some(Stop::Cancelled) => {
                Error::cancelled(
                    "the statement was cancelled: its request was aborted (the server may still complete it)",
                )
            }
            Some(Stop::Closed) => Error::connection_lost("the connection was closed"),
            None => {
                let why = e
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| {
                        let cause = js_sys::Reflect::get(e, &"cause".into())
                            .ok()
                            .and_then(|c| c.dyn_into::<js_sys::Error>().ok())
                            .map(|c| format!(" ({})", String::from(c.message())))
                            .unwrap_or_default();
                        format!("{}{cause}", String::from(e.message()))
                    })
                    .unwrap_or_else(|| format!("{e:?}"));
                if answered {
                    return Error::connection_lost(format!(
                        "{} broke off its reply: {why}",
                        origin(url)
                    ));
                }
                Error::network(format!(
                    "could not reach {}: {why}. {}",
                    origin(url),
                    self.advice
                ))
            }
        }
    }
}

/// `scheme://host:port` of a URL: what an error may show of it (never a user or password).
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}")
}

impl HttpClient for FetchClient {
    async fn pause(&self, ms: u32) {
        crate::web::timer::sleep(ms).await;
    }

    /// A task of its own: the reply is read as it comes, and the request's bound counts the
    /// server's time, not how long the caller takes to await it.
    fn send_in_background(&self, req: Request) -> LocalBoxFuture<'static, Result<Response>> {
        let (exchange, reply) = send_owned(self, req).remote_handle();
        wasm_bindgen_futures::spawn_local(exchange);
        reply.boxed_local()
    }

    async fn send(&self, req: Request) -> Result<Response> {
        if self.state.closed.get() {
            return Err(Error::closed("connection"));
        }
        let controller =
            AbortController::new().map_err(|_| Error::interface("AbortController unavailable"))?;
        let in_flight = InFlight::new(&self.state, controller);
        let aborter = &in_flight.0;
        let result = match req.timeout_ms.or(self.timeout_ms) {
            Some(ms) => with_timeout(ms, "the request", self.exchange(&req, aborter)).await,
            None => self.exchange(&req, aborter).await,
        };
        drop(in_flight);
        // The relay's own refusal (a token, a target it does not allow), not the database's.
        result.and_then(|resp| match resp.header("x-webdbc-relay-answer") {
            Some(_) => Err(Error::relay(format!(
                "webdbc-relay at {}: {}",
                origin(&req.url),
                resp.excerpt()
            ))),
            None => Ok(resp),
        })
    }
}

/// A request's AbortController among those in flight, until the request is done, timed out or
/// dropped unread: then it is aborted, since the request must not go on.
struct InFlight<'a>(Aborter, &'a State);

impl<'a> InFlight<'a> {
    fn new(state: &'a State, controller: AbortController) -> InFlight<'a> {
        let aborter = Aborter {
            controller,
            why: Rc::default(),
        };
        state.in_flight.borrow_mut().push(aborter.clone());
        InFlight(aborter, state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.controller.abort();
        self.1
            .in_flight
            .borrow_mut()
            .retain(|r| !Rc::ptr_eq(&r.why, &self.0.why));
    }
}

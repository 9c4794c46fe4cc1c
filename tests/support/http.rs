//! A scripted [`HttpClient`]: each request is checked against the next step of a script and
//! answered with that step's reply, so a protocol session runs natively with no server.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use webdbc::core::http::{HttpClient, Request, Response};
use webdbc::{Error, Result};

/// One exchange: what the request must be (method, and the end of its URL, query excluded
/// unless given), and the reply.
pub struct Step {
    pub method: &'static str,
    pub path: String,
    pub reply: std::result::Result<Response, Error>,
}

/// A step answered with JSON of status 200.
pub fn json(method: &'static str, path: &str, body: serde_json::Value) -> Step {
    status(method, path, 200, body)
}

/// A step answered with JSON of any status.
pub fn status(method: &'static str, path: &str, code: u16, body: serde_json::Value) -> Step {
    raw(method, path, code, &body.to_string())
}

/// A step answered with these bytes as JSON, whatever they are.
pub fn raw(method: &'static str, path: &str, code: u16, body: &str) -> Step {
    Step {
        method,
        path: path.into(),
        reply: Ok(Response {
            status: code,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }),
    }
}

/// A step whose request fails (the network broke).
pub fn broken(method: &'static str, path: &str) -> Step {
    Step {
        method,
        path: path.into(),
        reply: Err(Error::connection_lost("the test cut the connection")),
    }
}

type Hook = Box<dyn FnMut(&Request)>;

#[derive(Default)]
struct State {
    script: VecDeque<Step>,
    sent: Vec<Request>,
    paused_ms: u64,
    hook: Option<Hook>,
}

/// Cloning shares the script: a test keeps one handle to look at what was sent.
#[derive(Clone, Default)]
pub struct ScriptedHttp(Rc<RefCell<State>>);

impl ScriptedHttp {
    pub fn new(steps: impl IntoIterator<Item = Step>) -> ScriptedHttp {
        let http = ScriptedHttp::default();
        http.push(steps);
        http
    }

    /// More steps, after those left.
    pub fn push(&self, steps: impl IntoIterator<Item = Step>) {
        self.0.borrow_mut().script.extend(steps);
    }

    /// Called with each request as it is sent, before its reply (to act while it "runs").
    pub fn on_send(&self, hook: impl FnMut(&Request) + 'static) {
        self.0.borrow_mut().hook = Some(Box::new(hook));
    }

    /// The requests sent so far.
    pub fn sent(&self) -> Vec<Request> {
        self.0.borrow().sent.clone()
    }

    /// The URLs (method and URL) sent so far.
    pub fn urls(&self) -> Vec<String> {
        self.sent()
            .iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect()
    }

    /// Steps the session did not reach.
    pub fn left(&self) -> usize {
        self.0.borrow().script.len()
    }

    pub fn paused_ms(&self) -> u64 {
        self.0.borrow().paused_ms
    }
}

impl HttpClient for ScriptedHttp {
    async fn send(&self, req: Request) -> Result<Response> {
        let mut hook = self.0.borrow_mut().hook.take();
        if let Some(h) = hook.as_mut() {
            h(&req);
        }
        let mut state = self.0.borrow_mut();
        if state.hook.is_none() {
            state.hook = hook;
        }
        state.sent.push(req.clone());
        let step = state
            .script
            .pop_front()
            .unwrap_or_else(|| panic!("unscripted request: {} {}", req.method, req.url));
        let path = req.url.split_once("://").map_or(&*req.url, |(_, r)| r);
        let path = &path[path.find('/').unwrap_or(path.len())..];
        let compared = if step.path.contains('?') {
            path
        } else {
            path.split('?').next().unwrap_or(path)
        };
        assert!(
            req.method == step.method && compared == step.path,
            "expected {} {}, the session sent {} {}",
            step.method,
            step.path,
            req.method,
            req.url
        );
        step.reply
    }

    async fn pause(&self, ms: u32) {
        self.0.borrow_mut().paused_ms += u64::from(ms);
    }
}

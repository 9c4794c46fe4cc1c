//! The token webdbc-relay asks for (`relayToken`): a fixed string, or a JS function called for
//! every new relay connection and forwarded request, so that short-lived tokens refresh
//! themselves. It returns a string or a promise of one.

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::core::error::{Error, Result};

/// The token webdbc-relay asks for when it was started with `--token-key`: a JWT.
#[derive(Clone)]
pub enum RelayToken {
    /// The same token for every connection.
    Fixed(String),
    /// A JavaScript function called for every new relay connection and forwarded request,
    /// returning a token or a promise of one (so that short-lived tokens refresh themselves).
    Provider(Function),
}

impl RelayToken {
    /// The token to send now.
    pub async fn get(&self) -> Result<String> {
        let f = match self {
            RelayToken::Fixed(t) => return Ok(t.clone()),
            RelayToken::Provider(f) => f,
        };
        let failed = |what: &str| Error::interface(format!("the relayToken function {what}"));
        let returned = f.call0(&JsValue::NULL).map_err(|_| failed("threw"))?;
        // A value or a thenable (a promise, or a Python coroutine from Pyodide) alike.
        let value = JsFuture::from(Promise::resolve(&returned))
            .await
            .map_err(|_| failed("rejected"))?;
        value
            .as_string()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| failed("must give a token string (or a promise of one)"))
    }
}

/// The token of an optional `relayToken`, asked for now.
pub async fn current(token: Option<&RelayToken>) -> Result<Option<String>> {
    match token {
        Some(t) => t.get().await.map(Some),
        None => Ok(None),
    }
}

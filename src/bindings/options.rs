//! Options objects from JavaScript, checked: connect options (to the connect layer's
//! [`Options`] and the value conversion), importCsv's and execute's.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{Convert, Int64Mode};
use crate::Options;
use crate::RelayToken;
use crate::{Error, Result};

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

/// Connect options: what the connection needs, and how its values are handed to JavaScript.
pub(super) fn connect_options(options: &JsValue) -> Result<(Options, Convert)> {
    let mut o = Options::default();
    let mut convert = Convert::default();
    if options.is_undefined() || options.is_null() {
        return Ok((o, convert));
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
            "relayToken" => {
                o.relay_token = Some(match v.as_string() {
                    Some(t) => RelayToken::Fixed(t),
                    None => RelayToken::Provider(v.dyn_into().map_err(|_| {
                        Error::interface(
                            "option relayToken must be a token string or a function giving one",
                        )
                    })?),
                })
            }
            "WebSocket" => {
                o.websocket = Some(
                    v.dyn_into()
                        .map_err(|_| Error::interface("option WebSocket must be a constructor"))?,
                )
            }
            "int64" => {
                convert.int64 = match choice(&k, &v, &["bigint", "number", "string"])? {
                    "bigint" => Int64Mode::BigInt,
                    "number" => Int64Mode::Number,
                    _ => Int64Mode::String,
                }
            }
            "numeric" => {
                convert.numeric_as_number = choice(&k, &v, &["string", "number"])? == "number"
            }
            "dates" => convert.dates_as_date = choice(&k, &v, &["string", "date"])? == "date",
            "json" => convert.parse_json = choice(&k, &v, &["parse", "string"])? == "parse",
            "rowMode" => {
                convert.rows_as_objects = choice(&k, &v, &["array", "object"])? == "object"
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
            "maxMessageSize" => {
                o.max_message_bytes = Some(
                    u32::try_from(number(&k, &v)?)
                        .ok()
                        .filter(|n| *n >= 1024)
                        .ok_or_else(|| {
                            Error::interface("option maxMessageSize must be bytes, 1024 to 2^32-1")
                        })?,
                )
            }
            "cancelGrace" => {
                o.cancel_grace_ms = Some(u32::try_from(number(&k, &v)?).map_err(|_| {
                    Error::interface("option cancelGrace must be milliseconds below 2^32")
                })?)
            }
            "applicationName" => {
                o.application_name =
                    Some(v.as_string().ok_or_else(|| {
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
    Ok((o, convert))
}

/// /imp URL parameters, and the schema part.
pub(super) type ImportOptions = (Vec<(String, String)>, Option<String>);

/// importCsv options as /imp URL parameters, and the schema part.
pub(super) fn import_options(options: &JsValue) -> Result<ImportOptions> {
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

pub(super) fn execute_options(options: &JsValue) -> Result<()> {
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

//! Errors for JavaScript: each Rust error becomes an instance of its PEP 249 class from
//! errors.js, with the server's fields and where it came from.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::Error;

#[wasm_bindgen(module = "/src/bindings/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(kind: &str, message: &str, fields: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = installAsyncIterator)]
    pub(super) fn install_async_iterator(cursor: &JsValue);
    #[wasm_bindgen(js_name = errorClasses)]
    fn error_classes_js() -> JsValue;
}

/// The PEP 249 error classes, keyed by name (for the wasm tests; JS imports them from the
/// package itself).
pub fn error_classes() -> JsValue {
    error_classes_js()
}

pub(super) fn set(obj: &Object, key: &str, v: impl Into<JsValue>) {
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
    set(&f, "origin", e.origin.name());
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

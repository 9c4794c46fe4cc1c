//! The JavaScript `Connection` class.

use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::Convert;
use super::cursor::Cursor;
use super::errors::{install_async_iterator, to_js};
use super::options::import_options;
use super::{promise, promise_unit};
use crate::{Error, Result};

/// What the class and its cursors share.
pub(super) struct ConnInner {
    pub conn: crate::Connection,
    pub convert: Convert,
}

#[wasm_bindgen]
pub struct Connection {
    inner: Rc<ConnInner>,
}

impl Connection {
    pub(super) fn new(conn: crate::Connection, convert: Convert) -> Connection {
        Connection {
            inner: Rc::new(ConnInner { conn, convert }),
        }
    }
}

#[wasm_bindgen]
impl Connection {
    /// A new cursor on this connection.
    #[wasm_bindgen(unchecked_return_type = "Cursor")]
    pub fn cursor(&self) -> Result<JsValue, JsValue> {
        let api = self.inner.conn.cursor().map_err(to_js)?;
        let cursor = JsValue::from(Cursor::new(api, self.inner.clone()));
        install_async_iterator(&cursor);
        Ok(cursor)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn commit(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move { inner.conn.commit().await })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn rollback(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move { inner.conn.rollback().await })
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
            let report = inner
                .conn
                .import_csv(&table, &bytes, &params, schema)
                .await?;
            js_sys::JSON::parse(&report.to_string())
                .map_err(|_| Error::malformed("the import report is not JSON"))
        })
    }

    /// Cancels the statement running on this connection, if any.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cancel(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.conn.cancel().await;
            Ok(())
        })
    }

    /// Closes at once: a running operation fails with "connection lost" instead of being waited for.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.conn.close().await;
            Ok(())
        })
    }

    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.inner.conn.is_closed()
    }

    #[wasm_bindgen(getter)]
    pub fn autocommit(&self) -> bool {
        self.inner.conn.autocommit()
    }

    /// Takes effect from the next statement; refused inside a transaction or while an operation runs.
    #[wasm_bindgen(setter)]
    pub fn set_autocommit(&self, on: bool) -> Result<(), JsValue> {
        self.inner.conn.set_autocommit(on).map_err(to_js)
    }
}

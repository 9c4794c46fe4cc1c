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
use crate::connect::{AnyBackend, Connected, Guard};
use crate::core::error::{Error, Result};

/// What the class and its cursors share.
pub(super) struct ConnInner {
    pub core: crate::core::Connection<AnyBackend>,
    pub guard: Guard,
    pub convert: Convert,
}

impl ConnInner {
    /// The statement timeout's deadline for an operation about to run (None: no timeout).
    pub fn deadline(&self) -> Option<crate::connect::CallWatch> {
        self.guard.deadline(&self.core)
    }
}

#[wasm_bindgen]
pub struct Connection {
    inner: Rc<ConnInner>,
}

impl Connection {
    pub(super) fn new(connected: Connected, convert: Convert) -> Connection {
        Connection {
            inner: Rc::new(ConnInner {
                core: connected.core,
                guard: connected.guard,
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
        let cursor = JsValue::from(Cursor::new(core, self.inner.clone()));
        install_async_iterator(&cursor);
        Ok(cursor)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn commit(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            let _deadline = inner.deadline();
            inner.core.commit().await
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn rollback(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            let _deadline = inner.deadline();
            inner.core.rollback().await
        })
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
            let _deadline = inner.deadline();
            let mut backend = inner.core.backend().await?;
            let AnyBackend::Quest(session) = &mut *backend else {
                return Err(Error::not_supported(
                    "importCsv is QuestDB's /imp: other databases load with INSERT or executemany",
                ));
            };
            let report = session.import_csv(&table, &bytes, &params, schema).await;
            let report = inner.core.explain(report)?;
            js_sys::JSON::parse(&report.to_string())
                .map_err(|_| Error::malformed("the import report is not JSON"))
        })
    }

    /// Cancels the statement running on this connection, if any.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cancel(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.guard.cancel(&inner.core).await;
            Ok(())
        })
    }

    /// Closes at once: a running operation fails with "connection lost" instead of being waited for.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.guard.close(&inner.core).await;
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

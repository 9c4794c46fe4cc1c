//! The JavaScript `Cursor` class, and the AbortSignal that cancels its statement.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::columns;
use super::connection::ConnInner;
use super::convert::{append_rows, column_to_js, to_params};
use super::options::execute_options;
use super::tagged;
use super::{promise, promise_unit};
use crate::core::Row;
use crate::{CallCancel, Cancelling};
use crate::{Error, Result};

struct CursorInner {
    api: crate::Cursor,
    conn: Rc<ConnInner>,
    arraysize: Cell<u32>,
}

#[wasm_bindgen]
pub struct Cursor {
    inner: Rc<CursorInner>,
}

impl Cursor {
    pub(super) fn new(api: crate::Cursor, conn: Rc<ConnInner>) -> Cursor {
        Cursor {
            inner: Rc::new(CursorInner {
                api,
                conn,
                arraysize: Cell::new(1),
            }),
        }
    }
}

/// Watches an AbortSignal: when it fires, the call's statement is cancelled (once it runs, if
/// it waits behind another operation).
struct AbortWatch {
    signal: JsValue,
    handler: Closure<dyn FnMut()>,
    call: CallCancel,
}

impl AbortWatch {
    fn new(options: &JsValue, cursor: &crate::Cursor) -> Result<Option<AbortWatch>> {
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
        let call = cursor.call_cancel();
        let on_abort = call.clone();
        // The cancel lives as long as the handler, which lives as long as this watch: when the
        // call ends, so does a cancel still waiting for it.
        let cancelling: std::cell::RefCell<Option<Cancelling>> = Default::default();
        let handler = Closure::<dyn FnMut()>::new(move || {
            cancelling.replace(on_abort.cancel());
        });
        let add: Function = Reflect::get(&signal, &"addEventListener".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| Error::interface("option signal must be an AbortSignal"))?;
        let _ = add.call2(&signal, &"abort".into(), handler.as_ref());
        Ok(Some(AbortWatch {
            signal,
            handler,
            call,
        }))
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
    Error::cancelled("the statement was aborted by its AbortSignal")
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
            let watch = AbortWatch::new(&options, &inner.api)?;
            Ok((params, watch))
        })();
        promise_unit(async move {
            let (params, watch) = setup?; // listens until the statement ends
            match &watch {
                Some(w) => inner.api.execute_with(&sql, params, &w.call).await,
                None => inner.api.execute(&sql, params).await,
            }
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
        promise_unit(async move { inner.api.execute_many(&sql, sets?).await })
    }

    /// The next row, or null at the end.
    #[wasm_bindgen(unchecked_return_type = "Promise<any[] | Record<string, any> | null>")]
    pub fn fetchone(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let rows = inner.fetch(1).await?;
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
            let rows = inner.fetch(n).await?;
            Ok(inner.rows_to_js(rows)?.into())
        })
    }

    /// All remaining rows.
    #[wasm_bindgen(unchecked_return_type = "Promise<any[]>")]
    pub fn fetchall(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            // Chunk by chunk: each is converted while the server sends the next, and the wasm
            // heap holds one chunk, not the whole result. The statement timeout bounds each
            // chunk (each round trip), not the whole result.
            let all = Array::new();
            loop {
                let rows = inner.fetch(crate::api::CHUNK).await?;
                let last = rows.len() < crate::api::CHUNK;
                inner.append_rows(&all, rows)?;
                if last {
                    return Ok(all.into());
                }
            }
        })
    }

    /// The Python module's `execute`: parameters as tagged JSON (bindings/tagged.rs).
    #[wasm_bindgen(js_name = executeJson, unchecked_return_type = "Promise<void>")]
    pub fn execute_json(&self, sql: String, params: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            let params = tagged::params_from_json(&params)?;
            inner.api.execute(&sql, params).await
        })
    }

    /// The Python module's `executemany`: parameter sets as tagged JSON.
    #[wasm_bindgen(js_name = executemanyJson, unchecked_return_type = "Promise<void>")]
    pub fn executemany_json(&self, sql: String, sets: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            let sets = tagged::param_sets_from_json(&sets)?;
            inner.api.execute_many(&sql, sets).await
        })
    }

    /// The Python module's fetch: up to `size` rows column by column, as `[header, data, text]`
    /// (bindings/columns.rs).
    #[wasm_bindgen(
        js_name = fetchColumns,
        unchecked_return_type = "Promise<[string, Uint8Array, string]>"
    )]
    pub fn fetch_columns(&self, size: u32) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let rows = inner.fetch(size as usize).await?;
            let batch = columns::columns(&rows);
            let data = js_sys::Uint8Array::from(&batch.data[..]);
            Ok(Array::of3(&batch.header.into(), &data, &batch.text.into()).into())
        })
    }

    /// PEP 249 description: one object per column, or null when the statement returned no rows.
    #[wasm_bindgen(getter, unchecked_return_type = "ColumnDescription[] | null")]
    pub fn description(&self) -> JsValue {
        match self.inner.api.description() {
            None => JsValue::NULL,
            Some(cols) => cols.iter().map(column_to_js).collect::<Array>().into(),
        }
    }

    /// Moves to the next result of a string of several statements (PostgreSQL wire): true, or
    /// false when there is none.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn nextset(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move { inner.api.next_set().map(JsValue::from) })
    }

    /// Rows affected or returned; -1 while unknown (a result still streaming).
    #[wasm_bindgen(getter)]
    pub fn rowcount(&self) -> f64 {
        self.inner.api.rowcount() as f64
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
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.api.cancel().await;
            Ok(())
        })
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.api.close().await;
            Ok(())
        })
    }
}

impl CursorInner {
    /// Up to `n` rows' values.
    async fn fetch(&self, n: usize) -> Result<Vec<Row>> {
        let rows = self.api.fetch_many(n).await?;
        Ok(rows.into_iter().map(crate::Row::into_values).collect())
    }

    fn rows_to_js(&self, rows: Vec<Row>) -> Result<Array> {
        let out = Array::new();
        self.append_rows(&out, rows)?;
        Ok(out)
    }

    fn append_rows(&self, out: &Array, rows: Vec<Row>) -> Result<()> {
        let cols = self.api.description().unwrap_or_else(|| Rc::new([]));
        append_rows(out, &cols, rows, &self.conn.convert)
    }
}

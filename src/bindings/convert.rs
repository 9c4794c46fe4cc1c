//! Values between Rust and JavaScript: result cells to JS values as the connect options ask,
//! parameters from JS values, and PEP 249 descriptions.

use js_sys::{Array, BigInt, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::errors::set;
use crate::core::decimal;
use crate::core::value::{self, Value};
use crate::core::{Column, Params, Row};
use crate::{Error, ErrorKind, Result};

/// How values are handed to JavaScript.
#[derive(Clone, Copy, Debug)]
pub(super) struct Convert {
    pub int64: Int64Mode,
    pub numeric_as_number: bool,
    pub dates_as_date: bool,
    pub parse_json: bool,
    pub rows_as_objects: bool,
}

impl Default for Convert {
    fn default() -> Convert {
        Convert {
            int64: Int64Mode::BigInt,
            numeric_as_number: false,
            dates_as_date: false,
            parse_json: true,
            rows_as_objects: false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Int64Mode {
    BigInt,
    Number,
    String,
}

pub(super) fn column_to_js(c: &Column) -> JsValue {
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

#[wasm_bindgen(module = "/src/bindings/rows.js")]
extern "C" {
    #[wasm_bindgen(js_name = buildRows, catch)]
    #[allow(clippy::too_many_arguments)]
    fn build_rows(
        out: &Array,
        count: u32,
        width: u32,
        names: &JsValue,
        tags: &[u8],
        nums: &[f64],
        text: &str,
        lens: &[u32],
        objects: &Array,
    ) -> std::result::Result<(), JsValue>;
}

/// What a cell of a packed batch is, for rows.js.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Tag {
    Null = 0,
    Number = 1,
    True = 2,
    False = 3,
    Text = 4,
    BigInt = 5,
    BigIntText = 6,
    Json = 7,
    Date = 8,
    Object = 9,
}

/// A batch of rows as rows.js takes it (see there).
#[derive(Default)]
struct Packed {
    tags: Vec<u8>,
    nums: Vec<f64>,
    text: String,
    /// Each text piece's length in UTF-16 units, JS's string length.
    lens: Vec<u32>,
    objects: Vec<JsValue>,
}

impl Packed {
    fn number(&mut self, tag: Tag, n: f64) {
        self.tags.push(tag as u8);
        self.nums.push(n);
    }

    /// A text piece written by `write` onto the batch's text.
    fn text(&mut self, tag: Tag, write: impl FnOnce(&mut String)) {
        let start = self.text.len();
        write(&mut self.text);
        let piece = &self.text[start..];
        let len = if piece.is_ascii() {
            piece.len()
        } else {
            piece.encode_utf16().count()
        };
        self.tags.push(tag as u8);
        self.lens.push(len as u32);
    }

    fn object(&mut self, v: JsValue) {
        self.tags.push(Tag::Object as u8);
        self.objects.push(v);
    }

    /// One cell, as [`value_to_js`] would give it.
    fn push(&mut self, v: Value, int64: bool, c: &Convert) -> Result<()> {
        let safe = |i: i64| (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i);
        match v {
            Value::Null => self.tags.push(Tag::Null as u8),
            Value::Bool(b) => self.tags.push(if b { Tag::True } else { Tag::False } as u8),
            Value::Int(i) if !int64 && safe(i) => self.number(Tag::Number, i as f64),
            Value::Int(i) => match c.int64 {
                Int64Mode::BigInt if safe(i) => self.number(Tag::BigInt, i as f64),
                Int64Mode::BigInt => self.text(Tag::BigIntText, |t| value::push_int(t, i)),
                Int64Mode::String => self.text(Tag::Text, |t| value::push_int(t, i)),
                Int64Mode::Number if safe(i) => self.number(Tag::Number, i as f64),
                Int64Mode::Number => self.object(value_to_js(v, int64, c)?), // its DataError
            },
            Value::Float(f) => self.number(Tag::Number, f),
            Value::Decimal(s) if int64 && matches!(c.int64, Int64Mode::BigInt) => {
                self.text(Tag::BigIntText, |t| t.push_str(&s))
            }
            Value::Decimal(_) if int64 || c.numeric_as_number => {
                self.object(value_to_js(v, int64, c)?)
            }
            Value::Decimal(s) | Value::Text(s) => self.text(Tag::Text, |t| t.push_str(&s)),
            Value::Json(s) if c.parse_json => self.text(Tag::Json, |t| t.push_str(&s)),
            Value::Json(s) => self.text(Tag::Text, |t| t.push_str(&s)),
            Value::Date(d) if c.dates_as_date => match d {
                value::INFINITY_DAYS => self.number(Tag::Number, f64::INFINITY),
                value::NEG_INFINITY_DAYS => self.number(Tag::Number, f64::NEG_INFINITY),
                _ => self.number(Tag::Date, f64::from(d) * 86_400_000.0),
            },
            Value::Date(d) => self.text(Tag::Text, |t| value::write_date(t, d)),
            Value::Time(t) => self.text(Tag::Text, |s| value::write_time(s, t)),
            Value::Timestamp(t) | Value::TimestampTz(t) if c.dates_as_date => match t {
                value::INFINITY_MICROS => self.number(Tag::Number, f64::INFINITY),
                value::NEG_INFINITY_MICROS => self.number(Tag::Number, f64::NEG_INFINITY),
                // JS dates hold milliseconds: microseconds are truncated toward the past.
                _ => self.number(Tag::Date, t.div_euclid(1000) as f64),
            },
            Value::Timestamp(t) => self.text(Tag::Text, |s| value::write_timestamp(s, t, false)),
            Value::TimestampTz(t) => self.text(Tag::Text, |s| value::write_timestamp(s, t, true)),
            Value::Interval(iv) => {
                self.text(Tag::Text, |s| s.push_str(&value::format_interval(iv)))
            }
            Value::Uuid(u) => self.text(Tag::Text, |s| s.push_str(&value::format_uuid(&u))),
            Value::Bytes(_) | Value::Array(_) => self.object(value_to_js(v, int64, c)?),
        }
        Ok(())
    }
}

/// Converts `rows` of a result with columns `cols` and appends them to `out`: packed here, built
/// by rows.js in one call.
pub(super) fn append_rows(
    out: &Array,
    cols: &[Column],
    rows: Vec<Row>,
    convert: &Convert,
) -> Result<()> {
    let int64: Vec<bool> = cols.iter().map(|c| c.logical.is_int64()).collect();
    let count = rows.len() as u32;
    let mut packed = Packed::default();
    for row in rows {
        if row.len() != cols.len() {
            return Err(Error::malformed("a row's width differs from its columns'"));
        }
        for (v, &int64) in row.into_iter().zip(&int64) {
            packed.push(v, int64, convert)?;
        }
    }
    // Keys only for object rows.
    let names: JsValue = match convert.rows_as_objects {
        true => cols
            .iter()
            .map(|c| JsValue::from(c.name.as_str()))
            .collect::<Array>()
            .into(),
        false => JsValue::NULL,
    };
    let objects: Array = packed.objects.iter().collect();
    build_rows(
        out,
        count,
        cols.len() as u32,
        &names,
        &packed.tags,
        &packed.nums,
        &packed.text,
        &packed.lens,
        &objects,
    )
    .map_err(|e| {
        let why = e.dyn_ref::<js_sys::Error>().map_or_else(
            || "a value JS cannot take".to_string(),
            |e| String::from(e.message()),
        );
        Error::data(why)
    })
}

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
    if decimal::canonical(&f.to_string()) != decimal::canonical(s) {
        return Err(Error::data(format!(
            "numeric {s} has no exact JS number; connect with numeric: 'string' to keep it exact"
        )));
    }
    Ok(f)
}

pub(super) fn to_params(params: &JsValue) -> Result<Params> {
    if params.is_undefined() || params.is_null() {
        return Ok(Params::none());
    }
    if let Some(arr) = params.dyn_ref::<Array>() {
        return Ok(Params::Positional(
            arr.iter()
                .enumerate()
                .map(|(i, v)| js_to_value(&v).map_err(|e| naming(e, &format!("${}", i + 1))))
                .collect::<Result<_>>()?,
        ));
    }
    if is_plain_object(params) {
        let mut pairs = Vec::new();
        for entry in Object::entries(params.unchecked_ref()).iter() {
            let entry: Array = entry.unchecked_into();
            let name = entry.get(0).as_string().unwrap_or_default();
            let value = js_to_value(&entry.get(1)).map_err(|e| naming(e, &format!(":{name}")))?;
            pairs.push((name, value));
        }
        return Ok(Params::Named(pairs));
    }
    Err(Error::programming(
        "parameters must be an array (for ? placeholders) or an object (for :name placeholders)",
    ))
}

/// The error of a parameter's value, saying which parameter.
fn naming(mut e: Error, parameter: &str) -> Error {
    e.message = format!("parameter {parameter}: {}", e.message);
    e
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
        // -0 is a float: as an integer it would lose its sign.
        let negative_zero = f == 0.0 && f.is_sign_negative();
        return Ok(
            if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 && !negative_zero {
                Value::Int(f as i64)
            } else {
                Value::Float(f)
            },
        );
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
    if let Some(s) = v.dyn_ref::<js_sys::JsString>() {
        // UTF-8 cannot hold a lone surrogate: converting replaces it with U+FFFD, a changed
        // value sent without a word. Only text that came out with U+FFFD is checked (the check
        // is a call per UTF-16 unit).
        let text = String::from(s);
        if text.contains('\u{FFFD}') && !s.is_valid_utf16() {
            return Err(Error::data(
                "the text holds a lone UTF-16 surrogate, which UTF-8 (and so the database) cannot hold",
            ));
        }
        return Ok(Value::Text(text));
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

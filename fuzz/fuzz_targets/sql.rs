//! The SQL scanner and binder: any text, bound with parameters in each marker style, and a
//! position mapped back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::core::sql::{self, Marker};
use webdbc::core::{Params, Value};
use webdbc::protocols::questdb;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let values = vec![Value::Int(1), Value::Text("'; --".into()), Value::Null];
    let literal = |v: &Value| questdb::literal(v);
    for marker in [
        Marker::Dollar,
        Marker::Question,
        Marker::Named,
        Marker::Literal(&literal),
    ] {
        let _ = sql::bind(text, Params::Positional(values.clone()), marker);
        let named = vec![("a".to_string(), Value::Float(-0.0))];
        if let Ok(bound) = sql::bind(text, Params::Named(named), marker) {
            for pos in [0, 1, text.len(), usize::MAX] {
                let _ = bound.scanned.original_position(pos);
            }
        }
    }
});

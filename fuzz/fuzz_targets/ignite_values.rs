//! Ignite's BinaryTuple and its values: a column count and types from the first bytes, then a
//! tuple; every element decoded as its column's type; and the same bytes as MessagePack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::ignite::{msg, tuple, values};

fuzz_target!(|data: &[u8]| {
    let [n, rest @ ..] = data else {
        return;
    };
    let count = usize::from(n % 8) + 1;
    if rest.len() < count * 2 {
        return;
    }
    let (types, bytes) = rest.split_at(count * 2);
    if let Ok(elements) = tuple::read(bytes, count) {
        for (i, element) in elements.into_iter().enumerate() {
            // Type ids 0..=30, a scale from the next byte.
            let ty = i32::from(types[i * 2] % 31);
            let scale = Some(i32::from(types[i * 2 + 1] as i8));
            let _ = values::decode(ty, scale, element);
        }
    }
    let mut reader = msg::Reader::new(data);
    while reader.skip().is_ok() {}
});

//! PostgreSQL value decoding: a type (one of those webdbc decodes, picked by the first byte), a
//! format (text or binary, the second), and the value's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::pg::types;

/// bool, bytea, char, name, int8, int2, int4, text, oid, json, xml, float4, float8, money,
/// bpchar, varchar, date, time, timestamp, timestamptz, interval, timetz, bit, varbit, numeric,
/// uuid, jsonb, and arrays of int4, text, int8, numeric, timestamptz, jsonb, bytea, uuid.
const OIDS: [u32; 35] = [
    16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 142, 700, 701, 790, 1042, 1043, 1082, 1083, 1114,
    1184, 1186, 1266, 1560, 1562, 1700, 2950, 3802, 1007, 1009, 1016, 1231, 1185, 3807, 1001, 2951,
];

fuzz_target!(|data: &[u8]| {
    let [t, f, raw @ ..] = data else {
        return;
    };
    let oid = OIDS[usize::from(*t) % OIDS.len()];
    let _ = types::decode(oid, i16::from(f & 1), raw);
});

//! Ignite 3's BinaryTuple (shared/protocols/ignite3-client.md §7): a header byte, a table of
//! element end offsets, then the values; a NULL is an empty element. Column type ids, their
//! names and what they hold.

use crate::core::error::{Error, Result};
use crate::core::LogicalType;

/// `org.apache.ignite.sql.ColumnType` ids.
pub mod ty {
    pub const NULL: i32 = 0;
    pub const BOOLEAN: i32 = 1;
    pub const INT8: i32 = 2;
    pub const INT16: i32 = 3;
    pub const INT32: i32 = 4;
    pub const INT64: i32 = 5;
    pub const FLOAT: i32 = 6;
    pub const DOUBLE: i32 = 7;
    pub const DECIMAL: i32 = 8;
    pub const DATE: i32 = 9;
    pub const TIME: i32 = 10;
    pub const DATETIME: i32 = 11;
    pub const TIMESTAMP: i32 = 12;
    pub const UUID: i32 = 13;
    pub const STRING: i32 = 15;
    pub const BYTE_ARRAY: i32 = 16;
    pub const PERIOD: i32 = 17;
    pub const DURATION: i32 = 18;
}

/// A type id's SQL name, for `description`.
pub fn type_name(id: i32) -> &'static str {
    match id {
        ty::NULL => "NULL",
        ty::BOOLEAN => "BOOLEAN",
        ty::INT8 => "TINYINT",
        ty::INT16 => "SMALLINT",
        ty::INT32 => "INTEGER",
        ty::INT64 => "BIGINT",
        ty::FLOAT => "REAL",
        ty::DOUBLE => "DOUBLE",
        ty::DECIMAL => "DECIMAL",
        ty::DATE => "DATE",
        ty::TIME => "TIME",
        ty::DATETIME => "TIMESTAMP",
        ty::TIMESTAMP => "TIMESTAMP WITH LOCAL TIME ZONE",
        ty::UUID => "UUID",
        ty::STRING => "VARCHAR",
        ty::BYTE_ARRAY => "VARBINARY",
        ty::PERIOD => "PERIOD",
        ty::DURATION => "DURATION",
        _ => "UNKNOWN",
    }
}

/// What a type id holds, for the bindings.
pub fn logical_type(id: i32) -> LogicalType {
    match id {
        ty::BOOLEAN => LogicalType::Bool,
        ty::INT8 | ty::INT16 | ty::INT32 => LogicalType::Int,
        ty::INT64 => LogicalType::Int64,
        ty::FLOAT | ty::DOUBLE => LogicalType::Float,
        ty::DECIMAL => LogicalType::Decimal,
        ty::DATE => LogicalType::Date,
        ty::TIME => LogicalType::Time,
        ty::DATETIME => LogicalType::Timestamp,
        ty::TIMESTAMP => LogicalType::TimestampTz,
        ty::UUID => LogicalType::Uuid,
        ty::STRING => LogicalType::Text,
        ty::BYTE_ARRAY => LogicalType::Bytes,
        ty::PERIOD | ty::DURATION => LogicalType::Interval,
        _ => LogicalType::Other,
    }
}

/// Builds a tuple from element values (`None` is NULL).
pub fn build(elements: &[Option<Vec<u8>>]) -> Vec<u8> {
    let area: usize = elements.iter().flatten().map(Vec::len).sum();
    let (size, header) = match area {
        0..=0xFF => (1, 0u8),
        0x100..=0xFFFF => (2, 1),
        _ => (4, 2),
    };
    let mut out = Vec::with_capacity(1 + elements.len() * size + area);
    out.push(header);
    let mut end = 0usize;
    for e in elements {
        end += e.as_ref().map_or(0, Vec::len);
        out.extend_from_slice(&(end as u32).to_le_bytes()[..size]);
    }
    for e in elements.iter().flatten() {
        out.extend_from_slice(e);
    }
    out
}

/// The `count` elements of a tuple (`None` for NULL), checked against its length.
pub fn read(bytes: &[u8], count: usize) -> Result<Vec<Option<&[u8]>>> {
    let bad = |why: &str| Error::malformed(format!("binary tuple: {why}"));
    let header = *bytes.first().ok_or_else(|| bad("empty"))?;
    let size = 1usize << (header & 0b11);
    if size > 4 {
        return Err(bad("8-byte offsets"));
    }
    let table_end = count
        .checked_mul(size)
        .and_then(|n| n.checked_add(1))
        .filter(|&n| n <= bytes.len())
        .ok_or_else(|| bad("shorter than its offset table"))?;
    let area = &bytes[table_end..];
    let mut out = Vec::with_capacity(count);
    let mut start = 0usize;
    for i in 0..count {
        let at = 1 + i * size;
        let mut le = [0u8; 4];
        le[..size].copy_from_slice(&bytes[at..at + size]);
        let end = u32::from_le_bytes(le) as usize;
        if end < start || end > area.len() {
            return Err(bad("offsets out of order or beyond its end"));
        }
        out.push((end > start).then(|| &area[start..end]));
        start = end;
    }
    Ok(out)
}

/// The fewest little-endian bytes that hold `v` as a signed integer.
pub(super) fn shrunk(v: i64) -> Vec<u8> {
    let n = if i8::try_from(v).is_ok() {
        1
    } else if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    };
    v.to_le_bytes()[..n].to_vec()
}

pub(super) fn int(b: &[u8]) -> Result<i64> {
    Ok(match b.len() {
        1 => i64::from(b[0] as i8),
        2 => i64::from(i16::from_le_bytes([b[0], b[1]])),
        4 => i64::from(i32::from_le_bytes(b.try_into().unwrap())),
        8 => i64::from_le_bytes(b.try_into().unwrap()),
        n => return Err(Error::malformed(format!("integer of {n} bytes"))),
    })
}

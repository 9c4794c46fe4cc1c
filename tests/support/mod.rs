//! Fakes for running protocol sessions natively: a scripted HTTP client and in-memory byte
//! streams.
#![allow(dead_code)] // each test file uses part of it

pub mod http;
pub mod replay;
pub mod stream;

use webdbc::core::{Backend, Row, Value};
use webdbc::Result;

/// Every row of the open result, fetching until it ends; with the final row count.
pub async fn drain(b: &mut impl Backend, mut rows: Vec<Row>) -> Result<(Vec<Row>, i64)> {
    loop {
        let batch = b.fetch().await?;
        rows.extend(batch.rows);
        if batch.done {
            return Ok((rows, batch.rowcount));
        }
    }
}

/// The first column of each row as an integer.
pub fn ints(rows: &[Row]) -> Vec<i64> {
    rows.iter()
        .map(|r| match &r[0] {
            Value::Int(i) => *i,
            v => panic!("not an int: {v:?}"),
        })
        .collect()
}

//! What every protocol implements for the core: the [`Backend`] trait, and the shapes of what
//! it hands back (columns, rows, outcomes, batches).

use std::rc::Rc;

use crate::core::error::{Error, Result};
use crate::core::value::Value;

/// A row's values, as the protocols produce them.
pub type Row = Vec<Value>;

/// What a column holds, whatever the server calls its type: each protocol's type table decides
/// it, and the bindings hand values out by it (64-bit integers as the `int64` option says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogicalType {
    /// Booleans.
    Bool,
    /// An integer that fits 32 bits.
    Int,
    /// A 64-bit integer (unsigned ones too: beyond i64 they arrive as exact decimals).
    Int64,
    /// Floating-point numbers.
    Float,
    /// Exact decimals.
    Decimal,
    /// Text.
    Text,
    /// Binary data.
    Bytes,
    /// Dates.
    Date,
    /// Times of day.
    Time,
    /// Timestamps without time zone.
    Timestamp,
    /// Timestamps with time zone (instants).
    TimestampTz,
    /// Intervals.
    Interval,
    /// UUIDs.
    Uuid,
    /// JSON documents.
    Json,
    /// Arrays of the element type.
    Array(Box<LogicalType>),
    /// Anything else: values say what they are.
    Other,
}

impl LogicalType {
    /// Its integers (or its elements') are 64-bit.
    pub fn is_int64(&self) -> bool {
        match self {
            LogicalType::Int64 => true,
            LogicalType::Array(element) => element.is_int64(),
            _ => false,
        }
    }
}

/// PEP 249's seven description fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The backend's type name (`int8`, `numeric`, `text[]`).
    pub type_code: String,
    /// What it holds, from the protocol's type table.
    pub logical: LogicalType,
    /// PEP 249's display size, where the server says.
    pub display_size: Option<i64>,
    /// PEP 249's internal size (bytes), where the server says.
    pub internal_size: Option<i64>,
    /// A decimal's precision, where the server says.
    pub precision: Option<i64>,
    /// A decimal's scale, where the server says.
    pub scale: Option<i64>,
    /// Whether the column may hold NULL, where the server says.
    pub null_ok: Option<bool>,
}

impl Column {
    /// A column known by name and type only; PEP 249's other fields unknown (None).
    pub fn new(
        name: impl Into<String>,
        type_code: impl Into<String>,
        logical: LogicalType,
    ) -> Column {
        Column {
            name: name.into(),
            type_code: type_code.into(),
            logical,
            display_size: None,
            internal_size: None,
            precision: None,
            scale: None,
            null_ok: None,
        }
    }
}

/// A statement's parameters: made with [`crate::params!`] or [`crate::named_params!`].
#[derive(Clone, Debug)]
pub enum Params {
    /// For `?` (or `$1`, `$2`, …) placeholders, in order.
    Positional(Vec<Value>),
    /// For `:name` placeholders.
    Named(Vec<(String, Value)>),
}

impl Params {
    /// No parameters.
    pub fn none() -> Params {
        Params::Positional(Vec::new())
    }
}

/// What executing a statement produced.
#[derive(Debug)]
pub struct Outcome {
    /// Present when the statement returns rows.
    pub columns: Option<Rc<[Column]>>,
    /// The first rows; more follow through [`Backend::fetch`] while `more` is set.
    pub rows: Vec<Row>,
    pub more: bool,
    /// Rows affected or returned, -1 while unknown (a result still streaming).
    pub rowcount: i64,
    /// The complete results of the statements after the first, when one string held several
    /// (PostgreSQL's simple protocol); `nextset()` moves to them in order.
    pub later: Vec<Outcome>,
}

#[derive(Debug)]
pub struct Batch {
    pub rows: Vec<Row>,
    pub done: bool,
    /// Set with `done`: the final row count.
    pub rowcount: i64,
}

impl Outcome {
    /// A statement that returned no rows, with its row count (-1: unknown).
    pub fn done(rowcount: i64) -> Outcome {
        Outcome {
            columns: None,
            rows: Vec::new(),
            more: false,
            rowcount,
            later: Vec::new(),
        }
    }
}

/// The row count of an `executemany`, from each parameter set's count (-1: unknown): their
/// sum, saturating (a wire-controlled sum never wraps); -1 when any is unknown (a partial sum
/// would pass for the whole), 0 for no parameter sets.
pub fn executemany_rowcount(counts: impl IntoIterator<Item = i64>) -> i64 {
    counts
        .into_iter()
        .try_fold(0i64, |total, c| (c >= 0).then(|| total.saturating_add(c)))
        .unwrap_or(-1)
}

impl Batch {
    /// No more rows: the result ended with `rowcount`.
    pub fn end(rowcount: i64) -> Batch {
        Batch {
            rows: Vec::new(),
            done: true,
            rowcount,
        }
    }
}

#[allow(async_fn_in_trait)] // futures stay on one thread (wasm)
pub trait Backend {
    async fn execute(&mut self, sql: &str, params: Params) -> Result<Outcome>;
    /// Runs the statement once per parameter set; returns the total row count.
    async fn execute_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64>;
    /// The next rows of the open result.
    async fn fetch(&mut self) -> Result<Batch>;
    /// Drops the rest of the open result, if any.
    async fn discard(&mut self) -> Result<()>;
    async fn commit(&mut self) -> Result<()>;
    async fn rollback(&mut self) -> Result<()>;
    fn autocommit(&self) -> bool;
    fn set_autocommit(&mut self, on: bool) -> Result<()>;
    /// Ends the connection; for stateless HTTP backends, dropping the open result is all.
    async fn close(&mut self) {
        let _ = self.discard().await;
    }
    /// How often [`Backend::keep_alive`] wants to be called while the connection is idle;
    /// `None`: never. Each protocol decides its own liveness; the core only keeps the clock.
    fn keep_alive_interval_ms(&self) -> Option<u32> {
        None
    }
    /// Tells the server the connection (or a result left unread) is alive, for servers that
    /// drop idle ones. Called on the interval above, only while no operation runs.
    async fn keep_alive(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The error for a transaction asked of `database`, which commits every statement by itself.
pub fn no_transactions(database: &str) -> Error {
    Error::not_supported(format!(
        "{database} has no transactions: every statement is committed when it runs (autocommit is always on)"
    ))
}

/// The transaction methods of a [`Backend`] whose every statement commits by itself: `commit`
/// has nothing to do, `rollback` and turning autocommit off are [`no_transactions`].
#[macro_export]
macro_rules! autocommit_only {
    ($database:expr) => {
        async fn commit(&mut self) -> $crate::core::Result<()> {
            Ok(())
        }

        async fn rollback(&mut self) -> $crate::core::Result<()> {
            Err($crate::core::no_transactions($database))
        }

        fn autocommit(&self) -> bool {
            true
        }

        fn set_autocommit(&mut self, on: bool) -> $crate::core::Result<()> {
            if on {
                Ok(())
            } else {
                Err($crate::core::no_transactions($database))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executemany_counts_what_is_known_and_never_wraps() {
        assert_eq!(executemany_rowcount([1, 2, 3]), 6);
        assert_eq!(executemany_rowcount([1, -1, 3]), -1);
        assert_eq!(executemany_rowcount([-1, -1]), -1);
        assert_eq!(executemany_rowcount([]), 0);
        assert_eq!(executemany_rowcount([i64::MAX, i64::MAX]), i64::MAX);
    }

    #[test]
    fn arrays_of_64_bit_integers_are_64_bit() {
        let nested = LogicalType::Array(Box::new(LogicalType::Array(Box::new(LogicalType::Int64))));
        assert!(nested.is_int64());
        assert!(!LogicalType::Array(Box::new(LogicalType::Int)).is_int64());
    }
}

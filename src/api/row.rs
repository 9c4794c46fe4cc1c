//! [`Row`] and typed reads of its cells ([`FromValue`]).

use std::rc::Rc;

use crate::core::error::{Error, Result};
use crate::core::value::Interval;
use crate::core::{Column, Value};

/// One row of a result: its values, read by position or column name as Rust types.
///
/// ```
/// # use webdbc::{Row, Value};
/// # let row = Row::example();
/// let id: i64 = row.try_get("id")?;
/// let title: Option<String> = row.try_get(1)?;
/// # assert_eq!((id, title), (7, None));
/// # Ok::<(), webdbc::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Row {
    columns: Rc<[Column]>,
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(columns: Rc<[Column]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    #[doc(hidden)]
    pub fn example() -> Row {
        Row::new(
            Rc::from(vec![
                Column::new("id", "int8", crate::LogicalType::Int64),
                Column::new("title", "text", crate::LogicalType::Text),
            ]),
            vec![Value::Int(7), Value::Null],
        )
    }

    /// The cell at `index` (a position or a column name) as `T`: a
    /// [`crate::ErrorKind::Data`] error naming the column when its value does not fit `T`
    /// (NULL fits only `Option<T>`; an integer fits a smaller one only when in range), a
    /// [`crate::ErrorKind::Programming`] one for a column that does not exist.
    pub fn try_get<T: FromValue>(&self, index: impl ColumnIndex) -> Result<T> {
        let i = index.position(&self.columns)?;
        T::from_value(&self.values[i])
            .map_err(|why| Error::data(format!("column {:?}: {why}", self.columns[i].name)))
    }

    /// [`Row::try_get`], panicking on an error: for columns whose type the query fixes.
    pub fn get<T: FromValue>(&self, index: impl ColumnIndex) -> T {
        match self.try_get(index) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// The values, in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The columns, as [`crate::Cursor::description`] has them.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values, taken out of the row.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

/// A way to name a cell: its position (`usize`) or its column's name (`&str`).
pub trait ColumnIndex {
    /// The position this index names in `columns`.
    fn position(&self, columns: &[Column]) -> Result<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, columns: &[Column]) -> Result<usize> {
        if *self < columns.len() {
            return Ok(*self);
        }
        Err(Error::programming(format!(
            "column {self} does not exist: the row has {}",
            columns.len()
        )))
    }
}

impl ColumnIndex for &str {
    fn position(&self, columns: &[Column]) -> Result<usize> {
        columns
            .iter()
            .position(|c| c.name == *self)
            .ok_or_else(|| Error::programming(format!("no column named {self:?}")))
    }
}

/// A Rust type a cell can be read as ([`Row::try_get`]). Exact: an integer is read into a
/// smaller type only when it fits, a decimal only as text (or [`Value`]), never as a float.
pub trait FromValue: Sized {
    /// The value as `Self`, or why it does not fit.
    fn from_value(value: &Value) -> std::result::Result<Self, String>;
}

fn mismatch(value: &Value, want: &str) -> String {
    let got = match value {
        Value::Null => "NULL",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Decimal(_) => "a decimal",
        Value::Text(_) => "text",
        Value::Bytes(_) => "bytes",
        Value::Date(_) => "a date",
        Value::Time(_) => "a time",
        Value::Timestamp(_) => "a timestamp",
        Value::TimestampTz(_) => "a timestamp with time zone",
        Value::Interval(_) => "an interval",
        Value::Uuid(_) => "a UUID",
        Value::Json(_) => "JSON",
        Value::Array(_) => "an array",
    };
    format!("{got} cannot be read as {want}")
}

impl FromValue for Value {
    fn from_value(value: &Value) -> std::result::Result<Self, String> {
        Ok(value.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> std::result::Result<Self, String> {
                match value {
                    Value::Int(i) => <$t>::try_from(*i)
                        .map_err(|_| format!("{i} does not fit {}", stringify!($t))),
                    v => Err(mismatch(v, stringify!($t))),
                }
            }
        }
    )*};
}
from_int!(i32, i16, i8, u64, u32, u16);

/// `FromValue` for the types one variant holds as they are.
macro_rules! from_variant {
    ($($t:ty => $variant:ident, $want:literal;)*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> std::result::Result<Self, String> {
                match value {
                    Value::$variant(v) => Ok(v.clone()),
                    v => Err(mismatch(v, $want)),
                }
            }
        }
    )*};
}
from_variant! {
    i64 => Int, "i64";
    f64 => Float, "f64";
    bool => Bool, "bool";
    Vec<u8> => Bytes, "Vec<u8>";
    [u8; 16] => Uuid, "a UUID ([u8; 16])";
    Interval => Interval, "Interval";
}

impl FromValue for String {
    /// Text, and the exact text of a decimal or a JSON document.
    fn from_value(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Text(s) | Value::Decimal(s) | Value::Json(s) => Ok(s.clone()),
            v => Err(mismatch(v, "String")),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    /// An SQL array.
    fn from_value(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Array(items) => items.iter().map(T::from_value).collect(),
            v => Err(mismatch(v, "Vec (an array)")),
        }
    }
}

#[cfg(feature = "chrono")]
mod chrono_values {
    use super::{mismatch, FromValue};
    use crate::core::Value;
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

    const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();

    fn micros(us: i64) -> std::result::Result<NaiveDateTime, String> {
        DateTime::from_timestamp_micros(us)
            .map(|t| t.naive_utc())
            .ok_or_else(|| format!("{us} µs is beyond chrono's range (or infinity)"))
    }

    impl FromValue for NaiveDate {
        fn from_value(value: &Value) -> std::result::Result<Self, String> {
            match value {
                Value::Date(d) => EPOCH
                    .checked_add_signed(chrono::TimeDelta::days(i64::from(*d)))
                    .ok_or_else(|| format!("day {d} is beyond chrono's range (or infinity)")),
                v => Err(mismatch(v, "NaiveDate")),
            }
        }
    }

    impl FromValue for NaiveDateTime {
        fn from_value(value: &Value) -> std::result::Result<Self, String> {
            match value {
                Value::Timestamp(us) => micros(*us),
                v => Err(mismatch(v, "NaiveDateTime (a timestamp without time zone)")),
            }
        }
    }

    impl FromValue for DateTime<Utc> {
        fn from_value(value: &Value) -> std::result::Result<Self, String> {
            match value {
                Value::TimestampTz(us) => micros(*us).map(|t| t.and_utc()),
                v => Err(mismatch(v, "DateTime<Utc> (a timestamp with time zone)")),
            }
        }
    }

    impl FromValue for NaiveTime {
        fn from_value(value: &Value) -> std::result::Result<Self, String> {
            match value {
                Value::Time(us) => {
                    let secs = u32::try_from(us.div_euclid(1_000_000)).map_err(|_| "bad time")?;
                    let nanos = (us.rem_euclid(1_000_000) * 1000) as u32;
                    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
                        .ok_or_else(|| format!("{us} µs is not a time of day"))
                }
                v => Err(mismatch(v, "NaiveTime")),
            }
        }
    }
}

//! Parameters from Rust values: `From<T> for Value`, and the [`params!`](crate::params) and
//! [`named_params!`](crate::named_params) macros.

use crate::core::Value;

macro_rules! value_from {
    ($($t:ty => $variant:ident($conv:expr)),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant($conv(v))
            }
        }
    )*};
}

value_from! {
    i64 => Int(|v| v),
    i32 => Int(i64::from),
    i16 => Int(i64::from),
    i8 => Int(i64::from),
    u32 => Int(i64::from),
    u16 => Int(i64::from),
    u8 => Int(i64::from),
    f64 => Float(|v| v),
    f32 => Float(f64::from),
    bool => Bool(|v| v),
    String => Text(|v| v),
    &str => Text(str::to_string),
    Vec<u8> => Bytes(|v| v),
    &[u8] => Bytes(<[u8]>::to_vec),
    crate::core::value::Interval => Interval(|v| v),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is NULL.
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(feature = "chrono")]
mod chrono_params {
    use crate::core::Value;
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

    impl From<NaiveDate> for Value {
        fn from(d: NaiveDate) -> Value {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            Value::Date((d - epoch).num_days() as i32)
        }
    }

    impl From<NaiveDateTime> for Value {
        /// A timestamp without time zone, to the microsecond.
        fn from(t: NaiveDateTime) -> Value {
            Value::Timestamp(t.and_utc().timestamp_micros())
        }
    }

    impl From<DateTime<Utc>> for Value {
        /// A timestamp with time zone, to the microsecond.
        fn from(t: DateTime<Utc>) -> Value {
            Value::TimestampTz(t.timestamp_micros())
        }
    }

    impl From<NaiveTime> for Value {
        fn from(t: NaiveTime) -> Value {
            Value::Time(
                i64::from(t.num_seconds_from_midnight()) * 1_000_000
                    + i64::from(t.nanosecond() / 1000),
            )
        }
    }
}

/// Positional parameters for `?` (or `$1`) placeholders, each converted with `Value::from`:
/// `params![42, "text", None::<i64>, 1.5, vec![0u8, 1], Value::Decimal("12.30".into())]`.
/// A decimal is sent as exact text: [`Value::Decimal`].
#[macro_export]
macro_rules! params {
    () => { $crate::Params::Positional(::std::vec::Vec::new()) };
    ($($value:expr),+ $(,)?) => {
        $crate::Params::Positional(::std::vec![$($crate::Value::from($value)),+])
    };
}

/// Named parameters for `:name` placeholders: `named_params!{"id" => 7, "title" => "Dune"}`.
#[macro_export]
macro_rules! named_params {
    ($($name:expr => $value:expr),* $(,)?) => {
        $crate::Params::Named(::std::vec![$((::std::string::String::from($name), $crate::Value::from($value))),*])
    };
}

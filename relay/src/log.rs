//! The relay's log lines, on stderr: text for people (the default), or one JSON object a line
//! for log collectors (`--log-format json`). A line names the event, the peer, the target, a
//! status, a reason, byte counts: never payloads, query strings or tokens.

use std::sync::atomic::{AtomicBool, Ordering};

/// For [`log!`](crate::log!) in other crates.
#[doc(hidden)]
pub use serde_json;

static JSON: AtomicBool = AtomicBool::new(false);

/// Log lines as JSON from now on (`--log-format json`).
pub fn use_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

/// Writes one line: `text` as people read it, or `{"ts":…,"event":…,"msg":text,…fields}`.
pub fn line(event: &str, fields: &[(&str, serde_json::Value)], text: std::fmt::Arguments<'_>) {
    if !JSON.load(Ordering::Relaxed) {
        eprintln!("webdbc-relay: {text}");
        return;
    }
    let mut object = serde_json::Map::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    object.insert("ts".into(), (now.as_millis() as f64 / 1000.0).into());
    object.insert("event".into(), event.into());
    object.insert("msg".into(), text.to_string().into());
    for (key, value) in fields {
        object.insert((*key).into(), value.clone());
    }
    eprintln!("{}", serde_json::Value::Object(object));
}

/// `log!("event", key = value, …; "text {}", args)`: one line, see [`line`].
#[macro_export]
macro_rules! log {
    ($event:literal $(, $key:ident = $value:expr)* ; $($text:tt)+) => {
        $crate::log::line(
            $event,
            &[$((stringify!($key), $crate::log::serde_json::json!($value))),*],
            format_args!($($text)+),
        )
    };
}

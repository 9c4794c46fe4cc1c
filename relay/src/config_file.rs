//! The config file, TOML: everything the flags say, as the flags name it. A file is read as the
//! flags it stands for, placed before the command line's, so a flag given on the command line
//! wins; lists (targets, origins, hosts) add up.
//!
//! ```toml
//! listen = "0.0.0.0:8443"
//! allow-origin = ["https://app.example"]
//! [targets]
//! pg = "db.internal:5432"
//! secure = { address = "db.internal:5433", tls = "verify-full", ca = "/etc/ca.pem", starttls = "postgres" }
//! [http-targets]
//! crate = "http://10.0.0.5:4200"
//! [tokens]
//! key = "/etc/webdbc-relay/token.key"
//! [tls]
//! cert = "/etc/webdbc-relay/cert.pem"
//! key = "/etc/webdbc-relay/key.pem"
//! [limits]
//! max-connections-per-ip = 64
//! idle-timeout = 600
//! ```

use toml::{Table, Value};

/// What each part of the file takes.
const TOP: &[&str] = &[
    "listen",
    "allow-origin",
    "hosts",
    "host",
    "www",
    "connect-timeout",
    "log-format",
];
const TOKENS: &[&str] = &["key", "public-key"];
const TLS: &[&str] = &["cert", "key", "handshake-timeout"];
const LIMITS: &[&str] = &[
    "max-connections",
    "max-connections-per-ip",
    "max-connections-per-target",
    "attempts-per-ip-per-second",
    "idle-timeout",
    "max-lifetime",
    "max-message-size",
    "max-http-body",
    "drain-grace",
];

/// `{ address = "HOST:PORT", tls = "verify-full", ca = "FILE", … }` as the flag's
/// `HOST:PORT?tls=verify-full&ca=FILE&…`.
fn target_with_settings(settings: &Table) -> Result<String, String> {
    let mut addr = match settings.get("address") {
        Some(Value::String(a)) => a.clone(),
        Some(_) => return Err("takes address = \"HOST:PORT\", a string".into()),
        None => return Err("needs address = \"HOST:PORT\"".into()),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in settings.iter().filter(|(k, _)| *k != "address") {
        let v = v
            .as_str()
            .ok_or_else(|| format!("takes {k} as a string (in quotes)"))?;
        query.append_pair(k, v);
    }
    let query = query.finish();
    if !query.is_empty() {
        addr = format!("{addr}?{query}");
    }
    Ok(addr)
}

/// The flags a file stands for. `known`: the long flags there are (an unknown key is an error
/// that names its line).
pub fn to_args(text: &str, known: &[&str]) -> Result<Vec<String>, String> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
        format!("line {line}: {}", e.message())
    })?;
    let lines: Vec<&str> = text.lines().collect();
    // The line of `key` in `section` (None: before any section header).
    let line_of = |section: Option<&str>, key: &str| {
        let start = section.map_or(0, |name| {
            let header = format!("[{name}]");
            lines
                .iter()
                .position(|l| l.trim() == header)
                .map_or(0, |i| i + 1)
        });
        lines[start..]
            .iter()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(start, |i| start + i + 1)
    };
    let mut args = Vec::new();
    for (key, value) in &table {
        match (key.as_str(), value) {
            ("targets" | "http-targets", Value::Table(t)) => {
                let flag = if key == "targets" {
                    "target"
                } else {
                    "http-target"
                };
                for (name, v) in t {
                    let addr = match (v, flag) {
                        (Value::String(addr), _) => Ok(addr.clone()),
                        (Value::Table(settings), "target") => target_with_settings(settings),
                        _ => Err("takes \"HOST:PORT\"".to_string()),
                    }
                    .map_err(|why| {
                        let line = line_of(Some(key), name);
                        format!("line {line}: target {name} {why}")
                    })?;
                    args.push(format!("--{flag}={name}={addr}"));
                }
            }
            ("tokens" | "tls" | "limits", Value::Table(t)) => {
                for (k, v) in t {
                    let (allowed, flag) = match key.as_str() {
                        "tokens" => (TOKENS, format!("token-{k}")),
                        "tls" if k == "handshake-timeout" => (TLS, k.clone()),
                        "tls" => (TLS, format!("tls-{k}")),
                        _ => (LIMITS, k.clone()),
                    };
                    if !allowed.contains(&k.as_str()) {
                        let line = line_of(Some(key), k);
                        return Err(format!(
                            "line {line}: unknown setting {k:?} in [{key}] (see --help)"
                        ));
                    }
                    push(&mut args, &flag, v, known)
                        .map_err(|why| format!("line {}: {why}", line_of(Some(key), k)))?;
                }
            }
            (k, Value::Table(_)) => {
                let line = line_of(None, &format!("[{k}]"));
                return Err(format!("line {line}: unknown section [{k}]"));
            }
            (k, v) => {
                if !TOP.contains(&k) {
                    return Err(format!(
                        "line {}: unknown setting {k:?} (see --help)",
                        line_of(None, k)
                    ));
                }
                let flag = if k == "hosts" { "host" } else { k };
                push(&mut args, flag, v, known)
                    .map_err(|why| format!("line {}: {why}", line_of(None, k)))?;
            }
        }
    }
    Ok(args)
}

/// `--flag=value` for the value, or each of an array's (one argument each, so a value that
/// starts with `-` stays a value).
fn push(args: &mut Vec<String>, flag: &str, v: &Value, known: &[&str]) -> Result<(), String> {
    if !known.contains(&flag) {
        return Err(format!("unknown setting {flag:?} (see --help)"));
    }
    let values = match v {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    for v in values {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Boolean(b) => b.to_string(),
            _ => return Err(format!("{flag} takes a string or a number")),
        };
        args.push(format!("--{flag}={text}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &[
        "listen",
        "target",
        "http-target",
        "allow-origin",
        "host",
        "token-key",
        "tls-cert",
        "tls-key",
        "idle-timeout",
        "max-connections-per-ip",
    ];

    #[test]
    fn a_file_stands_for_flags() {
        let args = to_args(
            "listen = \"0.0.0.0:1\"\nallow-origin = [\"https://a\", \"https://b\"]\nhosts = [\"r.example\"]\n\
             [targets]\npg = \"db:5432\"\n\
             pgs = { address = \"db:5432\", tls = \"verify-full\", ca = \"/ca.pem\", starttls = \"postgres\" }\n\
             [http-targets]\ncrate = \"http://h:4200\"\n\
             [tokens]\nkey = \"k\"\n[tls]\ncert = \"c\"\nkey = \"p\"\n[limits]\nidle-timeout = 60\n",
            KNOWN,
        )
        .unwrap();
        let pairs: Vec<(String, String)> = args
            .iter()
            .map(|a| {
                let (flag, value) = a.split_once('=').unwrap();
                (flag.to_string(), value.to_string())
            })
            .collect();
        for (flag, value) in [
            ("--listen", "0.0.0.0:1"),
            ("--allow-origin", "https://b"),
            ("--host", "r.example"),
            ("--target", "pg=db:5432"),
            (
                "--target",
                "pgs=db:5432?ca=%2Fca.pem&starttls=postgres&tls=verify-full",
            ),
            ("--http-target", "crate=http://h:4200"),
            ("--token-key", "k"),
            ("--tls-cert", "c"),
            ("--tls-key", "p"),
            ("--idle-timeout", "60"),
        ] {
            assert!(
                pairs.contains(&(flag.to_string(), value.to_string())),
                "{flag} {value}: {pairs:?}"
            );
        }
    }

    #[test]
    fn errors_name_the_line() {
        let e = to_args("listen = \"x\"\n[limits]\nmax-conections = 3\n", KNOWN).unwrap_err();
        assert!(
            e.starts_with("line 3: unknown setting \"max-conections\""),
            "{e}"
        );
        let e = to_args("listen = \"x\"\npg = 127.0.0.1:5432\n", KNOWN).unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = to_args("[targets]\npg = { tls = \"require\" }\n", KNOWN).unwrap_err();
        assert!(e.starts_with("line 2: target pg needs address"), "{e}");
        let e = to_args("[targets]\npg = { address = \"h:1\", tls = true }\n", KNOWN).unwrap_err();
        assert!(e.contains("takes tls as a string"), "{e}");
        let e = to_args("[nope]\nx = 1\n", KNOWN).unwrap_err();
        assert!(e.starts_with("line 1: unknown section [nope]"), "{e}");
        // A setting in the wrong section is refused, not taken.
        let e = to_args("[limits]\nallow-origin = \"*\"\n", KNOWN).unwrap_err();
        assert!(
            e.starts_with("line 2: unknown setting \"allow-origin\" in [limits]"),
            "{e}"
        );
        let e = to_args(
            "[tokens]\nkey = \"k\"\n[tls]\ncert = \"c\"\nkye = \"p\"\n",
            KNOWN,
        )
        .unwrap_err();
        assert!(e.starts_with("line 5:"), "{e}");
    }
}

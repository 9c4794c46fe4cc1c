//! The config file, TOML: everything the flags say, as the flags name it. A file is read as the
//! flags it stands for, placed before the command line's, so a flag given on the command line
//! wins; lists (targets, origins, hosts) add up.
//!
//! ```toml
//! listen = "0.0.0.0:8443"
//! allow-origin = ["https://app.example"]
//! [targets]
//! pg = "db.internal:5432"
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

/// The flags a file stands for. `known`: the long flags there are (an unknown key is an error
/// that names its line).
pub fn to_args(text: &str, known: &[&str]) -> Result<Vec<String>, String> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start].lines().count().max(1))
            .unwrap_or(1);
        format!("line {line}: {}", e.message())
    })?;
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(0, |i| i + 1)
    };
    let mut args = Vec::new();
    let flag = |name: &str, key: &str, v: &Value, args: &mut Vec<String>| -> Result<(), String> {
        if !known.contains(&name) {
            return Err(format!(
                "line {}: unknown setting {key:?} (see --help)",
                line_of(key)
            ));
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
                _ => {
                    return Err(format!(
                        "line {}: {key} takes a string or a number",
                        line_of(key)
                    ))
                }
            };
            args.push(format!("--{name}"));
            args.push(text);
        }
        Ok(())
    };
    for (key, value) in &table {
        match (key.as_str(), value) {
            ("targets" | "http-targets", Value::Table(t)) => {
                let name = if key == "targets" {
                    "target"
                } else {
                    "http-target"
                };
                for (k, v) in t {
                    let addr = v.as_str().ok_or_else(|| {
                        format!("line {}: target {k} takes \"HOST:PORT\"", line_of(k))
                    })?;
                    args.push(format!("--{name}"));
                    args.push(format!("{k}={addr}"));
                }
            }
            ("tokens" | "tls" | "limits", Value::Table(t)) => {
                for (k, v) in t {
                    let name = match (key.as_str(), k.as_str()) {
                        ("tokens", "key") => "token-key".to_string(),
                        ("tokens", "public-key") => "token-public-key".to_string(),
                        ("tls", "cert" | "key") => format!("tls-{k}"),
                        _ => k.clone(),
                    };
                    flag(&name, k, v, &mut args)?;
                }
            }
            (k, Value::Table(_)) => {
                return Err(format!(
                    "line {}: unknown section [{k}]",
                    line_of(&format!("[{k}]"))
                ))
            }
            ("hosts", v) => flag("host", key, v, &mut args)?,
            (k, v) => flag(k, k, v, &mut args)?,
        }
    }
    Ok(args)
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
             [targets]\npg = \"db:5432\"\n[http-targets]\ncrate = \"http://h:4200\"\n\
             [tokens]\nkey = \"k\"\n[tls]\ncert = \"c\"\nkey = \"p\"\n[limits]\nidle-timeout = 60\n",
            KNOWN,
        )
        .unwrap();
        let pairs: Vec<(String, String)> = args
            .chunks(2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect();
        for (flag, value) in [
            ("--listen", "0.0.0.0:1"),
            ("--allow-origin", "https://b"),
            ("--host", "r.example"),
            ("--target", "pg=db:5432"),
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
        let e = to_args("[nope]\nx = 1\n", KNOWN).unwrap_err();
        assert!(e.starts_with("line 1: unknown section [nope]"), "{e}");
    }
}

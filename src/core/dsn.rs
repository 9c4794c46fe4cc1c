//! Connection URLs of the form `scheme://[user[:password]@]host[:port][/path][?k=v&...]`.
//! Errors never echo the URL: it may hold a password.

use crate::core::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dsn {
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The path without its leading `/`, percent-decoded (a database name for most backends).
    pub path: String,
    pub params: Vec<(String, String)>,
}

impl Dsn {
    pub fn parse(url: &str) -> Result<Dsn> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| Error::interface("malformed connection URL: expected scheme://host"))?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
        {
            return Err(Error::interface("malformed connection URL: bad scheme"));
        }
        // User info ends at the last `@`: a password with unencoded `/`, `?`, `:` or `@` is still
        // read whole as the password, never as host, path or query, which errors may name.
        // (An `@` in the query must then be written %40.)
        let (userinfo, rest) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (Some(decode(u, "user name")?), Some(decode(p, "password")?)),
                None => (Some(decode(ui, "user name")?), None),
            },
        };
        let (host, port) = split_host_port(hostport)?;
        let mut params = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.push((
                decode(k, "query parameter name")?,
                decode(v, "query parameter value")?,
            ));
        }
        Ok(Dsn {
            scheme: scheme.to_ascii_lowercase(),
            user: user.filter(|u| !u.is_empty()),
            password,
            host,
            port,
            path: decode(path, "path")?,
            params,
        })
    }

    /// Parses a URL that must use one of `schemes` (the first is the one to suggest), for
    /// `database`.
    pub fn parse_as(url: &str, schemes: &[&str], database: &str) -> Result<Dsn> {
        let dsn = Dsn::parse(url)?;
        if !schemes.contains(&dsn.scheme.as_str()) {
            let expected: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
            return Err(Error::interface(format!(
                "unsupported URL scheme {:?} for {database} (expected {})",
                dsn.scheme,
                expected.join(" or ")
            )));
        }
        Ok(dsn)
    }
}

/// `host[:port]` or `[v6][:port]`, as one address of a list.
pub fn parse_address(s: &str) -> Result<(String, Option<u16>)> {
    split_host_port(s.trim())
}

fn split_host_port(s: &str) -> Result<(String, Option<u16>)> {
    if s.contains(',') {
        return Err(Error::not_supported(
            "connection URLs with several hosts are not supported",
        ));
    }
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or_else(|| Error::interface("malformed connection URL: unclosed [ in host"))?;
        let after = &v6[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(Error::interface("malformed connection URL: junk after ]")),
        };
        (v6[..end].to_string(), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (decode(h, "host")?, Some(p)),
            None => (decode(s, "host")?, None),
        }
    };
    if host.is_empty() {
        return Err(Error::interface("malformed connection URL: no host"));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|&n| n > 0).ok_or_else(|| {
            Error::interface(format!("malformed connection URL: invalid port {p:?}"))
        })?),
    };
    Ok((host, port))
}

/// Percent-decoding; `what` names the part in the error without echoing it.
fn decode(s: &str, what: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::interface(format!(
                        "malformed connection URL: bad percent-encoding in the {what}"
                    ))
                })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        Error::interface(format!(
            "malformed connection URL: the {what} is not UTF-8 once decoded"
        ))
    })
}

/// Reads a boolean option the way DSNs spell them.
pub fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::interface(format!(
            "option {name} expects true or false, got {v:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    #[test]
    fn parses_a_full_url() {
        let d = Dsn::parse("postgresql://app:s%40cret%3A@db.internal:6432/shop%20db?sslmode=disable&application_name=x").unwrap();
        assert_eq!(d.scheme, "postgresql");
        assert_eq!(d.user.as_deref(), Some("app"));
        assert_eq!(d.password.as_deref(), Some("s@cret:"));
        assert_eq!((d.host.as_str(), d.port), ("db.internal", Some(6432)));
        assert_eq!(d.path, "shop db");
        assert_eq!(d.params[1], ("application_name".into(), "x".into()));
    }

    #[test]
    fn unencoded_special_characters_stay_in_the_password() {
        for pw in ["Ab/cd+ef", "123?secret", "p@ss:w/rd?x", "a:b"] {
            let d =
                Dsn::parse(&format!("postgres://app:{pw}@db:5433/app?sslmode=disable")).unwrap();
            assert_eq!(d.password.as_deref(), Some(pw));
            assert_eq!(
                (d.host.as_str(), d.port, d.path.as_str()),
                ("db", Some(5433), "app")
            );
            assert_eq!(d.params, vec![("sslmode".into(), "disable".into())]);
        }
        let d = Dsn::parse("postgres://u:p@h/db?application_name=me%40home").unwrap();
        assert_eq!((d.password.as_deref(), d.host.as_str()), (Some("p"), "h"));
        assert_eq!(d.params[0].1, "me@home");
    }

    #[test]
    fn parses_ipv6_and_missing_parts() {
        let d = Dsn::parse("postgres://[::1]:5433").unwrap();
        assert_eq!((d.host.as_str(), d.port, d.user), ("::1", Some(5433), None));
        let d = Dsn::parse("postgres://h/").unwrap();
        assert_eq!((d.port, d.path.as_str()), (None, ""));
    }

    #[test]
    fn errors_name_the_part_but_never_the_password() {
        for url in [
            "nonsense",
            "postgres://u:pw@:5432/db",
            "postgres://u:hunter2@h:99999/db",
            "postgres://u:hunter2%zz@h/db",
            "://h",
        ] {
            let e = Dsn::parse(url).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Interface, "{url}");
            assert!(!e.message.contains("hunter2"), "{}", e.message);
            assert!(
                e.message.starts_with("malformed connection URL"),
                "{}",
                e.message
            );
        }
        assert_eq!(
            Dsn::parse("postgres://a,b/db").unwrap_err().kind,
            ErrorKind::NotSupported
        );
    }
}

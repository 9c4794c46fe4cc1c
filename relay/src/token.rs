//! Who may connect: signed tokens (JWT, RFC 7519). With a token key configured, every WebSocket
//! and every forwarded HTTP request needs a token signed by it, unexpired, valid already, and
//! naming the target it opens; a token only narrows the configured allow-list. Tokens come as a
//! WebSocket subprotocol `webdbc.token.<jwt>` (browsers cannot set headers on a WebSocket), as
//! `?token=`, or, for forwarded HTTP, in the `X-Webdbc-Relay-Token` header (`Authorization` is
//! the database's own). A token never appears in a log line or an answer.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The subprotocol prefix that carries a token.
pub const SUBPROTOCOL_PREFIX: &str = "webdbc.token.";

/// What a token says.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// Expiry, seconds since 1970 (required).
    pub exp: u64,
    /// Not before, seconds since 1970.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Who it was given to (logged, unlike the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Target names or `host:port`s it may open.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// The keys tokens must be signed with.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<(Algorithm, DecodingKey)>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algs: Vec<_> = self.keys.iter().map(|(a, _)| a).collect();
        write!(f, "Verifier({algs:?})")
    }
}

/// Why a token was refused: said to the client (it names no secret) and logged.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    Missing,
    Invalid(String),
    Expired(u64),
    NotYet(u64),
    WrongTarget(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Missing => write!(
                f,
                "the relay requires a token: pass relayToken (a subprotocol webdbc.token.<jwt>, or ?token=)"
            ),
            Refusal::Invalid(why) => write!(f, "the relay refused the token: {why}"),
            Refusal::Expired(ago) => write!(f, "the relay refused the token: expired {ago} s ago"),
            Refusal::NotYet(in_s) => {
                write!(f, "the relay refused the token: not valid for another {in_s} s")
            }
            Refusal::WrongTarget(t) => {
                write!(f, "the relay refused the token: it does not allow target {t:?}")
            }
        }
    }
}

impl Refusal {
    /// 403 for a good token that does not allow the target; 401 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::WrongTarget(_) => 403,
            _ => 401,
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Verifier {
    /// An HMAC key (HS256): the file's bytes, surrounding white space trimmed.
    pub fn hmac(secret: &[u8]) -> Result<Verifier, String> {
        let secret = hmac_secret(secret)?;
        Ok(Verifier {
            keys: vec![(Algorithm::HS256, DecodingKey::from_secret(secret))],
        })
    }

    /// A public key in PEM: Ed25519 (EdDSA) or P-256 (ES256).
    pub fn public(pem: &[u8]) -> Result<Verifier, String> {
        if let Ok(k) = DecodingKey::from_ed_pem(pem) {
            return Ok(Verifier {
                keys: vec![(Algorithm::EdDSA, k)],
            });
        }
        DecodingKey::from_ec_pem(pem)
            .map(|k| Verifier {
                keys: vec![(Algorithm::ES256, k)],
            })
            .map_err(|_| "the public key is neither an Ed25519 nor a P-256 PEM key".to_string())
    }

    /// Both kinds at once: a token may be signed by either.
    pub fn and(mut self, other: Verifier) -> Verifier {
        self.keys.extend(other.keys);
        self
    }

    /// The token's claims, if it is signed by one of the keys and valid now.
    pub fn check(&self, token: Option<&str>) -> Result<Claims, Refusal> {
        let token = token.filter(|t| !t.is_empty()).ok_or(Refusal::Missing)?;
        let alg = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Invalid("it is not a JWT".into()))?
            .alg;
        let (_, key) = self.keys.iter().find(|(a, _)| *a == alg).ok_or_else(|| {
            Refusal::Invalid(format!(
                "it is signed with {alg:?}, which this relay does not take"
            ))
        })?;
        // Expiry and not-before are checked here, to say by how much.
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.validate_aud = false; // `aud` is the issuer's business; `targets` is ours
        validation.required_spec_claims = ["exp".to_string()].into();
        let claims = decode::<Claims>(token, key, &validation)
            .map_err(|e| {
                Refusal::Invalid(match e.kind() {
                    jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                        "its signature does not verify".into()
                    }
                    jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(c) => {
                        format!("it has no {c} claim")
                    }
                    _ => "it cannot be read".into(),
                })
            })?
            .claims;
        let now = now();
        if claims.exp <= now {
            return Err(Refusal::Expired(now - claims.exp));
        }
        if let Some(nbf) = claims.nbf.filter(|nbf| *nbf > now) {
            return Err(Refusal::NotYet(nbf - now));
        }
        Ok(claims)
    }
}

impl Claims {
    /// Whether the token allows the target of this name and address.
    pub fn allows(&self, name: &str, addr: &str) -> Result<(), Refusal> {
        match self.targets.iter().any(|t| t == name || t == addr) {
            true => Ok(()),
            false => Err(Refusal::WrongTarget(name.to_string())),
        }
    }
}

/// The bytes of an HMAC key file. A PEM file is refused: a public key given as the HMAC key
/// would let anyone who has it sign tokens.
fn hmac_secret(file: &[u8]) -> Result<&[u8], String> {
    let secret = file.trim_ascii();
    if secret.starts_with(b"-----BEGIN") {
        return Err(
            "a PEM key is not an HMAC key: give a public key with --token-public-key".into(),
        );
    }
    if secret.len() < 32 {
        return Err("an HMAC token key needs at least 32 bytes".into());
    }
    Ok(secret)
}

/// A token for `targets`, valid for `ttl_secs` (for development and tests): signed with an HMAC
/// key (raw bytes) or an Ed25519 / P-256 private key in PEM.
pub fn mint(
    key: &[u8],
    targets: Vec<String>,
    ttl_secs: u64,
    sub: Option<String>,
) -> Result<String, String> {
    let claims = Claims {
        exp: now() + ttl_secs,
        nbf: None,
        sub,
        targets,
    };
    let (alg, key) = if let Ok(k) = EncodingKey::from_ed_pem(key) {
        (Algorithm::EdDSA, k)
    } else if let Ok(k) = EncodingKey::from_ec_pem(key) {
        (Algorithm::ES256, k)
    } else {
        (
            Algorithm::HS256,
            EncodingKey::from_secret(hmac_secret(key)?),
        )
    };
    encode(&Header::new(alg), &claims, &key).map_err(|e| format!("cannot sign: {e}"))
}

/// The token of a WebSocket request: its `webdbc.token.` subprotocol, else `?token=`.
pub fn from_request(protocols: Option<&str>, query_token: Option<&str>) -> Option<String> {
    protocols
        .into_iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .find_map(|p| p.strip_prefix(SUBPROTOCOL_PREFIX))
        .or(query_token)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn token(claims: &Claims) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(KEY),
        )
        .unwrap()
    }

    #[test]
    fn checks_signature_expiry_and_not_before() {
        let v = Verifier::hmac(KEY).unwrap();
        let good = mint(KEY, vec!["pg".into()], 60, Some("alice".into())).unwrap();
        let claims = v.check(Some(&good)).unwrap();
        assert_eq!(
            (claims.targets, claims.sub),
            (vec!["pg".to_string()], Some("alice".into()))
        );
        assert_eq!(v.check(None), Err(Refusal::Missing));
        let expired = token(&Claims {
            exp: now() - 12,
            nbf: None,
            sub: None,
            targets: vec![],
        });
        assert!(matches!(
            v.check(Some(&expired)),
            Err(Refusal::Expired(12..=13))
        ));
        let early = token(&Claims {
            exp: now() + 600,
            nbf: Some(now() + 30),
            sub: None,
            targets: vec![],
        });
        assert!(matches!(
            v.check(Some(&early)),
            Err(Refusal::NotYet(29..=30))
        ));
        let other = mint(b"another key, also 32 bytes long!!", vec![], 60, None).unwrap();
        assert_eq!(
            v.check(Some(&other)),
            Err(Refusal::Invalid("its signature does not verify".into()))
        );
        assert!(matches!(v.check(Some("garbage")), Err(Refusal::Invalid(_))));
        assert!(Verifier::hmac(b"short").is_err());
        let pem = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        assert!(Verifier::hmac(pem)
            .unwrap_err()
            .contains("--token-public-key"));
        assert!(
            mint(pem, vec![], 60, None).is_err(),
            "never an HMAC token from a public key"
        );
    }

    #[test]
    fn a_token_only_narrows_the_allow_list() {
        let c = Claims {
            exp: 0,
            nbf: None,
            sub: None,
            targets: vec!["pg".into(), "10.0.0.1:5432".into()],
        };
        assert!(c.allows("pg", "127.0.0.1:5432").is_ok());
        assert!(c.allows("other", "10.0.0.1:5432").is_ok());
        assert_eq!(
            c.allows("ignite", "h:10800"),
            Err(Refusal::WrongTarget("ignite".into()))
        );
        assert_eq!(Refusal::WrongTarget("x".into()).status(), 403);
        assert_eq!(Refusal::Expired(1).status(), 401);
    }

    #[test]
    fn finds_the_token_in_the_subprotocols_or_the_query() {
        assert_eq!(
            from_request(Some("binary, webdbc.token.abc"), Some("q")).as_deref(),
            Some("abc")
        );
        assert_eq!(
            from_request(Some("binary"), Some("q")).as_deref(),
            Some("q")
        );
        assert_eq!(from_request(None, None), None);
    }
}

//! SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding: TLS, if any, ends at the relay,
//! so there is no channel to bind. Sans-IO: the session carries the three messages.
//!
//! The salted password (PBKDF2, 4096 HMAC rounds by default) is most of a connect's CPU in wasm,
//! so it is kept for the same password, salt and iteration count, as poolers do: a reconnect
//! skips it. It is as secret as the password, which this process holds anyway; the cache never
//! leaves memory and is keyed by a digest, not the password.

use std::cell::RefCell;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::core::error::{Error, Result};

/// The largest iteration count accepted: the count drives the PBKDF2 loop, so a hostile server
/// could otherwise make a connect spin (pgjdbc's cap; PostgreSQL's default is 4096).
const MAX_ITERATIONS: u32 = 100_000;
/// Salted passwords kept: one per (password, salt, iterations) a program connects with.
const CACHE_SIZE: usize = 16;

thread_local! {
    static SALTED: RefCell<Vec<([u8; 32], [u8; 32])>> = const { RefCell::new(Vec::new()) };
}

type HmacSha256 = Hmac<Sha256>;

pub(super) struct Scram {
    password: Vec<u8>,
    client_first_bare: String,
    nonce: String,
    /// After the client's final message: the salted password and the auth message, to check
    /// the server's signature with.
    sent: Option<([u8; 32], String)>,
}

fn failed(why: impl std::fmt::Display) -> Error {
    Error::operational(format!("SCRAM authentication failed: {why}"))
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA-256, one block (RFC 5802's Hi). The keyed HMAC state is made once and
/// cloned per round: two hash blocks a round instead of four.
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let keyed = HmacSha256::new_from_slice(password).expect("HMAC takes keys of any length");
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        out.iter_mut().zip(u).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// The salted password, from the cache or computed (and kept).
fn salted_password_cached(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let key: [u8; 32] = Sha256::new()
        .chain_update((password.len() as u64).to_be_bytes())
        .chain_update(password)
        .chain_update(iterations.to_be_bytes())
        .chain_update(salt)
        .finalize()
        .into();
    if let Some(hit) = SALTED.with_borrow(|c| c.iter().find(|(k, _)| *k == key).map(|e| e.1)) {
        return hit;
    }
    let salted = salted_password(password, salt, iterations);
    SALTED.with_borrow_mut(|c| {
        if c.len() == CACHE_SIZE {
            c.remove(0);
        }
        c.push((key, salted));
    });
    salted
}

/// The password as SCRAM hashes it: SASLprep (RFC 4013) where it succeeds, else the password as
/// it is, which is what PostgreSQL does with it.
fn normalize(password: &str) -> Vec<u8> {
    if password.is_ascii() {
        // Printable ASCII is its own SASLprep; ASCII with a control character fails it.
        return password.as_bytes().to_vec();
    }
    saslprep(password)
        .unwrap_or_else(|| password.into())
        .into_bytes()
}

/// RFC 4013's SASLprep, None where it fails. The character tables are the stringprep crate's;
/// NFKC is the platform's (in wasm the browser's `String.prototype.normalize`, which spares the
/// package 110 KB of Unicode tables).
fn saslprep(password: &str) -> Option<String> {
    use stringprep::tables as t;
    let mapped: String = password
        .chars()
        .filter(|&c| !t::commonly_mapped_to_nothing(c))
        .map(|c| {
            if t::non_ascii_space_character(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let normalized = nfkc(&mapped);
    let prohibited = |c: char| {
        t::non_ascii_space_character(c)
            || t::ascii_control_character(c)
            || t::non_ascii_control_character(c)
            || t::private_use(c)
            || t::non_character_code_point(c)
            || t::surrogate_code(c)
            || t::inappropriate_for_plain_text(c)
            || t::inappropriate_for_canonical_representation(c)
            || t::change_display_properties_or_deprecated(c)
            || t::tagging_character(c)
            || t::unassigned_code_point(c)
    };
    if normalized.chars().any(prohibited) {
        return None;
    }
    // Right-to-left text: no left-to-right character in it, and it starts and ends right-to-left.
    if normalized.chars().any(t::bidi_r_or_al) {
        let ends_rtl = normalized.chars().next().is_some_and(t::bidi_r_or_al)
            && normalized.chars().last().is_some_and(t::bidi_r_or_al);
        if normalized.chars().any(t::bidi_l) || !ends_rtl {
            return None;
        }
    }
    Some(normalized)
}

#[cfg(target_arch = "wasm32")]
fn nfkc(s: &str) -> String {
    js_sys::JsString::from(s).normalize("NFKC").into()
}

#[cfg(not(target_arch = "wasm32"))]
fn nfkc(s: &str) -> String {
    unicode_normalization::UnicodeNormalization::nfkc(s.chars()).collect()
}

impl Scram {
    pub(super) fn new(password: &str) -> Result<Scram> {
        let mut random = [0u8; 18];
        getrandom::fill(&mut random).map_err(|e| failed(format!("no random nonce: {e}")))?;
        Ok(Scram::with_nonce("", password, STANDARD.encode(random)))
    }

    fn with_nonce(user: &str, password: &str, nonce: String) -> Scram {
        Scram {
            password: normalize(password),
            client_first_bare: format!("n={user},r={nonce}"),
            nonce,
            sent: None,
        }
    }

    /// The client's first message (SASLInitialResponse's data).
    pub(super) fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    /// The client's final message (SASLResponse's data), from the server's first.
    pub(super) fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>> {
        let server_first = std::str::from_utf8(server_first).map_err(failed)?;
        let field = |name: char| {
            server_first
                .split(',')
                .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
                .ok_or_else(|| failed(format!("the server's first message has no {name}=")))
        };
        let nonce = field('r')?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(failed("the server's nonce does not extend the client's"));
        }
        let salt = STANDARD
            .decode(field('s')?)
            .map_err(|_| failed("the server's salt is not base64"))?;
        let iterations: u32 = field('i')?
            .parse()
            .ok()
            .filter(|&i| (1..=MAX_ITERATIONS).contains(&i))
            .ok_or_else(|| {
                failed(format!(
                    "the server's iteration count is not between 1 and {MAX_ITERATIONS}"
                ))
            })?;
        let salted = salted_password_cached(&self.password, &salt, iterations);
        let client_key = hmac(&salted, &[b"Client Key"]);
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let without_proof = format!("c=biws,r={nonce}"); // biws: base64 of the header "n,,"
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = hmac(&stored_key, &[auth_message.as_bytes()]);
        let proof: Vec<u8> = client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        self.sent = Some((salted, auth_message));
        Ok(format!("{without_proof},p={}", STANDARD.encode(proof)).into_bytes())
    }

    /// Checks the server's final message: the server proves it knows the password too.
    pub(super) fn verify(&self, server_final: &[u8]) -> Result<()> {
        let (salted, auth_message) = self
            .sent
            .as_ref()
            .ok_or_else(|| Error::malformed("SASL final before SASL continue"))?;
        let server_final = std::str::from_utf8(server_final).map_err(failed)?;
        if let Some(e) = server_final.strip_prefix("e=") {
            return Err(failed(format!("the server says {e}")));
        }
        let verifier = server_final
            .split(',')
            .find_map(|f| f.strip_prefix("v="))
            .and_then(|v| STANDARD.decode(v).ok())
            .ok_or_else(|| failed("the server's final message has no signature"))?;
        let server_key = hmac(salted, &[b"Server Key"]);
        let mut mac = HmacSha256::new_from_slice(&server_key).expect("HMAC takes any key");
        mac.update(auth_message.as_bytes());
        mac.verify_slice(&verifier)
            .map_err(|_| failed("the server's signature did not verify"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7677 §3's exchange.
    const NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    #[test]
    fn the_rfc_7677_exchange() {
        let mut s = Scram::with_nonce("user", "pencil", NONCE.into());
        assert_eq!(s.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let last = s.client_final(SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(last).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        let wrong = s.verify(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        assert!(wrong.unwrap_err().message.contains("did not verify"));
    }

    #[test]
    fn a_reconnect_reuses_the_salted_password_and_a_new_salt_does_not() {
        let salt = b"salt for the cache test";
        let first = salted_password_cached(b"cached pw", salt, 4096);
        assert_eq!(first, salted_password(b"cached pw", salt, 4096));
        assert_eq!(salted_password_cached(b"cached pw", salt, 4096), first);
        assert_ne!(
            salted_password_cached(b"cached pw", b"other salt", 4096),
            first
        );
        assert_ne!(salted_password_cached(b"cached pw", salt, 4097), first);
        assert_ne!(salted_password_cached(b"other pw", salt, 4096), first);
    }

    #[test]
    fn saslprep_agrees_with_the_stringprep_crate() {
        for password in [
            "pencil",
            "I\u{00AD}X",               // mapped to nothing
            "\u{2168}",                 // NFKC: IX
            "a\u{00A0}b",               // non-ASCII space
            "tab\there",                // ASCII control: prohibited
            "\u{0627}\u{0031}\u{0628}", // right-to-left, well formed
            "\u{0627}\u{0031}",         // right-to-left ending left-to-right: refused
            "a\u{0627}",                // mixed directions: refused
            "\u{E000}",                 // private use: prohibited
            "\u{0221}",                 // unassigned in Unicode 3.2
            "Zoë ﬁ ①",
        ] {
            let theirs = stringprep::saslprep(password).ok().map(|p| p.into_owned());
            assert_eq!(saslprep(password), theirs, "{password:?}");
            assert_eq!(
                normalize(password),
                theirs.unwrap_or_else(|| password.into()).into_bytes()
            );
        }
    }

    #[test]
    fn a_hostile_first_message_is_refused() {
        let refuse = |server_first: &str| {
            let mut s = Scram::with_nonce("", "pw", NONCE.into());
            s.client_final(server_first.as_bytes())
                .unwrap_err()
                .message
                .clone()
        };
        assert!(refuse("r=someoneelse,s=AAAA,i=4096").contains("nonce"));
        assert!(refuse(&format!("r={NONCE},s=AAAA,i=4096")).contains("nonce"));
        assert!(refuse(&format!("r={NONCE}x,s=AAAA,i=100001")).contains("iteration"));
        assert!(refuse(&format!("r={NONCE}x,s=AAAA,i=0")).contains("iteration"));
        assert!(refuse(&format!("r={NONCE}x,s=*,i=4096")).contains("salt"));
        assert!(refuse(&format!("r={NONCE}x,i=4096")).contains("s="));
        assert!(Scram::with_nonce("", "pw", NONCE.into())
            .verify(b"v=AAAA")
            .is_err());
    }
}

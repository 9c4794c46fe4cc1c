//! Authentication exchanges against a scripted server, with the vectors of
//! shared/protocols/postgres-wire.md. The server side is computed here independently of the
//! client (other hmac/sha2 versions), so a bug on one side cannot hide in both. Replies are delivered
//! one byte per chunk: the session must reassemble messages split at every boundary.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::VecDeque;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac_for_tests::{Hmac, Mac};
use sha2_for_tests::{Digest, Sha256};
use webdbc::core::transport::Transport;
use webdbc::protocols::pg::{PgConfig, PgSession};
use webdbc::{Error, ErrorKind, Result};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA256 with one block: RFC 5802's Hi().
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut u = hmac(password, &[salt, &1u32.to_be_bytes()].concat());
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// (client proof, server signature) for a SCRAM-SHA-256 exchange.
fn scram(password: &str, salt: &[u8], iterations: u32, auth_message: &str) -> ([u8; 32], [u8; 32]) {
    let salted = hi(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key: [u8; 32] = Sha256::digest(client_key).into();
    let signature = hmac(&stored_key, auth_message.as_bytes());
    let mut proof = client_key;
    proof
        .iter_mut()
        .zip(signature.iter())
        .for_each(|(p, s)| *p ^= s);
    let server_key = hmac(&salted, b"Server Key");
    (proof, hmac(&server_key, auth_message.as_bytes()))
}

#[test]
fn the_scram_vector_of_the_protocol_notes() {
    let client_first_bare = "n=,r=9IZ2O01zb9IgiIZ1WJ/zgpJB";
    let server_first =
        "r=9IZ2O01zb9IgiIZ1WJ/zgpJBjx/oIRLs02gGSHcw1KEty3eY,s=fs3IXBy7U7+IvVjZ,i=4096";
    let client_final_bare = "c=biws,r=9IZ2O01zb9IgiIZ1WJ/zgpJBjx/oIRLs02gGSHcw1KEty3eY";
    let auth = format!("{client_first_bare},{server_first},{client_final_bare}");
    let (proof, server) = scram(
        "foobar",
        &B64.decode("fs3IXBy7U7+IvVjZ").unwrap(),
        4096,
        &auth,
    );
    assert_eq!(
        B64.encode(proof),
        "AmNKosjJzS31NTlQYNs5BTeQjdHdk7lOflDo5re2an8="
    );
    assert_eq!(
        B64.encode(server),
        "U+ppxD5XUKtradnv8e2MkeupiA8FU87Sg8CXzXHDAzw="
    );
}

#[test]
fn the_md5_vector_of_the_protocol_notes() {
    let hash = postgres_protocol::authentication::md5_hash(
        b"md5_user",
        b"password",
        [0x2a, 0x3d, 0x8f, 0xe0],
    );
    assert_eq!(hash, "md562af4dd09bbb41884907a838a3233294");
}

fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn auth(code: u32, data: &[u8]) -> Vec<u8> {
    msg(b'R', &[&code.to_be_bytes()[..], data].concat())
}

fn ready() -> Vec<u8> {
    [
        msg(b'S', b"server_version\x0015.0\x00"),
        msg(b'K', &[0, 0, 0, 7, 0, 0, 0, 9]),
        msg(b'Z', b"I"),
    ]
    .concat()
}

fn fatal(code: &str, message: &str) -> Vec<u8> {
    msg(
        b'E',
        format!("SFATAL\0VFATAL\0C{code}\0M{message}\0\0").as_bytes(),
    )
}

/// A server as a function from each client flight to its reply, delivered a byte at a time.
struct Scripted<F: FnMut(usize, &[u8]) -> Vec<u8>> {
    flights: usize,
    server: F,
    inbox: VecDeque<Vec<u8>>,
}

impl<F: FnMut(usize, &[u8]) -> Vec<u8>> Transport for Scripted<F> {
    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let reply = (self.server)(self.flights, bytes);
        self.flights += 1;
        self.inbox.extend(reply.into_iter().map(|b| vec![b]));
        Ok(())
    }

    async fn recv(&mut self) -> Result<Vec<u8>> {
        self.inbox
            .pop_front()
            .ok_or_else(|| Error::connection_lost("the script ended"))
    }

    fn close(&mut self) {}
}

fn connect<F: FnMut(usize, &[u8]) -> Vec<u8>>(
    password: &str,
    server: F,
) -> Result<PgSession<Scripted<F>>> {
    let cfg = PgConfig::from_url(&format!("postgres://alice:{password}@h/db")).unwrap();
    futures::executor::block_on(PgSession::connect(
        Scripted {
            flights: 0,
            server,
            inbox: VecDeque::new(),
        },
        &cfg,
    ))
}

/// The body of a `p` message after its 5-byte header.
fn body(bytes: &[u8]) -> &[u8] {
    assert_eq!(bytes[0], b'p');
    &bytes[5..]
}

/// A SCRAM server for user password `secret`; `tamper` spoils its final signature.
fn scram_server(tamper: bool) -> impl FnMut(usize, &[u8]) -> Vec<u8> {
    let salt = b"0123456789abcdef".to_vec();
    let mut transcript = String::new();
    move |flight, bytes| match flight {
        0 => auth(10, b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"),
        1 => {
            // SASLInitialResponse: mechanism, int32 length, client-first.
            let b = body(bytes);
            let nul = b.iter().position(|&c| c == 0).unwrap();
            assert_eq!(&b[..nul], b"SCRAM-SHA-256");
            let client_first = std::str::from_utf8(&b[nul + 5..]).unwrap();
            let bare = client_first
                .strip_prefix("n,,")
                .expect("no channel binding requested");
            let cnonce = bare.strip_prefix("n=,r=").unwrap();
            let server_first = format!("r={cnonce}SERVERNONCE,s={},i=4096", B64.encode(&salt));
            transcript = format!("{bare},{server_first}");
            auth(11, server_first.as_bytes())
        }
        2 => {
            let client_final = std::str::from_utf8(body(bytes)).unwrap();
            let (without_proof, proof) = client_final.rsplit_once(",p=").unwrap();
            let (expected, mut signature) = scram(
                "secret",
                &salt,
                4096,
                &format!("{transcript},{without_proof}"),
            );
            if B64.decode(proof).unwrap() != expected {
                return fatal("28P01", "password authentication failed for user \"alice\"");
            }
            if tamper {
                signature[0] ^= 1;
            }
            [
                auth(12, format!("v={}", B64.encode(signature)).as_bytes()),
                auth(0, b""),
                ready(),
            ]
            .concat()
        }
        _ => panic!("unexpected flight {flight}"),
    }
}

#[test]
fn scram_sha_256_logs_in_and_verifies_the_server() {
    let session = connect("secret", scram_server(false)).expect("login");
    assert_eq!(session.server_param("server_version"), Some("15.0"));
    assert_eq!(
        session.cancel_token().request().unwrap(),
        [0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0, 7, 0, 0, 0, 9]
    );
}

#[test]
fn scram_with_a_wrong_password_is_the_servers_28p01() {
    let e = connect("wrong", scram_server(false)).err().unwrap();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Operational, Some("28P01"))
    );
    assert_eq!(
        e.message,
        "password authentication failed for user \"alice\""
    );
}

#[test]
fn a_server_signature_that_does_not_verify_is_refused() {
    let e = connect("secret", scram_server(true)).err().unwrap();
    assert_eq!(e.kind, ErrorKind::Operational);
    assert!(
        e.message.contains("server's signature did not verify"),
        "{}",
        e.message
    );
}

#[test]
fn md5_and_cleartext_send_what_the_server_expects() {
    let salt = [0x2a, 0x3d, 0x8f, 0xe0];
    let md5 = |flight: usize, bytes: &[u8]| match flight {
        0 => auth(5, &salt),
        1 => {
            let expected = postgres_protocol::authentication::md5_hash(b"alice", b"pw", salt);
            assert_eq!(body(bytes), [expected.as_bytes(), b"\0"].concat());
            [auth(0, b""), ready()].concat()
        }
        _ => unreachable!(),
    };
    connect("pw", md5).expect("md5 login");
    let clear = |flight: usize, bytes: &[u8]| match flight {
        0 => auth(3, b""),
        1 => {
            assert_eq!(body(bytes), b"pw\0");
            [auth(0, b""), ready()].concat()
        }
        _ => unreachable!(),
    };
    connect("pw", clear).expect("cleartext login");
}

#[test]
fn unsupported_methods_and_missing_passwords_are_clear() {
    let gss = |_: usize, _: &[u8]| auth(7, b"");
    assert_eq!(
        connect("pw", gss).err().unwrap().kind,
        ErrorKind::NotSupported
    );
    let cfg = PgConfig::from_url("postgres://alice@h/db").unwrap();
    let asks = Scripted {
        flights: 0,
        server: |_: usize, _: &[u8]| auth(3, b""),
        inbox: VecDeque::new(),
    };
    let e = futures::executor::block_on(PgSession::connect(asks, &cfg))
        .err()
        .unwrap();
    assert!(e.message.contains("asked for a password"), "{}", e.message);
}

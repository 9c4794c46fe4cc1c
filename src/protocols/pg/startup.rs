//! Startup and authentication: cleartext, MD5 and SCRAM-SHA-256 (postgres-protocol's codecs).

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use super::scram::Scram;
use super::session::PgSession;
use super::PgConfig;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::transport::Transport;

const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

impl<T: Transport> PgSession<T> {
    pub(super) async fn authenticate(&mut self, cfg: &PgConfig) -> Result<()> {
        let mut scram: Option<Scram> = None;
        while self.buf.is_empty() {
            let chunk = self.io.recv().await.map_err(|e| self.fail(e))?;
            self.buf.extend_from_slice(&chunk);
        }
        if !matches!(self.buf[0], b'R' | b'E') {
            let e = Error::malformed("the server does not speak the PostgreSQL protocol");
            return Err(self.fail(e));
        }
        loop {
            let msg = self.next().await?;
            let mut out = BytesMut::new();
            let password = || {
                cfg.password.as_deref().ok_or_else(|| {
                    Error::operational(
                        "the server asked for a password, but the connection URL has none",
                    )
                })
            };
            match msg {
                Message::AuthenticationOk => continue,
                Message::AuthenticationCleartextPassword => {
                    frontend::password_message(password()?.as_bytes(), &mut out).map_err(Error::malformed)?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let hash = md5_hash(cfg.user.as_bytes(), password()?.as_bytes(), body.salt());
                    frontend::password_message(hash.as_bytes(), &mut out).map_err(Error::malformed)?;
                }
                Message::AuthenticationSasl(body) => {
                    let mut mechanisms = body.mechanisms();
                    let mut offered = false;
                    while let Some(m) = mechanisms.next().map_err(Error::malformed)? {
                        offered |= m == SCRAM_SHA_256;
                    }
                    if !offered {
                        return Err(Error::not_supported("the server offers no SASL mechanism this driver supports (SCRAM-SHA-256)"));
                    }
                    let s = Scram::new(password()?)?;
                    frontend::sasl_initial_response(SCRAM_SHA_256, &s.client_first(), &mut out).map_err(Error::malformed)?;
                    scram = Some(s);
                }
                Message::AuthenticationSaslContinue(body) => {
                    let s = scram.as_mut().ok_or_else(|| Error::malformed("SASL continue before SASL start"))?;
                    frontend::sasl_response(&s.client_final(body.data())?, &mut out).map_err(Error::malformed)?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let s = scram.as_ref().ok_or_else(|| Error::malformed("SASL final before SASL start"))?;
                    s.verify(body.data())?;
                    continue;
                }
                Message::AuthenticationKerberosV5
                | Message::AuthenticationScmCredential
                | Message::AuthenticationGss
                | Message::AuthenticationSspi
                | Message::AuthenticationGssContinue(_) => {
                    return Err(Error::not_supported(
                        "the server asks for Kerberos/GSSAPI/SSPI authentication, which a browser cannot do",
                    ))
                }
                Message::BackendKeyData(body) => {
                    self.backend_key = Some((body.process_id(), body.secret_key()));
                    continue;
                }
                Message::ReadyForQuery(body) => {
                    self.ready(body.status());
                    return Ok(());
                }
                Message::ErrorResponse(body) => {
                    // A refused login is operational unless its SQLSTATE says more (QuestDB
                    // sends 00000).
                    let mut e = self.server_error(body.fields(), None);
                    if e.kind == ErrorKind::Database {
                        e.kind = ErrorKind::Operational;
                    }
                    return Err(e);
                }
                _ => return Err(Error::malformed("unexpected message during authentication")),
            }
            self.send(&out).await?;
        }
    }
}

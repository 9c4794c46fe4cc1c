//! TLS towards a database, per target: `tls=require` (encrypted, the certificate unchecked, as
//! libpq's `sslmode=require`) or `tls=verify-full` (the chain must lead to `ca=FILE`, or to the
//! Mozilla roots without one, and name the host). PostgreSQL asks for TLS inside its own protocol
//! first (`starttls=postgres`: an SSLRequest, answered `S`); other targets (Ignite 3) speak TLS
//! from the first byte. The client's bytes then travel inside the TLS session unchanged, so the
//! client speaks its plain protocol to the relay and the database sees an encrypted connection.

use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_rustls::TlsConnector;

/// PostgreSQL's SSLRequest: length 8, code 80877103.
const PG_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// How a target's connection is encrypted.
#[derive(Clone)]
pub struct BackendTls {
    /// What the settings said, for `Debug` and logs (`tls=verify-full&ca=…`).
    described: String,
    verifies: bool,
    postgres: bool,
    server_name: ServerName<'static>,
    connector: TlsConnector,
}

impl std::fmt::Debug for BackendTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.described)
    }
}

impl BackendTls {
    /// From a target's settings (`tls`, `ca`, `starttls`, `server-name`); `host` names the
    /// server when `server-name` does not. None: no `tls` setting, a plain connection.
    pub fn from_settings(
        host: &str,
        settings: &[(String, String)],
    ) -> Result<Option<BackendTls>, String> {
        let mut tls = None;
        let (mut ca, mut postgres, mut server_name) = (None, false, host.to_string());
        for (i, (key, value)) in settings.iter().enumerate() {
            if settings[..i].iter().any(|(k, _)| k == key) {
                return Err(format!("{key} is given twice"));
            }
            match key.as_str() {
                "tls" => tls = Some(value.as_str()),
                "ca" => ca = Some(value.as_str()),
                "starttls" if value == "postgres" => postgres = true,
                "starttls" => {
                    return Err(format!(
                        "starttls={value:?}: only starttls=postgres is known (without it, TLS starts with the first byte)"
                    ))
                }
                "server-name" => server_name = value.clone(),
                other => {
                    return Err(format!(
                        "unknown target setting {other:?} (known: tls, ca, starttls, server-name)"
                    ))
                }
            }
        }
        let Some(mode) = tls else {
            if settings.is_empty() {
                return Ok(None);
            }
            return Err("ca, starttls and server-name need tls=require or tls=verify-full".into());
        };
        let builder = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let config = match mode {
            "verify-full" => builder
                .with_root_certificates(roots(ca.map(Path::new))?)
                .with_no_client_auth(),
            "require" if ca.is_none() => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unchecked))
                .with_no_client_auth(),
            "require" => return Err("ca=FILE is for tls=verify-full (require checks no certificate)".into()),
            other => {
                return Err(format!(
                    "tls={other:?}: use tls=require (encrypted) or tls=verify-full (and the certificate checked)"
                ))
            }
        };
        let server_name = ServerName::try_from(server_name.clone())
            .map_err(|_| format!("{server_name:?} is not a host name or IP address"))?;
        let described = settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        Ok(Some(BackendTls {
            described,
            verifies: mode == "verify-full",
            postgres,
            server_name,
            connector: TlsConnector::from(Arc::new(config)),
        }))
    }

    /// Whether the certificate is checked (verify-full), not only the connection encrypted.
    pub fn verifies(&self) -> bool {
        self.verifies
    }

    /// Encrypts a fresh connection to the target: the SSLRequest first for PostgreSQL, then
    /// the handshake.
    pub async fn wrap(&self, mut tcp: TcpStream) -> Result<TlsStream<TcpStream>, TlsFailure> {
        if self.postgres {
            let mut answer = [0u8; 1];
            let asked = async {
                tcp.write_all(&PG_SSL_REQUEST).await?;
                tcp.read_exact(&mut answer).await
            };
            asked
                .await
                .map_err(|e| TlsFailure::same(format!("SSLRequest: {e}")))?;
            match answer[0] {
                b'S' => {}
                b'N' => {
                    return Err(TlsFailure::same(
                        "the server does not accept TLS (it answered N to SSLRequest)".into(),
                    ))
                }
                other => {
                    return Err(TlsFailure::same(format!(
                        "not a PostgreSQL server (it answered {other:#04x} to SSLRequest)"
                    )))
                }
            }
        }
        self.connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| TlsFailure {
                told: format!("TLS: {}", in_short(&e)),
                detail: format!("TLS: {e}"),
            })
    }
}

/// A failed TLS start: what the client is told, and the detail for the log.
pub struct TlsFailure {
    pub told: String,
    pub detail: String,
}

impl TlsFailure {
    fn same(text: String) -> TlsFailure {
        TlsFailure {
            told: text.clone(),
            detail: text,
        }
    }
}

/// What went wrong, without what a certificate names (host names inside the operator's network
/// are not the client's business; the log has them).
fn in_short(e: &std::io::Error) -> String {
    use tokio_rustls::rustls::{CertificateError, Error};
    let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) else {
        return e.kind().to_string();
    };
    let why = match tls {
        Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => "not signed by a trusted CA",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "not valid yet"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "not valid for the target's name"
            }
            CertificateError::Revoked => "revoked",
            _ => "invalid",
        },
        Error::AlertReceived(_) => return "the server refused the handshake".into(),
        _ => return "the handshake failed".into(),
    };
    format!("the server's certificate is {why}")
}

/// The roots a certificate must lead to: the CA file's, or Mozilla's.
fn roots(ca: Option<&Path>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let Some(ca) = ca else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let certs = CertificateDer::pem_file_iter(ca)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: no PEM certificates ({e})", ca.display()))?;
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("{}: no CA certificate in the file", ca.display()));
    }
    Ok(roots)
}

/// `tls=require`: any certificate, but the handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked;

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        let algorithms = ring::default_provider().signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, &algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        let algorithms = ring::default_provider().signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, &algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(s: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(s.as_bytes()).into_owned().collect()
    }

    #[test]
    fn reads_the_settings_and_refuses_what_makes_no_sense() {
        assert!(BackendTls::from_settings("db", &[]).unwrap().is_none());
        let tls = BackendTls::from_settings("db", &settings("tls=require&starttls=postgres"))
            .unwrap()
            .unwrap();
        assert!(tls.postgres);
        assert!(
            BackendTls::from_settings("10.0.0.1", &settings("tls=verify-full"))
                .unwrap()
                .is_some()
        );
        for (bad, says) in [
            ("tls=maybe", "tls=\"maybe\""),
            ("ca=/x.pem", "need tls=require"),
            ("tls=require&ca=/x.pem", "verify-full"),
            ("tls=verify-full&ca=/no/such.pem", "/no/such.pem"),
            ("tls=require&starttls=mysql", "starttls=postgres"),
            ("tls=require&sni=x", "unknown target setting"),
            ("tls=require&server-name=a b", "not a host name"),
            ("tls=verify-full&tls=require", "tls is given twice"),
        ] {
            let err = BackendTls::from_settings("db", &settings(bad)).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}

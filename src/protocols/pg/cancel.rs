//! Cancelling a running statement from outside its session, as rust-postgres' `CancelToken`:
//! the session's key, sent as a CancelRequest on a connection of its own.

use bytes::BytesMut;
use postgres_protocol::message::frontend;

use crate::core::error::{Error, Result};

/// Self-contained: holds a copy of the key the server gave at startup, nothing of the session.
#[derive(Clone, Debug)]
pub struct CancelToken {
    /// `(process id, secret key)` from BackendKeyData; servers may send none.
    pub(super) key: Option<(i32, i32)>,
}

impl CancelToken {
    /// The CancelRequest to send on a new connection to the same server (it answers nothing
    /// and closes it).
    pub fn request(&self) -> Result<Vec<u8>> {
        let (pid, secret) = self
            .key
            .ok_or_else(|| Error::not_supported("the server gave no cancel key"))?;
        let mut out = BytesMut::new();
        frontend::cancel_request(pid, secret, &mut out);
        Ok(out.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_request_carries_the_key() {
        let bytes = CancelToken { key: Some((7, -2)) }.request().unwrap();
        // length 16, code 80877102, pid, secret
        assert_eq!(
            bytes,
            [0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0, 7, 255, 255, 255, 254]
        );
        assert!(CancelToken { key: None }.request().is_err());
    }
}

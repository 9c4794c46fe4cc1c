//! The PostgreSQL session fed arbitrary server bytes in arbitrary chunks: login, then the
//! statements of `drive`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::pg::{PgConfig, PgSession};
use webdbc_fuzz::{drive, FuzzStream};

fuzz_target!(|data: &[u8]| {
    let mut cfg = PgConfig::from_url("postgres://u:secret@h/db").unwrap();
    cfg.fetch_size = 2;
    cfg.max_message_bytes = 1 << 20;
    let connected = futures::executor::block_on(PgSession::connect(FuzzStream::new(data), &cfg));
    if let Ok(session) = connected {
        drive(session);
    }
});

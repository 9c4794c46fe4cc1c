//! The Ignite 3 session fed arbitrary node bytes in arbitrary chunks: the handshake (magic,
//! MessagePack), then the statements of `drive` (frames, BinaryTuples, values).
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::ignite::{IgniteConfig, IgniteSession};
use webdbc_fuzz::{drive, FuzzStream};

fuzz_target!(|data: &[u8]| {
    let mut cfg = IgniteConfig::from_url("ignite://h:10800").unwrap();
    cfg.page_size = 2;
    cfg.max_message_bytes = 1 << 20;
    let connected =
        futures::executor::block_on(IgniteSession::connect(FuzzStream::new(data), &cfg));
    if let Ok(session) = connected {
        drive(session);
    }
});

//! The questdb session over HTTP replies made of the input (statuses and bodies, one reply per
//! request in turn): login, then the statements of `drive`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::questdb::{QuestConfig, QuestSession};
use webdbc_fuzz::{drive, FuzzHttp};

fuzz_target!(|data: &[u8]| {
    let cfg = QuestConfig::from_url("questdb://admin:quest@h:9000").unwrap();
    if let Ok(session) =
        futures::executor::block_on(QuestSession::connect(FuzzHttp::new(data), cfg))
    {
        drive(session);
    }
});

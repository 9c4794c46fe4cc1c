//! The cratedb session over HTTP replies made of the input (statuses and bodies, one reply per
//! request in turn): login, then the statements of `drive`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::cratedb::{CrateConfig, CrateSession};
use webdbc_fuzz::{drive, FuzzHttp};

fuzz_target!(|data: &[u8]| {
    let cfg = CrateConfig::from_url("crate://crate@h:4200").unwrap();
    if let Ok(session) =
        futures::executor::block_on(CrateSession::connect(FuzzHttp::new(data), cfg))
    {
        drive(session);
    }
});

//! The databend session over HTTP replies made of the input (statuses and bodies, one reply per
//! request in turn): login, then the statements of `drive`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::databend::{DatabendConfig, DatabendSession};
use webdbc_fuzz::{drive, FuzzHttp};

fuzz_target!(|data: &[u8]| {
    let cfg = DatabendConfig::from_url("databend://u:secret@h:8000/default").unwrap();
    if let Ok(session) =
        futures::executor::block_on(DatabendSession::connect(FuzzHttp::new(data), cfg))
    {
        drive(session);
    }
});

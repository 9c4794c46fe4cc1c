//! The databricks session over HTTP replies made of the input (statuses and bodies, one reply per
//! request in turn): login, then the statements of `drive`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::protocols::databricks::{DatabricksConfig, DatabricksSession};
use webdbc_fuzz::{drive, FuzzHttp};

fuzz_target!(|data: &[u8]| {
    let cfg =
        DatabricksConfig::from_url("databricks://token:secret@h?http_path=/sql/1.0/warehouses/w")
            .unwrap();
    if let Ok(session) =
        futures::executor::block_on(DatabricksSession::connect(FuzzHttp::new(data), cfg))
    {
        drive(session);
    }
});

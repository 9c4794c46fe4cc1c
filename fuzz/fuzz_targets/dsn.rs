//! Connection URLs: the generic parser and every backend's own reading of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webdbc::core::dsn::Dsn;
use webdbc::protocols::{cratedb, databend, databricks, ignite, pg, questdb};

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Dsn::parse(url);
    let _ = pg::PgConfig::from_url(url);
    let _ = ignite::IgniteConfig::from_url(url);
    let _ = cratedb::CrateConfig::from_url(url);
    let _ = databend::DatabendConfig::from_url(url);
    let _ = questdb::QuestConfig::from_url(url);
    let _ = databricks::DatabricksConfig::from_url(url);
});

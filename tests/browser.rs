//! The end-to-end scenarios (tests/scenarios.js) in headless Chromium through wasm-bindgen-test.
//! Built under webdbc-testenv: the server URLs are compiled in, since a browser page has no
//! environment.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! scenarios {
    ($($name:ident => $js:literal),* $(,)?) => {
        #[wasm_bindgen(module = "/tests/scenarios.js")]
        extern "C" {
            $(
                #[wasm_bindgen(catch, js_name = $js)]
                async fn $name(api: &JsValue, env: &JsValue) -> Result<JsValue, JsValue>;
            )*
        }
        mod browser {
            use super::*;
            $(
                #[wasm_bindgen_test]
                async fn $name() {
                    if let Err(e) = super::$name(&api(), &env()).await {
                        panic!("{}", describe(&e));
                    }
                }
            )*
        }
    };
}

scenarios! {
    booklist => "booklist",
    auth_methods => "authMethods",
    types_round_trip => "typesRoundTrip",
    value_options => "valueOptions",
    streaming => "streaming",
    bounded_memory => "boundedMemory",
    transactions => "transactions",
    server_errors => "serverErrors",
    connect_failures => "connectFailures",
    killed_mid_result => "killedMidResult",
    cancel => "cancel",
    close_while_running => "closeWhileRunning",
    crate_seed_flow => "crateSeedFlow",
    crate_booklist => "crateBooklist",
    crate_types => "crateTypes",
    crate_streaming => "crateStreaming",
    crate_errors => "crateErrors",
    crate_connect_failures => "crateConnectFailures",
    crate_cancel => "crateCancel",
    crate_through_relay => "crateThroughRelay",
    databend_seed_flow => "databendSeedFlow",
    databend_types => "databendTypes",
    databend_paging => "databendPaging",
    databend_transactions => "databendTransactions",
    databend_errors => "databendErrors",
    databend_cancel => "databendCancel",
    questdb_seed_flow => "questdbSeedFlow",
    questdb_types => "questdbTypes",
    questdb_injection => "questdbInjection",
    questdb_paging => "questdbPaging",
    questdb_errors => "questdbErrors",
    questdb_import => "questdbImport",
    questdb_cancel => "questdbCancel",
    databricks_seed_flow => "databricksSeedFlow",
    databricks_types => "databricksTypes",
    databricks_chunks => "databricksChunks",
    databricks_errors => "databricksErrors",
    databricks_async => "databricksAsync",
    ignite_seed_flow => "igniteSeedFlow",
    ignite_types => "igniteTypes",
    ignite_paging => "ignitePaging",
    ignite_errors => "igniteErrors",
    ignite_cancel => "igniteCancel",
    pg_crate_dialect => "pgCrateDialect",
    pg_quest_dialect => "pgQuestDialect",
}

fn describe(e: &JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => format!(
            "{}: {}",
            String::from(err.name()),
            String::from(err.message())
        ),
        None => format!("{e:?}"),
    }
}

fn set(o: &Object, k: &str, v: &JsValue) {
    Reflect::set(o, &k.into(), v).unwrap();
}

/// What the npm package exports, built from the same wasm module.
fn api() -> JsValue {
    let api: Object = webdbc::bindings::error_classes().unchecked_into();
    let connect = Closure::<dyn Fn(String, JsValue) -> Promise>::new(webdbc::bindings::connect);
    set(&api, "connect", &connect.into_js_value());
    let memory = Closure::<dyn Fn() -> Promise>::new(|| {
        Promise::resolve(&JsValue::from(webdbc::bindings::wasm_memory_bytes()))
    });
    set(&api, "wasmMemoryBytes", &memory.into_js_value());
    api.into()
}

// A missing variable fails the test with its name, rather than the build.
#[allow(clippy::option_env_unwrap)]
fn env() -> JsValue {
    let env = Object::new();
    macro_rules! var {
        ($key:literal, $var:literal) => {
            let v = option_env!($var).expect(concat!(
                $var,
                " was not set at build time: build under webdbc-testenv"
            ));
            set(&env, $key, &v.into());
        };
    }
    var!("relay", "WEBDBC_TEST_RELAY");
    var!("pg", "WEBDBC_TEST_PG");
    var!("pgMd5", "WEBDBC_TEST_PG_MD5");
    var!("pgCleartext", "WEBDBC_TEST_PG_CLEARTEXT");
    var!("pgWrongPassword", "WEBDBC_TEST_PG_WRONG_PASSWORD");
    var!("pgCut", "WEBDBC_TEST_PG_CUT");
    var!("pgGarbage", "WEBDBC_TEST_PG_GARBAGE");
    var!("pgDead", "WEBDBC_TEST_PG_DEAD");
    var!("pgDenied", "WEBDBC_TEST_PG_DENIED");
    var!("crate", "WEBDBC_TEST_CRATE");
    var!("crateHttp", "WEBDBC_TEST_CRATE_HTTP");
    var!("crateDead", "WEBDBC_TEST_CRATE_DEAD");
    var!("crateNoCors", "WEBDBC_TEST_CRATE_NO_CORS");
    var!("databend", "WEBDBC_TEST_DATABEND");
    var!("questdb", "WEBDBC_TEST_QUESTDB");
    var!("databricks", "WEBDBC_TEST_DATABRICKS");
    var!("ignite", "WEBDBC_TEST_IGNITE");
    var!("igniteSecure", "WEBDBC_TEST_IGNITE_SECURE");
    var!("igniteCut", "WEBDBC_TEST_IGNITE_CUT");
    var!("pgCrate", "WEBDBC_TEST_PG_CRATE");
    var!("pgQuest", "WEBDBC_TEST_PG_QUEST");
    env.into()
}

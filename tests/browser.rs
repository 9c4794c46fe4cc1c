//! The end-to-end scenarios (tests/scenarios/, listed by its index.js) in headless Chromium
//! through wasm-bindgen-test.
//! Built under webdbc-testenv: the server URLs are compiled in, since a browser page has no
//! environment.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// The scenario modules, loaded from blob URLs with their imports rewritten to each other's:
// wasm-bindgen copies a snippet alone, without the files it imports.
#[wasm_bindgen(inline_js = r#"
export async function scenarios(files) {
  const urls = new Map();
  const load = (name) => {
    if (!urls.has(name)) {
      const text = files[name].replace(/from "\.\/([\w-]+\.js)"/g, (_, dep) => `from "${load(dep)}"`);
      urls.set(name, URL.createObjectURL(new Blob([text], { type: "text/javascript" })));
    }
    return urls.get(name);
  };
  return (await import(load("index.js"))).all;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn scenarios(files: &JsValue) -> Result<JsValue, JsValue>;
}

/// The files of tests/scenarios/; `index.js` lists the scenarios.
macro_rules! files {
    ($($name:literal),* $(,)?) => {{
        let files = Object::new();
        $(set(&files, $name, &include_str!(concat!("scenarios/", $name)).into());)*
        files
    }};
}

/// Every scenario of the registry, in turn; the failures are reported together, by name.
#[wasm_bindgen_test]
async fn all_scenarios() {
    let files = files!(
        "index.js",
        "assert.js",
        "support.js",
        "postgres.js",
        "cratedb.js",
        "databend.js",
        "questdb.js",
        "databricks.js",
        "ignite.js",
        "dialects.js",
        "relay.js",
    );
    let all: Object = scenarios(&files.into())
        .await
        .map_err(|e| describe(&e))
        .unwrap()
        .unchecked_into();
    let (api, env) = (api(), env());
    let mut failed = Vec::new();
    let entries = Object::entries(&all);
    for entry in entries.iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let name = entry.get(0).as_string().unwrap_or_default();
        let scenario: js_sys::Function = entry.get(1).unchecked_into();
        let started = js_sys::Date::now();
        let outcome = match scenario.call2(&JsValue::NULL, &api, &env) {
            Ok(p) => JsFuture::from(Promise::resolve(&p)).await.map(drop),
            Err(e) => Err(e),
        };
        let ms = js_sys::Date::now() - started;
        match outcome {
            Ok(()) => console_log!("ok {name} ({ms:.0} ms)"),
            Err(e) => {
                console_log!("FAILED {name}: {}", describe(&e));
                failed.push(format!("{name}: {}", describe(&e)));
            }
        }
    }
    assert!(
        entries.length() >= 46,
        "the registry lists {} scenarios",
        entries.length()
    );
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failed.len(),
        entries.length(),
        failed.join("\n")
    );
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
    var!("pgSaslprep", "WEBDBC_TEST_PG_SASLPREP");
    var!("pgCleartext", "WEBDBC_TEST_PG_CLEARTEXT");
    var!("pgWrongPassword", "WEBDBC_TEST_PG_WRONG_PASSWORD");
    var!("pgCut", "WEBDBC_TEST_PG_CUT");
    var!("pgGarbage", "WEBDBC_TEST_PG_GARBAGE");
    var!("pgHostile", "WEBDBC_TEST_PG_HOSTILE");
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
    var!("tokenRelay", "WEBDBC_TEST_TOKEN_RELAY");
    var!("token", "WEBDBC_TEST_TOKEN");
    var!("tokenExpired", "WEBDBC_TEST_TOKEN_EXPIRED");
    var!("tokenOther", "WEBDBC_TEST_TOKEN_OTHER");
    var!("pgTls", "WEBDBC_TEST_PG_TLS");
    var!("igniteTls", "WEBDBC_TEST_IGNITE_TLS");
    env.into()
}

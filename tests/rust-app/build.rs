//! Compiles the README's Rust example (`<!-- example: rust -->`) into the tests, with the test
//! servers' URLs (set by webdbc-testenv) in place of the README's, so the example a user copies
//! is the one that runs.

fn main() {
    let readme = std::fs::read_to_string("../../README.md").expect("the repository's README.md");
    let start = readme
        .find("<!-- example: rust -->\n```rust\n")
        .expect("README.md has a Rust example")
        + "<!-- example: rust -->\n```rust\n".len();
    let end = start + readme[start..].find("```").expect("the example's end");
    let env = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| format!("{name} is not set: run under webdbc-testenv"))
    };
    let code = readme[start..end]
        .replace(
            "\"postgres://app:secret@db.internal:5432/shop\"",
            &format!("{:?}", env("WEBDBC_TEST_PG")),
        )
        .replace(
            "\"wss://relay.example/v1/connect\"",
            &format!("{:?}", env("WEBDBC_TEST_RELAY")),
        )
        .replace("booklist", "readme_books")
        .replace("\nasync fn ", "\npub async fn ");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("readme_example.rs");
    std::fs::write(out, code).unwrap();
    println!("cargo:rerun-if-changed=../../README.md");
    println!("cargo:rerun-if-env-changed=WEBDBC_TEST_PG");
    println!("cargo:rerun-if-env-changed=WEBDBC_TEST_RELAY");
}

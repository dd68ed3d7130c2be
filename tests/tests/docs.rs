//! Generated documentation stays in step with the code: `docs/options.md` lists every option.
//! `AUGER_UPDATE_DOCS=1 cargo test --workspace --test docs` rewrites it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn options_md_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/options.md");
    let expected = auger_common::options::options_markdown();
    if std::env::var_os("AUGER_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/options.md is stale: run `AUGER_UPDATE_DOCS=1 cargo test --workspace --test docs` and commit it"
    );
}

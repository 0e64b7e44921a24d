//! The recorded fixtures (`fixtures/recorded`), for unit tests.

use std::path::PathBuf;

use serde_json::Value;

/// Reads `<name>.test.json`; `SNOWGATE_FIXTURES` overrides the directory.
pub(crate) fn recorded(name: &str) -> Value {
    let dir = std::env::var_os("SNOWGATE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded")
        });
    let path = dir.join(format!("{name}.test.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
}

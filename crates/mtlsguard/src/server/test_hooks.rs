//! Hooks the end-to-end tests drive the release binary with (they cannot reach into it
//! any other way).
//!
//! Safe to ship: each hook is off unless its environment variable is set, reads that
//! variable once, and can only make the server take a path it already handles for real
//! (a panic in analysis is caught, logged and answered like any other).

use std::sync::OnceLock;

/// `MTLSGUARD_TEST_PANIC_MARKER`: analysis panics on a document containing this text, so
/// the robustness tests can check that a panic costs one result, not the server.
fn panic_marker() -> Option<&'static str> {
    static MARKER: OnceLock<Option<String>> = OnceLock::new();
    MARKER
        .get_or_init(|| {
            std::env::var("MTLSGUARD_TEST_PANIC_MARKER")
                .ok()
                .filter(|m| !m.is_empty())
        })
        .as_deref()
}

/// Panics when the panic marker is set and `text` contains it.
pub fn panic_if_marked(text: &str) {
    if panic_marker().is_some_and(|m| text.contains(m)) {
        panic!("test panic requested by MTLSGUARD_TEST_PANIC_MARKER");
    }
}

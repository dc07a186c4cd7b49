//! The four output formats of `check`.

use mtlsguard_analyzer::Finding;

use super::process::Source;

mod github;
mod json;
mod sarif;
mod text;

pub use github::github;
pub use json::json;
pub use sarif::sarif;
pub use text::text;

/// Whether `--fix` (with the given `--unsafe-fixes`) would apply the finding's fix.
fn applicable(f: &Finding, unsafe_fixes: bool) -> bool {
    f.fix.as_ref().is_some_and(|fix| fix.safe || unsafe_fixes)
}

/// 1-based (line, column in characters).
fn pos(src: Option<&Source>, offset: usize) -> (usize, usize) {
    match src {
        Some(s) => {
            let (l, c) = s.index.line_col(&s.text, offset);
            (l + 1, c + 1)
        }
        None => (1, 1),
    }
}

/// 1-based (line, column in UTF-16 code units).
fn pos_utf16(src: Option<&Source>, offset: usize) -> (usize, usize) {
    match src {
        Some(s) => {
            let (l, c) = s.index.line_col_utf16(&s.text, offset);
            (l + 1, c + 1)
        }
        None => (1, 1),
    }
}

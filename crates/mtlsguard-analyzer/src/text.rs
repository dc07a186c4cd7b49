//! Editing a text the way the language server edits its rope.

use std::ops::Range;

/// `text` with `range` replaced by `new`, and the tree-sitter edit describing it (rows
/// and byte columns, as tree-sitter counts them). For the tests, benchmarks and fuzzers
/// that edit a `String` the way the server edits its rope.
#[doc(hidden)]
pub fn replace(text: &str, range: Range<usize>, new: &str) -> (String, tree_sitter::InputEdit) {
    fn point(text: &str, at: usize) -> tree_sitter::Point {
        let before = &text.as_bytes()[..at];
        let row = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        tree_sitter::Point {
            row,
            column: at - line_start,
        }
    }
    let mut out = String::with_capacity(text.len() - range.len() + new.len());
    out.push_str(&text[..range.start]);
    out.push_str(new);
    out.push_str(&text[range.end..]);
    let new_end = range.start + new.len();
    let edit = tree_sitter::InputEdit {
        start_byte: range.start,
        old_end_byte: range.end,
        new_end_byte: new_end,
        start_position: point(text, range.start),
        old_end_position: point(text, range.end),
        new_end_position: point(&out, new_end),
    };
    (out, edit)
}

/// The edit that takes back `edit` (see [`replace`]).
#[doc(hidden)]
pub fn undo(edit: &tree_sitter::InputEdit) -> tree_sitter::InputEdit {
    tree_sitter::InputEdit {
        start_byte: edit.start_byte,
        old_end_byte: edit.new_end_byte,
        new_end_byte: edit.old_end_byte,
        start_position: edit.start_position,
        old_end_position: edit.new_end_position,
        new_end_position: edit.old_end_position,
    }
}

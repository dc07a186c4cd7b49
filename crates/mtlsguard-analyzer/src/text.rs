//! Text scanning shared by the parts that read source text directly, and editing a text
//! the way the language server edits its rope.

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

/// The line break `text` uses (`\n` when it has none): what a line added to it ends with.
pub(crate) fn line_break(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text.as_bytes()[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// Where the `//` or `/*` comment starting at `i` ends: at the `\n` closing a line
/// comment, after the `*/` of a block comment, or at the end of the text when it is
/// unclosed. `None` when no comment starts at `i`. (Both languages share this comment
/// syntax; text scanners that must not look inside comments use it.)
pub(crate) fn comment_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'/') {
        return None;
    }
    match b.get(i + 1)? {
        b'/' => Some(
            b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n),
        ),
        b'*' => Some(
            b[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(b.len(), |n| i + 2 + n + 2),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::comment_end;

    #[test]
    fn comment_ends() {
        let b = b"a // x\nb /* y */ c /* open";
        assert_eq!(comment_end(b, 0), None);
        assert_eq!(
            comment_end(b, 2),
            Some(6),
            "a line comment ends at its newline"
        );
        assert_eq!(comment_end(b, 9), Some(16), "after the */");
        assert_eq!(comment_end(b, 19), Some(b.len()), "unclosed: the end");
        assert_eq!(comment_end(b"/", 0), None);
        assert_eq!(comment_end(b"//", 0), Some(2));
        assert_eq!(comment_end(b"/**/", 0), Some(4));
        assert_eq!(
            comment_end(b"/*/", 0),
            Some(3),
            "`/*/` does not close itself"
        );
    }
}
